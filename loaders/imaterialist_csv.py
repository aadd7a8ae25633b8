"""iMaterialist 2019 and 2020: label_descriptions.json, and train.csv with one EncodedPixels mask per row.

train.csv is scanned once into byte ranges per image (``MaskIndex``). A sample's rows are
read back by offset, and their masks are decoded into COCO RLEs only when the sample is shown.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson
from pycocotools import mask as mask_utils

from loaders.imaterialist_json import TABLES_DIR, _report, find_position
from loaders.jsonfile import json_error_text
from loaders.model import Problem

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

MASK_COLUMNS = ("ImageId", "EncodedPixels", "Height", "Width", "ClassId")
PROGRESS_ROWS = 20_000


def encoded_pixels_to_rle(text: str, height: int, width: int) -> tuple[dict | None, list[str]]:
    """Convert a Kaggle ``EncodedPixels`` string into a compressed COCO RLE.

    Returns the RLE (None when nothing usable is left) and the list of what was wrong
    with the input. Runs past the last pixel are cut, overlapping runs are merged and
    runs out of order are sorted, each with a message.
    """
    issues: list[str] = []
    try:
        numbers = np.array(text.split(), dtype=np.int64)
    except (ValueError, OverflowError):
        return None, ["EncodedPixels contains a value that is not an integer"]
    if numbers.size == 0:
        return None, ["EncodedPixels is empty"]
    if numbers.size % 2:
        issues.append(f"EncodedPixels has an odd number of values ({numbers.size}); the last one was ignored")
        numbers = numbers[:-1]
    # EncodedPixels starts are 1-based; COCO and numpy count from 0.
    starts = numbers[0::2] - 1
    ends = starts + numbers[1::2]
    total = height * width
    bad = (starts < 0) | (ends <= starts) | (starts >= total)
    if bad.any():
        issues.append(f"{int(bad.sum())} runs start outside 1..{total} (Height x Width) or have a length below 1; "
                      "they were skipped")
        starts, ends = starts[~bad], ends[~bad]
    if starts.size == 0:
        return None, issues or ["EncodedPixels has no runs"]
    if (ends > total).any():
        issues.append(f"runs end past pixel {total} (Height x Width); they were cut")
        ends = np.minimum(ends, total)
    if (np.diff(starts) < 0).any():
        issues.append("runs are not in increasing order; they were sorted")
        order = np.argsort(starts, kind="stable")
        starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    opens = np.ones(starts.size, dtype=bool)
    opens[1:] = starts[1:] > reach[:-1]
    if (starts[1:] < reach[:-1]).any():
        issues.append("runs overlap; they were merged")
    # Touching or overlapping runs become one, so every background run between them is at least 1 long.
    starts, ends = starts[opens], np.maximum.reduceat(ends, np.flatnonzero(opens))
    # Both formats number pixels down each column first, so the runs carry over unchanged:
    # COCO counts alternate background and foreground lengths and must cover all H x W pixels.
    counts = np.empty(2 * starts.size + 1, dtype=np.int64)
    counts[0] = starts[0]
    counts[2:-1:2] = starts[1:] - ends[:-1]
    counts[1:-1:2] = ends - starts
    counts[-1] = total - ends[-1]
    rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts.tolist()}, height, width)
    return rle, issues


@dataclass
class LabelTable:
    """Categories and attributes of a 2019 or 2020 release, by id: {"name", "supercategory", "level"}."""

    categories: dict[int, dict]
    attributes: dict[int, dict]
    source: str
    year: str = ""
    problems: list[Problem] = field(default_factory=list)

    def category_name(self, category_id: int) -> str:
        return self.categories.get(category_id, {}).get("name", f"category {category_id}")

    def attribute_name(self, attribute_id: int) -> str:
        return self.attributes.get(attribute_id, {}).get("name", f"attribute {attribute_id}")

    def frame(self, which: str) -> pd.DataFrame:
        """Return the categories or attributes as a table: id, name, supercategory, level."""
        import pandas as pd  # imported here: the first sample does not need it

        table = self.categories if which == "categories" else self.attributes
        rows = [{"id": entry_id, **entry} for entry_id, entry in sorted(table.items())]
        return pd.DataFrame(rows, columns=["id", "name", "supercategory", "level"])


def builtin_label_table(year: str) -> LabelTable:
    """Return the project's copy of the 2019 or 2020 categories and attributes."""
    path = TABLES_DIR / f"imaterialist{year}.json"
    table = json.loads(path.read_text(encoding="utf-8"))
    columns = table["columns"]

    def by_id(rows: list[list]) -> dict[int, dict]:
        return {row[0]: dict(zip(columns[1:], row[1:])) for row in rows}

    return LabelTable(by_id(table["categories"]), by_id(table["attributes"]), str(path), year)


def _entries_by_id(entries: object, path: Path, key: str, problems: list[Problem]) -> dict[int, dict]:
    table: dict[int, dict] = {}
    for number, entry in enumerate(entries if isinstance(entries, list) else []):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(entry_id, str) and entry_id.strip().isdigit():
            # The Kaggle files give ids as JSON integers; a numeric string is read as its number.
            problems.append(Problem(str(path), f"id {entry_id!r} is a string, not an integer; read as "
                                               f"{int(entry_id)}.", f"{key}[{number}]", severity="info"))
            entry_id = int(entry_id)
        if not isinstance(entry_id, int) or isinstance(entry_id, bool):
            problems.append(Problem(str(path), "entry has no integer id; skipped.", f"{key}[{number}]"))
            continue
        table[entry_id] = {"name": str(entry.get("name", "")), "supercategory": str(entry.get("supercategory", "")),
                           "level": entry.get("level")}
    return table


def read_label_table(folder: Path, year: str) -> LabelTable:
    """Read ``label_descriptions.json`` from ``folder``; fall back to the built-in table of ``year``."""
    path = folder / "label_descriptions.json"
    fallback_year = year if year in ("2019", "2020") else "2020"
    if not path.is_file():
        table = builtin_label_table(fallback_year)
        table.problems.append(Problem(str(path), f"not found; using the built-in {fallback_year} category and "
                                                 "attribute names.",
                                      hint="The names of attribute ids differ between 2019 and 2020: put the "
                                           "release's own file here.", severity="info"))
        return table
    try:
        raw = path.read_bytes()
        data = orjson.loads(raw)
    except (OSError, orjson.JSONDecodeError) as error:
        reason = json_error_text(raw, error) if isinstance(error, orjson.JSONDecodeError) else str(error)
        table = builtin_label_table(fallback_year)
        table.problems.append(Problem(str(path), f"could not be read ({reason}); using the built-in "
                                                 f"{fallback_year} names.", severity="error"))
        return table
    problems: list[Problem] = []
    data = data if isinstance(data, dict) else {}
    categories = _entries_by_id(data.get("categories"), path, "categories", problems)
    attributes = _entries_by_id(data.get("attributes"), path, "attributes", problems)
    if not categories:
        problems.append(Problem(str(path), 'no "categories" list; category ids are shown as numbers.',
                                severity="error"))
    info_year = data.get("info", {}).get("year") if isinstance(data.get("info"), dict) else None
    return LabelTable(categories, attributes, str(path), str(info_year or year), problems)


@dataclass
class MaskIndex:
    """Byte ranges of the train.csv rows, grouped by image, without the EncodedPixels text.

    Row ``r`` is the bytes ``row_offsets[r]:row_offsets[r] + row_lengths[r]`` of the file,
    at line ``row_lines[r]``, for image ``image_ids[row_images[r]]``.
    """

    columns: list[str]
    image_ids: list[str]
    row_offsets: np.ndarray  # int64
    row_lengths: np.ndarray  # int32
    row_lines: np.ndarray  # int32, 1-based line numbers (the header is line 1)
    row_images: np.ndarray  # int32
    row_categories: np.ndarray  # int32, -1 when ClassId is not readable
    attribute_offsets: np.ndarray  # int64, attributes of row r are attribute_values[offsets[r]:offsets[r + 1]]
    attribute_values: np.ndarray  # int32
    problems: list[Problem] = field(default_factory=list)

    lookups: int = 0  # calls of position_of, to decide when a lookup table pays off

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        """Return the position of each ImageId; a repeated ImageId maps to its first position."""
        count = len(self.image_ids)
        return dict(zip(reversed(self.image_ids), range(count - 1, -1, -1)))

    def position_of(self, image_id: str) -> int | None:
        """Return the position of ``image_id``, or None when train.csv has no row for it."""
        return find_position(self, image_id)

    @functools.cached_property
    def _rows_by_image(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.row_images, kind="stable")
        starts = np.searchsorted(self.row_images[order], np.arange(len(self.image_ids) + 1))
        return order, starts

    def rows_of(self, position: int) -> np.ndarray:
        """Return the row numbers of the image at ``position``, in file order."""
        order, starts = self._rows_by_image
        return order[starts[position]:starts[position + 1]]


def split_class_id(values: dict[str, str]) -> tuple[int, list[int]]:
    """Return the category id and attribute ids of one train.csv row; raise ValueError when unreadable."""
    # 2019 writes the category and its attribute ids joined by underscores: "6_28_95".
    parts = values["ClassId"].strip().split("_")
    category_id = int(parts[0])
    attribute_ids = [int(part) for part in parts[1:] if part]
    # 2020 lists attribute ids comma-separated in AttributesIds, which is empty when there are none.
    extra = (values.get("AttributesIds") or "").strip()
    if extra:
        attribute_ids.extend(int(part) for part in extra.split(",") if part.strip())
    return category_id, attribute_ids


def scan_mask_csv(path: Path, progress: Callable[[int, int], None] | None = None) -> MaskIndex:
    """Read train.csv once and index its rows by image; the masks are decoded later, per sample.

    ``progress(bytes_read, file_size)`` is called every ``PROGRESS_ROWS`` rows and at the end.
    """
    file_name = str(path)
    problems: list[Problem] = []
    image_ids: list[str] = []
    position: dict[str, int] = {}
    offsets, lengths, lines, images, categories, attribute_counts = [], [], [], [], [], []
    attribute_values: list[int] = []
    try:
        handle = path.open("rb")
    except OSError as error:
        problems.append(Problem(file_name, f"file could not be read: {error}.", severity="error"))
        return empty_mask_index([], [], problems)

    with handle:
        header = handle.readline()
        columns = next(csv.reader([header.decode("utf-8-sig", errors="replace")]), [])
        missing = [name for name in MASK_COLUMNS if name not in columns]
        if missing:
            problems.append(Problem(file_name, f"header has no column {', '.join(missing)}.", "line 1",
                                    hint=f"Expected {','.join(MASK_COLUMNS)} (2020 adds AttributesIds).",
                                    severity="error"))
            return empty_mask_index(columns, [], problems)

        offset = len(header)
        bad = 0
        total = os.fstat(handle.fileno()).st_size
        for line_number, raw in enumerate(handle, start=2):
            if progress is not None and line_number % PROGRESS_ROWS == 0:
                progress(offset, total)
            length = len(raw)
            values = _index_fields(raw, columns)
            if values:
                image_id = values.get("ImageId", "").strip()
                try:
                    category_id, attribute_ids = split_class_id(values)
                except (KeyError, ValueError, AttributeError):
                    category_id, attribute_ids = -1, []
                if not image_id:
                    bad += 1
                    _report(problems, bad, Problem(file_name, "row has no ImageId; skipped.", f"line {line_number}"))
                else:
                    if image_id not in position:
                        position[image_id] = len(image_ids)
                        image_ids.append(image_id)
                    offsets.append(offset)
                    lengths.append(length)
                    lines.append(line_number)
                    images.append(position[image_id])
                    categories.append(category_id)
                    attribute_counts.append(len(attribute_ids))
                    attribute_values.extend(attribute_ids)
            offset += length

    if progress is not None:
        progress(total, total)
    index = empty_mask_index(columns, image_ids, problems)
    if offsets:
        index.row_offsets = np.array(offsets, dtype=np.int64)
        index.row_lengths = np.array(lengths, dtype=np.int32)
        index.row_lines = np.array(lines, dtype=np.int32)
        index.row_images = np.array(images, dtype=np.int32)
        index.row_categories = np.array(categories, dtype=np.int32)
        index.attribute_offsets = np.concatenate(([0], np.cumsum(attribute_counts))).astype(np.int64)
        index.attribute_values = np.array(attribute_values, dtype=np.int32)
    log.info("%s: %d rows, %d images", file_name, len(offsets), len(image_ids))
    return index


def _index_fields(raw: bytes, columns: list[str]) -> dict[str, str]:
    """Return the fields of one train.csv line that the index needs, all but EncodedPixels.

    Both Kaggle releases start with ImageId,EncodedPixels, and neither a hex ImageId nor
    the space-separated runs contain a comma, so the long runs are skipped without decoding.
    """
    if columns[:2] == ["ImageId", "EncodedPixels"] and not raw.startswith(b'"'):
        first = raw.find(b",")
        second = raw.find(b",", first + 1) if first > 0 else -1
        if second > 0:
            rest = raw[second + 1:].decode("utf-8", errors="replace").strip()
            values = dict(zip(columns[2:], next(csv.reader([rest]), [])))
            values["ImageId"] = raw[:first].decode("utf-8", errors="replace")
            return values
    text = raw.decode("utf-8", errors="replace").strip()
    return dict(zip(columns, next(csv.reader([text])))) if text else {}


def empty_mask_index(columns: list[str], image_ids: list[str], problems: list[Problem]) -> MaskIndex:
    empty = np.zeros(0, dtype=np.int32)
    return MaskIndex(columns, image_ids, np.zeros(0, dtype=np.int64), empty, empty, empty, empty,
                     np.zeros(1, dtype=np.int64), empty, problems)

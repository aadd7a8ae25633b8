"""iMaterialist 2018: the label map and the split files (train.json, validation.json, test.json).

A split file is ``{"images": [{"url", "imageId"}], "annotations": [{"labelId": [...], "imageId"}]}``;
test.json has no "annotations". It is parsed once into compact arrays (``LabelIndex``).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import io
import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from loaders.jsonfile import json_error_text
from loaders.model import Problem

log = logging.getLogger(__name__)

TABLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "tables"
LABEL_MAP_PATTERN = "*label_map*.csv"
# The Kaggle files spell the keys imageId and labelId; the competition README spells them image_id and label_id.
ID_KEYS = ("imageId", "image_id")
LABEL_KEYS = ("labelId", "label_id")
# At most this many malformed records are reported one by one per file; the rest are counted.
MAX_REPORTED = 20


def _record_id(record: dict, *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None



def _report(problems: list[Problem], count: int, problem: Problem) -> None:
    """Append ``problem`` unless ``MAX_REPORTED`` of its kind were already reported."""
    if count <= MAX_REPORTED:
        problems.append(problem)




@dataclass
class LabelMap:
    """The 2018 label map: label id to (label name, task name), and task ids to names."""

    labels: dict[int, tuple[str, str]]
    tasks: dict[int, str]
    source: str
    problems: list[Problem] = field(default_factory=list)

    def task_order(self) -> list[str]:
        return [self.tasks[task_id] for task_id in sorted(self.tasks)]

    def describe(self, label_id: int) -> str:
        """Return ``"62 Dresses (category)"`` for a label id."""
        name, task = self.labels.get(label_id, (f"label {label_id}", "unknown"))
        return f"{label_id} {name} ({task})"


def builtin_label_map() -> LabelMap:
    """Return the 2018 label map shipped with the project."""
    path = TABLES_DIR / "imaterialist2018.json"
    table = json.loads(path.read_text(encoding="utf-8"))
    tasks = {int(task_id): name for task_id, name in table["tasks"].items()}
    labels = {label_id: (name, tasks[task_id]) for label_id, task_id, name in table["labels"]}
    return LabelMap(labels, tasks, str(path))


def read_label_map(folder: Path) -> LabelMap:
    """Read ``*label_map*.csv`` (labelId,taskId,labelName,taskName) from ``folder``, else the built-in map."""
    found = sorted(folder.glob(LABEL_MAP_PATTERN))
    if not found:
        fallback = builtin_label_map()
        fallback.problems.append(Problem(str(folder), "no label map CSV found; using the built-in 228-label map.",
                                         hint="Put iMat_fashion_2018_label_map_228.csv here to use your own.",
                                         severity="info"))
        return fallback
    path = found[0]
    labels: dict[int, tuple[str, str]] = {}
    tasks: dict[int, str] = {}
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            # One bad byte should cost one row, not the whole map: decode the rest and name the line.
            line = data.count(b"\n", 0, error.start) + 1
            problems.append(Problem(str(path), "bytes that are not valid UTF-8 were replaced with U+FFFD.",
                                    f"line {line}", hint="Save the label map as UTF-8."))
            text = data.decode("utf-8-sig", errors="replace")
        # newline="" lets the csv module take the file's CRLF line ends.
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except (OSError, csv.Error) as error:
        fallback = builtin_label_map()
        fallback.problems.append(Problem(str(path), f"label map could not be read: {error}.",
                                         hint="Using the built-in 228-label map instead.", severity="error"))
        return fallback
    for line, row in enumerate(rows, start=2):
        try:
            label_id, task_id = int(row["labelId"]), int(row["taskId"])
            name, task = row["labelName"].strip(), row["taskName"].strip()
        except (KeyError, TypeError, ValueError, AttributeError):
            problems.append(Problem(str(path), "row is not labelId,taskId,labelName,taskName.", f"line {line}"))
            continue
        labels[label_id] = (name, task)
        tasks.setdefault(task_id, task)
    if not labels:
        fallback = builtin_label_map()
        fallback.problems.append(Problem(str(path), "label map has no valid rows; using the built-in 228-label map.",
                                         severity="error"))
        return fallback
    return LabelMap(labels, tasks, str(path), problems)


@dataclass
class LabelIndex:
    """One 2018 split in compact arrays instead of one Python object per image.

    The labels of image ``i`` are ``values[offsets[i]:offsets[i + 1]]``.
    """

    image_ids: list[str]
    urls: list[str]
    offsets: np.ndarray  # int64, length n + 1
    values: np.ndarray  # int32 label ids
    annotated: bool  # False for test.json and other files without "annotations"
    problems: list[Problem] = field(default_factory=list)

    @functools.cached_property
    def owners(self) -> np.ndarray:
        """Return the image position of every entry of ``values``."""
        return np.repeat(np.arange(len(self.image_ids), dtype=np.int32), np.diff(self.offsets))

    lookups: int = 0  # calls of position_of, to decide when a lookup table pays off

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        """Return the position of each image id; a repeated id maps to its first position."""
        count = len(self.image_ids)
        return dict(zip(reversed(self.image_ids), range(count - 1, -1, -1)))

    def position_of(self, image_id: str) -> int | None:
        """Return the first position of ``image_id``, or None when the split does not list it."""
        return find_position(self, image_id)

    def labels_of(self, position: int) -> np.ndarray:
        return self.values[self.offsets[position]:self.offsets[position + 1]]


def _empty_index(problem: Problem) -> LabelIndex:
    return LabelIndex([], [], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), False, [problem])


def _label_array(flat: list) -> tuple[np.ndarray, np.ndarray]:
    """Convert label ids (strings in the real files, ints in the README's example) to int32.

    Returns the ids and a mask of the entries kept; an entry that is not an integer is dropped.
    """
    if not flat:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=bool)
    try:
        return np.fromiter(map(int, flat), dtype=np.int32, count=len(flat)), np.ones(len(flat), dtype=bool)
    except (TypeError, ValueError, OverflowError):
        pass
    values = np.zeros(len(flat), dtype=np.int32)
    keep = np.zeros(len(flat), dtype=bool)
    for position, value in enumerate(flat):
        try:
            values[position] = int(value)
            keep[position] = not isinstance(value, bool)
        except (TypeError, ValueError, OverflowError):
            pass
    return values[keep], keep


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while millions of small dicts are created and dropped."""
    # The collector's passes over the fresh records made parsing a synthetic 1M-image
    # train.json three times slower (21 s instead of 7 s for orjson.loads on a 2-CPU VM).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_label_file(path: Path) -> LabelIndex:
    """Parse one 2018 split file with orjson into a LabelIndex; problems are recorded, not raised."""
    with _gc_paused():
        return _parse_label_file(path)


def _parse_label_file(path: Path) -> LabelIndex:
    file_name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return _empty_index(Problem(file_name, f"file could not be read: {error}.", severity="error"))
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return _empty_index(Problem(file_name, f"{json_error_text(raw, error)}.", hint="Download this file again.",
                                    severity="error"))
    del raw
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        return _empty_index(Problem(file_name, 'top level is not an object with an "images" list.',
                                    hint="Expected the 2018 train.json, validation.json or test.json.",
                                    severity="error"))
    problems: list[Problem] = []
    image_ids, urls = _image_columns(data["images"], file_name, problems)

    annotations = data.get("annotations")
    if annotations is None:
        labels_per_image: list[Sequence] = [()] * len(image_ids)
        annotated = False
    elif not isinstance(annotations, list):
        problems.append(Problem(file_name, '"annotations" is not a list; labels ignored.', severity="error"))
        labels_per_image = [()] * len(image_ids)
        annotated = False
    else:
        annotation_ids, label_lists = _annotation_columns(annotations, file_name, problems)
        labels_per_image = _align_annotations(annotation_ids, label_lists, image_ids, file_name, problems)
        annotated = True
    del data

    lengths = np.fromiter(map(len, labels_per_image), dtype=np.int64, count=len(labels_per_image))
    flat = list(itertools.chain.from_iterable(labels_per_image))
    values, keep = _label_array(flat)
    if not keep.all():
        # Recount each image's labels without the dropped entries.
        owners = np.repeat(np.arange(len(lengths)), lengths)
        lengths = np.bincount(owners[keep], minlength=len(lengths)).astype(np.int64)
        dropped = np.flatnonzero(~keep)
        bad = [flat[position] for position in dropped[:5]]
        problems.append(Problem(file_name, f"{dropped.size} label ids are not integers (first: {bad}); they were "
                                           "skipped.", f"imageId {image_ids[owners[dropped[0]]]}"))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    log.info("%s: %d images, %d labels", file_name, len(image_ids), len(values))
    return LabelIndex(image_ids, urls, offsets, values, annotated, problems)


def _column(records: list, keys: Sequence[str]) -> list | None:
    """Return the value of the first of ``keys`` that the first record has, for every record.

    Returns None when a record is not an object or lacks that key, so the caller can
    check each record one by one.
    """
    if not records or not isinstance(records[0], dict):
        return None
    key = next((key for key in keys if key in records[0]), None)
    if key is None:
        return None
    try:
        return [record[key] for record in records]
    except (KeyError, TypeError):
        return None


def _string_ids(values: list | None) -> list[str] | None:
    """Return the ids as strings when all are strings (Kaggle files) or all ints (the README example)."""
    if values is None:
        return None
    if all(type(value) is str for value in values):
        return values
    if all(type(value) is int for value in values):
        return [str(value) for value in values]
    return None


def _image_columns(images: list, file_name: str, problems: list[Problem]) -> tuple[list[str], list[str]]:
    """Return the image ids and URLs; records without an id are skipped and reported."""
    column = _column(images, ID_KEYS)
    image_ids = _string_ids(column)
    if image_ids is not None:
        integer_ids = bool(column) and type(column[0]) is int
        if integer_ids:
            problems.append(_integer_ids_problem(file_name, "images", len(column)))
        urls = [record.get("url") or "" for record in images]
        if all(type(url) is str for url in urls):
            return image_ids, urls
    else:
        integer_ids = False
    image_ids, urls = [], []
    skipped = integers = bad_urls = 0
    for number, record in enumerate(images):
        image_id = _record_id(record, *ID_KEYS) if isinstance(record, dict) else None
        if image_id is None:
            skipped += 1
            _report(problems, skipped, Problem(file_name, "image record has no imageId; skipped.",
                                               f"images[{number}]"))
            continue
        integers += type(next(record[key] for key in ID_KEYS if key in record)) is int
        image_ids.append(image_id)
        url = record.get("url")
        # A url that is not a string would also break the index, which stores URLs as text.
        if url is not None and not isinstance(url, str):
            bad_urls += 1
            _report(problems, bad_urls, Problem(file_name, f"url {url!r} is not a string; the image has no URL.",
                                                f"images[{number}], imageId {image_id}"))
        urls.append(url if isinstance(url, str) else "")
    if skipped > MAX_REPORTED:
        problems.append(Problem(file_name, f"{skipped} image records without imageId in all."))
    if integers and not integer_ids:
        problems.append(_integer_ids_problem(file_name, "images", integers))
    return image_ids, urls


def _integer_ids_problem(file_name: str, key: str, count: int) -> Problem:
    # The Kaggle files give imageId as a string and the competition README's example as an integer.
    return Problem(file_name, f"{count} imageIds in \"{key}\" are integers, not strings as in the Kaggle files; "
                              "they were read as strings.", severity="info")


def _annotation_columns(annotations: list, file_name: str,
                        problems: list[Problem]) -> tuple[list[str | None], list[Sequence]]:
    """Return each annotation's image id and label list; a malformed record gets id None and is reported."""
    annotation_ids = _string_ids(_column(annotations, ID_KEYS))
    label_lists = _column(annotations, LABEL_KEYS)
    if annotation_ids is not None and label_lists is not None and all(type(labels) is list for labels in label_lists):
        return annotation_ids, label_lists
    annotation_ids, label_lists = [], []
    bad = 0
    for number, record in enumerate(annotations):
        image_id = _record_id(record, *ID_KEYS) if isinstance(record, dict) else None
        labels = next((record[key] for key in LABEL_KEYS if key in record), None) if isinstance(record, dict) else None
        if image_id is None or not isinstance(labels, list):
            bad += 1
            _report(problems, bad, Problem(file_name, "annotation has no imageId or no labelId list; skipped.",
                                           f"annotations[{number}]"))
            image_id, labels = None, []
        annotation_ids.append(image_id)
        label_lists.append(labels)
    if bad > MAX_REPORTED:
        problems.append(Problem(file_name, f"{bad} annotations without imageId or labelId in all."))
    return annotation_ids, label_lists


def _align_annotations(annotation_ids: list[str | None], label_lists: list[Sequence], image_ids: list[str],
                       file_name: str, problems: list[Problem]) -> list[Sequence]:
    """Return each image's label list in image order; annotations may be in another order or incomplete."""
    # The released files list annotations in image order, so the common case needs no look-up table.
    if annotation_ids == image_ids:
        return label_lists
    position = {image_id: index for index, image_id in enumerate(image_ids)}
    aligned: list[Sequence] = [()] * len(image_ids)
    unknown = 0
    for image_id, labels in zip(annotation_ids, label_lists):
        index = position.get(image_id) if image_id is not None else None
        if index is None:
            if image_id is not None:
                unknown += 1
                _report(problems, unknown, Problem(file_name, "annotation for an image that is not in \"images\".",
                                                   f"imageId {image_id}"))
            continue
        aligned[index] = list(aligned[index]) + list(labels)
    if unknown > MAX_REPORTED:
        problems.append(Problem(file_name, f"{unknown} annotations for unknown images in all."))
    return aligned


# Building the lookup dict costs about as much as a hundred list scans, so a page that shows
# one sample scans, and a run over many samples (a quality check) builds the dict.
SCANS_BEFORE_LOOKUP_TABLE = 8


def find_position(index, image_id: str) -> int | None:
    """Return the first position of ``image_id`` in ``index.image_ids``, or None.

    The first calls scan the list; later calls use (and first build) ``index.positions``.
    """
    index.lookups += 1
    if index.lookups <= SCANS_BEFORE_LOOKUP_TABLE and "positions" not in index.__dict__:
        try:
            return index.image_ids.index(image_id)
        except ValueError:
            return None
    return index.positions.get(image_id)

"""iMaterialist Fashion: the 2018 image-level labels and the 2019/2020 masks with attributes.

The root holds one folder per release (``2018``, ``2019``, ...) or one release's files
directly. A folder's release kind is detected from the files in it::

    2018 ("labels"):
        train.json, validation.json, test.json   every *.json with an "images" list is a split
        iMat_fashion_2018_label_map_228.csv      optional: a built-in copy is used when absent
        <split>/<imageId>.jpg                     or images/<split>/<imageId>.jpg, images/<imageId>.jpg
    2019 and 2020 ("masks"):
        train.csv                                 one row per mask
        label_descriptions.json                   categories and attributes of that year
        train/<ImageId>, test/, images/           2019 ImageIds end in .jpg; 2020 ImageIds get .jpg added

Usage::

    release = find_releases(root)[0]
    reader = open_release(release)
    sample = reader.load_sample(reader.splits()[0], reader.sample_ids(reader.splits()[0])[0])
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import itertools
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from PIL import Image
from pycocotools import mask as mask_utils

from loaders.model import ImageSource, Instance, Problem, Sample

log = logging.getLogger(__name__)

TABLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "tables"
LABEL_SPLIT_ORDER = ("train", "validation", "test")
MASK_SPLIT_FOLDERS = ("train", "test", "images")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
LABEL_MAP_PATTERN = "*label_map*.csv"
# The Kaggle files spell the keys imageId and labelId; the competition README spells them image_id and label_id.
ID_KEYS = ("imageId", "image_id")
LABEL_KEYS = ("labelId", "label_id")
MASK_COLUMNS = ("ImageId", "EncodedPixels", "Height", "Width", "ClassId")
# At most this many malformed records are reported one by one per file; the rest are counted.
MAX_REPORTED = 20


@dataclass(frozen=True)
class Release:
    """One release folder: ``kind`` is "labels" (2018) or "masks" (2019, 2020)."""

    name: str  # folder name relative to the root, "." for the root itself
    path: Path
    kind: str


def release_kind(folder: Path) -> str | None:
    """Return "labels", "masks" or None from the files present in ``folder``."""
    if any((folder / f"{split}.json").is_file() for split in LABEL_SPLIT_ORDER) or any(folder.glob(LABEL_MAP_PATTERN)):
        return "labels"
    if (folder / "train.csv").is_file() or (folder / "label_descriptions.json").is_file():
        return "masks"
    if any((folder / name).is_dir() for name in MASK_SPLIT_FOLDERS):
        return "masks"
    return None


def find_releases(root: Path) -> list[Release]:
    """Return the root itself when it is a release folder, else its release subfolders by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    kind = release_kind(root)
    if kind is not None:
        return [Release(".", root, kind)]
    releases = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")):
        kind = release_kind(folder)
        if kind is not None:
            releases.append(Release(folder.name, folder, kind))
    return releases


def open_release(release: Release) -> LabelRelease | MaskRelease:
    """Return the reader for a release folder."""
    return LabelRelease(release.path) if release.kind == "labels" else MaskRelease(release.path)


def _record_id(record: dict, *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None


def _find_image(folders: Sequence[Path], name: str) -> Path | None:
    for folder in folders:
        for suffix in ("", *IMAGE_SUFFIXES):
            path = folder / f"{name}{suffix}"
            if (suffix or path.suffix.lower() in IMAGE_SUFFIXES) and path.is_file():
                return path
    return None


def _report(problems: list[Problem], count: int, problem: Problem) -> None:
    """Append ``problem`` unless ``MAX_REPORTED`` of its kind were already reported."""
    if count <= MAX_REPORTED:
        problems.append(problem)


# ---------------------------------------------------------------- 2018: image-level labels


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
        # newline="" lets the csv module take the file's CRLF line ends.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
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

    def labels_of(self, position: int) -> np.ndarray:
        return self.values[self.offsets[position]:self.offsets[position + 1]]


def _empty_index(problem: Problem) -> LabelIndex:
    return LabelIndex([], [], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), False, [problem])


def _label_array(flat: list, file_name: str, problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """Convert label ids (strings in the real files, ints in the README's example) to int32.

    Returns the ids and a mask of the entries kept; an entry that is not an integer is dropped and reported.
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
        except (TypeError, ValueError):
            pass
    bad = [flat[position] for position in np.flatnonzero(~keep)[:5]]
    problems.append(Problem(file_name, f"{int((~keep).sum())} label ids are not integers (first: {bad}); "
                                       "they were skipped."))
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
        data = orjson.loads(path.read_bytes())
    except OSError as error:
        return _empty_index(Problem(file_name, f"file could not be read: {error}.", severity="error"))
    except orjson.JSONDecodeError as error:
        return _empty_index(Problem(file_name, f"invalid JSON at line {error.lineno}, column {error.colno}: "
                                               f"{error.msg}.", hint="Download this file again.", severity="error"))
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
    values, keep = _label_array(flat, file_name, problems)
    if not keep.all():
        # Recount each image's labels without the dropped entries.
        owners = np.repeat(np.arange(len(lengths)), lengths)
        lengths = np.bincount(owners[keep], minlength=len(lengths)).astype(np.int64)
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
    image_ids = _string_ids(_column(images, ID_KEYS))
    if image_ids is not None:
        return image_ids, [record.get("url") or "" for record in images]
    image_ids, urls = [], []
    skipped = 0
    for number, record in enumerate(images):
        image_id = _record_id(record, *ID_KEYS) if isinstance(record, dict) else None
        if image_id is None:
            skipped += 1
            _report(problems, skipped, Problem(file_name, "image record has no imageId; skipped.",
                                               f"images[{number}]"))
            continue
        image_ids.append(image_id)
        url = record.get("url")
        urls.append(url if isinstance(url, str) else "")
    if skipped > MAX_REPORTED:
        problems.append(Problem(file_name, f"{skipped} image records without imageId in all."))
    return image_ids, urls


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


class LabelRelease:
    """Lazy reader of a 2018 folder; see the module docstring for the layout."""

    kind = "labels"
    year = "2018"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._indexes: dict[str, LabelIndex] = {}

    @functools.cached_property
    def label_map(self) -> LabelMap:
        return read_label_map(self.folder)

    @property
    def problems(self) -> list[Problem]:
        return list(self.label_map.problems)

    def split_files(self) -> dict[str, Path]:
        """Return split name to JSON file: train, validation, test first, then other *.json by name."""
        names = {path.stem: path for path in self.folder.glob("*.json") if path.is_file()}
        order = sorted(names, key=lambda name: (LABEL_SPLIT_ORDER.index(name) if name in LABEL_SPLIT_ORDER
                                                else len(LABEL_SPLIT_ORDER), name))
        return {name: names[name] for name in order}

    def splits(self) -> list[str]:
        return list(self.split_files())

    def index(self, split: str) -> LabelIndex:
        """Return the parsed split, parsing its file on the first call."""
        if split not in self._indexes:
            path = self.split_files().get(split, self.folder / f"{split}.json")
            self._indexes[split] = parse_label_file(path)
        return self._indexes[split]

    def sample_ids(self, split: str) -> list[str]:
        return self.index(split).image_ids

    def image_folders(self, split: str) -> list[Path]:
        candidates = (self.folder / split, self.folder / "images" / split, self.folder / "images")
        return [folder for folder in candidates if folder.is_dir()]

    def load_sample(self, split: str, sample_id: str) -> Sample:
        """Return one image's labels grouped by task; ``image.path`` is None when the image was not downloaded."""
        index = self.index(split)
        try:
            position = index.image_ids.index(sample_id)
        except ValueError:
            problem = Problem(str(self.split_files().get(split, split)), "image id not found.", f"imageId {sample_id}",
                              severity="error")
            return Sample(id=sample_id, split=split, problems=[problem])
        url = index.urls[position]
        sample = Sample(id=sample_id, split=split,
                        image=ImageSource(path=_find_image(self.image_folders(split), sample_id), url=url))
        label_ids = [int(value) for value in index.labels_of(position)]
        sample.labels = self.group_labels(label_ids)
        sample.fields = {"url": url, "label_ids": label_ids, "annotated": index.annotated}
        unknown = [label_id for label_id in label_ids if label_id not in self.label_map.labels]
        if unknown:
            sample.problems.append(Problem(str(self.split_files().get(split)), f"label ids {unknown} are not in the "
                                           f"label map {self.label_map.source}.", f"imageId {sample_id}"))
        return sample

    def group_labels(self, label_ids: Sequence[int]) -> dict[str, list[str]]:
        """Return label names grouped by task, tasks in task id order, unknown ids last."""
        groups: dict[str, list[str]] = {task: [] for task in self.label_map.task_order()}
        for label_id in label_ids:
            name, task = self.label_map.labels.get(label_id, (f"label {label_id}", "unknown"))
            groups.setdefault(task, []).append(name)
        return {task: names for task, names in groups.items() if names}

    def label_counts(self, split: str, positions: np.ndarray | None = None) -> pd.DataFrame:
        """Return one row per label of the map (and per unknown id): label_id, label, task, images.

        With ``positions`` (image positions in the split), only those images are counted.
        """
        index = self.index(split)
        values = index.values if positions is None else index.values[np.isin(index.owners, positions)]
        counts = np.bincount(values[values >= 0]) if len(values) else np.zeros(0, dtype=np.int64)
        label_ids = sorted(set(self.label_map.labels) | {int(value) for value in np.flatnonzero(counts)})
        rows = []
        for label_id in label_ids:
            name, task = self.label_map.labels.get(label_id, (f"label {label_id}", "unknown"))
            count = int(counts[label_id]) if label_id < len(counts) else 0
            rows.append({"label_id": label_id, "label": name, "task": task, "images": count})
        return pd.DataFrame(rows, columns=["label_id", "label", "task", "images"])

    def filter_positions(self, split: str, label_ids: Sequence[int], require_all: bool = True) -> np.ndarray:
        """Return the positions of images that have all (or any) of ``label_ids``; no labels keeps every image."""
        index = self.index(split)
        chosen = set(label_ids)
        if not chosen:
            return np.arange(len(index.image_ids))
        hits = np.zeros(len(index.image_ids), dtype=np.int32)
        for label_id in chosen:
            has = np.zeros(len(index.image_ids), dtype=bool)
            has[index.owners[index.values == label_id]] = True
            hits += has
        return np.flatnonzero(hits == len(chosen) if require_all else hits > 0)

    def filter_ids(self, split: str, label_ids: Sequence[int], require_all: bool = True) -> list[str]:
        """Return the ids of images that have all (or any) of ``label_ids``, in file order."""
        index = self.index(split)
        if not label_ids:
            return index.image_ids
        return [index.image_ids[position] for position in self.filter_positions(split, label_ids, require_all)]


# ---------------------------------------------------------------- 2019 / 2020: masks with attributes


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
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        table = builtin_label_table(fallback_year)
        table.problems.append(Problem(str(path), f"could not be read ({error}); using the built-in "
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


def scan_mask_csv(path: Path) -> MaskIndex:
    """Read train.csv once and index its rows by image; the masks are decoded later, per sample."""
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
        return _mask_index([], [], problems)

    with handle:
        header = handle.readline()
        columns = next(csv.reader([header.decode("utf-8-sig", errors="replace")]), [])
        missing = [name for name in MASK_COLUMNS if name not in columns]
        if missing:
            problems.append(Problem(file_name, f"header has no column {', '.join(missing)}.", "line 1",
                                    hint=f"Expected {','.join(MASK_COLUMNS)} (2020 adds AttributesIds).",
                                    severity="error"))
            return _mask_index(columns, [], problems)

        offset = len(header)
        bad = 0
        for line_number, raw in enumerate(handle, start=2):
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

    index = _mask_index(columns, image_ids, problems)
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


def _mask_index(columns: list[str], image_ids: list[str], problems: list[Problem]) -> MaskIndex:
    empty = np.zeros(0, dtype=np.int32)
    return MaskIndex(columns, image_ids, np.zeros(0, dtype=np.int64), empty, empty, empty, empty,
                     np.zeros(1, dtype=np.int64), empty, problems)


class MaskRelease:
    """Lazy reader of a 2019 or 2020 folder; see the module docstring for the layout."""

    kind = "masks"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.csv_path = self.folder / "train.csv"

    @functools.cached_property
    def csv_columns(self) -> list[str]:
        if not self.csv_path.is_file():
            return []
        with self.csv_path.open("rb") as handle:
            header = handle.readline().decode("utf-8-sig", errors="replace")
        return next(csv.reader([header]), [])

    @functools.cached_property
    def year(self) -> str:
        """Return "2020" when train.csv has AttributesIds, "2019" when it has not, else a guess from the folder."""
        if "AttributesIds" in self.csv_columns:
            return "2020"
        if self.csv_columns:
            return "2019"
        digits = re.findall(r"20(?:19|20)", self.folder.name)
        return digits[0] if digits else ""

    @functools.cached_property
    def labels(self) -> LabelTable:
        return read_label_table(self.folder, self.year)

    @functools.cached_property
    def index(self) -> MaskIndex:
        if not self.csv_path.is_file():
            return _mask_index([], [], [])
        return scan_mask_csv(self.csv_path)

    @property
    def problems(self) -> list[Problem]:
        """Return the problems of the label table and of train.csv (reading it when not read yet)."""
        problems = list(self.labels.problems)
        if not self.csv_path.is_file():
            problems.append(Problem(str(self.csv_path), "not found: no masks to show.", severity="info",
                                    hint="Images in train/, test/ or images/ are shown without annotations."))
        else:
            problems.extend(self.index.problems)
            if not self.index.row_offsets.size and not any(p.severity == "error" for p in self.index.problems):
                problems.append(Problem(str(self.csv_path), "contains only its header: no annotation rows.",
                                        severity="info"))
        return problems

    def splits(self) -> list[str]:
        """Return "train" (train.csv rows or the train/ folder) and the image folders test/ and images/."""
        names = []
        if self.csv_path.is_file() or (self.folder / "train").is_dir():
            names.append("train")
        names.extend(name for name in MASK_SPLIT_FOLDERS[1:] if (self.folder / name).is_dir())
        return names

    def image_names(self, split: str) -> list[str]:
        """Return the image file names of a split folder without their suffix, sorted."""
        folder = self.folder / split
        if not folder.is_dir():
            return []
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if entry.name.lower().endswith(IMAGE_SUFFIXES)]
        return sorted(os.path.splitext(name)[0] for name in names)

    def sample_ids(self, split: str) -> list[str]:
        """Return the ImageIds of train.csv for "train" when it has rows, else the images of the split folder."""
        if split == "train" and self.index.image_ids:
            return self.index.image_ids
        return self.image_names(split)

    def image_path(self, split: str, sample_id: str) -> Path:
        found = _find_image([self.folder / split], sample_id)
        return found or self.folder / split / (sample_id if sample_id.lower().endswith(IMAGE_SUFFIXES)
                                               else f"{sample_id}.jpg")

    def read_rows(self, sample_id: str) -> list[tuple[int, dict[str, str]]]:
        """Return (line number, values by column) for each train.csv row of an image."""
        index = self.index
        try:
            image_position = index.image_ids.index(sample_id)
        except ValueError:
            return []
        rows = []
        with self.csv_path.open("rb") as handle:
            for row in np.flatnonzero(index.row_images == image_position):
                handle.seek(int(index.row_offsets[row]))
                text = handle.read(int(index.row_lengths[row])).decode("utf-8", errors="replace").strip()
                rows.append((int(index.row_lines[row]), dict(zip(index.columns, next(csv.reader([text]))))))
        return rows

    def load_sample(self, split: str, sample_id: str) -> Sample:
        """Return one image with its masks decoded into COCO RLEs, named from the release's label table."""
        path = self.image_path(split, sample_id)
        sample = Sample(id=sample_id, split=split, image=ImageSource(path=path))
        rows = self.read_rows(sample_id) if split == "train" else []
        for line, values in rows:
            instance = self.parse_row(line, values)
            sample.instances.append(instance)
            sample.problems.extend(instance.problems)
        sizes = {(instance.fields["Height"], instance.fields["Width"]) for instance in sample.instances
                 if instance.rle is not None}
        if sizes:
            sample.height, sample.width = min(sizes)
        if len(sizes) > 1:
            sample.problems.append(Problem(str(self.csv_path), f"rows of this image give different Height, Width "
                                                               f"{sorted(sizes)}.", f"ImageId {sample_id}"))
        if sizes and path.is_file():
            self._check_image_size(sample, path)
        return sample

    def _check_image_size(self, sample: Sample, path: Path) -> None:
        try:
            with Image.open(path) as image:
                width, height = image.size
        except OSError:
            return  # read_image reports unreadable files when the page draws them
        if (height, width) != (sample.height, sample.width):
            sample.problems.append(Problem(
                str(self.csv_path), f"masks are {sample.width}x{sample.height} but {path.name} is {width}x{height} "
                                    "pixels; masks are drawn from the top-left corner.",
                f"ImageId {sample.id}", hint="Check that the image file belongs to this train.csv."))

    def parse_row(self, line: int, values: dict[str, str]) -> Instance:
        """Turn one train.csv row into an Instance with a COCO RLE, recording problems instead of raising."""
        file_name = str(self.csv_path)
        record = f"line {line}, ImageId {values.get('ImageId', '')}"
        instance = Instance(id=f"line {line}")
        instance.fields = {"line": line, "ClassId": values.get("ClassId", ""), "Height": None, "Width": None}

        try:
            category_id, attribute_ids = split_class_id(values)
        except (KeyError, ValueError, AttributeError):
            instance.problems.append(Problem(file_name, f"ClassId {values.get('ClassId')!r} or AttributesIds "
                                             f"{values.get('AttributesIds')!r} is not a list of integers.", record))
            category_id, attribute_ids = None, []
        if category_id is not None:
            instance.category_id = category_id
            instance.category_name = self.labels.category_name(category_id)
            instance.group = self.labels.categories.get(category_id, {}).get("supercategory", "")
            if category_id not in self.labels.categories:
                instance.problems.append(Problem(file_name, f"category id {category_id} is not in "
                                                 f"{self.labels.source}.", record))
        instance.attribute_ids = attribute_ids
        instance.attributes = [self.labels.attribute_name(attribute_id) for attribute_id in attribute_ids]
        unknown = [attribute_id for attribute_id in attribute_ids if attribute_id not in self.labels.attributes]
        if unknown:
            instance.problems.append(Problem(file_name, f"attribute ids {unknown} are not in {self.labels.source}.",
                                             record, hint="Use the label_descriptions.json of the same year."))

        try:
            height, width = int(values["Height"]), int(values["Width"])
        except (KeyError, TypeError, ValueError):
            height = width = 0
        if height <= 0 or width <= 0:
            instance.problems.append(Problem(file_name, f"Height {values.get('Height')!r} and Width "
                                             f"{values.get('Width')!r} are not positive integers; no mask.", record,
                                             severity="error"))
            return instance
        instance.fields.update(Height=height, Width=width)

        rle, issues = encoded_pixels_to_rle(values.get("EncodedPixels", ""), height, width)
        for issue in issues:
            instance.problems.append(Problem(file_name, f"{issue}.", record,
                                             severity="warning" if rle is not None else "error"))
        if rle is not None:
            instance.rle = rle
            x, y, w, h = mask_utils.toBbox(rle).tolist()
            instance.bbox = np.array([x, y, x + w, y + h], dtype=np.float64)
            instance.fields["area"] = int(mask_utils.area(rle))
        return instance

    def category_counts(self) -> pd.DataFrame:
        """Return per category id: name, instances (rows of train.csv) and images."""
        index = self.index
        rows = []
        for category_id in sorted(set(self.labels.categories) | set(np.unique(index.row_categories).tolist())):
            chosen = index.row_categories == category_id
            rows.append({"category_id": category_id, "category": self.labels.category_name(category_id),
                         "instances": int(chosen.sum()), "images": int(np.unique(index.row_images[chosen]).size)})
        return pd.DataFrame(rows, columns=["category_id", "category", "instances", "images"])

    def filter_ids(self, category_ids: Sequence[int] = (), attribute_ids: Sequence[int] = ()) -> list[str]:
        """Return the train ImageIds with at least one mask of a chosen category having a chosen attribute.

        An empty choice matches everything.
        """
        index = self.index
        keep = np.ones(index.row_images.size, dtype=bool)
        if category_ids:
            keep &= np.isin(index.row_categories, list(category_ids))
        if attribute_ids:
            owners = np.repeat(np.arange(index.row_images.size), np.diff(index.attribute_offsets))
            has = np.zeros(index.row_images.size, dtype=bool)
            has[owners[np.isin(index.attribute_values, list(attribute_ids))]] = True
            keep &= has
        positions = np.unique(index.row_images[keep])
        return [index.image_ids[position] for position in positions]


def instance_table(sample: Sample) -> pd.DataFrame:
    """Return one row per mask: line, category, supercategory, attributes, area and box."""
    rows = []
    for instance in sample.instances:
        box = "" if instance.bbox is None else ", ".join(f"{value:.0f}" for value in instance.bbox)
        rows.append({"line": instance.fields.get("line"),
                     "category": f"{instance.category_id} {instance.category_name}",
                     "supercategory": instance.group,
                     "attributes": "; ".join(f"{attribute_id} {name}" for attribute_id, name
                                             in zip(instance.attribute_ids, instance.attributes)),
                     "area": instance.fields.get("area"), "box (xyxy)": box})
    return pd.DataFrame(rows, columns=["line", "category", "supercategory", "attributes", "area", "box (xyxy)"])


def label_table(sample: Sample) -> pd.DataFrame:
    """Return one row per task of a 2018 sample: task and its label names."""
    return pd.DataFrame([{"task": task, "labels": ", ".join(names)} for task, names in sample.labels.items()],
                        columns=["task", "labels"])

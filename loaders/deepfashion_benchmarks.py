"""One reader per DeepFashion benchmark, all with the same small interface for the page.

Each benchmark reads a list only when it is first needed. Opening one reads the
partition and the lists of the first sample. Category and Attribute Prediction and
Fashion Landmark Detection can instead attach a persistent index of their lists
(``open_index``, see ``loaders/deepfashion_index.py``): it is built once, with the
600 MB attribute list parsed vectorised and kept sparse, and after that names,
filters and samples come from the index. The retrieval benchmarks and the fine
subset are always read directly.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from loaders.deepfashion import (
    JOINT_COLUMNS,
    AttributeNames,
    BenchmarkLocation,
    BoxTable,
    LandmarkTable,
    box_record,
    category_table,
    code_name,
    joint_schema,
    landmark_record,
    landmark_schema,
    read_partition,
    tables,
)
from loaders.deepfashion_index import INDEX_KIND, LIST_FILES, ImageRow, ListIndex, build_index
from loaders.deepfashion_index import Progress as IndexProgress
from loaders.deepfashion_lists import (
    LineIndex,
    non_utf8_problems,
    positive_attributes,
    read_head,
    read_list,
    read_number_rows,
    read_plain_lines,
    triplets_to_keypoints,
)
from loaders.index_store import build_or_open, index_path, source_signature
from loaders.model import ImageSource, Instance, Problem, Related, Sample

log = logging.getLogger(__name__)

ALL = "all"
# Images shown from the heads of the lists while the index of a large benchmark is built.
PREVIEW_ROWS = 200
SPLIT_ORDER = ("train", "val", "test", "query", "gallery", ALL)
Progress = Callable[[int], None]


def _ordered_splits(statuses) -> list[str]:
    def order(name: str) -> tuple[int, str]:
        return (SPLIT_ORDER.index(name) if name in SPLIT_ORDER else len(SPLIT_ORDER), name)

    return sorted(set(statuses) - {ALL}, key=order) + [ALL]


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


class Benchmark:
    """Shared parts: list files, image paths, instances. Subclasses set ``key`` and fill the rest."""

    key = ""

    def __init__(self, location: BenchmarkLocation):
        self.location = location
        self.problems: list[Problem] = []
        self._image_base: Path | None = None

    @property
    def title(self) -> str:
        return self.location.title

    def file(self, name: str) -> Path | None:
        return self.location.file(name)

    def _keep(self, table):
        """Record the problems met while reading a list table, and return the table."""
        self.problems.extend(table.problems)
        return table

    def image_path(self, name: str) -> Path:
        """Return the path of an image named as in the lists (``img/...``), under the base or ``Img/``."""
        if self._image_base is None:
            candidates = [self.location.base, self.location.base / "Img"]
            self._image_base = next((base for base in candidates if (base / name).is_file()), None)
            if self._image_base is None:
                return self.location.base / name
        return self._image_base / name

    # Column of evaluation_status in list_eval_partition.txt (read into ``partition``).
    status_column = 1

    @functools.cached_property
    def partition(self) -> pd.DataFrame:
        return read_partition(self.file("list_eval_partition.txt"), self.status_column, self.problems)

    def splits(self) -> list[str]:
        """Return the evaluation statuses present, in the benchmark's order, and ``all``."""
        return _ordered_splits(self.partition[self.status_column]) if len(self.partition) else [ALL]

    def sample_ids(self, split: str, chosen: dict[str, list] | None = None,
                   progress: Progress | None = None) -> list[str]:
        raise NotImplementedError

    def load_sample(self, sample_id: str) -> Sample:
        raise NotImplementedError

    def filters(self) -> dict[str, dict]:
        """Return the filters the page offers: name -> {value: label}."""
        return {}

    def related(self, sample: Sample) -> list[Sample]:
        """Return the samples shown beside this one (the item's other images, the shop images)."""
        return []

    def _garment(self, name: str, boxes: BoxTable | None, landmarks: LandmarkTable | None,
                 sample: Sample) -> Instance:
        """Build the garment instance of an image from its box and landmark rows."""
        instance = Instance(id="garment")
        if boxes is not None:
            set_box(instance, sample, *boxes.box(name))
        if landmarks is not None:
            set_landmarks(instance, sample, *landmarks.keypoints(name))
        return instance

    def open_index(self, progress: IndexProgress | None = None) -> ListIndex | None:
        """Open the persistent index of the lists, building it first; None for benchmarks read directly."""
        return None

    def needs_index_build(self) -> bool:
        """Return whether opening the index would build it first (never, for benchmarks read directly)."""
        return False

    def keys(self, split: str, ids: list[str]) -> list[tuple[str, str]]:
        """Return the (split, sample_id) key of each sample, with the split that loading the sample gives."""
        return [(self.split_of(sample_id), sample_id) for sample_id in ids]

    def split_of(self, name: str) -> str:
        return ""

    def keyed_sample(self, split: str, sample_id: str) -> Sample:
        """Load a sample under its page key, for the quality checks; ``image_name`` keeps the file's name.

        An In-shop sample is an item shown through its first image, so its id becomes the item id.
        """
        sample = self.load_sample(sample_id)
        sample.fields.setdefault("image_name", sample.id)
        sample.id, sample.split = sample_id, split
        return sample

    def landmark_row(self, name: str) -> tuple[np.ndarray, bool, str, str] | None:
        """Return an image's landmark numbers, whether the file has a variation column, the file and the line."""
        table = getattr(self, "landmarks", None)
        row = table.row_of.get(name) if table is not None else None
        if row is None:
            return None
        return table.numbers[row], table.has_variation, str(table.path), f"line {table.listing.line_of(row)}"


def set_box(instance: Instance, sample: Sample, box: np.ndarray | None, types: list[float],
            problems: list[Problem]) -> None:
    instance.bbox = box
    sample.problems.extend(problem for problem in problems if problem.severity != "info")


def set_landmarks(instance: Instance, sample: Sample, record: dict, problems: list[Problem]) -> None:
    sample.problems.extend(problem for problem in problems if problem.severity != "info")
    if record:
        instance.keypoints = record["keypoints"]
        instance.keypoint_schema = record["schema"]
        instance.fields["clothes_type"] = code_name("clothes_types", record["clothes_type"])
        if record["variation_type"] is not None:
            instance.fields["variation_type"] = code_name("variation_types", record["variation_type"])


class CategoryAttribute(Benchmark):
    """Category and Attribute Prediction: category, box, landmarks and 1000 attributes per image.

    Reads the lists directly until ``open_index`` attaches the persistent index; from then
    on names, splits, filters and samples come from the index.
    """

    key = "category_attribute"

    def __init__(self, location: BenchmarkLocation):
        super().__init__(location)
        self._positives: tuple[list[str], np.ndarray, np.ndarray] | None = None
        # Labels per row of list_attr_img.txt, set by ``positives``.
        self.label_counts = np.zeros(0, dtype=np.int32)
        self.index: ListIndex | None = None

    def list_path(self, role: str) -> Path | None:
        return self.file(LIST_FILES[role])

    def needs_index_build(self) -> bool:
        return self.index is None and not self.index_file().is_file()

    def index_file(self) -> Path:
        """Return where the persistent index of the current list files is (or will be) stored."""
        candidates = [self.list_path(role) or self.location.anno / name for role, name in LIST_FILES.items()]
        return index_path(INDEX_KIND, source_signature(candidates))

    def preview(self, rows: int = PREVIEW_ROWS) -> ListPreview:
        """Return a reader of the first ``rows`` images of every list, for use while the index is built.

        The lists of the release give the images in the same order, so the first rows of
        each list describe the same images. The head of each list is copied into a folder
        of the cache (one stat and a few kilobytes per list), and read directly.
        """
        folder = self.index_file().with_suffix(".preview")
        folder.mkdir(parents=True, exist_ok=True)
        sources = {}
        for role, name in LIST_FILES.items():
            source = self.list_path(role)
            if source is not None:
                # The short name tables (categories, attributes) are copied whole.
                keep = None if role in ("category_names", "attribute_names") else rows
                copy_list_head(source, folder / name, keep)
                sources[str(folder / name)] = str(source)
        # Image names stay relative to the benchmark's own folder.
        return ListPreview(type(self)(dataclasses.replace(self.location, anno=folder, eval=None)), sources)

    def open_index(self, progress: IndexProgress | None = None) -> ListIndex:
        if self.index is None:
            path = self.index_file()
            # A separate reader builds it, so the parsed lists are freed once the index is written.
            connection = build_or_open(path, lambda c: build_index(c, type(self)(self.location), progress))
            self.index = ListIndex(connection)
            self.problems.extend(problem for problem in self.index.problems() if problem not in self.problems)
        return self.index

    @functools.cached_property
    def category_of(self) -> pd.Series:
        path = self.list_path("category")
        if path is None:
            return pd.Series(dtype="float64")
        listing = read_list(path, 2)
        self.problems.extend(listing.problems)
        labels = listing.frame[1].to_numpy(dtype=np.float64, copy=True)
        bad = np.flatnonzero(~np.isfinite(labels))
        for row in bad[:20].tolist():
            self.problems.append(Problem(str(path), "category_label is missing, NaN, infinity or text.",
                                         f"line {listing.line_of(row)}", hint="The image is shown without a category."))
        if len(bad) > 20:
            self.problems.append(Problem(str(path), f"{len(bad)} rows have no valid category_label."))
        # Infinity becomes NaN, so every reader treats it as a missing category.
        labels[bad] = np.nan
        return pd.Series(labels, index=listing.frame[0].to_numpy())

    @functools.cached_property
    def categories(self) -> dict[int, tuple[str, int | None]]:
        table, problems = category_table(self.list_path("category_names"))
        self.problems.extend(problems)
        return table

    @functools.cached_property
    def boxes(self) -> BoxTable | None:
        path = self.list_path("bbox")
        return self._keep(BoxTable(path, 1)) if path else None

    @functools.cached_property
    def landmarks(self) -> LandmarkTable | None:
        path = self.list_path("landmarks")
        return self._keep(LandmarkTable(path)) if path else None

    @functools.cached_property
    def attribute_names(self) -> AttributeNames:
        names = AttributeNames(self.list_path("attribute_names"))
        self.problems.extend(names.problems)
        return names

    @functools.cached_property
    def joints(self) -> LandmarkTable | None:
        path = self.list_path("joints")
        return self._keep(LandmarkTable(path, JOINT_COLUMNS)) if path else None

    @functools.cached_property
    def attribute_rows(self) -> LineIndex | None:
        path = self.list_path("attributes")
        return LineIndex(path) if path else None

    def positives(self, progress: Progress | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Return (image names, CSR pointers, attribute indices) of every image's positive attributes.

        The full file is parsed once, on the first call; ``progress`` gets the rows read.
        """
        if self._positives is None:
            path = self.list_path("attributes")
            if path is None:
                self._positives = ([], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int16))
            else:
                count = len(self.attribute_names) or 1000
                invalid_rows: list[int] = []
                names, indptr, indices, label_counts = positive_attributes(path, count, progress=progress,
                                                                           invalid_rows=invalid_rows)
                self.add_attribute_row_problems(path, names, label_counts, count)
                for row in invalid_rows[:20]:
                    self.add_label_problem(path, names[row])
                self._positives = (names, indptr, indices)
                self.label_counts = label_counts
        return self._positives

    def add_label_problem(self, path: Path, name: str) -> None:
        """Record the row of an image in list_attr_img.txt with a label other than 1, -1 or 0, once."""
        problem = Problem(str(path), "a label is not 1, -1 or 0 (text, NaN or bytes that are not UTF-8).", name,
                          hint="That label is read as not positive.")
        if problem not in self.problems:
            self.problems.append(problem)

    def add_attribute_row_problems(self, path: Path, names: list[str], label_counts: np.ndarray,
                                   count: int) -> None:
        """Record the rows of list_attr_img.txt with a label count other than ``count``, the first 20 by name."""
        bad_rows = np.flatnonzero(label_counts != count).tolist()
        for row in bad_rows[:20]:
            self.problems.append(Problem(str(path), f"the row does not have {count} labels.",
                                         names[row], hint="Its positive labels may be misplaced."))
        if len(bad_rows) > 20:
            self.problems.append(Problem(str(path), f"{len(bad_rows)} rows do not have {count} labels."))

    def all_names(self) -> list[str]:
        """Return the image names in the order of the first list present: partition, categories, landmarks, boxes."""
        if self.index is not None:
            return self.index.names(ALL)
        if len(self.partition):
            return self.partition[0].tolist()
        if len(self.category_of):
            return self.category_of.index.tolist()
        for table in (self.landmarks, self.boxes):
            if table is not None:
                return list(table.row_of)
        if self._positives is not None:
            return list(self._positives[0])
        return list(self.attribute_rows.row_of) if self.attribute_rows is not None else []

    def splits(self) -> list[str]:
        if self.index is not None:
            return _ordered_splits(self.index.splits())
        return super().splits()

    def split_of(self, name: str) -> str:
        if self.index is not None:
            return self.index.split_of(name)
        if not len(self.partition):
            return ""
        if not hasattr(self, "_split_of"):
            self._split_of = dict(zip(self.partition[0], self.partition[1]))
        return self._split_of.get(name, "")

    def filters(self) -> dict[str, dict]:
        categories = {number: name for number, (name, _) in self.categories.items()}
        attributes = {index: f"{self.attribute_names.name(index)} ({self.attribute_names.type_name(index)})"
                      for index in range(len(self.attribute_names))}
        return {"category": categories, "attribute": attributes}

    def sample_ids(self, split: str, chosen: dict[str, list] | None = None,
                   progress: Progress | None = None) -> list[str]:
        chosen = chosen or {}
        if self.index is not None:
            return self.index.matching(split, chosen.get("category"), chosen.get("attribute"))
        if split != ALL and len(self.partition):
            names = self.partition[0][self.partition[1] == split]
        else:
            names = pd.Series(self.all_names())
        if chosen.get("category") and len(self.category_of):
            in_categories = self.category_of[self.category_of.isin(chosen["category"])].index
            names = names[names.isin(in_categories)]
        if chosen.get("attribute"):
            attribute_names, indptr, indices = self.positives(progress)
            rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
            keep: set[str] | None = None
            # An image passes when it has every chosen attribute.
            for attribute in chosen["attribute"]:
                having = {attribute_names[row] for row in np.unique(rows[indices == attribute]).tolist()}
                keep = having if keep is None else keep & having
            names = names[names.isin(keep or set())]
        return names.tolist()

    def image_row(self, name: str) -> ImageRow:
        """Return an image's rows from the index when attached, else from the lists."""
        if self.index is not None:
            return self.index.row(name) or ImageRow(name)
        row = ImageRow(name, split=self.split_of(name))
        category = self.category_of.get(name) if len(self.category_of) else None
        # category_of contains NaN, not infinity, for a label that is no number (see category_of).
        row.category = float(category) if category is not None and pd.notna(category) else None
        if self.boxes is not None and (position := self.boxes.row_of.get(name)) is not None:
            row.box, row.box_line = self.boxes.numbers[position], self.boxes.listing.line_of(position)
        if self.landmarks is not None and (position := self.landmarks.row_of.get(name)) is not None:
            row.landmarks = self.landmarks.numbers[position]
            row.landmark_line = self.landmarks.listing.line_of(position)
        if self.joints is not None and (position := self.joints.row_of.get(name)) is not None:
            row.joints, row.joint_line = self.joints.numbers[position], self.joints.listing.line_of(position)
        if self.attribute_rows is not None and (tokens := self.attribute_rows.tokens(name)) is not None:
            limit = len(self.attribute_names) or 1000
            # As in the full parse, labels past the attribute count are dropped.
            row.attributes = [index for index, label in enumerate(tokens) if label == "1" and index < limit]
            row.label_count = len(tokens)
            if not set(tokens) <= {"1", "-1", "0"}:
                self.add_label_problem(self.attribute_rows.path, name)
        return row

    def landmark_row(self, name: str) -> tuple[np.ndarray, bool, str, str] | None:
        row = self.image_row(name)
        if row.landmarks is None:
            return None
        file_name, has_variation = self.landmark_file()
        return row.landmarks, has_variation, file_name, f"line {row.landmark_line}"

    def landmark_file(self, role: str = "landmarks") -> tuple[str, bool]:
        """Return the path of the landmark or joint list and whether its rows have a variation_type column."""
        if self.index is not None:
            return self.index.file(role) or "", self.index.has_variation(role)
        table = self.landmarks if role == "landmarks" else self.joints
        return (str(table.path), table.has_variation) if table is not None else ("", False)

    def load_sample(self, sample_id: str) -> Sample:
        return self._sample_from_row(self.image_row(sample_id))

    def _sample_from_row(self, row: ImageRow) -> Sample:
        sample_id = row.name
        image = ImageSource(path=self.image_path(sample_id), root=self.location.base)
        sample = Sample(id=sample_id, split=row.split, image=image)
        instance = Instance(id="garment")
        if row.box is not None:
            set_box(instance, sample, *box_record(row.box, 1, str(self.list_path("bbox")), f"line {row.box_line}"))
        if row.landmarks is not None:
            file_name, has_variation = self.landmark_file()
            set_landmarks(instance, sample, *landmark_record(row.landmarks, has_variation, file_name,
                                                             f"line {row.landmark_line}"))
        if row.category is not None:
            instance.category_id = int(row.category)
            entry = self.categories.get(int(row.category))
            instance.category_name = entry[0] if entry else f"category {int(row.category)}"
            if entry is None:
                sample.problems.append(Problem(
                    "list_category_img.txt", f"category {int(row.category)} is not among the category ids "
                    f"1 to {len(self.categories)}.", sample_id, hint="Check list_category_cloth.txt."))
        instance.category_name = instance.category_name or instance.fields.get("clothes_type", "garment")
        positive = self._positive_ids(row, sample)
        instance.attribute_ids = positive
        instance.attributes = [self.attribute_names.name(index) for index in positive]
        sample.labels = self.attribute_names.grouped(positive)
        sample.instances.append(instance)
        return sample

    def _positive_ids(self, row: ImageRow, sample: Sample) -> list[int]:
        path = self.list_path("attributes")
        if path is None:
            return []
        if row.attributes is None:
            sample.problems.append(Problem(str(path), "the image has no row in this file.", row.name))
            return []
        if self.attribute_names and row.label_count != len(self.attribute_names):
            sample.problems.append(Problem(str(path), f"{row.label_count} labels, but list_attr_cloth.txt names "
                                                      f"{len(self.attribute_names)} attributes.", row.name))
        return row.attributes


class FineSubset(CategoryAttribute):
    """The re-labelled subset: per-split files aligned by row with train.txt, val.txt and test.txt."""

    key = "fine"

    def open_index(self, progress: IndexProgress | None = None) -> None:
        """Return None: the 20,000-image subset is read directly."""
        return None

    def needs_index_build(self) -> bool:
        return False

    @functools.cached_property
    def attribute_names(self) -> AttributeNames:
        # The fine subset has its own attribute types: 1 texture, 2 sleeve, 3 length, 4 neckline, 5 fabric, 6 fit.
        names = AttributeNames(self.file("list_attr_cloth.txt"), "fine_attribute_types")
        self.problems.extend(names.problems)
        return names

    @functools.cached_property
    def split_names(self) -> dict[str, list[str]]:
        found = {}
        for split in ("train", "val", "test"):
            path = self.location.anno / f"{split}.txt"
            if path.is_file():
                self.problems.extend(non_utf8_problems(path, "those image names are not found"))
                found[split] = read_plain_lines(path)
        return found

    def split_columns(self, split: str, suffix: str) -> np.ndarray | None:
        """Read ``<split>_<suffix>.txt`` (no count or header line) as a number matrix aligned with the split list."""
        cache = self.__dict__.setdefault("_split_columns", {})
        if (split, suffix) not in cache:
            cache[split, suffix] = self._read_split_columns(split, suffix)
        return cache[split, suffix]

    def _read_split_columns(self, split: str, suffix: str) -> np.ndarray | None:
        path = self.location.anno / f"{split}_{suffix}.txt"
        if not path.is_file():
            return None
        values, problems = read_number_rows(path)
        self.problems.extend(problems)
        expected = len(self.split_names.get(split, []))
        if len(values) != expected:
            self.problems.append(Problem(str(path), f"{len(values)} rows, but {split}.txt lists {expected} images.",
                                         hint="Rows are matched by position, so labels may belong to other images."))
        return values

    @functools.cached_property
    def position_of(self) -> dict[str, tuple[str, int]]:
        return {name: (split, row) for split, names in self.split_names.items() for row, name in enumerate(names)}

    def splits(self) -> list[str]:
        return _ordered_splits(self.split_names)

    def split_of(self, name: str) -> str:
        return self.position_of.get(name, ("", 0))[0]

    def all_names(self) -> list[str]:
        return [name for names in self.split_names.values() for name in names]

    def sample_ids(self, split: str, chosen: dict[str, list] | None = None,
                   progress: Progress | None = None) -> list[str]:
        names = self.all_names() if split == ALL else list(self.split_names.get(split, []))
        chosen = chosen or {}
        keep = []
        for name in names:
            sample_split, row = self.position_of[name]
            if chosen.get("category"):
                categories = self.split_columns(sample_split, "cate")
                if categories is None or row >= len(categories) or categories[row, 0] not in chosen["category"]:
                    continue
            if chosen.get("attribute"):
                labels = self.split_columns(sample_split, "attr")
                if labels is None or row >= len(labels) or not all(labels[row, a] == 1 for a in chosen["attribute"]):
                    continue
            keep.append(name)
        return keep

    def load_sample(self, sample_id: str) -> Sample:
        split, row = self.position_of.get(sample_id, ("", -1))
        image = ImageSource(path=self.image_path(sample_id), root=self.location.base)
        sample = Sample(id=sample_id, split=split, image=image)
        instance = Instance(id="garment")
        columns = {suffix: self.split_columns(split, suffix) for suffix in ("cate", "bbox", "landmarks", "attr")}
        rows = {suffix: (values[row] if values is not None and 0 <= row < len(values) else None)
                for suffix, values in columns.items()}
        clothes_type = None
        if rows["cate"] is not None and np.isfinite(rows["cate"][0]):
            instance.category_id = int(rows["cate"][0])
            name, clothes_type = self.categories.get(instance.category_id, (f"category {instance.category_id}", None))
            instance.category_name = name
        if rows["bbox"] is not None:
            box, _, problems = box_record(np.asarray(rows["bbox"], dtype=np.float64), 1,
                                          str(self.location.anno / f"{split}_bbox.txt"), f"row {row + 1}")
            instance.bbox = box
            sample.problems.extend(problems)
        if rows["landmarks"] is not None:
            self._fine_landmarks(rows["landmarks"], clothes_type, instance, sample, split, row)
        if rows["attr"] is not None:
            positive = [int(index) for index in np.flatnonzero(rows["attr"] == 1)]
            instance.attribute_ids = positive
            instance.attributes = [self.attribute_names.name(index) for index in positive]
            sample.labels = self.attribute_names.grouped(positive)
        sample.instances.append(instance)
        return sample

    def _fine_landmarks(self, values: np.ndarray, clothes_type: int | None, instance: Instance, sample: Sample,
                        split: str, row: int) -> None:
        file_name = str(self.location.anno / f"{split}_landmarks.txt")
        values = values[np.isfinite(values)]
        if len(values) % 3:
            sample.problems.append(Problem(file_name, f"{len(values)} numbers are not v x y triplets.",
                                           f"row {row + 1}"))
            return
        # NOTE: no original fine landmark file was seen. Rows are read as v x y triplets, and only as
        # many are kept as the category's clothes type has landmarks, because the rest is taken as padding.
        schema = landmark_schema(clothes_type) if clothes_type else None
        points, unknown = triplets_to_keypoints(values)
        if schema is not None:
            points = points[:len(schema.keypoint_names)]
        instance.keypoints = points
        instance.keypoint_schema = schema
        if clothes_type:
            instance.fields["clothes_type"] = code_name("clothes_types", clothes_type)
        if unknown:
            sample.problems.append(Problem(file_name, f"visibility codes {unknown} are not 0, 1 or 2.",
                                           f"row {row + 1}"))


class LandmarkDetection(CategoryAttribute):
    """Fashion Landmark Detection: box, landmarks with variation type, and 14 human joints when present."""

    key = "landmark_detection"

    def filters(self) -> dict[str, dict]:
        return {"clothes type": {int(key): name for key, name in tables()["clothes_types"].items()},
                "variation type": {int(key): name for key, name in tables()["variation_types"].items()}}

    def sample_ids(self, split: str, chosen: dict[str, list] | None = None,
                   progress: Progress | None = None) -> list[str]:
        chosen = chosen or {}
        if self.index is not None:
            return self.index.matching(split, clothes_types=chosen.get("clothes type"),
                                       variation_types=chosen.get("variation type"))
        names = super().sample_ids(split)
        if self.landmarks is not None and (chosen.get("clothes type") or chosen.get("variation type")):
            numbers = self.landmarks.numbers
            counts = np.isfinite(numbers).sum(axis=1)
            # Only rows with a variation column (n - 2 divisible by 3) have a variation type.
            variation = np.where((counts - 2) % 3 == 0, numbers[:, 1], np.nan)
            keep = np.ones(len(numbers), dtype=bool)
            if chosen.get("clothes type"):
                keep &= np.isin(numbers[:, 0], chosen["clothes type"])
            if chosen.get("variation type"):
                keep &= np.isin(variation, chosen["variation type"])
            allowed = {name for name, row in self.landmarks.row_of.items() if keep[row]}
            names = [name for name in names if name in allowed]
        return names

    def load_sample(self, sample_id: str) -> Sample:
        row = self.image_row(sample_id)
        sample = self._sample_from_row(row)
        if row.joints is not None:
            file_name, has_variation = self.landmark_file("joints")
            record, problems = landmark_record(row.joints, has_variation, file_name, f"line {row.joint_line}",
                                               expected=14, schema=joint_schema())
            sample.problems.extend(problems)
            if record:
                # Joint visibility is 0 visible, 1 invisible, as for landmarks.
                sample.instances.append(Instance(id="joints", category_name="human joints", group="human joints",
                                                 keypoints=record["keypoints"], keypoint_schema=record["schema"]))
        return sample


class _Retrieval(Benchmark):
    """Shared parts of the two retrieval benchmarks: per-item attributes and box/landmark lists."""

    bbox_file = ""
    landmark_file = ""

    @functools.cached_property
    def boxes(self) -> BoxTable | None:
        path = self.file(self.bbox_file)
        # Two type columns (clothes_type and pose_type or source_type) come before x_1.
        return self._keep(BoxTable(path, 3)) if path else None

    @functools.cached_property
    def landmarks(self) -> LandmarkTable | None:
        path = self.file(self.landmark_file)
        return self._keep(LandmarkTable(path)) if path else None

    @functools.cached_property
    def attribute_names(self) -> AttributeNames:
        names = AttributeNames(self.file("list_attr_cloth.txt"), "attribute_types")
        self.problems.extend(names.problems)
        return names

    @functools.cached_property
    def item_attributes(self) -> dict[str, list[int]]:
        """Return each item's positive attribute indices from ``list_attr_items.txt`` (1 positive)."""
        path = self.file("list_attr_items.txt")
        if path is None:
            return {}
        # One label column per attribute; a longer row is skipped by pandas and shows in the count check.
        listing = read_list(path, 1 + (len(self.attribute_names) or _first_row_width(path)))
        self.problems.extend(listing.problems)
        values = listing.frame.iloc[:, 1:].to_numpy(dtype=np.float64)
        for row in np.flatnonzero(~np.isfinite(values).all(axis=1))[:20].tolist():
            self.problems.append(Problem(str(path), "labels are missing, NaN, infinity or text.",
                                         f"line {listing.line_of(row)}", hint="Those labels are read as not positive."))
        return {item: np.flatnonzero(row == 1).tolist() for item, row in zip(listing.frame[0], values)}

    def _image_sample(self, name: str, split: str, role: str) -> Sample:
        sample = Sample(id=name, split=split, image=ImageSource(path=self.image_path(name), root=self.location.base))
        instance = self._garment(name, self.boxes, self.landmarks, sample)
        if self.boxes is not None and name in self.boxes.row_of:
            types = self.boxes.numbers[self.boxes.row_of[name], :2]
            instance.fields["clothes_type"] = code_name("clothes_types", types[0])
            instance.fields[role] = code_name(f"{role}s", types[1])
        instance.category_name = instance.fields.get("clothes_type", "garment")
        sample.instances.append(instance)
        return sample

    def _item_labels(self, item: str, sample: Sample) -> None:
        positive = self.item_attributes.get(item, [])
        sample.labels = self.attribute_names.grouped(positive)
        sample.fields["item_id"] = item


class InShop(_Retrieval):
    """In-shop Clothes Retrieval: samples are items; an item's images are shown side by side."""

    key = "inshop"
    bbox_file = "list_bbox_inshop.txt"
    landmark_file = "list_landmarks_inshop.txt"

    status_column = 2

    @functools.cached_property
    def partition(self) -> pd.DataFrame:
        frame = read_partition(self.file("list_eval_partition.txt"), self.status_column, self.problems)
        if len(frame) or self.boxes is None:
            return frame
        # Without the partition, an image's item is its folder: img/WOMEN/Dresses/id_00000002/02_1_front.jpg.
        names = list(self.boxes.row_of)
        self.problems.append(Problem("list_eval_partition.txt", "file not found, so items are taken from the "
                                     "image folder names and there are no query and gallery splits."))
        return pd.DataFrame({0: names, 1: [Path(name).parent.name for name in names], 2: [ALL] * len(names)})

    @property
    def has_high_resolution(self) -> bool:
        return bool(len(self.partition)) and self._highres_path(self.partition[0].iloc[0]).is_file()

    def _highres_path(self, name: str) -> Path:
        low = self.image_path(name)
        parts = Path(name).parts
        # High-resolution images mirror img/ under img_highres/ with the same names.
        return low.parents[len(parts) - 1] / "img_highres" / Path(*parts[1:])

    def sample_ids(self, split: str, chosen: dict[str, list] | None = None,
                   progress: Progress | None = None) -> list[str]:
        frame = self.partition if split == ALL else self.partition[self.partition[2] == split]
        return _unique(frame[1].tolist()) if len(frame) else []

    def split_of(self, name: str) -> str:
        """Return the split of the item's first image, which is the split its sample gets."""
        if "_item_split" not in self.__dict__:
            first = self.partition.drop_duplicates(1) if len(self.partition) else self.partition
            self._item_split = dict(zip(first[1], first[2])) if len(first) else {}
        return self._item_split.get(name, "")

    def item_images(self, item: str) -> pd.DataFrame:
        return self.partition[self.partition[1] == item]

    def load_sample(self, sample_id: str, high_resolution: bool = False) -> Sample:
        images = self.item_images(sample_id)
        if not len(images):
            sample = Sample(id=sample_id)
            sample.problems.append(Problem("list_eval_partition.txt", "no image of this item is listed.", sample_id))
            return sample
        first = images.iloc[0]
        sample = self.image_sample(first[0], first[2], high_resolution)
        self._item_labels(sample_id, sample)
        return sample

    def image_sample(self, name: str, split: str, high_resolution: bool = False) -> Sample:
        sample = self._image_sample(name, split, "pose_type")
        if high_resolution:
            scale_to_high_resolution(sample, self.image_path(name), self._highres_path(name))
        return sample

    def related(self, sample: Sample, high_resolution: bool = False) -> list[Sample]:
        item = sample.fields.get("item_id", "")
        return [self.image_sample(row[0], row[2], high_resolution)
                for row in self.item_images(item).itertuples(index=False) if row[0] != sample.id]


def scale_to_high_resolution(sample: Sample, low_path: Path, high_path: Path) -> None:
    """Move a sample to its ``img_highres`` image and map its boxes and landmarks there.

    The 256x256 ``img`` images are the high-resolution ones resized with their aspect
    ratio kept and centred, so x_high = (x_low - pad_x) / s with s = min(256 / W, 256 / H).
    """
    try:
        with Image.open(high_path) as image:
            high_width, high_height = image.size
    except (OSError, UnidentifiedImageError):
        sample.problems.append(Problem(str(high_path), "high-resolution image not found or unreadable; "
                                                       "showing the 256x256 image.", sample.id))
        return
    try:
        with Image.open(low_path) as image:
            low_width, low_height = image.size
    except (OSError, UnidentifiedImageError):
        low_width = low_height = 256
    scale = min(low_width / high_width, low_height / high_height)
    pad_x = (low_width - high_width * scale) / 2
    pad_y = (low_height - high_height * scale) / 2
    offset = np.array([pad_x, pad_y])
    for instance in sample.instances:
        if instance.bbox is not None:
            instance.bbox = ((instance.bbox.reshape(2, 2) - offset) / scale).reshape(4)
        if instance.keypoints is not None:
            instance.keypoints = instance.keypoints.copy()
            instance.keypoints[:, :2] = (instance.keypoints[:, :2] - offset.astype(np.float32)) / scale
    sample.image = ImageSource(path=high_path, root=sample.image.root)
    sample.fields["image size"] = f"{high_width}x{high_height} (lists are in {low_width}x{low_height})"


class ConsumerToShop(_Retrieval):
    """Consumer-to-shop Clothes Retrieval: a consumer image beside its shop images."""

    key = "consumer2shop"
    bbox_file = "list_bbox_consumer2shop.txt"
    landmark_file = "list_landmarks_consumer2shop.txt"

    status_column = 3

    @functools.cached_property
    def partition(self) -> pd.DataFrame:
        # Columns: consumer image, shop image, item_id, evaluation_status.
        frame = read_partition(self.file("list_eval_partition.txt"), self.status_column, self.problems)
        if len(frame) or self.boxes is None:
            return frame
        self.problems.append(Problem("list_eval_partition.txt", "file not found, so consumer images are paired "
                                     "with the shop images of the same folder (the item id)."))
        # source_type is the column after clothes_type: 1 shop, 2 consumer.
        sources = {name: self.boxes.numbers[row, 1] for name, row in self.boxes.row_of.items()}
        shops_by_item: dict[str, list[str]] = {}
        for name, source in sources.items():
            if source == 1:
                shops_by_item.setdefault(Path(name).parent.name, []).append(name)
        rows = []
        for name, source in sources.items():
            item = Path(name).parent.name
            if source == 2:
                rows += [(name, shop, item, ALL) for shop in shops_by_item.get(item, [])] or [(name, "", item, ALL)]
        return pd.DataFrame(rows, columns=[0, 1, 2, 3])

    def sample_ids(self, split: str, chosen: dict[str, list] | None = None,
                   progress: Progress | None = None) -> list[str]:
        frame = self.partition if split == ALL else self.partition[self.partition[3] == split]
        return _unique(frame[0].tolist()) if len(frame) else []

    def split_of(self, name: str) -> str:
        """Return the split of the consumer image's first pair, which is the split its sample gets."""
        if "_consumer_split" not in self.__dict__:
            first = self.partition.drop_duplicates(0) if len(self.partition) else self.partition
            self._consumer_split = dict(zip(first[0], first[3])) if len(first) else {}
        return self._consumer_split.get(name, "")

    def load_sample(self, sample_id: str) -> Sample:
        rows = self.partition[self.partition[0] == sample_id]
        split = str(rows[3].iloc[0]) if len(rows) else ""
        sample = self._image_sample(sample_id, split, "source_type")
        if len(rows):
            self._item_labels(str(rows[2].iloc[0]), sample)
        sample.related = [Related("shop image", shop, split) for shop in _unique(rows[1].tolist()) if shop]
        return sample

    def related(self, sample: Sample) -> list[Sample]:
        return [self._image_sample(entry.sample_id, entry.split, "source_type") for entry in sample.related]


BENCHMARK_CLASSES: dict[str, type[Benchmark]] = {
    cls.key: cls for cls in (CategoryAttribute, FineSubset, InShop, ConsumerToShop, LandmarkDetection)
}


class ListPreview:
    """A reader of list heads that reports problems against the user's list files, not the copies.

    Every attribute comes from the wrapped reader; problems in what it returns get the
    original file name back.
    """

    def __init__(self, reader: CategoryAttribute, sources: dict[str, str]):
        self._reader = reader
        self._sources = sources

    def _original(self, problem: Problem) -> Problem:
        return dataclasses.replace(problem, file=self._sources.get(problem.file, problem.file))

    def _restore(self, value: object) -> object:
        if isinstance(value, Sample):
            value.problems = [self._original(problem) for problem in value.problems]
            for instance in value.instances:
                instance.problems = [self._original(problem) for problem in instance.problems]
        elif isinstance(value, list) and value and all(isinstance(item, Problem) for item in value):
            return [self._original(problem) for problem in value]
        return value

    def __getattr__(self, name: str) -> object:
        value = getattr(self._reader, name)
        if callable(value):
            return lambda *arguments, **options: self._restore(value(*arguments, **options))
        return self._restore(value)


def copy_list_head(source: Path, target: Path, rows: int | None) -> None:
    """Write the count line, the column-name line and the first ``rows`` data rows of a list file."""
    if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
        return
    with source.open("rb") as handle:
        count_line, header = handle.readline(), handle.readline()
        data = list(itertools.islice(handle, rows)) if rows is not None else handle.readlines()
    # The count line is rewritten to the rows kept, so the short copy reads as complete.
    count = str(len(data)).encode() + b"\n" if count_line.strip().isdigit() else count_line
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_bytes(count + header + b"".join(data))
    os.replace(temporary, target)


def _first_row_width(path: Path) -> int:
    """Return the number of tokens after the name on the first record of a list, at least 1."""
    _, _, skip = read_head(path)
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= skip and line.strip():
                return max(len(line.split()) - 1, 1)
    return 1


def open_benchmark(location: BenchmarkLocation) -> Benchmark:
    """Return the reader of one detected benchmark."""
    return BENCHMARK_CLASSES[location.key](location)

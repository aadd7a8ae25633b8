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

import csv
import functools
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from loaders.imaterialist_csv import (  # noqa: F401 (re-exported for callers of this module)
    MASK_COLUMNS,
    LabelTable,
    MaskIndex,
    empty_mask_index,
    encoded_pixels_to_rle,
    read_label_table,
    split_class_id,
)
from loaders.imaterialist_index import label_index, mask_index
from loaders.imaterialist_json import (  # noqa: F401 (re-exported for callers of this module)
    LABEL_MAP_PATTERN,
    LabelIndex,
    LabelMap,
    parse_label_file,
    read_label_map,
)
from loaders.model import ImageSource, Instance, Problem, Sample
from loaders.qa import Check, Flag

if TYPE_CHECKING:
    import pandas as pd

    from loaders.stats import DatasetTables

log = logging.getLogger(__name__)

LABEL_SPLIT_ORDER = ("train", "validation", "test")
MASK_SPLIT_FOLDERS = ("train", "test", "images")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


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


def _find_image(folders: Sequence[Path], name: str) -> Path | None:
    for folder in folders:
        for suffix in ("", *IMAGE_SUFFIXES):
            path = folder / f"{name}{suffix}"
            if (suffix or path.suffix.lower() in IMAGE_SUFFIXES) and path.is_file():
                return path
    return None




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
        """Return the split from its persistent index, building the index on the first use of this file."""
        if split not in self._indexes:
            path = self.split_files().get(split, self.folder / f"{split}.json")
            self._indexes[split] = label_index(path)
        return self._indexes[split]

    def sample_ids(self, split: str) -> list[str]:
        return self.index(split).image_ids

    def image_folders(self, split: str) -> list[Path]:
        candidates = (self.folder / split, self.folder / "images" / split, self.folder / "images")
        return [folder for folder in candidates if folder.is_dir()]

    def load_sample(self, split: str, sample_id: str) -> Sample:
        """Return one image's labels grouped by task; ``image.path`` is None when the image was not downloaded."""
        index = self.index(split)
        position = index.position_of(sample_id)
        if position is None:
            problem = Problem(str(self.split_files().get(split, split)), "image id not found.", f"imageId {sample_id}",
                              severity="error")
            return Sample(id=sample_id, split=split, problems=[problem])
        url = index.urls[position]
        sample = Sample(id=sample_id, split=split,
                        image=ImageSource(path=_find_image(self.image_folders(split), sample_id), url=url,
                                          root=self.folder))
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
        import pandas as pd  # imported here: the first sample does not need it

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


class MaskRelease:
    """Lazy reader of a 2019 or 2020 folder; see the module docstring for the layout."""

    kind = "masks"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.csv_path = self.folder / "train.csv"
        self._index: MaskIndex | None = None

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

    @property
    def index(self) -> MaskIndex:
        """Return the train.csv row index, building it on first use."""
        return self.load_index()

    @property
    def index_ready(self) -> bool:
        """Return True when the row index is loaded or there is no train.csv to index."""
        return self._index is not None or not self.csv_path.is_file()

    def load_index(self, progress: Callable[[int, int], None] | None = None) -> MaskIndex:
        """Return the train.csv row index; a build calls ``progress(bytes_read, file_size)`` as it goes."""
        if self._index is None:
            exists = self.csv_path.is_file()
            self._index = mask_index(self.csv_path, progress) if exists else empty_mask_index([], [], [])
        return self._index

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
        image_position = index.position_of(sample_id)
        if image_position is None:
            return []
        rows = []
        with self.csv_path.open("rb") as handle:
            for row in index.rows_of(image_position):
                handle.seek(int(index.row_offsets[row]))
                text = handle.read(int(index.row_lengths[row])).decode("utf-8", errors="replace").strip()
                rows.append((int(index.row_lines[row]), dict(zip(index.columns, next(csv.reader([text]))))))
        return rows

    def load_sample(self, split: str, sample_id: str) -> Sample:
        """Return one image with its masks decoded into COCO RLEs, named from the release's label table."""
        path = self.image_path(split, sample_id)
        sample = Sample(id=sample_id, split=split, image=ImageSource(path=path, root=self.folder))
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
        # The row was decoded with errors="replace", so U+FFFD marks bytes that are not valid UTF-8.
        if any("\ufffd" in value for value in values.values()):
            instance.problems.append(Problem(file_name, "row contains bytes that are not valid UTF-8 (shown as "
                                             "U+FFFD).", record, hint="Save train.csv as UTF-8."))
        missing = [name for name in MASK_COLUMNS if name not in values]
        if missing:
            instance.problems.append(Problem(file_name, f"row has no {', '.join(missing)} value; the line is cut "
                                             "short.", record, hint="The file may be truncated: download it again.",
                                             severity="error"))
            return instance

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
        import pandas as pd  # imported here: the first sample does not need it

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
    import pandas as pd  # imported here: the first sample does not need it

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
    import pandas as pd  # imported here: the first sample does not need it

    return pd.DataFrame([{"task": task, "labels": ", ".join(names)} for task, names in sample.labels.items()],
                        columns=["task", "labels"])


# ---------------------------------------------------------------- quality check and statistics

UNMAPPED_CHECK = "label_outside_map"


def unmapped_label_check(reader: LabelRelease | MaskRelease) -> Check:
    """Return the check that flags ids missing from the release's label map.

    In 2018 these are label ids missing from the label map CSV, in 2019 and 2020 category or
    attribute ids missing from label_descriptions.json.
    """
    explanation = "Label, category or attribute id that the release's label map does not list."
    if reader.kind == "labels":
        known, source = set(reader.label_map.labels), reader.label_map.source

        def run(sample: Sample) -> list[Flag]:
            unknown = [label_id for label_id in sample.fields.get("label_ids", []) if label_id not in known]
            if not unknown:
                return []
            return [Flag(UNMAPPED_CHECK, sample.split, sample.id, "", f"label ids {unknown} are not in {source}")]

        return Check(UNMAPPED_CHECK, explanation, run)

    categories, attributes = set(reader.labels.categories), set(reader.labels.attributes)
    source = reader.labels.source

    def run_masks(sample: Sample) -> list[Flag]:
        flags = []
        for instance in sample.instances:
            parts = []
            if instance.category_id is not None and instance.category_id not in categories:
                parts.append(f"category id {instance.category_id}")
            unknown = [attribute_id for attribute_id in instance.attribute_ids if attribute_id not in attributes]
            if unknown:
                parts.append(f"attribute ids {unknown}")
            if parts:
                flags.append(Flag(UNMAPPED_CHECK, sample.split, sample.id, instance.id,
                                  f"{' and '.join(parts)} not in {source}"))
        return flags

    return Check(UNMAPPED_CHECK, explanation, run_masks)


def label_tables(reader: LabelRelease, split: str, positions: np.ndarray | None = None) -> DatasetTables:
    """Return the statistics tables of a 2018 split from its index: one label row per (image, label id).

    With ``positions``, only those images are counted. Labels are grouped by task.
    """
    import pandas as pd  # imported here: the first sample does not need it

    index = reader.index(split)
    owners, values = index.owners, index.values
    if positions is not None:
        keep = np.isin(owners, positions)
        owners, values = owners[keep], values[keep]
    top = int(values.max()) + 1 if values.size else 1
    names = np.array([reader.label_map.labels.get(label_id, (f"label {label_id}", "unknown"))[0]
                      for label_id in range(top)], dtype=object)
    tasks = np.array([reader.label_map.labels.get(label_id, ("", "unknown"))[1] for label_id in range(top)],
                     dtype=object)
    image_ids = np.array(index.image_ids, dtype=object)
    labels = pd.DataFrame({"split": split, "sample_id": image_ids[owners], "group": tasks[values],
                           "label": names[values]})
    chosen = np.arange(len(image_ids)) if positions is None else np.asarray(positions, dtype=np.int64)
    samples = pd.DataFrame({"split": split, "sample_id": image_ids[chosen], "instances": 0})
    return _tables(labels=labels, samples=samples)


def mask_tables(reader: MaskRelease) -> DatasetTables:
    """Return the statistics tables of train.csv from its index: one instance row per mask, attributes by group.

    Boxes are left out (NaN): they would need every mask decoded.
    """
    import pandas as pd  # imported here: the first sample does not need it

    index = reader.index
    image_ids = np.array(index.image_ids, dtype=object)
    row_ids = image_ids[index.row_images] if image_ids.size else np.zeros(0, dtype=object)
    labels_table = reader.labels
    categories = [f"{category_id} {labels_table.category_name(category_id)}" for category_id in index.row_categories]
    instances = pd.DataFrame({"split": "train", "sample_id": row_ids, "category": categories,
                              "width": np.nan, "height": np.nan, "aspect": np.nan})
    owners = np.repeat(np.arange(index.row_images.size), np.diff(index.attribute_offsets))
    attributes = index.attribute_values.tolist()
    labels = pd.DataFrame({"split": "train", "sample_id": row_ids[owners] if row_ids.size else [],
                           "group": [labels_table.attributes.get(value, {}).get("supercategory") or "attribute"
                                     for value in attributes],
                           "label": [f"{value} {labels_table.attribute_name(value)}" for value in attributes]})
    counts = np.bincount(index.row_images, minlength=len(image_ids)) if image_ids.size else []
    samples = pd.DataFrame({"split": "train", "sample_id": image_ids, "instances": counts})
    return _tables(instances=instances, labels=labels, samples=samples)


def _tables(**frames) -> DatasetTables:
    """Return DatasetTables with the given frames and empty ones (with the expected columns) for the rest."""
    from loaders.stats import DatasetTables, dataset_tables  # imports pandas, which the first sample does not need

    empty = dataset_tables([])
    return DatasetTables(**{name: frames.get(name, getattr(empty, name)) for name in
                            ("instances", "labels", "keypoints", "captions", "samples")})

"""DeepFashion: the five benchmarks, each found from the files present under the root.

A root may be one benchmark folder or a folder that contains several of them. Each
benchmark folder looks like::

    Anno/list_*.txt                 (the new release: Anno_coarse/ and Anno_fine/)
    Eval/list_eval_partition.txt
    img/...  or  Img/img/...        image names in the lists start with ``img/``

Files that identify a benchmark:

- Category and Attribute Prediction: ``list_category_img.txt`` or ``list_attr_img.txt``,
  or a ``list_landmarks.txt`` without a variation_type column;
- its re-labelled fine subset: ``train.txt`` with ``train_attr.txt`` or ``train_cate.txt``;
- In-shop Clothes Retrieval: ``list_*_inshop.txt``;
- Consumer-to-shop Clothes Retrieval: ``list_*_consumer2shop.txt``;
- Fashion Landmark Detection: ``list_joints.txt``, or a ``list_landmarks.txt`` with a
  variation_type column.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.deepfashion_lists import (
    ListFile,
    read_head,
    read_list,
    read_name_type_list,
    split_landmark_row,
    trim_padding,
    triplets_to_keypoints,
)
from loaders.model import KeypointSchema, Problem

log = logging.getLogger(__name__)

TABLE_FILE = Path(__file__).resolve().parent.parent / "assets" / "tables" / "deepfashion.json"
ANNOTATION_FOLDERS = ("Anno", "Anno_coarse", "Anno_fine")
IMAGE_FOLDERS = {"img", "Img", "img_highres"}
# Landmark rows hold at most 8 triplets after the name, clothes_type and variation_type.
LANDMARK_COLUMNS = 1 + 2 + 3 * 8
JOINT_COLUMNS = 1 + 2 + 3 * 14

BENCHMARK_TITLES = {
    "category_attribute": "Category and Attribute Prediction",
    "fine": "Category and Attribute Prediction, fine subset",
    "inshop": "In-shop Clothes Retrieval",
    "consumer2shop": "Consumer-to-shop Clothes Retrieval",
    "landmark_detection": "Fashion Landmark Detection",
}
# Names short enough for the sidebar selector.
BENCHMARK_SHORT_TITLES = {
    "category_attribute": "Category and Attribute",
    "fine": "Category and Attribute, fine",
    "inshop": "In-shop Retrieval",
    "consumer2shop": "Consumer-to-shop",
    "landmark_detection": "Landmark Detection",
}


@functools.cache
def tables() -> dict:
    """Return the project's DeepFashion table: categories, landmark names, skeletons, type codes."""
    return json.loads(TABLE_FILE.read_text(encoding="utf-8"))


@functools.cache
def landmark_schema(clothes_type: int) -> KeypointSchema | None:
    """Return the landmark names and skeleton of a clothes_type (1 upper, 2 lower, 3 full body)."""
    entry = tables()["landmarks"].get(str(clothes_type))
    if entry is None:
        return None
    name = f"DeepFashion {tables()['clothes_types'][str(clothes_type)]}"
    return KeypointSchema(name, tuple(entry["names"]), tuple(tuple(edge) for edge in entry["edges"]))


@functools.cache
def joint_schema() -> KeypointSchema:
    entry = tables()["joints"]
    return KeypointSchema("DeepFashion human joints", tuple(entry["names"]), tuple(tuple(e) for e in entry["edges"]))


def code_name(table: str, value: object) -> str:
    """Return ``"2 medium pose"`` for a known code of a table such as variation_types, else the value."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    key = str(int(value)) if isinstance(value, (int, float, np.integer, np.floating)) else str(value)
    name = tables()[table].get(key)
    return f"{key} {name}" if name else key


@dataclass(frozen=True)
class BenchmarkLocation:
    """Location of one benchmark: the folder that image names are relative to, and its list folders."""

    key: str
    base: Path
    anno: Path
    eval: Path | None

    @property
    def title(self) -> str:
        return BENCHMARK_TITLES[self.key]

    def file(self, name: str) -> Path | None:
        """Return a list file from the annotation folder, else from the Eval folder or the base folder."""
        for folder in (self.anno, self.eval, self.base):
            if folder is not None and (folder / name).is_file():
                return folder / name
        return None


def _list_names(folder: Path) -> set[str]:
    try:
        return {name for name in os.listdir(folder) if name.endswith(".txt")}
    except OSError:
        return set()


def landmark_file_has_variation(path: Path, max_rows: int = 100) -> bool | None:
    """Return whether the first well-formed record of a landmark list has a variation_type column.

    Rows with text, NaN or a token count that fits neither layout are skipped, up to
    ``max_rows`` records. Returns None when none of them is well-formed.
    """
    _, _, skip = read_head(path)
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle):
            if number >= skip + max_rows:
                break
            if number < skip or not line.strip():
                continue
            try:
                numbers = np.array([float(token) for token in line.split()[1:]])
            except ValueError:
                continue
            if not np.isfinite(numbers).all():
                continue
            clothes_type, variation, triplets = split_landmark_row(numbers)
            if triplets is not None:
                return variation is not None
    return None


def detect_benchmarks(root: Path) -> dict[str, BenchmarkLocation]:
    """Find the benchmarks under ``root`` (the root itself and its direct subfolders), first found wins."""
    root = Path(root)
    bases = [root]
    try:
        bases += sorted(path for path in root.iterdir()
                        if path.is_dir() and path.name not in IMAGE_FOLDERS and path.name not in ANNOTATION_FOLDERS
                        and path.name != "Eval")
    except OSError:
        return {}
    found: dict[str, BenchmarkLocation] = {}
    for base in bases:
        eval_folder = base / "Eval" if (base / "Eval").is_dir() else None
        for anno in [base / name for name in ANNOTATION_FOLDERS if (base / name).is_dir()] + [base]:
            for key in _benchmarks_in(anno):
                found.setdefault(key, BenchmarkLocation(key, base, anno, eval_folder))
    ordered = [key for key in BENCHMARK_TITLES if key in found]
    return {key: found[key] for key in ordered}


def _benchmarks_in(anno: Path) -> list[str]:
    names = _list_names(anno)
    keys = []
    if any(name.endswith("_inshop.txt") for name in names):
        keys.append("inshop")
    if any(name.endswith("_consumer2shop.txt") for name in names):
        keys.append("consumer2shop")
    if "train.txt" in names and ({"train_attr.txt", "train_cate.txt"} & names):
        keys.append("fine")
    if anno.name != "Anno_fine" and ({"list_category_img.txt", "list_attr_img.txt"} & names):
        keys.append("category_attribute")
    if "list_joints.txt" in names:
        keys.append("landmark_detection")
    if "list_landmarks.txt" in names and not keys:
        # The Category-and-Attribute list has no variation_type column; the Landmark Detection list has one.
        has_variation = landmark_file_has_variation(anno / "list_landmarks.txt")
        keys.append("landmark_detection" if has_variation else "category_attribute")
    return keys


class LandmarkTable:
    """A landmark list (or joint list) indexed by image name, with the variation column detected per row."""

    def __init__(self, path: Path, max_columns: int = LANDMARK_COLUMNS):
        self.path = path
        self.listing: ListFile = read_list(path, max_columns)
        frame = self.listing.frame
        self.row_of = {name: row for row, name in enumerate(frame[0].tolist())}
        self.numbers = frame.iloc[:, 1:].to_numpy(dtype=np.float64)
        self.problems = list(self.listing.problems)
        # One file uses one layout, so the layout that more rows fit decides for every row.
        with_variation, without_variation = self.layout_shares()
        self.has_variation = with_variation > without_variation

    def __contains__(self, name: str) -> bool:
        return name in self.row_of

    def variation_column_share(self) -> float:
        """Return the share of rows that have a variation_type column (token count n - 2 divisible by 3)."""
        return self.layout_shares()[0]

    def layout_shares(self) -> tuple[float, float]:
        """Return the shares of rows that fit the layout with and the layout without a variation_type column."""
        if not len(self.numbers):
            return 0.0, 0.0
        # Count up to the last number, so a NaN or text token inside a row keeps the row's length.
        present = ~np.isnan(self.numbers)
        counts = np.where(present.any(axis=1), self.numbers.shape[1] - np.argmax(present[:, ::-1], axis=1), 0)
        with_variation = (counts >= 5) & ((counts - 2) % 3 == 0)
        without_variation = (counts >= 4) & ((counts - 1) % 3 == 0)
        return float(with_variation.mean()), float(without_variation.mean())

    def keypoints(self, name: str, expected: int | None = None,
                  schema: KeypointSchema | None = None) -> tuple[dict, list[Problem]]:
        """Return {clothes_type, variation_type, keypoints, schema} of one image and the problems met."""
        row = self.row_of.get(name)
        if row is None:
            return {}, [Problem(str(self.path), "the image has no row in this file.", name, severity="info")]
        return landmark_record(self.numbers[row], self.has_variation, str(self.path),
                               f"line {self.listing.line_of(row)}", expected, schema)


def landmark_record(numbers: np.ndarray, has_variation: bool, file_name: str, record: str,
                    expected: int | None = None, schema: KeypointSchema | None = None) -> tuple[dict, list[Problem]]:
    """Turn the numbers after an image name in a landmark list into keypoints and the problems met.

    ``has_variation`` is the layout of the file; ``record`` names the row in messages.
    Returns {clothes_type, variation_type, keypoints, schema}, or {} when the row does not fit.
    """
    problems: list[Problem] = []
    values = trim_padding(numbers)
    not_finite = np.flatnonzero(~np.isfinite(values))
    if len(not_finite):
        positions = ", ".join(str(position + 1) for position in not_finite[:8])
        subject = f"numbers {positions} are" if len(not_finite) > 1 else f"number {positions} is"
        problems.append(Problem(file_name, f"{subject} NaN, infinity or text (counted after the image name).",
                                record, hint="Points with such a coordinate or visibility are not drawn."))
    clothes_type, variation, triplets = split_landmark_row(numbers, has_variation)
    if triplets is None:
        count = int(np.isfinite(numbers).sum())
        layout = "clothes_type variation_type v x y ..." if has_variation else "clothes_type v x y ..."
        return {}, problems + [Problem(file_name, f"{count} numbers after the image name do not fit '{layout}', "
                                                  "the layout of the other rows.",
                                       record, hint="Check that the row is complete.")]
    points, unknown = triplets_to_keypoints(triplets)
    if variation is not None and variation not in range(1, 6):
        problems.append(Problem(file_name, f"variation_type {variation} is not 1 to 5.", record,
                                hint="The row may lack the variation column and carry a stray number."))
    if unknown:
        problems.append(Problem(file_name, f"visibility codes {unknown} are not 0, 1 or 2.", record))
    if schema is None:
        schema = landmark_schema(clothes_type)
        if schema is None:
            problems.append(Problem(file_name, f"clothes_type {clothes_type} is not 1, 2 or 3.", record))
    expected_count = expected
    if expected_count is None and schema is not None:
        expected_count = len(schema.keypoint_names)
    if expected_count is not None and len(points) != expected_count:
        problems.append(Problem(file_name, f"{len(points)} triplets, but clothes_type {clothes_type} has "
                                           f"{expected_count} landmarks.", record))
        if len(points) > expected_count and not np.isfinite(points[expected_count:, :2]).any():
            points = points[:expected_count]
    return {"clothes_type": clothes_type, "variation_type": variation, "keypoints": points,
            "schema": schema, "codes": triplets.reshape(-1, 3)[:, 0]}, problems


class BoxTable:
    """A box list indexed by image name; ``first`` is the column of x_1 (types come before it)."""

    def __init__(self, path: Path, first: int):
        self.path = path
        self.first = first
        self.listing = read_list(path, first + 4)
        frame = self.listing.frame
        self.row_of = {name: row for row, name in enumerate(frame[0].tolist())}
        self.numbers = frame.iloc[:, 1:].to_numpy(dtype=np.float64)
        self.problems = list(self.listing.problems)

    def box(self, name: str) -> tuple[np.ndarray | None, list[float], list[Problem]]:
        """Return the xyxy box, the type columns before it, and problems."""
        row = self.row_of.get(name)
        if row is None:
            return None, [], [Problem(str(self.path), "the image has no row in this file.", name, severity="info")]
        return box_record(self.numbers[row], self.first, str(self.path), f"line {self.listing.line_of(row)}")


def box_record(values: np.ndarray, first: int, file_name: str, record: str
               ) -> tuple[np.ndarray | None, list[float], list[Problem]]:
    """Return the xyxy box, the type columns before it, and problems, from the numbers after an image name.

    ``first`` is the 1-based column of x_1 counted from the image name.
    """
    box = values[first - 1:first + 3]
    types = [float(value) for value in values[:first - 1]]
    if len(box) < 4 or not np.isfinite(box).all():
        # Missing tokens, text and NaN are all NaN here; infinity stays infinite.
        bad = [name for name, value in zip(("x_1", "y_1", "x_2", "y_2"), [*box, *[np.nan] * 4])
               if not np.isfinite(value)]
        return None, types, [Problem(file_name, f"the box is not 4 numbers: {', '.join(bad)} missing, NaN, "
                                                "infinity or text.", record, hint="The box is not drawn.")]
    if box[2] <= box[0] or box[3] <= box[1]:
        return box, types, [Problem(file_name, f"the box {box.tolist()} has x_2 <= x_1 or y_2 <= y_1.",
                                    record, hint="Boxes here are corners x_1 y_1 x_2 y_2, not width and height.")]
    if (box < 0).any():
        # Pixel coordinates start at 0, so a negative corner lies outside the image.
        return box, types, [Problem(file_name, f"the box {box.tolist()} has a negative coordinate.", record,
                                    hint="The box is drawn as listed, partly outside the image.")]
    return box, types, []


class AttributeNames:
    """Attribute names and types from ``list_attr_cloth.txt``, with the type names of the benchmark."""

    def __init__(self, path: Path | None, type_table: str = "attribute_types"):
        self.entries: list[tuple[str, int | None]] = []
        self.problems: list[Problem] = []
        self.type_table = type_table
        if path is not None:
            self.entries, self.problems = read_name_type_list(path)

    def __len__(self) -> int:
        return len(self.entries)

    def name(self, index: int) -> str:
        """Return an attribute's name; Consumer-to-shop rows give a Chinese name first, shown last here."""
        if not 0 <= index < len(self.entries):
            return f"attribute {index + 1}"
        name = self.entries[index][0]
        first, _, rest = name.partition(" ")
        if rest and not first.isascii():
            return f"{rest} / {first}"
        return name

    def type_name(self, index: int) -> str:
        kind = self.entries[index][1] if 0 <= index < len(self.entries) else None
        if kind is None:
            return "untyped"
        return tables()[self.type_table].get(str(kind), f"type {kind}")

    def grouped(self, indices) -> dict[str, list[str]]:
        """Return positive attribute names grouped by type name, in type order."""
        groups: dict[str, list[str]] = {}
        for index in sorted(int(i) for i in indices):
            groups.setdefault(self.type_name(index), []).append(self.name(index))
        return groups


def category_table(path: Path | None) -> tuple[dict[int, tuple[str, int | None]], list[Problem]]:
    """Return categories by 1-based id: from ``list_category_cloth.txt`` when present, else the project table.

    Some copies keep the count 50 but omit rows, so ids follow the rows.
    """
    if path is None:
        return {entry["id"]: (entry["name"], entry["type"]) for entry in tables()["categories"]}, []
    entries, problems = read_name_type_list(path)
    return {number: entry for number, entry in enumerate(entries, start=1)}, problems


def read_partition(path: Path | None, status_column: int, problems: list[Problem] | None = None) -> pd.DataFrame:
    """Read ``list_eval_partition.txt`` as text columns; ``status_column`` is where train/val/test is.

    The problems met in the file are appended to ``problems`` when it is given.
    """
    if path is None:
        return pd.DataFrame()
    listing = read_list(path, status_column + 1, numeric_from=None)
    if problems is not None:
        problems.extend(listing.problems)
    return listing.frame

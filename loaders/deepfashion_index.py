"""Persistent index of the DeepFashion lists of Category and Attribute Prediction and Landmark Detection.

The index is built once per set of list files (their paths, sizes and modification
times name it) with the vectorised list readers, and stored in SQLite under the cache
folder (see ``loaders/index_store.py``). Table ``images`` has one row per image: name,
split, category, the numbers of its box, landmark and joint rows with their line
numbers, and its positive attribute ids, so the 1000 columns of ``list_attr_img.txt``
are kept sparse. Table ``attribute_images`` stores, per attribute, the rows of the
images that have it, for the attribute filter, and ``split_names`` each split's name
list. Opening a page then reads one row per sample and never parses the lists again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from loaders.deepfashion_lists import read_head, trim_padding
from loaders.model import Problem

log = logging.getLogger(__name__)

# List files that make up the index, by role. The signature covers each of them, present or not.
LIST_FILES = {"partition": "list_eval_partition.txt", "category": "list_category_img.txt",
              "category_names": "list_category_cloth.txt", "bbox": "list_bbox.txt",
              "landmarks": "list_landmarks.txt", "attributes": "list_attr_img.txt",
              "attribute_names": "list_attr_cloth.txt", "joints": "list_joints.txt"}
IMAGE_COLUMNS = ("name, listed, split, category, box, box_line, landmarks, landmark_line, attributes, label_count, "
                 "joints, joint_line, clothes_type, variation_type")
Progress = Callable[[int, int], None]
# Part of the index file name: bump it when the tables below change, so older files are not opened.
INDEX_KIND = "deepfashion-lists-v3"


@dataclass
class ImageRow:
    """One image's rows in the lists, as numbers after the image name, read from the files or the index."""

    name: str
    split: str = ""
    category: float | None = None
    box: np.ndarray | None = None
    box_line: int = 0
    landmarks: np.ndarray | None = None
    landmark_line: int = 0
    attributes: list[int] | None = None  # None when list_attr_img.txt has no row for the image
    label_count: int = 0
    joints: np.ndarray | None = None
    joint_line: int = 0


def pack_numbers(values: np.ndarray) -> bytes:
    """Store numbers as float32 when that keeps them exact, else as float64. The first byte names the type."""
    values = np.asarray(values, dtype=np.float64)
    narrow = values.astype(np.float32)
    if np.array_equal(narrow.astype(np.float64), values, equal_nan=True):
        return b"f" + narrow.tobytes()
    return b"d" + values.tobytes()


def unpack_numbers(blob: bytes) -> np.ndarray:
    dtype = np.float32 if blob[:1] == b"f" else np.float64
    return np.frombuffer(blob[1:], dtype=dtype).astype(np.float64)


def build_index(connection: sqlite3.Connection, dataset, progress: Progress | None = None) -> None:
    """Fill an empty database from the lists of a ``CategoryAttribute`` reader that reads them directly."""
    attribute_path = dataset.file(LIST_FILES["attributes"])
    declared = (read_head(attribute_path)[0] or 0) if attribute_path is not None else 0
    report = None if progress is None else (lambda rows: progress(rows, max(declared, rows)))
    attribute_names, indptr, indices = dataset.positives(report)
    label_counts = dataset.label_counts

    listed = list(dict.fromkeys(dataset.all_names()))
    boxes, landmarks, joints = dataset.boxes, dataset.landmarks, dataset.joints
    category_of = dataset.category_of
    category_of = category_of[~category_of.index.duplicated()] if len(category_of) else category_of
    others = [*category_of.index.tolist(), *(boxes.row_of if boxes else ()), *(landmarks.row_of if landmarks else ()),
              *attribute_names]
    names = list(dict.fromkeys([*listed, *others]))
    listed_count = len(listed)

    partition = dataset.partition
    split_of = dict(zip(partition[0], partition[1])) if len(partition) else {}
    categories = category_of.reindex(names).to_numpy(dtype=np.float64) if len(category_of) else \
        np.full(len(names), np.nan)
    attribute_row_of = {name: row for row, name in enumerate(attribute_names)}

    rows = []
    for position, name in enumerate(names):
        box = landmark = attributes = joint = clothes_type = variation_type = None
        box_line = landmark_line = label_count = joint_line = 0
        if boxes is not None and (row := boxes.row_of.get(name)) is not None:
            box, box_line = pack_numbers(boxes.numbers[row]), boxes.listing.line_of(row)
        if landmarks is not None and (row := landmarks.row_of.get(name)) is not None:
            numbers = landmarks.numbers[row]
            landmark, landmark_line = pack_numbers(trim_padding(numbers)), landmarks.listing.line_of(row)
            clothes_type, variation_type = _type_codes(numbers)
        if joints is not None and (row := joints.row_of.get(name)) is not None:
            numbers = joints.numbers[row]
            joint, joint_line = pack_numbers(trim_padding(numbers)), joints.listing.line_of(row)
        if (row := attribute_row_of.get(name)) is not None:
            attributes = indices[indptr[row]:indptr[row + 1]].astype(np.int16).tobytes()
            label_count = int(label_counts[row])
        category = float(categories[position]) if np.isfinite(categories[position]) else None
        rows.append((name, int(position < listed_count), split_of.get(name), category, box, box_line, landmark,
                     landmark_line, attributes, label_count, joint, joint_line, clothes_type, variation_type))

    connection.execute("CREATE TABLE images (" + IMAGE_COLUMNS + ")")
    connection.executemany("INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.execute("CREATE INDEX images_name ON images (name)")
    # The page needs a split's whole name list at once: one text value per split reads fastest.
    connection.execute("CREATE TABLE split_names (split TEXT PRIMARY KEY, names BLOB)")
    by_split: dict[str, list[str]] = {"all": listed}
    for name in listed:
        if (split := split_of.get(name)) is not None:
            by_split.setdefault(split, []).append(name)
    connection.executemany("INSERT INTO split_names VALUES (?, ?)",
                           [(split, "\n".join(names).encode()) for split, names in by_split.items()])
    _write_attribute_images(connection, attribute_names, indptr, indices, names)

    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    meta = {"has_variation": int(bool(landmarks is not None and landmarks.has_variation)),
            "joints_has_variation": int(bool(joints is not None and joints.has_variation)),
            "attribute_count": len(dataset.attribute_names),
            **{f"file_{role}": str(path) for role, file_name in LIST_FILES.items()
               if (path := dataset.file(file_name)) is not None}}
    connection.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    connection.execute("CREATE TABLE problems (file, message, record, hint, severity)")
    # The small name lists are read again on every open, and so are their problems.
    skipped = {LIST_FILES["category_names"], LIST_FILES["attribute_names"]}
    connection.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?)",
                           [(p.file, p.message, p.record, p.hint, p.severity) for p in dataset.problems
                            if not p.file.endswith(tuple(skipped))])
    log.info("DeepFashion list index: %d images, %d positive attribute labels", len(names), len(indices))


def _type_codes(numbers: np.ndarray) -> tuple[float | None, float | None]:
    """Return clothes_type and variation_type of a landmark row for the filters, as the direct filter reads them.

    Only a row whose number count n has n - 2 divisible by 3 has a variation_type.
    """
    count = int(np.isfinite(numbers).sum())
    clothes_type = float(numbers[0]) if np.isfinite(numbers[0]) else None
    variation = float(numbers[1]) if (count - 2) % 3 == 0 and np.isfinite(numbers[1]) else None
    return clothes_type, variation


def _write_attribute_images(connection: sqlite3.Connection, attribute_names: list[str], indptr: np.ndarray,
                            indices: np.ndarray, names: list[str]) -> None:
    """Store, per attribute id, the sorted 0-based image rows (int32) of the images that have it."""
    connection.execute("CREATE TABLE attribute_images (attribute INTEGER PRIMARY KEY, rows BLOB)")
    if not len(indices):
        return
    position = {name: number for number, name in enumerate(names)}
    image_rows = np.array([position[name] for name in attribute_names], dtype=np.int32)
    owners = np.repeat(image_rows, np.diff(indptr))
    order = np.argsort(indices, kind="stable")
    attributes, starts = np.unique(indices[order], return_index=True)
    groups = np.split(owners[order], starts[1:])
    connection.executemany("INSERT INTO attribute_images VALUES (?, ?)",
                           [(int(attribute), np.sort(group).astype(np.int32).tobytes())
                            for attribute, group in zip(attributes, groups)])


class ListIndex:
    """Read-only queries on a built index; one instance may be shared between threads."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        self._lock = threading.Lock()
        self.meta = dict(self._query("SELECT key, value FROM meta"))
        self._names: dict[str, list[str]] = {}
        self._split_of: dict[str, str] | None = None

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with self._lock:
            return [tuple(row) for row in self.connection.execute(sql, parameters).fetchall()]

    def file(self, role: str) -> str | None:
        return self.meta.get(f"file_{role}")

    def has_variation(self, role: str = "landmarks") -> bool:
        return bool(self.meta.get("has_variation" if role == "landmarks" else f"{role}_has_variation"))

    def splits(self) -> list[str]:
        return [split for (split,) in self._query("SELECT split FROM split_names WHERE split != 'all'")]

    def names(self, split: str) -> list[str]:
        """Return the listed image names of a split (``all`` for every split), in list order."""
        if split not in self._names:
            found = self._query("SELECT names FROM split_names WHERE split = ?", (split,))
            text = found[0][0].decode() if found else ""
            self._names[split] = text.split("\n") if text else []
        return self._names[split]

    def split_of(self, name: str) -> str:
        if self._split_of is None:
            self._split_of = {listed: split for split in self.splits() for listed in self.names(split)}
        return self._split_of.get(name, "")

    def row(self, name: str) -> ImageRow | None:
        found = self._query("SELECT * FROM images WHERE name = ? LIMIT 1", (name,))
        if not found:
            return None
        (name, _, split, category, box, box_line, landmarks, landmark_line, attributes, label_count,
         joints, joint_line, _, _) = found[0]
        return ImageRow(name, split or "", category, None if box is None else unpack_numbers(box), box_line,
                        None if landmarks is None else unpack_numbers(landmarks), landmark_line,
                        None if attributes is None else np.frombuffer(attributes, dtype=np.int16).tolist(),
                        label_count, None if joints is None else unpack_numbers(joints), joint_line)

    def matching(self, split: str, categories: list[int] | None = None, attributes: list[int] | None = None,
                 clothes_types: list[int] | None = None, variation_types: list[int] | None = None) -> list[str]:
        """Return the listed names of a split with one of each chosen code and every one of the attributes."""
        if not (categories or attributes or clothes_types or variation_types):
            return list(self.names(split))
        sql = "SELECT rowid - 1, name FROM images WHERE listed"
        parameters: list = []
        if split != "all":
            sql += " AND split = ?"
            parameters.append(split)
        for column, values in (("category", categories), ("clothes_type", clothes_types),
                               ("variation_type", variation_types)):
            if values:
                sql += f" AND {column} IN ({', '.join('?' * len(values))})"
                parameters += [float(value) for value in values]
        rows = self._query(sql + " ORDER BY rowid", tuple(parameters))
        if not attributes:
            return [name for _, name in rows]
        allowed: np.ndarray | None = None
        for attribute in attributes:
            found = self._query("SELECT rows FROM attribute_images WHERE attribute = ?", (int(attribute),))
            having = np.frombuffer(found[0][0], dtype=np.int32) if found else np.zeros(0, dtype=np.int32)
            allowed = having if allowed is None else np.intersect1d(allowed, having, assume_unique=True)
        positions = np.array([position for position, _ in rows], dtype=np.int64)
        keep = np.isin(positions, allowed)
        return [name for (_, name), kept in zip(rows, keep.tolist()) if kept]

    def problems(self) -> list[Problem]:
        return [Problem(*row) for row in self._query("SELECT file, message, record, hint, severity FROM problems")]

"""DeepFashion2 in its official per-image layout.

Layout under the root::

    <split>/image/NNNNNN.jpg     splits: train, validation, test
    <split>/annos/NNNNNN.json    (no annos folder for test)

Each JSON contains ``source`` and ``pair_id`` for the image and ``item1``, ``item2``, ...
for the garments. The same six-digit names occur in every split, so samples are
keyed by (split, name).

Files written by the official converter to COCO (one JSON with 294 keypoint slots) are
accepted too when they lie in the root, in ``coco/`` or in ``annotations/``: each is a
split named ``coco/<file stem>``, read with ``loaders.coco.read_deepfashion2_coco``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson

if TYPE_CHECKING:
    import pandas as pd

from loaders.index_store import build_or_open, folder_signature, index_path
from loaders.model import ImageSource, Instance, KeypointSchema, Problem, Related, Sample, Visibility
from loaders.qa import Check, Flag

log = logging.getLogger(__name__)

TABLE_FILE = Path(__file__).resolve().parent.parent / "assets" / "tables" / "deepfashion2.json"
SPLIT_ORDER = ("train", "validation", "test")

# Meaning of the per-item codes, as the DeepFashion2 README gives them.
ITEM_CODES = {
    "scale": {1: "small", 2: "modest", 3: "large"},
    "occlusion": {1: "slight", 2: "medium", 3: "heavy"},
    "zoom_in": {1: "no", 2: "medium", 3: "large"},
    "viewpoint": {1: "no wear", 2: "frontal", 3: "side or back"},
}
ITEM_COLUMNS = ("sample_id", "item", "source", "pair_id", "category_id", "style", *ITEM_CODES)
# DeepFashion2 writes visibility 2 visible, 1 occluded, 0 not labelled: COCO's codes, ours too.
VISIBILITY_CODES = {0: Visibility.NOT_LABELLED, 1: Visibility.OCCLUDED, 2: Visibility.VISIBLE}


@functools.cache
def categories() -> dict[int, dict]:
    """Return the category table by id: name, landmark count, 294-slot start, skeleton."""
    table = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in table["categories"]}


@functools.cache
def keypoint_schema(category_id: int) -> KeypointSchema:
    """Return the landmark names (1-based numbers, as in the DeepFashion2 figure) and skeleton of a category."""
    entry = categories()[category_id]
    names = tuple(str(number) for number in range(1, entry["num_keypoints"] + 1))
    return KeypointSchema(f"DeepFashion2 {entry['name']}", names, tuple(tuple(edge) for edge in entry["edges"]))


def code_text(field: str, value: object) -> str:
    """Return ``"2 medium"`` for a known item code, else the value as text."""
    name = ITEM_CODES.get(field, {}).get(value) if isinstance(value, int) else None
    return f"{value} {name}" if name else str(value)


def _number_list(value: object) -> np.ndarray | None:
    if not isinstance(value, list):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def parse_item(key: str, item: dict, file_name: str) -> Instance:
    """Turn one ``itemN`` record into an Instance, recording problems instead of raising."""
    instance = Instance(id=key)
    problems = instance.problems
    record = key

    category_id = item.get("category_id")
    if isinstance(category_id, str) and category_id.strip().isdigit():
        # Some re-exported files write ids as text; the number is still usable.
        problems.append(Problem(file_name, f"category_id {category_id!r} is text, read as a number.", record,
                                severity="info"))
        category_id = int(category_id)
    if isinstance(category_id, int) and not isinstance(category_id, bool) and category_id in categories():
        instance.category_id = category_id
        instance.category_name = categories()[category_id]["name"]
        instance.keypoint_schema = keypoint_schema(category_id)
    else:
        instance.category_name = str(item.get("category_name", "unknown"))
        problems.append(Problem(file_name, f"category_id {category_id!r} is not one of 1..13.", record))

    box = _number_list(item.get("bounding_box"))
    if box is not None and box.shape == (4,) and np.isfinite(box).all():
        instance.bbox = box  # DeepFashion2 boxes are already xyxy
        if box[2] < box[0] or box[3] < box[1]:
            problems.append(Problem(file_name, f"bounding_box {box.tolist()} has a negative width or height.",
                                    record, hint="The corners may be swapped."))
    else:
        problems.append(Problem(file_name, f"bounding_box {item.get('bounding_box')!r} is not 4 numbers.", record))

    for index, polygon in enumerate(item.get("segmentation") or []):
        values = _number_list(polygon)
        if values is None or values.ndim != 1 or len(values) < 6 or len(values) % 2 or not np.isfinite(values).all():
            problems.append(Problem(file_name, f"polygon {index} is not a list of at least 3 x, y pairs.", record))
            continue
        instance.polygons.append(values.reshape(-1, 2))

    instance.keypoints = _parse_landmarks(item.get("landmarks"), instance, file_name, record)

    instance.fields = {"style": item.get("style")}
    for field in ITEM_CODES:
        if field in item:
            instance.fields[field] = item[field]
    return instance


def _parse_landmarks(raw: object, instance: Instance, file_name: str, record: str) -> np.ndarray | None:
    values = _number_list(raw)
    if values is None or values.ndim != 1 or len(values) % 3:
        instance.problems.append(Problem(file_name, "landmarks is not a flat list of x, y, v triplets.", record))
        return None
    triplets = values.reshape(-1, 3)
    expected = categories().get(instance.category_id, {}).get("num_keypoints")
    if expected is not None and len(triplets) != expected:
        instance.problems.append(Problem(
            file_name, f"{len(triplets)} landmarks, but {instance.category_name} has {expected}.", record))
    points = np.empty((len(triplets), 3), dtype=np.float32)
    points[:, :2] = triplets[:, :2]
    codes = triplets[:, 2]
    points[:, 2] = [VISIBILITY_CODES.get(int(code), Visibility.NOT_LABELLED) for code in codes]
    unknown = sorted({int(code) for code in codes} - set(VISIBILITY_CODES))
    if unknown:
        instance.problems.append(Problem(file_name, f"landmark visibility codes {unknown} are not 0, 1 or 2.",
                                         record))
    # Unlabelled points are stored as 0, 0, 0: they have no position.
    points[points[:, 2] == Visibility.NOT_LABELLED, :2] = np.nan
    if len(points) and not (points[:, 2] > 0).any():
        instance.problems.append(Problem(file_name, "every landmark of this item is unlabelled (0, 0, 0).", record,
                                         severity="info"))
    return points


class DeepFashion2Dataset:
    """Lazy reader of one DeepFashion2 root; see the module docstring for the layout."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.problems: list[Problem] = []
        self._ids: dict[str, list[str]] = {}
        self._coco: dict[str, object] = {}
        self._pair_connections: dict[str, sqlite3.Connection] = {}

    def splits(self) -> list[str]:
        """Return the splits that have an image or annos folder, in the official order, then COCO files."""
        found = [name for name in os.listdir(self.root) if (self.root / name / "annos").is_dir()
                 or (self.root / name / "image").is_dir()] if self.root.is_dir() else []
        ordered = sorted(found, key=lambda name: (SPLIT_ORDER.index(name) if name in SPLIT_ORDER else 99, name))
        return ordered + sorted(self.coco_files())

    def coco_files(self) -> dict[str, Path]:
        """Return the converted COCO files found, by split name ``coco/<file stem>``."""
        files = {}
        for folder in (self.root, self.root / "coco", self.root / "annotations"):
            if folder.is_dir():
                files.update({f"coco/{path.stem}": path for path in sorted(folder.glob("*.json"))})
        return files

    def coco_reader(self, split: str):
        """Return the COCO reader of a ``coco/...`` split; images are looked for in ``<split>/image``."""
        if split not in self._coco:
            from loaders.coco import read_deepfashion2_coco

            path = self.coco_files()[split]
            stem = path.stem.lower()
            # The converter's outputs are usually named after their split (e.g. validation.json).
            image_split = "test"
            if "val" in stem:
                image_split = "validation"
            elif "train" in stem:
                image_split = "train"
            self._coco[split] = read_deepfashion2_coco(path, self.root / image_split / "image")
        return self._coco[split]

    def sample_ids(self, split: str) -> list[str]:
        """Return the sorted image names (without extension) of a split, from annos or else image."""
        if split not in self._ids:
            if split.startswith("coco/"):
                self._ids[split] = [str(image_id) for image_id in self.coco_reader(split).image_ids()]
            else:
                self._ids[split] = self._list_names(split)
        return self._ids[split]

    def _list_names(self, split: str) -> list[str]:
        for folder, suffix in (("annos", ".json"), ("image", ".jpg")):
            path = self.root / split / folder
            if path.is_dir():
                with os.scandir(path) as entries:
                    return sorted(entry.name[:-len(suffix)] for entry in entries if entry.name.endswith(suffix))
        return []

    def annotation_path(self, split: str, sample_id: str) -> Path:
        return self.root / split / "annos" / f"{sample_id}.json"

    def image_path(self, split: str, sample_id: str) -> Path:
        return self.root / split / "image" / f"{sample_id}.jpg"

    def read_record(self, split: str, sample_id: str) -> tuple[dict | None, Problem | None]:
        """Parse one per-image JSON; a missing or malformed file gives a Problem."""
        path = self.annotation_path(split, sample_id)
        try:
            record = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            if split == "test":
                return {}, None  # the test split has no annotations
            return None, Problem(str(path), "annotation file not found.", severity="error")
        except orjson.JSONDecodeError as error:
            return None, Problem(str(path), f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}.",
                                 hint="Download or extract this file again.", severity="error")
        if not isinstance(record, dict):
            return None, Problem(str(path), "top level is not a JSON object.", severity="error")
        return record, None

    def load_sample(self, split: str, sample_id: str) -> Sample:
        """Read one image's annotations into a Sample (the pixels are read later, by the page)."""
        if split.startswith("coco/"):
            return self._load_coco_sample(split, sample_id)
        sample = Sample(id=sample_id, split=split,
                        image=ImageSource(path=self.image_path(split, sample_id), root=self.root))
        record, problem = self.read_record(split, sample_id)
        if problem is not None:
            sample.problems.append(problem)
            return sample
        file_name = str(self.annotation_path(split, sample_id))
        sample.fields = {"source": record.get("source"), "pair_id": record.get("pair_id")}
        # Item keys are not sorted in the files; order them by their number.
        keys = sorted((key for key in record if key.startswith("item")), key=_item_number)
        for key in keys:
            item = record[key]
            if not isinstance(item, dict):
                sample.problems.append(Problem(file_name, "item is not a JSON object.", key))
                continue
            instance = parse_item(key, item, file_name)
            sample.instances.append(instance)
            sample.problems.extend(instance.problems)
        return sample

    def _load_coco_sample(self, split: str, sample_id: str) -> Sample:
        sample = self.coco_reader(split).load_sample(int(sample_id))
        sample.split = split
        # The converter keeps pair_id per annotation and drops source.
        pair_ids = {instance.fields.get("pair_id") for instance in sample.instances} - {None}
        sample.fields = {"source": None, "pair_id": min(pair_ids) if pair_ids else None}
        return sample

    def scan(self, split: str, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """Return one row per item of a split, for filters and pair look-ups, from the persistent index."""
        import pandas as pd  # imported here: opening a dataset and its first sample does not need it

        if split.startswith("coco/"):
            # NOTE: converted COCO files are scanned sample by sample, without a persistent index.
            rows = [(sample.id, instance.id, None, instance.fields.get("pair_id"), instance.category_id,
                     instance.fields.get("style"), None, None, None, None)
                    for sample in (self.load_sample(split, sample_id) for sample_id in self.sample_ids(split))
                    for instance in sample.instances]
            return pd.DataFrame(rows, columns=list(ITEM_COLUMNS))

        connection = self.index(split, progress)
        try:
            return pd.read_sql_query("SELECT * FROM items ORDER BY sample_id, item", connection)
        finally:
            connection.close()

    def index(self, split: str, progress: Callable[[int, int], None] | None = None) -> sqlite3.Connection:
        """Open the split's index, building it first (reading every annotation file) if needed."""
        folder = self.root / split / "annos"
        path = index_path("deepfashion2", folder_signature(folder, ".json"))
        return build_or_open(path, lambda connection: self._build_index(connection, split, progress))

    def pair_items(self, split: str, pair_id: object) -> pd.DataFrame:
        """Return the item rows of one pair_id: from the index with one query, without the whole table."""
        import pandas as pd

        if split.startswith("coco/"):
            items = self.scan(split)
            return items[items.pair_id == pair_id]
        if split not in self._pair_connections:
            # One signature check per split and process: it stats every annotation file.
            self._pair_connections[split] = self.index(split)
        return pd.read_sql_query("SELECT * FROM items WHERE pair_id = ? ORDER BY sample_id, item",
                                 self._pair_connections[split], params=(pair_id,))

    def _build_index(self, connection: sqlite3.Connection, split: str,
                     progress: Callable[[int, int], None] | None) -> None:
        connection.execute(f"CREATE TABLE items ({', '.join(ITEM_COLUMNS)})")
        connection.execute("CREATE TABLE problems (sample_id, message)")
        ids = self.sample_ids(split)
        rows, problems = [], []
        for number, sample_id in enumerate(ids):
            if progress is not None and number % 500 == 0:
                progress(number, len(ids))
            record, problem = self.read_record(split, sample_id)
            if problem is not None:
                problems.append((sample_id, str(problem)))
                continue
            for key, item in (record or {}).items():
                if key.startswith("item") and isinstance(item, dict):
                    rows.append((sample_id, key, record.get("source"), _int_or_none(record.get("pair_id")),
                                 *(_int_or_none(item.get(field)) for field in ITEM_COLUMNS[4:])))
        connection.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        connection.executemany("INSERT INTO problems VALUES (?, ?)", problems)
        connection.execute("CREATE INDEX items_pair ON items (pair_id, style)")
        if progress is not None:
            progress(len(ids), len(ids))


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def pair_partners(items: pd.DataFrame, sample: Sample) -> list[Related]:
    """Return, for each item with style > 0, the other images with the same pair_id and style.

    An item whose counterpart is missing gets a Related entry with an empty sample_id.
    """
    related = []
    pair_id = sample.fields.get("pair_id")
    for instance in sample.instances:
        style = instance.fields.get("style")
        if not isinstance(style, int) or style <= 0:
            continue
        matches = items[(items.pair_id == pair_id) & (items["style"] == style) & (items.sample_id != sample.id)]
        partners = sorted(set(matches.sample_id))
        if not partners:
            related.append(Related("counterpart", "", sample.split,
                                   f"{instance.id} (style {style}): no other image with pair_id {pair_id}"))
        for partner in partners:
            source = matches[matches.sample_id == partner].source.iloc[0]
            related.append(Related("counterpart", partner, sample.split,
                                   f"{instance.id} (style {style}) -> {source}"))
    return related


def counterpart_check(items: pd.DataFrame | Callable[[], pd.DataFrame]) -> Check:
    """Return the check that flags items with style > 0 whose pair has no other image with that style.

    ``items`` is the scan table, or a function returning it: then the table (and the
    split's index behind it) is read only when the check first runs.
    """
    counts: dict = {}

    def images_per_style():
        if "table" not in counts:
            table = items() if callable(items) else items
            styled = table[table["style"].fillna(0) > 0]
            counts["table"] = styled.groupby(["pair_id", "style"]).sample_id.nunique()
        return counts["table"]

    def run(sample: Sample) -> list[Flag]:
        flags = []
        for instance in sample.instances:
            style = instance.fields.get("style")
            if isinstance(style, int) and style > 0 and \
                    images_per_style().get((sample.fields.get("pair_id"), style), 0) < 2:
                flags.append(Flag("missing_counterpart", sample.split, sample.id, instance.id,
                                  f"style {style}, pair_id {sample.fields.get('pair_id')}"))
        return flags

    return Check("missing_counterpart", "Item with style > 0 and no other image of its pair with that style.", run)


def _item_number(key: str) -> int:
    digits = key[4:]
    return int(digits) if digits.isdigit() else 10**9

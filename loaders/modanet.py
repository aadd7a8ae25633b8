"""ModaNet: COCO instances files for PaperDoll street photos, 13 garment categories.

Layout under the root (the annotations folder may also be left out)::

    annotations/modanet2018_instances_train.json
    annotations/modanet2018_instances_val.json
    images/0000003.jpg        '%07d.jpg' % image id; also accepted: <split>/ or images/<split>/

NOTE: images inside PaperDoll's ``photos.lmdb`` are not read; extract them to JPEG files first.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import numpy as np

from loaders.coco import CocoDataset, CocoInstances, CocoOptions, Label, find_image_dir
from loaders.model import Instance, Sample

log = logging.getLogger(__name__)

TABLE_FILE = Path(__file__).resolve().parent.parent / "assets" / "tables" / "modanet.json"
SPLIT_ORDER = ("train", "val")
# Category id of the extra boxes that show a file bbox differing from the mask's box. It is not a ModaNet id.
FILE_BOX_CATEGORY = -1


@functools.cache
def table_categories() -> dict[int, Label]:
    """Return the final-release categories (1 bag .. 13 scarf/tie) from the project table."""
    table = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    return {entry["id"]: Label(entry["id"], entry["name"], entry["supercategory"]) for entry in table["categories"]}


def image_file_name(record: dict) -> str:
    """Return ModaNet's image file name, ``'%07d.jpg' % id`` (the PaperDoll photo id)."""
    return f"{record['id']:07d}.jpg"


def split_of(path: Path) -> str:
    """Return "train" or "val" from a file name like modanet2018_instances_val.json, else the file stem."""
    stem = path.stem
    return stem.rsplit("_", 1)[-1] if stem.startswith("modanet") and "_instances_" in stem else stem


class ModaNetDataset(CocoDataset):
    """One ModaNet root: its annotation files and the image folder of each split."""

    split_order = SPLIT_ORDER

    def find_files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for folder in (self.root / "annotations", self.root):
            for path in sorted(folder.glob("modanet*_instances_*.json")) if folder.is_dir() else []:
                found.setdefault(split_of(path), path)
        return found

    def open_file(self, name: str, path: Path) -> CocoInstances:
        coco = CocoInstances(path, categories=table_categories(), options=CocoOptions(box_source="geometry"),
                             image_name=image_file_name)
        names = [image_file_name(coco.images[image_id]) for image_id in coco.image_ids()[:50]]
        candidates = [self.root / "images" / name, self.root / "images", self.root / name, self.root]
        coco.image_dir = find_image_dir(candidates, names) or self.root / "images"
        return coco


def file_box_instances(sample: Sample) -> list[Instance]:
    """Return one extra box-only instance per instance whose file bbox differs from its mask's box.

    Drawn beside the instances, they show both boxes; their category name says what they are.
    """
    extra = []
    for instance in sample.instances:
        file_box = instance.fields.get("file bbox")
        if instance.fields.get("bbox differs") and isinstance(file_box, np.ndarray):
            extra.append(Instance(id=f"{instance.id} file bbox", category_id=FILE_BOX_CATEGORY,
                                  category_name="file bbox (differs from mask)", bbox=file_box))
    return extra


def images_with_box_mismatch(coco: CocoInstances, progress=None) -> list[int]:
    """Return the ids of images with an annotation whose file bbox differs from its mask's box.'

    Reads every annotation's geometry once and keeps the result in the file's box
    index; in the first train release every multi-polygon annotation is such a case
    (its bbox covers only the last polygon).
    """
    boxes = coco.boxes(progress)
    return list(dict.fromkeys(boxes.image_id[boxes.differs.astype(bool)].tolist()))

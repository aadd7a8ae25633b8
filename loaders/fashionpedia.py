"""Fashionpedia: COCO instances with attributes; 46 categories split into garments and garment parts.

Layouts under the root::

    instances_attributes_train2020.json   images in train/
    instances_attributes_val2020.json     images in test/ (the val/test archive puts them there)
    info_test2020.json                    test images only, no annotations
    data/sample.json + images/            the official API repository (earlier numbering)

Annotation files may also sit in annotations/ or data/. A file's own ``categories``
and ``attributes`` win; without them, ``category_attributes_descriptions.json``
found under the root is used, else the project's table of the 2020 release.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

from loaders.coco import CocoDataset, CocoInstances, CocoOptions, Label, find_image_dir, json_kind, table_labels
from loaders.model import Problem

log = logging.getLogger(__name__)

TABLE_FILE = Path(__file__).resolve().parent.parent / "assets" / "tables" / "fashionpedia.json"
DESCRIPTIONS_NAME = "category_attributes_descriptions.json"
GARMENT = "garment"
GARMENT_PART = "garment part"
# In the 2020 release, ids 27..45 (hood .. tassel) are the garment parts.
RELEASE_PART_IDS = range(27, 46)


@functools.cache
def part_supercategories() -> frozenset[str]:
    """Return the supercategories whose categories are garment parts: garment parts, closures, decorations."""
    table = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    return frozenset(table["garment_part_supercategories"])


def group_of(category: Label | None) -> str:
    """Return "garment part" or "garment" for a category.

    Rule: a category whose supercategory is "garment parts", "closures" or
    "decorations" is a garment part, which gives ids 27..45 in the 2020 release and
    28..47 in the earlier numbering of the API sample file. A category without a
    supercategory falls back to the release ids 27..45.
    """
    if category is None:
        return GARMENT
    if category.supercategory:
        return GARMENT_PART if category.supercategory in part_supercategories() else GARMENT
    return GARMENT_PART if category.id in RELEASE_PART_IDS else GARMENT


def split_label(path: Path) -> str:
    """Return a short name for an annotation file: train, val, test, or the file stem."""
    stem = path.stem
    for split in ("train", "val", "test"):
        if f"_{split}20" in stem or stem.endswith(f"_{split}"):
            return split
    return stem


class FashionpediaDataset(CocoDataset):
    """One Fashionpedia root: its annotation files, label tables and image folders."""

    def find_files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for folder in (self.root, self.root / "annotations", self.root / "data"):
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.json")):
                # Results files (a JSON list) are predictions. An empty or broken file is listed, so opening it
                # reports what is wrong instead of the split disappearing.
                if path.name == DESCRIPTIONS_NAME or json_kind(path) == "list":
                    continue
                label = split_label(path)
                found[label if label not in found else path.stem] = path
        return found

    def fallback_tables(self) -> tuple[dict[int, Label], dict[int, Label], Path]:
        """Return the categories and attributes used for files without their own lists, and their source.

        A label table found under the root that cannot be read is skipped and reported in ``table_problems``.
        """
        self.table_problems: list[Problem] = []
        for path in (self.root / DESCRIPTIONS_NAME, self.root / "data" / "demo" / DESCRIPTIONS_NAME):
            if path.is_file():
                try:
                    categories, attributes = table_labels(path)
                    return categories, attributes, path
                except (OSError, ValueError) as error:
                    log.error("%s could not be read (%s), so the project table is used", path, error)
                    self.table_problems.append(Problem(str(path), f"label table could not be read: {error}; the "
                                                       "project's table of the 2020 release is used instead.",
                                                       hint="Download or extract the file again."))
        categories, attributes = table_labels(TABLE_FILE)
        return categories, attributes, TABLE_FILE

    def open_file(self, name: str, path: Path) -> CocoInstances:
        categories, attributes, _ = self.fallback_tables()
        coco = CocoInstances(path, categories=categories, attributes=attributes, options=CocoOptions(group_of=group_of))
        coco.problems.extend(self.table_problems)
        names = [str(coco.images[image_id].get("file_name", "")) for image_id in coco.image_ids()[:50]]
        folders = {"train": ["train"], "val": ["test", "val"], "test": ["test"]}.get(split_label(path), [])
        candidates = [self.root / folder for folder in folders]
        candidates += [self.root / "images", path.parent / "images", path.parent, self.root]
        coco.image_dir = find_image_dir(candidates, names) or self.root
        return coco

"""Quality checks and statistics tables of one COCO instances file, from its index.

The checks complement ``loaders.qa.GENERIC_CHECKS`` with what only the COCO file
reveals: ids used twice, category and attribute ids missing from the file's lists,
file boxes that differ from the box of the mask (ModaNet's first release wrote the
box of the last polygon only), and RLE masks sized for another image. Annotations
whose image is not listed cannot be flagged on a sample; ``CocoInstances.orphans``
lists them for the page.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from loaders.coco import CocoInstances
from loaders.model import Sample
from loaders.qa import Check, Flag
from loaders.stats import DatasetTables


def _flag(check_id: str, sample: Sample, instance_id: str, detail: str) -> Flag:
    return Flag(check_id, sample.split, sample.id, instance_id, detail)


def duplicate_id_check(coco: CocoInstances) -> Check:
    """Return the check that flags annotations whose id an earlier annotation of the file already has."""
    repeated: set[tuple[int, int]] = set()
    loaded = False

    def run(sample: Sample) -> list[Flag]:
        nonlocal loaded
        if not loaded:  # on the first run, so opening a page does not build the whole filter table
            positions = sorted(coco.duplicate_positions())
            if positions:
                table = coco.table()
                repeated.update(zip(table.image_id.reindex(positions).tolist(),
                                    table.annotation_id.reindex(positions).tolist()))
            loaded = True
        return [_flag("duplicate_annotation_id", sample, instance.id, f"annotation id {instance.id} is used twice")
                for instance in sample.instances if (int(sample.id), _int(instance.id)) in repeated]

    return Check("duplicate_annotation_id", "Annotation id used by an earlier annotation of the file.", run)


def unknown_label_check(coco: CocoInstances) -> Check:
    """Return the check that flags category and attribute ids missing from the file's (or the table's) lists."""

    def run(sample: Sample) -> list[Flag]:
        flags = []
        for instance in sample.instances:
            if instance.category_id not in coco.categories:
                flags.append(_flag("unknown_category", sample, instance.id, f"category_id {instance.category_id}"))
            unknown = [value for value in instance.attribute_ids if value not in coco.attributes]
            if unknown:
                flags.append(_flag("unknown_attribute", sample, instance.id,
                                   "attribute ids " + ", ".join(map(str, unknown))))
        return flags

    return Check("unknown_category", "Category id missing from the categories list.", run)


def unknown_attribute_check(label_check: Check) -> Check:
    """Return the attribute half of ``unknown_label_check`` under its own id (one run serves both)."""
    return Check("unknown_attribute", "Attribute id missing from the attributes list.", label_check.run)


def check_file_box(sample: Sample) -> list[Flag]:
    """Flag instances whose file bbox differs from the box of their polygons or RLE mask."""
    flags = []
    for instance in sample.instances:
        file_box = instance.fields.get("file bbox")
        if instance.fields.get("bbox differs") and isinstance(file_box, np.ndarray) and instance.bbox is not None:
            shown = ", ".join(f"{value:.0f}" for value in file_box)
            computed = ", ".join(f"{value:.0f}" for value in instance.bbox)
            flags.append(_flag("file_bbox_mismatch", sample, instance.id, f"file xyxy {shown}, mask xyxy {computed}"))
    return flags


def check_mask_size(sample: Sample) -> list[Flag]:
    """Flag RLE masks whose size is not the image's [height, width]: they cover another frame."""
    if not sample.width or not sample.height:
        return []
    return [_flag("mask_outside_image", sample, instance.id,
                  f"RLE size {instance.rle['size']}, image {sample.height}x{sample.width}")
            for instance in sample.instances
            if instance.rle is not None and list(instance.rle["size"]) != [sample.height, sample.width]]


def coco_checks(coco: CocoInstances) -> list[Check]:
    """Return the COCO-specific checks of one opened file."""
    labels = unknown_label_check(coco)
    return [duplicate_id_check(coco), labels, unknown_attribute_check(labels),
            Check("file_bbox_mismatch", "File bbox differs from the box of the mask (by more than 2 px).",
                  check_file_box),
            Check("mask_outside_image", "RLE mask sized for another image than the one it annotates.",
                  check_mask_size)]


def coco_tables(coco: CocoInstances, progress: Callable[[int, int], None] | None = None) -> DatasetTables:
    """Return the statistics tables of one file from its index, without building a Sample per image.

    Box sizes come from the mask's box where there is a mask, else from the file's
    bbox. Attributes are grouped by their supercategory.
    """
    table = coco.table()
    boxes = coco.boxes(progress).set_index("position")
    split = coco.split
    names = {category_id: label.name for category_id, label in coco.categories.items()}
    sample_ids = table.image_id.astype(str)
    x1 = boxes.mask_x1.fillna(boxes.file_x1).reindex(table.index)
    y1 = boxes.mask_y1.fillna(boxes.file_y1).reindex(table.index)
    x2 = boxes.mask_x2.fillna(boxes.file_x2).reindex(table.index)
    y2 = boxes.mask_y2.fillna(boxes.file_y2).reindex(table.index)
    instances = pd.DataFrame({"split": split, "sample_id": sample_ids.to_numpy(),
                              "category": [names.get(value, f"category {value}") for value in table.category_id],
                              "width": (x2 - x1).to_numpy(dtype=float), "height": (y2 - y1).to_numpy(dtype=float)})
    instances["aspect"] = instances.width / instances.height.replace(0, np.nan)

    exploded = pd.DataFrame({"sample_id": sample_ids.to_numpy(), "attribute_id": table.attribute_ids.to_numpy()})
    exploded = exploded.explode("attribute_id").dropna()
    labels = pd.DataFrame({"split": split, "sample_id": exploded.sample_id.to_numpy(),
                           "group": [coco.attributes[value].supercategory or "attribute" if value in coco.attributes
                                     else "unknown id" for value in exploded.attribute_id],
                           "label": [coco.attributes[value].name if value in coco.attributes
                                     else f"attribute {value}" for value in exploded.attribute_id]})

    counts = table.groupby("image_id").size()
    image_ids = coco.image_ids()
    samples = pd.DataFrame({"split": split, "sample_id": [str(image_id) for image_id in image_ids],
                            "instances": counts.reindex(image_ids, fill_value=0).to_numpy()})
    return DatasetTables(instances=instances, labels=labels,
                         keypoints=pd.DataFrame(columns=["schema", "index", "name", "visibility"]),
                         captions=pd.DataFrame(columns=["split", "sample_id", "words"]), samples=samples)


def _int(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None

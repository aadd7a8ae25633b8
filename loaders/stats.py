"""Tables of a dataset's make-up, computed from samples, for the statistics charts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.model import Sample, Visibility

VISIBILITY_NAMES = {Visibility.NOT_LABELLED: "not labelled", Visibility.OCCLUDED: "occluded",
                    Visibility.VISIBLE: "visible", Visibility.TRUNCATED: "truncated"}


@dataclass
class DatasetTables:
    """One row per instance, per image label, per keypoint slot and per caption."""

    instances: pd.DataFrame  # split, sample_id, category, width, height, aspect
    labels: pd.DataFrame  # split, sample_id, group, label (image labels and instance attributes)
    keypoints: pd.DataFrame  # schema, index, name, visibility
    captions: pd.DataFrame  # split, sample_id, words
    samples: pd.DataFrame  # split, sample_id, instances


def dataset_tables(samples: Iterable[Sample]) -> DatasetTables:
    """Collect the statistics tables of the given samples in one pass."""
    instance_rows, label_rows, keypoint_rows, caption_rows, sample_rows = [], [], [], [], []
    for sample in samples:
        sample_rows.append((sample.split, sample.id, len(sample.instances)))
        for group, values in sample.labels.items():
            label_rows.extend((sample.split, sample.id, group, value) for value in values)
        for caption in sample.captions:
            caption_rows.append((sample.split, sample.id, len(caption.split())))
        for instance in sample.instances:
            category = instance.category_name or str(instance.category_id)
            width = height = np.nan
            if instance.bbox is not None:
                width, height = instance.bbox[2] - instance.bbox[0], instance.bbox[3] - instance.bbox[1]
            instance_rows.append((sample.split, sample.id, category, width, height))
            label_rows.extend((sample.split, sample.id, instance.group or "attribute", name)
                              for name in instance.attributes)
            if instance.keypoints is not None and instance.keypoint_schema is not None:
                names = instance.keypoint_schema.keypoint_names
                schema = instance.keypoint_schema.name
                for index, code in enumerate(instance.keypoints[:, 2].astype(int)):
                    name = names[index] if index < len(names) else str(index)
                    keypoint_rows.append((schema, index, name, VISIBILITY_NAMES.get(code, str(code))))
    instances = pd.DataFrame(instance_rows, columns=["split", "sample_id", "category", "width", "height"])
    instances["aspect"] = instances.width / instances.height.replace(0, np.nan)
    return DatasetTables(
        instances=instances,
        labels=pd.DataFrame(label_rows, columns=["split", "sample_id", "group", "label"]),
        keypoints=pd.DataFrame(keypoint_rows, columns=["schema", "index", "name", "visibility"]),
        captions=pd.DataFrame(caption_rows, columns=["split", "sample_id", "words"]),
        samples=pd.DataFrame(sample_rows, columns=["split", "sample_id", "instances"]))


def instance_table(sample: Sample, field_text=lambda field, value: str(value)) -> pd.DataFrame:
    """Return one row per instance: id, category, box, keypoints labelled, polygons, attributes, fields."""
    rows = []
    for instance in sample.instances:
        row = {"id": instance.id, "category": f"{instance.category_id} {instance.category_name}".strip()}
        if instance.bbox is not None:
            row["box (xyxy)"] = ", ".join(f"{value:.0f}" for value in instance.bbox)
        if instance.keypoints is not None:
            labelled = int((instance.keypoints[:, 2] > Visibility.NOT_LABELLED).sum())
            row["keypoints labelled"] = f"{labelled}/{len(instance.keypoints)}"
        if instance.polygons:
            row["polygons"] = len(instance.polygons)
        if instance.attributes:
            row["attributes"] = ", ".join(instance.attributes)
        if instance.score is not None:
            row["score"] = round(instance.score, 3)
        row.update({field: field_text(field, value) for field, value in instance.fields.items()})
        rows.append(row)
    return pd.DataFrame(rows)

"""COCO results files (predictions): reading them against a ground-truth file and matching them to it.

A results file is a JSON list of annotations, each with ``image_id``,
``category_id``, ``score`` and a ``segmentation`` (RLE or polygons) or a ``bbox``.
Category and attribute ids are resolved with the ground-truth file's lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
from pycocotools import mask as mask_utils

from loaders.coco import CocoInstances, annotation_instance, json_kind, parse_json
from loaders.coco_geometry import instance_rle, integer_id
from loaders.coco_store import json_error_text
from loaders.model import Instance, Problem

log = logging.getLogger(__name__)


@dataclass
class CocoResults:
    """Predictions of a COCO results file, converted against the categories of a ground-truth file."""

    name: str
    by_image: dict[int, list[dict]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    count: int = 0

    def instances(self, image_id: int, gt: CocoInstances, min_score: float = 0.0) -> list[Instance]:
        """Return the predictions for one image with score >= ``min_score``, best first."""
        image = gt.images.get(image_id)
        found = [annotation_instance(record, image, gt.categories, gt.attributes, self.name, gt.options)
                 for record in self.by_image.get(image_id, [])]
        kept = [instance for instance in found if (instance.score or 0.0) >= min_score]
        return sorted(kept, key=lambda instance: -(instance.score or 0.0))


def read_results(data: bytes, name: str, gt: CocoInstances) -> CocoResults:
    """Parse a COCO results file (a JSON list of annotations with ``score``) against a ground-truth file."""
    results = CocoResults(name)
    try:
        value, problems = parse_json(data, name)
    except orjson.JSONDecodeError as error:
        results.problems.append(Problem(name, f"file could not be parsed as JSON: {json_error_text(error, len(data))}.",
                                        f"line {error.lineno}, column {error.colno}", severity="error"))
        return results

    results.problems.extend(problems)
    if isinstance(value, dict) and isinstance(value.get("annotations"), list):
        results.problems.append(Problem(name, "the file is an object with 'annotations', not a results list; "
                                        "its annotations are read as predictions.", severity="info"))
        value = value["annotations"]
    if not isinstance(value, list):
        results.problems.append(Problem(name, f"top level is a JSON {type(value).__name__}; a COCO results file "
                                        "is a list of annotations with image_id, category_id and score.",
                                        severity="error"))
        return results

    gt.load()
    unknown_images = 0
    quoted = 0
    for position, record in enumerate(value):
        if not isinstance(record, dict):
            results.problems.append(Problem(name, "result is not a JSON object.", f"result {position}"))
            continue
        record = dict(record)
        # Results files often have no ids, so the position in the file identifies the result.
        record.setdefault("id", f"r{position}")
        image_id = integer_id(record.get("image_id"))
        if isinstance(record.get("image_id"), str) and image_id is not None:
            quoted += 1
            record["image_id"] = image_id
        if image_id not in gt.images:
            unknown_images += 1
            continue
        if "segmentation" not in record and "bbox" not in record:
            results.problems.append(Problem(name, "result has neither segmentation nor bbox.",
                                            f"image {record.get('image_id')}, result {record['id']}"))
            continue
        results.by_image.setdefault(record["image_id"], []).append(record)
        results.count += 1

    if quoted:
        results.problems.append(Problem(name, f"{quoted} results write image_id as a string of digits; "
                                        "they are read as integers.", severity="info"))
    if unknown_images:
        results.problems.append(Problem(name, f"{unknown_images} results name an image_id that is not in "
                                        f"{gt.path.name}; they are not shown.",
                                        hint="Pick the results file made for this annotation file."))
    log.info("%s: %d results on %d images", name, results.count, len(results.by_image))
    return results


@dataclass
class Match:
    """The ground-truth instance that best overlaps one prediction."""

    prediction: Instance
    ground_truth: Instance | None
    iou: float


def match_predictions(predictions: list[Instance], ground_truth: list[Instance], height: int,
                      width: int) -> list[Match]:
    """Pair each prediction with the ground-truth instance of highest mask IoU (box IoU when either has no mask)."""
    matches = []
    gt_masks = [instance_rle(instance, height, width) for instance in ground_truth]
    for prediction in predictions:
        best, best_iou = None, 0.0
        predicted = instance_rle(prediction, height, width)
        for candidate, candidate_mask in zip(ground_truth, gt_masks):
            if predicted is not None and candidate_mask is not None:
                iou = float(mask_utils.iou([predicted], [candidate_mask], [0])[0][0])
            elif prediction.bbox is not None and candidate.bbox is not None:
                iou = _box_iou(prediction.bbox, candidate.bbox)
            else:
                continue
            if iou > best_iou:
                best, best_iou = candidate, iou
        matches.append(Match(prediction, best, best_iou))
    return matches


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def find_results_files(root: Path, max_files: int = 200, max_depth: int = 4) -> list[Path]:
    """Return the JSON files under ``root`` whose top level is a list (COCO results), sorted by path."""
    found: list[Path] = []
    root = Path(root)
    for path in sorted(root.rglob("*.json")):
        if len(path.relative_to(root).parts) > max_depth:
            continue
        if json_kind(path) == "list":
            found.append(path)
            if len(found) >= max_files:
                log.warning("%s: more than %d results files, so only the first %d are listed", root, max_files,
                            max_files)
                break
    return found

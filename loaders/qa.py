"""Annotation quality checks that run on the annotation model, for any dataset.

A check has an id, a one-line explanation and a function that returns the flags it
raises on one sample. Dataset-specific checks (pairs without a counterpart, captions,
duplicate images) are written next to their loader with the same Check type and run
by the same runner.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from loaders.model import Instance, Sample, Visibility, box_from_points, keypoints_with_position

# A polygon box counts as different from the file's box when they overlap less than this.
BOX_MATCH_IOU = 0.9
# Keypoints further outside their box than this share of the box size are flagged.
KEYPOINT_BOX_MARGIN = 0.25
# Coordinates beyond this many pixels are taken as corrupt (no fashion image is that large).
HUGE_COORDINATE = 100_000


@dataclass(frozen=True)
class Flag:
    """One finding: a sample, optionally the instance in it, and what is wrong."""

    check_id: str
    split: str
    sample_id: str
    instance_id: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Check:
    """A quality check: ``run`` returns its flags for one sample."""

    id: str
    explanation: str
    run: Callable[[Sample], list[Flag]]


@dataclass
class QaReport:
    """Flags of a run of checks over many samples, with counts per check."""

    checks: list[Check]
    flags: list[Flag] = field(default_factory=list)
    samples_checked: int = 0

    def counts(self) -> dict[str, int]:
        counter = Counter(flag.check_id for flag in self.flags)
        return {check.id: counter.get(check.id, 0) for check in self.checks}

    def flagged_samples(self, check_ids: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """Return (split, sample_id) of flagged samples, in the order they were checked."""
        wanted = set(check_ids) if check_ids is not None else None
        seen: dict[tuple[str, str], None] = {}
        for flag in self.flags:
            if wanted is None or flag.check_id in wanted:
                seen.setdefault((flag.split, flag.sample_id), None)
        return list(seen)

    def flags_for(self, split: str, sample_id: str) -> list[Flag]:
        return [flag for flag in self.flags if flag.split == split and flag.sample_id == sample_id]


def _flag(check_id: str, sample: Sample, instance: Instance | None = None, detail: str = "") -> Flag:
    return Flag(check_id, sample.split, sample.id, instance.id if instance else "", detail)


def _polygon_area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    overlap = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - overlap
    return overlap / union if union > 0 else 0.0


def check_degenerate_polygons(sample: Sample) -> list[Flag]:
    flags = []
    for instance in sample.instances:
        for index, polygon in enumerate(instance.polygons):
            if len(polygon) < 3 or _polygon_area(polygon) == 0.0:
                flags.append(_flag("degenerate_polygon", sample, instance,
                                   f"polygon {index}: {len(polygon)} points, area {_polygon_area(polygon):.0f}"))
    return flags


def _outside(points: np.ndarray, width: int, height: int, slack: float = 1.0) -> bool:
    return bool((points[:, 0] < -slack).any() or (points[:, 1] < -slack).any()
                or (points[:, 0] > width + slack).any() or (points[:, 1] > height + slack).any())


def check_outside_image(sample: Sample) -> list[Flag]:
    if not sample.width or not sample.height:
        return []
    flags = []
    for instance in sample.instances:
        if any(_outside(polygon, sample.width, sample.height) for polygon in instance.polygons):
            flags.append(_flag("polygon_outside_image", sample, instance,
                               f"polygon leaves the {sample.width}x{sample.height} image"))
    return flags


def check_box_matches_polygons(sample: Sample) -> list[Flag]:
    flags = []
    for instance in sample.instances:
        usable = [polygon for polygon in instance.polygons if len(polygon) >= 3]
        if instance.bbox is None or not usable:
            continue
        computed = box_from_points(np.concatenate(usable))
        iou = _iou(instance.bbox, computed)
        if iou < BOX_MATCH_IOU:
            flags.append(_flag("box_polygon_mismatch", sample, instance,
                               f"box IoU with the polygons' box is {iou:.2f}"))
    return flags


def check_zero_size_boxes(sample: Sample) -> list[Flag]:
    flags = []
    for instance in sample.instances:
        box = instance.bbox
        if box is not None and (box[2] <= box[0] or box[3] <= box[1]):
            flags.append(_flag("zero_size_box", sample, instance, f"box {box.tolist()}"))
    return flags


def check_non_finite(sample: Sample) -> list[Flag]:
    flags = []
    for instance in sample.instances:
        arrays = [*instance.polygons] + ([instance.bbox] if instance.bbox is not None else [])
        if instance.keypoints is not None:
            placed = instance.keypoints[:, 2] > Visibility.NOT_LABELLED
            arrays.append(instance.keypoints[placed & ~np.isnan(instance.keypoints[:, 0]), :2])
        for array in arrays:
            if array.size and ((~np.isfinite(array)).any() or (np.abs(np.nan_to_num(array)) > HUGE_COORDINATE).any()):
                flags.append(_flag("non_finite_coordinates", sample, instance, "NaN, infinite or huge coordinate"))
                break
    return flags


def check_keypoints_outside(sample: Sample) -> list[Flag]:
    flags = []
    for instance in sample.instances:
        if instance.keypoints is None:
            continue
        placed = instance.keypoints[keypoints_with_position(instance.keypoints), :2]
        if not len(placed):
            continue
        if sample.width and sample.height and _outside(placed, sample.width, sample.height):
            flags.append(_flag("keypoint_outside_image", sample, instance, "a keypoint lies outside the image"))
        elif instance.bbox is not None:
            x1, y1, x2, y2 = instance.bbox
            margin_x, margin_y = KEYPOINT_BOX_MARGIN * (x2 - x1), KEYPOINT_BOX_MARGIN * (y2 - y1)
            far = ((placed[:, 0] < x1 - margin_x) | (placed[:, 0] > x2 + margin_x)
                   | (placed[:, 1] < y1 - margin_y) | (placed[:, 1] > y2 + margin_y))
            if far.any():
                flags.append(_flag("keypoint_far_outside_box", sample, instance,
                                   f"{int(far.sum())} keypoints far outside the box"))
    return flags


def check_all_unlabelled(sample: Sample) -> list[Flag]:
    return [_flag("keypoints_all_unlabelled", sample, instance, f"{len(instance.keypoints)} keypoints, none labelled")
            for instance in sample.instances
            if instance.keypoints is not None and len(instance.keypoints)
            and not (instance.keypoints[:, 2] > Visibility.NOT_LABELLED).any()]


def check_keypoint_count(sample: Sample) -> list[Flag]:
    flags = []
    for instance in sample.instances:
        schema = instance.keypoint_schema
        if instance.keypoints is None or schema is None:
            continue
        if len(instance.keypoints) != len(schema.keypoint_names):
            flags.append(_flag("keypoint_count", sample, instance,
                               f"{len(instance.keypoints)} keypoints, {schema.name} has {len(schema.keypoint_names)}"))
    return flags


def check_loader_problems(sample: Sample) -> list[Flag]:
    """Flag what the loader reported while reading (bad codes, unknown ids, malformed fields)."""
    return [Flag("format_problem", sample.split, sample.id, problem.record, problem.message)
            for problem in sample.problems if problem.severity != "info"]


def check_image_missing(sample: Sample) -> list[Flag]:
    path = sample.image.path
    if sample.image.array is not None or path is None or path.is_file():
        return []
    return [_flag("image_missing", sample, detail=str(path))]


GEOMETRY_CHECKS = [
    Check("degenerate_polygon", "Polygon with under 3 points or zero area.", check_degenerate_polygons),
    Check("polygon_outside_image", "Polygon reaches outside the image.", check_outside_image),
    Check("box_polygon_mismatch", f"Box differs from the polygons' box (IoU < {BOX_MATCH_IOU}).",
          check_box_matches_polygons),
    Check("zero_size_box", "Box with zero or negative width or height.", check_zero_size_boxes),
    Check("non_finite_coordinates", "NaN, infinite or huge coordinates.", check_non_finite),
]
KEYPOINT_CHECKS = [
    Check("keypoint_outside_image", "Keypoint outside the image.", check_keypoints_outside),
    Check("keypoint_far_outside_box", "Keypoint far outside its instance's box.", check_keypoints_outside),
    Check("keypoints_all_unlabelled", "Every keypoint of the instance is unlabelled.", check_all_unlabelled),
    Check("keypoint_count", "Keypoint count does not match the category.", check_keypoint_count),
]
REFERENCE_CHECKS = [
    Check("format_problem", "Malformed or unknown value reported by the loader (codes, ids, fields).",
          check_loader_problems),
    Check("image_missing", "Image listed but missing on disk.", check_image_missing),
]
GENERIC_CHECKS = GEOMETRY_CHECKS + KEYPOINT_CHECKS + REFERENCE_CHECKS


def duplicate_instance_ids(samples: Iterable[Sample]) -> list[Flag]:
    """Return a flag for every instance whose id was already used in another or the same sample."""
    seen: dict[str, tuple[str, str]] = {}
    flags = []
    for sample in samples:
        for instance in sample.instances:
            key = instance.id
            if key in seen:
                flags.append(_flag("duplicate_annotation_id", sample, instance,
                                   f"id {key} also in sample {seen[key][1]}"))
            else:
                seen[key] = (sample.split, sample.id)
    return flags


def _without_repeats(flags: list[Flag]) -> list[Flag]:
    """Drop catch-all format_problem flags on an instance that a more specific check flagged too."""
    specific = {(flag.instance_id, flag.check_id) for flag in flags if flag.check_id != "format_problem"}
    flagged = {instance_id for instance_id, _ in specific}
    return [flag for flag in flags if flag.check_id != "format_problem" or flag.instance_id not in flagged]


def run_checks(samples: Iterable[Sample], checks: list[Check], total: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> QaReport:
    """Run every check on every sample; ``progress(done, total)`` is called every 100 samples."""
    report = QaReport(list(checks))
    runs = list(dict.fromkeys(check.run for check in checks))  # each function once, in check order
    wanted = {check.id for check in checks}
    for number, sample in enumerate(samples):
        if progress is not None and number % 100 == 0:
            progress(number, total or 0)
        found = [flag for run in runs for flag in run(sample) if flag.check_id in wanted]
        report.flags.extend(_without_repeats(found))
        report.samples_checked += 1
    if progress is not None:
        progress(report.samples_checked, total or report.samples_checked)
    return report


def highlight_ids(flags: Iterable[Flag]) -> dict[str, list[str]]:
    """Return, per flagged instance id, the check ids that flagged it."""
    by_instance: dict[str, list[str]] = defaultdict(list)
    for flag in flags:
        if flag.instance_id:
            by_instance[flag.instance_id].append(flag.check_id)
    return dict(by_instance)

"""Validation of COCO geometry (polygons, RLE, boxes) before pycocotools receives it.

pycocotools reads a 4-number polygon as a box, crashes or allocates without bound on
huge coordinates, and overruns its buffer on RLE run lengths that do not add up to
the mask size. Every check here returns a message instead of raising, so the caller
can name the image and annotation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from loaders.model import Instance, box_from_points

# Coordinates beyond this many pixels are rejected: pycocotools rasterises polygons
# with C ints at 5x scale and allocates one entry per boundary pixel.
MAX_COORDINATE = 100_000.0
# Masks above this many pixels are not decoded (a corrupt RLE size could ask for gigabytes).
MAX_MASK_PIXELS = 80_000_000
# A file box and the box of the geometry are flagged when a side differs by more than this many pixels.
# NOTE: a bbox computed from the rasterised mask can miss a thin polygon tip by a few pixels and be flagged.
BOX_TOLERANCE = 2.0
# A string id that is read as an integer, with the length limit of the byte index (loaders.coco_index).
DIGITS = re.compile(r"-?[0-9]{1,18}")


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer_id(value: object) -> int | None:
    """Return an id as an int, also from a string of at most 18 digits ("264"); None for anything else."""
    if is_int(value):
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value):
        return int(value)
    return None


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Geometry:
    """Validated geometry of one annotation, ready for pycocotools and the renderer."""

    polygons: list[np.ndarray] = field(default_factory=list)
    rle: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    # Findings that need no action, such as a mask reaching past the image border.
    notes: list[str] = field(default_factory=list)


def rle_counts_from_string(counts: str) -> list[int] | None:
    """Decode the run lengths of a compressed COCO RLE string; None when the string is malformed.

    Each run length is written as 5-bit groups in characters from '0' (48) upward.
    Bit 0x20 marks a continuation and bit 0x10 of the last group is the sign. From
    the third run on, the value is a difference to the run two places before.
    """
    runs: list[int] = []
    position = 0
    while position < len(counts):
        value = 0
        shift = 0
        while True:
            if position >= len(counts):
                return None  # a continuation bit on the last character: the string was cut
            code = ord(counts[position]) - 48
            if not 0 <= code < 64:
                return None
            value |= (code & 0x1F) << shift
            position += 1
            shift += 5
            if not code & 0x20:
                if code & 0x10:
                    value |= -1 << shift
                break
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def check_rle(segmentation: dict, width: int | None, height: int | None) -> tuple[dict | None, list[str]]:
    """Validate an RLE dict and return it (counts as str or list) with the problems found."""
    size = segmentation.get("size")
    counts = segmentation.get("counts")
    if not (isinstance(size, list) and len(size) == 2 and all(is_int(v) and v > 0 for v in size)):
        return None, [f"RLE size {size!r} is not [height, width] as two positive integers."]
    rle_height, rle_width = size
    if rle_height * rle_width > MAX_MASK_PIXELS:
        return None, [f"RLE size {size} is above the limit of {MAX_MASK_PIXELS:,} pixels."]
    if isinstance(counts, str):
        runs = rle_counts_from_string(counts)
        if runs is None:
            return None, ["compressed RLE counts is not a valid COCO RLE string (bad character or cut off)."]
    elif isinstance(counts, list) and all(is_int(v) for v in counts):
        runs = counts
    else:
        return None, ["RLE counts is neither a string (compressed) nor a list of integers (uncompressed)."]
    if any(run < 0 for run in runs):
        return None, ["RLE counts contains a negative run length."]
    total = sum(runs)
    if total != rle_height * rle_width:
        return None, [f"RLE run lengths add up to {total}, but size {size} needs {rle_height * rle_width}."]

    problems = []
    if width is not None and height is not None and (rle_height, rle_width) != (height, width):
        if (rle_height, rle_width) == (width, height):
            problems.append(f"RLE size {size} is [width, height] of the {width}x{height} image; COCO writes "
                            "[height, width], so the mask is drawn transposed.")
        else:
            problems.append(f"RLE size {size} differs from the image ({height}x{width}); the mask is clipped.")
    return {"size": [rle_height, rle_width], "counts": counts}, problems


def check_polygon(values: object, index: int) -> tuple[np.ndarray | None, str]:
    """Validate one flat polygon list and return it as N x 2 floats, or None and the reason."""
    if not isinstance(values, list) or not all(is_number(v) for v in values):
        return None, f"polygon {index} is not a flat list of numbers."
    if len(values) == 4:
        return None, f"polygon {index} has exactly 4 numbers; pycocotools would read it as a box."
    if len(values) < 6:
        return None, f"polygon {index} has {len(values)} numbers; a polygon needs at least 3 x, y pairs (6 numbers)."
    if len(values) % 2:
        return None, f"polygon {index} has an odd number of values ({len(values)}); x and y must come in pairs."
    points = np.asarray(values, dtype=np.float64)
    if not np.isfinite(points).all():
        return None, f"polygon {index} contains NaN or infinite coordinates."
    if np.abs(points).max() > MAX_COORDINATE:
        return None, (f"polygon {index} has a coordinate of {np.abs(points).max():.6g}, beyond "
                      f"±{MAX_COORDINATE:,.0f} px.")
    return points.reshape(-1, 2), ""


def check_segmentation(segmentation: object, width: int | None, height: int | None) -> Geometry:
    """Validate a COCO ``segmentation`` value (polygons or RLE) without calling pycocotools on it."""
    geometry = Geometry()
    if segmentation is None or segmentation == []:
        return geometry
    if isinstance(segmentation, dict):
        geometry.rle, geometry.problems = check_rle(segmentation, width, height)
        return geometry
    if not isinstance(segmentation, list):
        geometry.problems.append(f"segmentation is a {type(segmentation).__name__}, not a list of polygons or an RLE.")
        return geometry
    if all(is_number(v) for v in segmentation):
        # Some writers store a single polygon without the outer list.
        geometry.problems.append("segmentation is one flat list instead of a list of polygons; read as one polygon.")
        segmentation = [segmentation]
    for index, values in enumerate(segmentation):
        points, reason = check_polygon(values, index)
        if points is None:
            geometry.problems.append(reason)
        else:
            geometry.polygons.append(points)
    if geometry.polygons and width and height:
        points = np.concatenate(geometry.polygons)
        beyond = max(-points[:, 0].min(), -points[:, 1].min(), points[:, 0].max() - width,
                     points[:, 1].max() - height)
        if beyond > 1:
            geometry.notes.append(f"polygon extends {beyond:.0f} px beyond the {width}x{height} image; "
                                     "it is drawn clipped.")
    return geometry


def check_bbox(value: object) -> tuple[np.ndarray | None, str]:
    """Validate a COCO xywh bbox and return it as xyxy, or None and the reason."""
    if value is None:
        return None, ""
    if not (isinstance(value, list) and len(value) == 4 and all(is_number(v) for v in value)):
        return None, f"bbox {value!r} is not 4 numbers [x, y, width, height]."
    x, y, w, h = (float(v) for v in value)
    if not all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in (x, y, w, h)):
        return None, f"bbox {value!r} has non-finite or huge values."
    if w < 0 or h < 0:
        return None, f"bbox {value!r} has a negative width or height."
    return np.array([x, y, x + w, y + h], dtype=np.float64), ""


def geometry_box(polygons: list[np.ndarray], rle: dict | None) -> np.ndarray | None:
    """Return the xyxy box of validated polygons and RLE (pixel extent of the RLE mask)."""
    boxes = []
    if polygons:
        boxes.append(box_from_points(np.concatenate(polygons)))
    if rle is not None:
        x, y, w, h = mask_utils.toBbox(_compressed(rle))
        if w > 0 and h > 0:
            boxes.append(np.array([x, y, x + w, y + h], dtype=np.float64))
    if not boxes:
        return None
    stacked = np.stack(boxes)
    return np.array([stacked[:, 0].min(), stacked[:, 1].min(), stacked[:, 2].max(), stacked[:, 3].max()])


def boxes_differ(file_box: np.ndarray, drawn_box: np.ndarray) -> bool:
    """Return whether two xyxy boxes differ by more than BOX_TOLERANCE pixels on any side."""
    return bool(np.abs(file_box - drawn_box).max() > BOX_TOLERANCE)


def _compressed(rle: dict) -> dict:
    """Return a validated RLE in the compressed form pycocotools' functions take."""
    if isinstance(rle["counts"], list):
        height, width = rle["size"]
        return mask_utils.frPyObjects(rle, height, width)
    return {"size": rle["size"], "counts": rle["counts"].encode("ascii")}


def instance_rle(instance: Instance, height: int, width: int) -> dict | None:
    """Return one compressed RLE of an instance's polygons and mask, for IoU with pycocotools."""
    parts = []
    if instance.polygons:
        parts.extend(mask_utils.frPyObjects([poly.ravel().tolist() for poly in instance.polygons], height, width))
    if instance.rle is not None and list(instance.rle["size"]) == [height, width]:
        parts.append(_compressed(instance.rle))
    if not parts:
        return None
    return mask_utils.merge(parts) if len(parts) > 1 else parts[0]

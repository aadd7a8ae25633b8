"""Rasterising an instance's polygons and RLE into a mask with pycocotools.

Masks are returned cropped to the instance's extent inside the image, which keeps
rasterising and painting cost proportional to the instance, not to the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pycocotools import mask as mask_utils

from loaders.model import Instance


@dataclass
class CroppedMask:
    """A boolean mask of ``mask.shape`` placed with its top-left pixel at (x0, y0)."""

    x0: int
    y0: int
    mask: np.ndarray

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def _polygon_mask(polygons: list[np.ndarray], height: int, width: int) -> CroppedMask | None:
    usable = [poly for poly in polygons if len(poly) >= 3 and np.isfinite(poly).all()]
    if not usable:
        return None
    points = np.concatenate(usable)
    x0 = max(0, math.floor(points[:, 0].min()))
    y0 = max(0, math.floor(points[:, 1].min()))
    x1 = min(width, math.ceil(points[:, 0].max()) + 1)
    y1 = min(height, math.ceil(points[:, 1].max()) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    # An integer shift leaves pycocotools' rasterisation unchanged, so the crop equals
    # the same window of a full-image annToMask.
    shifted = [(poly - (x0, y0)).ravel().tolist() for poly in usable]
    rles = mask_utils.frPyObjects(shifted, y1 - y0, x1 - x0)
    mask = mask_utils.decode(mask_utils.merge(rles)).astype(bool)
    return CroppedMask(x0, y0, mask)


def _rle_mask(rle: dict, height: int, width: int) -> CroppedMask | None:
    rle_height, rle_width = (int(value) for value in rle["size"])
    if isinstance(rle.get("counts"), list):
        # Uncompressed RLE (COCO iscrowd) is turned into the compressed form first.
        rle = mask_utils.frPyObjects(rle, rle_height, rle_width)
    full = mask_utils.decode(rle).astype(bool)
    full = full[:height, :width]
    rows = np.flatnonzero(full.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(full.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return CroppedMask(int(x0), int(y0), full[y0:y1, x0:x1])


def instance_mask(instance: Instance, height: int, width: int) -> CroppedMask | None:
    """Return the union of an instance's polygons and RLE inside an image of the given size."""
    parts = []
    if instance.polygons:
        parts.append(_polygon_mask(instance.polygons, height, width))
    if instance.rle is not None:
        parts.append(_rle_mask(instance.rle, height, width))
    parts = [part for part in parts if part is not None]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return _union(parts)


def _union(parts: list[CroppedMask]) -> CroppedMask:
    x0 = min(part.x0 for part in parts)
    y0 = min(part.y0 for part in parts)
    x1 = max(part.x0 + part.mask.shape[1] for part in parts)
    y1 = max(part.y0 + part.mask.shape[0] for part in parts)
    merged = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for part in parts:
        h, w = part.mask.shape
        merged[part.y0 - y0:part.y0 - y0 + h, part.x0 - x0:part.x0 - x0 + w] |= part.mask
    return CroppedMask(x0, y0, merged)


def full_mask(instance: Instance, height: int, width: int) -> np.ndarray:
    """Return the instance mask as a full-size H x W boolean array."""
    out = np.zeros((height, width), dtype=bool)
    cropped = instance_mask(instance, height, width)
    if cropped is not None:
        h, w = cropped.mask.shape
        out[cropped.y0:cropped.y0 + h, cropped.x0:cropped.x0 + w] = cropped.mask
    return out

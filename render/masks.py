"""Rasterising an instance's polygons and RLE into a mask with pycocotools.

Masks are returned cropped to the instance's extent inside the image, which keeps
painting cost proportional to the instance, not to the image.
"""

from __future__ import annotations

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


def _crop_rle(rle: dict, height: int, width: int) -> CroppedMask | None:
    """Decode a compressed RLE of an image of (height, width) and crop it to its extent."""
    x, y, w, h = (int(round(value)) for value in mask_utils.toBbox(rle))
    if w <= 0 or h <= 0:
        return None
    full = mask_utils.decode(rle)
    return CroppedMask(x, y, full[y:y + h, x:x + w].astype(bool))


def _polygon_mask(polygons: list[np.ndarray], height: int, width: int) -> CroppedMask | None:
    usable = [poly for poly in polygons if len(poly) >= 3 and np.isfinite(poly).all()]
    if not usable:
        return None
    # The polygons are rasterised unshifted, because shifting them to rasterise only their
    # window changes boundary pixels through float rounding, and masks must equal
    # annToMask. The raster ends at the polygons' right and bottom edge instead of the
    # image's: clipping there removes no pixel, and the decoded area is smaller.
    right = int(min(width, max(np.ceil(poly[:, 0].max()) for poly in usable) + 2))
    bottom = int(min(height, max(np.ceil(poly[:, 1].max()) for poly in usable) + 2))
    if right <= 0 or bottom <= 0:
        return None
    flat = [poly.ravel().tolist() for poly in usable]
    return _crop_rle(mask_utils.merge(mask_utils.frPyObjects(flat, bottom, right)), bottom, right)


def _rle_mask(rle: dict, height: int, width: int) -> CroppedMask | None:
    rle_height, rle_width = (int(value) for value in rle["size"])
    if isinstance(rle.get("counts"), list):
        # Uncompressed RLE (COCO iscrowd) is turned into the compressed form first.
        rle = mask_utils.frPyObjects(rle, rle_height, rle_width)
    cropped = _crop_rle(rle, rle_height, rle_width)
    if cropped is None or (rle_height, rle_width) == (height, width):
        return cropped
    # An RLE made for another image size is drawn in its own coordinates, clipped to the image.
    h = max(0, min(cropped.mask.shape[0], height - cropped.y0))
    w = max(0, min(cropped.mask.shape[1], width - cropped.x0))
    return CroppedMask(cropped.x0, cropped.y0, cropped.mask[:h, :w]) if h and w else None


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

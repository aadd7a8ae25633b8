"""The annotation model that every loader produces and every renderer draws.

Keypoint convention (the only one used after loading): a keypoint array is K x 3
float32 rows of ``(x, y, visibility)`` in pixel coordinates of the annotated image,
origin top-left. Visibility is a :class:`Visibility` code. A point whose position is
unknown (not labelled, or truncated with no coordinates) has x and y set to NaN.
Loaders translate each dataset's own codes into this convention.

Boxes are ``xyxy`` floats: (x1, y1, x2, y2). Polygons are N x 2 float arrays.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class Visibility(enum.IntEnum):
    """Keypoint visibility. 0, 1 and 2 mean what they mean in COCO."""

    NOT_LABELLED = 0
    OCCLUDED = 1
    VISIBLE = 2
    # Cut off by the image frame (DeepFashion's code 2); the position may be unknown.
    TRUNCATED = 3


@dataclass(frozen=True)
class KeypointSchema:
    """Names and skeleton of one kind of keypoint set, shared by many instances."""

    name: str
    keypoint_names: tuple[str, ...]
    # Skeleton edges as pairs of 0-based indices into keypoint_names.
    edges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Problem:
    """A malformed, missing or surprising input, reported to the user instead of raised.

    ``file`` names the file, ``record`` the record inside it (an id, a line number,
    a key), ``message`` what is wrong and ``hint`` what the user can do about it.
    """

    file: str
    message: str
    record: str = ""
    hint: str = ""
    severity: str = "warning"  # "error" when the sample or file cannot be shown

    def __str__(self) -> str:
        where = self.file if not self.record else f"{self.file}, {self.record}"
        text = f"{where}: {self.message}"
        return f"{text} {self.hint}" if self.hint else text


@dataclass
class Instance:
    """One annotated object in an image: a garment, a garment part, a prediction."""

    id: str
    category_id: int | None = None
    category_name: str = ""
    bbox: np.ndarray | None = None  # xyxy float64
    polygons: list[np.ndarray] = field(default_factory=list)
    # COCO RLE as pycocotools takes it: {"size": [h, w], "counts": bytes or str or list}.
    rle: dict[str, Any] | None = None
    keypoints: np.ndarray | None = None
    keypoint_schema: KeypointSchema | None = None
    attributes: list[str] = field(default_factory=list)
    attribute_ids: list[int] = field(default_factory=list)
    # Name of the group the instance is shown in, e.g. "garment part".
    group: str = ""
    score: float | None = None
    # Dataset-specific fields shown in the instance table (occlusion, style, ...).
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImageSource:
    """The source of a sample's pixels: a file, an array in memory, or only a URL.

    ``root`` is the dataset root the file must lie in: a path from an annotation file
    (``../../etc/passwd``, an absolute path, a symlink) that resolves outside it is not read.
    """

    path: Path | None = None
    array: np.ndarray | None = None
    url: str = ""
    root: Path | None = None


@dataclass
class Related:
    """A link from one sample to another: a consumer-to-shop partner, a target image."""

    role: str
    sample_id: str
    split: str = ""
    note: str = ""


@dataclass
class Sample:
    """One image (or one record, such as a caption pair) and everything annotated on it."""

    id: str
    split: str = ""
    image: ImageSource = field(default_factory=ImageSource)
    width: int | None = None
    height: int | None = None
    instances: list[Instance] = field(default_factory=list)
    # Image-level labels and attributes, grouped by their task or type.
    labels: dict[str, list[str]] = field(default_factory=dict)
    captions: list[str] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def box_from_points(points: np.ndarray) -> np.ndarray:
    """Return the xyxy box around an N x 2 array of points."""
    return np.array([points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max()],
                    dtype=np.float64)


def keypoints_with_position(keypoints: np.ndarray) -> np.ndarray:
    """Return a boolean mask of the keypoints that have a drawable position."""
    return (keypoints[:, 2] > Visibility.NOT_LABELLED) & np.isfinite(keypoints[:, 0]) & np.isfinite(keypoints[:, 1])

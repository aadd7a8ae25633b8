"""Drawing settings: the layers shown, their opacity, and the colour scheme."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Style:
    """Drawing settings passed to the renderer; pages keep one per dataset page."""

    masks: bool = True
    mask_opacity: float = 0.45
    outlines: bool = True
    outline_opacity: float = 1.0
    boxes: bool = True
    box_opacity: float = 1.0
    keypoints: bool = True
    keypoint_opacity: float = 1.0
    skeleton: bool = True
    # Write each keypoint's name from its schema beside the point.
    keypoint_names: bool = False
    labels: bool = True
    label_opacity: float = 0.85
    attribute_tags: bool = True
    legend: bool = True
    # "category": one colour per category id; "instance": one colour per instance.
    color_by: str = "category"
    line_thickness: int = 2
    keypoint_radius: int = 4
    font_size: int = 13
    # Instance ids drawn with a thick white frame, e.g. those a quality check flagged.
    highlight_ids: set[str] = field(default_factory=set)

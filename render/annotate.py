"""Drawing the annotation model on an RGB image, one function per layer.

Usage::

    from render.annotate import draw_instances
    from render.style import Style
    picture = draw_instances(image, sample.instances, Style(boxes=False))

Every layer draws on a copy; the input image is never changed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from loaders.model import Instance, KeypointSchema, Visibility, keypoints_with_position
from render.colors import color_for
from render.fonts import font
from render.masks import CroppedMask, instance_mask
from render.style import Style

WHITE = (255, 255, 255)
VISIBLE, OCCLUDED = int(Visibility.VISIBLE), int(Visibility.OCCLUDED)
DARK = (20, 20, 20)


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a colour and what it stands for."""

    label: str
    color: tuple[int, int, int]


def instance_colors(instances: list[Instance], style: Style) -> list[tuple[int, int, int]]:
    """Return one colour per instance, by category id or by position, from the fixed palette."""
    if style.color_by == "instance":
        return [color_for(index) for index in range(len(instances))]
    return [color_for(instance.category_id if instance.category_id is not None else 0) for instance in instances]


def legend_entries(instances: list[Instance], style: Style) -> list[LegendEntry]:
    """Return the legend lines for these instances, one per category (or per instance)."""
    entries: dict[str, LegendEntry] = {}
    for instance, color in zip(instances, instance_colors(instances, style)):
        label = instance.category_name or str(instance.category_id)
        if style.color_by == "instance":
            label = f"{instance.id}: {label}"
        entries.setdefault(label, LegendEntry(label, color))
    return list(entries.values())


def draw_masks(image: np.ndarray, instances: list[Instance], style: Style,
               masks: list[CroppedMask | None] | None = None, in_place: bool = False) -> np.ndarray:
    """Fill each instance's mask, largest first, into one layer and blend it once.

    Painting into one layer means overlapping masks do not darken each other; the
    smaller instance stays on top because it is painted last. OpenCV's masked copies
    do the per-pixel work, which costs a fraction of numpy's boolean indexing.
    """
    height, width = image.shape[:2]
    if masks is None:
        masks = [instance_mask(instance, height, width) for instance in instances]
    colors = instance_colors(instances, style)
    order = sorted((index for index, mask in enumerate(masks) if mask is not None),
                   key=lambda index: -masks[index].area)
    if not order:
        return image
    if len(order) > 255:
        return _draw_many_masks(image, masks, order, colors, style)
    # One byte per pixel names the instance painted there (0: none), and a lookup table
    # turns it into colours: a third of the memory traffic of painting RGB directly.
    owner = np.zeros((height, width), dtype=np.uint8)
    lookup = np.zeros((256, 1, 3), dtype=np.uint8)
    for number, index in enumerate(order, start=1):
        mask = masks[index]
        h, w = mask.mask.shape
        mask_bytes = mask.mask.view(np.uint8)
        window = owner[mask.y0:mask.y0 + h, mask.x0:mask.x0 + w]
        cv2.bitwise_and(window, 0, dst=window, mask=mask_bytes)
        cv2.add(window, number, dst=window, mask=mask_bytes)
        lookup[number, 0] = colors[index]
    painted = cv2.LUT(cv2.merge([owner, owner, owner]), lookup)
    blended = cv2.addWeighted(painted, style.mask_opacity, image, 1.0 - style.mask_opacity, 0.0)
    out = image if in_place else image.copy()
    cv2.copyTo(blended, owner, out)
    return out


def _draw_many_masks(image: np.ndarray, masks: list[CroppedMask | None], order: list[int],
                     colors: list[tuple[int, int, int]], style: Style) -> np.ndarray:
    """Paint masks in RGB directly, for images with more instances than one byte can number."""
    painted = np.zeros_like(image)
    covered = np.zeros(image.shape[:2], dtype=np.uint8)
    for index in order:
        mask = masks[index]
        h, w = mask.mask.shape
        mask_bytes = mask.mask.view(np.uint8)
        target = painted[mask.y0:mask.y0 + h, mask.x0:mask.x0 + w]
        # Clear the masked pixels (a larger mask may have painted them), then add the colour.
        cv2.bitwise_and(target, (0, 0, 0, 0), dst=target, mask=mask_bytes)
        cv2.add(target, (*colors[index], 0), dst=target, mask=mask_bytes)
        window = covered[mask.y0:mask.y0 + h, mask.x0:mask.x0 + w]
        cv2.bitwise_or(window, mask_bytes, dst=window)
    blended = cv2.addWeighted(painted, style.mask_opacity, image, 1.0 - style.mask_opacity, 0.0)
    out = image.copy()
    cv2.copyTo(blended, covered, out)
    return out


def _with_opacity(image: np.ndarray, drawn: np.ndarray, opacity: float) -> np.ndarray:
    if opacity >= 1.0:
        return drawn
    return cv2.addWeighted(drawn, opacity, image, 1.0 - opacity, 0.0)


def _outline_contours(instance: Instance, mask: CroppedMask | None) -> list[np.ndarray]:
    contours = [np.round(poly).astype(np.int32) for poly in instance.polygons
                if len(poly) >= 2 and np.isfinite(poly).all()]
    if instance.rle is not None and mask is not None:
        found, _ = cv2.findContours(mask.mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        contours.extend(contour.reshape(-1, 2) + (mask.x0, mask.y0) for contour in found)
    return contours


def _canvas(image: np.ndarray, opacity: float, in_place: bool) -> np.ndarray:
    """Return the array a layer draws on: ``image`` itself when allowed and opaque, else a copy."""
    return image if in_place and opacity >= 1.0 else image.copy()


def draw_outlines(image: np.ndarray, instances: list[Instance], style: Style,
                  masks: list[CroppedMask | None] | None = None, in_place: bool = False) -> np.ndarray:
    """Draw polygon outlines (and the contour of RLE masks) in the instance colours."""
    drawn = _canvas(image, style.outline_opacity, in_place)
    masks = masks if masks is not None else [None] * len(instances)
    for instance, color, mask in zip(instances, instance_colors(instances, style), masks):
        contours = _outline_contours(instance, mask)
        thickness = style.line_thickness * 2 if instance.id in style.highlight_ids else style.line_thickness
        if contours:
            cv2.polylines(drawn, contours, True, color, thickness, cv2.LINE_AA)
    return _with_opacity(image, drawn, style.outline_opacity)


def draw_boxes(image: np.ndarray, instances: list[Instance], style: Style, in_place: bool = False) -> np.ndarray:
    """Draw each instance's xyxy box; highlighted instances get an extra white frame."""
    drawn = _canvas(image, style.box_opacity, in_place)
    for instance, color in zip(instances, instance_colors(instances, style)):
        if instance.bbox is None or not np.isfinite(instance.bbox).all():
            continue
        x1, y1, x2, y2 = (int(round(value)) for value in instance.bbox)
        if instance.id in style.highlight_ids:
            cv2.rectangle(drawn, (x1 - 3, y1 - 3), (x2 + 3, y2 + 3), WHITE, style.line_thickness + 2)
        cv2.rectangle(drawn, (x1, y1), (x2, y2), color, style.line_thickness)
    return _with_opacity(image, drawn, style.box_opacity)


def draw_keypoints(image: np.ndarray, instances: list[Instance], style: Style, in_place: bool = False) -> np.ndarray:
    """Draw keypoints and skeleton edges.

    Visible points are filled discs, occluded points rings, truncated points crosses;
    unlabelled points are not drawn, and an edge is drawn only when both its ends
    have a position.
    """
    drawn = _canvas(image, style.keypoint_opacity, in_place)
    radius = style.keypoint_radius
    for instance, color in zip(instances, instance_colors(instances, style)):
        points = instance.keypoints
        if points is None or len(points) == 0:
            continue
        placed = keypoints_with_position(points)
        pixel = np.zeros((len(points), 2), dtype=np.int32)
        pixel[placed] = np.round(points[placed, :2]).astype(np.int32)
        schema = instance.keypoint_schema
        if style.skeleton and schema is not None and schema.edges:
            edges = _edge_array(schema, len(points))
            lines = list(pixel[edges[placed[edges].all(axis=1)]])
            if lines:
                cv2.polylines(drawn, lines, False, color, max(1, style.line_thickness - 1), cv2.LINE_AA)
        # Plain Python ints in the loop: enum and numpy scalar access cost more than the drawing.
        codes = points[:, 2].astype(int).tolist()
        centers = pixel.tolist()
        for index in np.flatnonzero(placed).tolist():
            center = (centers[index][0], centers[index][1])
            if codes[index] == VISIBLE:
                cv2.circle(drawn, center, radius, color, -1, cv2.LINE_AA)
                # The thin dark rim is drawn without antialiasing: four times cheaper, same look.
                cv2.circle(drawn, center, radius, DARK, 1, cv2.LINE_8)
            elif codes[index] == OCCLUDED:
                cv2.circle(drawn, center, radius, DARK, 3, cv2.LINE_AA)
                cv2.circle(drawn, center, radius, color, 2, cv2.LINE_AA)
            else:
                cv2.drawMarker(drawn, center, color, cv2.MARKER_TILTED_CROSS, radius * 3, 2, cv2.LINE_AA)
    return _with_opacity(image, drawn, style.keypoint_opacity)


# Edge index arrays by schema: schemas are few and shared by many instances.
_EDGE_ARRAYS: dict[int, tuple[KeypointSchema, int, np.ndarray]] = {}


def _edge_array(schema: KeypointSchema, count: int) -> np.ndarray:
    """Return the skeleton edges whose ends exist among ``count`` keypoints, as an E x 2 index array."""
    cached = _EDGE_ARRAYS.get(id(schema))
    if cached is not None and cached[0] is schema and cached[1] == count:
        return cached[2]
    kept = [(a, b) for a, b in schema.edges if a < count and b < count]
    edges = np.array(kept, dtype=np.intp).reshape(-1, 2)
    if len(_EDGE_ARRAYS) > 1024:
        _EDGE_ARRAYS.clear()
    _EDGE_ARRAYS[id(schema)] = (schema, count, edges)
    return edges


def draw_keypoint_names(image: np.ndarray, instances: list[Instance], style: Style) -> np.ndarray:
    """Write each placed keypoint's schema name beside it, dark on a light outline."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    text_font = font(max(9, style.font_size - 2))
    for instance in instances:
        points, schema = instance.keypoints, instance.keypoint_schema
        if points is None or schema is None:
            continue
        for index in np.flatnonzero(keypoints_with_position(points)):
            if index < len(schema.keypoint_names):
                x, y = float(points[index, 0]), float(points[index, 1])
                draw.text((x + style.keypoint_radius + 2, y - style.font_size / 2), schema.keypoint_names[index],
                          fill=DARK, font=text_font, stroke_width=2, stroke_fill=WHITE)
    return np.asarray(canvas).copy()


def label_text(instance: Instance, style: Style) -> str:
    """Return the text drawn beside an instance: category, score and attribute tags."""
    text = instance.category_name or (str(instance.category_id) if instance.category_id is not None else "")
    if instance.score is not None:
        text = f"{text} {instance.score:.2f}"
    if style.attribute_tags and instance.attributes:
        text = f"{text} | " + ", ".join(instance.attributes)
    return text


def _label_anchor(instance: Instance, mask: CroppedMask | None) -> tuple[int, int] | None:
    if instance.bbox is not None and np.isfinite(instance.bbox).all():
        return int(instance.bbox[0]), int(instance.bbox[1])
    if mask is not None:
        return mask.x0, mask.y0
    if instance.keypoints is not None:
        placed = keypoints_with_position(instance.keypoints)
        if placed.any():
            return int(np.nanmin(instance.keypoints[placed, 0])), int(np.nanmin(instance.keypoints[placed, 1]))
    return None


@functools.lru_cache(maxsize=2048)
def _label_patch(text: str, color: tuple[int, int, int], text_font) -> np.ndarray:
    """Return a label as a read-only RGB patch: the text on the instance colour.

    Cached, because a page redraws the same labels on every rerun.
    """
    left, top, right, bottom = text_font.getbbox(text)
    width, height = int(right - left) + 6, int(bottom - top) + 6
    patch = Image.new("RGB", (width, height), tuple(color))
    luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    ImageDraw.Draw(patch).text((3 - left, 3 - top), text, fill=DARK if luminance > 140 else WHITE, font=text_font)
    pixels = np.asarray(patch).copy()
    pixels.flags.writeable = False
    return pixels


def draw_labels(image: np.ndarray, instances: list[Instance], style: Style,
                masks: list[CroppedMask | None] | None = None) -> np.ndarray:
    """Draw each instance's category and attribute tags in a box above its top-left corner.

    Each label is blended into its own small window, so the cost follows the label
    area rather than the image size.
    """
    text_font = font(style.font_size)
    out = image.copy()
    height, width = image.shape[:2]
    masks = masks if masks is not None else [None] * len(instances)
    for instance, color, mask in zip(instances, instance_colors(instances, style), masks):
        anchor = _label_anchor(instance, mask)
        text = label_text(instance, style)
        if anchor is None or not text:
            continue
        patch = _label_patch(text, color, text_font)
        patch_height, patch_width = patch.shape[:2]
        x = int(min(max(anchor[0], 0), max(width - patch_width, 0)))
        y = int(max(anchor[1] - patch_height - 1, 0))
        window = out[y:y + patch_height, x:x + patch_width]
        patch = patch[:window.shape[0], :window.shape[1]]
        out[y:y + patch.shape[0], x:x + patch.shape[1]] = cv2.addWeighted(
            patch, style.label_opacity, window, 1.0 - style.label_opacity, 0.0)
    return out


def draw_legend(image: np.ndarray, entries: list[LegendEntry], style: Style) -> np.ndarray:
    """Draw the legend as a panel in the top-right corner of the image."""
    if not entries:
        return image
    text_font = font(style.font_size)
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    line = style.font_size + 6
    text_width = max(draw.textlength(entry.label, font=text_font) for entry in entries)
    panel_width = int(text_width) + line + 12
    left = max(image.shape[1] - panel_width - 6, 0)
    top = 6
    draw.rectangle((left, top, left + panel_width, top + line * len(entries) + 6), fill=(255, 255, 255))
    for row, entry in enumerate(entries):
        y = top + 4 + row * line
        draw.rectangle((left + 4, y + 2, left + line - 2, y + line - 4), fill=entry.color, outline=DARK)
        draw.text((left + line + 4, y), entry.label, fill=DARK, font=text_font)
    return np.asarray(canvas).copy()


def draw_instances(image: np.ndarray, instances: list[Instance], style: Style | None = None) -> np.ndarray:
    """Draw every enabled layer of ``instances`` on a copy of ``image`` (H x W x 3 uint8 RGB)."""
    style = style or Style()
    # One private copy; opaque layers then draw into it without copying again.
    out = np.array(image[:, :, :3], dtype=np.uint8, order="C", copy=True)
    height, width = out.shape[:2]
    need_masks = style.masks or style.outlines or style.labels
    masks = [instance_mask(instance, height, width) for instance in instances] if need_masks else None
    if style.masks:
        out = draw_masks(out, instances, style, masks, in_place=True)
    if style.outlines:
        out = draw_outlines(out, instances, style, masks, in_place=True)
    if style.boxes:
        out = draw_boxes(out, instances, style, in_place=True)
    if style.keypoints:
        out = draw_keypoints(out, instances, style, in_place=True)
        if style.keypoint_names:
            out = draw_keypoint_names(out, instances, style)
    if style.labels:
        out = draw_labels(out, instances, style, masks)
    if style.legend:
        out = draw_legend(out, legend_entries(instances, style), style)
    return out

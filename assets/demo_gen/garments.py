"""Garment-like drawings with exact polygons and landmarks, for the synthetic demo datasets.

Each template is an outline in unit coordinates (x right, y down, inside [0, 1]) whose
vertices double as landmarks. ``draw_garment`` places a template in an image box,
paints it with a base colour and a pattern, and returns the polygon and the named
landmark positions in pixels, so the annotations match the pixels exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Outline vertices (x, y) in unit coordinates; names mark vertices that are landmarks.
TEMPLATES: dict[str, list[tuple[float, float, str]]] = {
    "short sleeve top": [
        (0.35, 0.00, "left collar"), (0.50, 0.10, "neck front"), (0.65, 0.00, "right collar"),
        (0.85, 0.05, "right shoulder"), (1.00, 0.30, "right sleeve outer"), (0.85, 0.40, "right sleeve inner"),
        (0.80, 0.30, "right armpit"), (0.80, 1.00, "right hem"), (0.20, 1.00, "left hem"),
        (0.20, 0.30, "left armpit"), (0.15, 0.40, "left sleeve inner"), (0.00, 0.30, "left sleeve outer"),
        (0.15, 0.05, "left shoulder")],
    "long sleeve top": [
        (0.38, 0.00, "left collar"), (0.50, 0.08, "neck front"), (0.62, 0.00, "right collar"),
        (0.82, 0.04, "right shoulder"), (1.00, 0.85, "right cuff outer"), (0.90, 0.88, "right cuff inner"),
        (0.78, 0.32, "right armpit"), (0.78, 1.00, "right hem"), (0.22, 1.00, "left hem"),
        (0.22, 0.32, "left armpit"), (0.10, 0.88, "left cuff inner"), (0.00, 0.85, "left cuff outer"),
        (0.18, 0.04, "left shoulder")],
    "trousers": [
        (0.10, 0.00, "left waist"), (0.90, 0.00, "right waist"), (1.00, 1.00, "right hem outer"),
        (0.60, 1.00, "right hem inner"), (0.50, 0.28, "crotch"), (0.40, 1.00, "left hem inner"),
        (0.00, 1.00, "left hem outer")],
    "skirt": [
        (0.25, 0.00, "left waist"), (0.75, 0.00, "right waist"), (1.00, 1.00, "right hem"),
        (0.50, 1.04, "hem centre"), (0.00, 1.00, "left hem")],
    "dress": [
        (0.38, 0.00, "left collar"), (0.50, 0.07, "neck front"), (0.62, 0.00, "right collar"),
        (0.80, 0.03, "right shoulder"), (0.90, 0.18, "right sleeve outer"), (0.76, 0.24, "right armpit"),
        (0.70, 0.40, "right waist"), (1.00, 1.00, "right hem"), (0.00, 1.00, "left hem"),
        (0.30, 0.40, "left waist"), (0.24, 0.24, "left armpit"), (0.10, 0.18, "left sleeve outer"),
        (0.20, 0.03, "left shoulder")],
    "shoe": [
        (0.00, 0.55, "heel back"), (0.05, 0.10, "collar back"), (0.35, 0.15, "collar front"),
        (0.60, 0.45, "vamp"), (0.95, 0.62, "toe top"), (1.00, 0.85, "toe tip"),
        (0.90, 1.00, "sole front"), (0.05, 1.00, "sole back")],
}

PATTERNS = ("plain", "stripes", "dots", "checks")


@dataclass
class DrawnGarment:
    """A garment painted into an image: its outline and landmark positions in pixels."""

    kind: str
    polygon: np.ndarray  # N x 2 float, pixel coordinates
    landmarks: dict[str, tuple[float, float]]
    box: tuple[float, float, float, float]  # xyxy
    color: tuple[int, int, int]


def background(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Return a soft vertical gradient, like a studio wall and floor."""
    top = rng.integers(200, 245, size=3)
    bottom = top - rng.integers(20, 60, size=3)
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    image = top[None, None, :] * (1 - ramp) + bottom[None, None, :] * ramp
    return np.repeat(image, width, axis=1).clip(0, 255).astype(np.uint8)


def _pattern(fill: np.ndarray, color: np.ndarray, pattern: str, rng: np.random.Generator) -> np.ndarray:
    height, width = fill.shape[:2]
    layer = np.empty_like(fill)
    layer[:] = color
    accent = (color * 0.55).astype(np.uint8)
    step = int(rng.integers(8, 16))
    if pattern == "stripes":
        for y in range(0, height, step * 2):
            layer[y:y + step // 2] = accent
    elif pattern == "dots":
        for y in range(step // 2, height, step):
            for x in range(step // 2, width, step):
                cv2.circle(layer, (x, y), max(2, step // 5), accent.tolist(), -1, cv2.LINE_AA)
    elif pattern == "checks":
        for y in range(0, height, step * 2):
            layer[y:y + step] = accent
        for x in range(0, width, step * 2):
            layer[:, x:x + step] = (layer[:, x:x + step] * 0.8).astype(np.uint8)
    # Vertical shading gives the garment some volume.
    shade = np.linspace(1.05, 0.8, width, dtype=np.float32)[None, :, None]
    return (layer.astype(np.float32) * shade).clip(0, 255).astype(np.uint8)


def draw_garment(image: np.ndarray, kind: str, box: tuple[float, float, float, float],
                 rng: np.random.Generator, color: tuple[int, int, int] | None = None,
                 pattern: str | None = None) -> DrawnGarment:
    """Paint one garment of ``kind`` filling ``box`` (xyxy) into ``image`` in place."""
    x1, y1, x2, y2 = box
    template = TEMPLATES[kind]
    unit = np.array([(x, y) for x, y, _ in template], dtype=np.float64)
    jitter = rng.normal(0.0, 0.012, size=unit.shape)
    points = np.column_stack([x1 + (unit[:, 0] + jitter[:, 0]) * (x2 - x1),
                              y1 + (unit[:, 1] + jitter[:, 1]) * (y2 - y1)])
    points = np.round(points, 1)
    rgb = np.array(color if color is not None else rng.integers(30, 230, size=3), dtype=np.uint8)
    mask = np.zeros(image.shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1, cv2.LINE_8)
    textured = _pattern(image, rgb, pattern or str(rng.choice(PATTERNS)), rng)
    image[mask.astype(bool)] = textured[mask.astype(bool)]
    cv2.polylines(image, [np.round(points).astype(np.int32)], True, (rgb * 0.4).astype(int).tolist(), 1,
                  cv2.LINE_AA)
    landmarks = {name: (float(px), float(py)) for (_, _, name), (px, py) in zip(template, points) if name}
    drawn_box = (float(points[:, 0].min()), float(points[:, 1].min()),
                 float(points[:, 0].max()), float(points[:, 1].max()))
    return DrawnGarment(kind, points, landmarks, drawn_box, tuple(int(v) for v in rgb))


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """Return JPEG bytes of an RGB image."""
    ok, data = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()

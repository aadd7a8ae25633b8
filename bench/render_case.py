"""The render benchmark's scene: a 1024 x 768 image with 20 garments, drawn by us and by supervision.

Each instance has a polygon mask, its outline, a box, 25 keypoints joined by a 25-edge
skeleton, and a label. Both sides get the same polygons, colours and options and
draw every layer, so the results are comparable pixel for pixel in kind (not exactly:
the two libraries antialias differently).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from loaders.model import Instance, KeypointSchema, Visibility
from render.annotate import draw_instances
from render.style import Style

WIDTH, HEIGHT, INSTANCES, KEYPOINTS = 1024, 768, 20, 25
SCHEMA = KeypointSchema("ring", tuple(str(i) for i in range(KEYPOINTS)),
                        tuple((i, (i + 1) % KEYPOINTS) for i in range(KEYPOINTS)))


def scene(seed: int = 0) -> tuple[np.ndarray, list[Instance]]:
    """Return a textured image and 20 star-shaped garments with keypoints on their outlines."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)
    instances = []
    for index in range(INSTANCES):
        center = rng.uniform((120, 120), (WIDTH - 120, HEIGHT - 120))
        angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        radii = rng.uniform(50, 110) * (1 + 0.25 * np.sin(angles * 5))
        polygon = np.column_stack([center[0] + radii * np.cos(angles), center[1] + radii * np.sin(angles)])
        keypoints = np.empty((KEYPOINTS, 3), dtype=np.float32)
        keypoints[:, :2] = polygon[np.linspace(0, 39, KEYPOINTS).astype(int)]
        keypoints[:, 2] = Visibility.VISIBLE
        box = np.array([polygon[:, 0].min(), polygon[:, 1].min(), polygon[:, 0].max(), polygon[:, 1].max()])
        instances.append(Instance(id=str(index), category_id=index % 13 + 1, category_name=f"garment {index}",
                                  bbox=box, polygons=[polygon], keypoints=keypoints, keypoint_schema=SCHEMA))
    return image, instances


STYLE = Style(legend=False, attribute_tags=False)


def draw_ours(image: np.ndarray, instances: list[Instance]) -> np.ndarray:
    return draw_instances(image, instances, STYLE)


def draw_supervision(image: np.ndarray, instances: list[Instance]) -> np.ndarray:
    import supervision as sv

    masks = np.stack([sv.polygon_to_mask(np.round(instance.polygons[0]).astype(int), (WIDTH, HEIGHT)).astype(bool)
                      for instance in instances])
    detections = sv.Detections(xyxy=np.stack([instance.bbox for instance in instances]), mask=masks,
                               class_id=np.array([instance.category_id for instance in instances]))
    keypoints = sv.KeyPoints(xy=np.stack([instance.keypoints[:, :2] for instance in instances]))
    labels = [instance.category_name for instance in instances]
    scene_copy = image.copy()
    scene_copy = sv.MaskAnnotator(opacity=STYLE.mask_opacity).annotate(scene_copy, detections)
    scene_copy = sv.PolygonAnnotator(thickness=STYLE.line_thickness).annotate(scene_copy, detections)
    scene_copy = sv.BoxAnnotator(thickness=STYLE.line_thickness).annotate(scene_copy, detections)
    edges = [(a + 1, b + 1) for a, b in SCHEMA.edges]  # supervision takes 1-based edges
    scene_copy = sv.EdgeAnnotator(thickness=1, edges=edges).annotate(scene_copy, keypoints)
    scene_copy = sv.VertexAnnotator(radius=STYLE.keypoint_radius).annotate(scene_copy, keypoints)
    return sv.LabelAnnotator().annotate(scene_copy, detections, labels=labels)


def median_ms(function, image, instances, repeats: int) -> float:
    function(image, instances)  # warm-up: imports, font loading
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(image, instances)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(repeats: int = 15) -> dict[str, float]:
    """Return render_ms, render_supervision_ms and render_ratio (supervision / ours)."""
    image, instances = scene()
    ours = median_ms(draw_ours, image, instances, repeats)
    theirs = median_ms(draw_supervision, image, instances, repeats)
    return {"render_ms": round(ours, 2), "render_supervision_ms": round(theirs, 2),
            "render_ratio": round(theirs / ours, 2)}


if __name__ == "__main__":
    print(measure())

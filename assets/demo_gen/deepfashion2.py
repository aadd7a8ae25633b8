"""Synthetic DeepFashion2 data in the official per-image layout (``<split>/image``, ``<split>/annos``).

Landmarks follow the category's skeleton: the skeleton's longest cycle is spread
evenly along the garment outline, and the remaining chain (the front neckline of tops
and dresses) is placed on a dip between its two ends.
Pairs: images that share a pair_id have one user and one shop image with items of the
same style; one user item with style 1 has no counterpart on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assets.demo_gen.garments import background, draw_garment, encode_jpeg
from loaders.deepfashion2 import categories

FOLDER = "deepfashion2"
WIDTH, HEIGHT = 480, 600
# (category id, template in garments.py, box as fractions of the image)
GARMENTS = {
    1: ("short sleeve top", (0.22, 0.12, 0.78, 0.55)),
    2: ("long sleeve top", (0.18, 0.10, 0.82, 0.55)),
    8: ("trousers", (0.28, 0.52, 0.72, 0.97)),
    9: ("skirt", (0.26, 0.52, 0.74, 0.85)),
    11: ("dress", (0.20, 0.08, 0.80, 0.95)),
}
# Per image: split, name, source, pair_id, items as (category id, style).
IMAGES = [
    ("validation", "000001", "shop", 1, [(1, 1), (8, 0)]),
    ("validation", "000002", "user", 1, [(1, 1), (9, 0)]),
    ("validation", "000003", "shop", 2, [(11, 1)]),
    ("validation", "000004", "user", 2, [(11, 1)]),
    ("validation", "000005", "user", 2, [(11, 1)]),
    ("validation", "000006", "shop", 3, [(2, 1), (8, 2)]),
    ("validation", "000007", "user", 3, [(2, 1), (8, 2)]),
    ("validation", "000008", "user", 4, [(2, 1), (9, 0)]),  # style 1 with no counterpart
    ("validation", "000009", "shop", 5, [(1, 0), (9, 0)]),
    ("validation", "000010", "user", 5, [(11, 0)]),
    ("train", "000001", "shop", 6, [(2, 1), (8, 0)]),
    ("train", "000002", "user", 6, [(2, 1), (9, 0)]),
    ("test", "000001", "user", 7, [(11, 0)]),
]


def longest_cycle(count: int, edges: list[list[int]]) -> list[int]:
    """Return the longest simple cycle of a small skeleton graph, from its first branching node."""
    neighbours: dict[int, set[int]] = {node: set() for node in range(count)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    start = min((node for node in neighbours if len(neighbours[node]) >= 3), default=0)
    best: list[int] = []

    def walk(path: list[int]) -> None:
        nonlocal best
        for following in sorted(neighbours[path[-1]], reverse=True):
            if following == start and len(path) > 2 and len(path) > len(best):
                best = list(path)
            elif following not in path:
                walk(path + [following])

    walk([start])
    return best


def skeleton_landmarks(polygon: np.ndarray, count: int, edges: list[list[int]]) -> np.ndarray:
    """Place ``count`` landmarks on a garment outline so that the skeleton edges run along it."""
    cycle = longest_cycle(count, edges)
    # The outline is walked from its first vertex against the template's order, which
    # matches the direction of the DeepFashion2 numbering around the garment.
    outline = np.vstack([polygon[:1], polygon[:0:-1]])
    points = np.full((count, 2), np.nan)
    points[cycle] = outline_points(outline, len(cycle))
    rest = [node for node in range(count) if node not in cycle]
    if rest:
        ends = [a if b in rest else b for a, b in edges if (a in rest) != (b in rest)]
        first, last = points[ends[0]], points[ends[-1]]
        dip = 0.08 * (polygon[:, 1].max() - polygon[:, 1].min())
        for step, node in enumerate(sorted(rest), start=1):
            share = step / (len(rest) + 1)
            points[node] = first + share * (last - first) + (0, dip * np.sin(np.pi * share))
    return points


def outline_points(polygon: np.ndarray, count: int) -> np.ndarray:
    """Return ``count`` points spaced evenly along a closed polygon, starting at its first vertex."""
    closed = np.vstack([polygon, polygon[:1]])
    lengths = np.hypot(*np.diff(closed, axis=0).T)
    positions = np.concatenate([[0.0], np.cumsum(lengths)])
    targets = np.linspace(0.0, positions[-1], count, endpoint=False)
    xs = np.interp(targets, positions, closed[:, 0])
    ys = np.interp(targets, positions, closed[:, 1])
    return np.column_stack([xs, ys])


def make_item(image: np.ndarray, category_id: int, style: int, rng: np.random.Generator) -> dict:
    template, fractions = GARMENTS[category_id]
    box = (fractions[0] * WIDTH, fractions[1] * HEIGHT, fractions[2] * WIDTH, fractions[3] * HEIGHT)
    drawn = draw_garment(image, template, box, rng)
    table = categories()[category_id]
    points = skeleton_landmarks(drawn.polygon, table["num_keypoints"], table["edges"])
    codes = rng.choice([2, 2, 2, 2, 1, 0], size=len(points))
    landmarks = []
    for (x, y), code in zip(points, codes):
        landmarks += [0, 0, 0] if code == 0 else [round(float(x)), round(float(y)), int(code)]
    flat = [round(float(value), 2) for value in drawn.polygon.ravel()]
    x1, y1, x2, y2 = drawn.box
    return {
        "segmentation": [flat + flat[:2]],  # closed polygon, as many real records are
        "landmarks": landmarks,
        "style": style,
        "bounding_box": [int(x1), int(y1), int(np.ceil(x2)), int(np.ceil(y2))],
        "category_id": category_id,
        "category_name": table["name"],
        "scale": int(rng.integers(1, 4)),
        "occlusion": int(rng.integers(1, 4)),
        "zoom_in": int(rng.integers(1, 4)),
        "viewpoint": 2,
    }


def generate(out_dir: Path) -> None:
    rng = np.random.default_rng(2)
    for split, name, source, pair_id, items in IMAGES:
        image = background(HEIGHT, WIDTH, rng)
        record = {"source": source, "pair_id": pair_id}
        # Larger garments first, so a top or dress is not hidden under the trousers.
        for number, (category_id, style) in enumerate(items, start=1):
            record[f"item{number}"] = make_item(image, category_id, style, rng)
        (out_dir / split / "image").mkdir(parents=True, exist_ok=True)
        (out_dir / split / "image" / f"{name}.jpg").write_bytes(encode_jpeg(image))
        if split != "test":  # the official test split has no annotations
            (out_dir / split / "annos").mkdir(parents=True, exist_ok=True)
            (out_dir / split / "annos" / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")

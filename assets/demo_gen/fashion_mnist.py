"""Synthetic Fashion-MNIST data: gzipped IDX files of 28 x 28 garment drawings, 60 per class.

The last image of image 0's class repeats image 0 pixel for pixel.

The split is named ``demo`` rather than ``train`` or ``t10k``, because the official
names promise the published class counts (6,000 and 1,000 per class).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import cv2
import numpy as np

from assets.demo_gen.garments import draw_garment

FOLDER = "fashion-mnist"
PER_CLASS = 60
CANVAS = 112
# Class id -> (template, box as fractions of the canvas). Boxes differ in shape so the
# classes look different at 28 x 28.
CLASS_DRAWINGS = {
    0: ("short sleeve top", (0.12, 0.15, 0.88, 0.85)),
    1: ("trousers", (0.28, 0.05, 0.72, 0.95)),
    2: ("long sleeve top", (0.08, 0.12, 0.92, 0.88)),
    3: ("dress", (0.22, 0.05, 0.78, 0.95)),
    4: ("long sleeve top", (0.06, 0.04, 0.94, 0.96)),
    5: ("shoe", (0.05, 0.45, 0.95, 0.75)),
    6: ("long sleeve top", (0.10, 0.10, 0.90, 0.90)),
    7: ("shoe", (0.05, 0.35, 0.95, 0.75)),
    8: ("skirt", (0.15, 0.25, 0.85, 0.85)),
    9: ("shoe", (0.10, 0.15, 0.90, 0.80)),
}


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """Return an IDX file: magic, one big-endian uint32 per dimension, then the uint8 data."""
    header = magic.to_bytes(4, "big") + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def draw_class(label: int, rng: np.random.Generator) -> np.ndarray:
    canvas = np.zeros((CANVAS, CANVAS, 3), dtype=np.uint8)
    template, fractions = CLASS_DRAWINGS[label]
    shift = rng.uniform(-0.04, 0.04, size=2)
    box = tuple(CANVAS * (value + shift[index % 2]) for index, value in enumerate(fractions))
    shade = int(rng.integers(120, 255))
    draw_garment(canvas, template, box, rng, color=(shade, shade, shade),
                 pattern=str(rng.choice(["plain", "stripes", "dots"])))
    if label == 8:  # a bag: add a handle above the body
        cv2.ellipse(canvas, (CANVAS // 2, int(CANVAS * 0.28)), (22, 18), 0, 180, 360, (shade,) * 3, 4)
    grey = cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (28, 28), interpolation=cv2.INTER_AREA)


def generate(out_dir: Path) -> None:
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(10, dtype=np.uint8), PER_CLASS)
    rng.shuffle(labels)
    images = np.stack([draw_class(int(label), rng) for label in labels])
    # One exact repeat, as the official files have (43 pairs in train), for the duplicate check.
    repeat = int(np.flatnonzero(labels == labels[0])[-1])
    images[repeat] = images[0]
    folder = out_dir / "data" / "fashion"
    folder.mkdir(parents=True)
    # mtime=0 keeps the gzip bytes identical between runs.
    with gzip.GzipFile(folder / "demo-images-idx3-ubyte.gz", "wb", mtime=0) as handle:
        handle.write(idx_bytes(images, 2051))
    with gzip.GzipFile(folder / "demo-labels-idx1-ubyte.gz", "wb", mtime=0) as handle:
        handle.write(idx_bytes(labels, 2049))

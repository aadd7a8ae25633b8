"""Synthetic UT-Zappos50K: shoe drawings in the image tree, meta-data.csv and the .mat files.

The .mat files are written with scipy.io.savemat in the official cell layout.
``imagepath`` is an N x 1 cell of paths. ``mturkOrder``, ``mturkEqual`` and
``mturkHard`` are 1 x 4 cells of N x 6 matrices whose image numbers count from 1.
The spelling quirks of the real archive are reproduced: two brand folders listed
with a trailing dot are stored without it or with ``%2E``, ``Levi's`` is stored as
``Levi's&#174;``, and one listed image is absent from the disk.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import cv2
import numpy as np
import scipy.io

from assets.demo_gen.garments import draw_garment, encode_jpeg

FOLDER = "zappos50k"
WIDTH, HEIGHT = 136, 102
SEED = 50025

# (Category, SubCategory, brand as listed in image-path.mat, brand folder on disk, shape, count)
GROUPS = [
    ("Shoes", "Sneakers and Athletic Shoes", "Nike", "Nike", "sneaker", 4),
    ("Shoes", "Oxfords", "Bostonian", "Bostonian", "oxford", 3),
    ("Shoes", "Heels", "Nine West.", "Nine West", "heel", 3),
    ("Shoes", "Flats", "Lucky Brand.", "Lucky Brand%2E", "flat", 3),
    ("Boots", "Ankle", "Levi's", "Levi's&#174;", "ankle boot", 3),
    ("Boots", "Knee High", "Frye", "Frye", "tall boot", 2),
    ("Sandals", "Flat", "Teva", "Teva", "sandal", 3),
    ("Sandals", "Heel", "Nine West.", "Nine West", "heel sandal", 2),
    ("Slippers", "Slipper Flats", "UGG", "UGG", "slipper", 3),
]
# Per shape: how open, pointy, sporty and comfortable it looks (0..3), the base of the comparisons.
SCORES = {
    "sneaker": (1, 0, 3, 2), "oxford": (1, 1, 0, 1), "heel": (1, 3, 0, 0), "flat": (1, 2, 0, 1),
    "ankle boot": (0, 1, 1, 1), "tall boot": (0, 1, 0, 1), "sandal": (3, 0, 2, 2),
    "heel sandal": (3, 2, 0, 0), "slipper": (2, 0, 0, 3),
}
META = {
    "sneaker": {"HeelHeight": "Under 1in", "Insole": "Padded;Removable", "Closure": "Lace up",
                "Gender": "Men;Women", "Material": "Mesh;Synthetic", "ToeStyle": "Round Toe"},
    "oxford": {"HeelHeight": "Under 1in", "Insole": "Leather", "Closure": "Lace up", "Gender": "Men",
               "Material": "Leather", "ToeStyle": "Cap Toe"},
    "heel": {"HeelHeight": "3in - 3 3/4in", "Closure": "", "Gender": "Women", "Material": "Patent Leather",
             "ToeStyle": "Pointed Toe"},
    "flat": {"HeelHeight": "Flat", "Insole": "Padded", "Gender": "Women", "Material": "Suede",
             "ToeStyle": "Pointed Toe;Almond"},
    "ankle boot": {"HeelHeight": "1in - 1 3/4in", "Closure": "Zipper;Lace up", "Gender": "Men;Women",
                   "Material": "Leather"},
    "tall boot": {"HeelHeight": "1in - 1 3/4in", "Closure": "Pull-on", "Gender": "Women",
                  "Material": "Leather;Rubber", "ToeStyle": "Round Toe"},
    "sandal": {"HeelHeight": "Flat", "Closure": "Hook and Loop", "Gender": "Men;Women", "Material": "Synthetic"},
    "heel sandal": {"HeelHeight": "3in - 3 3/4in", "Closure": "Buckle", "Gender": "Women", "Material": "Leather",
                    "ToeStyle": "Open Toe"},
    "slipper": {"HeelHeight": "Flat", "Insole": "Wool;Padded", "Closure": "Slip-On", "Gender": "Women",
                "Material": "Sheepskin"},
}
META_COLUMNS = ["CID", "Category", "SubCategory", "HeelHeight", "Insole", "Closure", "Gender", "Material",
                "ToeStyle"]


def draw_shoe(shape: str, rng: np.random.Generator) -> np.ndarray:
    """Return a 136 x 102 catalogue-style picture: one shoe of ``shape`` on white, toe to the right."""
    image = np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    color = tuple(int(v) for v in rng.integers(30, 220, size=3))
    dark = tuple(int(v * 0.5) for v in color)
    pattern = "dots" if shape == "slipper" else "plain"
    low = shape in ("heel", "heel sandal")
    box = (14, 40 if low else 50, 124, 72 if low else 84)
    if shape in ("ankle boot", "tall boot"):
        top = 14 if shape == "tall boot" else 32
        shaft = np.array([[18, top], [52, top], [56, 62], [16, 70]], dtype=np.int32)
        cv2.fillPoly(image, [shaft], color, cv2.LINE_AA)
    drawn = draw_garment(image, "shoe", box, rng, color=color, pattern=pattern)
    left, _, right, bottom = (int(v) for v in drawn.box)
    if low:
        # A heel block under the back of the shoe.
        cv2.fillPoly(image, [np.array([[left + 2, bottom], [left + 12, bottom], [left + 9, 86], [left + 5, 86]],
                                      dtype=np.int32)], dark, cv2.LINE_AA)
    if shape in ("sandal", "heel sandal"):
        for y in range(int(drawn.box[1]) + 6, bottom - 4, 7):
            cv2.line(image, (left + 8, y), (right - 10, y + 2), (255, 255, 255), 3, cv2.LINE_AA)
    if shape == "sneaker":
        cv2.rectangle(image, (left, bottom - 5), (right, bottom), (245, 245, 245), -1)
        for x in range(left + 40, left + 70, 8):
            cv2.line(image, (x, int(drawn.box[1]) + 8), (x + 6, int(drawn.box[1]) + 14), (250, 250, 250), 1)
    if shape in ("heel", "flat"):
        # A longer, pointed toe.
        cv2.fillPoly(image, [np.array([[right - 8, bottom - 12], [min(right + 8, WIDTH - 2), bottom - 2],
                                       [right - 8, bottom]], dtype=np.int32)], color, cv2.LINE_AA)
    return image


def savemat(path: Path, variables: dict[str, np.ndarray]) -> None:
    """Write a MATLAB v5 file whose 116-byte text header carries no date, so regenerating changes no byte."""
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, variables)
    data = bytearray(buffer.getvalue())
    data[:116] = b"MATLAB 5.0 MAT-file, written by fashionviz assets/demo_gen/zappos50k.py".ljust(116)
    path.write_bytes(bytes(data))


def _cell(matrices: list[np.ndarray]) -> np.ndarray:
    cell = np.empty((1, len(matrices)), dtype=object)
    for position, matrix in enumerate(matrices):
        cell[0, position] = matrix
    return cell


def _comparison_sets(scores: np.ndarray, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """Return mturkOrder, mturkEqual and mturkHard: per attribute an N x 6 matrix of 1-based image numbers."""
    count = len(scores)
    sets: dict[str, list[np.ndarray]] = {"mturkOrder": [], "mturkEqual": [], "mturkHard": []}
    for attribute in range(4):
        order, equal, hard = [], [], []
        # Every attribute has a pair with image 1 (ordered or equal), so the 1-based numbering is visible.
        pairs = [(0, int(rng.integers(1, count)))]
        while len(pairs) < 9:
            first, second = (int(v) for v in rng.choice(count, size=2, replace=False))
            pairs.append((first, second))
        for first, second in pairs:
            difference = scores[first, attribute] - scores[second, attribute]
            confidence = float(rng.choice([1.0, 1.2, 1.4, 1.8, 2.0]))
            agreement = float(rng.choice([0.6, 0.8, 1.0]))
            row = [first + 1, second + 1, attribute + 1, 0, confidence, agreement]
            if difference == 0:
                equal.append([*row[:3], 3, *row[4:]])
                # The fine-grained set repeats the equal pairs without the "equal" option.
                hard.append([*row[:3], int(rng.integers(1, 3)), float(rng.choice([1.8, 2.0, 2.2])), 0.6])
            else:
                order.append([*row[:3], 1 if difference > 0 else 2, *row[4:]])
        sets["mturkOrder"].append(np.array(order, dtype=np.float64).reshape(-1, 6))
        sets["mturkEqual"].append(np.array(equal, dtype=np.float64).reshape(-1, 6))
        sets["mturkHard"].append(np.array(hard, dtype=np.float64).reshape(-1, 6))
    return sets


def generate(out_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    image_root = out_dir / "ut-zap50k-images"
    data_dir = out_dir / "ut-zap50k-data"
    data_dir.mkdir(parents=True)

    listed, meta_rows, scores = [], [], []
    for category, subcategory, brand, disk_brand, shape, count in GROUPS:
        for _ in range(count):
            product = int(rng.integers(7_000_000, 8_000_000))
            color_id = int(rng.integers(3, 400_000))
            file_name = f"{product}.{color_id}.jpg"
            listed.append(f"{category}/{subcategory}/{brand}/{file_name}")
            folder = image_root / category / subcategory / disk_brand
            folder.mkdir(parents=True, exist_ok=True)
            (folder / file_name).write_bytes(encode_jpeg(draw_shoe(shape, rng), quality=88))
            meta = {"CID": f"{product}-{color_id}", "Category": category, "SubCategory": subcategory, **META[shape]}
            meta_rows.append([meta.get(column, "") for column in META_COLUMNS])
            scores.append(SCORES[shape])

    # One listed image is absent from the disk, as some are in the real archive.
    missing = image_root / listed[5]
    missing.unlink()
    # One shoe has no meta-data row, so the page's fallback for it is visible.
    meta_rows.pop(7)

    with (data_dir / "meta-data.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(META_COLUMNS)
        writer.writerows(meta_rows)

    paths = np.empty((len(listed), 1), dtype=object)
    paths[:, 0] = listed
    savemat(data_dir / "image-path.mat", {"imagepath": paths})
    sets = _comparison_sets(np.array(scores), rng)
    savemat(data_dir / "zappos-labels.mat",
                     {"mturkOrder": _cell(sets["mturkOrder"]), "mturkEqual": _cell(sets["mturkEqual"])})
    savemat(data_dir / "zappos-labels-fg.mat", {"mturkHard": _cell(sets["mturkHard"])})

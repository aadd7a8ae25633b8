"""Synthetic iMaterialist data: the 2018 label files and the 2019 and 2020 mask CSVs, in their real formats.

Written under ``assets/demo/imaterialist``:

- ``2018/``: ``train.json`` and ``test.json`` use the Kaggle keys (``imageId``, ``labelId``,
  string ids). ``validation.json`` uses the keys of the competition README (``image_id``,
  ``label_id``, integer ids). The label map CSV has CRLF line ends, and each image has one
  product photo under ``<split>/<imageId>.jpg``. Every fourth image file is left out on
  purpose, as after a download from dead URLs; their URLs use the reserved ``.invalid`` domain.
- ``2019/`` and ``2020/``: ``train.csv`` with one ``EncodedPixels`` mask per garment
  (1-based run starts, pixels numbered down each column), ``label_descriptions.json``,
  images under ``train/`` and two unannotated images under ``test/``. 2019 joins
  attribute ids into ``ClassId`` ("6_33_87"); 2020 puts them in ``AttributesIds``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import cv2
import numpy as np

from assets.demo_gen.garments import background, draw_garment, encode_jpeg
from loaders.imaterialist_csv import builtin_label_table
from loaders.imaterialist_json import builtin_label_map

FOLDER = "imaterialist"

# 2018 product photos: one garment per image.
PRODUCT_SIZE = (240, 300)  # width, height
PRODUCT_BOX = (0.12, 0.08, 0.88, 0.92)
# Template in garments.py -> possible 2018 category labels, material labels, sleeve label.
PRODUCTS = {
    "short sleeve top": (("T-Shirts", "Blouses"), ("Cotton", "Polyester"), "Short Sleeves"),
    "long sleeve top": (("Hoodies & Sweatshirts", "Blouses"), ("Knit", "Cotton"), "Long Sleeved"),
    "trousers": (("Trousers", "Jeans"), ("Denim", "Cotton"), None),
    "skirt": (("Skirts", "Pencil Skirts"), ("Polyester", "Silk"), None),
    "dress": (("Dresses", "Casual Dresses"), ("Chiffon", "Polyester"), "Sleeveless"),
    "shoe": (("Sneakers", "Heels"), ("Leather", "Canvas"), None),
}
COLORS = {"Black": (35, 35, 38), "Blue": (40, 70, 180), "Red": (190, 30, 40), "Green": (40, 140, 60),
          "White": (236, 236, 232), "Pink": (230, 140, 170), "Yellow": (230, 200, 40), "Gray": (128, 128, 128),
          "Beige": (210, 190, 150), "Purple": (120, 50, 140)}
PATTERN_LABELS = {"stripes": "Stripes", "dots": "Polka Dot", "checks": "Plaid", "plain": None}
NECKLINES = ("Round Neck", "V-Necks", "Collared")
STYLES = ("Printed", "Summer", "Vintage Retro", "Asymmetric")
LABEL_SPLITS = (("train", 24, "kaggle"), ("validation", 8, "readme"), ("test", 6, "kaggle"))
# Train image 23 also gets this label id, which the 228-label map lacks, so the quality check has a record to flag.
UNMAPPED_LABEL = (23, 240)

# 2019 / 2020 street photos: several garments per image, masks of their visible parts.
SCENE_SIZE = (360, 480)
# Outfit: (template, category name in label_descriptions.json, box as fractions, attribute names).
OUTFITS = [
    [("trousers", "pants", (0.30, 0.45, 0.70, 0.93), ("straight", "high waist", "plain (pattern)")),
     ("short sleeve top", "top, t-shirt, sweatshirt", (0.22, 0.12, 0.78, 0.52), ("symmetrical", "stripe")),
     ("shoe", "shoe", (0.28, 0.90, 0.48, 0.99), ())],
    [("dress", "dress", (0.22, 0.10, 0.78, 0.92), ("maxi (length)", "fit and flare", "dot"))],
    [("skirt", "skirt", (0.30, 0.48, 0.70, 0.78), ("mini (length)", "a-line", "check")),
     ("long sleeve top", "shirt, blouse", (0.20, 0.12, 0.80, 0.52), ("regular (fit)", "plain (pattern)")),
     ("shoe", "shoe", (0.52, 0.90, 0.72, 0.99), ())],
    [("trousers", "pants", (0.28, 0.44, 0.72, 0.95), ("wide leg", "check")),
     ("long sleeve top", "sweater", (0.18, 0.10, 0.82, 0.50), ("loose (fit)", "plain (pattern)"))],
    [("dress", "dress", (0.25, 0.08, 0.75, 0.70), ("mini (length)", "symmetrical", "stripe")),
     ("shoe", "shoe", (0.30, 0.88, 0.50, 0.98), ())],
    [("short sleeve top", "top, t-shirt, sweatshirt", (0.20, 0.10, 0.80, 0.50), ("regular (fit)", "dot")),
     ("skirt", "skirt", (0.28, 0.46, 0.72, 0.90), ("maxi (length)", "pencil", "plain (pattern)"))],
]
POCKET = "pocket"


def image_id(year: str, number: int) -> str:
    """Return a 32-hex-digit name like the Kaggle ImageIds, stable for a given year and number."""
    return hashlib.md5(f"fashionviz-demo-{year}-{number}".encode(), usedforsecurity=False).hexdigest()


def encode_pixels(mask: np.ndarray) -> str:
    """Return the Kaggle EncodedPixels of a boolean mask: 1-based run starts, pixels down each column first."""
    flat = np.concatenate(([0], mask.flatten(order="F").astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(flat))
    starts, stops = edges[0::2], edges[1::2]
    return " ".join(f"{start + 1} {stop - start}" for start, stop in zip(starts, stops))


def polygon_mask(polygon: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rasterise a garment outline exactly as ``draw_garment`` paints it."""
    mask = np.zeros((height, width), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1, cv2.LINE_8)
    return mask.astype(bool)


def write_label_map(path: Path) -> None:
    """Write the 228-label map in the released CSV layout, CRLF line ends included."""
    label_map = builtin_label_map()
    task_ids = {name: task_id for task_id, name in label_map.tasks.items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["labelId", "taskId", "labelName", "taskName"])
    for label_id, (name, task) in sorted(label_map.labels.items()):
        writer.writerow([label_id, task_ids[task], name, task])
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def generate_2018(out_dir: Path) -> None:
    rng = np.random.default_rng(2018)
    out_dir.mkdir(parents=True)
    write_label_map(out_dir / "iMat_fashion_2018_label_map_228.csv")
    ids_by_name = {name: label_id for label_id, (name, _task) in builtin_label_map().labels.items()}
    next_id = 1
    for split, count, keys in LABEL_SPLITS:
        images, annotations = [], []
        (out_dir / split).mkdir()
        for number in range(count):
            kind = list(PRODUCTS)[int(rng.integers(len(PRODUCTS)))]
            color_name = list(COLORS)[int(rng.integers(len(COLORS)))]
            pattern = str(rng.choice(list(PATTERN_LABELS)))
            canvas = background(PRODUCT_SIZE[1], PRODUCT_SIZE[0], rng)
            box = (PRODUCT_BOX[0] * PRODUCT_SIZE[0], PRODUCT_BOX[1] * PRODUCT_SIZE[1],
                   PRODUCT_BOX[2] * PRODUCT_SIZE[0], PRODUCT_BOX[3] * PRODUCT_SIZE[1])
            draw_garment(canvas, kind, box, rng, color=COLORS[color_name], pattern=pattern)
            names = product_labels(kind, color_name, pattern, rng)
            label_ids = sorted(ids_by_name[name] for name in names)
            if split == "train" and next_id == UNMAPPED_LABEL[0]:
                label_ids.append(UNMAPPED_LABEL[1])
            image_name = str(next_id)
            url = f"https://images.example.invalid/imat2018/{split}/{image_name}.jpg"
            if keys == "kaggle":
                images.append({"url": url, "imageId": image_name})
                annotations.append({"labelId": [str(label_id) for label_id in label_ids], "imageId": image_name})
            else:
                images.append({"url": url, "image_id": next_id})
                annotations.append({"label_id": label_ids, "image_id": next_id})
            # Every fourth image is left undownloaded, so the page shows its URL tile.
            if number % 4 != 3:
                (out_dir / split / f"{image_name}.jpg").write_bytes(encode_jpeg(canvas, quality=80))
            next_id += 1
        document = {"images": images} if split == "test" else {"images": images, "annotations": annotations}
        (out_dir / f"{split}.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def product_labels(kind: str, color_name: str, pattern: str, rng: np.random.Generator) -> list[str]:
    """Return the 2018 label names that match a drawn product: category, colour, gender, material, ..."""
    categories, materials, sleeve = PRODUCTS[kind]
    names = [str(rng.choice(categories)), color_name, str(rng.choice(["Female", "Male", "Neutral"])),
             str(rng.choice(materials))]
    if PATTERN_LABELS[pattern]:
        names.append(PATTERN_LABELS[pattern])
    if sleeve:
        names.append(sleeve)
    if kind in ("short sleeve top", "long sleeve top", "dress"):
        names.append(str(rng.choice(NECKLINES)))
    if rng.random() < 0.5:
        names.append(str(rng.choice(STYLES)))
    return names


def write_label_descriptions(path: Path, year: str) -> None:
    """Write label_descriptions.json of a year; 2019's file has an info block, 2020's has none."""
    table = builtin_label_table(year)

    def entries(by_id: dict[int, dict]) -> list[dict]:
        return [{"id": entry_id, **entry} for entry_id, entry in sorted(by_id.items())]

    document: dict = {}
    if year == "2019":
        document["info"] = {"year": 2019, "version": "demo",
                            "description": "fashionviz synthetic demo data in the 2019 format.",
                            "contributor": "fashionviz", "url": "", "date_created": "2026-01-01 00:00:00"}
    document.update(categories=entries(table.categories), attributes=entries(table.attributes))
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def draw_scene(outfit: list, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[str, np.ndarray, tuple]]]:
    """Paint an outfit, later garments over earlier ones; return the image and each garment's visible mask."""
    width, height = SCENE_SIZE
    canvas = background(height, width, rng)
    painted = []
    for kind, category, box, attributes in outfit:
        pixel_box = (box[0] * width, box[1] * height, box[2] * width, box[3] * height)
        drawn = draw_garment(canvas, kind, pixel_box, rng, pattern=_pattern_of(attributes))
        mask = polygon_mask(drawn.polygon, height, width)
        for _earlier_category, earlier_mask, _ in painted:
            earlier_mask &= ~mask  # the new garment hides what it covers
        painted.append((category, mask, attributes))
        if kind == "trousers":
            painted.append(draw_pocket(canvas, drawn.polygon, drawn.color))
    return canvas, painted


def _pattern_of(attributes: tuple[str, ...]) -> str:
    for name, pattern in (("stripe", "stripes"), ("dot", "dots"), ("check", "checks")):
        if name in attributes:
            return pattern
    return "plain"


def draw_pocket(canvas: np.ndarray, polygon: np.ndarray, color: tuple[int, int, int]) -> tuple:
    """Paint a back pocket on the left leg of trousers; garment parts overlap their garment in iMaterialist."""
    x1, y1 = polygon[:, 0].min(), polygon[:, 1].min()
    x2, y2 = polygon[:, 0].max(), polygon[:, 1].max()
    left, top = int(x1 + 0.12 * (x2 - x1)), int(y1 + 0.22 * (y2 - y1))
    corners = np.array([(left, top), (left + 30, top), (left + 27, top + 34), (left + 3, top + 34)], dtype=np.int32)
    darker = tuple(int(value * 0.7) for value in color)
    cv2.fillPoly(canvas, [corners], darker, cv2.LINE_8)
    mask = polygon_mask(corners.astype(np.float64), *canvas.shape[:2])
    return POCKET, mask, ()


def generate_masks(out_dir: Path, year: str) -> None:
    rng = np.random.default_rng(int(year))
    table = builtin_label_table(year)
    category_ids = {entry["name"]: entry_id for entry_id, entry in table.categories.items()}
    attribute_ids = {entry["name"]: entry_id for entry_id, entry in table.attributes.items()}
    (out_dir / "train").mkdir(parents=True)
    (out_dir / "test").mkdir()
    write_label_descriptions(out_dir / "label_descriptions.json", year)

    header = ["ImageId", "EncodedPixels", "Height", "Width", "ClassId"]
    if year == "2020":
        header.append("AttributesIds")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    width, height = SCENE_SIZE
    for number, outfit in enumerate(OUTFITS):
        canvas, garments = draw_scene(outfit, rng)
        name = image_id(year, number)
        # 2019 ImageIds carry the .jpg suffix; 2020 ImageIds do not.
        row_id = f"{name}.jpg" if year == "2019" else name
        (out_dir / "train" / f"{name}.jpg").write_bytes(encode_jpeg(canvas))
        for category, mask, attributes in garments:
            category_id = category_ids[category]
            ids = [attribute_ids[attribute] for attribute in attributes]
            if year == "2019":
                class_id = "_".join(str(value) for value in [category_id, *ids])
                writer.writerow([row_id, encode_pixels(mask), height, width, class_id])
            else:
                writer.writerow([row_id, encode_pixels(mask), height, width, category_id,
                                 ",".join(str(value) for value in ids)])
    (out_dir / "train.csv").write_text(buffer.getvalue(), encoding="utf-8")
    for number in range(2):
        canvas, _ = draw_scene(OUTFITS[number + 2], rng)
        (out_dir / "test" / f"{image_id(year, 100 + number)}.jpg").write_bytes(encode_jpeg(canvas))


def generate(out_dir: Path) -> None:
    """Write the 2018, 2019 and 2020 demo releases into ``out_dir``."""
    generate_2018(out_dir / "2018")
    generate_masks(out_dir / "2019", "2019")
    generate_masks(out_dir / "2020", "2020")

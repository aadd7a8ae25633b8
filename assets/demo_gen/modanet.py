"""Synthetic ModaNet in its release layout: COCO instances JSON and images named '%07d.jpg' % id.

Writes ``annotations/modanet2018_instances_{train,val}.json``, ``images/*.jpg``
(400x600, like PaperDoll photos) and a COCO results file with polygon and box-only
predictions for the train images, ``results/train_results.json``. As in the first train release, a multi-polygon
annotation's ``bbox`` covers only its last polygon and ``area`` is the bbox's
width x height. The val file has ``"annotations": []``, as in the final release.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from assets.demo_gen.garments import background, draw_garment, encode_jpeg

FOLDER = "modanet"
WIDTH, HEIGHT = 400, 600
CATEGORIES = ["bag", "belt", "boots", "footwear", "outer", "dress", "sunglasses", "pants", "top", "shorts",
              "skirt", "headwear", "scarf/tie"]
CATEGORY_IDS = {name: index + 1 for index, name in enumerate(CATEGORIES)}
# Outfits per image: garment template kinds from top to bottom; "shoe" becomes a pair.
TRAIN_OUTFITS = {
    101: ("short sleeve top", "trousers", "shoe"),
    2045: ("long sleeve top", "skirt", "shoe"),
    31337: ("dress", "shoe"),
    400017: ("short sleeve top", "skirt", "shoe", "bag"),
    512000: ("long sleeve top", "trousers", "bag"),
    1115266: ("dress", "bag"),
}
VAL_IDS = (100014, 100040, 100077)
# ModaNet category of each garment template kind.
KIND_CATEGORY = {"short sleeve top": "top", "long sleeve top": "outer", "trousers": "pants", "skirt": "skirt",
                 "dress": "dress", "shoe": "footwear", "bag": "bag"}


@dataclass
class Region:
    """One annotated garment of an outfit: its kind and polygons in pixels."""

    kind: str
    polygons: list[np.ndarray]


def _bag_polygon(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    x = width * rng.uniform(0.72, 0.78)
    y = height * rng.uniform(0.45, 0.52)
    size = width * 0.14
    return np.round(np.array([(x, y), (x + size * 0.3, y - size * 0.4), (x + size * 0.7, y - size * 0.4),
                              (x + size, y), (x + size, y + size * 0.9), (x, y + size * 0.9)]), 1)


def draw_outfit(image: np.ndarray, kinds: tuple[str, ...], rng: np.random.Generator) -> list[Region]:
    """Paint a standing outfit into ``image`` and return each garment's polygons (a pair of shoes is one region)."""
    height, width = image.shape[:2]
    boxes = {"short sleeve top": (0.25, 0.14, 0.75, 0.44), "long sleeve top": (0.22, 0.14, 0.78, 0.46),
             "trousers": (0.32, 0.43, 0.68, 0.86), "skirt": (0.3, 0.43, 0.7, 0.7), "dress": (0.26, 0.14, 0.74, 0.8)}
    regions = []
    for kind in kinds:
        if kind == "bag":
            polygon = _bag_polygon(rng, width, height)
            cv2.fillPoly(image, [np.round(polygon).astype(np.int32)], (110, 70, 40), cv2.LINE_AA)
            regions.append(Region(kind, [polygon]))
        elif kind == "shoe":
            shoes = []
            for left in (0.33, 0.53):
                box = (width * left, height * 0.87, width * (left + 0.14), height * 0.93)
                shoes.append(draw_garment(image, "shoe", box, rng, color=(40, 40, 40), pattern="plain").polygon)
            regions.append(Region(kind, shoes))
        else:
            x1, y1, x2, y2 = boxes[kind]
            drawn = draw_garment(image, kind, (width * x1, height * y1, width * x2, height * y2), rng)
            regions.append(Region(kind, [drawn.polygon]))
    return regions


def _annotation(annotation_id: int, image_id: int, region: Region) -> dict:
    polygons = [np.round(polygon).astype(int) for polygon in region.polygons]
    # First-release quirk: the bbox is the box of the last polygon only, and area is its width x height.
    last = polygons[-1]
    x, y = int(last[:, 0].min()), int(last[:, 1].min())
    w, h = int(last[:, 0].max()) - x, int(last[:, 1].max()) - y
    return {"area": w * h, "bbox": [x, y, w, h], "category_id": CATEGORY_IDS[KIND_CATEGORY[region.kind]],
            "id": annotation_id, "iscrowd": 0, "segmentation": [polygon.ravel().tolist() for polygon in polygons],
            "image_id": image_id}


def _results(annotations: list[dict], rng: np.random.Generator) -> list[dict]:
    """Return made-up predictions: shifted polygons with varied scores, every fifth one as a box only."""
    results = []
    for index, record in enumerate(annotations):
        shift = rng.normal(0, 5, size=2)
        result = {"image_id": record["image_id"], "category_id": record["category_id"],
                  "score": round(float(rng.uniform(0.2, 0.98)), 3)}
        if index % 5 == 4:
            x, y, w, h = record["bbox"]
            result["bbox"] = [round(x + shift[0], 1), round(y + shift[1], 1), w, h]
        else:
            result["segmentation"] = [np.round(np.asarray(polygon).reshape(-1, 2) + shift, 1).ravel().tolist()
                                      for polygon in record["segmentation"]]
        results.append(result)
    return results


def _image_record(image_id: int, width: int = WIDTH, height: int = HEIGHT) -> dict:
    return {"file_name": f"{image_id:07d}.jpg", "width": width, "id": image_id, "license": 3, "height": height}


def _file(images: list[dict], annotations: list[dict]) -> dict:
    return {"info": {"contributor": "fashionviz demo (synthetic)", "date_created": "2026/01/01", "version": "1.0",
                     "description": "Synthetic ModaNet-format demo"},
            "images": images, "year": 2018, "licenses": [{"url": "", "id": 3, "name": "demo"}],
            "type": "instances", "annotations": annotations,
            "categories": [{"supercategory": "fashion", "id": CATEGORY_IDS[name], "name": name}
                           for name in CATEGORIES]}


def generate(out_dir: Path) -> None:
    """Write the demo ModaNet files into ``out_dir``."""
    rng = np.random.default_rng(2018)
    (out_dir / "annotations").mkdir(parents=True)
    (out_dir / "images").mkdir()
    images, annotations = [], []
    next_id = 55000
    for image_id, kinds in TRAIN_OUTFITS.items():
        # One image is smaller, as one record of the real train file is (300x450).
        width, height = (300, 450) if image_id == 1115266 else (WIDTH, HEIGHT)
        image = background(height, width, rng)
        for region in draw_outfit(image, kinds, rng):
            annotations.append(_annotation(next_id, image_id, region))
            next_id += 1
        images.append(_image_record(image_id, width, height))
        (out_dir / "images" / (f"{image_id:07d}.jpg")).write_bytes(encode_jpeg(image, 80))
    _write(out_dir / "annotations" / "modanet2018_instances_train.json", _file(images, annotations))
    (out_dir / "results").mkdir()
    _write(out_dir / "results" / "train_results.json", _results(annotations, rng))

    val_images = []
    for image_id in VAL_IDS:
        image = background(HEIGHT, WIDTH, rng)
        draw_outfit(image, ("long sleeve top", "trousers", "shoe"), rng)
        val_images.append(_image_record(image_id))
        (out_dir / "images" / (f"{image_id:07d}.jpg")).write_bytes(encode_jpeg(image, 80))
    # The final release's val file lists its images with an empty annotations list.
    _write(out_dir / "annotations" / "modanet2018_instances_val.json", _file(val_images, []))


def _write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")

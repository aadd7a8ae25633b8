"""Synthetic Fashionpedia in its 2020 release layout, with a COCO results file for the val images.

Writes ``instances_attributes_{train,val}2020.json`` with the release's full
``categories`` and ``attributes`` lists (ids 0..45 and 0..340 with gaps), images in
``train/`` and, as in the val/test archive, ``test/``, and
``results/val2020_results.json``. Garments are stored as compressed RLE in some
images and as polygons in others, garment parts (sleeve, neckline, pocket) as
polygons, so both forms occur in one file as in the release.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from assets.demo_gen.garments import DrawnGarment, background, draw_garment, encode_jpeg

FOLDER = "fashionpedia"
WIDTH, HEIGHT = 480, 640
TABLE_FILE = Path(__file__).resolve().parent.parent / "tables" / "fashionpedia.json"

# Release category ids of the templates, and of the parts cut from them.
KIND_CATEGORY = {"short sleeve top": 1, "long sleeve top": 2, "trousers": 6, "skirt": 8, "dress": 10, "shoe": 23}
SLEEVE, POCKET, NECKLINE = 31, 32, 33
# Release attribute ids: garment shape attributes, and the pattern drawn on the garment.
KIND_ATTRIBUTES = {"short sleeve top": [147, 136, 115], "long sleeve top": [147, 137, 229], "trousers": [132, 141, 230],
                   "skirt": [129, 150, 142], "dress": [119, 151, 139], "shoe": [282]}
# In the release's gap of attribute ids (235..280), so no attribute has it.
UNLISTED_ATTRIBUTE = 250
PATTERN_ATTRIBUTE = {"plain": 317, "stripes": 328, "dots": 323, "checks": 322}
# Landmark names of the sleeve corners per template (right sleeve, then left sleeve).
SLEEVE_CORNERS = {
    "short sleeve top": (("right shoulder", "right sleeve outer", "right sleeve inner", "right armpit"),
                         ("left armpit", "left sleeve inner", "left sleeve outer", "left shoulder")),
    "long sleeve top": (("right shoulder", "right cuff outer", "right cuff inner", "right armpit"),
                        ("left armpit", "left cuff inner", "left cuff outer", "left shoulder")),
    "dress": (("right shoulder", "right sleeve outer", "right armpit"),
              ("left armpit", "left sleeve outer", "left shoulder")),
}
SLEEVE_ATTRIBUTES = {"short sleeve top": [204, 157], "long sleeve top": [204, 160], "dress": [207, 157]}
NECKLINE_ATTRIBUTES = {"short sleeve top": [181], "long sleeve top": [183], "dress": [190]}
TRAIN_OUTFITS = [("short sleeve top", "trousers", "shoe"), ("dress", "shoe"), ("long sleeve top", "skirt"),
                 ("short sleeve top", "skirt", "shoe")]
VAL_OUTFITS = [("long sleeve top", "trousers", "shoe"), ("dress",)]
BOXES = {"short sleeve top": (0.24, 0.12, 0.76, 0.42), "long sleeve top": (0.2, 0.12, 0.8, 0.44),
         "trousers": (0.32, 0.41, 0.68, 0.86), "skirt": (0.3, 0.41, 0.7, 0.68), "dress": (0.25, 0.12, 0.75, 0.82)}


def _polygon_record(points: np.ndarray) -> list[list[float]]:
    return [np.round(points, 1).ravel().tolist()]


def _rle_record(polygons: list[list[float]], height: int, width: int) -> dict:
    rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    return {"size": [height, width], "counts": rle["counts"].decode("ascii")}


def _bbox_and_area(polygons: list[list[float]], height: int, width: int) -> tuple[list[float], float]:
    """Return the xywh box of the polygon points and the area of their mask."""
    points = np.concatenate([np.asarray(polygon).reshape(-1, 2) for polygon in polygons])
    x, y = points.min(axis=0)
    w, h = points.max(axis=0) - (x, y)
    area = mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(polygons, height, width)))
    return [round(float(v), 1) for v in (x, y, w, h)], float(area)


def _parts(drawn: DrawnGarment) -> list[tuple[int, np.ndarray, list[int]]]:
    """Return (category id, polygon, attribute ids) of the sleeves, neckline and pocket of a garment."""
    parts = []
    for corners in SLEEVE_CORNERS.get(drawn.kind, ()):
        parts.append((SLEEVE, np.array([drawn.landmarks[name] for name in corners]), SLEEVE_ATTRIBUTES[drawn.kind]))
    if drawn.kind in NECKLINE_ATTRIBUTES:
        left, front, right = (np.array(drawn.landmarks[name]) for name in ("left collar", "neck front", "right collar"))
        lower = front + (0, (front[1] - left[1]) * 0.6)
        parts.append((NECKLINE, np.array([left, front, right, lower]), NECKLINE_ATTRIBUTES[drawn.kind]))
    if drawn.kind == "trousers":
        x, y = drawn.landmarks["left waist"]
        width = drawn.box[2] - drawn.box[0]
        corner = np.array([x + width * 0.12, y + width * 0.12])
        square = corner + np.array([(0, 0), (width * 0.18, 0), (width * 0.18, width * 0.2), (0, width * 0.24)])
        parts.append((POCKET, square, [317]))
    return parts


def _draw_image(kinds: tuple[str, ...], rng: np.random.Generator) -> tuple[np.ndarray, list[tuple]]:
    """Paint an outfit; return the image and (category id, polygon, attribute ids) per garment and part."""
    image = background(HEIGHT, WIDTH, rng)
    regions = []
    for kind in kinds:
        if kind == "shoe":
            for left in (0.32, 0.53):
                box = (WIDTH * left, HEIGHT * 0.88, WIDTH * (left + 0.15), HEIGHT * 0.95)
                drawn = draw_garment(image, "shoe", box, rng, color=(60, 40, 30), pattern="plain")
                regions.append((KIND_CATEGORY[kind], drawn.polygon, KIND_ATTRIBUTES[kind]))
            continue
        pattern = str(rng.choice(list(PATTERN_ATTRIBUTE)))
        x1, y1, x2, y2 = BOXES[kind]
        drawn = draw_garment(image, kind, (WIDTH * x1, HEIGHT * y1, WIDTH * x2, HEIGHT * y2), rng, pattern=pattern)
        regions.append((KIND_CATEGORY[kind], drawn.polygon, KIND_ATTRIBUTES[kind] + [PATTERN_ATTRIBUTE[pattern]]))
        regions.extend(_parts(drawn))
    return image, regions


def _annotations(image_id: int, regions: list[tuple], first_id: int, garments_as_rle: bool) -> list[dict]:
    records = []
    for offset, (category_id, polygon, attribute_ids) in enumerate(regions):
        segmentation = _polygon_record(polygon)
        bbox, area = _bbox_and_area(segmentation, HEIGHT, WIDTH)
        if garments_as_rle and category_id not in (SLEEVE, POCKET, NECKLINE):
            segmentation = _rle_record(segmentation, HEIGHT, WIDTH)
        records.append({"id": first_id + offset, "image_id": image_id, "category_id": category_id,
                        "attribute_ids": sorted(attribute_ids), "segmentation": segmentation, "bbox": bbox,
                        "area": area, "iscrowd": 0})
    return records


def _results(annotations: list[dict], rng: np.random.Generator) -> list[dict]:
    """Return made-up predictions: shifted masks as RLE, varied scores, one wrong category, one box only."""
    results = []
    for index, record in enumerate(annotations):
        segmentation = record["segmentation"]
        polygons = segmentation if isinstance(segmentation, list) else None
        if polygons is None:
            continue
        shift = rng.normal(0, 4, size=2)
        moved = [(np.asarray(poly).reshape(-1, 2) + shift).ravel().tolist() for poly in polygons]
        result = {"image_id": record["image_id"], "category_id": record["category_id"],
                  "attribute_ids": record["attribute_ids"], "segmentation": _rle_record(moved, HEIGHT, WIDTH),
                  "score": round(float(rng.uniform(0.25, 0.99)), 3), "iscrowd": 0}
        if index == 1:
            result["category_id"] = 0  # a confusion: top predicted as shirt, blouse
        if index == 2:
            del result["segmentation"]
            result["bbox"] = record["bbox"]
        results.append(result)
    return results


def _file(images: list[dict], annotations: list[dict]) -> dict:
    table = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    return {"info": {"year": 2020, "version": "1.0", "description": "Synthetic Fashionpedia-format demo",
                     "contributor": "fashionviz", "url": "", "date_created": "2026-01-01"},
            "annotations": annotations, "images": images,
            "licenses": [{"url": "", "id": 1, "name": "demo"}],
            "categories": table["categories"], "attributes": table["attributes"]}


def generate(out_dir: Path) -> None:
    """Write the demo Fashionpedia files into ``out_dir``."""
    rng = np.random.default_rng(2020)
    splits = {"train": ("train", TRAIN_OUTFITS, 1000), "val": ("test", VAL_OUTFITS, 2000)}
    for split, (folder, outfits, first_image_id) in splits.items():
        (out_dir / folder).mkdir(parents=True)
        images, annotations = [], []
        for index, kinds in enumerate(outfits):
            image_id = first_image_id + index
            image, regions = _draw_image(kinds, rng)
            file_name = f"{image_id:012d}.jpg"
            (out_dir / folder / file_name).write_bytes(encode_jpeg(image, 80))
            images.append({"id": image_id, "width": WIDTH, "height": HEIGHT, "file_name": file_name, "license": 1,
                           "time_captured": "", "original_url": "", "isstatic": 1, "kaggle_id": ""})
            annotations += _annotations(image_id, regions, image_id * 100, garments_as_rle=index % 2 == 0)
        if split == "train":
            # A deliberate flaw for the quality checks: an attribute id missing from the attributes list.
            annotations[-1]["attribute_ids"] = sorted(annotations[-1]["attribute_ids"] + [UNLISTED_ATTRIBUTE])
        _write(out_dir / f"instances_attributes_{split}2020.json", _file(images, annotations))
        if split == "val":
            (out_dir / "results").mkdir()
            _write(out_dir / "results" / "val2020_results.json", _results(annotations, rng))


def _write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")

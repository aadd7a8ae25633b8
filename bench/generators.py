"""Writers of synthetic full-size datasets in the real on-disk formats, for the benchmarks.

Sizes at scale 1 follow the real releases: Fashionpedia train (45,623 images,
333,401 instances, polygons and compressed RLE mixed), DeepFashion2 train (191,961
per-image JSON files), DeepFashion Category and Attribute Prediction
(``list_attr_img.txt``: 289,222 rows of 1,000 values) and iMaterialist 2018 train
(1,014,544 images). ``scale`` shrinks every count by the same fraction. Pixels are not
written: the benchmarks measure annotation handling only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson
from pycocotools import mask as mask_utils

FASHIONPEDIA_IMAGES, FASHIONPEDIA_INSTANCES = 45_623, 333_401
DEEPFASHION2_IMAGES = 191_961
DEEPFASHION_IMAGES, DEEPFASHION_ATTRIBUTES = 289_222, 1_000
IMATERIALIST_IMAGES = 1_014_544
# Share of Fashionpedia annotations written as compressed RLE instead of polygons.
RLE_SHARE = 0.1


def scaled(count: int, scale: float) -> int:
    return max(1, int(round(count * scale)))


def _polygon(rng: np.random.Generator, width: int, height: int, points: int = 24) -> list[float]:
    center = rng.uniform((0.2 * width, 0.2 * height), (0.8 * width, 0.8 * height))
    angles = np.sort(rng.uniform(0, 2 * np.pi, points))
    radii = rng.uniform(0.05, 0.2) * min(width, height) * rng.uniform(0.7, 1.0, points)
    xy = np.column_stack([center[0] + radii * np.cos(angles), center[1] + radii * np.sin(angles)])
    return np.round(xy, 2).ravel().tolist()


def write_coco(path: Path, scale: float, seed: int = 0) -> dict[str, int]:
    """Write a Fashionpedia-train-shaped COCO file; return its image and instance counts."""
    rng = np.random.default_rng(seed)
    images_count = scaled(FASHIONPEDIA_IMAGES, scale)
    instances_count = scaled(FASHIONPEDIA_INSTANCES, scale)
    images = [{"id": index + 1, "width": 683, "height": 1024, "file_name": f"{index + 1:012d}.jpg",
               "license": 1, "time_captured": "", "original_url": "", "isstatic": 1, "kaggle_id": ""}
              for index in range(images_count)]
    owners = np.sort(rng.integers(1, images_count + 1, size=instances_count))
    annotations = []
    rle_cache: list[dict] = []
    for number, image_id in enumerate(owners.tolist(), start=1):
        polygon = _polygon(rng, 683, 1024)
        xs, ys = polygon[0::2], polygon[1::2]
        box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        if rng.random() < RLE_SHARE:
            if len(rle_cache) < 200:  # encoding is slow; reuse a pool of real encodings
                rle = mask_utils.merge(mask_utils.frPyObjects([polygon], 1024, 683))
                rle_cache.append({"size": rle["size"], "counts": rle["counts"].decode("ascii")})
            segmentation = rle_cache[number % len(rle_cache)]
        else:
            segmentation = [polygon]
        annotations.append({"id": number, "image_id": image_id, "category_id": int(rng.integers(0, 46)),
                            "attribute_ids": sorted(set(rng.integers(0, 234, size=3).tolist())),
                            "segmentation": segmentation, "bbox": [round(value, 2) for value in box],
                            "area": round(box[2] * box[3], 2), "iscrowd": 0})
    categories = [{"id": index, "name": f"category {index}", "supercategory": "upperbody", "level": 2,
                   "taxonomy_id": ""} for index in range(46)]
    attributes = [{"id": index, "name": f"attribute {index}", "supercategory": "nickname", "level": 1,
                   "taxonomy_id": ""} for index in range(341) if not 235 <= index <= 280 and index != 284]
    document = {"info": {"description": "synthetic benchmark file"}, "licenses": [], "images": images,
                "annotations": annotations, "categories": categories, "attributes": attributes}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document))
    return {"images": images_count, "instances": instances_count}


def write_deepfashion2(root: Path, scale: float, seed: int = 0) -> int:
    """Write ``train/annos/NNNNNN.json`` files (no images); return how many."""
    rng = np.random.default_rng(seed)
    folder = root / "train" / "annos"
    folder.mkdir(parents=True, exist_ok=True)
    count = scaled(DEEPFASHION2_IMAGES, scale)
    for number in range(1, count + 1):
        record: dict[str, object] = {"source": "user" if number % 3 else "shop", "pair_id": number // 4 + 1}
        for item in range(1, int(rng.integers(1, 4)) + 1):
            polygon = _polygon(rng, 800, 800)
            xs, ys = polygon[0::2], polygon[1::2]
            landmarks = []
            for x, y in zip(xs[:25], ys[:25]):
                landmarks += [round(x), round(y), int(rng.integers(0, 3))]
            record[f"item{item}"] = {
                "segmentation": [polygon], "landmarks": landmarks, "style": int(rng.integers(0, 3)),
                "bounding_box": [int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1],
                "category_id": 1, "category_name": "short sleeve top", "scale": 2, "occlusion": 1,
                "zoom_in": 1, "viewpoint": 2}
        (folder / f"{number:06d}.json").write_bytes(orjson.dumps(record))
    return count


def write_deepfashion_attributes(root: Path, scale: float, seed: int = 0) -> int:
    """Write ``Anno/list_attr_img.txt`` and ``Anno/list_attr_cloth.txt``; return the row count.

    About 0.3 % of values are positive, as in the release; the rest are -1 with a few 0.
    """
    rng = np.random.default_rng(seed)
    rows = scaled(DEEPFASHION_IMAGES, scale)
    anno = root / "Anno"
    anno.mkdir(parents=True, exist_ok=True)
    names = [f"attribute name {index}" for index in range(DEEPFASHION_ATTRIBUTES)]
    with (anno / "list_attr_cloth.txt").open("w") as handle:
        handle.write(f"{DEEPFASHION_ATTRIBUTES}\nattribute_name  attribute_type\n")
        for index, name in enumerate(names):
            handle.write(f"{name:<40}{index % 5 + 1}\n")
    with (anno / "list_attr_img.txt").open("w") as handle:
        handle.write(f"{rows}\nimage_name  attribute_labels\n")
        block = 5_000
        for start in range(0, rows, block):
            stop = min(rows, start + block)
            values = np.full((stop - start, DEEPFASHION_ATTRIBUTES), -1, dtype=np.int8)
            values[rng.random(values.shape) < 0.003] = 1
            values[rng.random(values.shape) < 0.001] = 0
            lines = []
            for offset, row in enumerate(values):
                name = f"img/Item_{(start + offset) // 20:05d}/img_{start + offset + 1:08d}.jpg"
                lines.append(f"{name:<64}" + " ".join(map(str, row.tolist())))
            handle.write("\n".join(lines) + "\n")
    return rows


def write_imaterialist2018(path: Path, scale: float, seed: int = 0) -> int:
    """Write a train.json of the 2018 layout with string ids; return the image count."""
    rng = np.random.default_rng(seed)
    count = scaled(IMATERIALIST_IMAGES, scale)
    images = [{"url": f"https://contestimg.example/{index}.jpg", "imageId": str(index)}
              for index in range(1, count + 1)]
    annotations = [{"labelId": [str(label) for label in sorted(set(rng.integers(1, 229, size=7).tolist()))],
                    "imageId": str(index)} for index in range(1, count + 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"images": images, "annotations": annotations}))
    return count


def write_manifest(folder: Path, facts: dict) -> None:
    (folder / "MANIFEST.json").write_text(json.dumps(facts, indent=1))

"""Synthetic Fashion IQ: garment drawings, relative captions, image splits, tags and URL lists.

Files follow the official layout (see loaders/fashioniq.py). Captions describe the
drawn target relative to the candidate (colour, pattern), so a reader can check them
against the pictures. The quirks of the real files are reproduced. Test records have
no target. Some captions are empty, padded with spaces or non-ASCII. About a third of
the ASINs have no tags. The URL lists put a space on each side of the tab. Some
images are missing from images/. The URLs point at example.com and resolve nowhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assets.demo_gen.garments import draw_garment, encode_jpeg

FOLDER = "fashioniq"
SEED = 2019
WIDTH, HEIGHT = 200, 260
COLORS = {
    "red": (200, 40, 45), "navy": (30, 40, 110), "black": (28, 28, 30), "white": (236, 236, 232),
    "green": (40, 140, 70), "yellow": (230, 200, 50), "pink": (232, 132, 172), "grey": (128, 128, 132),
    "brown": (120, 80, 45), "blue": (60, 110, 210),
}
PATTERN_WORDS = {"plain": "solid", "stripes": "striped", "dots": "polka dot", "checks": "checked"}
KINDS = {"dress": ("dress",), "shirt": ("long sleeve top", "short sleeve top"), "toptee": ("short sleeve top",)}
# ASINs per split, and caption records per split, for every category.
SPLIT_SIZES = {"train": 8, "val": 4, "test": 4}
RECORD_COUNTS = {"train": 6, "val": 3, "test": 3}
FABRICS = ("cotton", "silk", "lace", "jersey", "denim", "chiffon")
SHAPES = ("fitted", "loose", "long", "short", "flowy")
PARTS = ("sleeve", "collar", "hem", "neckline", "waist")
STYLES = ("casual", "party", "summer", "office")


def _product(rng: np.random.Generator, category: str) -> dict:
    kinds = KINDS[category]
    return {"kind": kinds[int(rng.integers(len(kinds)))], "color": str(rng.choice(list(COLORS))),
            "pattern": str(rng.choice(list(PATTERN_WORDS)))}


def _draw(product: dict, rng: np.random.Generator) -> bytes:
    image = np.full((HEIGHT, WIDTH, 3), 250, dtype=np.uint8)
    draw_garment(image, product["kind"], (30, 20, WIDTH - 30, HEIGHT - 20), rng,
                 color=COLORS[product["color"]], pattern=product["pattern"])
    return encode_jpeg(image, quality=80)


def _captions(candidate: dict, target: dict, rng: np.random.Generator) -> list[str]:
    """Return two relative captions that describe ``target`` as a change of ``candidate``."""
    first = f"is {target['color']} and {PATTERN_WORDS[target['pattern']]}"
    if target["pattern"] != candidate["pattern"]:
        second = f"has a {PATTERN_WORDS[target['pattern']]} print instead of {PATTERN_WORDS[candidate['pattern']]}"
    elif target["color"] != candidate["color"]:
        second = f"is more {target['color']} and less {candidate['color']}"
    else:
        second = "same colour but a different cut"
    if target["kind"] != candidate["kind"]:
        second += ", with " + ("longer" if "long" in target["kind"] else "shorter") + " sleeves"
    return [first, second] if rng.random() < 0.5 else [second, first]


def _tags(category: str, product: dict, rng: np.random.Generator) -> list[list[str]]:
    """Return the six tag lists of one image: category word, texture, fabric, shape, part, style."""
    texture = [] if product["pattern"] == "plain" else [PATTERN_WORDS[product["pattern"]].split()[-1]]
    return [[category], texture, sorted(rng.choice(FABRICS, size=int(rng.integers(0, 3)), replace=False).tolist()),
            [str(rng.choice(SHAPES))], sorted(rng.choice(PARTS, size=int(rng.integers(0, 2)), replace=False).tolist()),
            [str(rng.choice(STYLES))]]


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")


def generate(out_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    for folder in ("captions", "image_splits", "tags", "image_url", "images"):
        (out_dir / folder).mkdir(parents=True)

    serial = 0
    for category in KINDS:
        url_lines = []
        for split, size in SPLIT_SIZES.items():
            products = {}
            for _ in range(size):
                serial += 1
                products[f"B0DEMO{serial:04d}"] = _product(rng, category)
            asins = list(products)
            _write_json(out_dir / "image_splits" / f"split.{category}.{split}.json", asins)

            for asin, product in products.items():
                url_lines.append(f"{asin} \t https://images.example.com/fashioniq-demo/{asin}.jpg\n")
                # About one image in five is missing, as dead download links leave them in real copies.
                if rng.random() >= 0.2:
                    (out_dir / "images" / f"{asin}.jpg").write_bytes(_draw(product, rng))

            records = []
            for _ in range(RECORD_COUNTS[split]):
                candidate, target = (str(asin) for asin in rng.choice(asins, size=2, replace=False))
                record = {"candidate": candidate,
                          "captions": _captions(products[candidate], products[target], rng)}
                if split != "test":
                    record = {"target": target, **record}
                records.append(record)
            _quirks(category, split, records)
            _write_json(out_dir / "captions" / f"cap.{category}.{split}.json", records)

            if split == "val":
                # About a third of the ASINs have no tags in the real tag files.
                tagged = {asin: _tags(category, product, rng) for asin, product in products.items()
                          if rng.random() >= 0.33}
                _write_json(out_dir / "tags" / f"asin2attr.{category}.{split}.json", tagged)
        (out_dir / "image_url" / f"asin2url.{category}.txt").write_text("".join(url_lines), encoding="utf-8")


def _quirks(category: str, split: str, records: list[dict]) -> None:
    """Put the oddities of the real captions into a few records: empty, padded and non-ASCII text."""
    if category == "toptee" and split == "train":
        records[0]["captions"][1] = ""
        records[1]["captions"][0] = "is ombré and has thinner straps"
    if category == "toptee" and split == "val":
        records[0]["captions"][0] = "it’s lighter and has a round neckline"
    if category == "dress" and split == "train":
        records[0]["captions"][0] = " " + records[0]["captions"][0] + "  "

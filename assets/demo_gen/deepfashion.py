"""Synthetic DeepFashion demo: four benchmark folders (and the fine subset) in the real text-list layouts.

Written layout (``python -m assets.make_demo deepfashion``)::

    Category and Attribute Prediction Benchmark/
        Anno_coarse/list_{category_cloth,category_img,bbox,landmarks,attr_cloth,attr_img}.txt
        Anno_fine/list_{attr,category}_cloth.txt, {train,val,test}.txt, {split}_{attr,cate,bbox,landmarks}.txt
        Eval/list_eval_partition.txt
        Img/img/<Item_Name>/img_XXXXXXXX.jpg
    In-shop Clothes Retrieval Benchmark/
        Anno/list_{bbox,landmarks,item}_inshop.txt, list_attr_cloth.txt, list_attr_items.txt
        Eval/list_eval_partition.txt
        Img/img/WOMEN/Dresses/id_XXXXXXXX/NN_P_pose.jpg      256x256, centred and padded
        Img/img_highres/...                                  375x551 (half of 750x1101)
    Consumer-to-shop Clothes Retrieval Benchmark/
        Anno/list_{bbox,landmarks,item}_consumer2shop.txt, list_attr_cloth.txt, list_attr_items.txt
        Eval/list_eval_partition.txt
        Img/img/CLOTHING/<Type>/id_XXXXXXXX/{comsumer,shop}_NN.jpg   ("comsumer" as in the release)
    Fashion Landmark Detection Benchmark/
        Anno/list_{bbox,landmarks,joints}.txt, Eval/list_eval_partition.txt, img/img_XXXXXXXX.jpg

The attribute lists are short invented lists, where the real ones have 1000, 463 and
303 rows. Everything else follows the real column layouts. That includes the files
without a column-name line, the landmark lists with and without variation_type,
truncated points written ``2 000 000`` and a name longer than the 71-character name column.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from assets.demo_gen.garments import background, draw_garment, encode_jpeg
from loaders.deepfashion import tables

FOLDER = "deepfashion"
NAME_WIDTH = 71
CA = "Category and Attribute Prediction Benchmark"
INSHOP = "In-shop Clothes Retrieval Benchmark"
C2S = "Consumer-to-shop Clothes Retrieval Benchmark"
FLD = "Fashion Landmark Detection Benchmark"

# Template landmark used for each DeepFashion landmark, per garment template.
LANDMARK_SOURCES = {
    "short sleeve top": ["left collar", "right collar", "left sleeve outer", "right sleeve outer",
                         "left hem", "right hem"],
    "long sleeve top": ["left collar", "right collar", "left cuff outer", "right cuff outer", "left hem", "right hem"],
    "trousers": ["left waist", "right waist", "left hem outer", "right hem outer"],
    "skirt": ["left waist", "right waist", "left hem", "right hem"],
    "dress": ["left collar", "right collar", "left sleeve outer", "right sleeve outer", "left waist", "right waist",
              "left hem", "right hem"],
}
CLOTHES_TYPE = {"short sleeve top": 1, "long sleeve top": 1, "trousers": 2, "skirt": 2, "dress": 3}

COARSE_ATTRIBUTES = [
    ("abstract chevron print", 1), ("floral", 1), ("striped", 1), ("dotted", 1), ("plaid", 1), ("graphic", 1),
    ("cotton", 2), ("denim", 2), ("chiffon", 2), ("faux leather", 2), ("knit", 2), ("lace", 2),
    ("a-line", 3), ("boxy", 3), ("maxi", 3), ("mini", 3), ("fitted", 3), ("flared", 3),
    ("pocket", 4), ("v-neck", 4), ("button-front", 4), ("crew neck", 4), ("drawstring", 4), ("zip-up", 4),
    ("boho", 5), ("classic", 5), ("summer", 5), ("party", 5), ("workwear", 5), ("retro", 5),
]
FINE_ATTRIBUTES = [
    ("floral", 1), ("graphic", 1), ("striped", 1), ("embroidered", 1), ("pleated", 1), ("solid", 1), ("lattice", 1),
    ("long_sleeve", 2), ("short_sleeve", 2), ("sleeveless", 2),
    ("maxi_length", 3), ("mini_length", 3), ("no_dress", 3),
    ("crew_neckline", 4), ("v_neckline", 4), ("square_neckline", 4), ("no_neckline", 4),
    ("denim", 5), ("chiffon", 5), ("cotton", 5), ("leather", 5), ("faux", 5), ("knit", 5),
    ("tight", 6), ("loose", 6), ("conventional", 6),
]
# (item folder, category id, template, pattern) of the Category-and-Attribute images.
CA_ITEMS = [
    ("Striped_Boxy_Tee", 18, "short sleeve top", "stripes"),
    ("Dotted_Knit_Cardigan", 6, "long sleeve top", "dots"),
    ("Classic_Skinny_Jeans", 26, "trousers", "plain"),
    ("Pleated_Floral_Skirt", 33, "skirt", "checks"),
    ("Abstract_Chevron_Print_Pleated_Chiffon_Maxi_Dress_With_Belt", 41, "dress", "stripes"),
    ("Lace_Trim_Romper", 48, "dress", "dots"),
]
# Positive attributes of each item (coarse, then fine), so that the labels fit the item names.
ITEM_ATTRIBUTES = {
    "Striped_Boxy_Tee": (["striped", "cotton", "boxy"],
                         ["striped", "short_sleeve", "no_dress", "crew_neckline", "cotton", "loose"]),
    "Dotted_Knit_Cardigan": (["dotted", "knit", "button-front"],
                             ["graphic", "long_sleeve", "no_dress", "v_neckline", "knit", "conventional"]),
    "Classic_Skinny_Jeans": (["denim", "fitted", "pocket", "classic"],
                             ["solid", "sleeveless", "no_dress", "no_neckline", "denim", "tight"]),
    "Pleated_Floral_Skirt": (["floral", "a-line", "mini"],
                             ["pleated", "sleeveless", "mini_length", "no_neckline", "cotton", "loose"]),
    "Abstract_Chevron_Print_Pleated_Chiffon_Maxi_Dress_With_Belt": (
        ["abstract chevron print", "chiffon", "maxi", "boho"],
        ["graphic", "short_sleeve", "maxi_length", "v_neckline", "chiffon", "loose"]),
    "Lace_Trim_Romper": (["lace", "crew neck", "summer"],
                         ["embroidered", "short_sleeve", "mini_length", "crew_neckline", "cotton", "conventional"]),
}
# Positive attributes of the retrieval items.
RETRIEVAL_ATTRIBUTES = {
    "id_00000002": ["floral", "chiffon", "a-line"], "id_00000008": ["denim", "fitted", "pocket"],
    "id_00000015": ["striped", "cotton", "button-front"], "id_00000001": ["graphic", "cotton", "boxy"],
    "id_00000004": ["plaid", "a-line", "mini"], "id_00000007": ["dotted", "chiffon", "maxi"],
}
COARSE_INDEX = {name: index for index, (name, _) in enumerate(COARSE_ATTRIBUTES)}
FINE_INDEX = {name: index for index, (name, _) in enumerate(FINE_ATTRIBUTES)}


def _write_list(path: Path, columns: list[str] | None, rows: list[tuple[str, str]], count: bool = True) -> None:
    """Write a DeepFashion list: count line, column names joined by two spaces, name column padded to 71."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [str(len(rows))] if count else []
    if columns:
        lines.append("  ".join(columns))
    for name, rest in rows:
        if not rest:
            lines.append(name)
            continue
        # A name longer than the column is followed by a single space, as in the released lists.
        lines.append(f"{name.ljust(NAME_WIDTH)}{rest}" if len(name) < NAME_WIDTH else f"{name} {rest}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _landmark_columns(count: int = 8) -> list[str]:
    names = []
    for number in range(1, count + 1):
        names += [f"landmark_visibility_{number}", f"landmark_location_x_{number}", f"landmark_location_y_{number}"]
    return names


def _triplets(points: list[tuple[int, float, float]]) -> str:
    """Return ``  v xxx yyy`` per point; truncated points without a position are written 000 000."""
    text = ""
    for visibility, x, y in points:
        if visibility == 2 and not (np.isfinite(x) and np.isfinite(y)):
            text += "  2 000 000"
        else:
            text += f"  {visibility} {int(round(x)):03d} {int(round(y)):03d}"
    return text


def _box_text(box) -> str:
    return " ".join(f"{int(round(value)):03d}" for value in box)


def _garment_image(height: int, width: int, kind: str, box, rng, pattern: str | None = None,
                   occlude: int | None = None, color: tuple[int, int, int] | None = None):
    """Draw a garment and return the image, the box and DeepFashion-coded landmarks (v, x, y)."""
    image = background(height, width, rng)
    drawn = draw_garment(image, kind, box, rng, color=color, pattern=pattern)
    points = []
    for index, source in enumerate(LANDMARK_SOURCES[kind]):
        x, y = drawn.landmarks[source]
        x, y = min(max(x, 0.0), width - 1.0), min(max(y, 0.0), height - 1.0)
        visibility = 0
        if index == occlude:
            # A grey bag strap over the point: the landmark is occluded.
            cv2.rectangle(image, (int(x) - 9, int(y) - 9), (int(x) + 9, int(y) + 9), (90, 90, 96), -1)
            visibility = 1
        points.append((visibility, x, y))
    x1, y1, x2, y2 = drawn.box
    box_out = (max(x1, 0), max(y1, 0), min(x2, width - 1), min(y2, height - 1))
    return image, box_out, points


def _cut_off_bottom(image: np.ndarray, points: list, index: int) -> None:
    """Paint over the image below a point so the point is really out of frame, and mark it truncated."""
    limit = int(points[index][2]) - 4
    image[limit:] = image[limit - 1:limit]
    points[index] = (2, np.nan, np.nan)


def generate_category_attribute(out: Path, rng: np.random.Generator) -> None:
    base = out / CA
    coarse = base / "Anno_coarse"
    categories = tables()["categories"]
    _write_list(coarse / "list_category_cloth.txt", ["category_name", "category_type"],
                [(entry["name"], str(entry["type"])) for entry in categories])
    _write_list(coarse / "list_attr_cloth.txt", ["attribute_name", "attribute_type"],
                [(name, str(kind)) for name, kind in COARSE_ATTRIBUTES])
    category_rows, box_rows, landmark_rows, attr_rows, partition_rows = [], [], [], [], []
    fine: dict[str, list] = {"train": [], "val": [], "test": []}
    statuses = ["train", "train", "val", "test"]

    number = 0
    for item_index, (folder, category, kind, pattern) in enumerate(CA_ITEMS):
        for view in range(2):
            number += 1
            name = f"img/{folder}/img_{number:08d}.jpg"
            height, width = (300, 200) if kind != "skirt" else (240, 300)
            margin_x, margin_y = width * 0.18, height * 0.1
            box = (margin_x + rng.uniform(-8, 8), margin_y + rng.uniform(-6, 6),
                   width - margin_x + rng.uniform(-8, 8), height - margin_y + rng.uniform(-6, 6))
            occlude = 1 if (item_index + view) % 3 == 0 else None
            image, drawn_box, points = _garment_image(height, width, kind, box, rng, pattern, occlude)
            if item_index == 4 and view == 1:
                _cut_off_bottom(image, points, 6)
            (base / "Img" / name).parent.mkdir(parents=True, exist_ok=True)
            (base / "Img" / name).write_bytes(encode_jpeg(image, 80))

            status = statuses[(item_index + view) % 4]
            partition_rows.append((name, status))
            category_rows.append((name, str(category)))
            box_rows.append((name, _box_text(drawn_box)))
            # The Category-and-Attribute landmark list has no variation_type column.
            landmark_rows.append((name, f"{CLOTHES_TYPE[kind]}{_triplets(points)}"))
            labels = np.full(len(COARSE_ATTRIBUTES), -1, dtype=int)
            # A few labels are 0 (unknown), as in the released file.
            labels[rng.choice(len(COARSE_ATTRIBUTES), 2, replace=False)] = 0
            labels[[COARSE_INDEX[name] for name in ITEM_ATTRIBUTES[folder][0]]] = 1
            attr_rows.append((name, " ".join(f"{value:>2d}" for value in labels)))
            fine[status].append((name, category, drawn_box, points, ITEM_ATTRIBUTES[folder][1]))

    _write_list(coarse / "list_category_img.txt", ["image_name", "category_label"], category_rows)
    _write_list(coarse / "list_bbox.txt", ["image_name", "x_1", "y_1", "x_2", "y_2"], box_rows)
    _write_list(coarse / "list_landmarks.txt", ["image_name", "clothes_type", *_landmark_columns()], landmark_rows)
    _write_list(coarse / "list_attr_img.txt", ["image_name", "attribute_labels"], attr_rows)
    _write_list(base / "Eval" / "list_eval_partition.txt", ["image_name", "evaluation_status"], partition_rows)
    _write_fine(base / "Anno_fine", fine)


def _write_fine(folder: Path, fine: dict[str, list]) -> None:
    """Write the fine subset: per-split files without count or header lines, aligned by row."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_list(folder / "list_attr_cloth.txt", ["attribute_name", "attribute_type"],
                [(name, str(kind)) for name, kind in FINE_ATTRIBUTES])
    _write_list(folder / "list_category_cloth.txt", ["category_name", "category_type"],
                [(entry["name"], str(entry["type"])) for entry in tables()["categories"]])
    for split, rows in fine.items():
        names, cates, boxes, marks, attrs = [], [], [], [], []
        for name, category, box, points, positives in rows:
            names.append(name)
            cates.append(str(category))
            boxes.append(_box_text(box))
            padded = points + [(0, 0.0, 0.0)] * (8 - len(points))
            marks.append(_triplets(padded).strip())
            # One positive label per attribute type.
            labels = np.zeros(len(FINE_ATTRIBUTES), dtype=int)
            labels[[FINE_INDEX[name] for name in positives]] = 1
            attrs.append(" ".join(str(value) for value in labels))
        for suffix, lines in (("", names), ("_cate", cates), ("_bbox", boxes), ("_landmarks", marks),
                              ("_attr", attrs)):
            (folder / f"{split}{suffix}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _fit_into(image: np.ndarray, size: int = 256) -> tuple[np.ndarray, float, float, float]:
    """Resize keeping the aspect ratio and centre on a white square; return it, the scale and the padding."""
    height, width = image.shape[:2]
    scale = min(size / width, size / height)
    new_width, new_height = int(round(width * scale)), int(round(height * scale))
    small = cv2.resize(image, (new_width, new_height), interpolation=cv2.INTER_AREA)
    square = np.full((size, size, 3), 255, dtype=np.uint8)
    pad_x, pad_y = (size - new_width) / 2, (size - new_height) / 2
    square[int(pad_y):int(pad_y) + new_height, int(pad_x):int(pad_x) + new_width] = small
    return square, scale, int(pad_x), int(pad_y)


def generate_inshop(out: Path, rng: np.random.Generator) -> None:
    base = out / INSHOP
    items = [("id_00000002", "WOMEN/Dresses", "dress", "train"),
             ("id_00000008", "MEN/Denim", "trousers", "test"),
             ("id_00000015", "WOMEN/Blouses_Shirts", "long sleeve top", "test")]
    poses = [("1_front", 1, 0.0), ("2_side", 2, 0.12), ("3_back", 3, 0.0), ("4_full", 4, -0.1)]

    box_rows, landmark_rows, partition_rows = [], [], []
    for item_index, (item, folder, kind, group) in enumerate(items):
        color = tuple(int(v) for v in rng.integers(40, 220, size=3))
        for pose_index, (pose_name, pose_type, shift) in enumerate(poses):
            name = f"img/{folder}/{item}/{item_index + 1:02d}_{pose_name}.jpg"
            high_height, high_width = 551, 375
            shrink = 0.2 if pose_type == 4 else 0.0
            box = (high_width * (0.12 + shrink + shift), high_height * (0.08 + shrink),
                   high_width * (0.88 - shrink + shift), high_height * (0.92 - shrink))
            image = background(high_height, high_width, rng)
            drawn = draw_garment(image, kind, box, rng, color=color, pattern="plain")
            high_points = [(0, *drawn.landmarks[source]) for source in LANDMARK_SOURCES[kind]]
            low, scale, pad_x, pad_y = _fit_into(image)
            low_points = [(v, x * scale + pad_x, y * scale + pad_y) for v, x, y in high_points]
            low_box = [drawn.box[0] * scale + pad_x, drawn.box[1] * scale + pad_y,
                       drawn.box[2] * scale + pad_x, drawn.box[3] * scale + pad_y]
            for sub, picture in (("img", low), ("img_highres", image)):
                path = base / "Img" / sub / Path(*Path(name).parts[1:])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(encode_jpeg(picture, 78))

            box_rows.append((name, f"{CLOTHES_TYPE[kind]}  {pose_type}  {_box_text(low_box)}"))
            landmark_rows.append((name, f"{CLOTHES_TYPE[kind]}  1{_triplets(low_points)}"))
            # The first pose of a test item is its query image, the others are its gallery.
            status = group
            if group == "test":
                status = "query" if pose_index == 0 else "gallery"
            partition_rows.append((name, f"{item}  {status}"))

    anno = base / "Anno"
    _write_list(anno / "list_bbox_inshop.txt",
                ["image_name", "clothes_type", "pose_type", "x_1", "y_1", "x_2", "y_2"], box_rows)
    _write_list(anno / "list_landmarks_inshop.txt",
                ["image_name", "clothes_type", "variation_type", *_landmark_columns()], landmark_rows)
    # list_item_inshop.txt has the count line but no column-name line.
    _write_list(anno / "list_item_inshop.txt", None, [(item, "") for item, *_ in items])
    _write_item_attributes(anno, [item for item, *_ in items])
    _write_list(base / "Eval" / "list_eval_partition.txt", ["image_name", "item_id", "evaluation_status"],
                partition_rows)


def _write_item_attributes(anno: Path, items: list[str], chinese: bool = False) -> None:
    attributes = COARSE_ATTRIBUTES
    if chinese:
        translated = {"floral": "花卉", "striped": "条纹", "dotted": "波点", "plaid": "格子", "graphic": "图案",
                      "cotton": "棉", "denim": "牛仔", "chiffon": "雪纺", "knit": "针织", "lace": "蕾丝",
                      "maxi": "长款", "mini": "短款", "fitted": "修身", "boxy": "宽松", "a-line": "A字",
                      "flared": "喇叭", "faux leather": "人造革", "abstract chevron print": "抽象人字印花",
                      "pocket": "口袋", "v-neck": "V领", "button-front": "前排扣", "crew neck": "圆领",
                      "drawstring": "抽绳", "zip-up": "拉链", "boho": "波西米亚", "classic": "经典",
                      "summer": "夏季", "party": "派对", "workwear": "工装", "retro": "复古"}
        rows = [(f"{translated[name]} {name}", str(kind)) for name, kind in attributes]
        _write_list(anno / "list_attr_cloth.txt", ["attribute_name", "attribute_type"], rows)
    else:
        _write_list(anno / "list_attr_cloth.txt", ["attribute_name", "attribute_type"],
                    [(name, str(kind)) for name, kind in attributes])
    rows = []
    for item in items:
        labels = np.full(len(attributes), -1, dtype=int)
        labels[[COARSE_INDEX[name] for name in RETRIEVAL_ATTRIBUTES[item]]] = 1
        rows.append((item, " ".join(f"{value:>2d}" for value in labels)))
    _write_list(anno / "list_attr_items.txt", ["item_id", "attribute_labels"], rows)


def generate_consumer2shop(out: Path, rng: np.random.Generator) -> None:
    base = out / C2S
    items = [("id_00000001", "Blouse", "short sleeve top", "train", 2, 1),
             ("id_00000004", "Skirt", "skirt", "val", 1, 2),
             ("id_00000007", "Dress", "dress", "test", 2, 1)]
    box_rows, landmark_rows, partition_rows = [], [], []
    for item, folder, kind, status, consumers, shops in items:
        color = tuple(int(v) for v in rng.integers(40, 220, size=3))
        names = {"comsumer": [], "shop": []}
        for source, count in (("shop", shops), ("comsumer", consumers)):
            for number in range(1, count + 1):
                # The release spells consumer images "comsumer_NN.jpg".
                name = f"img/CLOTHING/{folder}/{item}/{source}_{number:02d}.jpg"
                height, width = 300, 225
                if source == "shop":
                    box = (width * 0.15, height * 0.1, width * 0.85, height * 0.9)
                else:
                    left = rng.uniform(0.05, 0.3)
                    box = (width * left, height * rng.uniform(0.15, 0.3), width * (left + 0.6), height * 0.95)
                occlude = 0 if source == "comsumer" else None
                image, drawn_box, points = _garment_image(height, width, kind, box, rng, "plain", occlude, color)
                image[:] = image if source == "shop" else cv2.GaussianBlur(image, (3, 3), 0)
                path = base / "Img" / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(encode_jpeg(image, 78))
                source_type = 1 if source == "shop" else 2
                box_rows.append((name, f"{CLOTHES_TYPE[kind]}  {source_type}  {_box_text(drawn_box)}"))
                variation = 1 if source == "shop" else 2
                landmark_rows.append((name, f"{CLOTHES_TYPE[kind]}  {variation}{_triplets(points)}"))
                names[source].append(name)
        for consumer in names["comsumer"]:
            for shop in names["shop"]:
                partition_rows.append((consumer, f"{shop}  {item}  {status}"))
        if item == "id_00000007":
            # A flaw for the quality checks: a pair whose shop image was never written.
            missing_shop = f"img/CLOTHING/{folder}/{item}/shop_{shops + 1:02d}.jpg"
            partition_rows.append((names["comsumer"][-1], f"{missing_shop}  {item}  {status}"))
    anno = base / "Anno"
    _write_list(anno / "list_bbox_consumer2shop.txt",
                ["image_name", "clothes_type", "source_type", "x_1", "y_1", "x_2", "y_2"], box_rows)
    _write_list(anno / "list_landmarks_consumer2shop.txt",
                ["image_name", "clothes_type", "variation_type", *_landmark_columns()], landmark_rows)
    _write_list(anno / "list_item_consumer2shop.txt", None, [(item, "") for item, *_ in items])
    _write_item_attributes(anno, [item for item, *_ in items], chinese=True)
    _write_list(base / "Eval" / "list_eval_partition.txt",
                ["image_pair_name_1", "image_pair_name_2", "item_id", "evaluation_status"], partition_rows)


def _body_joints(box, height: int, width: int) -> list[tuple[float, float]]:
    """Return 14 joint positions of a standing figure around a garment box."""
    x1, y1, x2, y2 = box
    center = (x1 + x2) / 2
    span = (x2 - x1) / 2
    top = max(y1 - 0.12 * height, 4)
    joints = [(center, top), (center, y1 + 2),
              (center - span * 0.8, y1 + 8), (center - span * 1.05, y1 + 0.25 * height),
              (center - span * 1.1, y1 + 0.45 * height),
              (center + span * 0.8, y1 + 8), (center + span * 1.05, y1 + 0.25 * height),
              (center + span * 1.1, y1 + 0.45 * height),
              (center - span * 0.4, y1 + 0.42 * height), (center - span * 0.45, y1 + 0.62 * height),
              (center - span * 0.45, y1 + 0.8 * height),
              (center + span * 0.4, y1 + 0.42 * height), (center + span * 0.45, y1 + 0.62 * height),
              (center + span * 0.45, y1 + 0.8 * height)]
    return [(min(max(x, 0), width - 1), min(max(y, 0), height - 1)) for x, y in joints]


def generate_landmark_detection(out: Path, rng: np.random.Generator) -> None:
    base = out / FLD
    kinds = ["short sleeve top", "trousers", "dress", "long sleeve top", "skirt", "dress"]
    statuses = ["train", "train", "val", "test", "train", "test"]

    box_rows, landmark_rows, joint_rows, partition_rows = [], [], [], []
    for number, kind in enumerate(kinds, start=1):
        name = f"img/img_{number:08d}.jpg"
        height, width = 300, 240
        variation = number % 5 + 1
        zoom = 0.05 if variation in (4, 5) else 0.22
        box = (width * zoom, height * (zoom * 0.8 + 0.1), width * (1 - zoom), height * (0.95 - zoom * 0.5))
        image = background(height, width, rng)
        joints = _body_joints(box, height, width)
        for a, b in ((0, 1), (1, 2), (2, 3), (3, 4), (1, 5), (5, 6), (6, 7), (8, 9), (9, 10), (11, 12), (12, 13)):
            cv2.line(image, tuple(int(v) for v in joints[a]), tuple(int(v) for v in joints[b]), (205, 160, 130), 7)
        cv2.circle(image, tuple(int(v) for v in joints[0]), 14, (205, 160, 130), -1)
        drawn = draw_garment(image, kind, box, rng)

        points = [(0, *drawn.landmarks[source]) for source in LANDMARK_SOURCES[kind]]
        if number == 3:
            points[-1] = (2, np.nan, np.nan)  # a truncated hem, written 2 000 000
            image[int(drawn.landmarks["left hem"][1]) - 6:] = image[int(drawn.landmarks["left hem"][1]) - 7]
        if number == 4:
            points[0] = (1, *points[0][1:])
        # Flaws for the quality checks: a visibility code outside 0, 1, 2, and a full-body row with 6 triplets.
        if number == 5:
            points[1] = (3, *points[1][1:])
        if number == 6:
            points = points[:6]
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_jpeg(image, 80))

        box_rows.append((name, _box_text(drawn.box)))
        landmark_rows.append((name, f"{CLOTHES_TYPE[kind]}  {variation}{_triplets(points)}"))
        # Joints covered by the garment are invisible (1); the others visible (0).
        x1, y1, x2, y2 = drawn.box
        joint_points = [(1 if x1 < x < x2 and y1 < y < y2 else 0, x, y) for x, y in joints]
        joint_rows.append((name, f"{CLOTHES_TYPE[kind]}  {variation}{_triplets(joint_points)}"))
        partition_rows.append((name, statuses[number - 1]))

    anno = base / "Anno"
    _write_list(anno / "list_bbox.txt", ["image_name", "x_1", "y_1", "x_2", "y_2"], box_rows)
    _write_list(anno / "list_landmarks.txt", ["image_name", "clothes_type", "variation_type", *_landmark_columns()],
                landmark_rows)
    joint_columns = []
    for index in range(1, 15):
        joint_columns += [f"joint_visibility_{index}", f"joint_location_x_{index}", f"joint_location_y_{index}"]
    _write_list(anno / "list_joints.txt", ["image_name", "clothes_type", "variation_type", *joint_columns], joint_rows)
    _write_list(base / "Eval" / "list_eval_partition.txt", ["image_name", "evaluation_status"], partition_rows)


def generate(out_dir: Path) -> None:
    """Write the four benchmark folders under ``out_dir``."""
    generate_category_attribute(out_dir, np.random.default_rng(20160618))
    generate_inshop(out_dir, np.random.default_rng(20160829))
    generate_consumer2shop(out_dir, np.random.default_rng(20161222))
    generate_landmark_detection(out_dir, np.random.default_rng(20180131))

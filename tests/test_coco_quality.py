"""COCO quality checks and statistics tables: minimal bad and good records, and the real ModaNet file."""

import json

import pytest

from loaders.coco import CocoInstances
from loaders.coco_quality import coco_checks, coco_tables
from loaders.modanet import ModaNetDataset
from loaders.qa import GENERIC_CHECKS, run_checks

IMAGE = {"id": 7, "width": 40, "height": 30, "file_name": "7.jpg"}
SQUARE = [[2, 2, 12, 2, 12, 10, 2, 10]]
GOOD = {"id": 71, "image_id": 7, "category_id": 1, "segmentation": SQUARE, "bbox": [2, 2, 10, 8],
        "attribute_ids": [3], "iscrowd": 0}


def open_file(tmp_path, annotations, images=(IMAGE,)):
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": list(images), "annotations": annotations,
                                "categories": [{"id": 1, "name": "top"}],
                                "attributes": [{"id": 3, "name": "plain", "supercategory": "pattern"}]}))
    coco = CocoInstances(path)
    coco.split = "train"
    return coco


def flags_of(coco, check_id):
    checks = [check for check in coco_checks(coco) if check.id == check_id]
    report = run_checks((coco.load_sample(image_id) for image_id in coco.image_ids()), checks)
    return [(flag.sample_id, flag.instance_id, flag.detail) for flag in report.flags]


@pytest.mark.parametrize(("bad", "check_id", "detail"), [
    ({"category_id": 9}, "unknown_category", "category_id 9"),
    ({"attribute_ids": [3, 250]}, "unknown_attribute", "attribute ids 250"),
    ({"bbox": [2, 2, 5, 5]}, "file_bbox_mismatch", "file xyxy 2, 2, 7, 7, mask xyxy 2, 2, 12, 10"),
    ({"segmentation": {"size": [40, 30], "counts": [1200]}, "bbox": [0, 0, 0, 0]}, "mask_outside_image",
     "RLE size [40, 30], image 30x40"),
])
def test_check_flags_bad_passes_good(tmp_path, bad, check_id, detail):
    coco = open_file(tmp_path, [GOOD, {**GOOD, "id": 72, **bad}])
    assert flags_of(coco, check_id) == [("7", "72", detail)]


def test_duplicate_id_flagged_once(tmp_path):
    second_image = {**IMAGE, "id": 8, "file_name": "8.jpg"}
    coco = open_file(tmp_path, [GOOD, {**GOOD, "image_id": 8}, {**GOOD, "id": 73}], images=(IMAGE, second_image))
    assert flags_of(coco, "duplicate_annotation_id") == [("8", "71", "annotation id 71 is used twice")]


def test_good_file_has_no_flags(tmp_path):
    coco = open_file(tmp_path, [GOOD, {**GOOD, "id": 72}])
    report = run_checks((coco.load_sample(7),), GENERIC_CHECKS + coco_checks(coco))
    assert [flag for flag in report.flags if flag.check_id != "image_missing"] == []


def test_orphans_listed(tmp_path):
    coco = open_file(tmp_path, [GOOD, {**GOOD, "id": 72, "image_id": 99}])
    orphans = coco.orphans()
    assert orphans.annotation_id.tolist() == [72]
    assert orphans.image_id.tolist() == [99]
    assert orphans.position.tolist() == [1]


def test_real_modanet_multi_polygons_flagged(realdata):
    coco = ModaNetDataset(realdata / "modanet").open("train")
    raw = json.loads((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_text())
    multi = {(str(a["image_id"]), str(a["id"])) for a in raw["annotations"] if len(a["segmentation"]) > 1}
    report = run_checks((coco.load_sample(image_id) for image_id in coco.image_ids()),
                        GENERIC_CHECKS + coco_checks(coco))
    flagged = {(flag.sample_id, flag.instance_id) for flag in report.flags if flag.check_id == "file_bbox_mismatch"}
    assert len(multi) == 70
    assert flagged == multi
    assert all(flag.split == "train" for flag in report.flags)


def test_tables_from_index(realdata):
    coco = ModaNetDataset(realdata / "modanet").open("train")
    raw = json.loads((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_text())
    tables = coco_tables(coco)
    assert len(tables.instances) == 228
    names = {category["id"]: category["name"] for category in raw["categories"]}
    assert tables.instances.category.tolist() == [names[a["category_id"]] for a in raw["annotations"]]
    first = raw["annotations"][0]
    xs, ys = first["segmentation"][0][0::2], first["segmentation"][0][1::2]
    assert tables.instances.width.iloc[0] == max(xs) - min(xs)
    assert tables.instances.height.iloc[0] == max(ys) - min(ys)
    assert tables.samples.instances.sum() == 228
    assert len(tables.samples) == 124


def test_tables_group_attributes(realdata):
    from loaders.fashionpedia import FashionpediaDataset

    coco = FashionpediaDataset(realdata / "fashionpedia").open("sample")
    tables = coco_tables(coco)
    raw = json.loads((realdata / "fashionpedia" / "data" / "sample.json").read_text())
    assert len(tables.labels) == sum(len(a.get("attribute_ids", [])) for a in raw["annotations"])
    groups = {attribute["id"]: attribute["supercategory"] for attribute in raw["attributes"]}
    expected = sorted(groups[value] for a in raw["annotations"] for value in a.get("attribute_ids", []))
    assert sorted(tables.labels.group) == expected

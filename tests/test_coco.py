"""COCO reader: geometry validation, RLE forms, label look-ups, empty files, results files, DeepFashion2 layout."""

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from loaders.coco import CocoInstances, Label, instance_matches, matching_images, read_deepfashion2_coco
from loaders.coco_geometry import rle_counts_from_string
from loaders.coco_results import read_results
from render.masks import full_mask


def write_coco(tmp_path, annotations, categories=None, attributes=None, images=None, name="instances.json",
               **extra):
    data = {"images": images if images is not None else [{"id": 7, "width": 40, "height": 30, "file_name": "7.jpg"}],
            "categories": categories if categories is not None else [{"id": 1, "name": "top"}], **extra}
    if annotations is not None:
        data["annotations"] = annotations
    if attributes is not None:
        data["attributes"] = attributes
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


GOOD = {"id": 71, "image_id": 7, "category_id": 1, "segmentation": [[2, 2, 12, 2, 12, 10, 2, 10]], "iscrowd": 0}


@pytest.mark.parametrize(("segmentation", "expected"), [
    ([[1, 2, 3, 4]], "exactly 4 numbers"),
    ([[1, 2]], "needs at least 3 x, y pairs"),
    ([[1, 2, 3, 4, 5, 6, 7]], "odd number of values (7)"),
    ([[1, 2, 3, 4, 1e9, 6]], "beyond ±100,000 px"),
    ([[1, 2, "3", 4, 5, 6]], "not a flat list of numbers"),
    ({"size": [30, 40], "counts": [5, 10]}, "add up to 15, but size [30, 40] needs 1200"),
    ({"size": [30, 40], "counts": "!!"}, "not a valid COCO RLE string"),
    ({"size": [30], "counts": "0"}, "is not [height, width]"),
    ({"size": [30, 40], "counts": [1200.5]}, "neither a string"),
    ("polygon", "is a str"),
])
def test_bad_geometry_names_image_and_annotation(tmp_path, segmentation, expected):
    bad = {"id": 70, "image_id": 7, "category_id": 1, "segmentation": segmentation, "iscrowd": 0}
    coco = CocoInstances(write_coco(tmp_path, [bad, GOOD]))
    sample = coco.load_sample(7)
    messages = [str(problem) for problem in sample.problems]
    assert any(expected in message and "image 7, annotation 70" in message for message in messages), messages
    # The other annotation of the image is still read and drawable.
    good = sample.instances[1]
    assert good.id == "71"
    assert good.polygons[0].shape == (4, 2)
    assert full_mask(good, 30, 40).sum() > 0


def test_nan_coordinates_reported(tmp_path):
    path = tmp_path / "nan.json"
    bad = {**GOOD, "id": 70, "segmentation": [[1, 2, float("nan"), 4, 5, 6]]}
    path.write_text(json.dumps({"images": [{"id": 7, "width": 40, "height": 30, "file_name": "7.jpg"}],
                                "annotations": [bad, GOOD], "categories": [{"id": 1, "name": "top"}]}))
    coco = CocoInstances(path)
    sample = coco.load_sample(7)
    assert any("NaN or Infinity" in p.message for p in coco.problems + sample.problems)
    assert any("image 7, annotation 70" in str(p) and "NaN or infinite" in p.message for p in sample.problems)
    assert len(sample.instances[1].polygons) == 1


def test_polygon_mask_equals_ann_to_mask(realdata):
    path = realdata / "modanet" / "annotations" / "modanet2018_instances_train.json"
    reference = COCO(str(path))
    coco = CocoInstances(path)
    sample = coco.load_sample(3)
    for instance in sample.instances:
        expected = reference.annToMask(reference.anns[int(instance.id)]).astype(bool)
        assert expected.sum() > 1000
        assert np.array_equal(full_mask(instance, 600, 400), expected)


def test_compressed_and_uncompressed_rle(tmp_path):
    truth = np.zeros((30, 40), dtype=np.uint8)
    truth[5:12, 3:9] = 1
    truth[20:25, 30:38] = 1
    compressed = mask_utils.encode(np.asfortranarray(truth))
    flat = truth.ravel(order="F")
    changes = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    annotations = [
        {"id": 1, "image_id": 7, "category_id": 1, "iscrowd": 0,
         "segmentation": {"size": [30, 40], "counts": compressed["counts"].decode()}},
        {"id": 2, "image_id": 7, "category_id": 1, "iscrowd": 1, "segmentation": {"size": [30, 40], "counts": runs}},
    ]
    sample = CocoInstances(write_coco(tmp_path, annotations)).load_sample(7)
    assert sample.problems == []
    for instance in sample.instances:
        assert np.array_equal(full_mask(instance, 30, 40), truth.astype(bool))
    assert sample.instances[1].fields["iscrowd"] == 1
    assert sample.instances[0].bbox.tolist() == [3, 5, 38, 25]
    assert rle_counts_from_string(compressed["counts"].decode()) == runs


def test_rle_size_width_first_reported(tmp_path):
    truth = np.zeros((40, 30), dtype=np.uint8)
    counts = mask_utils.encode(np.asfortranarray(truth))["counts"].decode()
    annotation = {**GOOD, "segmentation": {"size": [40, 30], "counts": counts}}
    sample = CocoInstances(write_coco(tmp_path, [annotation])).load_sample(7)
    assert "[width, height] of the 40x30 image" in sample.problems[0].message


def test_category_ids_from_zero_and_one(tmp_path):
    categories = [{"id": 0, "name": "shirt"}, {"id": 1, "name": "pants"}]
    annotations = [{**GOOD, "id": 1, "category_id": 0}, {**GOOD, "id": 2, "category_id": 1},
                   {**GOOD, "id": 3, "category_id": 5}]
    sample = CocoInstances(write_coco(tmp_path, annotations, categories)).load_sample(7)
    assert [i.category_name for i in sample.instances] == ["shirt", "pants", "category 5"]
    assert "category_id 5 is not in the categories list." in str(sample.problems[0])
    assert "image 7, annotation 3" in str(sample.problems[0])


def test_attributes_by_id_with_gaps(tmp_path):
    attributes = [{"id": 0, "name": "plain", "supercategory": "pattern"},
                  {"id": 283, "name": "metal", "supercategory": "material"},
                  {"id": 285, "name": "feather", "supercategory": "material"}]
    annotations = [{**GOOD, "attribute_ids": [285, 0, 284]}]
    coco = CocoInstances(write_coco(tmp_path, annotations, attributes=attributes))
    (instance,) = coco.load_sample(7).instances
    # List position 2 is id 285: a look-up by position would give the wrong name.
    assert instance.attributes == ["feather", "plain", "attribute 284"]
    assert instance.attribute_ids == [285, 0, 284]
    assert "attribute id 284 is not in the attributes list" in instance.problems[0].message
    assert coco.attributes[283].tag == "metal (material)"


def test_file_lists_win_over_tables(tmp_path):
    table = {1: Label(1, "table name")}
    own = CocoInstances(write_coco(tmp_path, [GOOD]), categories=table)
    assert own.load_sample(7).instances[0].category_name == "top"
    assert own.label_source["categories"] == "file"
    bare = CocoInstances(write_coco(tmp_path, [GOOD], categories=[], name="bare.json"), categories=table)
    assert bare.load_sample(7).instances[0].category_name == "table name"
    assert bare.label_source["categories"] == "table"


@pytest.mark.parametrize(("annotations", "state", "text"), [
    ([], "empty", "'annotations' is empty; its 1 images are shown without annotations."),
    (None, "absent", "the file has no 'annotations' key; its 1 images are shown without annotations."),
])
def test_empty_or_missing_annotations_open(tmp_path, annotations, state, text):
    coco = CocoInstances(write_coco(tmp_path, annotations))
    assert coco.image_ids() == [7]
    assert coco.annotations_state == state
    assert coco.problems[0].message == text
    sample = coco.load_sample(7)
    assert sample.instances == []
    assert sample.problems == []
    assert sample.image.path == tmp_path / "7.jpg"


def test_unparsable_and_list_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    coco = CocoInstances(broken)
    assert coco.image_ids() == []
    assert coco.problems[0].severity == "error"
    assert "could not be parsed as JSON" in coco.problems[0].message
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    assert "open it as predictions" in CocoInstances(listed).load().problems[0].hint


def test_unknown_annotation_keys_kept_as_fields(realdata):
    coco = read_deepfashion2_coco(realdata / "deepfashion2" / "coco" / "deepfashion2_val_coco_sample.json")
    (dress,) = coco.load_sample(265).instances
    # Annotation 430 carries a stray "images" list: it is ignored, scalars are kept.
    assert "images" not in dress.fields
    assert dress.fields["pair_id"] == 22
    assert dress.fields["style"] == 2
    assert len(dress.polygons) == 4


def test_deepfashion2_keypoints_sliced(realdata):
    coco = read_deepfashion2_coco(realdata / "deepfashion2" / "coco" / "deepfashion2_val_coco_sample.json")
    (dress,) = coco.load_sample(264).instances
    assert dress.category_name == "long sleeve dress"
    assert dress.keypoints.shape == (37, 3)
    assert int((dress.keypoints[:, 2] > 0).sum()) == 28
    assert dress.keypoint_schema.name == "DeepFashion2 long sleeve dress"
    # The converter writes xywh [103, 80, 601, 669]; the box drawn is the file's, as xyxy.
    assert dress.bbox.tolist() == [103, 80, 704, 749]
    raw = json.loads((realdata / "deepfashion2" / "coco" / "deepfashion2_val_coco_sample.json").read_text())
    flat = np.asarray(raw["annotations"][0]["keypoints"]).reshape(294, 3)
    labelled = flat[219:256, 2] > 0
    assert np.array_equal(dress.keypoints[labelled, :2], flat[219:256][labelled, :2])
    assert np.isnan(dress.keypoints[~labelled, 0]).all()


def test_real_results_file(realdata):
    gt = CocoInstances(realdata / "fashionpedia" / "data" / "sample.json")
    results = read_results((realdata / "fashionpedia" / "data" / "fake_results.json").read_bytes(), "fake", gt)
    assert results.problems == []
    assert results.count == 12
    predictions = {i.id: i for i in results.instances(9813, gt) + results.instances(10223, gt)}
    assert len(predictions) == 12
    # Results 21, 35 and 36 change the category, and the names come from the ground-truth file's list.
    assert predictions["21"].category_name == "jacket"
    assert predictions["35"].category_name == "cape"
    assert predictions["36"].category_name == "sock"
    assert predictions["39"].attributes == [gt.attributes[282].name]
    assert all(p.rle is not None and p.score == 1.0 for p in predictions.values())
    assert predictions["17"].rle["size"] == [1000, 618]
    assert results.instances(9813, gt, min_score=1.01) == []


def test_results_problems(tmp_path):
    gt = CocoInstances(write_coco(tmp_path, [GOOD]))
    wrong = read_results(b'{"images": []}', "r.json", gt)
    assert wrong.problems[0].severity == "error"
    assert "is a list of annotations" in wrong.problems[0].message
    results = read_results(json.dumps([
        {"image_id": 7, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.9},
        {"image_id": 8, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.9},
        {"image_id": 7, "category_id": 1, "score": 0.9}]).encode(), "r.json", gt)
    assert results.count == 1
    assert "neither segmentation nor bbox" in str(results.problems[0])
    assert "1 results name an image_id that is not in instances.json" in results.problems[1].message
    (box_only,) = results.instances(7, gt, 0.5)
    assert box_only.bbox.tolist() == [1, 1, 6, 6]


def test_attribute_filter_is_per_instance(realdata):
    coco = CocoInstances(realdata / "fashionpedia" / "data" / "sample.json")
    table = coco.table()
    # In image 9813 the dress (10) has wrist-length (156) and the shoes (24) have no attributes,
    # while the sleeves of the same image do. An image-level filter would match "shoe + 156".
    assert matching_images(table, [10], [156]) == [9813]
    assert matching_images(table, [24], [156]) == []
    assert matching_images(table, [], [156]) == [9813, 10223]
    assert matching_images(table, [], [156, 198], require_all=True) == [9813, 10223]
    assert matching_images(table, [], [147, 263], require_all=True) == [9813]
    sleeve = next(i for i in coco.load_sample(9813).instances if i.id == "20")
    assert instance_matches(sleeve, [], [156, 198], True)
    assert not instance_matches(sleeve, [10], [156], False)


REAL_COCO_FILES = ["modanet/annotations/modanet2018_instances_train.json",
                   "modanet/annotations/modanet2018_instances_val.json",
                   "fashionpedia/data/sample.json",
                   "deepfashion2/coco/deepfashion2_val_coco_sample.json"]


@pytest.mark.parametrize("relative", REAL_COCO_FILES)
def test_byte_index_matches_full_parse(realdata, relative):
    indexed = CocoInstances(realdata / relative)
    parsed = CocoInstances(realdata / relative, byte_index=False)
    assert indexed.load()._store is not None
    assert parsed.load()._store is None
    assert indexed.annotations_state == parsed.annotations_state
    assert indexed.table().reset_index(drop=True).equals(parsed.table().reset_index(drop=True))
    for image_id in parsed.image_ids():
        assert indexed.annotation_records(image_id) == parsed.annotation_records(image_id)


def test_byte_index_on_indented_file(tmp_path):
    annotations = [{**GOOD, "id": 1, "attribute_ids": [3, 4]},
                   {**GOOD, "id": 2, "segmentation": {"size": [30, 40], "counts": "0`0[d0"}},
                   {**GOOD, "id": 3, "image_id": 99}]
    path = tmp_path / "indented.json"
    path.write_text(json.dumps({"annotations": annotations, "info": {"note": '"annotations": [ {'},
                                "images": [{"id": 7, "width": 40, "height": 30, "file_name": "7.jpg"}],
                                "categories": [{"id": 1, "name": "top"}]}, indent=3))
    coco = CocoInstances(path)
    assert coco.load()._store is not None
    table = coco.table()
    assert table.annotation_id.tolist() == [1, 2]
    assert table.attribute_ids.tolist() == [(3, 4), ()]
    assert "1 annotations name an image_id that is not in 'images'" in coco.problems[0].message
    assert [record["id"] for record in coco.annotation_records(7)] == [1, 2]


def test_annotations_key_twice_falls_back(tmp_path):
    nested = {**GOOD, "extra": {"annotations": []}}
    path = write_coco(tmp_path, [nested])
    coco = CocoInstances(path)
    assert coco.load()._store is None
    assert coco.annotation_records(7)[0]["extra"] == {"annotations": []}


def test_mask_past_border_is_info(tmp_path):
    # ModaNet footwear masks can reach about 20 px below the image.
    below = {**GOOD, "segmentation": [[2, 20, 12, 20, 12, 50, 2, 50]]}
    sample = CocoInstances(write_coco(tmp_path, [below])).load_sample(7)
    (problem,) = sample.problems
    assert problem.severity == "info"
    assert problem.message == "polygon extends 20 px beyond the 40x30 image; it is drawn clipped."
    assert full_mask(sample.instances[0], 30, 40)[29, 5]

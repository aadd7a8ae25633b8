"""DeepFashion2 loader on the real per-image files, and on broken inputs."""

import json
import shutil

import numpy as np
import pytest

from loaders.deepfashion2 import DeepFashion2Dataset, pair_partners
from loaders.model import Visibility


@pytest.fixture
def real(realdata):
    return DeepFashion2Dataset(realdata / "deepfashion2")


def test_real_splits_and_ids(real):
    assert real.splits() == ["train", "validation", "coco/deepfashion2_val_coco_sample"]
    assert real.sample_ids("validation") == ["000264", "000265"]
    assert real.sample_ids("train") == ["000001"]


def test_real_long_sleeve_dress(real):
    sample = real.load_sample("validation", "000264")
    assert sample.problems == []
    assert sample.fields == {"source": "user", "pair_id": 22}
    (dress,) = sample.instances
    assert dress.category_id == 11
    assert dress.category_name == "long sleeve dress"
    # DeepFashion2 boxes are xyxy already: kept as they are.
    assert dress.bbox.tolist() == [103, 80, 704, 749]
    assert dress.keypoints.shape == (37, 3)
    assert int((dress.keypoints[:, 2] > 0).sum()) == 28
    assert dress.keypoint_schema.name == "DeepFashion2 long sleeve dress"
    assert len(dress.keypoint_schema.edges) == 38
    assert len(dress.polygons) == 1
    assert dress.polygons[0][0].tolist() == [345.05, 120.04]


def test_real_visibility_mapping(real):
    dress = real.load_sample("validation", "000264").instances[0]
    # The file's first triplets are 417,107,1 and 307,87,2; the 21st is 0,0,0.
    assert dress.keypoints[0].tolist() == [417, 107, Visibility.OCCLUDED]
    assert dress.keypoints[1].tolist() == [307, 87, Visibility.VISIBLE]
    assert dress.keypoints[20, 2] == Visibility.NOT_LABELLED
    assert np.isnan(dress.keypoints[20, :2]).all()


def test_real_train_record_items(real):
    sample = real.load_sample("train", "000001")
    assert [(i.id, i.category_id, len(i.keypoints)) for i in sample.instances] == [("item1", 1, 25), ("item2", 8, 14)]
    top = sample.instances[0]
    assert top.fields == {"style": 1, "scale": 3, "occlusion": 2, "zoom_in": 2, "viewpoint": 2}
    assert len(top.polygons) == 3
    # The image of this record is not in the sample files.
    assert not sample.image.path.exists()


def test_real_pair_without_counterpart(real):
    items = real.scan("validation")
    assert len(items) == 2
    sample = real.load_sample("validation", "000264")
    (related,) = pair_partners(items, sample)
    # 000265 has pair_id 22 too, but its dress has style 2, not 1.
    assert related.sample_id == ""
    assert "no other image with pair_id 22" in related.note


def test_pair_found_in_demo_data():
    from loaders.roots import DEMO_DIR

    demo = DeepFashion2Dataset(DEMO_DIR / "deepfashion2")
    sample = demo.load_sample("validation", "000003")
    partners = pair_partners(demo.scan("validation"), sample)
    assert sorted(entry.sample_id for entry in partners) == ["000004", "000005"]


def copy_real(realdata, tmp_path):
    root = tmp_path / "df2"
    shutil.copytree(realdata / "deepfashion2" / "validation", root / "validation")
    return root


def test_truncated_json_reported_others_load(realdata, tmp_path):
    root = copy_real(realdata, tmp_path)
    path = root / "validation" / "annos" / "000264.json"
    path.write_bytes(path.read_bytes()[:300])
    dataset = DeepFashion2Dataset(root)
    broken = dataset.load_sample("validation", "000264")
    (problem,) = broken.problems
    assert problem.file.endswith("000264.json")
    assert "invalid JSON at line 1, column" in problem.message
    assert problem.severity == "error"
    assert dataset.load_sample("validation", "000265").instances


def test_all_zero_landmarks_reported(realdata, tmp_path):
    root = copy_real(realdata, tmp_path)
    path = root / "validation" / "annos" / "000265.json"
    record = json.loads(path.read_text())
    record["item1"]["landmarks"] = [0] * (37 * 3)
    path.write_text(json.dumps(record))
    sample = DeepFashion2Dataset(root).load_sample("validation", "000265")
    messages = [problem.message for problem in sample.problems]
    assert "every landmark of this item is unlabelled (0, 0, 0)." in messages
    assert not (sample.instances[0].keypoints[:, 2] > 0).any()


@pytest.mark.parametrize("field, value, message", [
    ("category_id", 14, "category_id 14 is not one of 1..13."),
    ("bounding_box", [1, 2, 3], "bounding_box [1, 2, 3] is not 4 numbers."),
    ("segmentation", [[1, 2, 3, 4]], "polygon 0 is not a list of at least 3 x, y pairs."),
    ("landmarks", [1, 2], "landmarks is not a flat list of x, y, v triplets."),
    ("landmarks", [5, 5, 7] * 37, "landmark visibility codes [7] are not 0, 1 or 2."),
])
def test_bad_item_fields_reported(realdata, tmp_path, field, value, message):
    root = copy_real(realdata, tmp_path)
    path = root / "validation" / "annos" / "000265.json"
    record = json.loads(path.read_text())
    record["item1"][field] = value
    path.write_text(json.dumps(record))
    sample = DeepFashion2Dataset(root).load_sample("validation", "000265")
    assert message in [problem.message for problem in sample.problems]
    assert all(problem.record == "item1" for problem in sample.problems)
    assert len(sample.instances) == 1


def test_missing_image_reported(realdata, tmp_path):
    from loaders.images import read_image

    root = copy_real(realdata, tmp_path)
    (root / "validation" / "image" / "000264.jpg").unlink()
    sample = DeepFashion2Dataset(root).load_sample("validation", "000264")
    loaded = read_image(sample.image)
    assert loaded.pixels is None
    assert loaded.problems[0].message == "image file not found."
    assert loaded.problems[0].file.endswith("000264.jpg")


def test_converted_coco_matches_per_image_files(real):
    split = "coco/deepfashion2_val_coco_sample"
    assert split in real.splits()
    assert real.sample_ids(split) == ["264", "265"]
    for coco_id, name in (("264", "000264"), ("265", "000265")):
        converted = real.load_sample(split, coco_id)
        original = real.load_sample("validation", name)
        assert converted.fields["pair_id"] == original.fields["pair_id"] == 22
        assert converted.image.path == original.image.path
        (left,), (right,) = converted.instances, original.instances
        assert left.category_id == right.category_id == 11
        assert left.bbox.tolist() == right.bbox.tolist()
        assert np.array_equal(left.keypoints, right.keypoints, equal_nan=True)
        assert left.fields["style"] == right.fields["style"]


def test_converted_coco_page(run_page, realdata):
    app = run_page("deepfashion2", {"deepfashion2": realdata / "deepfashion2"},
                   query={"split": "coco/deepfashion2_val_coco_sample", "sample": "265"})
    assert not app.exception
    assert app.session_state["df2_position"] == 2
    assert len(app.get("image")) >= 1


BAD_FILES = [
    ("not_utf8", lambda text: text.replace("long sleeve dress", "long sleeve dr\udcffess"), "invalid JSON"),
    ("nan_literal", lambda text: text.replace('"style": 1', '"style": NaN'), "invalid JSON at line 1"),
    ("infinity_in_box", lambda text: text.replace('"bounding_box": [103', '"bounding_box": [1e999'),
     "number is infinity when parsed as double."),
    ("string_category", lambda text: text.replace('"category_id": 11', '"category_id": "11"'),
     "category_id '11' is text, read as a number."),
    ("wrong_type_landmarks", lambda text: text.replace('"landmarks": [', '"landmarks": "x", "old": ['),
     "landmarks is not a flat list of x, y, v triplets."),
    ("negative_box", lambda text: text.replace('"bounding_box": [103, 80, 704, 749]',
                                               '"bounding_box": [704, 80, 103, 749]'),
     "bounding_box [704.0, 80.0, 103.0, 749.0] has a negative width or height."),
    ("top_level_list", lambda text: "[" + text + "]", "top level is not a JSON object."),
]


@pytest.mark.parametrize("case, change, message", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_annotation_input(realdata, tmp_path, case, change, message):
    root = copy_real(realdata, tmp_path)
    path = root / "validation" / "annos" / "000264.json"
    path.write_bytes(change(path.read_text()).encode("utf-8", "surrogateescape"))
    dataset = DeepFashion2Dataset(root)
    broken = dataset.load_sample("validation", "000264")
    assert any(message in problem.message for problem in broken.problems), [p.message for p in broken.problems]
    assert all(problem.file.endswith("000264.json") for problem in broken.problems)
    assert dataset.load_sample("validation", "000265").instances[0].category_id == 11
    assert len(dataset.scan("validation")) >= 1


def test_pair_items_query_matches_scan():
    from loaders.roots import DEMO_DIR

    demo = DeepFashion2Dataset(DEMO_DIR / "deepfashion2")
    items = demo.scan("validation")
    for pair_id in sorted(set(items.pair_id)):
        expected = items[items.pair_id == pair_id].reset_index(drop=True)
        assert demo.pair_items("validation", pair_id).equals(expected)

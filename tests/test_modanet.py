"""ModaNet on the real release files and the demo data: counts, names, bbox mismatches, empty val files, page."""

import json
import shutil

import numpy as np
import pytest

from loaders.modanet import ModaNetDataset, file_box_instances, images_with_box_mismatch
from loaders.roots import DEMO_DIR


@pytest.fixture
def real(realdata):
    return ModaNetDataset(realdata / "modanet")


def test_real_files_and_counts(real):
    assert real.splits() == ["train", "val"]
    train = real.open("train")
    assert len(train.image_ids()) == 124
    assert train.annotation_count() == 228
    assert train.image_dir == real.root / "images"
    assert train.label_source["categories"] == "file"
    assert train.categories[5].name == "coat/jacket/suit/blazers/cardigan/sweater/Jumpsuits/Rompers/vest"
    assert train.categories[1].name == "bag"
    assert train.categories[13].name == "scarf/tie"


def test_real_val_has_empty_annotations(real):
    val = real.open("val")
    assert len(val.image_ids()) == 2799
    assert val.annotations_state == "empty"
    assert "'annotations' is empty; its 2799 images" in val.problems[0].message
    assert val.categories[5].name == "outer"
    sample = val.load_sample(100014)
    assert sample.instances == []
    assert sample.image.path.name == "0100014.jpg"


def test_first_release_val_without_key(realdata):
    val = ModaNetDataset(realdata / "modanet-first-release").open("val")
    assert val.annotations_state == "absent"
    assert "no 'annotations' key; its 2799 images" in val.problems[0].message


def test_image_named_by_id(real):
    sample = real.open("train").load_sample(3)
    assert sample.image.path == real.root / "images" / "0000003.jpg"
    assert sample.image.path.is_file()
    assert (sample.width, sample.height) == (400, 600)


def test_real_footwear_box_from_both_polygons(real):
    sample = real.open("train").load_sample(3)
    pants, footwear = sample.instances
    assert pants.category_name == "pants/jeans/leggings"
    assert not pants.fields.get("bbox differs")
    assert footwear.category_name == "footwear"
    # The file's bbox [191, 475, 30, 65] covers only the second shoe.
    assert footwear.fields["file bbox"].tolist() == [191, 475, 221, 540]
    assert footwear.bbox.tolist() == [191, 475, 262, 540]
    assert footwear.fields["bbox differs"] is True
    problem = next(p for p in sample.problems if "55564" in p.record)
    assert problem.record == "image 3, annotation 55564"
    assert problem.message.endswith("it covers only the last of the 2 polygons.")
    (extra,) = file_box_instances(sample)
    assert extra.bbox.tolist() == [191, 475, 221, 540]
    assert extra.category_name == "file bbox (differs from mask)"


def test_real_mismatch_on_every_multi_polygon_record(real, realdata):
    train = real.open("train")
    raw = json.loads((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_text())
    multi = {a["id"] for a in raw["annotations"] if len(a["segmentation"]) > 1}
    assert len(multi) == 70
    flagged = {int(i.id) for image_id in train.image_ids() for i in train.load_sample(image_id).instances
               if i.fields.get("bbox differs")}
    assert flagged == multi
    expected_images = {a["image_id"] for a in raw["annotations"] if a["id"] in multi}
    assert set(images_with_box_mismatch(train)) == expected_images


def test_annotation_with_id_zero(real):
    sample = real.open("train").load_sample(736791)
    assert "0" in [instance.id for instance in sample.instances]


def test_demo_data_layout():
    demo = ModaNetDataset(DEMO_DIR / "modanet")
    train = demo.open("train")
    assert demo.splits() == ["train", "val"]
    assert train.annotations_state == "present"
    for image_id in train.image_ids():
        assert train.load_sample(image_id).image.path.is_file()
    assert demo.open("val").annotations_state == "empty"
    flagged = [i for i in train.load_sample(101).instances if i.fields.get("bbox differs")]
    assert [i.category_name for i in flagged] == ["footwear"]


def test_missing_images_folder(tmp_path, realdata):
    shutil.copytree(realdata / "modanet" / "annotations", tmp_path / "annotations")
    sample = ModaNetDataset(tmp_path).open("train").load_sample(3)
    assert len(sample.instances) == 2
    assert not sample.image.path.exists()


def test_page_demo(run_page):
    app = run_page("modanet")
    assert not app.exception
    assert len(app.get("image")) >= 1
    assert len(app.dataframe) == 1


def test_page_real_deep_link(run_page, realdata):
    app = run_page("modanet", {"modanet": realdata / "modanet"}, query={"split": "train", "sample": "3"})
    assert not app.exception
    assert app.session_state["modanet_position"] == 1
    assert len(app.get("image")) == 1
    assert any("differs from the box of the polygons for 1 of 2 instances" in w.value for w in app.warning)
    table = app.dataframe[0].value
    assert table["bbox differs"].tolist() == [False, True]


def test_page_real_mismatch_filter(run_page, realdata):
    app = run_page("modanet", {"modanet": realdata / "modanet"}, query={"sample": "13"})
    app.toggle(key="modanet_only_mismatch").set_value(True).run()
    assert not app.exception
    raw = json.loads((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_text())
    images = {a["image_id"] for a in raw["annotations"] if len(a["segmentation"]) > 1}
    assert any(f"{len(images)} images match the filters." == c.value for c in app.caption)


def test_page_real_empty_val(run_page, realdata):
    app = run_page("modanet", {"modanet": realdata / "modanet"}, query={"split": "val"})
    assert not app.exception
    assert app.session_state["modanet_split"] == "val"
    assert any("This file has no annotations" in i.value for i in app.info)
    # The val photos are not in the sample files: the page shows a placeholder tile.
    assert len(app.get("image")) == 1
    assert any("image file not found" in w.value for w in app.error)


def test_page_category_filter(run_page, realdata):
    app = run_page("modanet", {"modanet": realdata / "modanet"})
    app.multiselect(key="modanet_categories").set_value([1]).run()
    raw = json.loads((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_text())
    bags = {a["image_id"] for a in raw["annotations"] if a["category_id"] == 1}
    assert any(f"{len(bags)} images match the filters." == c.value for c in app.caption)
    assert np.isin(app.dataframe[0].value["category"].str.split().str[0].astype(int), list(range(1, 14))).all()


def test_page_first_release_root(run_page, realdata):
    app = run_page("modanet", {"modanet": realdata / "modanet-first-release"})
    assert not app.exception
    assert app.session_state["modanet_split"] == "val"
    # A file without annotations is a note (severity info), shown in a blue box.
    assert any("no 'annotations' key" in note.value.replace("\\", "") for note in app.info)
    assert len(app.get("image")) == 1


def test_page_broken_train_file_keeps_val(run_page, realdata, tmp_path):
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "modanet2018_instances_train.json").write_text('{"images": [{"id": 3,')
    shutil.copy(realdata / "modanet" / "annotations" / "modanet2018_instances_val.json", tmp_path / "annotations")
    app = run_page("modanet", {"modanet": tmp_path})
    assert not app.exception
    assert any("could not be parsed as JSON" in e.value for e in app.error)
    assert any("No samples match" in w.value for w in app.warning)
    app.selectbox(key="modanet_split").set_value("val").run()
    assert not app.exception
    assert len(app.get("image")) == 1


def test_page_demo_predictions_overlaid(run_page):
    app = run_page("modanet", query={"sample": "101"})
    app.selectbox(key="modanet_results").set_value("results/train_results.json").run()
    app.slider(key="modanet_min_score").set_value(0.0).run()
    app.radio(key="modanet_pred_mode").set_value("overlaid").run()
    assert not app.exception
    assert len(app.get("image")) == 1
    matches = app.dataframe[0].value
    assert len(matches) == 3
    assert matches["same category"].all()
    assert (matches["IoU"] > 0.5).all()

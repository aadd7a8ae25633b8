"""Fashionpedia on the real API sample and release table and on the demo data: names, groups, filters, page."""

import json

import pytest

from loaders.coco import table_labels
from loaders.fashionpedia import GARMENT, GARMENT_PART, TABLE_FILE, FashionpediaDataset, group_of
from loaders.roots import DEMO_DIR


@pytest.fixture
def real(realdata):
    return FashionpediaDataset(realdata / "fashionpedia")


def test_real_sample_found_and_counted(real):
    assert list(real.annotation_files()) == ["sample"]
    sample_file = real.open("sample")
    assert len(sample_file.image_ids()) == 2
    assert sample_file.annotation_count() == 12
    assert sample_file.image_dir == real.root / "images"
    assert sample_file.load_sample(9813).image.path.is_file()


def test_real_sample_uses_its_own_numbering(real):
    coco = real.open("sample")
    assert coco.label_source == {"categories": "file", "attributes": "file"}
    assert len(coco.categories) == 48
    assert len(coco.attributes) == 320
    names = {instance.id: instance.category_name for instance in coco.load_sample(9813).instances}
    # The release table gives "bag, wallet" for 24 and "pocket" for 32.
    assert names["16"] == "shoe"
    assert names["19"] == "sleeve"
    dress = next(i for i in coco.load_sample(9813).instances if i.id == "18")
    assert dress.attributes[1] == "wrist-length"
    assert coco.attributes[156].tag == "wrist-length (length)"


def test_real_sample_groups(real):
    coco = real.open("sample")
    groups = {i.id: i.group for image_id in coco.image_ids() for i in coco.load_sample(image_id).instances}
    assert groups == {"16": GARMENT, "17": GARMENT, "18": GARMENT, "19": GARMENT_PART, "20": GARMENT_PART,
                      "21": GARMENT_PART, "34": GARMENT, "35": GARMENT_PART, "36": GARMENT_PART, "37": GARMENT,
                      "38": GARMENT, "39": GARMENT_PART}
    parts = sorted(cid for cid, label in coco.categories.items() if group_of(label) == GARMENT_PART)
    assert parts == list(range(28, 48))


def test_release_table(realdata):
    categories, attributes = table_labels(TABLE_FILE)
    assert sorted(categories) == list(range(46))
    assert len(attributes) == 294
    missing = set(range(341)) - set(attributes)
    assert missing == set(range(235, 281)) | {284}
    assert attributes[156].name == "sleeveless"
    assert attributes[340].name == "plant"
    parts = [cid for cid, label in categories.items() if group_of(label) == GARMENT_PART]
    assert parts == list(range(27, 46))
    reference = json.loads((realdata / "fashionpedia" / "data" / "demo" /
                            "category_attributes_descriptions.json").read_text())
    assert {a["id"]: a["name"] for a in reference["attributes"]} == {i: a.name for i, a in attributes.items()}


def test_group_without_supercategory_uses_release_ids():
    from loaders.coco import Label

    assert group_of(Label(27, "hood")) == GARMENT_PART
    assert group_of(Label(26, "umbrella")) == GARMENT
    assert group_of(None) == GARMENT


def test_table_fallback_for_files_without_lists(tmp_path, realdata):
    (tmp_path / "data" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "demo" / "category_attributes_descriptions.json").write_bytes(
        (realdata / "fashionpedia" / "data" / "demo" / "category_attributes_descriptions.json").read_bytes())
    (tmp_path / "instances_attributes_val2020.json").write_text(json.dumps({
        "images": [{"id": 5, "width": 10, "height": 10, "file_name": "5.jpg"}],
        "annotations": [{"id": 1, "image_id": 5, "category_id": 31, "attribute_ids": [156, 340],
                         "segmentation": [[1, 1, 8, 1, 8, 8]], "iscrowd": 0}]}))
    dataset = FashionpediaDataset(tmp_path)
    coco = dataset.open("val")
    assert coco.label_source == {"categories": "table", "attributes": "table"}
    assert dataset.fallback_tables()[2].name == "category_attributes_descriptions.json"
    (instance,) = coco.load_sample(5).instances
    assert instance.category_name == "sleeve"
    assert instance.group == GARMENT_PART
    assert instance.attributes == ["sleeveless", "plant"]


def test_demo_mixes_rle_and_polygons():
    demo = FashionpediaDataset(DEMO_DIR / "fashionpedia")
    assert list(demo.annotation_files()) == ["train", "val"]
    val = demo.open("val")
    assert val.image_dir == demo.root / "test"
    train = demo.open("train")
    assert train.image_dir == demo.root / "train"
    instances = [i for image_id in train.image_ids() for i in train.load_sample(image_id).instances]
    assert any(i.rle is not None for i in instances)
    assert any(i.polygons for i in instances)
    assert {i.group for i in instances} == {GARMENT, GARMENT_PART}
    flawed = [i for i in instances if i.problems]
    # One deliberate flaw: attribute 250 lies in the release's gap of ids.
    assert [i.id for i in flawed] == [str(train.table().annotation_id.iloc[-1])]
    assert flawed[0].problems[0].message == \
        "attribute id 250 is not in the attributes list (ids have gaps: look up by id)."


def test_page_demo(run_page):
    app = run_page("fashionpedia")
    assert not app.exception
    assert len(app.get("image")) == 1
    table = app.dataframe[0].value
    assert "attributes (group)" in table.columns
    assert set(table["group"]) == {GARMENT, GARMENT_PART}


def test_page_real_deep_link(run_page, realdata):
    app = run_page("fashionpedia", {"fashionpedia": realdata / "fashionpedia"}, query={"sample": "10223"})
    assert not app.exception
    assert app.session_state["fp_position"] == 2
    table = app.dataframe[0].value
    assert table["id"].tolist() == ["34", "35", "36", "37", "38", "39"]
    # Attribute 158 of the collar comes from the file's own list. The release table gives "elbow-length".
    assert table["attributes (group)"].iloc[-1] == "regular (collar) (nickname)"


def test_page_group_toggle_hides_parts(run_page, realdata):
    app = run_page("fashionpedia", {"fashionpedia": realdata / "fashionpedia"})
    app.toggle(key="fp_parts").set_value(False).run()
    assert not app.exception
    assert set(app.dataframe[0].value["group"]) == {GARMENT}


def test_page_attribute_filter_per_instance(run_page, realdata):
    app = run_page("fashionpedia", {"fashionpedia": realdata / "fashionpedia"})
    app.multiselect(key="fp_categories").set_value([24]).run()
    app.multiselect(key="fp_attributes").set_value([156]).run()
    assert not app.exception
    # The shoes have no attributes, and only the sleeves beside them have 156, so no image matches.
    assert any("No samples match" in w.value for w in app.warning)
    app.multiselect(key="fp_categories").set_value([32]).run()
    assert any("2 images have an instance that matches" in c.value for c in app.caption)
    assert set(app.dataframe[0].value["category"]) == {"32 sleeve"}


def test_page_predictions_side_by_side(run_page, realdata):
    app = run_page("fashionpedia", {"fashionpedia": realdata / "fashionpedia"})
    app.selectbox(key="fp_results").set_value("data/fake_results.json").run()
    assert not app.exception
    assert len(app.get("image")) == 2
    matches = app.dataframe[0].value
    assert len(matches) == 6
    assert matches.loc[matches.prediction == "17", "IoU"].item() == 1.0
    app.radio(key="fp_pred_mode").set_value("overlaid").run()
    assert len(app.get("image")) == 1
    app.slider(key="fp_min_score").set_value(1.0).run()
    assert any("6 predictions with score >= 1.00" in c.value for c in app.caption)


def test_page_demo_predictions(run_page):
    app = run_page("fashionpedia", query={"split": "val"})
    assert app.selectbox(key="fp_results").options[1:] == ["results/val2020_results.json"]
    app.selectbox(key="fp_results").set_value("results/val2020_results.json").run()
    assert not app.exception
    assert len(app.get("image")) == 2


def test_page_broken_results_file(run_page, realdata, tmp_path):
    root = tmp_path / "fashionpedia"
    (root / "data").mkdir(parents=True)
    (root / "data" / "sample.json").write_bytes((realdata / "fashionpedia" / "data" / "sample.json").read_bytes())
    (root / "data" / "bad_results.json").write_text('[{"image_id": 9813, "category_id": 24, "score": 0.9, '
                                                    '"segmentation": {"size": [1000, 618], "counts": "!!"}}]')
    app = run_page("fashionpedia", {"fashionpedia": root})
    app.selectbox(key="fp_results").set_value("data/bad_results.json").run()
    assert not app.exception
    assert any("not a valid COCO RLE string" in w.value and "image 9813, annotation r0" in w.value
               for w in [*app.error, *app.warning])
    # The image files are not in this root: both sides show a placeholder tile.
    assert len(app.get("image")) == 2

"""AppTest runs of the iMaterialist page on the demo data, the real files and broken inputs."""

import json
import re
import shutil


def images_shown(app) -> int:
    return len(app.get("image"))


def plain(value: str) -> str:
    """Undo the Markdown escaping that alert boxes get, so messages compare as written."""
    return re.sub(r"\\(.)", r"\1", value)


def texts(app) -> str:
    return " ".join(element.value for element in app.text)


def problems_shown(app) -> str:
    """Return the text of error, warning and note boxes and of the problem list in the expander."""
    return " ".join([plain(element.value) for element in (*app.error, *app.warning, *app.info)] + [texts(app)])


def test_demo_2018_labels_and_filter(run_page):
    app = run_page("imaterialist", query={"release": "2018", "split": "train", "sample": "2"})
    assert not app.exception
    assert app.session_state["imat_2018_split"] == "train"
    assert app.session_state["imat_2018_position"] == 2
    assert images_shown(app) == 1
    table = app.dataframe[0].value
    assert table.task.tolist()[0] == "category"
    assert "https://images.example.invalid/imat2018/train/2.jpg" in texts(app)
    assert len(app.get("plotly_chart")) == 0  # statistics are computed only when asked for

    app.sidebar.multiselect(key="imat_2018_labels").set_value([17]).run()
    assert not app.exception
    captions = " ".join(element.value for element in app.caption)
    assert "images match the filters." in captions
    for row in app.dataframe[0].value.itertuples():
        if row.task == "color":
            assert row.labels == "Black"


def test_demo_2018_missing_image_tile(run_page):
    # The demo leaves every fourth image undownloaded: imageId 4 has only its URL.
    app = run_page("imaterialist", query={"release": "2018", "split": "train", "sample": "4"})
    assert not app.exception
    assert images_shown(app) == 1
    captions = " ".join(element.value for element in app.caption)
    assert "This image is not in the dataset folder" in captions
    assert "https://images.example.invalid/imat2018/train/4.jpg" in texts(app)
    assert not app.error


def test_demo_2018_readme_spelling(run_page):
    app = run_page("imaterialist", query={"release": "2018", "split": "validation", "sample": "26"})
    assert not app.exception
    assert app.session_state["imat_2018_position"] == 2
    assert len(app.dataframe[0].value) >= 3


def test_demo_masks_both_years(run_page):
    # "straight" and "high waist" have different ids in the two years' tables.
    for year, attribute_column in (("2019", "33 straight; 87 high waist"), ("2020", "128 straight; 141 high waist")):
        app = run_page("imaterialist", query={"release": year})
        assert not app.exception
        assert images_shown(app) == 1
        table = app.dataframe[0].value
        assert table.category.tolist() == ["6 pants", "32 pocket", "1 top, t-shirt, sweatshirt", "23 shoe"]
        assert attribute_column in table.attributes[0]
        assert f"Release year: {year}" in " ".join(plain(element.value) for element in app.caption)


def test_demo_masks_category_filter(run_page):
    app = run_page("imaterialist", query={"release": "2020"})
    app.sidebar.multiselect(key="imat_2020_categories").set_value([10]).run()
    assert not app.exception
    assert "2 images match the filters." in " ".join(element.value for element in app.caption)
    assert "10 dress" in app.dataframe[0].value.category.tolist()


def test_real_root_each_release(run_page, realdata):
    roots = {"imaterialist": realdata / "imaterialist"}
    app = run_page("imaterialist", roots, query={"release": "2018", "sample": "55"})
    assert not app.exception
    assert app.session_state["imat_2018_split"] == "missing"
    assert app.session_state["imat_2018_position"] == 2
    assert images_shown(app) == 1
    assert "https://contestimg.wish.com/api/webimage/540040b8ecdd3054b095b0a1-large" in texts(app)
    assert "missing has no annotations: images and URLs only." in [plain(element.value) for element in app.info]

    app = run_page("imaterialist", roots, query={"release": "2019"})
    assert not app.exception
    assert "train.csv: contains only its header: no annotation rows." in problems_shown(app)
    assert len(app.dataframe) == 2  # categories and attributes of the release

    app = run_page("imaterialist", roots, query={"release": "2020"})
    assert not app.exception
    assert any("only the names of its categories" in plain(element.value) for element in app.info)
    assert len(app.dataframe[1].value) == 294

    app = run_page("imaterialist", roots, query={"release": "2020_unverified"})
    assert not app.exception
    assert images_shown(app) == 1


def test_broken_files_keep_page_working(run_page, realdata, tmp_path):
    root = tmp_path / "imat"
    (root / "2018").mkdir(parents=True)
    (root / "2018" / "train.json").write_text('{"images": [', encoding="utf-8")
    (root / "2018" / "validation.json").write_text(json.dumps(
        {"images": [{"url": "http://127.0.0.1/9", "imageId": "9"}],
         "annotations": [{"labelId": ["17"], "imageId": "9"}]}), encoding="utf-8")
    (root / "2019").mkdir()
    (root / "2019" / "train.csv").write_text("ImageId,EncodedPixels,Height,Width,ClassId\na.jpg,1 2 3,4,5,6\n",
                                             encoding="utf-8")
    shutil.copy(realdata / "imaterialist" / "2019" / "label_descriptions.json", root / "2019")

    app = run_page("imaterialist", {"imaterialist": root}, query={"release": "2018", "split": "train"})
    assert not app.exception
    errors = [plain(element.value) for element in app.error]
    assert any("train.json" in error and "invalid JSON at line 1" in error for error in errors)
    app.sidebar.selectbox(key="imat_2018_split").set_value("validation").run()
    assert not app.exception
    assert app.dataframe[0].value.labels.tolist() == ["Black"]

    app = run_page("imaterialist", {"imaterialist": root}, query={"release": "2019"})
    assert not app.exception
    assert images_shown(app) == 1  # a grey tile: the image file is missing
    shown = problems_shown(app)
    assert "line 2, ImageId a.jpg: EncodedPixels has an odd number of values (3)" in shown
    assert "a.jpg: image file not found." in shown


def test_demo_masks_deep_link(run_page):
    from loaders.imaterialist import MaskRelease
    from loaders.roots import DEMO_DIR

    expected_id = MaskRelease(DEMO_DIR / "imaterialist" / "2019").sample_ids("train")[2]
    assert expected_id.endswith(".jpg")
    app = run_page("imaterialist", query={"release": "2019", "split": "train", "sample": expected_id})
    assert not app.exception
    assert app.session_state["imat_2019_position"] == 3
    assert f"Sample id: {expected_id}" in texts(app)
    assert images_shown(app) == 1

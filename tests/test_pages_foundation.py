"""AppTest runs of the home, Fashion-MNIST and DeepFashion2 pages on real files and demo data."""

import json
import shutil

from loaders.roots import FAMILIES


def images_shown(app) -> int:
    return len(app.get("image"))


def test_home_lists_every_family(run_page, realdata):
    app = run_page("home", {"deepfashion2": realdata / "deepfashion2"})
    assert not app.exception
    texts = [element.value for element in app.text]
    # Roots are shown resolved, so a ../shared reached through a symlink shows its real path.
    shown_root = str((realdata / "deepfashion2").resolve())
    assert any(shown_root in text and "FASHIONVIZ_DEEPFASHION2_ROOT" in text for text in texts)
    assert any("embedded demo data (synthetic)" in text for text in texts)
    shown = " ".join(str(element.proto) for element in app.get("page_link")) + " ".join(
        element.value for element in app.markdown)
    for family in FAMILIES:
        assert family.title in shown


def test_fashion_mnist_real_deep_link(run_page, realdata):
    app = run_page("fashion_mnist", {"fashion_mnist": realdata / "fashion-mnist"}, query={"sample": "95"})
    assert not app.exception
    assert app.session_state["fmnist_split"] == "sprite"
    assert app.session_state["fmnist_position"] == 96
    assert "Label: 1 Trouser" in [element.value for element in app.text]
    texts = " ".join(element.value for element in app.text)
    assert "labels file without its images file train-images-idx3-ubyte.gz" in texts
    assert "60000 labels; class balance checked against the published counts." in texts
    assert images_shown(app) >= 2


def test_fashion_mnist_demo_class_filter(run_page):
    app = run_page("fashion_mnist")
    assert not app.exception
    assert app.session_state["fmnist_split"] == "demo"
    assert any("embedded demo data" in element.value for element in app.info)
    app.sidebar.multiselect(key="fmnist_classes").set_value([3]).run()
    assert not app.exception
    assert "Label: 3 Dress" in [element.value for element in app.text]


def test_fashion_mnist_bad_magic_shown(run_page, realdata, tmp_path):
    root = tmp_path / "fm"
    root.mkdir()
    source = realdata / "fashion-mnist" / "data" / "fashion"
    shutil.copy(source / "sprite-labels-idx1-ubyte.gz", root / "bad-images-idx3-ubyte.gz")
    shutil.copy(source / "sprite-labels-idx1-ubyte.gz", root / "bad-labels-idx1-ubyte.gz")
    app = run_page("fashion_mnist", {"fashion_mnist": root})
    assert not app.exception
    (error,) = app.error
    assert "bad-images-idx3-ubyte.gz" in error.value.replace("\\", "")
    assert "magic number 2049" in error.value


def test_deepfashion2_real_shows_image_and_items(run_page, realdata):
    app = run_page("deepfashion2", {"deepfashion2": realdata / "deepfashion2"},
                   query={"split": "validation", "sample": "000264"})
    assert not app.exception
    assert images_shown(app) >= 1
    (table,) = app.dataframe
    assert table.value["category"].tolist() == ["11 long sleeve dress"]
    assert table.value["keypoints labelled"].tolist() == ["28/37"]
    warnings = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "Counterpart missing: item1 (style 1): no other image with pair_id 22" in warnings


def test_deepfashion2_demo_filter_and_pairs(run_page):
    app = run_page("deepfashion2", query={"split": "validation"})
    assert not app.exception
    app.sidebar.multiselect(key="df2_categories").set_value([11]).run()
    assert not app.exception
    assert app.session_state["df2_position"] == 1
    assert app.query_params["sample"] in ("000003", ["000003"])
    # 000003 is a shop image whose dress pairs with two user images.
    assert images_shown(app) >= 3


def test_deepfashion2_bad_files_shown(run_page, realdata, tmp_path):
    root = tmp_path / "df2"
    shutil.copytree(realdata / "deepfashion2" / "validation", root / "validation")
    path = root / "validation" / "annos" / "000264.json"
    path.write_text(path.read_text()[:200])
    (root / "validation" / "image" / "000265.jpg").unlink()
    app = run_page("deepfashion2", {"deepfashion2": root}, query={"split": "validation", "sample": "000264"})
    assert not app.exception
    errors = " ".join(element.value.replace("\\", "") for element in app.error)
    assert "000264.json" in errors and "invalid JSON at line 1" in errors
    app.number_input(key="df2_position").set_value(2).run()
    assert not app.exception
    errors = " ".join(element.value.replace("\\", "") for element in app.error)
    assert "000265.jpg: image file not found." in errors
    record = json.loads((root / "validation" / "annos" / "000265.json").read_text())
    assert record["pair_id"] == 22
    assert images_shown(app) >= 1


def test_fashion_mnist_chart_click_filters(run_page):
    app = run_page("fashion_mnist")
    app.session_state["fmnist_class_chart"] = {"selection": {"points": [{"x": "9 Ankle boot"}]}}
    app.run()
    assert not app.exception
    assert app.number_input(key="fmnist_position").max == 60
    assert "Label: 9 Ankle boot" in [element.value for element in app.text]


def test_page_without_any_folder_says_what_to_set(run_page, monkeypatch, tmp_path):
    import loaders.roots

    monkeypatch.setattr(loaders.roots, "DEMO_DIR", tmp_path / "no-demo")
    app = run_page("fashion_mnist")
    assert not app.exception
    (error,) = app.error
    assert error.value == "No Fashion-MNIST folder found. Set FASHIONVIZ_FASHION_MNIST_ROOT."

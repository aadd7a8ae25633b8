"""AppTest runs of the DeepFashion page on the demo data, the real roots and broken inputs."""

import pytest

BENCHMARKS = ["category_attribute", "fine", "inshop", "consumer2shop", "landmark_detection"]


def texts(app):
    return [element.value for element in app.text]


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_page_demo_benchmark(run_page, benchmark):
    app = run_page("deepfashion", query={"benchmark": benchmark})
    assert not app.exception
    assert not app.error
    assert app.session_state["df_benchmark"] == benchmark
    assert len(app.get("image")) >= 1
    assert len(app.dataframe) >= 2


def test_page_inshop_shows_item_images(run_page):
    app = run_page("deepfashion", query={"benchmark": "inshop", "split": "query", "sample": "id_00000015"})
    assert not app.exception
    assert len(app.get("image")) == 4
    assert any("03_2_side.jpg" in text for text in texts(app))


def test_page_inshop_high_resolution(run_page):
    app = run_page("deepfashion", query={"benchmark": "inshop"})
    app.sidebar.toggle(key="df_highres").set_value(True).run()
    assert not app.exception
    details = app.dataframe[0].value
    assert "image size" in details.columns
    assert details["image size"].iloc[0].startswith("375x551")


def test_page_consumer_shows_shop_image(run_page):
    app = run_page("deepfashion", query={"benchmark": "consumer2shop", "split": "val"})
    assert not app.exception
    assert len(app.get("image")) == 3
    assert any("comsumer_01.jpg" in text for text in texts(app))


def test_page_attribute_filter(run_page):
    app = run_page("deepfashion", query={"benchmark": "category_attribute", "split": "all"})
    app.sidebar.multiselect(key="df_category_attribute_category").set_value([26]).run()
    assert not app.exception
    assert any("2 samples match the filters" in caption.value for caption in app.caption)


def test_page_real_fld_deep_link(run_page, realdata):
    app = run_page("deepfashion", {"deepfashion": realdata / "deepfashion"},
                   query={"benchmark": "landmark_detection", "split": "test", "sample": "img/img_00000132.jpg"})
    assert not app.exception
    assert app.session_state["df_landmark_detection_position"] == 2
    assert len(app.get("image")) == 1
    landmarks = app.dataframe[2].value
    assert landmarks["landmark"].tolist()[6] == "left hem"
    assert landmarks["visibility"].tolist()[6] == "truncated (2)"
    assert landmarks["x"].tolist()[6] == ""


def test_page_real_upper_body(run_page, realdata):
    app = run_page("deepfashion", {"deepfashion": realdata / "deepfashion-upperbody"},
                   query={"sample": "img/566_Basic_Heathered_Tee_63.jpg"})
    assert not app.exception
    assert app.session_state["df_benchmark"] == "category_attribute"
    assert app.session_state["df_category_attribute_position"] == 20
    assert len(app.get("image")) == 1


def test_page_empty_root(run_page, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    app = run_page("deepfashion", {"deepfashion": empty})
    assert not app.exception
    assert "No DeepFashion benchmark files found" in app.error[0].value


def test_page_broken_row_and_missing_image(run_page, tmp_path):
    root = tmp_path / "fld"
    (root / "Anno").mkdir(parents=True)
    pad = " " * 50
    (root / "Anno" / "list_landmarks.txt").write_text(
        "3\nimage_name  clothes_type  variation_type\n"
        f"img/a.jpg{pad}2  1  0 010 020  1 030 040  0 050 060  0 070 080\n"
        f"img/b.jpg{pad}2  1  0 010 020  1 030\n"
        f"img/c.jpg{pad}2  1  0 010 020  1 030 040  0 050 060  0 070 080\n")
    (root / "Anno" / "list_joints.txt").write_text("0\nimage_name  clothes_type  variation_type\n")
    app = run_page("deepfashion", {"deepfashion": root}, query={"sample": "img/b.jpg"})
    assert not app.exception
    # Alerts escape Markdown, so file names arrive with backslashes before underscores.
    messages = [element.value.replace("\\", "") for element in (*app.error, *app.warning, *app.text)]
    assert any("image file not found" in text for text in messages)
    assert any("list_landmarks.txt, line 4" in text and "do not fit" in text for text in messages)
    app.number_input(key="df_landmark_detection_position").set_value(3).run()
    assert not app.exception
    assert len(app.dataframe[2].value) == 4

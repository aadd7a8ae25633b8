"""AppTest runs of the Fashion IQ page on the demo data, the real files and a caption with HTML in it."""

import json
import os

from loaders.reviews import ReviewStore


def texts(app) -> list[str]:
    return [str(element.value) for element in app.get("text")]


def test_page_demo_first_record(run_page, shown_text):
    app = run_page("fashioniq")
    assert not app.exception
    assert len(app.get("image")) == 2
    assert app.session_state["fiq_category"] == "dress"
    assert app.session_state["fiq_split"] == "train"
    # The first demo caption is padded with spaces, and the quotes keep the padding visible.
    assert any(text.startswith("1. \u201c ") for text in texts(app))
    assert "Caption 1: leading or trailing spaces" in shown_text(app)


def test_page_demo_deep_link_val_tags(run_page, shown_text):
    app = run_page("fashioniq", query={"category": "toptee", "split": "val", "sample": "0"})
    assert not app.exception
    assert app.session_state["fiq_category"] == "toptee"
    assert app.session_state["fiq_split"] == "val"
    assert app.session_state["fiq_position"] == 1
    assert "1. \u201cit\u2019s lighter and has a round neckline\u201d" in texts(app)
    assert "Caption 1: non-ASCII characters" in shown_text(app)


def test_page_demo_test_split_no_target(run_page):
    app = run_page("fashioniq", query={"category": "shirt", "split": "test"})
    assert not app.exception
    assert len(app.get("image")) == 1
    assert "Test records have no target." in [element.value for element in app.info]


def test_page_demo_search(run_page, shown_text):
    app = run_page("fashioniq", query={"category": "toptee", "split": "train", "q": "OMBRÉ"})
    assert not app.exception
    assert "1 of 6 records match." in shown_text(app)
    assert "1. \u201cis ombré and has thinner straps\u201d" in texts(app)


def test_page_real_files(run_page, realdata, shown_text):
    app = run_page("fashioniq", {"fashioniq": realdata / "fashioniq"})
    assert not app.exception
    assert len(app.get("image")) == 2
    # Neither image of the first dress train record exists here, so both are tiles with the URL.
    assert "No image file images/B003FGW7MK.jpg on disk." in shown_text(app)
    assert "http://ecx.images-amazon.com/images/I/31dg%2Ba8VZDL._SX342_.jpg" in texts(app)
    assert "8 of 11452 ASINs of split.dress.train.json have an image file." in shown_text(app)


def test_page_real_deep_link_image_present(run_page, realdata, shown_text):
    app = run_page("fashioniq", {"fashioniq": realdata / "fashioniq"},
                   query={"category": "dress", "split": "train", "sample": "2201"})
    assert not app.exception
    assert app.session_state["fiq_position"] == 2202
    assert "1. \u201cis more of a clothing item\u201d" in texts(app)
    # The candidate B00AKQBDKU is one of the 13 real images, the target B0051MR9D8 is not.
    assert "No image file images/B00AKQBDKU.jpg on disk." not in shown_text(app)
    assert "No image file images/B0051MR9D8.jpg on disk." in shown_text(app)


def test_page_real_tags_shown(run_page, realdata):
    app = run_page("fashioniq", {"fashioniq": realdata / "fashioniq"}, query={"category": "dress", "split": "val"})
    assert not app.exception
    tables = [element.value for element in app.get("dataframe")]
    assert any(list(table.columns) == ["tags", "words"] for table in tables)


def test_page_caption_html_shown_as_text(run_page, tmp_path):
    root = tmp_path / "fiq"
    (root / "captions").mkdir(parents=True)
    (root / "images").mkdir()
    script = "<script>alert('x')</script> <b>bold</b>"
    (root / "captions" / "cap.dress.val.json").write_text(json.dumps(
        [{"target": "B000000001", "candidate": "B000000002", "captions": [script, "**not markdown**"]}]))
    app = run_page("fashioniq", {"fashioniq": root})
    assert not app.exception
    assert f"1. \u201c{script}\u201d" in texts(app)
    assert "2. \u201c**not markdown**\u201d" in texts(app)
    markdown = " ".join(str(element.value) for element in app.markdown)
    assert "<script>" not in markdown
    assert "not markdown" not in markdown
    # Both images are missing, so both are tiles, and the page still shows the record.
    assert len(app.get("image")) == 2


def test_page_empty_root_reports(run_page, tmp_path):
    app = run_page("fashioniq", {"fashioniq": tmp_path})
    assert not app.exception
    assert "no caption file" in app.error[0].value
    assert len(app.get("image")) == 0


def test_quality_panel_counts_and_walk(run_page, quality_counts):
    app = run_page("fashioniq", query={"category": "dress", "split": "train"})
    assert app.number_input(key="fiq_position").max == 6
    app.button(key="fiq_qa_run").click().run()
    assert not app.exception
    counts = quality_counts(app)
    assert counts["caption_padded"] == 1
    assert counts["image_missing"] == 1
    assert counts["caption_empty"] == 0
    assert counts["target_image_missing"] == 0
    app.sidebar.multiselect(key="fiq_qa_checks").set_value(["image_missing"]).run()
    app.sidebar.toggle(key="fiq_qa_only").set_value(True).run()
    assert not app.exception
    assert app.number_input(key="fiq_position").max == 1
    assert app.query_params["sample"] in ("2", ["2"])
    flags = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "image_missing: " in flags
    assert "B0DEMO0008.jpg" in flags


def test_flagged_only_empty_caption(run_page, shown_text, quality_counts):
    app = run_page("fashioniq", query={"category": "toptee", "split": "train", "sample": "3"})
    app.button(key="fiq_qa_run").click().run()
    assert quality_counts(app)["caption_empty"] == 1
    app.sidebar.toggle(key="fiq_qa_only").set_value(True).run()
    assert not app.exception
    assert app.number_input(key="fiq_position").max == 1
    assert app.session_state["fiq_position"] == 1
    flags = [element.value.replace("\\", "") for element in app.warning]
    assert "caption_empty: caption 2 is ''" in flags
    assert "Caption 2: empty" in shown_text(app)


def test_verdict_saved_for_record(run_page):
    app = run_page("fashioniq", query={"category": "shirt", "split": "val", "sample": "1"})
    app.selectbox(key="fiq_verdict").set_value("wrong label")
    app.text_area(key="fiq_verdict_note").input("caption 2 describes the candidate, not the target")
    app.text_input(key="reviewer_name").input("li")
    app.button(key="FormSubmitter:fiq_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.family, stored.split, stored.sample_id) == ("fashioniq", "shirt.val", "1")
    assert (stored.verdict, stored.reviewer) == ("wrong label", "li")
    history = [frame for frame in app.dataframe if "verdict" in frame.value.columns]
    assert history[0].value.note.tolist() == ["caption 2 describes the candidate, not the target"]
    app.sidebar.radio(key="fiq_reviewed").set_value("reviewed").run()
    assert app.number_input(key="fiq_position").max == 1
    app.sidebar.radio(key="fiq_reviewed").set_value("unreviewed").run()
    assert app.number_input(key="fiq_position").max == 2


def test_statistics_caption_length_and_tags(run_page):
    app = run_page("fashioniq", query={"category": "dress", "split": "val"})
    app.toggle(key="fiq_stats").set_value(True).run()
    assert not app.exception
    charts = app.get("plotly_chart")
    titles = " ".join(json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in charts)
    assert "Caption length (words)" in titles
    assert "Most frequent labels and attributes" in titles


def test_real_quality_run_counts(run_page, realdata, quality_counts):
    app = run_page("fashioniq", {"fashioniq": realdata / "fashioniq"}, query={"category": "toptee", "split": "val"})
    app.button(key="fiq_qa_run").click().run()
    assert not app.exception
    counts = quality_counts(app)
    # The real toptee val file has 2 empty captions, and no toptee image is present.
    assert counts["caption_empty"] == 2
    assert counts["image_missing"] == 1961
    assert counts["target_image_missing"] == 1961


def test_changed_caption_file_shown_on_rerun(run_page, tmp_path):
    root = tmp_path / "fiq"
    (root / "captions").mkdir(parents=True)
    path = root / "captions" / "cap.dress.val.json"
    path.write_text(json.dumps([{"target": "B02", "candidate": "B01", "captions": ["is red", "is long"]}]))
    app = run_page("fashioniq", {"fashioniq": root})
    assert "1. \u201cis red\u201d" in texts(app)
    path.write_text(json.dumps([{"target": "B02", "candidate": "B01", "captions": ["is green", "is long"]}]))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    app.run()
    assert not app.exception
    assert "1. \u201cis green\u201d" in texts(app)

"""AppTest runs of the UT-Zappos50K page on the demo data and on the real root, which has no dataset files."""

import json
from pathlib import Path

from loaders.reviews import ReviewStore
from loaders.zappos50k import ZapposDataset

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "zappos50k"


def test_page_demo_browse(run_page):
    app = run_page("zappos50k")
    assert not app.exception
    assert len(app.get("image")) >= 1
    assert app.session_state["zap_view"] == "browse"
    # The meta-data table of the first shoe contains the split multi-value cells.
    table = app.get("dataframe")[0].value
    insole = table[table.field == "Insole"]["values"].iloc[0]
    assert list(insole) == ["Padded", "Removable"]


def test_page_demo_deep_link_shoe(run_page):
    cid = ZapposDataset(DEMO).image_number(3).CID
    app = run_page("zappos50k", query={"sample": cid})
    assert not app.exception
    assert app.session_state["zap_position"] == 3


def test_page_demo_filter_brand(run_page, shown_text):
    app = run_page("zappos50k", query={"category": "Boots", "brand": "Levi's"})
    assert not app.exception
    assert app.session_state["zap_category"] == "Boots"
    assert app.session_state["zap_brand"] == "Levi's"
    assert "Found on disk as:" in shown_text(app)
    assert "Boots/Ankle/Levi's&#174;/" in shown_text(app)


def test_page_demo_missing_image_tile(run_page, shown_text):
    cid = ZapposDataset(DEMO).image_number(6).CID
    app = run_page("zappos50k", query={"sample": cid})
    assert not app.exception
    assert len(app.get("image")) == 1
    assert "image not found under any spelling" in shown_text(app)


def test_page_demo_comparison_deep_link(run_page, shown_text):
    app = run_page("zappos50k", query={"view": "compare", "set": "equal", "attribute": "sporty", "sample": "2"})
    assert not app.exception
    assert app.session_state["zap_set"] == "equal"
    assert app.session_state["zap_attribute"] == "sporty"
    assert app.session_state["zap_pair_position"] == 2
    assert len(app.get("image")) == 2
    assert "sporty: equal" in shown_text(app)
    assert "#### image 1 = image 2" in [element.value for element in app.markdown]
    assert [metric.label for metric in app.metric] == ["Confidence", "Agreement"]


def test_page_demo_lists_unfound_paths(run_page, shown_text):
    app = run_page("zappos50k")
    assert "1 of 26 listed images not found; 11 found under another spelling." in shown_text(app)


def test_page_real_root_reports_missing_files(run_page, realdata):
    app = run_page("zappos50k", {"zappos50k": realdata / "zappos50k"})
    assert not app.exception
    assert len(app.error) == 1
    assert "no UT-Zappos50K dataset files found" in app.error[0].value.replace("\\", "")
    assert len(app.get("image")) == 0


def test_quality_panel_path_checks_walk(run_page, shown_text, quality_counts):
    app = run_page("zappos50k")
    assert app.number_input(key="zap_position").max == 26
    app.button(key="zap_qa_run").click().run()
    assert not app.exception
    counts = quality_counts(app)
    assert counts["path_not_found"] == 1
    assert counts["path_spelling"] == 11
    assert counts["image_missing"] == 1
    app.sidebar.multiselect(key="zap_qa_checks").set_value(["path_not_found"]).run()
    app.sidebar.toggle(key="zap_qa_only").set_value(True).run()
    assert not app.exception
    assert app.number_input(key="zap_position").max == 1
    missing = ZapposDataset(DEMO).image_number(6)
    assert app.query_params["sample"] in (missing.CID, [missing.CID])
    flags = [element.value.replace("\\", "") for element in app.warning]
    assert f"path_not_found: {missing.listed}" in flags
    assert "image not found under any spelling" in shown_text(app)


def test_quality_panel_pairs_walk(run_page, quality_counts):
    app = run_page("zappos50k", query={"view": "compare", "set": "ordered", "attribute": "open"})
    assert app.number_input(key="zap_pair_position").max == 8
    app.button(key="zap_pair_qa_run").click().run()
    assert not app.exception
    counts = quality_counts(app)
    # Pair 5 of ordered/open compares with image 6, the one listed image missing from the disk.
    assert counts["pair_image_not_found"] == 1
    assert counts["pair_image_out_of_range"] == 0
    app.sidebar.toggle(key="zap_pair_qa_only").set_value(True).run()
    assert app.number_input(key="zap_pair_position").max == 1
    assert app.session_state["zap_pair_position"] == 1
    flags = [element.value.replace("\\", "") for element in app.warning]
    assert "pair_image_not_found: image2 = 6" in flags


def test_verdict_saved_for_shoe_and_pair(run_page):
    cid = ZapposDataset(DEMO).image_number(3).CID
    app = run_page("zappos50k", query={"sample": cid})
    app.selectbox(key="zap_verdict").set_value("wrong label")
    app.text_area(key="zap_verdict_note").input("listed under Sneakers but drawn as an oxford")
    app.text_input(key="reviewer_name").input("sam")
    app.button(key="FormSubmitter:zap_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.family, stored.split, stored.sample_id, stored.verdict) == ("zappos50k", "", cid, "wrong label")
    app.sidebar.radio(key="zap_reviewed").set_value("reviewed").run()
    assert app.number_input(key="zap_position").max == 1

    app = run_page("zappos50k", query={"view": "compare", "set": "equal", "attribute": "sporty", "sample": "2"})
    app.selectbox(key="zap_pair_verdict").set_value("other")
    app.button(key="FormSubmitter:zap_pair_verdict_form-Save verdict").click().run()
    assert not app.exception
    pair_verdicts = [verdict for verdict in ReviewStore().all() if verdict.split == "equal.sporty"]
    assert [(verdict.sample_id, verdict.verdict) for verdict in pair_verdicts] == [("2", "other")]


def test_statistics_tree_and_outcomes(run_page):
    app = run_page("zappos50k", query={"category": "Shoes"})
    app.toggle(key="zap_stats").set_value(True).run()
    assert not app.exception
    charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(charts) == 3
    groups = [{trace["name"] for trace in chart["data"]} for chart in charts]
    assert groups == [{"Category"}, {"SubCategory"}, {"Brand"}]
    app = run_page("zappos50k", query={"view": "compare", "set": "ordered", "attribute": "open"})
    app.toggle(key="zap_pair_stats").set_value(True).run()
    assert not app.exception
    (chart,) = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert {trace["name"] for trace in chart["data"]} == {"outcome", "confidence"}

"""AppTest runs of the UT-Zappos50K page on the demo data and on the real root, which has no dataset files."""

from pathlib import Path

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
    assert "no UT-Zappos50K dataset files found" in app.error[0].value
    assert len(app.get("image")) == 0

"""AppTest of the quality panel, flagged-only walk, verdicts and statistics on the ModaNet and Fashionpedia pages."""

import pytest

from loaders.reviews import ReviewStore

PAGES = [
    # page, key prefix, check flagged in the demo data, flagged samples, every check with flags
    ("modanet", "modanet", "file_bbox_mismatch", 4, {"file_bbox_mismatch"}),
    # The loader also reports the unknown attribute id, which the generic format_problem check flags.
    ("fashionpedia", "fp", "unknown_attribute", 1, {"unknown_attribute", "format_problem"}),
]


@pytest.mark.parametrize(("page", "key", "check_id", "flagged", "with_flags"), PAGES)
def test_panel_and_flagged_walk(run_page, quality_counts, page, key, check_id, flagged, with_flags):
    app = run_page(page)
    assert not app.exception
    all_count = app.number_input(key=f"{key}_position").max
    app.button(key=f"{key}_qa_run").click().run()
    assert not app.exception
    counts = quality_counts(app)
    assert counts[check_id] == flagged
    assert {name for name, count in counts.items() if count} == with_flags
    app.sidebar.multiselect(key=f"{key}_qa_checks").set_value([check_id]).run()
    app.sidebar.toggle(key=f"{key}_qa_only").set_value(True).run()
    assert not app.exception
    assert all_count > flagged
    assert app.number_input(key=f"{key}_position").max == flagged
    warnings = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert f"{check_id}: " in warnings


def test_fashionpedia_flag_names_attribute(run_page):
    app = run_page("fashionpedia")
    app.button(key="fp_qa_run").click().run()
    app.sidebar.toggle(key="fp_qa_only").set_value(True).run()
    warnings = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "unknown_attribute: 1" in warnings
    assert "attribute ids 250" in warnings


@pytest.mark.parametrize(("page", "key", "family"), [("modanet", "modanet", "modanet"),
                                                     ("fashionpedia", "fp", "fashionpedia")])
def test_verdict_saved_and_reviewed_filter(run_page, page, key, family):
    app = run_page(page)
    sample_id = app.query_params["sample"]
    sample_id = sample_id[0] if isinstance(sample_id, list) else sample_id
    app.selectbox(key=f"{key}_verdict").set_value("wrong label")
    app.text_area(key=f"{key}_verdict_note").input("sleeve *tagged* as collar")
    app.text_input(key="reviewer_name").input("li")
    app.button(key=f"FormSubmitter:{key}_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.family, stored.sample_id, stored.verdict, stored.reviewer) == \
        (family, sample_id, "wrong label", "li")
    assert stored.split == "train"
    history = [frame for frame in app.dataframe if "verdict" in frame.value.columns]
    assert history[0].value.note.tolist() == ["sleeve *tagged* as collar"]
    app.sidebar.radio(key=f"{key}_reviewed").set_value("reviewed").run()
    assert app.number_input(key=f"{key}_position").max == 1


@pytest.mark.parametrize(("page", "key"), [("modanet", "modanet"), ("fashionpedia", "fp")])
def test_statistics_charts_shown(run_page, page, key):
    app = run_page(page)
    app.toggle(key=f"{key}_stats").set_value(True).run()
    assert not app.exception
    charts = app.get("plotly_chart")
    assert len(charts) >= 3


def test_real_modanet_page_flags_multi_polygons(run_page, realdata, quality_counts):
    app = run_page("modanet", {"modanet": realdata / "modanet"}, query={"split": "train"})
    app.button(key="modanet_qa_run").click().run()
    assert not app.exception
    counts = quality_counts(app)
    assert counts["file_bbox_mismatch"] == 70
    assert counts["image_missing"] == 123

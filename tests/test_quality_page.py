"""AppTest of the quality panel, the flagged-only filter and the verdict form on the DeepFashion2 page."""

from loaders.reviews import ReviewStore


def test_checks_and_flagged_only_walk(run_page):
    app = run_page("deepfashion2", query={"split": "validation"})
    assert not app.exception
    all_count = app.number_input(key="df2_position").max
    app.button(key="df2_qa_run").click().run()
    assert not app.exception
    (table,) = [frame for frame in app.sidebar.dataframe if "check" in frame.value.columns]
    counts = dict(zip(table.value["check"], table.value["flagged"]))
    # Demo image 000008 has a style-1 top with no counterpart on purpose.
    assert counts["missing_counterpart"] == 1
    app.sidebar.multiselect(key="df2_qa_checks").set_value(["missing_counterpart"]).run()
    app.sidebar.toggle(key="df2_qa_only").set_value(True).run()
    assert not app.exception
    assert all_count == 10
    assert app.number_input(key="df2_position").max == 1
    assert app.query_params["sample"] in ("000008", ["000008"])
    flags = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "missing_counterpart: item1 style 1, pair_id 4" in flags


def test_verdict_saved_and_shown(run_page, tmp_path):
    app = run_page("deepfashion2", query={"split": "validation", "sample": "000002"})
    app.selectbox(key="df2_verdict").set_value("wrong geometry")
    app.selectbox(key="df2_verdict_instance").set_value("item2")
    app.text_area(key="df2_verdict_note").input("hem polygon cuts the <b>skirt</b>")
    app.text_input(key="reviewer_name").input("ana")
    app.button(key="FormSubmitter:df2_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.sample_id, stored.verdict, stored.instance_id, stored.reviewer) == \
        ("000002", "wrong geometry", "item2", "ana")
    assert stored.note == "hem polygon cuts the <b>skirt</b>"
    history = [frame for frame in app.dataframe if "verdict" in frame.value.columns]
    assert history[0].value.note.tolist() == ["hem polygon cuts the <b>skirt</b>"]
    app.sidebar.radio(key="df2_reviewed").set_value("reviewed").run()
    assert app.number_input(key="df2_position").max == 1


def test_fashion_mnist_duplicate_walk(run_page):
    app = run_page("fashion_mnist")
    app.button(key="fmnist_qa_run").click().run()
    app.sidebar.toggle(key="fmnist_qa_only").set_value(True).run()
    assert not app.exception
    assert app.number_input(key="fmnist_position").max == 1
    flags = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "duplicate_image: same pixels as image 0" in flags


def test_list_csv_has_flags_and_verdicts():
    from loaders.qa import Check, Flag, QaReport
    from ui.quality import QualityView, list_csv

    report = QaReport([Check("a", "", lambda sample: []), Check("b", "", lambda sample: [])],
                      flags=[Flag("b", "val", "2"), Flag("a", "val", "2", "i1"), Flag("a", "val", "3")])
    view = QualityView(report=report, reviewed={("val", "3")})
    text = list_csv(view, [("val", "1"), ("val", "2"), ("val", "3")])
    assert text.splitlines() == ["split,sample_id,flags,reviewed", "val,1,,False", "val,2,a; b,False",
                                 "val,3,a,True"]

"""AppTest runs of the DeepFashion2 page on the real files and on the demo data."""


def test_page_real_files_deep_link(run_page, realdata):
    app = run_page("deepfashion2", {"deepfashion2": realdata / "deepfashion2"},
                   query={"split": "validation", "sample": "000265"})
    assert not app.exception
    assert app.session_state["df2_split"] == "validation"
    assert app.session_state["df2_position"] == 2
    assert app.query_params["sample"] == ["000265"] or app.query_params["sample"] == "000265"

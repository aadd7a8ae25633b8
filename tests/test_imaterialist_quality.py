"""iMaterialist quality check, statistics from the index, and the page's quality panel and verdict form."""

import json
from pathlib import Path

from loaders.imaterialist import LabelRelease, MaskRelease, label_tables, mask_tables, unmapped_label_check
from loaders.imaterialist_json import parse_label_file
from loaders.qa import GENERIC_CHECKS, run_checks
from loaders.reviews import ReviewStore
from loaders.roots import DEMO_DIR

DEMO = DEMO_DIR / "imaterialist"
HEADER_2020 = "ImageId,EncodedPixels,Height,Width,ClassId,AttributesIds\n"


def flags_of(reader, split: str):
    check = unmapped_label_check(reader)
    report = run_checks((reader.load_sample(split, sample_id) for sample_id in reader.sample_ids(split)), [check])
    return report.flags


def test_2018_unmapped_label_flagged(tmp_path, realdata):
    folder = tmp_path / "2018"
    folder.mkdir()
    (folder / "iMat_fashion_2018_label_map_228.csv").write_bytes(
        (realdata / "imaterialist" / "2018" / "iMat_fashion_2018_label_map_228.csv").read_bytes())
    (folder / "train.json").write_text(json.dumps(
        {"images": [{"url": "u1", "imageId": "1"}, {"url": "u2", "imageId": "2"}],
         "annotations": [{"labelId": ["17", "62"], "imageId": "1"}, {"labelId": ["17", "229", "0"], "imageId": "2"}]}))
    (flag,) = flags_of(LabelRelease(folder), "train")
    assert (flag.check_id, flag.sample_id) == ("label_outside_map", "2")
    assert flag.detail.startswith("label ids [229, 0] are not in ")


def test_2018_real_label_map_passes_demo_labels():
    flags = flags_of(LabelRelease(DEMO / "2018"), "train")
    # Demo train image 23 carries label id 240 on purpose; every other label is in the map.
    assert [(flag.sample_id, flag.detail.split(" are ")[0]) for flag in flags] == [("23", "label ids [240]")]


def test_2020_unmapped_category_and_attribute_flagged(tmp_path, realdata):
    folder = tmp_path / "2020"
    folder.mkdir()
    (folder / "label_descriptions.json").write_bytes(
        (realdata / "imaterialist" / "2020" / "label_descriptions.json").read_bytes())
    (folder / "train.csv").write_text(HEADER_2020 + "a,1 4,4,4,6,115\n" + "a,5 4,4,4,46,\n" + "b,1 2,4,4,6,115,400\n"
                                      .replace("115,400", '"115,400"'))
    flags = flags_of(MaskRelease(folder), "train")
    assert [(flag.sample_id, flag.instance_id, flag.detail.split(" not in ")[0]) for flag in flags] == \
        [("a", "line 3", "category id 46"), ("b", "line 4", "attribute ids [400]")]


def test_demo_masks_pass_unmapped_check():
    for year in ("2019", "2020"):
        assert flags_of(MaskRelease(DEMO / year), "train") == []


def test_2018_label_tables_count_like_parse():
    reader = LabelRelease(DEMO / "2018")
    tables = label_tables(reader, "validation")
    parsed = parse_label_file(DEMO / "2018" / "validation.json")
    assert len(tables.labels) == parsed.values.size
    black = reader.label_map.labels[17][0]
    assert (tables.labels.label == black).sum() == int((parsed.values == 17).sum())
    assert set(tables.labels.group) <= set(reader.label_map.tasks.values())
    assert len(tables.samples) == len(parsed.image_ids)


def test_2018_label_tables_of_filtered_positions():
    reader = LabelRelease(DEMO / "2018")
    positions = reader.filter_positions("train", [17])
    tables = label_tables(reader, "train", positions)
    assert set(tables.labels.sample_id) == {reader.sample_ids("train")[position] for position in positions}
    assert (tables.labels.label == "Black").sum() == len(positions)


def test_mask_tables_count_rows():
    reader = MaskRelease(DEMO / "2020")
    tables = mask_tables(reader)
    lines = (DEMO / "2020" / "train.csv").read_text().splitlines()[1:]
    assert len(tables.instances) == len(lines)
    per_image = dict(zip(tables.samples.sample_id, tables.samples.instances))
    for image_id in reader.sample_ids("train"):
        assert per_image[image_id] == sum(line.startswith(image_id + ",") for line in lines)
    assert len(tables.labels) == reader.index.attribute_values.size
    assert "10 dress" in set(tables.instances.category)


def test_generic_checks_run_on_demo_masks():
    reader = MaskRelease(DEMO / "2019")
    report = run_checks((reader.load_sample("train", sample_id) for sample_id in reader.sample_ids("train")),
                        list(GENERIC_CHECKS))
    assert report.samples_checked == len(reader.sample_ids("train"))
    assert report.counts()["format_problem"] == 0


# ---------------------------------------------------------------- page


def test_page_checks_and_flagged_walk(run_page):
    app = run_page("imaterialist", query={"release": "2018", "split": "train"})
    assert not app.exception
    assert app.number_input(key="imat_2018_position").max == 24
    app.button(key="imat_2018_qa_run").click().run()
    assert not app.exception
    (table,) = [frame for frame in app.sidebar.dataframe if "check" in frame.value.columns]
    counts = dict(zip(table.value["check"], table.value["flagged"]))
    assert counts["label_outside_map"] == 1
    app.sidebar.multiselect(key="imat_2018_qa_checks").set_value(["label_outside_map"]).run()
    app.sidebar.toggle(key="imat_2018_qa_only").set_value(True).run()
    assert not app.exception
    assert app.number_input(key="imat_2018_position").max == 1
    assert app.query_params["sample"] in ("23", ["23"])
    flags = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "label_outside_map:  label ids [240] are not in " in flags


def test_page_verdict_saved_and_shown(run_page):
    app = run_page("imaterialist", query={"release": "2020", "split": "train"})
    sample_id = MaskRelease(DEMO / "2020").sample_ids("train")[0]
    app.selectbox(key="imat_2020_verdict").set_value("wrong label")
    app.selectbox(key="imat_2020_verdict_instance").set_value("line 3")
    app.text_area(key="imat_2020_verdict_note").input("pocket is a <i>zipper</i>")
    app.text_input(key="reviewer_name").input("li")
    app.button(key="FormSubmitter:imat_2020_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.family, stored.sample_id, stored.verdict, stored.instance_id, stored.reviewer) == \
        ("imaterialist", sample_id, "wrong label", "line 3", "li")
    assert Path(stored.root) == DEMO / "2020"
    history = [frame for frame in app.dataframe if "verdict" in frame.value.columns]
    assert history[0].value.note.tolist() == ["pocket is a <i>zipper</i>"]
    app.sidebar.radio(key="imat_2020_reviewed").set_value("reviewed").run()
    assert app.number_input(key="imat_2020_position").max == 1


def test_page_label_statistics_chart(run_page):
    app = run_page("imaterialist", query={"release": "2018", "split": "validation"})
    app.toggle(key="imat_2018_stats").set_value(True).run()
    assert not app.exception
    charts = app.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    assert figure["layout"]["title"]["text"].startswith("Most frequent labels")
    shown = {label for trace in figure["data"] for label in trace["y"]}
    expected = label_tables(LabelRelease(DEMO / "2018"), "validation").labels.label
    assert shown <= set(expected)
    assert len(shown) == min(30, expected.nunique())


def test_page_masks_statistics(run_page):
    app = run_page("imaterialist", query={"release": "2019", "split": "train"})
    app.toggle(key="imat_2019_stats").set_value(True).run()
    assert not app.exception
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")]
    assert titles[0].startswith("Instances per category")
    assert "Instances per image" in titles
    assert any(title.startswith("Most frequent labels") for title in titles)


def test_page_exports_offered(run_page):
    app = run_page("imaterialist", query={"release": "2018", "split": "train", "sample": "4"})
    assert not app.exception
    buttons = app.get("download_button")
    assert len(buttons) >= 4  # PNG, sample list, verdicts as CSV and JSON

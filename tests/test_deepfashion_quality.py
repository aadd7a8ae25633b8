"""DeepFashion quality checks, the quality panel, verdicts and statistics on the DeepFashion page."""

from pathlib import Path

from loaders.deepfashion import detect_benchmarks
from loaders.deepfashion_benchmarks import open_benchmark
from loaders.deepfashion_checks import deepfashion_checks, pair_check, statistics_samples
from loaders.qa import run_checks
from loaders.reviews import ReviewStore
from loaders.stats import dataset_tables

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion"


def benchmark(root, key, indexed=False):
    dataset = open_benchmark(detect_benchmarks(root)[key])
    if indexed:
        dataset.open_index()
    return dataset


def flags_by_sample(dataset, split="all"):
    keys = dataset.keys(split, dataset.sample_ids(split))
    report = run_checks((dataset.keyed_sample(*key) for key in keys), deepfashion_checks(dataset))
    found = {}
    for flag in report.flags:
        found.setdefault(flag.sample_id, []).append(flag)
    return report, found


def test_landmark_checks_demo_flaws():
    for indexed in (False, True):
        _, found = flags_by_sample(benchmark(DEMO, "landmark_detection", indexed))
        assert sorted(found) == ["img/img_00000005.jpg", "img/img_00000006.jpg"], indexed
        (code_flag,) = found["img/img_00000005.jpg"]
        assert code_flag.check_id == "landmark_visibility_code"
        assert code_flag.detail.startswith("visibility codes 3 (")
        assert code_flag.detail.endswith("list_landmarks.txt, line 7)")
        assert code_flag.instance_id == "garment"
        (count_flag,) = found["img/img_00000006.jpg"]
        assert count_flag.check_id == "landmark_count_clothes_type"
        assert count_flag.detail.startswith("6 triplets, clothes_type 3 full-body has 8 landmarks")
        assert count_flag.split == "test"


def test_landmark_checks_pass_real_files(realdata):
    for folder, key in (("deepfashion", "landmark_detection"), ("deepfashion-upperbody", "category_attribute")):
        report, found = flags_by_sample(benchmark(realdata / folder, key, indexed=True))
        assert report.samples_checked in (2, 20)
        assert found == {}, folder


def test_pair_check_missing_shop_file():
    report, found = flags_by_sample(benchmark(DEMO, "consumer2shop"))
    assert report.samples_checked == 5
    (flag,) = found["img/CLOTHING/Dress/id_00000007/comsumer_02.jpg"]
    assert flag.check_id == "consumer_shop_pair"
    assert flag.detail == "shop image not found: img/CLOTHING/Dress/id_00000007/shop_02.jpg"
    assert "img/CLOTHING/Dress/id_00000007/comsumer_01.jpg" not in found


def test_pair_check_consumer_without_shop(tmp_path):
    anno = tmp_path / "Anno"
    anno.mkdir()
    pad = " " * 40
    (anno / "list_bbox_consumer2shop.txt").write_text(
        "2\nimage_name  clothes_type  source_type  x_1  y_1  x_2  y_2\n"
        f"img/CLOTHING/Tee/id_00000009/comsumer_01.jpg{pad}1  2  010 020 100 200\n"
        f"img/CLOTHING/Tee/id_00000010/shop_01.jpg{pad}1  1  010 020 100 200\n")
    dataset = benchmark(tmp_path, "consumer2shop")
    sample = dataset.keyed_sample("all", "img/CLOTHING/Tee/id_00000009/comsumer_01.jpg")
    (flag,) = pair_check(dataset).run(sample)
    assert flag.detail == "no shop image is paired with this consumer image"
    assert flag.split == "all"


def test_inshop_keys_are_items():
    dataset = benchmark(DEMO, "inshop")
    keys = dataset.keys("query", dataset.sample_ids("query"))
    assert keys == [("query", "id_00000008"), ("query", "id_00000015")]
    sample = dataset.keyed_sample(*keys[0])
    assert sample.id == "id_00000008"
    assert sample.fields["image_name"].endswith(".jpg")


def test_statistics_attributes_counted_once():
    dataset = benchmark(DEMO, "category_attribute", indexed=True)
    keys = dataset.keys("all", dataset.sample_ids("all"))
    tables = dataset_tables(statistics_samples(dataset, keys))
    direct = sum(len(dataset.load_sample(sample_id).instances[0].attribute_ids) for _, sample_id in keys)
    assert len(tables.labels) == direct
    assert set(tables.labels.group) <= {"texture", "fabric", "shape", "part", "style"}
    assert len(tables.instances) == 12
    assert tables.instances.width.notna().all()
    names = set(tables.keypoints.name)
    assert {"left collar", "left waistline", "left hem"} <= names


def test_page_checks_and_flagged_walk(run_page):
    app = run_page("deepfashion", query={"benchmark": "landmark_detection", "split": "all"})
    assert not app.exception
    assert app.number_input(key="df_landmark_detection_position").max == 6
    app.button(key="df_landmark_detection_qa_run").click().run()
    assert not app.exception
    (table,) = [frame for frame in app.sidebar.dataframe if "check" in frame.value.columns]
    counts = dict(zip(table.value["check"], table.value["flagged"]))
    assert counts["landmark_visibility_code"] == 1
    assert counts["landmark_count_clothes_type"] == 1
    app.sidebar.multiselect(key="df_landmark_detection_qa_checks").set_value(["landmark_count_clothes_type"]).run()
    app.sidebar.toggle(key="df_landmark_detection_qa_only").set_value(True).run()
    assert not app.exception
    assert app.number_input(key="df_landmark_detection_position").max == 1
    assert app.query_params["sample"] in ("img/img_00000006.jpg", ["img/img_00000006.jpg"])
    flags = " ".join(element.value.replace("\\", "") for element in app.warning)
    assert "landmark_count_clothes_type: garment 6 triplets, clothes_type 3 full-body has 8 landmarks" in flags


def test_page_verdict_saved_and_shown(run_page):
    app = run_page("deepfashion", query={"benchmark": "consumer2shop", "split": "test",
                                         "sample": "img/CLOTHING/Dress/id_00000007/comsumer_02.jpg"})
    assert not app.exception
    app.selectbox(key="df_consumer2shop_verdict").set_value("missing annotation")
    app.selectbox(key="df_consumer2shop_verdict_instance").set_value("garment")
    app.text_area(key="df_consumer2shop_verdict_note").input("shop_02.jpg is listed but *missing*")
    app.text_input(key="reviewer_name").input("li")
    app.button(key="FormSubmitter:df_consumer2shop_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.split, stored.sample_id, stored.verdict, stored.instance_id, stored.reviewer) == \
        ("test", "img/CLOTHING/Dress/id_00000007/comsumer_02.jpg", "missing annotation", "garment", "li")
    assert stored.root.endswith("Consumer-to-shop Clothes Retrieval Benchmark/Anno")
    history = [frame for frame in app.dataframe if "verdict" in frame.value.columns]
    assert history[0].value.note.tolist() == ["shop_02.jpg is listed but *missing*"]
    app.sidebar.radio(key="df_consumer2shop_reviewed").set_value("reviewed").run()
    assert app.number_input(key="df_consumer2shop_position").max == 1


def test_page_inshop_verdict_under_item(run_page):
    app = run_page("deepfashion", query={"benchmark": "inshop", "split": "query", "sample": "id_00000015"})
    app.text_input(key="reviewer_name").input("li")
    app.button(key="FormSubmitter:df_inshop_verdict_form-Save verdict").click().run()
    assert not app.exception
    (stored,) = ReviewStore().all()
    assert (stored.split, stored.sample_id, stored.verdict) == ("query", "id_00000015", "ok")


def test_page_statistics(run_page):
    app = run_page("deepfashion", query={"benchmark": "category_attribute", "split": "all"})
    app.toggle(key="df_category_attribute_stats").set_value(True).run()
    assert not app.exception
    charts = app.get("plotly_chart")
    assert len(charts) >= 4


def test_page_real_fld_checks(run_page, realdata):
    app = run_page("deepfashion", {"deepfashion": realdata / "deepfashion"}, query={"split": "test"})
    app.button(key="df_landmark_detection_qa_run").click().run()
    assert not app.exception
    (table,) = [frame for frame in app.sidebar.dataframe if "check" in frame.value.columns]
    counts = dict(zip(table.value["check"], table.value["flagged"]))
    assert counts["landmark_visibility_code"] == 0
    assert counts["landmark_count_clothes_type"] == 0

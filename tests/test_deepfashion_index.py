"""DeepFashion list index: equal to a direct parse, rebuilt after a source changes, attribute filters."""

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from loaders.deepfashion import detect_benchmarks
from loaders.deepfashion_benchmarks import open_benchmark
from loaders.index_store import cache_dir

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion"
DEMO_CATEGORY = DEMO / "Category and Attribute Prediction Benchmark"


def pair(root, key):
    """Return a reader of the lists and a reader with the index attached, for the same benchmark."""
    location = detect_benchmarks(root)[key]
    direct, indexed = open_benchmark(location), open_benchmark(location)
    indexed.open_index()
    return direct, indexed


def sample_facts(sample):
    garment = sample.instances[0]
    keypoints = None if garment.keypoints is None else np.nan_to_num(garment.keypoints, nan=-1).tolist()
    return {"split": sample.split, "category": (garment.category_id, garment.category_name),
            "box": None if garment.bbox is None else garment.bbox.tolist(), "keypoints": keypoints,
            "fields": garment.fields, "attributes": garment.attribute_ids, "labels": sample.labels,
            "problems": sample.problems,
            "joints": [instance.keypoints.tolist() for instance in sample.instances[1:]]}


def index_files():
    return sorted(path.name for path in cache_dir().glob("deepfashion-lists-*.sqlite"))


@pytest.mark.parametrize(("folder", "key", "count"), [("deepfashion", "landmark_detection", 2),
                                                      ("deepfashion-upperbody", "category_attribute", 20)])
def test_index_equals_direct_parse_real(realdata, folder, key, count):
    direct, indexed = pair(realdata / folder, key)
    assert indexed.splits() == direct.splits()
    ids = indexed.sample_ids("all")
    assert ids == direct.sample_ids("all")
    assert len(ids) == count
    for sample_id in ids:
        assert sample_facts(indexed.load_sample(sample_id)) == sample_facts(direct.load_sample(sample_id)), sample_id
    assert indexed.problems == direct.problems


def test_index_equals_direct_parse_demo():
    direct, indexed = pair(DEMO, "category_attribute")
    for split in direct.splits():
        assert indexed.sample_ids(split) == direct.sample_ids(split), split
    for sample_id in direct.sample_ids("all"):
        assert sample_facts(indexed.load_sample(sample_id)) == sample_facts(direct.load_sample(sample_id)), sample_id


def test_index_filters_equal_direct_demo():
    direct, indexed = pair(DEMO, "category_attribute")
    names, indptr, indices = direct.positives()
    attributes = sorted(set(indices.tolist()))
    assert len(attributes) > 5
    for attribute in attributes:
        chosen = {"attribute": [attribute]}
        assert indexed.sample_ids("all", chosen) == direct.sample_ids("all", chosen), attribute
    both = {"attribute": [int(indices[0]), int(indices[1])]}
    assert indexed.sample_ids("all", both) == direct.sample_ids("all", both)
    assert indexed.sample_ids("train", {"category": [26]}) == direct.sample_ids("train", {"category": [26]})
    assert indexed.sample_ids("all", {"category": [26]}) == ["img/Classic_Skinny_Jeans/img_00000005.jpg",
                                                              "img/Classic_Skinny_Jeans/img_00000006.jpg"]


def test_index_landmark_filters_demo():
    direct, indexed = pair(DEMO, "landmark_detection")
    for chosen in ({"clothes type": [2]}, {"variation type": [4]}, {"clothes type": [3], "variation type": [1]}):
        assert indexed.sample_ids("all", chosen) == direct.sample_ids("all", chosen), chosen
    assert indexed.sample_ids("all", {"clothes type": [2]}) == ["img/img_00000002.jpg", "img/img_00000005.jpg"]


def test_index_load_reads_no_list(tmp_path):
    root = tmp_path / "category"
    shutil.copytree(DEMO_CATEGORY, root)
    _, indexed = pair(root, "category_attribute")
    first = indexed.sample_ids("train")[0]
    sample = indexed.load_sample(first)
    assert sample.instances[0].bbox is not None
    # The big lists were never parsed by this reader: their cached tables were not created.
    for name in ("category_of", "boxes", "landmarks", "attribute_rows", "partition"):
        assert name not in indexed.__dict__, name


def test_touched_source_rebuilds(tmp_path):
    root = tmp_path / "category"
    shutil.copytree(DEMO_CATEGORY, root)
    pair(root, "category_attribute")
    first = index_files()
    assert len(first) == 1
    pair(root, "category_attribute")
    assert index_files() == first
    attributes = root / "Anno_coarse" / "list_attr_img.txt"
    later = time.time() + 5
    os.utime(attributes, (later, later))
    pair(root, "category_attribute")
    assert len(index_files()) == 2


def test_replaced_source_changes_result(tmp_path):
    root = tmp_path / "category"
    shutil.copytree(DEMO_CATEGORY, root)
    name = "img/Classic_Skinny_Jeans/img_00000005.jpg"
    _, indexed = pair(root, "category_attribute")
    assert indexed.load_sample(name).instances[0].category_id == 26
    listing = root / "Anno_coarse" / "list_category_img.txt"
    lines = listing.read_text().splitlines()
    lines = [line.replace(line.split()[-1], "33") if line.startswith(name) else line for line in lines]
    listing.write_text("\n".join(lines) + "\n")
    _, indexed = pair(root, "category_attribute")
    assert indexed.load_sample(name).instances[0].category_id == 33
    assert indexed.load_sample(name).instances[0].category_name == "Skirt"


def test_index_of_attribute_list_only(tmp_path):
    anno = tmp_path / "Anno"
    anno.mkdir()
    pad = " " * 40
    (anno / "list_attr_cloth.txt").write_text("3\nattribute_name  attribute_type\nfloral  1\nlace  2\nboxy fit  3\n")
    (anno / "list_attr_img.txt").write_text(
        f"3\nimage_name  attribute_labels\nimg/a.jpg{pad}1 -1  1\nimg/b.jpg{pad}-1  1\nimg/c.jpg{pad}-1 1 1\n")
    direct, indexed = pair(tmp_path, "category_attribute")
    assert indexed.sample_ids("all") == ["img/a.jpg", "img/b.jpg", "img/c.jpg"]
    assert indexed.sample_ids("all", {"attribute": [2]}) == ["img/a.jpg", "img/c.jpg"]
    sample = indexed.load_sample("img/b.jpg")
    assert [problem.message for problem in sample.problems] == ["2 labels, but list_attr_cloth.txt names 3 attributes."]
    assert sample_facts(sample) == sample_facts(direct.load_sample("img/b.jpg"))
    short_rows = [problem.record for problem in indexed.problems if "does not have 3 labels" in problem.message]
    assert short_rows == ["img/b.jpg"]


def test_preview_names_the_original_files(tmp_path):
    import shutil

    from loaders.deepfashion import detect_benchmarks
    from loaders.deepfashion_benchmarks import open_benchmark
    from loaders.roots import DEMO_DIR

    root = tmp_path / "deepfashion"
    shutil.copytree(DEMO_DIR / "deepfashion" / "Category and Attribute Prediction Benchmark", root)
    bbox = next(root.rglob("list_bbox.txt"))
    lines = bbox.read_text().splitlines()
    name = lines[2].split()[0]
    lines[2] = f"{name} 10 20 abc 40"
    bbox.write_text("\n".join(lines) + "\n")
    preview = open_benchmark(detect_benchmarks(root)["category_attribute"]).preview()
    sample = preview.load_sample(name)
    files = {problem.file for problem in [*sample.problems, *preview.problems]}
    assert str(bbox) in files
    assert not any(".preview" in file for file in files)


def test_page_shows_list_heads_while_index_builds(run_page, monkeypatch, tmp_path):
    import shutil
    import threading

    import loaders.deepfashion_benchmarks as benchmarks
    from loaders.deepfashion import detect_benchmarks
    from loaders.roots import DEMO_DIR

    root = tmp_path / "deepfashion"
    shutil.copytree(DEMO_DIR / "deepfashion" / "Category and Attribute Prediction Benchmark", root)
    release = threading.Event()
    real_build = benchmarks.build_index

    def held_build(*arguments, **options):
        release.wait(timeout=60)
        return real_build(*arguments, **options)

    monkeypatch.setattr(benchmarks, "build_index", held_build)
    app = run_page("deepfashion", {"deepfashion": root})
    assert not app.exception
    notes = " ".join(element.value for element in app.info)
    assert "Indexing the list files in the background" in notes
    assert len(app.get("image")) >= 1

    release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("deepfashion-index"):
            thread.join(timeout=60)
    app.run()
    assert not app.exception
    assert "Indexing the list files in the background" not in " ".join(element.value for element in app.info)
    assert len(app.get("image")) >= 1
    location = detect_benchmarks(root)["category_attribute"]
    assert not benchmarks.open_benchmark(location).needs_index_build()

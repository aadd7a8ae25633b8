"""Broken DeepFashion lists: each fault gives a Problem naming file and line, and the other image still loads.

Every case copies the real Fashion Landmark Detection sample (two images) or the real
upper-body landmark list into tmp_path, breaks one list, and opens the benchmark twice:
reading the lists directly, and through the persistent SQLite index that the page uses.
Both paths parse the lists with pandas' C reader; the index then keeps one row per image,
so showing a sample never parses the lists again. The files here stay a few hundred bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from loaders.deepfashion import detect_benchmarks
from loaders.deepfashion_benchmarks import open_benchmark

BROKEN = "img/img_00000128.jpg"
INTACT = "img/img_00000132.jpg"
BOX = "Anno/list_bbox.txt"
LANDMARKS = "Anno/list_landmarks.txt"
PARTITION = "Eval/list_eval_partition.txt"

# (case id, list file, bytes replaced, replacement, expected message fragment, record, where the Problem is)
# "sample" problems are on the sample of BROKEN; "dataset" problems are on the benchmark.
CASES = [
    ("box non-UTF-8 number", BOX, b"088 021", b"0\xff8 021", "not UTF-8", "line 3", "dataset"),
    ("box non-UTF-8 number drawn", BOX, b"088 021", b"0\xff8 021", "x_1 missing, NaN, infinity or text",
     "line 3", "sample"),
    ("box non-UTF-8 name", BOX, b"img_00000128", b"img_0000\xe912", "not UTF-8", "line 3", "dataset"),
    ("box NaN", BOX, b"088 021", b"nan 021", "x_1 missing, NaN, infinity or text", "line 3", "sample"),
    ("box infinity", BOX, b"136 163", b"inf 163", "x_2 missing, NaN, infinity or text", "line 3", "sample"),
    ("box text", BOX, b"088 021", b"088 abc", "y_1 missing, NaN, infinity or text", "line 3", "sample"),
    ("box negative", BOX, b"088 021", b"-88 021", "has a negative coordinate", "line 3", "sample"),
    ("box corners swapped", BOX, b"088 021 136 163", b"136 021 088 163", "x_2 <= x_1 or y_2 <= y_1",
     "line 3", "sample"),
    ("box too few tokens", BOX, b"088 021 136 163", b"088 021", "x_2, y_2 missing", "line 3", "sample"),
    ("box count line", BOX, b"2\n", b"5\n", "the count line says 5 rows, but the file has 2", "", "dataset"),
    ("box header missing", BOX, b"image_name  x_1  y_1  x_2  y_2\n", b"",
     "line 2 is not the line of column names", "line 2", "dataset"),
    ("box count missing", BOX, b"2\n", b"", "line 1 is not the row count", "line 1", "dataset"),
    ("landmark NaN", LANDMARKS, b"1 108 033", b"1 nan 033", "number 4 is NaN, infinity or text", "line 3",
     "sample"),
    ("landmark infinity", LANDMARKS, b"1 121 036", b"1 121 inf", "number 8 is NaN, infinity or text", "line 3",
     "sample"),
    ("landmark text", LANDMARKS, b"1 108 033", b"1 abc 033", "number 4 is NaN, infinity or text", "line 3",
     "sample"),
    ("landmark non-UTF-8", LANDMARKS, b"1 108 033", b"1 1\xff8 033", "not UTF-8", "line 3", "dataset"),
    ("landmark too few triplets", LANDMARKS, b"  0 115 150  1 112 143", b"",
     "6 triplets, but clothes_type 3 has 8 landmarks", "line 3", "sample"),
    ("landmark cut after type", LANDMARKS,
     b"3  1  1 108 033  1 121 036  0 095 065  1 128 068  0 118 079  1 114 075  0 115 150  1 112 143", b"3",
     "1 numbers after the image name do not fit", "line 3", "sample"),
    ("landmark visibility code", LANDMARKS, b"1 108 033", b"7 108 033", "visibility codes [7] are not 0, 1 or 2",
     "line 3", "sample"),
    ("landmark count line", LANDMARKS, b"2\n", b"3\n", "the count line says 3 rows, but the file has 2", "",
     "dataset"),
    ("partition non-UTF-8", PARTITION, b"test", b"t\xffst", "not UTF-8", "line 3", "dataset"),
]


def break_copy(source, target, file_name: str, old: bytes, new: bytes) -> None:
    shutil.copytree(source, target)
    path = target / file_name
    data = path.read_bytes()
    assert old in data, (file_name, old)
    path.write_bytes(data.replace(old, new, 1))


def open_reader(root, key: str, indexed: bool):
    reader = open_benchmark(detect_benchmarks(root)[key])
    if indexed:
        reader.open_index()
    return reader


def matching(problems, fragment: str):
    return [problem for problem in problems if fragment in problem.message]


@pytest.mark.parametrize("indexed", [False, True], ids=["direct", "index"])
@pytest.mark.parametrize(("case", "file_name", "old", "new", "fragment", "record", "where"), CASES,
                         ids=[case[0] for case in CASES])
def test_broken_list_reported(realdata, tmp_path, indexed, case, file_name, old, new, fragment, record, where):
    root = tmp_path / "deepfashion"
    break_copy(realdata / "deepfashion", root, file_name, old, new)
    reader = open_reader(root, "landmark_detection", indexed)

    assert reader.sample_ids("all") == [BROKEN, INTACT]
    broken = reader.load_sample(BROKEN)
    intact = reader.load_sample(INTACT)
    problems = broken.problems if where == "sample" else reader.problems
    found = matching(problems, fragment)
    assert found, [str(problem) for problem in problems]
    assert found[0].file == str(root / file_name)
    assert found[0].record == record

    # The other image keeps its box, its 8 landmarks and its split.
    assert intact.problems == []
    assert intact.split == "test"
    garment = intact.instances[0]
    assert garment.bbox.tolist() == [1.0, 1.0, 200.0, 250.0]
    assert garment.keypoints.shape == (8, 3)
    assert garment.keypoints[0].tolist() == [71.0, 19.0, 2.0]
    assert np.isnan(garment.keypoints[6, :2]).all()


@pytest.mark.parametrize("indexed", [False, True], ids=["direct", "index"])
def test_nan_landmark_keeps_other_points(realdata, tmp_path, indexed):
    root = tmp_path / "deepfashion"
    break_copy(realdata / "deepfashion", root, LANDMARKS, b"1 108 033", b"1 nan 033")
    garment = open_reader(root, "landmark_detection", indexed).load_sample(BROKEN).instances[0]

    # The NaN stays in place, so only the first point loses its position.
    assert np.isnan(garment.keypoints[0, 0])
    assert garment.keypoints[1].tolist() == [121.0, 36.0, 1.0]
    assert garment.keypoints[7].tolist() == [112.0, 143.0, 1.0]


@pytest.mark.parametrize("indexed", [False, True], ids=["direct", "index"])
def test_broken_first_row_keeps_benchmark(realdata, tmp_path, indexed):
    root = tmp_path / "deepfashion"
    break_copy(realdata / "deepfashion", root, LANDMARKS, b"1 108 033", b"1 abc 033")

    # The variation_type column is detected from the first row that parses.
    assert list(detect_benchmarks(root)) == ["landmark_detection"]
    reader = open_reader(root, "landmark_detection", indexed)
    assert reader.load_sample(INTACT).instances[0].fields["variation_type"] == "1 normal pose"


UPPER = "img/989_Boxy_Marled_Knit_Top_29.jpg"
UPPER_ROW = b"1  1 090 019  1 133 021  0 055 127  0 165 143  0 067 197  0 148 204"
UPPER_CASES = [
    ("too few tokens", UPPER_ROW, b"1  1 090 019  1 133", "6 numbers after the image name do not fit"),
    ("NaN coordinate", b"1 090 019", b"1 NaN 019", "number 3 is NaN, infinity or text"),
    ("visibility code", b"1 090 019", b"-1 090 019", "visibility codes [-1] are not 0, 1 or 2"),
]


@pytest.mark.parametrize("indexed", [False, True], ids=["direct", "index"])
@pytest.mark.parametrize(("case", "old", "new", "fragment"), UPPER_CASES, ids=[case[0] for case in UPPER_CASES])
def test_broken_upper_body_row(realdata, tmp_path, indexed, case, old, new, fragment):
    root = tmp_path / "upperbody"
    break_copy(realdata / "deepfashion-upperbody", root, LANDMARKS, old, new)
    reader = open_reader(root, "category_attribute", indexed)

    ids = reader.sample_ids("all")
    assert len(ids) == 20
    assert ids[0] == UPPER
    found = matching(reader.load_sample(UPPER).problems, fragment)
    assert found
    assert found[0].file == str(root / LANDMARKS)
    assert found[0].record == "line 3"

    # The other 19 images keep their 6 upper-body landmarks.
    for sample_id in ids[1:]:
        sample = reader.load_sample(sample_id)
        assert sample.problems == [], sample_id
        assert sample.instances[0].keypoints.shape == (6, 3), sample_id


DEMO_CATEGORY = Path(__file__).resolve().parent.parent / "assets" / "demo" / "deepfashion" / \
    "Category and Attribute Prediction Benchmark"
FIRST = "img/Striped_Boxy_Tee/img_00000001.jpg"
SECOND = "img/Striped_Boxy_Tee/img_00000002.jpg"
CATEGORY_IMG = "Anno_coarse/list_category_img.txt"
ATTR_IMG = "Anno_coarse/list_attr_img.txt"
ATTR_CLOTH = "Anno_coarse/list_attr_cloth.txt"
CATEGORY_CLOTH = "Anno_coarse/list_category_cloth.txt"
# (case id, list file, bytes replaced, replacement, expected message fragment, record). All are benchmark problems.
CATEGORY_CASES = [
    ("category text", CATEGORY_IMG, b"  18\n", b"  x8\n", "category_label is missing, NaN, infinity or text",
     "line 3"),
    ("category NaN", CATEGORY_IMG, b"  18\n", b"  nan\n", "category_label is missing, NaN, infinity or text",
     "line 3"),
    ("category infinity", CATEGORY_IMG, b"  18\n", b"  inf\n", "category_label is missing, NaN, infinity or text",
     "line 3"),
    ("category non-UTF-8", CATEGORY_IMG, b"  18\n", b"  1\xff\n", "not UTF-8", "line 3"),
    ("category count line", CATEGORY_IMG, b"12\n", b"13\n", "the count line says 13 rows, but the file has 12", ""),
    ("attribute non-UTF-8", ATTR_IMG, b"-1 -1  1", b"-1 -\xff  1", "a label is not 1, -1 or 0", FIRST),
    ("attribute NaN", ATTR_IMG, b"-1 -1  1", b"-1 nan  1", "a label is not 1, -1 or 0", FIRST),
    ("attribute name non-UTF-8", ATTR_CLOTH, b"floral", b"fl\xffral", "not UTF-8", "line 4"),
    ("attribute name without type", ATTR_CLOTH, b"floral" + b" " * 65 + b"1", b"floral",
     "the row has no type number at its end", "line 4"),
    ("category name non-UTF-8", CATEGORY_CLOTH, b"Anorak", b"An\xffrak", "not UTF-8", "line 3"),
]


@pytest.mark.parametrize("indexed", [False, True], ids=["direct", "index"])
@pytest.mark.parametrize(("case", "file_name", "old", "new", "fragment", "record"), CATEGORY_CASES,
                         ids=[case[0] for case in CATEGORY_CASES])
def test_broken_category_list(tmp_path, indexed, case, file_name, old, new, fragment, record):
    root = tmp_path / "category"
    break_copy(DEMO_CATEGORY, root, file_name, old, new)
    reader = open_reader(root, "category_attribute", indexed)

    ids = reader.sample_ids("all")
    assert len(ids) == 12
    reader.load_sample(FIRST)
    found = matching(reader.problems, fragment)
    assert found, [str(problem) for problem in reader.problems]
    assert found[0].file == str(root / file_name)
    assert found[0].record == record

    # The second image keeps its category, box and positive attributes.
    intact = reader.load_sample(SECOND)
    garment = intact.instances[0]
    assert intact.problems == []
    assert (garment.category_id, garment.category_name) == (18, "Tee")
    assert garment.bbox is not None
    assert garment.attribute_ids == [2, 6, 13]


def test_page_shows_broken_list(realdata, tmp_path, run_page, shown_text):
    root = tmp_path / "deepfashion"
    break_copy(realdata / "deepfashion", root, BOX, b"088 021", b"0\xff8 021")
    app = run_page("deepfashion", {"deepfashion": root}, query={"sample": INTACT})

    assert not app.exception
    assert len(app.get("image")) >= 1
    text = shown_text(app).replace("\\", "")
    assert "bytes that are not UTF-8" in text
    assert "list_bbox.txt, line 3" in text


DEMO_INSHOP = DEMO_CATEGORY.parent / "In-shop Clothes Retrieval Benchmark"
ITEMS = "Anno/list_attr_items.txt"
# (case id, benchmark folder, reader key, list file, bytes replaced, replacement, expected fragment, record,
# whether the Problem is on the first sample instead of the benchmark)
RETRIEVAL_AND_FINE_CASES = [
    ("items non-UTF-8", DEMO_INSHOP, "inshop", ITEMS, b"-1  1 -1", b"-1  \xff -1", "not UTF-8", "line 3", False),
    ("items text label", DEMO_INSHOP, "inshop", ITEMS, b"-1  1 -1", b"-1  x -1",
     "labels are missing, NaN, infinity or text", "line 3", False),
    ("items too few labels", DEMO_INSHOP, "inshop", ITEMS, b"-1  1 -1", b"",
     "labels are missing, NaN, infinity or text", "line 3", False),
    ("fine category text", DEMO_CATEGORY, "fine", "Anno_fine/train_cate.txt", b"18\n", b"x8\n",
     "values that are missing, NaN, infinity or text (1 numbers expected)", "row 1", False),
    ("fine category non-UTF-8", DEMO_CATEGORY, "fine", "Anno_fine/train_cate.txt", b"18\n", b"1\xff\n",
     "not UTF-8", "line 1", False),
    ("fine box too few tokens", DEMO_CATEGORY, "fine", "Anno_fine/train_bbox.txt", b"031 034 172 273", b"031 034",
     "the box is not 4 numbers: x_2, y_2 missing", "row 1", True),
    ("fine box NaN", DEMO_CATEGORY, "fine", "Anno_fine/train_bbox.txt", b"031 034 172 273", b"031 nan 172 273",
     "the box is not 4 numbers: y_1 missing", "row 1", True),
    ("fine box swapped", DEMO_CATEGORY, "fine", "Anno_fine/train_bbox.txt", b"031 034 172 273", b"172 034 031 273",
     "x_2 <= x_1", "row 1", True),
    ("fine names non-UTF-8", DEMO_CATEGORY, "fine", "Anno_fine/train.txt", b"Striped", b"Str\xffped", "not UTF-8",
     "line 1", False),
]


@pytest.mark.parametrize(("case", "folder", "key", "file_name", "old", "new", "fragment", "record", "on_sample"),
                         RETRIEVAL_AND_FINE_CASES, ids=[case[0] for case in RETRIEVAL_AND_FINE_CASES])
def test_broken_retrieval_or_fine_list(tmp_path, case, folder, key, file_name, old, new, fragment, record,
                                       on_sample):
    root = tmp_path / "benchmark"
    break_copy(folder, root, file_name, old, new)
    reader = open_reader(root, key, indexed=False)

    ids = reader.sample_ids("all")
    first = reader.load_sample(ids[0])
    found = matching(first.problems if on_sample else reader.problems, fragment)
    assert found, [str(problem) for problem in [*first.problems, *reader.problems]]
    assert found[0].file == str(root / file_name)
    assert found[0].record == record

    # The second sample keeps its box and attributes.
    second = reader.load_sample(ids[1])
    assert second.problems == []
    assert second.instances[0].bbox is not None
    assert second.labels

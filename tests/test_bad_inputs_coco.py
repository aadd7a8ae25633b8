"""Broken COCO input (ModaNet, Fashionpedia, DeepFashion2 COCO, results files), one table per loader.

Each case writes a small copy of a real file with one fault and checks that a Problem
names the fault, the file and the record, and that the other samples still load with
their annotations. Instances files run twice: through the persistent byte index
(``indexed``) and parsed whole (``whole``, the path taken when no index can be built),
because both must report the same fault.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import loaders.coco as coco_module
from loaders.coco import CocoInstances, read_deepfashion2_coco
from loaders.coco_results import read_results
from loaders.fashionpedia import FashionpediaDataset
from loaders.modanet import ModaNetDataset
from loaders.model import Problem

RAW = re.compile(rb'"@@RAW:([0-9a-f]*)@@"')
MODANET_IMAGES = (3, 13, 270)


def put_raw(record: dict, key: str, text: bytes) -> None:
    """Make ``key``'s value the given JSON text, written verbatim (it may be invalid JSON)."""
    record[key] = f"@@RAW:{text.hex()}@@"


def serialize(data: object, indent: int | None) -> tuple[bytes, int]:
    """Return the JSON bytes of ``data`` with raw values put in place, and the offset of the first one (-1)."""
    text = json.dumps(data, indent=indent).encode("utf-8")
    found = RAW.search(text)
    return RAW.sub(lambda match: bytes.fromhex(match.group(1).decode()), text), found.start() if found else -1


def location(data: bytes, offset: int) -> dict[str, int]:
    """Return the 1-based line and column of a byte offset in ASCII-before-the-offset JSON text."""
    return {"line": data.count(b"\n", 0, offset) + 1, "column": offset - (data.rfind(b"\n", 0, offset) + 1) + 1}


@dataclass(frozen=True)
class Case:
    """One fault: how it breaks the file, and the message and record text its Problem must contain."""

    id: str
    # Edits the parsed file (data, target image record, target annotation) in place.
    edit: Callable[[dict, dict, dict], None]
    message: str  # formatted with line and column of the fault, image and annotation ids
    record: str  # formatted the same way; must appear in str(problem)
    # Replaces the serialized file, for faults of the text itself (truncation, empty file).
    cut: Callable[[bytes], bytes] | None = None
    file_fails: bool = False  # the fault makes the whole file unreadable
    # The fault makes the file unreadable when parsed whole; the byte index isolates it in one annotation.
    whole_parse_fails: bool = False

    def __str__(self) -> str:
        return self.id


def key_edit(where: str, key: str, value: object) -> Callable[[dict, dict, dict], None]:
    """Return an edit that sets ``key`` of the target image, annotation or the top level to ``value``."""
    def edit(data: dict, image: dict, annotation: dict) -> None:
        {"data": data, "image": image, "annotation": annotation}[where][key] = value
    return edit


def raw_edit(key: str, text: bytes) -> Callable[[dict, dict, dict], None]:
    return lambda data, image, annotation: put_raw(annotation, key, text)


def first_coordinate_raw(text: bytes) -> Callable[[dict, dict, dict], None]:
    """Return an edit that writes ``text`` as the first x of the annotation's first polygon."""
    def edit(data: dict, image: dict, annotation: dict) -> None:
        annotation["segmentation"][0][0] = f"@@RAW:{text.hex()}@@"
    return edit


def swap_box_corners(data: dict, image: dict, annotation: dict) -> None:
    # Fashionpedia's sample file has no boxes, so one is made up there.
    x, y, w, h = annotation.get("bbox", [100, 120, 50, 80])
    annotation["bbox"] = [x + w, y + h, -w, -h]


def string_ids(data: dict, image: dict, annotation: dict) -> None:
    annotation["image_id"] = str(annotation["image_id"])
    annotation["category_id"] = str(annotation["category_id"])


def string_image_id(data: dict, image: dict, annotation: dict) -> None:
    image["id"] = str(image["id"])


AT = "image {image}, annotation {annotation}"
LINE = "line {line}, column {column}"
# orjson stops at the "2" of the malformed value "1 2", two characters after its start.
ERROR_LINE = "line {line}, column {column2}"
# Just past the last byte of a truncated file.
END_LINE = "line {end_line}, column {end_column}"
# Faults any COCO instances file can meet; the target annotation has a polygon segmentation.
INSTANCE_CASES = [
    Case("malformed", raw_edit("area", b"1 2"), "unexpected character, expected ',' or '}}' at " + ERROR_LINE,
         ERROR_LINE, whole_parse_fails=True),
    Case("truncated", key_edit("image", "note", ""), "the file ends early (truncated) at " + END_LINE, END_LINE,
         cut=lambda data: data[:len(data) * 2 // 3], file_fails=True),
    Case("empty", key_edit("image", "note", ""), "the file is empty (0 bytes)", "line 1, column 1",
         cut=lambda data: b"", file_fails=True),
    Case("segmentation_string", key_edit("annotation", "segmentation", "0 0 10 0 10 10"),
         "segmentation is a str, not a list of polygons or an RLE", AT),
    Case("bbox_dict", key_edit("annotation", "bbox", {"x": 1, "y": 2}), "bbox {{'x': 1, 'y': 2}} is not 4 numbers", AT),
    Case("categories_dict", key_edit("data", "categories", {"1": "top"}), "'categories' is a JSON dict, not a list",
         "categories"),
    Case("width_string", key_edit("image", "width", "400"), "image width '400' is not a positive integer",
         "image {image}"),
    Case("height_dict", key_edit("image", "height", {"value": 600}), "image height {{'value': 600}} is not a "
         "positive integer", "image {image}"),
    Case("non_utf8", raw_edit("note", b'"caf\xe9"'), "the file is not valid UTF-8 (byte 0xe9 at line {line}, "
         "column {column_utf8})", "{utf8_record}"),
    Case("nan_literal", first_coordinate_raw(b"NaN"), "polygon 0 contains NaN or infinite coordinates", AT),
    Case("infinity_bbox", key_edit("annotation", "bbox", [10, 20, 30, "@@RAW:" + b"Infinity".hex() + "@@"]),
         "bbox [10, 20, 30, inf] has non-finite or huge values", AT),
    Case("area_dict", key_edit("annotation", "area", {"value": 12}), "area {{'value': 12}} is not a finite number",
         AT),
    Case("negative_width", key_edit("image", "width", -400), "image width -400 is not a positive integer",
         "image {image}"),
    Case("box_corners_swapped", swap_box_corners, "has a negative width or height", AT),
    Case("string_image_and_category_ids", string_ids, "annotations write id, image_id, category_id or iscrowd as a "
         "string of digits; they are read as integers", "annotation {annotation}"),
    Case("image_id_null", key_edit("annotation", "image_id", None), "1 annotations name an image_id that is not "
         "in 'images'", "annotations[{position}], id {annotation}, no integer image_id"),
    Case("image_id_word", key_edit("annotation", "image_id", "thirteen"), "1 annotations name an image_id",
         "annotations[{position}], id {annotation}, no integer image_id"),
    Case("string_image_record_id", string_image_id, "image records write their id as a string of digits",
         "images["),
]


def problems_matching(problems: list[Problem], path: Path, message: str, record: str) -> list[Problem]:
    return [problem for problem in problems
            if problem.file == str(path) and message in problem.message and record in str(problem)]


def instance_ids(coco: CocoInstances, image_id: int) -> list[str]:
    return [instance.id for instance in coco.load_sample(image_id).instances]


@pytest.fixture(params=["indexed", "whole"])
def coco_path(request, monkeypatch) -> str:
    """Run a test through the byte index, or with index builds failing so the file is parsed whole."""
    if request.param == "whole":
        def fail_index(*args, **kwargs):
            raise sqlite3.OperationalError("index disabled by the test")
        monkeypatch.setattr(coco_module, "open_store", fail_index)
    return request.param


def write_case(case: Case, data: dict, image_id: int, path: Path, indent: int | None) -> dict:
    """Write ``data`` with the case's fault on image ``image_id`` and return the format values of its texts."""
    image = next(record for record in data["images"] if record["id"] == image_id)
    annotation = next(record for record in data["annotations"] if record["image_id"] == image_id)
    values = {"image": image_id, "annotation": annotation["id"], "position": data["annotations"].index(annotation)}
    case.edit(data, image, annotation)
    text, offset = serialize(data, indent)
    if case.cut is not None:
        text = case.cut(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    values.update(location(text, offset) if offset >= 0 else {"line": 0, "column": 0})
    add_columns(values, text)
    return values


def add_columns(values: dict, text: bytes) -> None:
    """Add the columns of the malformed value's second number, of the invalid byte in ``"caf\xe9"``, and the end."""
    end = location(text, len(text))
    values["end_line"], values["end_column"] = end["line"], end["column"]
    values["column2"] = values["column"] + 2
    values["column_utf8"] = values["column"] + 4
    values["utf8_record"] = LINE.format(line=values["line"], column=values["column_utf8"])


def check_case(case: Case, coco: CocoInstances, path: Path, values: dict, other_images: dict[int, list[str]],
               coco_path: str) -> None:
    """Assert the case's Problem and, unless the file fails, that the other images keep their annotations."""
    image_id = values["image"]
    file_fails = case.file_fails or (case.whole_parse_fails and coco_path == "whole")
    problems = list(coco.problems)
    if not file_fails:
        problems += coco.load_sample(image_id).problems
    message, record = case.message.format(**values), case.record.format(**values)
    assert problems_matching(problems, path, message, record), [str(problem) for problem in problems]
    if file_fails:
        assert coco.annotations_state == "unreadable"
        return
    assert (coco._store is not None) == (coco_path == "indexed")
    for other_id, expected in other_images.items():
        assert instance_ids(coco, other_id) == expected


# --- ModaNet --------------------------------------------------------------------------------------

def modanet_subset(realdata: Path) -> dict:
    """Return the real train file cut to three images and their annotations."""
    data = json.loads((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_text())
    data["images"] = [record for record in data["images"] if record["id"] in MODANET_IMAGES]
    data["annotations"] = [record for record in data["annotations"] if record["image_id"] in MODANET_IMAGES]
    return data


def modanet_expected(data: dict) -> dict[int, list[str]]:
    return {image_id: [str(record["id"]) for record in data["annotations"] if record["image_id"] == image_id]
            for image_id in MODANET_IMAGES}


@pytest.mark.parametrize("case", INSTANCE_CASES, ids=str)
def test_modanet_bad_input(tmp_path, realdata, coco_path, case):
    root = tmp_path / "modanet"
    intact = modanet_subset(realdata)
    expected = modanet_expected(intact)
    # The val copy is intact: it must open whatever happens to the train file.
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "modanet2018_instances_val.json").write_text(json.dumps(intact))
    path = root / "annotations" / "modanet2018_instances_train.json"
    values = write_case(case, modanet_subset(realdata), 13, path, indent=None)

    dataset = ModaNetDataset(root)
    check_case(case, dataset.open("train"), path, values, {3: expected[3], 270: expected[270]}, coco_path)
    val = dataset.open("val")
    assert val.problems == []
    assert [instance_ids(val, image_id) for image_id in MODANET_IMAGES] == list(expected.values())


def test_modanet_string_ids_keep_annotation(tmp_path, realdata, coco_path):
    """An annotation whose image_id and category_id are digit strings is shown on its image, with its category."""
    data = modanet_subset(realdata)
    expected = modanet_expected(data)
    for annotation in data["annotations"]:
        if annotation["image_id"] == 13:
            string_ids(data, {}, annotation)
    string_image_id(data, next(image for image in data["images"] if image["id"] == 13), {})
    path = tmp_path / "annotations" / "modanet2018_instances_train.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    coco = ModaNetDataset(tmp_path).open("train")
    sample = coco.load_sample(13)
    assert [instance.id for instance in sample.instances] == expected[13]
    assert all(instance.category_id is not None and not instance.category_name.startswith("category ")
               for instance in sample.instances)
    assert coco.table().image_id.tolist().count(13) == len(expected[13])


# --- Fashionpedia -----------------------------------------------------------------------------------

FASHIONPEDIA_CASES = INSTANCE_CASES + [
    Case("file_name_list", key_edit("image", "file_name", ["000000009813.jpg"]),
         "image file_name ['000000009813.jpg'] is not a file name", "image {image}"),
    Case("file_name_missing", lambda data, image, annotation: image.pop("file_name"),
         "image file_name None is not a file name", "image {image}"),
    Case("attribute_ids_string", key_edit("annotation", "attribute_ids", "115,136"),
         "attribute_ids '115,136' is not a list of integers", AT),
    Case("rle_negative_size", key_edit("annotation", "segmentation", {"size": [-1000, 618], "counts": "0"}),
         "RLE size [-1000, 618] is not [height, width] as two positive integers", AT),
    Case("rle_counts_dict", key_edit("annotation", "segmentation", {"size": [1000, 618], "counts": {"a": 1}}),
         "RLE counts is neither a string (compressed) nor a list of integers", AT),
]


@pytest.mark.parametrize("case", FASHIONPEDIA_CASES, ids=str)
def test_fashionpedia_bad_input(tmp_path, realdata, coco_path, case):
    sample_file = realdata / "fashionpedia" / "data" / "sample.json"
    intact = json.loads(sample_file.read_text())
    expected = {image["id"]: [str(record["id"]) for record in intact["annotations"]
                              if record["image_id"] == image["id"]] for image in intact["images"]}
    root = tmp_path / "fashionpedia"
    root.mkdir()
    (root / "instances_attributes_val2020.json").write_bytes(sample_file.read_bytes())
    path = root / "instances_attributes_train2020.json"
    values = write_case(case, json.loads(sample_file.read_text()), 9813, path, indent=2)

    dataset = FashionpediaDataset(root)
    assert dataset.splits() == ["train", "val"]
    check_case(case, dataset.open("train"), path, values, {10223: expected[10223]}, coco_path)
    val = dataset.open("val")
    assert [instance_ids(val, image_id) for image_id in expected] == list(expected.values())


@pytest.mark.parametrize(("text", "expected"), [
    (b"[]", "top level is a JSON list, not an object with 'categories'"),
    (b"", "Expecting value: line 1 column 1"),
    (b'{"categories": [{"id": 1, "name": "caf\xe9"}]}', "'utf-8' codec can't decode byte 0xe9"),
], ids=["list", "empty", "non_utf8"])
def test_fashionpedia_bad_label_table(tmp_path, realdata, text, expected):
    """A broken category_attributes_descriptions.json is reported, and the project's table is used instead."""
    data = json.loads((realdata / "fashionpedia" / "data" / "sample.json").read_text())
    del data["categories"], data["attributes"]
    (tmp_path / "instances_attributes_val2020.json").write_text(json.dumps(data))
    table = tmp_path / "category_attributes_descriptions.json"
    table.write_bytes(text)

    coco = FashionpediaDataset(tmp_path).open("val")
    assert problems_matching(coco.problems, table, expected, "label table could not be read")
    assert coco.label_source["categories"] == "table"
    sample = coco.load_sample(10223)
    assert len(sample.instances) == 6
    assert all(not instance.category_name.startswith("category ") for instance in sample.instances)


# --- DeepFashion2 in COCO layout ------------------------------------------------------------------------

DEEPFASHION2_CASES = INSTANCE_CASES + [
    Case("keypoints_string", key_edit("annotation", "keypoints", "0 0 0"),
         "keypoints is not a flat list of x, y, v numbers", AT),
    Case("keypoints_short", lambda data, image, annotation: annotation.__setitem__("keypoints", [1.0, 2.0, 2] * 25),
         "keypoints has 25 slots, but category 11 uses slots 220..256 of the converter's 294", AT),
    Case("keypoints_nan", lambda data, image, annotation: annotation["keypoints"].__setitem__(
        0, "@@RAW:" + b"NaN".hex() + "@@"), "keypoints contains NaN or infinite values", AT),
]


@pytest.mark.parametrize("case", DEEPFASHION2_CASES, ids=str)
def test_deepfashion2_coco_bad_input(tmp_path, realdata, coco_path, case):
    sample_file = realdata / "deepfashion2" / "coco" / "deepfashion2_val_coco_sample.json"
    path = tmp_path / "deepfashion2_val_coco.json"
    values = write_case(case, json.loads(sample_file.read_text()), 264, path, indent=2)

    coco = read_deepfashion2_coco(path)
    check_case(case, coco, path, values, {265: ["430"]}, coco_path)
    if coco.annotations_state != "unreadable":
        other = coco.load_sample(265).instances[0]
        # The other item keeps its category's slice of the 294 keypoint slots.
        assert other.keypoint_schema is not None
        assert len(other.keypoints) == len(other.keypoint_schema.keypoint_names)


# --- results files ------------------------------------------------------------------------------------

RESULT_CASES = [
    Case("malformed", raw_edit("score", b"1 2"), "unexpected character, expected ',' or '}}' at " + ERROR_LINE,
         ERROR_LINE, file_fails=True),
    Case("truncated", key_edit("annotation", "note", ""), "the file ends early (truncated) at " + END_LINE,
         END_LINE, cut=lambda data: data[:len(data) // 2], file_fails=True),
    Case("empty", key_edit("annotation", "note", ""), "the file is empty (0 bytes)", "line 1, column 1",
         cut=lambda data: b"", file_fails=True),
    Case("non_utf8", raw_edit("note", b'"caf\xe9"'), "the file is not valid UTF-8 (byte 0xe9 at line {line}, "
         "column {column_utf8})", "{utf8_record}"),
    Case("score_nan", raw_edit("score", b"NaN"), "score nan is not a finite number", AT),
    Case("score_string", key_edit("annotation", "score", "high"), "score 'high' is not a finite number", AT),
    Case("segmentation_list_of_strings", key_edit("annotation", "segmentation", ["a", "b"]),
         "polygon 0 is not a flat list of numbers", AT),
    Case("rle_negative_size", key_edit("annotation", "segmentation", {"size": [1000, -618], "counts": "0"}),
         "RLE size [1000, -618] is not [height, width]", AT),
    Case("string_image_id", key_edit("annotation", "image_id", "9813"),
         "1 results write image_id as a string of digits", ""),
    Case("no_geometry", lambda data, image, annotation: annotation.pop("segmentation"),
         "result has neither segmentation nor bbox", "image {image}, result {annotation}"),
]


@pytest.mark.parametrize("case", RESULT_CASES, ids=str)
def test_results_bad_input(tmp_path, realdata, case):
    gt = CocoInstances(realdata / "fashionpedia" / "data" / "sample.json")
    results_file = realdata / "fashionpedia" / "data" / "fake_results.json"
    intact = read_results(results_file.read_bytes(), str(results_file), gt)
    expected_other = [instance.id for instance in intact.instances(10223, gt)]
    assert len(expected_other) == 6

    results = json.loads(results_file.read_text())
    wrapper = {"images": [{"id": 9813}], "annotations": results}
    values = write_case(case, wrapper, 9813, tmp_path / "unused.json", indent=2)
    path = tmp_path / "results.json"
    text, offset = serialize(wrapper["annotations"], indent=2)
    if case.cut is not None:
        text = case.cut(text)
    values.update(location(text, offset) if offset >= 0 else {})
    add_columns(values, text)
    path.write_bytes(text)

    read = read_results(path.read_bytes(), str(path), gt)
    problems = list(read.problems)
    if not case.file_fails:
        # Results get no ids of their own here, so the id in the file (16, 17, ...) names them.
        problems += [problem for instance in read.instances(9813, gt) for problem in instance.problems]
    message, record = case.message.format(**values), case.record.format(**values)
    assert problems_matching(problems, path, message, record), [str(problem) for problem in problems]
    if not case.file_fails:
        assert [instance.id for instance in read.instances(10223, gt)] == expected_other


# --- enormous files ---------------------------------------------------------------------------------

def test_indexed_sample_reads_only_its_spans(tmp_path, realdata, monkeypatch):
    """The index build maps the file instead of reading it whole, and showing an image reads only its spans.

    The file here is small; the test counts bytes read, so it holds for any size.
    """
    path = tmp_path / "annotations" / "modanet2018_instances_train.json"
    path.parent.mkdir()
    path.write_bytes((realdata / "modanet" / "annotations" / "modanet2018_instances_train.json").read_bytes())
    real_read_bytes, real_read_text, real_open = Path.read_bytes, Path.read_text, Path.open

    def checked_read_bytes(self):
        assert self.resolve() != path.resolve(), "the annotation file was read whole"
        return real_read_bytes(self)

    def checked_read_text(self, *args, **kwargs):
        assert self.resolve() != path.resolve(), "the annotation file was read whole"
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", checked_read_bytes)
    monkeypatch.setattr(Path, "read_text", checked_read_text)
    built = ModaNetDataset(tmp_path).open("train")
    assert built._store is not None
    assert [instance.id for instance in built.load_sample(3).instances] == ["55563", "55564"]

    read_sizes = []

    def counting_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if self == path.resolve():
            read = handle.read

            def counted_read(*read_args):
                chunk = read(*read_args)
                read_sizes.append(len(chunk))
                return chunk

            handle.read = counted_read
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    coco = ModaNetDataset(tmp_path).open("train")
    sample = coco.load_sample(3)
    assert [instance.id for instance in sample.instances] == ["55563", "55564"]
    assert read_sizes
    assert sum(read_sizes) < path.stat().st_size // 10


def test_annotation_location_same_on_both_paths(tmp_path, realdata, monkeypatch):
    """A malformed annotation deep in an indented file gets the same line and column from both paths."""
    data = json.loads((realdata / "fashionpedia" / "data" / "sample.json").read_text())
    put_raw(data["annotations"][3], "area", b"1 2")
    text, offset = serialize(data, indent=2)
    path = tmp_path / "sample.json"
    path.write_bytes(text)
    where = location(text, offset)
    expected = f"at line {where['line']}, column {where['column'] + 2}"

    indexed = CocoInstances(path)
    problems = indexed.load_sample(data["annotations"][3]["image_id"]).problems
    assert [problem for problem in problems if expected in problem.message]
    whole = CocoInstances(path, byte_index=False)
    assert expected in whole.load().problems[0].message
    assert where["line"] > 100


# --- pages ------------------------------------------------------------------------------------------------

def test_fashionpedia_page_broken_files(run_page, realdata, tmp_path, shown_text):
    """Invalid UTF-8 in one annotation and an empty second file: the page shows both faults and keeps drawing."""
    root = tmp_path / "fashionpedia"
    (root / "images").mkdir(parents=True)
    for image in (realdata / "fashionpedia" / "images").iterdir():
        (root / "images" / image.name).write_bytes(image.read_bytes())
    data = json.loads((realdata / "fashionpedia" / "data" / "sample.json").read_text())
    put_raw(data["annotations"][0], "note", b'"caf\xe9"')
    (root / "instances_attributes_train2020.json").write_bytes(serialize(data, indent=2)[0])
    (root / "instances_attributes_val2020.json").write_bytes(b"")

    app = run_page("fashionpedia", {"fashionpedia": root}, query={"sample": "9813"})
    assert not app.exception
    # Alerts escape Markdown, so the backslashes are removed before comparing.
    assert "is not valid UTF-8 (byte 0xe9" in shown_text(app).replace("\\", "")
    assert len(app.get("image")) == 1
    app.selectbox(key="fp_file").set_value("val").run()
    assert not app.exception
    assert "the file is empty (0 bytes)" in shown_text(app).replace("\\", "")


def test_box_index_reads_non_utf8_record(tmp_path, realdata, coco_path):
    """The box index parses a record with invalid UTF-8 as showing its image does, so its box mismatch is found."""
    data = json.loads((realdata / "fashionpedia" / "data" / "sample.json").read_text())
    target = data["annotations"][2]
    target["bbox"] = [0, 0, 5, 5]
    put_raw(target, "note", b'"caf\xe9"')
    path = tmp_path / "sample.json"
    path.write_bytes(serialize(data, indent=2)[0])

    boxes = CocoInstances(path).boxes()
    row = boxes[boxes.position == 2].iloc[0]
    assert row.differs == 1
    assert (row.file_x1, row.file_y1, row.file_x2, row.file_y2) == (0, 0, 5, 5)
    assert boxes.differs.sum() == 1

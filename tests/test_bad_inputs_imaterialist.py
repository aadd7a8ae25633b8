"""Broken iMaterialist files: each case breaks one thing in a copy of a demo or real file.

Every case checks that the problem message states what is wrong, that it names the file
and the record, and that the rest of the file or folder still loads. The 2018 split
files and train.csv are read both through the persistent index ("indexed") and without
it ("direct": the cache folder is not writable, so the loader parses the file itself).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from loaders.imaterialist import LabelRelease, MaskRelease, read_label_map
from loaders.model import Problem
from loaders.roots import DEMO_DIR

DEMO = DEMO_DIR / "imaterialist"
READ_PATHS = ("indexed", "direct")


def use_cache(monkeypatch, tmp_path: Path, read_path: str) -> None:
    """Point the index cache at a writable folder, or at one below a file so that no index can be written."""
    if read_path == "indexed":
        monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
        return
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(blocked / "cache"))


def find(problems: list[Problem], fragment: str) -> Problem:
    matches = [problem for problem in problems if fragment in problem.message]
    assert matches, f"no problem contains {fragment!r}; got {[str(problem) for problem in problems]}"
    return matches[0]


# ---------------------------------------------------------------- 2018 split files


def demo_2018(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("train.json", "validation.json", "iMat_fashion_2018_label_map_228.csv"):
        shutil.copy(DEMO / "2018" / name, folder / name)
    return folder


def edit_json(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    """Return a fault that loads a JSON file, applies ``change`` to it and writes it back with json.dumps."""

    def fault(data: bytes) -> bytes:
        document = json.loads(data)
        change(document)
        return json.dumps(document, indent=1).encode()

    return fault


def set_in(path: tuple, value: object) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def fault_line(data: bytes, marker: bytes) -> int:
    return data[:data.index(marker)].count(b"\n") + 1


# Image "3" is annotations[2] and images[2] in the demo train.json.
SPLIT_CASES = [
    # case id, fault, message fragment, record fragment, lost image ids ("all" = the whole file)
    ("malformed", lambda data: data.replace(b'"imageId": "3"', b'"imageId" "3"', 1),
     "invalid JSON at line", "", "all"),
    ("truncated", lambda data: data[:len(data) // 2], "invalid JSON at line", "", "all"),
    ("empty", lambda data: b"", "file is empty", "", "all"),
    ("non_utf8", lambda data: data.replace(b"train/3.jpg", b"train/\xff3.jpg", 1),
     "not valid UTF-8 at line", "", "all"),
    ("nan_literal", edit_json(set_in(("annotations", 2, "labelId"), [float("nan")])),
     "invalid JSON at line", "", "all"),
    ("infinity_literal", edit_json(set_in(("annotations", 2, "labelId"), [float("inf")])),
     "invalid JSON at line", "", "all"),
    ("top_level_list", lambda data: b"[]", 'top level is not an object with an "images" list', "", "all"),
    ("images_not_list", edit_json(set_in(("images",), {"imageId": "1"})),
     'top level is not an object with an "images" list', "", "all"),
    ("annotations_not_list", edit_json(set_in(("annotations",), "18")), '"annotations" is not a list', "",
     "labels"),
    ("label_id_string", edit_json(set_in(("annotations", 2, "labelId"), "18")),
     "no labelId list", "annotations[2]", {"3"}),
    ("label_id_dict", edit_json(set_in(("annotations", 2, "labelId"), [{"id": 18}, "53"])),
     "label ids are not integers", "imageId 3", {"3"}),
    ("label_id_nan_text", edit_json(set_in(("annotations", 2, "labelId"), ["NaN", "53"])),
     "label ids are not integers", "imageId 3", {"3"}),
    ("image_id_integer", edit_json(set_in(("images", 2, "imageId"), 3)),
     "imageIds in \"images\" are integers", "", set()),
    ("image_id_dict", edit_json(set_in(("images", 2, "imageId"), {"id": 3})),
     "image record has no imageId", "images[2]", {"3"}),
    ("url_number", edit_json(set_in(("images", 2, "url"), 17)), "url 17 is not a string", "imageId 3", set()),
]


@pytest.mark.parametrize("read_path", READ_PATHS)
@pytest.mark.parametrize(("case", "fault", "fragment", "record", "lost"), SPLIT_CASES,
                         ids=[case[0] for case in SPLIT_CASES])
def test_2018_split_file(tmp_path, monkeypatch, read_path, case, fault, fragment, record, lost):
    use_cache(monkeypatch, tmp_path, read_path)
    reference = LabelRelease(demo_2018(tmp_path / "reference"))
    broken_folder = demo_2018(tmp_path / "broken")
    source = broken_folder / "train.json"
    original = source.read_bytes()
    source.write_bytes(fault(original))
    broken = LabelRelease(broken_folder)

    problem = find(broken.index("train").problems, fragment)
    assert problem.file == str(source)
    assert record in problem.record
    if case in ("malformed", "non_utf8"):
        marker = b"train/3.jpg" if case == "non_utf8" else b'"imageId": "3"'
        assert f"line {fault_line(original, marker)}," in problem.message

    # The other split file of the folder always loads with its labels.
    for image_id in reference.sample_ids("validation"):
        assert broken.load_sample("validation", image_id).labels == reference.load_sample("validation",
                                                                                          image_id).labels
    if lost == "all":
        assert broken.sample_ids("train") == []
        return
    kept = [image_id for image_id in reference.sample_ids("train") if image_id not in lost]
    assert [image_id for image_id in broken.sample_ids("train") if image_id not in lost] == kept
    for image_id in kept:
        sample = broken.load_sample("train", image_id)
        expected = reference.load_sample("train", image_id)
        assert sample.labels == ({} if lost == "labels" else expected.labels), image_id
        assert sample.fields["url"] == (expected.fields["url"] if case != "url_number" or image_id != "3" else "")


def test_2018_index_serves_samples_without_rereading(tmp_path, monkeypatch):
    """The split file is parsed whole once (orjson has no streaming) and samples then come from the index.

    The file's bytes are replaced after the index is built, keeping its size and modification
    time, so a sample that still shows its labels was read from the index, not the file.
    """
    use_cache(monkeypatch, tmp_path, "indexed")
    folder = demo_2018(tmp_path / "2018")
    expected = LabelRelease(folder).load_sample("train", "3").labels
    source = folder / "train.json"
    stat = source.stat()
    source.write_bytes(b" " * stat.st_size)
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reread = LabelRelease(folder)
    assert reread.load_sample("train", "3").labels == expected
    assert reread.index("train").problems == []


# ---------------------------------------------------------------- 2018 label map


def replace_row(line: int, text: bytes) -> Callable[[bytes], bytes]:
    def fault(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[line - 1] = text
        return b"\n".join(lines)

    return fault


LABEL_MAP_CASES = [
    # case id, fault, message fragment, record, labels left
    ("id_not_number", replace_row(3, b"two,9,Asymmetric,style"), "row is not labelId,taskId,labelName,taskName",
     "line 3", 227),
    ("id_nan", replace_row(3, b"NaN,9,Asymmetric,style"), "row is not labelId,taskId,labelName,taskName",
     "line 3", 227),
    ("missing_cells", replace_row(3, b"2,9"), "row is not labelId,taskId,labelName,taskName", "line 3", 227),
    ("non_utf8", replace_row(3, b"2,9,Asym\xffmetric,style"), "not valid UTF-8", "line 3", 228),
    ("empty", lambda data: b"", "label map has no valid rows", "", 228),
]


@pytest.mark.parametrize(("case", "fault", "fragment", "record", "left"), LABEL_MAP_CASES,
                         ids=[case[0] for case in LABEL_MAP_CASES])
def test_2018_label_map(tmp_path, realdata, case, fault, fragment, record, left):
    source = tmp_path / "iMat_fashion_2018_label_map_228.csv"
    source.write_bytes(fault((realdata / "imaterialist" / "2018" / source.name).read_bytes()))
    label_map = read_label_map(tmp_path)

    problem = find(label_map.problems, fragment)
    assert problem.file == str(source)
    assert problem.record == record
    assert len(label_map.labels) == left
    assert label_map.labels[62] == ("Dresses", "category")
    if case == "non_utf8":
        assert label_map.labels[2] == ("Asym\ufffdmetric", "style")


# ---------------------------------------------------------------- 2019 / 2020 train.csv


def demo_masks(folder: Path, year: str) -> Path:
    folder.mkdir(parents=True)
    for name in ("train.csv", "label_descriptions.json"):
        shutil.copy(DEMO / year / name, folder / name)
    return folder


def edit_cell(column: str, change: Callable[[str], str], line: int = 6) -> Callable[[bytes], bytes]:
    """Return a fault that rewrites one cell of train.csv (``line`` counts the header as line 1)."""

    def fault(data: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
        position = rows[0].index(column)
        rows[line - 1][position] = change(rows[line - 1][position])
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()

    return fault


def first_run(value: str) -> Callable[[str], str]:
    return lambda pixels: " ".join([value, *pixels.split()[1:]])


def insert_after_comma(data: bytes, line: int, text: bytes) -> bytes:
    """Return train.csv with ``text`` inserted at the start of the second cell of ``line``."""
    lines = data.split(b"\n")
    comma = lines[line - 1].index(b",") + 1
    lines[line - 1] = lines[line - 1][:comma] + text + lines[line - 1][comma:]
    return b"\n".join(lines)


def cut_last_row(data: bytes) -> bytes:
    start = data.rstrip(b"\n").rindex(b"\n") + 1
    return data[:start + 60]


MASK_CASES = [
    # case id, years, fault, message fragment, line of the broken row (0: the whole file)
    ("pixels_odd_count", ("2019", "2020"), edit_cell("EncodedPixels", lambda pixels: pixels + " 7"),
     "odd number of values", 6),
    ("pixels_negative", ("2019", "2020"), edit_cell("EncodedPixels", first_run("-40")), "runs start outside", 6),
    ("pixels_nan", ("2019", "2020"), edit_cell("EncodedPixels", first_run("NaN")), "not an integer", 6),
    ("pixels_infinity", ("2020",), edit_cell("EncodedPixels", first_run("inf")), "not an integer", 6),
    ("pixels_non_utf8", ("2019", "2020"), lambda data: insert_after_comma(data, 6, b"\xff"), "not valid UTF-8", 6),
    ("height_negative", ("2019", "2020"), edit_cell("Height", lambda _: "-480"), "are not positive integers", 6),
    ("width_text", ("2019", "2020"), edit_cell("Width", lambda _: "wide"), "are not positive integers", 6),
    ("height_nan", ("2020",), edit_cell("Height", lambda _: "NaN"), "are not positive integers", 6),
    ("class_unknown", ("2019", "2020"), edit_cell("ClassId", lambda _: "99"), "category id 99 is not in", 6),
    ("class_text", ("2019", "2020"), edit_cell("ClassId", lambda _: "shirt"), "is not a list of integers", 6),
    ("attributes_text", ("2020",), edit_cell("AttributesIds", lambda _: "115,abc"), "is not a list of integers",
     6),
    ("attributes_unknown", ("2020",), edit_cell("AttributesIds", lambda _: "115,9999"),
     "attribute ids [9999] are not in", 6),
    ("image_id_empty", ("2020",), edit_cell("ImageId", lambda _: ""), "row has no ImageId", 6),
    ("truncated", ("2019", "2020"), cut_last_row, "the line is cut short", 16),
    ("empty", ("2020",), lambda data: b"", "header has no column", 0),
    ("header_without_class", ("2019",), lambda data: data.replace(b",ClassId", b",Class", 1),
     "header has no column ClassId", 0),
]
MASK_PARAMETERS = [(case, year, fault, fragment, line) for case, years, fault, fragment, line in MASK_CASES
                   for year in years]


def mask_problems(reader: MaskRelease) -> list[Problem]:
    problems = list(reader.problems)
    for image_id in reader.sample_ids("train"):
        problems.extend(reader.load_sample("train", image_id).problems)
    return problems


def instance_masks(reader: MaskRelease) -> dict[int, dict | None]:
    """Return the RLE of every train.csv row by line number."""
    masks = {}
    for image_id in reader.sample_ids("train"):
        for instance in reader.load_sample("train", image_id).instances:
            masks[instance.fields["line"]] = instance.rle
    return masks


@pytest.mark.parametrize("read_path", READ_PATHS)
@pytest.mark.parametrize(("case", "year", "fault", "fragment", "line"), MASK_PARAMETERS,
                         ids=[f"{case}-{year}" for case, year, *_ in MASK_PARAMETERS])
def test_masks_train_csv(tmp_path, monkeypatch, read_path, case, year, fault, fragment, line):
    use_cache(monkeypatch, tmp_path, read_path)
    reference = MaskRelease(demo_masks(tmp_path / "reference", year))
    broken_folder = demo_masks(tmp_path / "broken", year)
    source = broken_folder / "train.csv"
    source.write_bytes(fault(source.read_bytes()))
    broken = MaskRelease(broken_folder)

    problem = find(mask_problems(broken), fragment)
    assert problem.file == str(source)
    assert (f"line {line}" in problem.record) if line else problem.record in ("", "line 1")
    assert broken.labels.problems == []

    expected = instance_masks(reference)
    if not line:
        assert broken.sample_ids("train") == []
        assert broken.load_sample("train", reference.sample_ids("train")[0]).instances == []
        return
    masks = instance_masks(broken)
    for other_line, rle in expected.items():
        if other_line != line:
            assert masks[other_line] == rle, f"line {other_line}"


def test_masks_sample_reads_only_its_rows(tmp_path, monkeypatch):
    """train.csv is scanned line by line into byte ranges, and a sample then reads only its own rows.

    Every row of the other images is overwritten after the index is built, keeping the file's
    size and modification time, and the sample still decodes all of its masks.
    """
    use_cache(monkeypatch, tmp_path, "indexed")
    folder = demo_masks(tmp_path / "2020", "2020")
    reader = MaskRelease(folder)
    first = reader.sample_ids("train")[0]
    expected = [instance.rle for instance in reader.load_sample("train", first).instances]
    own_lines = {instance.fields["line"] for instance in reader.load_sample("train", first).instances}
    source = folder / "train.csv"
    stat = source.stat()
    lines = source.read_bytes().split(b"\n")
    for number in range(2, len(lines) + 1):
        if number not in own_lines and lines[number - 1]:
            lines[number - 1] = b"#" * len(lines[number - 1])
    source.write_bytes(b"\n".join(lines))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    reread = MaskRelease(folder)
    assert [instance.rle for instance in reread.load_sample("train", first).instances] == expected
    assert len(expected) == len(own_lines) > 1


# ---------------------------------------------------------------- 2019 / 2020 label_descriptions.json


DESCRIPTION_CASES = [
    # case id, fault, message fragment, record, category 3 name afterwards
    ("malformed", lambda data: data.replace(b'"name": "cardigan"', b'"name" "cardigan"', 1),
     "could not be read (invalid JSON at line", "", "cardigan"),
    ("truncated", lambda data: data[:len(data) // 3], "could not be read (invalid JSON at line", "", "cardigan"),
    ("empty", lambda data: b"", "could not be read (file is empty", "", "cardigan"),
    ("non_utf8", lambda data: data.replace(b'"cardigan"', b'"card\xffigan"', 1), "not valid UTF-8 at line", "",
     "cardigan"),
    ("nan_literal", edit_json(set_in(("categories", 3, "level"), float("nan"))),
     "could not be read (invalid JSON at line", "", "cardigan"),
    ("id_string", edit_json(set_in(("categories", 3, "id"), "3")), "is a string, not an integer",
     "categories[3]", "cardigan"),
    ("id_dict", edit_json(set_in(("categories", 3, "id"), {"id": 3})), "entry has no integer id",
     "categories[3]", "category 3"),
    ("categories_not_list", edit_json(set_in(("categories",), {"id": 3})), 'no "categories" list', "",
     "category 3"),
    ("top_level_list", lambda data: b"[]", 'no "categories" list', "", "category 3"),
]


@pytest.mark.parametrize(("case", "fault", "fragment", "record", "name"), DESCRIPTION_CASES,
                         ids=[case[0] for case in DESCRIPTION_CASES])
def test_masks_label_descriptions(tmp_path, case, fault, fragment, record, name):
    reference = MaskRelease(demo_masks(tmp_path / "reference", "2020"))
    folder = demo_masks(tmp_path / "broken", "2020")
    source = folder / "label_descriptions.json"
    source.write_bytes(fault(source.read_bytes()))
    broken = MaskRelease(folder)

    problem = find(broken.labels.problems, fragment)
    assert problem.file == str(source)
    assert problem.record == record
    assert broken.labels.category_name(3) == name
    # The masks of train.csv do not depend on the names, so every sample keeps its instances.
    assert instance_masks(broken) == instance_masks(reference)

"""iMaterialist readers on the real 2018/2019/2020 files, on hand-made bad inputs, and EncodedPixels decoding."""

import json
import shutil

import numpy as np
import pytest

from loaders.imaterialist import (
    LabelRelease,
    MaskRelease,
    encoded_pixels_to_rle,
    find_releases,
    read_label_map,
    split_class_id,
)
from render.masks import full_mask

MASK_HEADER_2019 = "ImageId,EncodedPixels,Height,Width,ClassId\n"
MASK_HEADER_2020 = "ImageId,EncodedPixels,Height,Width,ClassId,AttributesIds\n"


def encode_column_major(mask: np.ndarray) -> str:
    """Encode a mask as Kaggle does, written independently of the project: walk each column top to bottom."""
    height, width = mask.shape
    pairs = []
    number = 0  # 0-based position in column-major order
    run_start = None
    for column in range(width):
        for row in range(height):
            if mask[row, column] and run_start is None:
                run_start = number
            elif not mask[row, column] and run_start is not None:
                pairs.append(f"{run_start + 1} {number - run_start}")
                run_start = None
            number += 1
    if run_start is not None:
        pairs.append(f"{run_start + 1} {number - run_start}")
    return " ".join(pairs)


def decode_without_minus_one(text: str, height: int, width: int) -> np.ndarray:
    values = [int(value) for value in text.split()]
    flat = np.zeros(height * width + 1, dtype=bool)
    for start, length in zip(values[0::2], values[1::2]):
        flat[start:start + length] = True
    return flat[:height * width].reshape(width, height).T


def decode_row_major(text: str, height: int, width: int) -> np.ndarray:
    values = [int(value) for value in text.split()]
    flat = np.zeros(height * width, dtype=bool)
    for start, length in zip(values[0::2], values[1::2]):
        flat[start - 1:start - 1 + length] = True
    return flat.reshape(height, width)


def sample_mask(height: int = 23, width: int = 17) -> np.ndarray:
    """Return an asymmetric mask with runs that touch the first and last row of their columns."""
    mask = np.zeros((height, width), dtype=bool)
    mask[0:5, 2] = True  # starts at pixel 1 of a column: the -1 matters here
    mask[3:11, 4:9] = True
    mask[18:23, 12] = True  # ends on the last row of its column
    mask[7, 14:16] = True
    mask[22, 16] = True  # the very last pixel of the image
    return mask


def write_mask_release(folder, header: str, rows: list[str], label_source=None) -> MaskRelease:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.csv").write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    if label_source is not None:
        shutil.copy(label_source, folder / "label_descriptions.json")
    return MaskRelease(folder)


# ---------------------------------------------------------------- EncodedPixels


def test_encoded_pixels_round_trip():
    mask = sample_mask()
    text = encode_column_major(mask)
    assert text.startswith("47 5 ")  # column 2, row 0: 2 * 23 + 0 + 1
    rle, issues = encoded_pixels_to_rle(text, *mask.shape)
    assert issues == []
    from pycocotools import mask as mask_utils

    decoded = mask_utils.decode(rle).astype(bool)
    assert decoded.shape == mask.shape
    assert np.array_equal(decoded, mask)


def test_wrong_decoders_fail_the_same_check():
    mask = sample_mask()
    text = encode_column_major(mask)
    assert not np.array_equal(decode_without_minus_one(text, *mask.shape), mask)
    assert not np.array_equal(decode_row_major(text, *mask.shape), mask)


def test_encoded_pixels_row_through_reader(tmp_path):
    mask = sample_mask(40, 31)
    release = write_mask_release(tmp_path / "2019", MASK_HEADER_2019,
                                 [f"abc.jpg,{encode_column_major(mask)},40,31,6_33_87"])
    sample = release.load_sample("train", "abc.jpg")
    (instance,) = sample.instances
    assert instance.problems == []
    assert np.array_equal(full_mask(instance, 40, 31), mask)
    rows, columns = np.nonzero(mask)
    assert instance.bbox.tolist() == [columns.min(), rows.min(), columns.max() + 1, rows.max() + 1]
    assert instance.fields["area"] == int(mask.sum())


def test_real_printed_runs_are_column_major():
    # The first four whole pairs of a real 2019 row (ImageId 00000663ed1ff0c4e0132b9b9ac53f6e.jpg, 5214 x 3676).
    height, width = 5214, 3676
    rle, issues = encoded_pixels_to_rle("6068157 7 6073371 20 6078584 34 6083797 48", height, width)
    assert issues == []
    from pycocotools import mask as mask_utils

    decoded = mask_utils.decode(rle).astype(bool)
    # Pixel 6068157 is column 1163, row 4274 (0-based): consecutive runs go down neighbouring columns.
    assert decoded[4274:4281, 1163].all()
    assert not decoded[4273, 1163]
    assert not decoded[4281, 1163]
    assert decoded[4274:4294, 1164].all()
    assert not decoded[4294, 1164]
    assert decoded[:, 1163:1167].sum() == 7 + 20 + 34 + 48
    assert decoded.sum() == 7 + 20 + 34 + 48


@pytest.mark.parametrize(("text", "expected"), [
    ("1 3 2", "odd number of values (3)"),
    ("1 x", "not an integer"),
    ("", "EncodedPixels is empty"),
    ("0 3", "start outside 1..20"),
    ("5 0", "length below 1"),
    ("18 10", "end past pixel 20"),
    ("10 2 1 3", "not in increasing order"),
    ("1 5 3 4", "runs overlap"),
])
def test_encoded_pixels_bad_input(text, expected):
    rle, issues = encoded_pixels_to_rle(text, 4, 5)
    assert any(expected in issue for issue in issues), issues


def test_encoded_pixels_fixes_are_exact():
    from pycocotools import mask as mask_utils

    rle, _ = encoded_pixels_to_rle("10 2 1 3 2 3 18 10", 4, 5)
    flat = mask_utils.decode(rle).astype(bool).flatten(order="F")
    assert np.flatnonzero(flat).tolist() == [0, 1, 2, 3, 9, 10, 17, 18, 19]


# ---------------------------------------------------------------- 2019 / 2020 train.csv


def test_real_2019_header_only(realdata):
    release = MaskRelease(realdata / "imaterialist" / "2019")
    assert release.year == "2019"
    assert release.splits() == ["train"]
    assert release.sample_ids("train") == []
    messages = [str(problem) for problem in release.problems]
    assert messages == [f"{realdata / 'imaterialist' / '2019' / 'train.csv'}: contains only its header: "
                        "no annotation rows."]


def test_real_label_descriptions_by_year(realdata):
    table_2019 = MaskRelease(realdata / "imaterialist" / "2019").labels
    assert len(table_2019.categories) == 46
    assert len(table_2019.attributes) == 92
    assert table_2019.category_name(6) == "pants"
    assert table_2019.attribute_name(0) == "above-the-hip (length)"
    assert table_2019.attribute_name(91) == "no waistline"

    release_2020 = MaskRelease(realdata / "imaterialist" / "2020")
    table_2020 = release_2020.labels
    assert release_2020.year == "2020"
    assert len(table_2020.attributes) == 294
    assert table_2020.attribute_name(0) == "classic (t-shirt)"
    assert table_2020.attribute_name(340) == table_2020.attributes[340]["name"]
    assert not {*range(235, 281), 284} & set(table_2020.attributes)
    assert table_2020.attribute_name(235) == "attribute 235"
    assert release_2020.splits() == []
    assert "train.csv: not found" in str(release_2020.problems[0])


def test_class_id_forms():
    assert split_class_id({"ClassId": "6"}) == (6, [])
    assert split_class_id({"ClassId": "6_28_95"}) == (6, [28, 95])
    assert split_class_id({"ClassId": "32", "AttributesIds": ""}) == (32, [])
    assert split_class_id({"ClassId": "10", "AttributesIds": "115,136,317"}) == (10, [115, 136, 317])
    with pytest.raises(ValueError):
        split_class_id({"ClassId": "six"})


def test_2019_rows_named_from_their_year(tmp_path, realdata):
    mask = sample_mask()
    text = encode_column_major(mask)
    release = write_mask_release(tmp_path / "2019", MASK_HEADER_2019,
                                 [f"a.jpg,{text},23,17,6_33_87", f"a.jpg,{text},23,17,32", f"b.jpg,{text},23,17,10_95"],
                                 realdata / "imaterialist" / "2019" / "label_descriptions.json")
    assert release.year == "2019"
    assert release.sample_ids("train") == ["a.jpg", "b.jpg"]
    first, pocket = release.load_sample("train", "a.jpg").instances
    assert (first.category_id, first.category_name, first.group) == (6, "pants", "lowerbody")
    assert first.attribute_ids == [33, 87]
    assert first.attributes == ["straight", "high waist"]
    assert first.fields["line"] == 2
    assert (pocket.category_name, pocket.attributes) == ("pocket", [])
    (dress,) = release.load_sample("train", "b.jpg").instances
    assert dress.attributes == ["attribute 95"]
    assert "attribute ids [95] are not in" in dress.problems[0].message
    assert dress.problems[0].record == "line 4, ImageId b.jpg"
    assert release.filter_ids([32]) == ["a.jpg"]
    assert release.filter_ids([], [87]) == ["a.jpg"]
    assert release.filter_ids([10, 6], []) == ["a.jpg", "b.jpg"]


def test_2020_attributes_column(tmp_path, realdata):
    text = encode_column_major(sample_mask())
    release = write_mask_release(tmp_path / "2020", MASK_HEADER_2020,
                                 [f'x,{text},23,17,10,"115,136,317"', f"x,{text},23,17,31,"],
                                 realdata / "imaterialist" / "2020" / "label_descriptions.json")
    assert release.year == "2020"
    dress, sleeve = release.load_sample("train", "x").instances
    assert dress.attributes == ["symmetrical", "regular (fit)", "plain (pattern)"]
    assert (sleeve.category_name, sleeve.attribute_ids) == ("sleeve", [])
    assert release.load_sample("train", "x").image.path == tmp_path / "2020" / "train" / "x.jpg"


def test_bad_rows_reported_rest_decoded(tmp_path):
    text = encode_column_major(sample_mask())
    release = write_mask_release(tmp_path / "2019", MASK_HEADER_2019, [
        f"a.jpg,{text},23,17,6",
        "a.jpg,1 2 3,23,17,6",
        "a.jpg,1 4,0,17,6",
        f"a.jpg,{text},23,17,shirt",
    ])
    sample = release.load_sample("train", "a.jpg")
    assert len(sample.instances) == 4
    assert sample.instances[0].rle is not None and not sample.instances[0].problems
    messages = [(problem.record, problem.message) for problem in sample.problems]
    assert ("line 3, ImageId a.jpg", "EncodedPixels has an odd number of values (3); the last one was ignored.") \
        in messages
    assert any(record == "line 4, ImageId a.jpg" and "Height '0'" in message for record, message in messages)
    assert any(record == "line 5, ImageId a.jpg" and "ClassId 'shirt'" in message for record, message in messages)
    assert sample.instances[3].rle is not None


def test_csv_without_required_columns(tmp_path):
    release = write_mask_release(tmp_path / "x", "ImageId,Pixels\n", ["a.jpg,1 2"])
    assert release.sample_ids("train") == []
    (problem,) = [problem for problem in release.problems if problem.severity == "error"]
    assert problem.message == "header has no column EncodedPixels, Height, Width, ClassId."
    assert problem.file.endswith("train.csv")


def test_mask_size_differs_from_image(tmp_path):
    import cv2

    text = encode_column_major(sample_mask())
    release = write_mask_release(tmp_path / "2019", MASK_HEADER_2019, [f"a.jpg,{text},23,17,6"])
    (tmp_path / "2019" / "train").mkdir()
    cv2.imwrite(str(tmp_path / "2019" / "train" / "a.jpg"), np.zeros((30, 17, 3), dtype=np.uint8))
    sample = release.load_sample("train", "a.jpg")
    assert "masks are 17x23 but a.jpg is 17x30 pixels" in sample.problems[0].message


# ---------------------------------------------------------------- 2018 labels


def test_real_2018_missing_json(realdata):
    release = LabelRelease(realdata / "imaterialist" / "2018")
    assert release.splits() == ["missing"]
    index = release.index("missing")
    assert len(index.image_ids) == 12753
    assert index.image_ids[0] == "35"
    assert max(int(value) for value in index.image_ids) == 976483
    assert not index.annotated
    assert index.problems == []
    sample = release.load_sample("missing", "35")
    assert sample.image.path is None
    assert sample.image.url == "https://contestimg.wish.com/api/webimage/5494fceff88ca01004df3b80-large"
    assert sample.labels == {}
    assert release.label_counts("missing").images.sum() == 0


def test_real_label_map(realdata):
    label_map = read_label_map(realdata / "imaterialist" / "2018")
    assert len(label_map.labels) == 228
    assert label_map.tasks == {1: "category", 2: "color", 3: "gender", 4: "material", 5: "neckline",
                               6: "pattern", 8: "sleeve", 9: "style"}
    assert label_map.labels[62] == ("Dresses", "category")
    assert label_map.labels[89] == ("Hosiery, Stockings, Tights", "category")
    assert label_map.problems == []


def write_label_release(folder, realdata, documents: dict) -> LabelRelease:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(realdata / "imaterialist" / "2018" / "iMat_fashion_2018_label_map_228.csv", folder)
    for name, document in documents.items():
        text = document if isinstance(document, str) else json.dumps(document)
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
    return LabelRelease(folder)


EXAMPLE_LABELS = ["62", "17", "66", "214", "105", "137", "85"]
EXAMPLE_GROUPS = {"category": ["Dresses"], "color": ["Black"], "gender": ["Female"], "material": ["Polyester"],
                  "neckline": ["V-Necks"], "sleeve": ["Long Sleeved"], "style": ["Hi-Lo"]}


def test_labels_grouped_by_task_both_spellings(tmp_path, realdata):
    kaggle = {"images": [{"url": "http://127.0.0.1/1", "imageId": "1"}, {"url": "http://127.0.0.1/2", "imageId": "2"}],
              "annotations": [{"labelId": EXAMPLE_LABELS, "imageId": "1"}, {"labelId": ["17"], "imageId": "2"}]}
    readme = {"images": [{"url": "http://127.0.0.1/1", "image_id": 1}],
              "annotations": [{"label_id": [int(value) for value in EXAMPLE_LABELS], "image_id": 1}]}
    release = write_label_release(tmp_path / "2018", realdata, {"train": kaggle, "validation": readme})
    assert release.splits() == ["train", "validation"]
    for split in ("train", "validation"):
        assert release.sample_ids(split)[0] == "1"
        sample = release.load_sample(split, "1")
        assert sample.labels == EXAMPLE_GROUPS
        assert list(sample.labels) == ["category", "color", "gender", "material", "neckline", "sleeve", "style"]
        assert sample.problems == []
    assert release.filter_ids("train", [17]) == ["1", "2"]
    assert release.filter_ids("train", [17, 62]) == ["1"]
    assert release.filter_ids("train", [62, 999], require_all=False) == ["1"]
    counts = release.label_counts("train").set_index("label_id")
    assert counts.loc[17, "images"] == 2
    assert counts.loc[62, "images"] == 1
    assert counts.loc[1, "images"] == 0


def test_annotations_out_of_order_and_unknown(tmp_path, realdata):
    document = {"images": [{"url": "u1", "imageId": "1"}, {"url": "u2", "imageId": "2"}],
                "annotations": [{"labelId": ["17"], "imageId": "2"}, {"labelId": ["62"], "imageId": "9"},
                                {"labelId": "62", "imageId": "1"}, {"labelId": ["x", "66"], "imageId": "1"}]}
    release = write_label_release(tmp_path / "2018", realdata, {"train": document})
    assert release.load_sample("train", "2").labels == {"color": ["Black"]}
    assert release.load_sample("train", "1").labels == {"gender": ["Female"]}
    messages = [(problem.record, problem.message) for problem in release.index("train").problems]
    assert ("imageId 9", 'annotation for an image that is not in "images".') in messages
    assert ("annotations[2]", "annotation has no imageId or no labelId list; skipped.") in messages
    assert any("1 label ids are not integers (first: ['x'])" in message for _, message in messages)


def test_broken_split_file_keeps_others(tmp_path, realdata):
    good = {"images": [{"url": "u", "imageId": "5"}], "annotations": [{"labelId": ["999"], "imageId": "5"}]}
    release = write_label_release(tmp_path / "2018", realdata, {"train": '{"images": [', "validation": good})
    (problem,) = release.index("train").problems
    assert problem.file.endswith("train.json")
    assert problem.message.startswith("invalid JSON at line 1")
    assert release.sample_ids("train") == []
    sample = release.load_sample("validation", "5")
    assert sample.labels == {"unknown": ["label 999"]}
    assert "label ids [999] are not in the label map" in sample.problems[0].message


def test_label_map_fallback(tmp_path):
    (tmp_path / "train.json").write_text('{"images": []}', encoding="utf-8")
    release = LabelRelease(tmp_path)
    assert len(release.label_map.labels) == 228
    assert "using the built-in 228-label map" in release.problems[0].message


def test_image_found_in_split_folder(tmp_path, realdata):
    document = {"images": [{"url": "u", "imageId": "7"}, {"url": "v", "imageId": "8"}]}
    release = write_label_release(tmp_path / "2018", realdata, {"test": document})
    (tmp_path / "2018" / "test").mkdir()
    (tmp_path / "2018" / "test" / "7.jpg").write_bytes(b"")
    assert release.load_sample("test", "7").image.path == tmp_path / "2018" / "test" / "7.jpg"
    assert release.load_sample("test", "8").image.path is None


# ---------------------------------------------------------------- release detection and demo data


def test_real_root_releases(realdata):
    releases = find_releases(realdata / "imaterialist")
    assert [(release.name, release.kind) for release in releases] == [
        ("2018", "labels"), ("2019", "masks"), ("2020", "masks"), ("2020_unverified", "masks")]
    unverified = MaskRelease(releases[3].path)
    assert unverified.splits() == ["images"]
    assert unverified.sample_ids("images") == ["003b3e4579833df109d330773418fd65", "008324a52c5910d338807fb785ebaa0a"]
    assert unverified.load_sample("images", "003b3e4579833df109d330773418fd65").image.path.is_file()


def test_single_release_root(tmp_path):
    (tmp_path / "train.csv").write_text(MASK_HEADER_2020, encoding="utf-8")
    (tmp_path / "train").mkdir()
    assert [(release.name, release.kind) for release in find_releases(tmp_path)] == [(".", "masks")]


def test_demo_matches_generator(tmp_path):
    from assets.demo_gen import imaterialist as generator
    from loaders.roots import DEMO_DIR

    generator.generate(tmp_path)
    committed = DEMO_DIR / generator.FOLDER
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert written == sorted(path.relative_to(committed) for path in committed.rglob("*") if path.is_file())
    for name in written:
        if name.suffix != ".jpg":
            assert (tmp_path / name).read_bytes() == (committed / name).read_bytes(), name


def test_demo_masks_match_painted_garments():
    from loaders.images import read_image
    from loaders.roots import DEMO_DIR

    release = MaskRelease(DEMO_DIR / "imaterialist" / "2020")
    sample = release.load_sample("train", release.sample_ids("train")[0])
    pixels = read_image(sample.image).pixels
    assert pixels.shape[:2] == (sample.height, sample.width) == (480, 360)
    trousers = full_mask(sample.instances[0], 480, 360)
    background = ~np.any([full_mask(instance, 480, 360) for instance in sample.instances], axis=0)
    # Inside a mask the painted garment differs from the plain gradient behind it.
    inside = pixels[trousers].astype(int)
    outside_rows = pixels[background].astype(int)
    assert abs(inside.mean(axis=0) - outside_rows.mean(axis=0)).max() > 20

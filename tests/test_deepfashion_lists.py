"""DeepFashion list readers: count and header lines, attribute names with spaces, landmark rows, attributes."""

import math

import numpy as np
import pytest

from loaders.deepfashion import LandmarkTable
from loaders.deepfashion_lists import (
    LineIndex,
    positive_attributes,
    read_head,
    read_list,
    read_name_type_list,
    split_landmark_row,
    triplets_to_keypoints,
)
from loaders.model import Visibility

PAD = " " * 40


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_head_with_count_and_header(tmp_path):
    path = write(tmp_path / "list_bbox.txt", f"1\nimage_name  x_1  y_1  x_2  y_2\nimg/a.jpg{PAD}001 002 003 004\n")
    assert read_head(path) == (1, ["image_name", "x_1", "y_1", "x_2", "y_2"], 2)


def test_head_count_without_header(tmp_path):
    path = write(tmp_path / "list_item_inshop.txt", "2\nid_00000001\nid_00000002\n")
    assert read_head(path) == (2, [], 1)


def test_head_without_count(tmp_path):
    path = write(tmp_path / "train_cate.txt", "3\n18\n")
    # A lone number on line 1 followed by data is read as a count line; plain files start with data.
    assert read_head(write(tmp_path / "train.txt", "img/a.jpg\nimg/b.jpg\n")) == (None, [], 0)
    assert read_head(path)[0] == 3


def test_read_list_counts_rows_and_warns(tmp_path):
    path = write(tmp_path / "list_bbox.txt",
                 f"3\nimage_name  x_1  y_1  x_2  y_2\nimg/a.jpg{PAD}001 002 030 040\nimg/b.jpg  005 006 070 080\n")
    listing = read_list(path, 5)
    assert len(listing.frame) == 2
    assert listing.frame[0].tolist() == ["img/a.jpg", "img/b.jpg"]
    assert listing.frame.iloc[1, 1:].tolist() == [5, 6, 70, 80]
    assert listing.first_row_line == 3
    assert len(listing.problems) == 1
    assert "count line says 3 rows, but the file has 2" in listing.problems[0].message


def test_attribute_names_with_spaces(tmp_path):
    path = write(tmp_path / "list_attr_cloth.txt",
                 "3\nattribute_name  attribute_type\n"
                 "abstract chevron print                     1\nfloral                  1\nfaux leather  2\n")
    entries, problems = read_name_type_list(path)
    assert entries == [("abstract chevron print", 1), ("floral", 1), ("faux leather", 2)]
    assert problems == []


def test_attribute_name_without_type(tmp_path):
    path = write(tmp_path / "list_attr_cloth.txt", "2\nattribute_name  attribute_type\nfloral  1\nlace\n")
    entries, problems = read_name_type_list(path)
    assert entries[1] == ("lace", None)
    assert problems[0].record == "line 4"


def test_landmark_row_without_variation():
    values = np.array([1, 0, 146, 102, 0, 173, 95, 0, 94, 242, 0, 205, 255, 0, 136, 229, 0, 177, 232], dtype=float)
    clothes_type, variation, triplets = split_landmark_row(values)
    assert clothes_type == 1
    assert variation is None
    assert len(triplets) == 18


def test_landmark_row_with_variation():
    values = np.array([3, 2] + [0, 10, 20] * 8, dtype=float)
    clothes_type, variation, triplets = split_landmark_row(values)
    assert (clothes_type, variation, len(triplets)) == (3, 2, 24)


def test_landmark_row_that_fits_neither():
    assert split_landmark_row(np.array([1, 1, 0, 10, 20, 0], dtype=float)) == (None, None, None)


def test_landmark_row_with_forced_layout():
    values = np.array([2, 0, 10, 20, 1, 30, 40], dtype=float)
    assert split_landmark_row(values, has_variation=True) == (None, None, None)
    assert split_landmark_row(values, has_variation=False)[0] == 2


def test_visibility_codes_map_to_model():
    points, unknown = triplets_to_keypoints([0, 10, 20, 1, 30, 40, 2, 0, 0, 2, 50, 60, 7, 1, 1])
    assert points[:, 2].tolist() == [Visibility.VISIBLE, Visibility.OCCLUDED, Visibility.TRUNCATED,
                                     Visibility.TRUNCATED, Visibility.NOT_LABELLED]
    assert points[0, :2].tolist() == [10, 20]
    assert points[1, :2].tolist() == [30, 40]
    # Truncated and written 000 000: no position.
    assert math.isnan(points[2, 0])
    assert math.isnan(points[2, 1])
    # Truncated with a position keeps it.
    assert points[3, :2].tolist() == [50, 60]
    assert math.isnan(points[4, 0])
    assert unknown == [7]


def test_landmark_table_mixed_rows(tmp_path):
    path = write(tmp_path / "list_landmarks.txt",
                 "4\nimage_name  clothes_type  variation_type\n"
                 f"img/a.jpg{PAD}2  0 010 020  1 030 040  0 050 060  2 000 000\n"
                 f"img/b.jpg{PAD}2  4  0 011 021  0 031 041  0 051 061  0 071 081\n"
                 f"img/c.jpg{PAD}2  0 010 020  1 030\n"
                 f"img/d.jpg{PAD}2  0 012 022  0 032 042  0 052 062  0 072 082\n")
    table = LandmarkTable(path)
    record, problems = table.keypoints("img/a.jpg")
    assert record["variation_type"] is None
    assert record["schema"].keypoint_names == ("left waistline", "right waistline", "left hem", "right hem")
    assert record["keypoints"][1, 2] == Visibility.OCCLUDED
    assert problems == []
    # Row b has a variation column, unlike the other rows of its file.
    record, problems = table.keypoints("img/b.jpg")
    assert record == {}
    assert problems[0].record == "line 4"
    record, problems = table.keypoints("img/c.jpg")
    assert record == {}
    assert problems[0].record == "line 5"
    assert "do not fit 'clothes_type v x y ...'" in problems[0].message
    assert table.variation_column_share() == pytest.approx(1 / 4)
    assert not table.has_variation


def test_landmark_table_with_variation_column(tmp_path):
    path = write(tmp_path / "list_landmarks.txt",
                 "2\nimage_name  clothes_type  variation_type\n"
                 f"img/a.jpg{PAD}2  4  0 011 021  0 031 041  0 051 061  0 071 081\n"
                 f"img/b.jpg{PAD}1  5  0 011 021  0 031 041  0 051 061  0 071 081  1 091 101  2 000 000\n")
    table = LandmarkTable(path)
    assert table.has_variation
    record, problems = table.keypoints("img/a.jpg")
    assert (record["clothes_type"], record["variation_type"]) == (2, 4)
    assert record["keypoints"][:, 0].tolist() == [11, 31, 51, 71]
    record, problems = table.keypoints("img/b.jpg")
    assert (record["clothes_type"], record["variation_type"]) == (1, 5)
    assert record["keypoints"][4, 2] == Visibility.OCCLUDED
    assert problems == []


def test_landmark_variation_out_of_range(tmp_path):
    path = write(tmp_path / "list_landmarks.txt", f"1\nimage_name  clothes_type\nimg/a.jpg{PAD}2  0 010 020  1\n")
    record, problems = LandmarkTable(path).keypoints("img/a.jpg")
    assert record["variation_type"] == 0
    assert any("variation_type 0 is not 1 to 5" in problem.message for problem in problems)


def test_landmark_table_wrong_point_count(tmp_path):
    path = write(tmp_path / "list_landmarks.txt",
                 f"1\nimage_name  clothes_type\nimg/a.jpg{PAD}1  0 010 020  0 030 040  0 050 060  0 070 080\n")
    record, problems = LandmarkTable(path).keypoints("img/a.jpg")
    assert len(record["keypoints"]) == 4
    assert "4 triplets, but clothes_type 1 has 6 landmarks" in problems[0].message


def attr_file(tmp_path):
    rows = ["img/a.jpg  -1 -1  1 -1", "img/b.jpg  -1  0 -1 -1", "img/c.jpg   1 -1  1  1", "img/d.jpg  -1  1 -1 -1",
            "img/e.jpg  -1 -1 -1  1"]
    return write(tmp_path / "list_attr_img.txt", "5\nimage_name  attribute_labels\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("block_bytes", [30, 60, 1 << 20])
def test_positive_attributes_sparse_across_blocks(tmp_path, block_bytes):
    seen = []
    names, indptr, indices, label_counts = positive_attributes(attr_file(tmp_path), 4, block_bytes=block_bytes,
                                                               progress=seen.append)
    assert names == ["img/a.jpg", "img/b.jpg", "img/c.jpg", "img/d.jpg", "img/e.jpg"]
    positives = [indices[indptr[row]:indptr[row + 1]].tolist() for row in range(5)]
    assert positives == [[2], [], [0, 2, 3], [1], [3]]
    assert label_counts.tolist() == [4, 4, 4, 4, 4]
    assert seen[-1] == 5


def test_positive_attributes_short_row_and_blank_line(tmp_path):
    path = write(tmp_path / "list_attr_img.txt",
                 "3\nimage_name  attribute_labels\nimg/a.jpg  1 -1  1\n\nimg/b.jpg  -1 1\nimg/c.jpg\t1 -1 -1")
    names, indptr, indices, label_counts = positive_attributes(path, 3)
    assert names == ["img/a.jpg", "img/b.jpg", "img/c.jpg"]
    assert indices[indptr[0]:indptr[1]].tolist() == [0, 2]
    assert indices[indptr[1]:indptr[2]].tolist() == [1]
    assert indices[indptr[2]:indptr[3]].tolist() == [0]
    assert label_counts.tolist() == [3, 2, 3]


def test_line_index_reads_one_row(tmp_path):
    index = LineIndex(attr_file(tmp_path), block_bytes=16)
    assert index.tokens("img/c.jpg") == ["1", "-1", "1", "1"]
    assert index.tokens("img/e.jpg") == ["-1", "-1", "-1", "1"]
    assert index.tokens("img/z.jpg") is None
    assert len(index.row_of) == 5


def test_read_list_text_in_number_column(tmp_path):
    path = write(tmp_path / "list_bbox.txt",
                 f"2\nimage_name  x_1  y_1  x_2  y_2\nimg/a.jpg{PAD}001 002 030 040\nimg/b.jpg  005 six 070 080\n")
    listing = read_list(path, 5)
    assert listing.frame.iloc[0, 1:].tolist() == [1, 2, 30, 40]
    assert listing.frame.iloc[1, 1] == 5
    assert math.isnan(listing.frame.iloc[1, 2])

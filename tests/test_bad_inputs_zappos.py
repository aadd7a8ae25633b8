"""Broken UT-Zappos50K data files: each fault gives a Problem naming file and record, and the other shoes load.

Every case copies the committed demo set into tmp_path and breaks one thing in
meta-data.csv, image-path.mat or zappos-labels.mat. meta-data.csv and the .mat files
are read whole (scipy.io.loadmat has no streaming reader), so no case here is about
file size, and every file stays a few kilobytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from loaders.zappos50k import ZapposDataset
from tests.test_zappos50k_loader import write_v73

DEMO = Path(__file__).resolve().parent.parent / "assets" / "demo" / "zappos50k"
DATA = "ut-zap50k-data"
META = f"{DATA}/meta-data.csv"
PATHS = f"{DATA}/image-path.mat"
LABELS = f"{DATA}/zappos-labels.mat"
# Second row of mturkOrder{1} in the demo, which every case leaves intact.
SECOND_ROW = [18.0, 4.0, 1.0, 2.0, 1.2, 1.0]


def edit_csv(old: bytes, new: bytes):
    def edit(root: Path) -> None:
        path = root / META
        data = path.read_bytes()
        assert old in data, old
        path.write_bytes(data.replace(old, new, 1))
    return edit


def drop_last_column(root: Path) -> None:
    path = root / META
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(line.rsplit(b",", 1)[0] for line in lines))


def edit_mat(file_name: str, variable: str, change):
    def edit(root: Path) -> None:
        path = root / file_name
        contents = {key: value for key, value in scipy.io.loadmat(path).items() if not key.startswith("__")}
        changed = change(contents[variable])
        if changed is not None:
            contents[variable] = changed
        scipy.io.savemat(path, contents)
    return edit


def first_comparison(change):
    """Return an edit of mturkOrder{1} (the "open" attribute) that changes a copy of its N x 6 matrix."""
    def on_cells(cells) -> None:
        matrix = cells[0, 0].astype(np.float64)
        cells[0, 0] = change(matrix)
    return edit_mat(LABELS, "mturkOrder", on_cells)


def set_value(row: int, column: int, value: float):
    def change(matrix):
        matrix[row, column] = value
        return matrix
    return change


def set_path_entry(value):
    def change(cells) -> None:
        cells[1, 0] = value
    return change


def drop_last_cell(cells):
    return cells[:, :3]


def nested_cell():
    inner = np.empty((1, 1), dtype=object)
    inner[0, 0] = np.array(["Shoes/Oxfords/Nike/1.2.jpg"])
    return inner


# (case id, edit, file, expected message fragment, record, where, meta-data kept for the other shoes).
# "mat round trip" rewrites a file unchanged through savemat, so it must report nothing.
CASES = [
    ("csv non-UTF-8", edit_csv(b"Sneakers", b"Sn\xefakers"), META, "bytes that are not UTF-8", "line 2",
     "dataset", True),
    ("csv column missing", drop_last_column, META, "columns ToeStyle are missing",
     "line 1", "dataset", True),
    ("csv header lacks column", edit_csv(b"CID,Category,", b"CID,"), META,
     "25 rows have more fields than the header line (8), so they are skipped", "line 2", "dataset", False),
    ("csv no CID column", edit_csv(b"CID,", b"ID,"), META, "there is no CID column", "", "dataset", False),
    ("csv row too short", edit_csv(b"Lace up,Men;Women,Mesh;Synthetic,Round Toe\r\n", b"Lace up\r\n"), META,
     "1 rows have fewer fields than the header line (9)", "line 2", "dataset", True),
    ("csv CID as number", edit_csv(b"7646396-136485", b"7646396.136485"), META,
     "written as numbers (ProductID.ColorID)", "line 2", "dataset", True),
    ("csv CID without color", edit_csv(b"7646396-136485", b"7646396"), META,
     "CID '7646396' is not ProductID-ColorID", "line 2", "dataset", True),
    ("mat cell wrong shape", first_comparison(lambda matrix: matrix[:, :5]), LABELS, "matrix is (8, 5), not N x 6",
     "mturkOrder{1}", "comparisons", True),
    ("mat round trip", edit_mat(LABELS, "mturkEqual", lambda cells: None), LABELS, "", "", "none", True),
    ("mat cell count", edit_mat(LABELS, "mturkOrder", drop_last_cell), LABELS, "is not a 1 x 4 cell",
     "mturkOrder", "comparisons", True),
    ("mat index fraction", first_comparison(set_value(0, 0, 21.5)), LABELS, "image1 = 21.5 is not a whole number",
     "mturkOrder{1} row 1", "comparisons", True),
    ("mat index NaN", first_comparison(set_value(0, 1, np.nan)), LABELS, "image2 = nan is not a whole number",
     "mturkOrder{1} row 1", "comparisons", True),
    ("mat index infinity", first_comparison(set_value(0, 0, np.inf)), LABELS, "image1 = inf is not a whole number",
     "mturkOrder{1} row 1", "comparisons", True),
    ("mat index negative", first_comparison(set_value(0, 0, -3)), LABELS, "image1 = -3 is not an image number in 1..26",
     "mturkOrder{1} row 1", "comparisons", True),
    ("mat index zero", first_comparison(set_value(0, 1, 0)), LABELS, "image2 = 0 is not an image number in 1..26",
     "mturkOrder{1} row 1", "comparisons", True),
    ("mat comparison NaN", first_comparison(set_value(0, 3, np.nan)), LABELS, "comparison = nan is not a whole",
     "mturkOrder{1} row 1", "comparisons", True),
    ("mat text cell", first_comparison(lambda matrix: np.array(["21 26 1 1 1.8 1"])), LABELS,
     "contains str, not an N x 6 matrix of numbers", "mturkOrder{1}", "comparisons", False),
    ("path entry number", edit_mat(PATHS, "imagepath", set_path_entry(np.array([[7.0]]))), PATHS,
     "entry 2 of imagepath is a numeric array of shape (1, 1), not a path", "imagepath{2}", "dataset", True),
    ("path entry cell", edit_mat(PATHS, "imagepath", set_path_entry(nested_cell())), PATHS,
     "entry 2 of imagepath is list, not a path", "imagepath{2}", "dataset", True),
]


# Cases where mturkOrder{1} cannot be read as a matrix, so none of its rows is shown.
REJECTED_CELLS = {"mat cell wrong shape", "mat cell count", "mat text cell"}


def broken_copy(tmp_path: Path, edit) -> ZapposDataset:
    root = tmp_path / "zappos50k"
    shutil.copytree(DEMO, root)
    edit(root)
    return ZapposDataset(root)


@pytest.mark.parametrize(("case", "edit", "file_name", "fragment", "record", "where", "metadata_kept"), CASES,
                         ids=[case[0] for case in CASES])
def test_broken_file_reported(tmp_path, case, edit, file_name, fragment, record, where, metadata_kept):
    dataset = broken_copy(tmp_path, edit)
    catalogue = dataset.catalogue()
    third = dataset.sample(catalogue.iloc[2])
    comparisons = dataset.comparisons("ordered", 1)

    problems = {"dataset": dataset.problems, "comparisons": comparisons.problems,
                "none": dataset.problems + comparisons.problems}[where]
    if where == "none":
        assert problems == []
    else:
        found = [problem for problem in problems if fragment in problem.message]
        assert found, [str(problem) for problem in problems]
        assert found[0].file == str(dataset.root / file_name)
        assert found[0].record == record

    # The other shoes keep their image numbers, images and meta-data.
    assert len(catalogue) == 26
    assert catalogue["index"].tolist() == list(range(1, 27))
    assert third.fields["found"] == "exact"
    assert third.problems == []
    if metadata_kept:
        assert third.labels["Category"] == [catalogue.iloc[2]["Category"]]
    # Another label set still loads; the broken one keeps its other rows unless the whole cell is rejected.
    assert len(dataset.comparisons("equal", 2).table) == 3
    if case not in REJECTED_CELLS:
        assert comparisons.table.iloc[1, 1:].tolist() == SECOND_ROW
        pair = dataset.pair_sample("ordered.open", "2")
        assert pair.fields["image1"] == 18
        assert pair.fields["image1 found"] == "exact"
        assert pair.problems == []


def test_fraction_index_not_rounded(tmp_path):
    dataset = broken_copy(tmp_path, first_comparison(set_value(0, 0, 21.5)))
    pair = dataset.pair_sample("ordered.open", "1")

    # 21.5 names no image, so the pair shows it as out of range instead of image 22.
    assert pair.fields["image1"] == 0
    assert pair.fields["image1 found"] == "out of range"
    problems = dataset.comparisons("ordered", 1).problems
    assert len(problems) == 1
    assert "image1 = 21.5" in problems[0].message


def test_nan_confidence_is_unknown(tmp_path):
    dataset = broken_copy(tmp_path, first_comparison(set_value(0, 4, np.nan)))
    pair = dataset.pair_sample("ordered.open", "1")

    assert pair.labels["confidence"] == ["unknown"]
    assert pair.labels["outcome"] == ["more"]


def test_cid_as_number_gets_metadata(tmp_path):
    dataset = broken_copy(tmp_path, edit_csv(b"7646396-136485", b"7646396.136485"))

    assert dataset.metadata_of("7646396-136485")["Category"] == ["Shoes"]
    info = [problem for problem in dataset.problems if "ProductID.ColorID" in problem.message]
    assert info[0].severity == "info"


def test_path_entry_keeps_numbering(tmp_path):
    dataset = broken_copy(tmp_path, edit_mat(PATHS, "imagepath", set_path_entry(np.array([[7.0]]))))
    second = dataset.shoe_sample("", "image 2")

    assert second.fields["found"] == "missing"
    assert "image not found" in second.problems[0].message
    assert dataset.image_number(3)["listed"].endswith(".jpg")


def test_page_shows_broken_files(tmp_path, run_page, shown_text):
    root = tmp_path / "zappos50k"
    shutil.copytree(DEMO, root)
    edit_csv(b"Sneakers", b"Sn\xefakers")(root)
    first_comparison(set_value(0, 1, np.nan))(root)
    app = run_page("zappos50k", {"zappos50k": root}, query={"view": "compare", "set": "ordered",
                                                              "attribute": "open", "sample": "1"})

    assert not app.exception
    assert len(app.get("image")) >= 1
    text = shown_text(app).replace("\\", "")
    assert "image2 = nan is not a whole number" in text
    assert "mturkOrder{1} row 1" in text


def test_hdf5_files_with_broken_cells(tmp_path):
    root = tmp_path / "zappos50k"
    shutil.copytree(DEMO, root)
    data = root / DATA
    listed = [str(cell[0]) for cell in scipy.io.loadmat(data / "image-path.mat")["imagepath"][:, 0]]
    order = [matrix.astype(np.float64) for matrix in scipy.io.loadmat(data / "zappos-labels.mat")["mturkOrder"][0]]
    order[0][0, 1] = np.nan
    order[1] = "21 26 2 1 1.8 1"
    # MATLAB v7.3 files go through h5py: a number among the paths, NaN and text among the matrices.
    write_v73(data / "image-path.mat", {"imagepath": ([listed[0], 7.0, *listed[2:]], (len(listed), 1))})
    write_v73(data / "zappos-labels.mat", {"mturkOrder": (order, (1, 4)), "mturkEqual": (order, (1, 4))})
    dataset = ZapposDataset(root)
    dataset.catalogue()

    assert [problem.record for problem in dataset.problems] == ["imagepath{2}"]
    assert "is a numeric array of shape" in dataset.problems[0].message
    assert dataset.image_number(3)["listed"] == listed[2]
    first = dataset.comparisons("ordered", 1)
    assert "image2 = nan is not a whole number" in first.problems[0].message
    assert first.table.iloc[1, 1:].tolist() == SECOND_ROW
    second = dataset.comparisons("ordered", 2)
    assert "contains str, not an N x 6 matrix of numbers" in second.problems[0].message
    assert second.problems[0].record == "mturkOrder{2}"
    assert len(dataset.comparisons("ordered", 3).table) == 2

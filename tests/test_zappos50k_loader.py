"""UT-Zappos50K loader on a generated set in the official layout (no real dataset files exist to test with)."""

from __future__ import annotations

import itertools
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from assets.demo_gen import zappos50k as generator
from loaders.zappos50k import PathResolver, ZapposDataset, confidence_text, is_hdf5_mat, name_key, read_mat


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("zappos")
    generator.generate(root)
    return root


@pytest.fixture
def dataset(generated) -> ZapposDataset:
    return ZapposDataset(generated)


def listed_paths(root: Path) -> list[str]:
    raw = scipy.io.loadmat(root / "ut-zap50k-data" / "image-path.mat")["imagepath"]
    return [str(cell[0]) for cell in raw[:, 0]]


def row_of(dataset: ZapposDataset, brand: str):
    table = dataset.catalogue()
    return table[table.Brand == brand].iloc[0]


def test_catalogue_index_is_one_based(dataset, generated):
    listed = listed_paths(generated)
    first = dataset.image_number(1)
    assert first["listed"] == listed[0]
    assert dataset.image_number(len(listed))["listed"] == listed[-1]
    assert dataset.image_number(0) is None
    assert dataset.image_number(len(listed) + 1) is None


def test_catalogue_tree_and_cid(dataset):
    first = dataset.image_number(1)
    assert (first.Category, first.SubCategory, first.Brand) == ("Shoes", "Sneakers and Athletic Shoes", "Nike")
    product, color, _ = first.listed.split("/")[-1].split(".")
    assert f"{product}-{color}" == first.CID


def test_trailing_dot_brand_resolved(dataset, generated):
    row = row_of(dataset, "Nine West.")
    found = dataset.resolve(row.listed)
    assert found.match == "spelling"
    assert found.path.parent.name == "Nine West"
    assert found.path.is_file()


def test_percent_2e_brand_resolved(dataset):
    found = dataset.resolve(row_of(dataset, "Lucky Brand.").listed)
    assert found.match == "spelling"
    assert found.path.parent.name == "Lucky Brand%2E"


def test_html_entity_brand_resolved(dataset):
    found = dataset.resolve(row_of(dataset, "Levi's").listed)
    assert found.match == "spelling"
    assert found.path.parent.name == "Levi's&#174;"


def test_exact_path_resolved(dataset):
    found = dataset.resolve(dataset.image_number(1).listed)
    assert found.match == "exact"


def test_missing_image_listed(dataset, generated):
    unresolved = dataset.unresolved_paths()
    missing = unresolved[unresolved.found == "missing"]
    assert list(missing["index"]) == [6]
    assert list(missing["listed path"]) == [listed_paths(generated)[5]]
    # Every listed path with a spelling difference is found: 3 + 2 Nine West, 3 Lucky Brand, 3 Levi's.
    assert (unresolved.found == "spelling").sum() == 11


def test_missing_image_sample_problem(dataset):
    sample = dataset.sample(dataset.image_number(6))
    assert sample.fields["found"] == "missing"
    assert len(sample.problems) == 1
    assert "image not found" in sample.problems[0].message
    assert sample.problems[0].record == "image 6"


def test_name_key_spellings():
    assert name_key("Nine West.") == name_key("Nine West")
    assert name_key("Lucky Brand%2E") == name_key("Lucky Brand.")
    assert name_key("Levi's&#174;") == name_key("Levi's")
    assert name_key("Levi's®") == name_key("Levi's")
    assert name_key("Nike") != name_key("Nine")


def test_resolver_rejects_unknown_folder(generated):
    resolver = PathResolver(generated / "ut-zap50k-images")
    assert resolver.resolve("Shoes/Nowhere/Nike/1.2.jpg").match == "missing"
    assert resolver.resolve("").match == "missing"


def test_metadata_multi_value_split(dataset):
    labels = dataset.metadata_of(dataset.image_number(1).CID)
    assert labels["Insole"] == ["Padded", "Removable"]
    assert labels["Gender"] == ["Men", "Women"]
    assert labels["Category"] == ["Shoes"]


def test_metadata_empty_cell_left_out(dataset):
    heel = dataset.metadata_of(dataset.image_number(9).CID)
    assert "Closure" not in heel
    assert heel["HeelHeight"] == ["3in - 3 3/4in"]


def test_metadata_row_missing(dataset):
    # The generator drops the meta-data row of image 8.
    assert dataset.metadata_of(dataset.image_number(8).CID) == {}
    assert dataset.sample(dataset.image_number(8)).labels == {}


def test_comparisons_ordered_open(dataset):
    comparisons = dataset.comparisons("ordered", 1)
    assert comparisons.problems == []
    table = comparisons.table
    assert list(table.columns) == ["row", "image1", "image2", "attribute_id", "comparison", "confidence",
                                   "agreement"]
    assert set(table.attribute_id) == {1}
    assert set(table.comparison) <= {1, 2}
    # Sandals (Teva) are drawn more open than everything but the heel sandals.
    for _, row in table.iterrows():
        first = dataset.image_number(int(row.image1))
        second = dataset.image_number(int(row.image2))
        if first.Brand == "Teva" and second.Category != "Sandals":
            assert row.comparison == 1
        if second.Brand == "Teva" and first.Category != "Sandals":
            assert row.comparison == 2


def test_comparisons_equal_pair(dataset):
    equal = dataset.comparisons("equal", 3).table
    assert len(equal) > 0
    assert set(equal.comparison) == {3}


def test_comparisons_fine_grained_repeat_equal_pairs(dataset):
    for attribute_id in range(1, 5):
        equal = dataset.comparisons("equal", attribute_id).table
        hard = dataset.comparisons("fine-grained", attribute_id).table
        assert list(zip(equal.image1, equal.image2)) == list(zip(hard.image1, hard.image2))
        assert set(hard.comparison) <= {1, 2}


def test_image_one_in_a_pair(dataset):
    pairs = [dataset.comparisons(name, attribute_id).table for name in ("ordered", "equal")
             for attribute_id in range(1, 5)]
    assert any((table.image1 == 1).any() for table in pairs)


def test_confidence_text_nearest_code():
    assert confidence_text(1.0) == ("1", "very confident")
    assert confidence_text(1.4) == ("1.4", "very confident")
    assert confidence_text(2.2) == ("2.2", "somewhat confident")
    assert confidence_text(2.6) == ("2.6", "not confident")
    assert confidence_text(0.0) == ("0", "unknown")


def test_index_zero_reported(generated, tmp_path):
    root = copy_data(generated, tmp_path)
    matrix = np.array([[0, 2, 1, 1, 1.0, 1.0], [1, 999, 1, 3, 1.0, 0.8], [1, 2, 2, 7, 1.0, 0.8]])
    write_cell(root / "ut-zap50k-data" / "zappos-labels.mat", "mturkOrder", [matrix, matrix, matrix, matrix],
               extra={"mturkEqual": [np.zeros((0, 6))] * 4})
    comparisons = ZapposDataset(root).comparisons("ordered", 1)
    messages = [problem.message for problem in comparisons.problems]
    assert any("image1 = 0 is not an image number in 1..26" in message for message in messages)
    assert any("image2 = 999 is not an image number in 1..26" in message for message in messages)
    assert any("attribute id [2]" in message for message in messages)
    assert any("comparison codes [7]" in message for message in messages)
    assert len(comparisons.table) == 3


def test_cell_of_wrong_size_reported(generated, tmp_path):
    root = copy_data(generated, tmp_path)
    write_cell(root / "ut-zap50k-data" / "zappos-labels-fg.mat", "mturkHard", [np.zeros((1, 6))] * 3)
    comparisons = ZapposDataset(root).comparisons("fine-grained", 1)
    assert comparisons.table.empty
    assert "not a 1 x 4 cell" in comparisons.problems[0].message


def test_not_a_mat_file_reported(generated, tmp_path):
    root = copy_data(generated, tmp_path)
    (root / "ut-zap50k-data" / "image-path.mat").write_bytes(b"not a MATLAB file at all" * 10)
    dataset = ZapposDataset(root)
    table = dataset.catalogue()
    # The images are then listed from the folder tree, without image numbers.
    assert len(table) == 25
    assert set(table["index"]) == {0}
    errors = [problem for problem in dataset.problems if problem.severity == "error"]
    assert errors[0].file.endswith("image-path.mat")
    assert "not a readable MATLAB file" in errors[0].message
    comparisons = dataset.comparisons("ordered", 1)
    assert "cannot be looked up" in comparisons.problems[0].message


def test_missing_variable_reported(generated, tmp_path):
    root = copy_data(generated, tmp_path)
    scipy.io.savemat(root / "ut-zap50k-data" / "zappos-labels-fg.mat", {"somethingElse": np.ones((2, 2))})
    comparisons = ZapposDataset(root).comparisons("fine-grained", 2)
    assert "variable 'mturkHard' not found" in comparisons.problems[0].message


def test_hdf5_mat_files_read(generated, tmp_path):
    root = copy_data(generated, tmp_path)
    data = root / "ut-zap50k-data"
    listed = listed_paths(generated)
    order = read_mat(generated / "ut-zap50k-data" / "zappos-labels.mat", ("mturkOrder",))["mturkOrder"]
    write_v73(data / "image-path.mat", {"imagepath": (listed, (len(listed), 1))})
    write_v73(data / "zappos-labels.mat", {"mturkOrder": (order, (1, 4)), "mturkEqual": (order, (1, 4))})
    assert is_hdf5_mat(data / "image-path.mat")

    dataset = ZapposDataset(root)
    assert dataset.problems == []
    assert list(dataset.catalogue()["listed"]) == listed
    assert dataset.image_number(1)["listed"] == listed[0]
    for attribute_id in range(1, 5):
        table = dataset.comparisons("ordered", attribute_id).table
        assert np.array_equal(table[["image1", "image2", "attribute_id", "comparison"]].to_numpy(),
                              order[attribute_id - 1][:, :4].astype(np.int64))
        assert np.allclose(table.confidence, order[attribute_id - 1][:, 4])


def test_real_root_reports_missing_files(realdata):
    dataset = ZapposDataset(realdata / "zappos50k")
    problem = dataset.missing_files()
    assert problem is not None
    assert problem.severity == "error"
    assert "no UT-Zappos50K dataset files found" in problem.message
    assert "ut-zap50k-data/meta-data.csv" in problem.message


def test_demo_matches_generator(generated):
    demo = Path(__file__).resolve().parent.parent / "assets" / "demo" / "zappos50k"
    assert listed_paths(demo) == listed_paths(generated)
    assert (demo / "ut-zap50k-data" / "meta-data.csv").read_bytes() == \
        (generated / "ut-zap50k-data" / "meta-data.csv").read_bytes()


def copy_data(generated: Path, tmp_path: Path) -> Path:
    """Copy the generated set so a test can break one file of it."""
    import shutil

    root = tmp_path / "zappos"
    shutil.copytree(generated, root)
    return root


def write_cell(path: Path, name: str, matrices: list[np.ndarray], extra: dict | None = None) -> None:
    variables = {}
    for variable, values in {name: matrices, **(extra or {})}.items():
        cell = np.empty((1, len(values)), dtype=object)
        for position, matrix in enumerate(values):
            cell[0, position] = matrix
        variables[variable] = cell
    scipy.io.savemat(path, variables)


def write_v73(path: Path, variables: dict[str, tuple[list, tuple[int, int]]]) -> None:
    """Write cells the way MATLAB's save -v7.3 does: HDF5 after a 512-byte header, elements under #refs#."""
    counter = itertools.count()
    with h5py.File(path, "w", userblock_size=512) as handle:
        refs = handle.create_group("#refs#")

        def store(value):
            name = f"r{next(counter)}"
            if isinstance(value, str):
                # A 1 x n char array is stored as an n x 1 uint16 dataset.
                dataset = refs.create_dataset(name, data=np.array([[ord(c)] for c in value], dtype=np.uint16))
                dataset.attrs["MATLAB_class"] = np.bytes_("char")
            else:
                dataset = refs.create_dataset(name, data=np.asarray(value, dtype=np.float64).T)
                dataset.attrs["MATLAB_class"] = np.bytes_("double")
            return dataset.ref

        for name, (values, (rows, columns)) in variables.items():
            cell = handle.create_dataset(name, shape=(columns, rows), dtype=h5py.ref_dtype)
            references = [store(value) for value in values]
            cell[...] = np.array(references, dtype=object).reshape(columns, rows)
            cell.attrs["MATLAB_class"] = np.bytes_("cell")
    with path.open("r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Fri Dec  4 00:00:00 2026 HDF5 schema 1.00 .")

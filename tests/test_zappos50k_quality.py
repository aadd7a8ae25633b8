"""UT-Zappos50K quality checks and statistics tables on the generated set and on broken copies of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assets.demo_gen import zappos50k as generator
from loaders.qa import GENERIC_CHECKS, run_checks
from loaders.zappos50k import (
    ZapposDataset,
    catalogue_tables,
    comparison_tables,
    pair_checks,
    pair_key,
    parse_pair_key,
    path_checks,
)
from tests.test_zappos50k_loader import copy_data, write_cell


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("zappos")
    generator.generate(root)
    return root


def shoe_report(dataset: ZapposDataset):
    keys = [("", cid) for cid in dataset.catalogue()["CID"]]
    return run_checks((dataset.shoe_sample(*key) for key in keys), GENERIC_CHECKS + path_checks())


def test_path_checks_flag_missing_and_spelling(generated):
    dataset = ZapposDataset(generated)
    report = shoe_report(dataset)
    counts = report.counts()
    assert counts["path_not_found"] == 1
    assert counts["path_spelling"] == 11
    (missing,) = [flag for flag in report.flags if flag.check_id == "path_not_found"]
    assert missing.sample_id == dataset.image_number(6)["CID"]
    assert missing.detail == dataset.image_number(6)["listed"]
    spelled = {flag.sample_id: flag.detail for flag in report.flags if flag.check_id == "path_spelling"}
    levis = dataset.image_number(14)
    assert spelled[levis["CID"]] == f"{levis['listed']} is Boots/Ankle/Levi's&#174;/{levis['listed'].split('/')[-1]}"


def test_path_checks_pass_exact_paths(generated):
    dataset = ZapposDataset(generated)
    flagged = {flag.sample_id for flag in shoe_report(dataset).flags}
    nike = dataset.image_number(1)
    assert nike["Brand"] == "Nike"
    assert nike["CID"] not in flagged


def test_shoe_sample_unknown_cid(generated):
    sample = ZapposDataset(generated).shoe_sample("", "no-such-cid")
    assert sample.problems[0].message == "CID not in the image list."
    assert sample.problems[0].severity == "error"


def test_pair_checks_out_of_range_and_missing(generated, tmp_path):
    root = copy_data(generated, tmp_path)
    matrix = np.array([[0, 2, 1, 1, 1.0, 1.0], [1, 999, 1, 3, 1.0, 0.8], [1, 6, 1, 2, 2.0, 0.6],
                       [1, 2, 1, 1, 1.0, 1.0]])
    write_cell(root / "ut-zap50k-data" / "zappos-labels.mat", "mturkOrder", [matrix] * 4,
               extra={"mturkEqual": [np.zeros((0, 6))] * 4})
    dataset = ZapposDataset(root)
    key = pair_key("ordered", 1)
    assert key == "ordered.open"
    assert parse_pair_key(key) == ("ordered", 1)
    report = run_checks((dataset.pair_sample(key, str(row)) for row in range(1, 5)), GENERIC_CHECKS + pair_checks())
    assert report.counts()["pair_image_out_of_range"] == 2
    assert report.counts()["pair_image_not_found"] == 1
    assert [(flag.sample_id, flag.detail) for flag in report.flags if flag.check_id == "pair_image_out_of_range"] \
        == [("1", "image1 = 0"), ("2", "image2 = 999")]
    assert [(flag.sample_id, flag.detail) for flag in report.flags if flag.check_id == "pair_image_not_found"] \
        == [("3", "image2 = 6")]
    # Row 4 compares two images that exist, so no check flags it.
    assert report.flags_for(key, "4") == []


def test_pair_sample_fields(generated):
    dataset = ZapposDataset(generated)
    table = dataset.comparisons("equal", 3).table
    sample = dataset.pair_sample("equal.sporty", "2")
    assert sample.fields["image1"] == table.image1.iloc[1]
    assert sample.fields["comparison"] == "equal"
    assert sample.labels["outcome"] == ["equal"]
    assert [related.role for related in sample.related] == ["image1", "image2"]
    assert sample.related[0].sample_id == dataset.image_number(int(table.image1.iloc[1]))["CID"]
    missing = dataset.pair_sample("equal.sporty", "99")
    assert missing.problems[0].message == "row 99 not found."


def test_statistics_tables(generated):
    dataset = ZapposDataset(generated)
    brands = catalogue_tables(dataset.catalogue(), "Brand").labels
    assert len(brands) == 26
    assert brands.label.value_counts()["Nine West."] == 5
    assert set(brands.group) == {"Brand"}
    table = dataset.comparisons("ordered", 1).table
    outcomes = comparison_tables(table, "ordered.open").labels
    assert len(outcomes) == 2 * len(table)
    counted = outcomes[outcomes.group == "outcome"].label.value_counts().to_dict()
    assert counted == {"more": int((table.comparison == 1).sum()), "less": int((table.comparison == 2).sum())}
    assert set(outcomes.split) == {"ordered.open"}

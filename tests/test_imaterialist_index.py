"""Persistent iMaterialist indexes: equal to a direct parse on real and demo files, rebuilt after a change."""

import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from loaders.imaterialist import LabelRelease, MaskRelease
from loaders.imaterialist_csv import scan_mask_csv
from loaders.imaterialist_index import LABEL_KIND, MASK_KIND, label_index, mask_index
from loaders.imaterialist_json import parse_label_file
from loaders.index_store import cache_dir
from loaders.roots import DEMO_DIR

DEMO = DEMO_DIR / "imaterialist"


def index_files(kind: str) -> list[str]:
    return sorted(path.name for path in cache_dir().glob(f"{kind}-*.sqlite"))


def assert_same_labels(stored, parsed) -> None:
    assert stored.image_ids == parsed.image_ids
    assert list(stored.urls) == list(parsed.urls)
    assert stored.offsets.tolist() == parsed.offsets.tolist()
    assert stored.values.tolist() == parsed.values.tolist()
    assert stored.annotated == parsed.annotated
    assert [str(problem) for problem in stored.problems] == [str(problem) for problem in parsed.problems]


def assert_same_rows(stored, scanned) -> None:
    assert stored.columns == scanned.columns
    assert stored.image_ids == scanned.image_ids
    for name in ("row_offsets", "row_lengths", "row_lines", "row_images", "row_categories", "attribute_offsets",
                 "attribute_values"):
        assert getattr(stored, name).tolist() == getattr(scanned, name).tolist(), name
    assert [str(problem) for problem in stored.problems] == [str(problem) for problem in scanned.problems]


def test_real_2018_index_equals_parse(realdata):
    source = realdata / "imaterialist" / "2018" / "missing.json"
    stored = label_index(source)
    parsed = parse_label_file(source)
    assert len(stored.image_ids) == 12753
    assert_same_labels(stored, parsed)
    assert len(index_files(LABEL_KIND)) == 1


def test_real_2018_record_by_position(realdata):
    source = realdata / "imaterialist" / "2018" / "missing.json"
    stored = label_index(source)
    parsed = parse_label_file(source)
    for position in (0, 1, 6000, 12752, -1):
        assert stored.urls[position] == parsed.urls[position]
    with pytest.raises(IndexError):
        stored.urls[12753]


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_demo_2018_index_equals_parse(split):
    source = DEMO / "2018" / f"{split}.json"
    assert_same_labels(label_index(source), parse_label_file(source))


def test_demo_2018_reader_counts_from_index():
    reader = LabelRelease(DEMO / "2018")
    counts = reader.label_counts("train")
    parsed = parse_label_file(DEMO / "2018" / "train.json")
    expected = np.bincount(parsed.values)
    for row in counts.itertuples():
        assert row.images == (expected[row.label_id] if row.label_id < len(expected) else 0)
    assert len(index_files(LABEL_KIND)) == 1


@pytest.mark.parametrize("year", ["2019", "2020"])
def test_demo_csv_index_equals_scan(year):
    source = DEMO / year / "train.csv"
    stored = mask_index(source)
    assert stored.row_offsets.size > 0
    assert_same_rows(stored, scan_mask_csv(source))


def test_real_2019_header_only_csv(realdata):
    source = realdata / "imaterialist" / "2019" / "train.csv"
    stored = mask_index(source)
    assert stored.columns == ["ImageId", "EncodedPixels", "Height", "Width", "ClassId"]
    assert stored.image_ids == []
    assert_same_rows(stored, scan_mask_csv(source))


def test_demo_csv_sample_from_index_equals_rows():
    reader = MaskRelease(DEMO / "2020")
    sample_id = reader.sample_ids("train")[0]
    rows = reader.read_rows(sample_id)
    assert rows
    with (DEMO / "2020" / "train.csv").open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    for line, values in rows:
        assert lines[line - 1].startswith(f"{sample_id},{values['EncodedPixels']},")


def test_touched_2018_file_rebuilds(tmp_path):
    source = tmp_path / "train.json"
    shutil.copy(DEMO / "2018" / "train.json", source)
    first = label_index(source)
    assert len(index_files(LABEL_KIND)) == 1
    label_index(source)
    assert len(index_files(LABEL_KIND)) == 1

    source.write_bytes(b'{"images": [{"imageId": "7", "url": "u"}], '
                       b'"annotations": [{"imageId": "7", "labelId": ["3"]}]}')
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    second = label_index(source)
    assert len(index_files(LABEL_KIND)) == 2
    assert len(first.image_ids) > 1
    assert second.image_ids == ["7"]
    assert second.values.tolist() == [3]
    assert second.urls[0] == "u"


def test_touched_csv_rebuilds(tmp_path):
    source = tmp_path / "train.csv"
    shutil.copy(DEMO / "2019" / "train.csv", source)
    mask_index(source)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    mask_index(source)
    assert len(index_files(MASK_KIND)) == 2


def test_unwritable_cache_parses_directly(tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(blocked / "cache"))
    stored = label_index(DEMO / "2018" / "train.json")
    assert_same_labels(type(stored)(stored.image_ids, stored.urls, stored.offsets, stored.values, stored.annotated,
                                    stored.problems[:-1]), parse_label_file(DEMO / "2018" / "train.json"))
    assert "could not be written to the cache folder" in stored.problems[-1].message


def test_missing_source_gives_problem(tmp_path):
    stored = label_index(tmp_path / "train.json")
    assert stored.image_ids == []
    assert "could not be read" in stored.problems[0].message
    assert index_files(LABEL_KIND) == []


def test_csv_build_reports_progress(tmp_path, monkeypatch):
    import loaders.imaterialist_csv as csv_module

    monkeypatch.setattr(csv_module, "PROGRESS_ROWS", 2)
    source = tmp_path / "train.csv"
    shutil.copy(DEMO / "2020" / "train.csv", source)
    calls = []
    reader = MaskRelease(tmp_path)
    assert not reader.index_ready
    reader.load_index(lambda done, total: calls.append((done, total)))
    assert reader.index_ready
    size = source.stat().st_size
    assert calls[-1] == (size, size)
    assert len(calls) > 2
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(total == size for _, total in calls)


def test_position_lookup_scans_then_builds_table():
    index = label_index(DEMO / "2018" / "train.json")
    ids = index.image_ids
    assert [index.position_of(image_id) for image_id in ids[:3]] == [0, 1, 2]
    assert "positions" not in index.__dict__
    found = [index.position_of(image_id) for image_id in ids]
    assert found == list(range(len(ids)))
    assert "positions" in index.__dict__
    assert index.position_of("no such id") is None


def _index_in_process(source_text, results):
    stored = label_index(Path(source_text))
    results.put((len(stored.image_ids), stored.values.tolist()))


def test_concurrent_builds_give_one_index(tmp_path):
    source = tmp_path / "train.json"
    shutil.copy(DEMO / "2018" / "train.json", source)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_index_in_process, args=(str(source), results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    expected = parse_label_file(source)
    for _ in workers:
        assert results.get(timeout=5) == (len(expected.image_ids), expected.values.tolist())
    assert len(index_files(LABEL_KIND)) == 1
    assert list(cache_dir().glob("*.tmp-*")) == []

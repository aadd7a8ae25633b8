"""Persistent indexes: reuse, rebuild on a changed source, interrupted and concurrent builds."""

import multiprocessing
import os
import shutil
import sqlite3
import time

import pytest

from loaders.deepfashion2 import DeepFashion2Dataset
from loaders.index_store import build_or_open, cache_dir, folder_signature, index_path


def copy_real(realdata, tmp_path):
    root = tmp_path / "df2"
    shutil.copytree(realdata / "deepfashion2" / "validation", root / "validation")
    return root


def index_files():
    return sorted(path.name for path in cache_dir().glob("deepfashion2-*.sqlite"))


def test_index_equals_direct_parse(realdata, tmp_path):
    dataset = DeepFashion2Dataset(copy_real(realdata, tmp_path))
    table = dataset.scan("validation")
    direct = [(sample_id, instance.id, instance.category_id, instance.fields["style"])
              for sample_id in dataset.sample_ids("validation")
              for instance in dataset.load_sample("validation", sample_id).instances]
    assert list(zip(table.sample_id, table["item"], table.category_id, table["style"])) == direct
    assert set(table.pair_id) == {22}


def test_index_reused_then_rebuilt_after_touch(realdata, tmp_path):
    root = copy_real(realdata, tmp_path)
    DeepFashion2Dataset(root).scan("validation")
    first = index_files()
    DeepFashion2Dataset(root).scan("validation")
    assert index_files() == first
    annotation = root / "validation" / "annos" / "000265.json"
    later = time.time() + 5
    os.utime(annotation, (later, later))
    DeepFashion2Dataset(root).scan("validation")
    assert len(index_files()) == 2


def test_replaced_file_changes_the_result(realdata, tmp_path):
    root = copy_real(realdata, tmp_path)
    assert DeepFashion2Dataset(root).scan("validation").category_id.tolist() == [11, 11]
    annotation = root / "validation" / "annos" / "000265.json"
    annotation.write_text(annotation.read_text().replace('"category_id": 11', '"category_id": 12'))
    assert DeepFashion2Dataset(root).scan("validation").category_id.tolist() == [11, 12]


def test_interrupted_build_leaves_no_index(tmp_path):
    path = index_path("test", "abc")

    def failing_build(connection):
        connection.execute("CREATE TABLE t (x)")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_or_open(path, failing_build)
    assert not path.exists()
    assert list(path.parent.glob("test-abc.sqlite.tmp-*")) == []
    connection = build_or_open(path, lambda c: c.execute("CREATE TABLE t (x)"))
    assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def slow_build(path_text, marker_dir):
    def build(connection):
        (marker_dir / f"built-{os.getpid()}").touch()
        time.sleep(0.5)
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")

    from pathlib import Path

    connection = build_or_open(Path(path_text), build)
    return connection.execute("SELECT x FROM t").fetchone()[0]


def _worker(path_text, marker_text, results):
    from pathlib import Path

    results.put(slow_build(path_text, Path(marker_text)))


def test_concurrent_builders_build_once(tmp_path):
    path = tmp_path / "cache" / "test-concurrent.sqlite"
    results = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_worker, args=(str(path), str(tmp_path), results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert sorted(results.get(timeout=5) for _ in workers) == [1, 1]
    assert len(list(tmp_path.glob("built-*"))) == 1


def test_index_opened_read_only(tmp_path):
    path = index_path("test", "readonly")
    connection = build_or_open(path, lambda c: c.execute("CREATE TABLE t (x)"))
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("INSERT INTO t VALUES (1)")


def test_folder_signature_changes_with_new_file(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    before = folder_signature(tmp_path, ".json")
    (tmp_path / "b.json").write_text("{}")
    with_b = folder_signature(tmp_path, ".json")
    assert with_b != before
    (tmp_path / "c.txt").write_text("")
    assert folder_signature(tmp_path, ".json") == with_b

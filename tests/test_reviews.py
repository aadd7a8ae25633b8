"""Review verdicts: persistence, concurrent writers, failed writes, export and import."""

import multiprocessing

import pytest

from loaders.reviews import ReviewStore, ReviewStoreError, Verdict, parse_export, to_csv, to_json


def verdict(number: int, **changes) -> Verdict:
    values = {"family": "deepfashion2", "root": "/data/df2", "split": "validation",
              "sample_id": f"{number:06d}", "verdict": "wrong label", "note": f"note {number}, with comma",
              "reviewer": "ana"}
    return Verdict(**{**values, **changes})


def test_verdict_survives_restart(tmp_path):
    written = ReviewStore(tmp_path).add(verdict(1))
    assert written.created_at
    reopened = ReviewStore(tmp_path)
    assert reopened.for_sample("deepfashion2", "/data/df2", "validation", "000001") == [written]
    assert reopened.for_sample("deepfashion2", "/data/df2", "validation", "000002") == []


def test_history_kept(tmp_path):
    store = ReviewStore(tmp_path)
    store.add(verdict(1, verdict="wrong geometry"))
    store.add(verdict(1, verdict="ok"))
    history = store.for_sample("deepfashion2", "/data/df2", "validation", "000001")
    assert [entry.verdict for entry in history] == ["wrong geometry", "ok"]


def test_unknown_verdict_rejected(tmp_path):
    with pytest.raises(ReviewStoreError, match="is not one of"):
        ReviewStore(tmp_path).add(verdict(1, verdict="meh"))


def test_failed_write_raises(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ReviewStoreError, match="could not be opened"):
        ReviewStore(blocker / "reviews").add(verdict(1))


def _write_many(folder, worker, count):
    from pathlib import Path

    store = ReviewStore(Path(folder))
    for number in range(count):
        store.add(verdict(number, reviewer=f"worker {worker}"))


def test_two_processes_write_500_each(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_many, args=(str(tmp_path), worker, 500)) for worker in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    stored = ReviewStore(tmp_path).all()
    assert len(stored) == 1000
    assert {entry.reviewer for entry in stored} == {"worker 0", "worker 1"}


@pytest.mark.parametrize("export", [to_csv, to_json])
def test_export_import_round_trip(tmp_path, export):
    source = ReviewStore(tmp_path / "a")
    for number in range(5):
        source.add(verdict(number, note=f"line one\nline \"two\", 中文 {number}"))
    text = export(source.all())
    target = ReviewStore(tmp_path / "b")
    assert target.import_verdicts(parse_export(text, "export")) == 5
    assert target.all() == source.all()
    assert export(target.all()) == text
    # Importing the same file again adds nothing.
    assert target.import_verdicts(parse_export(text, "export")) == 0


def test_import_rejects_bad_rows():
    with pytest.raises(ValueError, match="row 1 lacks the columns"):
        parse_export("family,root\nx,y\n", "bad.csv")
    with pytest.raises(ValueError, match="bad.json: invalid JSON at line 1"):
        parse_export("[{", "bad.json")

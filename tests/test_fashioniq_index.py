"""The Fashion IQ index against a direct parse of the real files, its rebuilds, its search and the checks."""

import json
import os
import shutil
from pathlib import Path

import pytest

from loaders.fashioniq import FashionIQDataset, caption_checks
from loaders.fashioniq_index import FashionIQIndex
from loaders.qa import run_checks

REAL_ROOT = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata" / "fashioniq"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Return the real root's dataset and its index, built once for the module in its own cache folder."""
    if not REAL_ROOT.is_dir():
        pytest.fail(f"real Fashion IQ files not found at {REAL_ROOT}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path_factory.mktemp("fiq-cache")))
        # A second dataset object, so the index build does not fill the caches of the one compared with.
        yield FashionIQDataset(REAL_ROOT), FashionIQIndex(FashionIQDataset(REAL_ROOT))


def test_index_records_equal_direct_parse(real):
    dataset, index = real
    files = dataset.caption_files()
    assert sum(len(splits) for splits in files.values()) == 9
    for category, splits in files.items():
        for split in splits:
            parsed = dataset.captions(category, split).records
            indexed = list(index.records(category, split))
            assert index.count(category, split) == len(parsed)
            assert [r.number for r in indexed] == [r.number for r in parsed]
            assert [(r.candidate, r.target) for r in indexed] == [(r.candidate, r.target) for r in parsed]
            assert [r.captions for r in indexed] == [r.captions for r in parsed]
            assert [r.problems for r in indexed] == [r.problems for r in parsed]


def test_index_real_counts(real):
    _, index = real
    assert index.count("dress", "train") == 5985
    assert index.count("toptee", "test") == 2056
    record = index.record("dress", "train", 2201)
    assert (record.candidate, record.target) == ("B00AKQBDKU", "B0051MR9D8")
    assert index.record("shirt", "test", 0).target is None
    assert index.record("dress", "train", 5985) is None


def test_index_tags_urls_images_equal_direct(real):
    dataset, index = real
    for category in ("dress", "shirt", "toptee"):
        assert index.has_tags(category) == dataset.has_tags(category)
        table = dataset.tags(category, "val")
        assert len(table) > 2000
        for asin in table:
            assert index.tags_of(category, asin, "train") == dataset.tags_of(category, asin, "train")
    urls = dataset.urls("dress")
    assert len(urls) == 19087
    assert all(index.url("dress", asin) == url for asin, url in urls.items())
    assert index.url("shirt", "B00AKQBDKU") == ""
    names = dataset.image_names()
    assert len(names) == 13
    assert all(index.has_image(asin) for asin in names)
    assert not index.has_image("B0051MR9D8")
    present, total = index.split_images("dress", "train")
    assert total == len(dataset.split_asins("dress", "train")) == 11452
    assert present == sorted(set(dataset.split_asins("dress", "train")) & names)
    assert len(present) == 8


@pytest.mark.parametrize("query", ["", "red", "OMBRÉ", "  more   floral ", "b00akqbdku", "it\u2019s", "%", "_",
                                   "is more of a dress", "zzzz-no-such-word"])
def test_index_search_equals_direct_scan(real, query):
    dataset, index = real
    for category, splits in dataset.caption_files().items():
        for split in splits:
            assert index.search(category, split, query) == dataset.search(category, split, query)


def test_index_search_counts(real):
    _, index = real
    assert index.search("toptee", "train", "ombré") == index.search("toptee", "train", "OMBRÉ")
    assert len(index.search("toptee", "train", "ombré")) == 1
    assert len(index.search("dress", "train", "")) == 5985


def _small_root(tmp_path):
    root = tmp_path / "fiq"
    for folder in ("captions", "images", "tags"):
        (root / folder).mkdir(parents=True)
    records = [{"candidate": "B01", "target": "B02", "captions": ["is red", " is long "]},
               {"candidate": "B03", "target": "B04", "captions": ["", "is blue"]}]
    (root / "captions" / "cap.dress.val.json").write_text(json.dumps(records))
    (root / "tags" / "asin2attr.dress.val.json").write_text(json.dumps({"B01": [["dress"], ["floral"]]}))
    (root / "images" / "B01.jpg").write_bytes(b"not decoded here")
    return root


def test_touched_caption_file_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    root = _small_root(tmp_path)
    first = FashionIQIndex(FashionIQDataset(root))
    assert first.record("dress", "val", 0).captions == ["is red", " is long "]
    assert FashionIQIndex(FashionIQDataset(root)).path == first.path
    path = root / "captions" / "cap.dress.val.json"
    path.write_text(json.dumps([{"candidate": "B09", "target": "B08", "captions": ["is green", "is short"]}]))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = FashionIQIndex(FashionIQDataset(root))
    assert second.path != first.path
    assert second.count("dress", "val") == 1
    assert second.record("dress", "val", 0).candidate == "B09"
    assert second.search("dress", "val", "green") == [0]


def test_touch_without_change_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    root = _small_root(tmp_path)
    first = FashionIQIndex(FashionIQDataset(root))
    tag_file = root / "tags" / "asin2attr.dress.val.json"
    stat = tag_file.stat()
    os.utime(tag_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = FashionIQIndex(FashionIQDataset(root))
    assert second.path != first.path
    assert second.path.is_file()
    assert second.tags_of("dress", "B01", "val") == {"category": ["dress"], "texture": ["floral"]}


def test_added_image_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    root = _small_root(tmp_path)
    assert not FashionIQIndex(FashionIQDataset(root)).has_image("B02")
    shutil.copy(root / "images" / "B01.jpg", root / "images" / "B02.jpg")
    assert FashionIQIndex(FashionIQDataset(root)).has_image("B02")


def test_broken_caption_file_problem_indexed(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    root = _small_root(tmp_path)
    (root / "captions" / "cap.dress.train.json").write_text("[{")
    index = FashionIQIndex(FashionIQDataset(root))
    assert index.count("dress", "train") == 0
    (problem,) = index.file_problems("dress", "train")
    assert problem.message.startswith("invalid JSON")
    assert problem.file.endswith("cap.dress.train.json")
    assert index.count("dress", "val") == 2


def test_record_sample_and_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    root = _small_root(tmp_path)
    index = FashionIQIndex(FashionIQDataset(root))
    sample = index.record_sample("dress.val", "0")
    assert sample.split == "dress.val"
    assert sample.image.path == root / "images" / "B01.jpg"
    assert sample.related[0].sample_id == "B02"
    assert sample.labels == {"category": ["dress"], "texture": ["floral"]}
    checks = caption_checks()
    keys = [("dress.val", "0"), ("dress.val", "1")]
    report = run_checks((index.record_sample(*key) for key in keys), checks)
    assert report.counts() == {"caption_empty": 1, "caption_padded": 1, "target_image_missing": 2}
    (empty,) = [flag for flag in report.flags if flag.check_id == "caption_empty"]
    assert (empty.sample_id, empty.detail) == ("1", "caption 1 is ''")
    (padded,) = [flag for flag in report.flags if flag.check_id == "caption_padded"]
    assert (padded.sample_id, padded.detail) == ("0", "caption 2 is ' is long '")


def test_good_record_passes_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHIONVIZ_CACHE_DIR", str(tmp_path / "cache"))
    root = _small_root(tmp_path)
    shutil.copy(root / "images" / "B01.jpg", root / "images" / "B02.jpg")
    path = root / "captions" / "cap.dress.val.json"
    path.write_text(json.dumps([{"candidate": "B01", "target": "B02", "captions": ["is red", "is long"]}]))
    index = FashionIQIndex(FashionIQDataset(root))
    report = run_checks([index.record_sample("dress.val", "0")], caption_checks())
    assert report.flags == []


def test_real_caption_checks_counts(real):
    _, index = real
    keys = [("toptee.train", str(number)) for number in range(index.count("toptee", "train"))]
    report = run_checks((index.record_sample(*key) for key in keys), caption_checks())
    # The real toptee train file has 12 empty captions.
    empty = [flag for flag in report.flags if flag.check_id == "caption_empty"]
    assert len(empty) == 12
    assert report.counts()["target_image_missing"] == 6027

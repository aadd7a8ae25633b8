"""Fashion IQ loader on the real caption, split, tag and URL files and the 13 real images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loaders.fashioniq import FashionIQDataset, caption_notes, parse_url_lines

CAPTION_COUNTS = {
    ("dress", "train"): 5985, ("dress", "val"): 2017, ("dress", "test"): 2024,
    ("shirt", "train"): 5988, ("shirt", "val"): 2038, ("shirt", "test"): 2038,
    ("toptee", "train"): 6027, ("toptee", "val"): 1961, ("toptee", "test"): 2056,
}
SPLIT_COUNTS = {
    ("dress", "train"): 11452, ("dress", "val"): 3817, ("dress", "test"): 3818,
    ("shirt", "train"): 19036, ("shirt", "val"): 6346, ("shirt", "test"): 6346,
    ("toptee", "train"): 16121, ("toptee", "val"): 5373, ("toptee", "test"): 5374,
}
EMPTY_CAPTIONS = {("shirt", "val"): 1, ("shirt", "test"): 1, ("toptee", "train"): 12, ("toptee", "val"): 2}
REAL_IMAGES = {"B008583YKC", "B009H3SDPK", "B00A885VUI", "B00AKQBDKU", "B00AZGHX7M", "B00AZJJE1C", "B00AZJJER6",
               "B00AZJJGDS", "B00AZJJYBM", "B00BTDROGU", "B00BTDS338", "B00C621JPK", "B00CM2RZ3E"}


@pytest.fixture
def real(realdata) -> FashionIQDataset:
    return FashionIQDataset(realdata / "fashioniq")


def test_caption_files_found(real):
    assert real.caption_files() == {category: ["train", "val", "test"] for category in ("dress", "shirt", "toptee")}
    assert real.missing_files() is None


@pytest.mark.parametrize(("category", "split"), sorted(CAPTION_COUNTS))
def test_caption_record_counts(real, category, split):
    caption_file = real.captions(category, split)
    assert len(caption_file.records) == CAPTION_COUNTS[category, split]
    assert caption_file.problems == []


@pytest.mark.parametrize(("category", "split"), sorted(CAPTION_COUNTS))
def test_two_captions_per_record(real, category, split):
    records = real.captions(category, split).records
    assert sum(len(record.captions) for record in records) == 2 * CAPTION_COUNTS[category, split]


@pytest.mark.parametrize(("category", "split"), sorted(SPLIT_COUNTS))
def test_split_asin_counts(real, category, split):
    assert len(real.split_asins(category, split)) == SPLIT_COUNTS[category, split]


@pytest.mark.parametrize("category", ["dress", "shirt", "toptee"])
def test_targets_only_outside_test(real, category):
    assert all(record.target is None for record in real.captions(category, "test").records)
    for split in ("train", "val"):
        assert all(record.target for record in real.captions(category, split).records)


def test_first_record_fields(real):
    first = real.captions("dress", "test").records[0]
    assert first.candidate == "B007E66YTO"
    assert first.captions == [" yello and more flowing", "short and black"]


@pytest.mark.parametrize(("category", "split"), sorted(CAPTION_COUNTS))
def test_empty_caption_counts(real, category, split):
    captions = [caption for record in real.captions(category, split).records for caption in record.captions]
    assert sum("empty" in caption_notes(caption) for caption in captions) == EMPTY_CAPTIONS.get((category, split), 0)


def test_padded_captions_dress_train(real):
    captions = [caption for record in real.captions("dress", "train").records for caption in record.captions]
    assert sum("leading or trailing spaces" in caption_notes(caption) for caption in captions) == 518


def test_non_ascii_captions_kept(real):
    train = real.captions("toptee", "train").records[5044].captions
    assert "Is ombré blue with a flare bottom" in train
    assert caption_notes("Is ombré blue with a flare bottom") == ["non-ASCII characters"]
    val = real.captions("toptee", "val").records[192].captions
    assert "They\u2019re coverup cutlets & not clothes" in val


def test_image_files_are_the_13(real):
    assert real.image_names() == REAL_IMAGES


def test_images_by_split(real):
    with_images = real.image_names()
    assert len(with_images & set(real.split_asins("dress", "train"))) == 8
    assert len(with_images & set(real.split_asins("dress", "test"))) == 5
    assert not with_images & set(real.split_asins("shirt", "train"))


def test_caption_asins_with_images(real):
    with_images = real.image_names()
    found = {}
    for category in ("dress", "shirt", "toptee"):
        for split in ("train", "val", "test"):
            for record in real.captions(category, split).records:
                for asin in (record.candidate, record.target):
                    if asin in with_images:
                        found.setdefault(asin, set()).add(f"{category}.{split}")
    assert found == {"B00AKQBDKU": {"dress.train"}, "B00BTDROGU": {"dress.train"}, "B00BTDS338": {"dress.train"},
                     "B00CM2RZ3E": {"dress.test"}}


def test_image_sample_present_and_missing(real):
    present = real.image_sample("dress", "B00AKQBDKU", "train")
    assert present.fields["has image"] is True
    assert present.image.path.name == "B00AKQBDKU.jpg"
    missing = real.image_sample("dress", "B008BHCT58", "train")
    assert missing.fields["has image"] is False
    assert missing.image.url == "http://ecx.images-amazon.com/images/I/31dg%2Ba8VZDL._SX342_.jpg"


def test_url_list_parsed(real):
    urls = real.urls("dress")
    assert len(urls) == 19087
    assert urls["B00014NGF6"] == "http://ecx.images-amazon.com/images/I/51AERD8SM8L._SY445_.jpg"
    dress_asins = {asin for split in ("train", "val", "test") for asin in real.split_asins("dress", split)}
    assert set(urls) == dress_asins
    assert real.urls("shirt") == {}


def test_url_lines_with_spaces():
    text = "B00014NGF6 \t http://x/a.jpg\nB0006HJ8FU\thttp://x/b.jpg \n\nbroken line\n \t http://x/c.jpg\n"
    assert parse_url_lines(text) == {"B00014NGF6": "http://x/a.jpg", "B0006HJ8FU": "http://x/b.jpg"}


def test_tag_counts(real):
    assert len(real.tags("dress", "val")) == 2561
    assert len(real.tags("shirt", "val")) == 4014
    assert real.tags("dress", "train") == {}
    assert real.has_tags("dress")


def test_tags_of_by_group(real):
    tags = real.tags_of("dress", "B0009T8KS6", "val")
    assert tags == {"category": ["dress"], "texture": ["flower", "pattern"], "fabric": ["brocade", "clean"],
                    "shape": ["knee-length"], "part": [], "style": ["please"]}
    # A tag file of another split is used when the record's own split has none.
    assert real.tags_of("dress", "B0009T8KS6", "train") == tags
    assert real.tags_of("dress", "B008BHCT58", "train") == {}


def test_search_captions(real):
    numbers = real.search("dress", "test", "YELLO")
    assert 0 in numbers
    assert all("yello" in " ".join(real.captions("dress", "test").records[n].captions).lower() for n in numbers)
    assert len(real.search("dress", "test", "")) == 2024
    assert real.search("dress", "test", "B00CM2RZ3E") == [834, 899, 1266, 1801]
    assert real.search("dress", "test", "black nonexistentword") == []


def write_root(tmp_path: Path, records: object, raw: str | None = None) -> Path:
    root = tmp_path / "fiq"
    (root / "captions").mkdir(parents=True)
    text = raw if raw is not None else json.dumps(records)
    (root / "captions" / "cap.dress.train.json").write_text(text, encoding="utf-8")
    (root / "captions" / "cap.shirt.val.json").write_text(json.dumps(
        [{"target": "B1", "candidate": "B2", "captions": ["a", "b"]}]), encoding="utf-8")
    return root


def test_invalid_json_reported(tmp_path):
    dataset = FashionIQDataset(write_root(tmp_path, None, raw='[{"candidate": "B1", '))
    broken = dataset.captions("dress", "train")
    assert broken.records == []
    assert broken.problems[0].severity == "error"
    assert "invalid JSON" in broken.problems[0].message
    assert broken.problems[0].file.endswith("cap.dress.train.json")
    assert len(dataset.captions("shirt", "val").records) == 1


def test_malformed_records_reported(tmp_path):
    records = ["not an object", {"candidate": "B1", "captions": ["x", "y"]},
               {"target": "B3", "candidate": 7, "captions": "one string"},
               {"target": "B4", "candidate": "B5", "captions": ["only one"]}]
    caption_file = FashionIQDataset(write_root(tmp_path, records)).captions("dress", "train")
    assert len(caption_file.records) == 4
    by_record = {}
    for problem in caption_file.problems:
        by_record.setdefault(problem.record, []).append(problem.message)
    assert by_record["record 0"] == ["record is not a JSON object."]
    assert by_record["record 1"] == ["record has no target, but only test records lack one."]
    assert "candidate 7 is not an ASIN." in by_record["record 2"]
    assert "captions is not a list of strings." in by_record["record 2"]
    assert by_record["record 3"] == ["1 captions, expected 2."]


def test_missing_image_folder_reported(tmp_path):
    dataset = FashionIQDataset(write_root(tmp_path, []))
    assert dataset.image_names() == set()
    assert "image folder not found" in dataset.problems[0].message
    assert dataset.image_sample("dress", "B1", "train").fields["has image"] is False


def test_empty_root_reported(tmp_path):
    problem = FashionIQDataset(tmp_path).missing_files()
    assert problem.severity == "error"
    assert "no caption file" in problem.message

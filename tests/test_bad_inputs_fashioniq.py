"""Broken Fashion IQ files: each case breaks one thing in a small copy of the real files.

Every case checks that the problem message states what is wrong, that it names the file
and the record, and that everything else in the root still loads. Each case is read
directly (``FashionIQDataset``) and through the SQLite index (``FashionIQIndex``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from loaders.fashioniq import CaptionRecord, FashionIQDataset
from loaders.fashioniq_index import FashionIQIndex
from loaders.model import Problem

CAPTIONS = "captions/cap.dress.val.json"
SPLITS = "image_splits/split.dress.val.json"
TAGS = "tags/asin2attr.dress.val.json"
URLS = "image_url/asin2url.dress.txt"
RECORDS = 6


def small_root(root: Path, realdata: Path) -> Path:
    """Write the first records, ASINs, tags and URL lines of the real dress and shirt val files, and no images."""
    real = realdata / "fashioniq"
    for name in ("captions", "image_splits", "tags", "image_url", "images"):
        (root / name).mkdir(parents=True)
    records = json.loads((real / CAPTIONS).read_bytes())[:RECORDS]
    (root / CAPTIONS).write_text(json.dumps(records, indent=4))
    shirt = "captions/cap.shirt.val.json"
    (root / shirt).write_text(json.dumps(json.loads((real / shirt).read_bytes())[:3], indent=4))
    for split_file in (SPLITS, "image_splits/split.shirt.val.json"):
        (root / split_file).write_text(json.dumps(json.loads((real / split_file).read_bytes())[:12], indent=4))
    tags = json.loads((real / TAGS).read_bytes())
    asins = [asin for record in records for asin in (record["candidate"], record["target"]) if asin in tags]
    (root / TAGS).write_text(json.dumps({asin: tags[asin] for asin in [*asins, *list(tags)[:3]]}, indent=4))
    lines = (real / URLS).read_bytes().split(b"\n")[:10]
    (root / URLS).write_bytes(b"\n".join(lines) + b"\n")
    return root


class Reader:
    """The same questions asked of the dataset directly or of its index."""

    def __init__(self, root: Path, read_path: str):
        self.dataset = FashionIQDataset(root)
        self.index = FashionIQIndex(self.dataset) if read_path == "indexed" else None

    def records(self, category: str, split: str) -> list[CaptionRecord]:
        if self.index is not None:
            return list(self.index.records(category, split))
        return self.dataset.captions(category, split).records

    def split_asins(self, category: str, split: str) -> list[str]:
        if self.index is not None:
            rows = self.index.connection.execute("SELECT asin FROM split_asins WHERE category = ? AND split = ?",
                                                 (category, split))
            return [asin for (asin,) in rows]
        return self.dataset.split_asins(category, split)

    def tags_of(self, asin: str) -> dict[str, list[str]]:
        return (self.index or self.dataset).tags_of("dress", asin, "val")

    def url(self, asin: str) -> str:
        return self.index.url("dress", asin) if self.index is not None else self.dataset.urls("dress").get(asin, "")

    def problems(self) -> list[Problem]:
        """Return the problems of every file of the root, reading each file first."""
        if self.index is not None:
            problems = self.index.file_problems()
            for category, splits in self.index.caption_files().items():
                for split in splits:
                    problems += self.index.file_problems(category, split)
                    problems += [problem for record in self.records(category, split) for problem in record.problems]
            return problems
        problems = []
        for category, splits in self.dataset.caption_files().items():
            for split in splits:
                problems += self.dataset.captions(category, split).problems
                self.dataset.split_asins(category, split)
        self.dataset.tags("dress", "val")
        self.dataset.urls("dress")
        return problems + self.dataset.problems

    def snapshot(self, tag_asins: list[str], url_asins: list[str]) -> dict[tuple, object]:
        """Return everything the root shows, keyed by (kind, file or category, item)."""
        content: dict[tuple, object] = {}
        for category, split in (("dress", "val"), ("shirt", "val")):
            for record in self.records(category, split):
                content["record", f"{category}.{split}", record.number] = (record.candidate, record.target,
                                                                           record.captions)
        for position, asin in enumerate(self.split_asins("dress", "val")):
            content["split", "dress.val", position] = asin
        for asin in tag_asins:
            content["tags", "dress", asin] = self.tags_of(asin)
        for asin in url_asins:
            content["url", "dress", asin] = self.url(asin)
        return content


def edit_json(change: Callable[[object], object]) -> Callable[[bytes], bytes]:
    """Return a fault that loads a JSON file, lets ``change`` edit it (or return a new value) and writes it back."""

    def fault(data: bytes) -> bytes:
        document = json.loads(data)
        changed = change(document)
        return json.dumps(document if changed is None else changed, indent=4).encode()

    return fault


def set_in(*path_and_value) -> Callable[[object], None]:
    *path, value = path_and_value

    def change(document) -> None:
        for key in path[:-1]:
            document = document[key]
        document[path[-1]] = value

    return change


def first_key(document: dict) -> str:
    return next(iter(document))


def replace_once(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def fault(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)

    return fault


def replace_line(number: int, text: bytes) -> Callable[[bytes], bytes]:
    def fault(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[number - 1] = text
        return b"\n".join(lines)

    return fault


# Keys of the snapshot a case may change or lose: a prefix of (kind, file or category, item).
WHOLE_CAPTIONS = ("record", "dress.val")
WHOLE_SPLIT = ("split", "dress.val")
WHOLE_TAGS = ("tags", "dress")

CASES = [
    # case id, file, fault, message fragment, record, severity, changed or lost snapshot keys
    ("captions_malformed", CAPTIONS, replace_once(b'"candidate":', b'"candidate"'), "invalid JSON at line 4,",
     "", "error", [WHOLE_CAPTIONS]),
    ("captions_truncated", CAPTIONS, lambda data: data[:len(data) // 2], "invalid JSON at line", "", "error",
     [WHOLE_CAPTIONS]),
    ("captions_empty", CAPTIONS, lambda data: b"", "file is empty", "", "error", [WHOLE_CAPTIONS]),
    ("captions_nan", CAPTIONS, edit_json(set_in(2, "captions", [float("nan"), "fit and flare"])),
     "invalid JSON at line", "", "error", [WHOLE_CAPTIONS]),
    ("captions_infinity", CAPTIONS, edit_json(set_in(2, "captions", [float("-inf")])), "invalid JSON at line",
     "", "error", [WHOLE_CAPTIONS]),
    ("captions_non_utf8", CAPTIONS, replace_once(b"fit and flare", b"fit and \xfflare"),
     "not valid UTF-8 at line 7, column 22", "", "warning", [(*WHOLE_CAPTIONS, 0)]),
    ("captions_top_level_object", CAPTIONS, edit_json(lambda document: {"records": document}),
     "top level is not a JSON list of records", "", "error", [WHOLE_CAPTIONS]),
    ("record_not_object", CAPTIONS, edit_json(set_in(2, "B00BPYP69K")), "record is not a JSON object",
     "record 2", "warning", [(*WHOLE_CAPTIONS, 2)]),
    ("captions_string", CAPTIONS, edit_json(set_in(2, "captions", "is longer")),
     "captions is not a list of strings", "record 2", "warning", [(*WHOLE_CAPTIONS, 2)]),
    ("captions_non_strings", CAPTIONS, edit_json(set_in(2, "captions", [3, None])),
     "captions is not a list of strings", "record 2", "warning", [(*WHOLE_CAPTIONS, 2)]),
    ("candidate_number", CAPTIONS, edit_json(set_in(2, "candidate", 1234567890)),
     "candidate 1234567890 is not an ASIN", "record 2", "info", [(*WHOLE_CAPTIONS, 2)]),
    ("target_number", CAPTIONS, edit_json(set_in(2, "target", 1234567890)), "target 1234567890 is not an ASIN",
     "record 2", "info", [(*WHOLE_CAPTIONS, 2)]),
    ("candidate_object", CAPTIONS, edit_json(set_in(2, "candidate", {"asin": "B00BPYP69K"})),
     "candidate {'asin': 'B00BPYP69K'} is not an ASIN", "record 2", "warning", [(*WHOLE_CAPTIONS, 2)]),
    ("split_malformed", SPLITS, replace_once(b'",', b'"'), "invalid JSON at line 3,", "", "error",
     [WHOLE_SPLIT]),
    ("split_non_utf8", SPLITS, replace_once(b'"B00', b'"\xffB00'), "not valid UTF-8 at line 2, column 6", "",
     "warning", [(*WHOLE_SPLIT, 0)]),
    ("split_top_level_object", SPLITS, edit_json(lambda document: {"asins": document}),
     "top level is not a JSON list of ASINs", "", "error", [WHOLE_SPLIT]),
    ("split_entry_number", SPLITS, edit_json(set_in(3, 1234567890)), "entry 1234567890 is not an ASIN",
     "entry 3", "info", [(*WHOLE_SPLIT, 3)]),
    ("split_entry_list", SPLITS, edit_json(set_in(3, ["B00AKLK08G"])), "entry ['B00AKLK08G'] is not an ASIN",
     "entry 3", "warning", [WHOLE_SPLIT]),
    ("tags_malformed", TAGS, lambda data: data[:-3], "invalid JSON at line", "", "error", [WHOLE_TAGS]),
    ("tags_top_level_list", TAGS, edit_json(lambda document: list(document.values())),
     "top level is not a JSON object of ASINs", "", "warning", [WHOLE_TAGS]),
    ("tags_not_lists", TAGS, edit_json(lambda document: document.update({first_key(document): "dress"})),
     "tags are not a list of word lists", "ASIN B005X4PL1G", "warning", [(*WHOLE_TAGS, "B005X4PL1G")]),
    ("tags_words_not_list", TAGS, edit_json(lambda document: document.update({first_key(document): [7, ["x"]]})),
     "tags are not a list of word lists", "ASIN B005X4PL1G", "warning", [(*WHOLE_TAGS, "B005X4PL1G")]),
    ("url_line_without_tab", URLS, replace_line(3, b"B0006HJ91S http://ecx.images-amazon.com/a.jpg"),
     'lines are not "ASIN <tab> URL"', "line 3", "warning", [("url", "dress", "B0006HJ91S")]),
    ("url_non_utf8", URLS, replace_once(b"51AERD8SM8L", b"51AERD8\xffSM8L"), "not valid UTF-8", "line 1",
     "warning", [("url", "dress", "B00014NGF6")]),
]


@pytest.mark.parametrize("read_path", ["direct", "indexed"])
@pytest.mark.parametrize(("case", "file", "fault", "fragment", "record", "severity", "changed"), CASES,
                         ids=[case[0] for case in CASES])
def test_broken_file(tmp_path, realdata, read_path, case, file, fault, fragment, record, severity, changed):
    reference_root = small_root(tmp_path / "reference", realdata)
    broken_root = small_root(tmp_path / "broken", realdata)
    source = broken_root / file
    source.write_bytes(fault(source.read_bytes()))
    reference = Reader(reference_root, "direct")
    broken = Reader(broken_root, read_path)

    matches = [problem for problem in broken.problems() if fragment in problem.message]
    assert matches, [str(problem) for problem in broken.problems()]
    (problem,) = matches
    assert problem.file == str(source)
    assert problem.record == record
    assert problem.severity == severity
    assert reference.problems() == []

    tag_asins = list(reference.dataset.tags("dress", "val"))
    url_asins = list(reference.dataset.urls("dress"))
    expected = reference.snapshot(tag_asins, url_asins)
    shown = broken.snapshot(tag_asins, url_asins)

    def kept(key: tuple) -> bool:
        return not any(key[:len(prefix)] == prefix for prefix in changed)

    assert {key: value for key, value in shown.items() if kept(key)} == \
        {key: value for key, value in expected.items() if kept(key)}
    assert any(not kept(key) for key in expected), "the case changes nothing that the reader shows"


def test_number_asins_read_as_text(tmp_path, realdata):
    root = small_root(tmp_path, realdata)
    source = root / CAPTIONS
    source.write_bytes(edit_json(set_in(2, "candidate", 1234567890))(source.read_bytes()))
    (record,) = [record for record in Reader(root, "indexed").records("dress", "val") if record.number == 2]
    assert record.candidate == "1234567890"
    assert record.target == "B00CMPE0C0"


def test_non_utf8_caption_keeps_other_text(tmp_path, realdata):
    root = small_root(tmp_path, realdata)
    source = root / CAPTIONS
    source.write_bytes(replace_once(b"fit and flare", b"fit and \xfflare")(source.read_bytes()))
    records = Reader(root, "indexed").records("dress", "val")
    assert records[0].captions == ["is shiny and silver with shorter sleeves", "fit and \ufffdlare"]
    assert len(records) == RECORDS


def test_index_serves_records_without_rereading(tmp_path, realdata):
    """Caption files are parsed whole once (orjson has no streaming) and records then come from the index.

    The caption file's bytes are replaced after the index is built, keeping its size and
    modification time, so a record that still shows its captions was read from the index.
    """
    root = small_root(tmp_path, realdata)
    expected = Reader(root, "indexed").records("dress", "val")
    source = root / CAPTIONS
    stat = source.stat()
    source.write_bytes(b" " * stat.st_size)
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    reread = Reader(root, "indexed")
    assert reread.records("dress", "val") == expected
    assert reread.problems() == []

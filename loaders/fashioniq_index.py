"""Persistent SQLite index of a Fashion IQ root: caption records, tags, URLs, splits and images on disk.

One index covers every caption, split, tag and URL file of a root, plus the list of
images present. Its name carries the paths, sizes and modification times of those
files and of the images folder, so a changed, added or removed file, or an image
added to or removed from the folder, leads to a new index. The page then reads one
record, one ASIN's tags or one URL with a single query and searches the captions
without parsing the JSON files again.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from loaders.fashioniq import SPLITS, TAG_GROUPS, CaptionRecord, FashionIQDataset
from loaders.index_store import build_or_open, index_path, source_signature
from loaders.model import ImageSource, Problem, Related, Sample

log = logging.getLogger(__name__)

SOURCE_FOLDERS = ("captions", "image_splits", "tags", "image_url")
SCHEMA = """
CREATE TABLE records (category TEXT, split TEXT, number INTEGER, candidate TEXT, target TEXT,
                      captions TEXT, search_text TEXT, problems TEXT, PRIMARY KEY (category, split, number));
CREATE TABLE problems (category TEXT, split TEXT, problem TEXT);
CREATE TABLE tags (category TEXT, split TEXT, asin TEXT, lists TEXT, PRIMARY KEY (category, split, asin));
CREATE TABLE urls (category TEXT, asin TEXT, url TEXT, PRIMARY KEY (category, asin));
CREATE TABLE split_asins (category TEXT, split TEXT, asin TEXT);
CREATE TABLE images (asin TEXT PRIMARY KEY);
"""


def source_files(root: Path) -> list[Path]:
    """Return the files the index is built from, and the images folder, whose listing it records."""
    paths = [root / "images"]
    for name in SOURCE_FOLDERS:
        folder = root / name
        if folder.is_dir():
            paths.extend(path for path in folder.iterdir() if path.is_file())
    return paths


def index_signature(root: Path) -> str:
    """Return the hash that names the index of ``root``; it changes when a source file or the image list does."""
    return source_signature(source_files(root))


def _problem_json(problems: list[Problem]) -> str:
    return orjson.dumps([dataclasses.asdict(problem) for problem in problems]).decode()


def _problems(text: str) -> list[Problem]:
    return [Problem(**entry) for entry in orjson.loads(text)]


def record_key(category: str, split: str) -> str:
    """Return the split name used for quality flags and verdicts: ``dress.train``, as in the file names."""
    return f"{category}.{split}"


def parse_record_key(key: str) -> tuple[str, str]:
    category, _, split = key.partition(".")
    return category, split


class FashionIQIndex:
    """Read-only view of the index of one root, built first when the source files changed."""

    def __init__(self, dataset: FashionIQDataset, progress: Callable[[int, int], None] | None = None):
        self.dataset = dataset
        self.path = index_path("fashioniq", index_signature(dataset.root))
        self.connection = build_or_open(self.path, lambda connection: self._build(connection, progress))

    # -- build ---------------------------------------------------------------------------------

    def _build(self, connection: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
        dataset = self.dataset
        connection.executescript(SCHEMA)
        files = [(category, split) for category, splits in dataset.caption_files().items() for split in splits]
        categories = sorted({category for category, _ in files})
        steps = len(files) + len(categories) + 1

        for step, (category, split) in enumerate(files):
            if progress is not None:
                progress(step, steps)
            parsed = dataset.captions(category, split)
            connection.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
                (category, split, record.number, record.candidate, record.target,
                 orjson.dumps(record.captions).decode(), text, _problem_json(record.problems))
                for record, text in zip(parsed.records, parsed.search_text)))
            # Record problems are stored with their record, so only the file's own problems go here.
            of_records = {problem for record in parsed.records for problem in record.problems}
            own = [problem for problem in parsed.problems if problem not in of_records]
            connection.executemany("INSERT INTO problems VALUES (?, ?, ?)",
                                   ((category, split, _problem_json([problem])) for problem in own))
            connection.executemany("INSERT INTO split_asins VALUES (?, ?, ?)",
                                   ((category, split, asin) for asin in dataset.split_asins(category, split)))

        for step, category in enumerate(categories, start=len(files)):
            if progress is not None:
                progress(step, steps)
            for split in SPLITS:
                connection.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?, ?, ?)", (
                    (category, split, str(asin), orjson.dumps(lists).decode())
                    for asin, lists in dataset.tags(category, split).items() if isinstance(lists, list)))
            connection.executemany("INSERT INTO urls VALUES (?, ?, ?)",
                                   ((category, asin, url) for asin, url in dataset.urls(category).items()))

        connection.executemany("INSERT INTO images VALUES (?)", ((asin,) for asin in dataset.image_names()))
        # Problems of the split, tag and image folder reads, which the dataset collects for the whole root.
        connection.executemany("INSERT INTO problems VALUES ('', '', ?)",
                               ((_problem_json([problem]),) for problem in dataset.problems))
        connection.execute("CREATE INDEX split_asins_key ON split_asins (category, split)")
        connection.execute("CREATE INDEX tags_asin ON tags (category, asin)")
        if progress is not None:
            progress(steps, steps)

    # -- queries -------------------------------------------------------------------------------

    def caption_files(self) -> dict[str, list[str]]:
        """Return the splits that have a caption file, by category, as the dataset lists them."""
        return self.dataset.caption_files()

    def file_problems(self, category: str | None = None, split: str | None = None) -> list[Problem]:
        """Return the problems of one caption file, or with no arguments those of the other files."""
        rows = self.connection.execute("SELECT problem FROM problems WHERE category = ? AND split = ?",
                                       (category or "", split or ""))
        return [problem for (text,) in rows for problem in _problems(text)]

    def count(self, category: str, split: str) -> int:
        (count,) = self.connection.execute("SELECT count(*) FROM records WHERE category = ? AND split = ?",
                                           (category, split)).fetchone()
        return count

    def record(self, category: str, split: str, number: int) -> CaptionRecord | None:
        row = self.connection.execute("SELECT * FROM records WHERE category = ? AND split = ? AND number = ?",
                                      (category, split, number)).fetchone()
        return None if row is None else self._record(row)

    def records(self, category: str, split: str) -> Iterator[CaptionRecord]:
        rows = self.connection.execute("SELECT * FROM records WHERE category = ? AND split = ? ORDER BY number",
                                       (category, split))
        return (self._record(row) for row in rows)

    @staticmethod
    def _record(row: sqlite3.Row) -> CaptionRecord:
        return CaptionRecord(row["number"], row["candidate"], row["target"], orjson.loads(row["captions"]),
                             _problems(row["problems"]))

    def search(self, category: str, split: str, query: str) -> list[int]:
        """Return the numbers of the records whose captions or ASINs contain every word of ``query``.

        Matching ignores case, as ``FashionIQDataset.search`` does. ``instr`` on the
        casefolded column is used instead of LIKE, which folds ASCII letters only and
        reads ``%`` and ``_`` as wildcards.
        """
        words = orjson.dumps(query.casefold().split()).decode()
        rows = self.connection.execute(
            "SELECT number FROM records WHERE category = ? AND split = ? AND NOT EXISTS "
            "(SELECT 1 FROM json_each(?) WHERE instr(search_text, value) = 0) ORDER BY number",
            (category, split, words))
        return [number for (number,) in rows]

    def tags_of(self, category: str, asin: str, split: str) -> dict[str, list[str]]:
        """Return the tag words of an image by group, from the tag file of ``split`` first, then the others."""
        found = dict(self.connection.execute("SELECT split, lists FROM tags WHERE category = ? AND asin = ?",
                                             (category, asin)).fetchall())
        for tag_split in (split, *(other for other in SPLITS if other != split)):
            if tag_split in found:
                lists = orjson.loads(found[tag_split])
                names = TAG_GROUPS + tuple(f"list {n}" for n in range(len(TAG_GROUPS), len(lists)))
                return {name: [str(word) for word in words] for name, words in zip(names, lists)
                        if isinstance(words, list)}
        return {}

    def has_tags(self, category: str) -> bool:
        return self.connection.execute("SELECT 1 FROM tags WHERE category = ? LIMIT 1", (category,)).fetchone() \
            is not None

    def url(self, category: str, asin: str) -> str:
        row = self.connection.execute("SELECT url FROM urls WHERE category = ? AND asin = ?",
                                      (category, asin)).fetchone()
        return row[0] if row else ""

    def has_image(self, asin: str) -> bool:
        return self.connection.execute("SELECT 1 FROM images WHERE asin = ?", (asin,)).fetchone() is not None

    def split_images(self, category: str, split: str) -> tuple[list[str], int]:
        """Return the ASINs of a split file that have an image, sorted, and the number of ASINs in the file."""
        (total,) = self.connection.execute("SELECT count(*) FROM split_asins WHERE category = ? AND split = ?",
                                           (category, split)).fetchone()
        rows = self.connection.execute(
            "SELECT DISTINCT asin FROM split_asins JOIN images USING (asin) WHERE category = ? AND split = ? "
            "ORDER BY asin", (category, split))
        return [asin for (asin,) in rows], total

    # -- samples -------------------------------------------------------------------------------

    def image_sample(self, category: str, asin: str, split: str) -> Sample:
        """Return the Sample of one product image with its URL and its tags as labels."""
        source = ImageSource(path=self.dataset.image_dir / f"{asin}.jpg", url=self.url(category, asin),
                             root=self.dataset.root)
        sample = Sample(id=asin, split=split, image=source)
        sample.labels = self.tags_of(category, asin, split)
        sample.fields = {"has image": self.has_image(asin)}
        return sample

    def record_sample(self, key: str, sample_id: str) -> Sample:
        """Return a caption record as a Sample: the candidate's image, the target as related, the captions.

        ``key`` is ``<category>.<split>``. The labels are the tags of the candidate and
        the target together, so tag statistics count records.
        """
        category, split = parse_record_key(key)
        record = self.record(category, split, int(sample_id))
        if record is None:
            return Sample(id=sample_id, split=key, problems=[Problem(
                str(self.dataset.caption_path(category, split)), "record not found.", f"record {sample_id}",
                severity="error")])
        candidate = self.image_sample(category, record.candidate, split)
        sample = Sample(id=sample_id, split=key, image=candidate.image, captions=list(record.captions),
                        problems=list(record.problems))
        sample.fields = {"candidate": record.candidate, "target": record.target or "",
                         "candidate image": candidate.fields["has image"]}
        labels = {group: list(words) for group, words in candidate.labels.items()}
        if record.target:
            sample.related.append(Related("target", record.target, key))
            sample.fields["target image"] = self.has_image(record.target)
            for group, words in self.tags_of(category, record.target, split).items():
                known = labels.setdefault(group, [])
                known.extend(word for word in words if word not in known)
        sample.labels = labels
        return sample

"""Fashion IQ: relative captions between a candidate and a target product image.

Layout under the root::

    captions/cap.<category>.<split>.json         [{"candidate", "target", "captions": [two strings]}, ...]
    image_splits/split.<category>.<split>.json   flat list of ASINs
    tags/asin2attr.<category>.<split>.json       {ASIN: [6 lists of words]}        (optional)
    image_url/asin2url.<category>.txt            lines "ASIN \\t URL"             (optional)
    images/<ASIN>.jpg

Categories are dress, shirt and toptee; splits train, val and test. Test records
have no ``target``. Images are downloaded from the URL lists, many of which are dead,
so most installations lack some images.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from loaders.jsonfile import json_error_text
from loaders.model import ImageSource, Problem, Sample
from loaders.qa import Check, Flag

log = logging.getLogger(__name__)

CATEGORIES = ("dress", "shirt", "toptee")
SPLITS = ("train", "val", "test")
CAPTION_FILE = re.compile(r"^cap\.(?P<category>[^.]+)\.(?P<split>[^.]+)\.json$")
# Tag list 0 is the category word. NOTE: the files do not name lists 1-5, so these names are
# guessed from their words, which look like texture, fabric, shape, part and style words.
TAG_GROUPS = ("category", "texture", "fabric", "shape", "part", "style")


@dataclass
class CaptionRecord:
    """One record of a caption file: the candidate, the target (None in test) and the two captions."""

    number: int  # 0-based position in the file
    candidate: str
    target: str | None
    captions: list[str]
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CaptionFile:
    """The parsed records of one caption file, with the problems of the file itself."""

    records: list[CaptionRecord]
    problems: list[Problem] = field(default_factory=list)
    # Casefolded captions and ASINs of each record, for search.
    search_text: list[str] = field(default_factory=list)


def caption_notes(caption: str) -> list[str]:
    """Return the oddities of a caption that a reader cannot see: empty, padded, non-ASCII."""
    notes = []
    if not caption.strip():
        notes.append("empty")
    elif caption != caption.strip():
        notes.append("leading or trailing spaces")
    if not caption.isascii():
        notes.append("non-ASCII characters")
    return notes


def parse_url_lines(text: str, bad_lines: list[int] | None = None) -> dict[str, str]:
    """Parse ``ASIN \\t URL`` lines, which have a space on each side of the tab in the real files.

    The numbers (1-based) of non-blank lines without a tab, ASIN or URL are appended to ``bad_lines``.
    """
    urls = {}
    for number, line in enumerate(text.splitlines(), start=1):
        asin, tab, url = line.partition("\t")
        if tab and asin.strip() and url.strip():
            urls[asin.strip()] = url.strip()
        elif line.strip() and bad_lines is not None:
            bad_lines.append(number)
    return urls


class FashionIQDataset:
    """Lazy reader of one Fashion IQ root; see the module docstring for the layout."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.image_dir = self.root / "images"
        self.problems: list[Problem] = []
        self._captions: dict[tuple[str, str], CaptionFile] = {}
        self._tags: dict[tuple[str, str], dict[str, list]] = {}
        self._urls: dict[str, dict[str, str]] = {}
        self._image_names: set[str] | None = None

    # -- what is present -----------------------------------------------------------------------

    def caption_files(self) -> dict[str, list[str]]:
        """Return the splits that have a caption file, by category, in the official order."""
        found: dict[str, list[str]] = {}
        folder = self.root / "captions"
        names = sorted(os.listdir(folder)) if folder.is_dir() else []
        for name in names:
            match = CAPTION_FILE.match(name)
            if match:
                found.setdefault(match["category"], []).append(match["split"])

        def order(name: str, known: tuple[str, ...]) -> tuple[int, str]:
            return (known.index(name) if name in known else len(known), name)

        return {category: sorted(splits, key=lambda split: order(split, SPLITS))
                for category, splits in sorted(found.items(), key=lambda item: order(item[0], CATEGORIES))}

    def missing_files(self) -> Problem | None:
        """Return an error when the root has no caption file, else None."""
        if self.caption_files():
            return None
        return Problem(str(self.root / "captions"), "no caption file cap.<category>.<split>.json found.",
                       hint="Point the root at the folder that contains captions/, image_splits/ and images/.",
                       severity="error")

    # -- captions ------------------------------------------------------------------------------

    def caption_path(self, category: str, split: str) -> Path:
        return self.root / "captions" / f"cap.{category}.{split}.json"

    def captions(self, category: str, split: str) -> CaptionFile:
        """Return the records of one caption file, parsed once."""
        key = (category, split)
        if key not in self._captions:
            self._captions[key] = self._read_captions(category, split)
        return self._captions[key]

    def _read_captions(self, category: str, split: str) -> CaptionFile:
        path = self.caption_path(category, split)
        try:
            raw, problem = parse_json(path, path.read_bytes())
        except FileNotFoundError:
            return CaptionFile([], [Problem(str(path), "caption file not found.", severity="error")])
        if problem is not None and problem.severity == "error":
            return CaptionFile([], [problem])
        if not isinstance(raw, list):
            return CaptionFile([], [Problem(str(path), "top level is not a JSON list of records.",
                                            severity="error")])
        records = [self._parse_record(number, entry, str(path), split) for number, entry in enumerate(raw)]
        search_text = [" ".join([*record.captions, record.candidate, record.target or ""]).casefold()
                       for record in records]
        problems = [problem for record in records for problem in record.problems]
        return CaptionFile(records, [problem, *problems] if problem else problems, search_text)

    @staticmethod
    def _parse_record(number: int, entry: object, file_name: str, split: str) -> CaptionRecord:
        where = f"record {number}"
        if not isinstance(entry, dict):
            return CaptionRecord(number, "", None, [], [Problem(file_name, "record is not a JSON object.", where)])
        problems = []
        candidate = entry.get("candidate")
        if _is_number(candidate):
            problems.append(_number_asin_problem(file_name, "candidate", candidate, where))
            candidate = str(candidate)
        if not isinstance(candidate, str) or not candidate:
            problems.append(Problem(file_name, f"candidate {candidate!r} is not an ASIN.", where))
            candidate = ""
        target = entry.get("target")
        if _is_number(target):
            problems.append(_number_asin_problem(file_name, "target", target, where))
            target = str(target)
        if target is not None and not isinstance(target, str):
            problems.append(Problem(file_name, f"target {target!r} is not an ASIN.", where))
            target = None
        if target is None and split != "test" and "target" not in entry:
            problems.append(Problem(file_name, "record has no target, but only test records lack one.", where))
        captions = entry.get("captions")
        if not isinstance(captions, list) or not all(isinstance(text, str) for text in captions):
            problems.append(Problem(file_name, "captions is not a list of strings.", where))
            captions = [str(text) for text in captions] if isinstance(captions, list) else []
        elif len(captions) != 2:
            problems.append(Problem(file_name, f"{len(captions)} captions, expected 2.", where, severity="info"))
        return CaptionRecord(number, candidate, target, list(captions), problems)

    def _load_json(self, path: Path) -> tuple[object, bool]:
        """Return the parsed JSON file and True, or None and False with a recorded problem when it is invalid.

        Raises FileNotFoundError for a missing file, which each caller handles in its own way.
        """
        raw, problem = parse_json(path, path.read_bytes())
        if problem is not None:
            self._add_problem(problem)
        return raw, problem is None or problem.severity != "error"

    def search(self, category: str, split: str, query: str) -> list[int]:
        """Return the numbers of the records whose captions or ASINs contain every word of ``query``.

        Matching ignores case; an empty query matches every record.
        """
        words = query.casefold().split()
        texts = self.captions(category, split).search_text
        return [number for number, text in enumerate(texts) if all(word in text for word in words)]

    # -- splits, tags, URLs, images ------------------------------------------------------------

    def split_asins(self, category: str, split: str) -> list[str]:
        """Return the ASINs of an image split file, or [] with a recorded problem when it is missing or broken."""
        path = self.root / "image_splits" / f"split.{category}.{split}.json"
        try:
            raw, valid = self._load_json(path)
        except FileNotFoundError:
            self._add_problem(Problem(str(path), "image split file not found."))
            return []
        if not valid:
            return []
        if not isinstance(raw, list):
            self._add_problem(Problem(str(path), "top level is not a JSON list of ASINs.", severity="error"))
            return []
        asins = []
        for number, asin in enumerate(raw):
            if _is_number(asin):
                self._add_problem(_number_asin_problem(str(path), "entry", asin, f"entry {number}"))
                asin = str(asin)
            if isinstance(asin, str) and asin:
                asins.append(asin)
            else:
                self._add_problem(Problem(str(path), f"entry {asin!r} is not an ASIN; skipped.", f"entry {number}"))
        return asins

    def tags(self, category: str, split: str) -> dict[str, list]:
        """Return the attribute tags of one tag file, ``{}`` when the file is absent."""
        key = (category, split)
        if key not in self._tags:
            path = self.root / "tags" / f"asin2attr.{category}.{split}.json"
            table: dict[str, list] = {}
            if path.is_file():
                raw, valid = self._load_json(path)
                if isinstance(raw, dict):
                    table = raw
                elif valid:
                    self._add_problem(Problem(str(path), "top level is not a JSON object of ASINs."))
                for asin, lists in list(table.items()):
                    if not isinstance(lists, list) or not all(isinstance(words, list) for words in lists):
                        self._add_problem(Problem(str(path), "tags are not a list of word lists; skipped.",
                                                  f"ASIN {asin}"))
                        del table[asin]
            self._tags[key] = table
        return self._tags[key]

    def has_tags(self, category: str) -> bool:
        return any((self.root / "tags" / f"asin2attr.{category}.{split}.json").is_file() for split in SPLITS)

    def tags_of(self, category: str, asin: str, split: str) -> dict[str, list[str]]:
        """Return the tag words of an image by group, from the tag file of ``split`` first, then the others."""
        for tag_split in (split, *(other for other in SPLITS if other != split)):
            lists = self.tags(category, tag_split).get(asin)
            if isinstance(lists, list):
                names = TAG_GROUPS + tuple(f"list {n}" for n in range(len(TAG_GROUPS), len(lists)))
                return {name: [str(word) for word in words] for name, words in zip(names, lists)
                        if isinstance(words, list)}
        return {}

    def urls(self, category: str) -> dict[str, str]:
        """Return the image URL of each ASIN from ``asin2url.<category>.txt``, ``{}`` when absent."""
        if category not in self._urls:
            path = self.root / "image_url" / f"asin2url.{category}.txt"
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                self._urls[category] = {}
                return self._urls[category]
            bad_lines: list[int] = []
            self._urls[category] = parse_url_lines(data.decode("utf-8", errors="replace"), bad_lines)
            if bad_lines:
                self._add_problem(Problem(str(path), f"{len(bad_lines)} lines are not \"ASIN <tab> URL\"; "
                                                     "they were skipped.", f"line {bad_lines[0]}"))
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                line = data.count(b"\n", 0, error.start) + 1
                self._add_problem(Problem(str(path), "bytes that are not valid UTF-8 were replaced with U+FFFD.",
                                          f"line {line}", hint="Save the URL list as UTF-8."))
        return self._urls[category]

    def image_names(self) -> set[str]:
        """Return the ASINs that have an image file in images/, listing the folder once."""
        if self._image_names is None:
            try:
                with os.scandir(self.image_dir) as entries:
                    self._image_names = {entry.name[:-4] for entry in entries if entry.name.endswith(".jpg")}
            except OSError:
                self._image_names = set()
                self._add_problem(Problem(str(self.image_dir), "image folder not found, so every image is shown "
                                          "as missing.", hint="Download the images into images/<ASIN>.jpg."))
        return self._image_names

    def image_sample(self, category: str, asin: str, split: str) -> Sample:
        """Return the Sample of one product image with its URL and its tags as labels."""
        sample = Sample(id=asin, split=split, image=ImageSource(path=self.image_dir / f"{asin}.jpg",
                                                                url=self.urls(category).get(asin, ""),
                                                                root=self.root))
        sample.labels = self.tags_of(category, asin, split)
        sample.fields = {"has image": asin in self.image_names()}
        return sample

    def _add_problem(self, problem: Problem) -> None:
        if problem not in self.problems:
            log.warning("%s", problem)
            self.problems.append(problem)


def parse_json(path: Path, data: bytes) -> tuple[object, Problem | None]:
    """Parse a JSON file's bytes; return the value (None when invalid) and the problem, if any.

    Bytes that are not valid UTF-8 are replaced with U+FFFD and reported as a warning, so
    one bad byte in a caption does not lose the whole file.
    """
    try:
        return orjson.loads(data), None
    except orjson.JSONDecodeError as error:
        reason = json_error_text(data, error)
    invalid = Problem(str(path), f"{reason}.", severity="error", hint="Download this file again.")
    try:
        data.decode("utf-8")
        return None, invalid
    except UnicodeDecodeError:
        pass
    try:
        value = orjson.loads(data.decode("utf-8", errors="replace"))
    except orjson.JSONDecodeError:
        return None, invalid
    return value, Problem(str(path), f"{reason}.", hint="The bytes were replaced with U+FFFD; save the file as UTF-8.")


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_asin_problem(file_name: str, field_name: str, value: int, where: str) -> Problem:
    # ASINs are 10-character strings in the released files; a JSON number is read as its digits.
    return Problem(file_name, f"{field_name} {value!r} is not an ASIN.", where, severity="info",
                   hint=f"It is a JSON number, not a string; it was read as \"{value}\".")


# -- quality checks ----------------------------------------------------------------------------


def check_captions(sample: Sample) -> list[Flag]:
    """Flag the empty and the padded captions of a caption record sample."""
    flags = []
    for number, caption in enumerate(sample.captions, start=1):
        notes = caption_notes(caption)
        if "empty" in notes:
            flags.append(Flag("caption_empty", sample.split, sample.id, "", f"caption {number} is {caption!r}"))
        if "leading or trailing spaces" in notes:
            flags.append(Flag("caption_padded", sample.split, sample.id, "", f"caption {number} is {caption!r}"))
    return flags


def check_target_image(sample: Sample) -> list[Flag]:
    """Flag a record whose target has no image file; the generic image check covers the candidate."""
    if sample.fields.get("target") and sample.fields.get("target image") is False:
        return [Flag("target_image_missing", sample.split, sample.id, "", f"images/{sample.fields['target']}.jpg")]
    return []


def caption_checks() -> list[Check]:
    """Return the Fashion IQ checks of caption record samples: empty and padded captions, target image."""
    return [Check("caption_empty", "Caption that is empty or only spaces.", check_captions),
            Check("caption_padded", "Caption with leading or trailing spaces.", check_captions),
            Check("target_image_missing", "Target image of the record missing on disk.", check_target_image)]

"""Readers for DeepFashion's whitespace-separated ``list_*.txt`` files.

Every list starts with a count line and a line of column names, then one row per
record. Fields are padded with runs of spaces, so rows are split on whitespace.
``list_item_inshop.txt`` and ``list_item_consumer2shop.txt`` have the count line but
no column-name line, and the fine subset's per-split files have neither. Landmark
triplets are written visibility first (``v x y``) with DeepFashion's own codes.
"""

from __future__ import annotations

import codecs
import logging
import mmap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.model import Problem, Visibility

log = logging.getLogger(__name__)

# First tokens of the column-name lines seen in DeepFashion lists.
HEADER_FIRST_TOKENS = {"image_name", "image_pair_name_1", "item_id", "attribute_name", "category_name",
                       "clothes_type", "x_1", "evaluation_status"}
# Bytes of the 1, -1 and 0 labels of list_attr_img.txt and the whitespace between them.
LABEL_BYTES = np.zeros(256, dtype=bool)
LABEL_BYTES[list(b"01- \t\r\n")] = True
# DeepFashion visibility: 0 visible, 1 occluded, 2 truncated (the reverse of COCO's 2 visible).
VISIBILITY_CODES = {0: Visibility.VISIBLE, 1: Visibility.OCCLUDED, 2: Visibility.TRUNCATED}


@dataclass
class ListFile:
    """The rows of one list file as text tokens, with its declared count and column names."""

    path: Path
    frame: pd.DataFrame  # one row per record, columns 0..N-1, missing tokens NaN
    declared_count: int | None = None
    columns: list[str] = field(default_factory=list)
    first_row_line: int = 1  # 1-based line number of the first record
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, position: int) -> int:
        """Return the 1-based line number of the record at ``position``."""
        return self.first_row_line + position


def read_head(path: Path) -> tuple[int | None, list[str], int]:
    """Read the count line and the column-name line; return the count, the names and the lines to skip."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        first = handle.readline().split()
        second = handle.readline().split()
    count = int(first[0]) if len(first) == 1 and first[0].isdigit() else None
    if count is None:
        # A file that lost its count line starts with the column names, which are no record.
        return (None, first, 1) if first and first[0] in HEADER_FIRST_TOKENS else (None, [], 0)
    if second and second[0] in HEADER_FIRST_TOKENS:
        return count, second, 2
    return count, [], 1


def read_list(path: Path, max_columns: int, numeric_from: int | None = 1) -> ListFile:
    """Parse a list file with a vectorised reader into at most ``max_columns`` token columns.

    Columns from ``numeric_from`` on are converted to numbers (NaN where a row is shorter).
    A row count that differs from the count line gives a warning: the rows are trusted.
    """
    count, columns, skip = read_head(path)
    problems = _head_problems(path, count, columns)
    options = dict(sep=r"\s+", header=None, names=list(range(max_columns)), skiprows=skip, engine="c",
                   keep_default_na=False, na_values=[""], on_bad_lines="warn", skip_blank_lines=True)
    bad_line, bad_lines = first_non_utf8_line(path)
    if bad_line:
        # Bytes that are not UTF-8 become U+FFFD, so the name no longer matches the image file.
        options["encoding_errors"] = "replace"
        problems.append(Problem(str(path), f"bytes that are not UTF-8 on {bad_lines} line(s), the first here. "
                                           "They are read as U+FFFD, and a number containing one as missing.",
                                f"line {bad_line}", hint="Download the list again or save it as UTF-8."))
    frame = None
    if numeric_from is not None:
        numeric = {column: "float64" for column in range(numeric_from, max_columns)}
        try:
            frame = pd.read_csv(path, dtype={column: str for column in range(numeric_from)} | numeric, **options)
        except ValueError:
            log.warning("%s has text in a number column; reading it again as text", path)
    if frame is None:
        frame = pd.read_csv(path, dtype=str, **options)
        if numeric_from is not None:
            for column in range(numeric_from, max_columns):
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
    listing = ListFile(path, frame, count, columns, skip + 1, problems)
    if count is not None and count != len(frame):
        listing.problems.append(Problem(
            str(path), f"the count line says {count} rows, but the file has {len(frame)}.",
            hint="The rows are used; the file may be truncated or edited."))
    return listing


def _head_problems(path: Path, count: int | None, columns: list[str]) -> list[Problem]:
    """Report a missing count line or column-name line; the rows are read either way."""
    if count is None:
        return [Problem(str(path), "line 1 is not the row count.", "line 1", severity="info",
                        hint="The rows are read without a declared count.")]
    if not columns:
        return [Problem(str(path), "line 2 is not the line of column names, so it is read as a record.",
                        "line 2", severity="info")]
    return []


def first_non_utf8_line(path: Path) -> tuple[int, int]:
    """Return the 1-based number of the first line that is not valid UTF-8 (0 if none) and how many there are.

    The file is decoded in blocks; only a file that fails is scanned again line by line.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(16 * 1024 * 1024):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return 0, 0
    except UnicodeDecodeError:
        pass
    bad = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(number)
    return (bad[0], len(bad)) if bad else (0, 0)


def read_name_type_list(path: Path) -> tuple[list[tuple[str, int | None]], list[Problem]]:
    """Parse ``list_attr_cloth.txt`` or ``list_category_cloth.txt``: a name, then its type as the last token.

    Attribute names contain spaces (``abstract chevron print  1``), so everything
    before the last token is the name. Returns (name, type) pairs in file order,
    which gives the 1-based ids.
    """
    problems: list[Problem] = []
    count, _, skip = read_head(path)
    bad_line, bad_lines = first_non_utf8_line(path)
    if bad_line:
        problems.append(Problem(str(path), f"bytes that are not UTF-8 on {bad_lines} line(s), the first here. "
                                           "They are shown as U+FFFD.", f"line {bad_line}",
                                hint="Download the list again or save it as UTF-8."))
    entries: list[tuple[str, int | None]] = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[skip:]
    for number, line in enumerate(lines, start=skip + 1):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) > 1 and tokens[-1].lstrip("-").isdigit():
            entries.append((" ".join(tokens[:-1]), int(tokens[-1])))
        else:
            entries.append((" ".join(tokens), None))
            problems.append(Problem(str(path), "the row has no type number at its end.", f"line {number}"))
    if count is not None and count != len(entries):
        problems.append(Problem(str(path), f"the count line says {count} rows, but the file has {len(entries)}.",
                                hint="The rows are used, in file order."))
    return entries, problems


def read_number_rows(path: Path) -> tuple[np.ndarray, list[Problem]]:
    """Read a file of whitespace-separated numbers with no count or header line (``train_bbox.txt``).

    Returns a float matrix as wide as the longest row. Short rows are padded with NaN,
    and text, NaN and infinity become NaN, each reported once per line (the first 20).
    """
    problems = non_utf8_problems(path, "a number containing one is read as missing")
    rows = [line.split() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    width = max((len(row) for row in rows), default=0)
    frame = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], columns=range(width), dtype=str)
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64) if width else \
        np.zeros((len(rows), 0))
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1)) if width else np.zeros(0, dtype=np.int64)
    for row in bad[:20].tolist():
        problems.append(Problem(str(path), f"the row has values that are missing, NaN, infinity or text ({width} "
                                           "numbers expected).", f"row {row + 1}"))
    return values, problems


def non_utf8_problems(path: Path, outcome: str) -> list[Problem]:
    """Return a Problem naming the first line with bytes that are not UTF-8, or none."""
    bad_line, bad_lines = first_non_utf8_line(path)
    if not bad_line:
        return []
    return [Problem(str(path), f"bytes that are not UTF-8 on {bad_lines} line(s), the first here. They are read as "
                               f"U+FFFD, and {outcome}.", f"line {bad_line}",
                    hint="Download the list again or save it as UTF-8.")]


def read_plain_lines(path: Path) -> list[str]:
    """Return the non-empty stripped lines of a file with no count or header line (``train.txt``)."""
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


def triplets_to_keypoints(values: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Convert K DeepFashion triplets ``v x y`` into K x 3 model keypoints.

    Returns the keypoints and the sorted unknown visibility codes (those points get
    NOT_LABELLED and no position).
    """
    triplets = np.asarray(values, dtype=np.float64).reshape(-1, 3)
    points = np.full((len(triplets), 3), np.nan, dtype=np.float32)
    codes = triplets[:, 0]
    mapped = np.full(len(triplets), Visibility.NOT_LABELLED, dtype=np.float32)
    for code, visibility in VISIBILITY_CODES.items():
        mapped[codes == code] = visibility
    points[:, 2] = mapped
    known = mapped != Visibility.NOT_LABELLED
    points[known, 0] = triplets[known, 1]
    points[known, 1] = triplets[known, 2]
    # Truncated points with no position are written 000 000.
    no_position = (mapped == Visibility.TRUNCATED) & (triplets[:, 1] == 0) & (triplets[:, 2] == 0)
    points[no_position, :2] = np.nan
    unknown = sorted({int(code) for code in codes[~known] if np.isfinite(code)})
    return points, unknown


def split_landmark_row(numbers: np.ndarray, has_variation: bool | None = None
                       ) -> tuple[int | None, int | None, np.ndarray | None]:
    """Split the numbers after the image name into clothes_type, variation_type and triplets.

    Some landmark lists have a variation_type column and some do not: with n numbers,
    n - 1 divisible by 3 means no variation column, n - 2 divisible by 3 means one.
    ``has_variation`` forces one layout (the one the rest of the file uses). Returns
    (None, None, None) when the row does not fit.
    """
    values = trim_padding(numbers)
    count = len(values)
    if not len(values) or not np.isfinite(values[0]):
        return None, None, None
    if has_variation is not True and count >= 4 and (count - 1) % 3 == 0:
        return int(values[0]), None, values[1:]
    if has_variation is not False and count >= 5 and (count - 2) % 3 == 0 and np.isfinite(values[1]):
        return int(values[0]), int(values[1]), values[2:]
    return None, None, None


def trim_padding(numbers: np.ndarray) -> np.ndarray:
    """Drop the trailing NaN that pads rows shorter than the widest one.

    A NaN or infinity inside the row stays in place (a token that was no number), so
    the triplets after it keep their positions.
    """
    present = np.flatnonzero(~np.isnan(numbers))
    return numbers[:present[-1] + 1] if len(present) else numbers[:0]


class LineIndex:
    """Random access to the rows of a large list file, by image name, without parsing all of it.

    The file is memory-mapped and the start of each line found with numpy, so opening
    a 600 MB ``list_attr_img.txt`` costs one pass over its bytes and no tokenising.
    """

    def __init__(self, path: Path, block_bytes: int = 32 * 1024 * 1024):
        self.path = path
        _, _, skip = read_head(path)
        size = path.stat().st_size
        starts = [np.zeros(1, dtype=np.int64)]
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            for offset in range(0, size, block_bytes):
                block = np.frombuffer(view[offset:offset + block_bytes], dtype=np.uint8)
                starts.append(np.flatnonzero(block == 10).astype(np.int64) + offset + 1)
            line_starts = np.concatenate(starts)
            line_starts = line_starts[line_starts < size]
            self.row_starts = line_starts[skip:]
            self.row_ends = np.append(line_starts[skip + 1:], size) if len(self.row_starts) else line_starts[:0]
            names = [view[start:view.find(b" ", start, end)].decode("utf-8", "replace")
                     for start, end in zip(self.row_starts.tolist(), self.row_ends.tolist())]
        self.row_of = {name.strip(): row for row, name in enumerate(names)}
        self.first_row_line = skip + 1

    def tokens(self, name: str) -> list[str] | None:
        """Return the tokens after the image name on that image's row, or None if the name is absent."""
        row = self.row_of.get(name)
        if row is None:
            return None
        with self.path.open("rb") as handle:
            handle.seek(int(self.row_starts[row]))
            line = handle.read(int(self.row_ends[row] - self.row_starts[row]))
        return line.decode("utf-8", "replace").split()[1:]


def positive_attributes(path: Path, attribute_count: int, block_bytes: int = 8 * 1024 * 1024,
                        progress: Callable[[int], None] | None = None, invalid_rows: list[int] | None = None
                        ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Parse ``list_attr_img.txt`` with numpy on its raw bytes and keep only the positive (``1``) labels.

    Returns image names, CSR row pointers, 0-based attribute indices below
    ``attribute_count``, and the number of labels on each row (``attribute_count``
    on a complete row). The positives of
    row r are ``indices[indptr[r]:indptr[r + 1]]``. The file is memory-mapped and
    handled in blocks of whole lines, so memory stays near ``12 * block_bytes`` plus the result.
    ``progress`` gets the number of rows read so far. The rows with a label that is
    not made of ``0``, ``1`` and ``-`` are appended to ``invalid_rows`` when it is given.
    """
    _, _, skip = read_head(path)
    names: list[str] = []
    pointer_parts = [np.zeros(1, dtype=np.int64)]
    index_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    total = 0
    size = path.stat().st_size
    if size == 0:
        return [], pointer_parts[0], np.zeros(0, dtype=np.int16), np.zeros(0, dtype=np.int32)
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        start = 0
        for _ in range(skip):
            start = view.find(b"\n", start) + 1 or size
        while start < size:
            end = min(start + block_bytes, size)
            if end < size:
                last_newline = view.rfind(b"\n", start, end)
                end = last_newline + 1 if last_newline >= 0 else (view.find(b"\n", end) + 1 or size)
            raw = view[start:end]
            block_names, counts, rows, columns, invalid = _positives_in_block(raw)
            if invalid_rows is not None:
                invalid_rows.extend((np.flatnonzero(invalid) + len(names)).tolist())
            # The first token of a row is the image name.
            count_parts.append((counts - 1).astype(np.int32))
            keep = (columns >= 0) & (columns < attribute_count)
            per_row = np.bincount(rows[keep], minlength=len(block_names))
            pointer_parts.append(np.cumsum(per_row) + total)
            total += int(per_row.sum())
            index_parts.append(columns[keep].astype(np.int16))
            names.extend(block_names)
            if progress is not None:
                progress(len(names))
            start = end
    indptr = np.concatenate(pointer_parts)
    indices = np.concatenate(index_parts) if index_parts else np.zeros(0, dtype=np.int16)
    label_counts = np.concatenate(count_parts) if count_parts else np.zeros(0, dtype=np.int32)
    return names, indptr, indices, label_counts


def _positives_in_block(raw: bytes) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find, in whole lines of text, each line's first token, its token count, and where ``1`` tokens are.

    Returns (names, tokens per line, line of each positive, 0-based label column of each positive,
    whether each line has a label byte other than ``0``, ``1`` and ``-``), skipping blank lines.
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    space = (data == 32) | (data == 9) | (data == 10) | (data == 13)
    previous_space = np.concatenate(([True], space[:-1]))
    next_space = np.concatenate((space[1:], [True]))
    token_start = ~space & previous_space
    tokens_so_far = np.cumsum(token_start, dtype=np.int32)
    line_starts = np.concatenate(([0], np.flatnonzero(data == 10) + 1))
    line_starts = line_starts[line_starts < len(data)]
    # Tokens before each line start, so a token's number within its line is a difference.
    before_line = np.where(line_starts > 0, tokens_so_far[np.maximum(line_starts - 1, 0)], 0)
    line_ends = np.append(line_starts[1:], len(data))
    counts = tokens_so_far[line_ends - 1] - before_line
    filled = counts > 0
    positions = np.flatnonzero((data == 49) & token_start & next_space)
    lines = np.searchsorted(line_starts, positions, side="right") - 1
    # Token 1 of a line is the image name, so label column = token number - 2.
    columns = tokens_so_far[positions] - before_line[lines] - 2
    renumber = np.cumsum(filled) - 1
    rows = renumber[lines]
    names = [raw[start:end].split(None, 1)[0].decode("utf-8", "replace")
             for start, end in zip(line_starts[filled].tolist(), line_ends[filled].tolist())]
    # Text, NaN or a non-UTF-8 byte in a label is a byte outside LABEL_BYTES after the name (token 1).
    other = np.flatnonzero(~LABEL_BYTES[data])
    other_lines = np.searchsorted(line_starts, other, side="right") - 1
    in_labels = tokens_so_far[other] - before_line[other_lines] >= 2
    invalid = np.zeros(len(line_starts), dtype=bool)
    invalid[other_lines[in_labels]] = True
    return names, counts[filled], rows, columns, invalid[filled]

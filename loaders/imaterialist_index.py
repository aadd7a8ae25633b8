"""Persistent indexes of the iMaterialist sources: a 2018 split file and a 2019/2020 train.csv.

Each index is one SQLite file built by ``loaders.index_store`` and named after the
source file's path, size and modification time, so a changed file gets a new index.
The columns that pages list, filter and count (image ids, the label ids per image;
the byte range, category and attribute ids of every train.csv row) are stored as
one blob each and loaded into numpy arrays. A 2018 image's URL is a row of the
``urls`` table, read one at a time when a sample is shown.

Tables of both kinds: ``meta (key, value)`` with JSON values, ``columns (name, dtype,
data)`` with the array blobs, ``problems (file, message, record, hint, severity)``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import orjson

from loaders.imaterialist_csv import MaskIndex, scan_mask_csv
from loaders.imaterialist_json import LabelIndex, parse_label_file
from loaders.index_store import build_or_open, index_path, source_signature
from loaders.model import Problem

log = logging.getLogger(__name__)

LABEL_KIND = "imaterialist2018"
MASK_KIND = "imaterialist-masks"
Progress = Callable[[int, int], None]
MASK_ARRAYS = ("row_offsets", "row_lengths", "row_lines", "row_images", "row_categories", "attribute_offsets",
               "attribute_values")


class UrlColumn(Sequence):
    """The URLs of a 2018 split, read from the index one row at a time."""

    def __init__(self, connection: sqlite3.Connection, length: int):
        self.connection = connection
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[number] for number in range(*position.indices(self.length))]
        if position < 0:
            position += self.length
        row = self.connection.execute("SELECT url FROM urls WHERE position = ?", (position,)).fetchone()
        if row is None:
            raise IndexError(position)
        return row[0]


def _create_tables(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    connection.execute("CREATE TABLE columns (name TEXT PRIMARY KEY, dtype TEXT, data BLOB)")
    connection.execute("CREATE TABLE problems (file TEXT, message TEXT, record TEXT, hint TEXT, severity TEXT)")


def _put_meta(connection: sqlite3.Connection, **values) -> None:
    connection.executemany("INSERT INTO meta VALUES (?, ?)",
                           [(key, orjson.dumps(value).decode()) for key, value in values.items()])


def _put_arrays(connection: sqlite3.Connection, **arrays: np.ndarray) -> None:
    connection.executemany("INSERT INTO columns VALUES (?, ?, ?)",
                           [(name, array.dtype.str, np.ascontiguousarray(array).tobytes())
                            for name, array in arrays.items()])


def _put_problems(connection: sqlite3.Connection, problems: list[Problem]) -> None:
    connection.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?)",
                           [(p.file, p.message, p.record, p.hint, p.severity) for p in problems])


def _meta(connection: sqlite3.Connection) -> dict:
    return {row[0]: orjson.loads(row[1]) for row in connection.execute("SELECT key, value FROM meta")}


def _arrays(connection: sqlite3.Connection) -> dict[str, np.ndarray]:
    return {name: np.frombuffer(data, dtype=np.dtype(dtype))
            for name, dtype, data in connection.execute("SELECT name, dtype, data FROM columns")}


def _problems(connection: sqlite3.Connection) -> list[Problem]:
    return [Problem(*row) for row in connection.execute("SELECT file, message, record, hint, severity FROM problems")]


def _open(kind: str, source: Path, build) -> sqlite3.Connection | None:
    """Open the index of ``source``, building it if needed; None when the cache folder is not writable."""
    path = index_path(kind, source_signature([source.resolve()]))
    try:
        return build_or_open(path, build)
    except (OSError, sqlite3.Error) as error:
        log.warning("index %s could not be built or opened (%s); parsing %s without an index", path, error, source)
        return None


def _cache_problem(source: Path) -> Problem:
    return Problem(str(source), "the index could not be written to the cache folder, so this file is parsed "
                                "on every start.", hint="Set FASHIONVIZ_CACHE_DIR to a writable folder.",
                   severity="info")


# ---------------------------------------------------------------- 2018 split files


def _build_label_index(connection: sqlite3.Connection, source: Path) -> None:
    parsed = parse_label_file(source)
    _create_tables(connection)
    _put_meta(connection, source=str(source), annotated=parsed.annotated, images=len(parsed.image_ids))
    ids = orjson.dumps(parsed.image_ids)
    _put_arrays(connection, image_ids=np.frombuffer(ids, dtype=np.uint8), offsets=parsed.offsets,
                values=parsed.values)
    connection.execute("CREATE TABLE urls (position INTEGER PRIMARY KEY, url TEXT)")
    connection.executemany("INSERT INTO urls VALUES (?, ?)", enumerate(parsed.urls))
    _put_problems(connection, parsed.problems)


def label_index(source: Path) -> LabelIndex:
    """Return a 2018 split from its persistent index, building the index first when there is none."""
    source = Path(source)
    if not source.is_file():
        return parse_label_file(source)  # reports the missing file
    connection = _open(LABEL_KIND, source, lambda connection: _build_label_index(connection, source))
    if connection is None:
        parsed = parse_label_file(source)
        parsed.problems.append(_cache_problem(source))
        return parsed
    meta, arrays = _meta(connection), _arrays(connection)
    image_ids = orjson.loads(arrays["image_ids"].tobytes())
    return LabelIndex(image_ids, UrlColumn(connection, len(image_ids)), arrays["offsets"], arrays["values"],
                      bool(meta["annotated"]), _problems(connection))


# ---------------------------------------------------------------- 2019 / 2020 train.csv


def _build_mask_index(connection: sqlite3.Connection, source: Path, progress: Progress | None) -> None:
    scanned = scan_mask_csv(source, progress)
    _create_tables(connection)
    _put_meta(connection, source=str(source), columns=scanned.columns, image_ids=scanned.image_ids)
    _put_arrays(connection, **{name: getattr(scanned, name) for name in MASK_ARRAYS})
    _put_problems(connection, scanned.problems)


def mask_index(source: Path, progress: Progress | None = None) -> MaskIndex:
    """Return the row index of a train.csv from its persistent index, building the index first when there is none.

    A build calls ``progress(bytes_read, file_size)`` as it scans the file.
    """
    source = Path(source)
    if not source.is_file():
        return scan_mask_csv(source)  # reports the missing file
    connection = _open(MASK_KIND, source, lambda connection: _build_mask_index(connection, source, progress))
    if connection is None:
        scanned = scan_mask_csv(source, progress)
        scanned.problems.append(_cache_problem(source))
        return scanned
    try:
        meta, arrays = _meta(connection), _arrays(connection)
        return MaskIndex(meta["columns"], meta["image_ids"], *(arrays[name] for name in MASK_ARRAYS),
                         problems=_problems(connection))
    finally:
        connection.close()

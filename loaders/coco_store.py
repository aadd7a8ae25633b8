"""Persistent SQLite index of one COCO instances file, built once per source signature.

The index stores what pages list, filter and count, so a later process neither
parses nor scans the file again:

- ``meta``: the top level without ``images`` and ``annotations`` (categories,
  attributes, info) as JSON, the annotations state and counts;
- ``images``: each image record as JSON, by id, in file order (for a repeated id,
  the first record). Each row also has its annotations' positions, ids and byte
  spans in the file as one int64 array, so one image's annotations take a few seeks;
- ``columns``: one int64 array per field over the annotations of listed images, in
  file order: position, image_id, id, category_id, iscrowd, duplicate (an earlier
  annotation has the id), start and end. The ``attribute_ids`` texts (``"3,17"``)
  are joined by newlines. The ``orphan_...`` arrays hold the position, id and
  image_id of each annotation whose image is not listed. Each array is written and read in one step,
  where a row per annotation took about 3 us to insert (measured on a 2-core VM);
- ``problems``: what the build found wrong with the file as a whole.

A build reads the file once, through a read-only memory map so the file is not copied into
the heap, and finds the annotation spans with ``loaders.coco_index``;
segmentations are not parsed. When the spans cannot be found safely (the
``annotations`` key absent or repeated, a top level that is not an object), the index
records only that, and ``CocoInstances`` parses the whole file instead.

Boxes (the file's bbox and the box of the segmentation) need every segmentation parsed,
so they live in a second index, ``coco-boxes``, built on the first request for them.
"""

from __future__ import annotations

import codecs
import gc
import io
import json
import logging
import mmap
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import pandas as pd

from loaders.coco_geometry import boxes_differ, check_bbox, check_segmentation, geometry_box, integer_id, is_int
from loaders.coco_index import ATTRIBUTE_TEXT, MISSING, AnnotationIndex, build_index
from loaders.index_store import build_or_open, index_path, source_signature
from loaders.model import Problem, box_from_points

log = logging.getLogger(__name__)

KIND = "coco"
BOX_KIND = "coco-boxes"
# Steps of an index build that ``open_store`` reports: file read, annotations scanned, tables written.
BUILD_STEPS = 3
# Annotations parsed per orjson call when the box index is built.
BOX_CHUNK = 5_000
# Bytes read per step when a line and column are computed for an error.
POSITION_BLOCK = 1 << 20
# Valid ``attribute_ids`` texts joined by ";": integers, commas, whitespace and the separators.
JOINED_ATTRIBUTE_TEXT = re.compile(rb"[-\d\s,;]*")
BOX_COLUMNS = ["position", "image_id", "category_id", "file_x1", "file_y1", "file_x2", "file_y2",
               "mask_x1", "mask_y1", "mask_x2", "mask_y2", "differs"]


def parse_json(data: bytes, file_name: str,
               locate: Callable[[int], tuple[int, int]] | None = None) -> tuple[Any, list[Problem]]:
    """Parse JSON bytes with orjson, reporting and working around invalid UTF-8, NaN and Infinity.

    Invalid UTF-8 bytes are replaced by U+FFFD, and NaN and Infinity are read with the
    json module; each gives a Problem. Any other error raises orjson.JSONDecodeError.
    ``locate`` maps a byte offset in ``data`` to the file's line and column, for data
    that is a part of the file.
    """
    try:
        return orjson.loads(data), []
    except orjson.JSONDecodeError as error:
        first_error = error
    problems: list[Problem] = []
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        # orjson reports invalid UTF-8 at position 0, so the decoder finds the byte.
        line, column = locate(bad.start) if locate else text_position(io.BytesIO(data), bad.start)
        problems.append(Problem(file_name, f"the file is not valid UTF-8 (byte 0x{data[bad.start]:02x} at line "
                                           f"{line}, column {column}); invalid bytes are shown as \ufffd.",
                                f"line {line}, column {column}", hint="Save the file as UTF-8."))
        data = data.decode("utf-8", errors="replace").encode("utf-8")
        try:
            return orjson.loads(data), problems
        except orjson.JSONDecodeError as error:
            first_error = error
    try:
        # The json module accepts NaN and Infinity, which orjson (following the JSON standard) rejects.
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise first_error from None
    return value, problems + [Problem(file_name, "the file contains NaN or Infinity, which is not valid JSON; "
                                                 "records with such numbers are reported below.")]


def quoted_ids_problem(file_name: str, count: int, first_id: int) -> Problem:
    """Return the info Problem for annotations whose integer keys are written as strings of digits."""
    where = f"annotation {first_id}" if first_id != MISSING else "annotations"
    return Problem(file_name, f"{count} annotations write id, image_id, category_id or iscrowd as a string of "
                              "digits; they are read as integers.", where, severity="info")


def text_position(handle: BinaryIO, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column (in characters) of a byte offset, reading up to it in blocks."""
    line, column = 1, 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    remaining = offset
    while remaining > 0:
        block = handle.read(min(remaining, POSITION_BLOCK))
        if not block:
            break
        remaining -= len(block)
        newlines = block.count(b"\n")
        if newlines:
            line += newlines
            block = block[block.rfind(b"\n") + 1:]
            column = 0
            decoder.reset()
        column += len(decoder.decode(block))
    return line, column + 1


def json_error_text(error: orjson.JSONDecodeError, data_size: int) -> str:
    """Return what is wrong with a JSON text that orjson rejected, with its line and column."""
    if data_size == 0:
        return "the file is empty (0 bytes)"
    if error.pos >= data_size - 1 or "end of data" in error.msg:
        return f"the file ends early (truncated) at line {error.lineno}, column {error.colno}"
    return f"{error.msg} at line {error.lineno}, column {error.colno}"


def index_images(records: object, file_name: str) -> tuple[dict[int, dict], list[Problem]]:
    """Return the image records by id in file order, reporting records without an id and repeated ids."""
    images: dict[int, dict] = {}
    problems: list[Problem] = []
    if not isinstance(records, list):
        return images, [Problem(file_name, "the file has no 'images' list.", severity="error")]
    quoted = []
    for position, record in enumerate(records):
        image_id = integer_id(record.get("id")) if isinstance(record, dict) else None
        if image_id is None:
            problems.append(Problem(file_name, "image record has no integer id; it is skipped.", f"images[{position}]"))
            continue
        if image_id in images:
            problems.append(Problem(file_name, f"image id {image_id} is listed twice; the first record is used.",
                                    f"images[{position}]"))
            continue
        if not is_int(record["id"]):
            quoted.append(position)
            record = {**record, "id": image_id}
        images[image_id] = record
    if quoted:
        problems.append(Problem(file_name, f"{len(quoted)} image records write their id as a string of digits; "
                                           "they are read as integers.", f"images[{quoted[0]}]", severity="info"))
    return images, problems


class StoredImages(Mapping):
    """Read-only mapping of image id to image record, read from the index on access."""

    def __init__(self, connection: sqlite3.Connection):
        self._connection = connection
        self._ids: list[int] | None = None

    def __getitem__(self, image_id: object) -> dict:
        if not is_int(image_id):
            raise KeyError(image_id)
        row = self._connection.execute("SELECT record FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise KeyError(image_id)
        return orjson.loads(row[0])

    def __contains__(self, image_id: object) -> bool:
        return is_int(image_id) and self._connection.execute(
            "SELECT 1 FROM images WHERE id = ?", (image_id,)).fetchone() is not None

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids())

    def __len__(self) -> int:
        return len(self.ids())

    def ids(self) -> list[int]:
        if self._ids is None:
            self._ids = [row[0] for row in self._connection.execute("SELECT id FROM images ORDER BY position")]
        return self._ids


class CocoStore:
    """An open index of one COCO file (layout in the module docstring)."""

    def __init__(self, path: Path, index_file: Path, connection: sqlite3.Connection):
        self.path = path
        self.index_file = index_file
        self.connection = connection
        self.meta = {row[0]: row[1] for row in connection.execute("SELECT key, value FROM meta")}

    @property
    def indexable(self) -> bool:
        return bool(self.meta.get("indexable"))

    def top_level(self) -> dict:
        """Return the file's top level without images and annotations (categories, attributes, info...)."""
        return orjson.loads(self.meta["top_level"])

    def problems(self) -> list[Problem]:
        return [Problem(str(self.path), message, record, hint, severity) for message, record, hint, severity in
                self.connection.execute("SELECT message, record, hint, severity FROM problems ORDER BY rowid")]

    def spans(self, image_id: int) -> list[tuple[int, int, int, int]]:
        """Return (position, annotation id, start, end) of one image's annotations, in file order."""
        row = self.connection.execute("SELECT annotations FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            return []
        return [tuple(span) for span in np.frombuffer(row[0], dtype=np.int64).reshape(-1, 4).tolist()]

    def read_spans(self, spans: Iterable[tuple[int, int, int, int]]) -> list[bytes]:
        """Return the JSON bytes of the given annotations, read from the file at their offsets."""
        texts = []
        with self.path.open("rb") as handle:
            for _, _, start, end in spans:
                handle.seek(start)
                texts.append(handle.read(end - start))
        return texts

    def column(self, name: str) -> np.ndarray:
        """Return one int64 column of the annotations of listed images, in file order."""
        row = self.connection.execute("SELECT data FROM columns WHERE name = ?", (name,)).fetchone()
        return np.frombuffer(row[0], dtype=np.int64)

    def table(self) -> pd.DataFrame:
        """Return the filter keys of the annotations of listed images, indexed by position in the file."""
        texts = self.connection.execute("SELECT data FROM columns WHERE name = 'attribute_ids'").fetchone()[0]
        attribute_ids = [tuple(int(value) for value in text.split(b",")) if text else ()
                         for text in texts.split(b"\n")] if texts else []
        positions = self.column("position")
        return pd.DataFrame({"image_id": self.column("image_id"), "annotation_id": self.column("id"),
                             "category_id": self.column("category_id"),
                             "attribute_ids": attribute_ids or [()] * len(positions),
                             "iscrowd": self.column("iscrowd")}, index=positions)

    def orphans(self) -> pd.DataFrame:
        """Return position, annotation_id and image_id of the annotations whose image is not listed."""
        return pd.DataFrame({"position": self.column("orphan_position"), "annotation_id": self.column("orphan_id"),
                             "image_id": self.column("orphan_image_id")})

    def duplicate_ids(self) -> set[int]:
        """Return the positions of annotations whose id an earlier annotation of the file already has."""
        return set(self.column("position")[self.column("duplicate").astype(bool)].tolist())

    def boxes(self, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """Return the file box and the mask's box per annotation (``BOX_COLUMNS``), building that index once."""
        target = index_path(BOX_KIND, self.index_file.stem.split("-", 1)[1])
        connection = build_or_open(target, lambda output: self._build_boxes(output, progress))
        try:
            return pd.read_sql_query("SELECT * FROM boxes ORDER BY position", connection)
        finally:
            connection.close()

    def _build_boxes(self, output: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
        rows = list(zip(*(self.column(name).tolist() for name in ("position", "image_id", "category_id", "start",
                                                                   "end"))))
        output.execute(f"CREATE TABLE boxes ({', '.join(BOX_COLUMNS)})")
        with self.path.open("rb") as handle:
            # Mapped as in build_store, so the annotations are sliced from the file without copying all of it.
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if rows else b""
            try:
                self._write_boxes(output, data, rows, progress)
            finally:
                if isinstance(data, mmap.mmap):
                    data.close()
        if progress is not None:
            progress(len(rows), len(rows))

    def _write_boxes(self, output: sqlite3.Connection, data: bytes | mmap.mmap, rows: list[tuple],
                     progress: Callable[[int, int], None] | None) -> None:
        for first in range(0, len(rows), BOX_CHUNK):
            if progress is not None:
                progress(first, len(rows))
            chunk = rows[first:first + BOX_CHUNK]
            records = []
            for row in chunk:
                try:
                    # parse_json, as when the image is shown, so NaN and invalid UTF-8 give the same boxes.
                    records.append(parse_json(data[row[3]:row[4]], str(self.path))[0])
                except orjson.JSONDecodeError:
                    records.append(None)  # reported when its image is shown
            output.executemany("INSERT INTO boxes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               [(row[0], row[1], row[2], *box_row(record)) for row, record in zip(chunk, records)])


def box_row(record: object) -> tuple:
    """Return the file box (xyxy), the mask's box (xyxy) and whether they differ; None where unknown."""
    if not isinstance(record, dict):
        return (None,) * 8 + (0,)
    file_box, _ = check_bbox(record.get("bbox"))
    mask_box = _polygon_box(record.get("segmentation"))
    if mask_box is None and isinstance(record.get("segmentation"), dict):
        geometry = check_segmentation(record["segmentation"], None, None)
        mask_box = geometry_box(geometry.polygons, geometry.rle)
    differs = file_box is not None and mask_box is not None and boxes_differ(file_box, mask_box)
    values = [float(value) for value in file_box] if file_box is not None else [None] * 4
    values += [float(value) for value in mask_box] if mask_box is not None else [None] * 4
    return (*values, int(differs))


def _polygon_box(segmentation: object) -> np.ndarray | None:
    """Return the xyxy box of a list of polygons, or None when it is not one (then the full check runs)."""
    if not isinstance(segmentation, list) or not segmentation:
        return None
    try:
        # A fast path for the common case; malformed polygons are reported when their image is shown.
        points = np.concatenate([np.asarray(polygon, dtype=np.float64).reshape(-1, 2) for polygon in segmentation])
    except (TypeError, ValueError):
        return None
    return box_from_points(points) if len(points) and np.isfinite(points).all() else None


def open_store(path: Path, progress: Callable[[int, int], None] | None = None) -> CocoStore:
    """Open the index of a COCO file, building it first if this version of the file has none.

    ``progress(done, total)`` is called after each of the build's BUILD_STEPS steps.
    """
    path = Path(path).resolve()
    target = index_path(KIND, source_signature([path]))
    connection = build_or_open(target, lambda output: build_store(output, path, progress))
    return CocoStore(path, target, connection)


def build_store(output: sqlite3.Connection, path: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Fill an empty database with the index of the COCO file at ``path`` (layout in the module docstring)."""

    def step(done: int) -> None:
        if progress is not None:
            progress(done, BUILD_STEPS)

    output.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    output.execute("CREATE TABLE problems (message, record, hint, severity)")
    with path.open("rb") as handle:
        # A read-only memory map lets the scan page through the file instead of copying it into the heap.
        # mmap rejects an empty file, which is read as b"" and reported by the whole-file parse.
        size = os.fstat(handle.fileno()).st_size
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            _build_from(output, path, data, step)
        finally:
            if isinstance(data, mmap.mmap):
                try:
                    data.close()
                except BufferError:
                    # A numpy view of the map is still alive (after an exception); the map closes when it is freed.
                    log.warning("%s: memory map closed late", path)


def _build_from(output: sqlite3.Connection, path: Path, data: bytes | mmap.mmap,
                step: Callable[[int], None]) -> None:
    name = str(path)
    step(1)
    scan = build_index(data, attributes_as_text=True)
    step(2)
    top: object = None
    problems: list[Problem] = []
    if scan is not None:
        try:
            top, problems = parse_json(data[:scan.array_start] + b"[]" + data[scan.array_end:], name,
                                       lambda offset: _cut_position(path, scan, offset))
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            log.warning("%s: the annotations array was not cut out cleanly; it is parsed whole", path)
    if scan is None or not isinstance(top, dict):
        output.execute("INSERT INTO meta VALUES ('indexable', 0)")
        return

    # The cyclic collector would rescan the parsed images while rows are written. In one profile of a
    # full-size Fashionpedia-train-shaped file, orjson.dumps took 1.7 of 5.6 seconds with it and 0.3 without.
    gc.disable()
    try:
        _write_tables(output, name, data, scan, top, problems)
    finally:
        gc.enable()
    step(BUILD_STEPS)


def _cut_position(path: Path, scan: AnnotationIndex, offset: int) -> tuple[int, int]:
    """Return the file's line and column of an offset in the file text with the annotations array cut to "[]"."""
    if offset >= scan.array_start + 2:
        offset += scan.array_end - scan.array_start - 2
    with path.open("rb") as handle:
        return text_position(handle, offset)


def _write_tables(output: sqlite3.Connection, name: str, data: bytes, scan: AnnotationIndex, top: dict,
                  problems: list[Problem]) -> None:
    images, image_problems = index_images(top.pop("images", None), name)
    top.pop("annotations", None)
    values = scan.values
    image_ids = np.fromiter(images, dtype=np.int64, count=len(images))
    known = np.isin(values["image_id"], image_ids)
    ids = pd.Series(values["id"])
    duplicate = (ids.duplicated() & (ids != MISSING)).to_numpy()
    positions = np.flatnonzero(known)
    columns = {"position": positions, "image_id": values["image_id"][positions], "id": values["id"][positions],
               "category_id": values["category_id"][positions],
               "iscrowd": np.where(values["iscrowd"] == MISSING, 0, values["iscrowd"])[positions],
               "duplicate": duplicate[positions].astype(np.int64), "start": scan.starts[positions],
               "end": scan.ends[positions]}
    orphans = np.flatnonzero(~known)
    columns.update({"orphan_position": orphans, "orphan_id": values["id"][orphans],
                    "orphan_image_id": values["image_id"][orphans]})
    output.execute("CREATE TABLE columns (name TEXT PRIMARY KEY, data BLOB)")
    output.executemany("INSERT INTO columns VALUES (?, ?)",
                       [(key, column.astype(np.int64).tobytes()) for key, column in columns.items()])
    output.execute("INSERT INTO columns VALUES ('attribute_ids', ?)",
                   (_attribute_texts(data, scan.attribute_spans[positions]),))

    # Per image, its annotations' (position, id, start, end) rows, grouped with one stable sort.
    spans = np.column_stack([columns[key] for key in ("position", "id", "start", "end")]).astype(np.int64)
    order = np.argsort(columns["image_id"], kind="stable")
    grouped_ids, first = np.unique(columns["image_id"][order], return_index=True)
    groups = dict(zip(grouped_ids.tolist(), np.split(spans[order], first[1:]) if len(order) else []))
    output.execute("CREATE TABLE images (position INTEGER PRIMARY KEY, id INTEGER UNIQUE, record BLOB, "
                   "annotations BLOB)")
    empty = b""
    # A generator, so each row's JSON exists only while SQLite copies it.
    output.executemany("INSERT INTO images VALUES (?, ?, ?, ?)",
                       ((position, image_id, orjson.dumps(record),
                         groups[image_id].tobytes() if image_id in groups else empty)
                        for position, (image_id, record) in enumerate(images.items())))

    if scan.quoted is not None and scan.quoted.any():
        problems = problems + [quoted_ids_problem(name, int(scan.quoted.sum()), int(values["id"][scan.quoted][0]))]
    facts = {"indexable": 1, "top_level": orjson.dumps(top), "annotation_count": len(scan),
             "orphans": int((~known).sum()), "duplicates": int(duplicate.sum())}
    output.executemany("INSERT INTO meta VALUES (?, ?)", facts.items())
    output.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)",
                       [(problem.message, problem.record, problem.hint, problem.severity)
                        for problem in problems + image_problems])


def _attribute_texts(data: bytes, spans: np.ndarray) -> bytes:
    """Return the ``attribute_ids`` texts of the given spans joined by newlines, without other whitespace.

    A text that is not a list of integers becomes empty, as in ``coco_index.attribute_tuples``.
    """
    texts = [data[first:last] if first >= 0 else b"" for first, last in spans.tolist()]
    joined = b";".join(texts)
    if joined.count(b";") != max(len(texts) - 1, 0) or not JOINED_ATTRIBUTE_TEXT.fullmatch(joined):
        texts = [text if ATTRIBUTE_TEXT.fullmatch(text) else b"" for text in texts]
        joined = b";".join(texts)
    return joined.translate(None, b" \t\r\n").replace(b";", b"\n")

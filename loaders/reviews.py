"""Review verdicts stored in SQLite, safe for several app processes and sessions at once.

Verdicts are only ever added, never updated or deleted, so a later verdict on a sample
does not erase an earlier one: the history is the record. The database runs in WAL
mode and each verdict is written in its own transaction. The folder is
``FASHIONVIZ_REVIEWS_DIR``, else ``[reviews] dir`` in fashionviz.toml, else
``$XDG_DATA_HOME/fashionviz/reviews`` (``~/.local/share/fashionviz/reviews``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from loaders.roots import config_file, read_config

log = logging.getLogger(__name__)

VERDICTS = ("ok", "wrong label", "wrong geometry", "missing annotation", "other")
DATABASE_NAME = "reviews.sqlite3"


class ReviewStoreError(RuntimeError):
    """A verdict could not be written or read. The message gives the reason and the database file."""


@dataclass(frozen=True)
class Verdict:
    """One reviewer's verdict on a sample (or on one instance of it)."""

    family: str
    root: str
    split: str
    sample_id: str
    verdict: str
    note: str = ""
    reviewer: str = ""
    instance_id: str = ""
    created_at: str = ""  # ISO 8601 in UTC, set when written


COLUMNS = tuple(field.name for field in fields(Verdict))


def reviews_dir(environ: dict[str, str] | None = None) -> Path:
    """Return the reviews folder from the environment, the config file or the XDG default."""
    environ = os.environ if environ is None else environ
    if environ.get("FASHIONVIZ_REVIEWS_DIR"):
        return Path(environ["FASHIONVIZ_REVIEWS_DIR"]).expanduser()
    configured = read_config(config_file(environ)).get("reviews", {})
    if isinstance(configured, dict) and isinstance(configured.get("dir"), str):
        return Path(configured["dir"]).expanduser()
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fashionviz" / "reviews"


class ReviewStore:
    """Append-only verdict table in ``<folder>/reviews.sqlite3``."""

    def __init__(self, folder: Path | None = None):
        self.path = (folder or reviews_dir()) / DATABASE_NAME

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS verdicts (number INTEGER PRIMARY KEY, family TEXT, root TEXT, "
                "split TEXT, sample_id TEXT, verdict TEXT, note TEXT, reviewer TEXT, instance_id TEXT, "
                "created_at TEXT)")
            connection.execute("CREATE INDEX IF NOT EXISTS verdicts_sample "
                               "ON verdicts (family, root, split, sample_id)")
        except (sqlite3.Error, OSError) as error:
            raise ReviewStoreError(f"review database {self.path} could not be opened: {error}") from error
        return connection

    def add(self, verdict: Verdict) -> Verdict:
        """Write one verdict in its own transaction and return it with its time stamp.

        Raises ReviewStoreError when the write fails, so the caller can keep the input.
        """
        if verdict.verdict not in VERDICTS:
            raise ReviewStoreError(f"verdict {verdict.verdict!r} is not one of {', '.join(VERDICTS)}.")
        stamped = verdict if verdict.created_at else Verdict(
            **{**asdict(verdict), "created_at": datetime.now(UTC).isoformat(timespec="microseconds")})
        self.add_many([stamped])
        return stamped

    def add_many(self, verdicts: list[Verdict]) -> int:
        """Write verdicts in one transaction; return how many were written."""
        connection = self._connect()
        try:
            with connection:
                connection.executemany(
                    f"INSERT INTO verdicts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",  # noqa: S608 (fixed column names)
                    [tuple(getattr(verdict, column) for column in COLUMNS) for verdict in verdicts])
        except sqlite3.Error as error:
            log.error("writing %d verdicts to %s failed: %s", len(verdicts), self.path, error)
            raise ReviewStoreError(f"verdict not saved to {self.path}: {error}") from error
        finally:
            connection.close()
        return len(verdicts)

    def _select(self, where: str = "", parameters: tuple = ()) -> list[Verdict]:
        connection = self._connect()
        try:
            rows = connection.execute(
                f"SELECT {', '.join(COLUMNS)} FROM verdicts {where} ORDER BY number", parameters).fetchall()  # noqa: S608 (fixed clauses)
        except sqlite3.Error as error:
            raise ReviewStoreError(f"verdicts could not be read from {self.path}: {error}") from error
        finally:
            connection.close()
        return [Verdict(*row) for row in rows]

    def for_sample(self, family: str, root: str, split: str, sample_id: str) -> list[Verdict]:
        """Return a sample's verdicts, oldest first."""
        return self._select("WHERE family = ? AND root = ? AND split = ? AND sample_id = ?",
                            (family, root, split, sample_id))

    def for_dataset(self, family: str, root: str) -> list[Verdict]:
        """Return every verdict on one dataset root, oldest first."""
        return self._select("WHERE family = ? AND root = ?", (family, root))

    def all(self) -> list[Verdict]:
        return self._select()

    def import_verdicts(self, verdicts: list[Verdict]) -> int:
        """Add the verdicts that are not stored yet (same fields, same time stamp); return how many."""
        present = set(self.all())
        new = [verdict for verdict in verdicts if verdict not in present]
        return self.add_many(new) if new else 0


def to_csv(verdicts: list[Verdict]) -> str:
    """Return verdicts as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([getattr(verdict, column) for column in COLUMNS] for verdict in verdicts)
    return buffer.getvalue()


def to_json(verdicts: list[Verdict]) -> str:
    """Return verdicts as a JSON list of objects."""
    return json.dumps([asdict(verdict) for verdict in verdicts], ensure_ascii=False, indent=1)


def parse_export(text: str, file_name: str) -> list[Verdict]:
    """Read verdicts from CSV or JSON text written by to_csv or to_json.

    Raises ValueError naming the file and the row when a row is malformed.
    """
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{file_name}: invalid JSON at line {error.lineno}, column {error.colno}.") from error
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    verdicts = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or set(COLUMNS) - set(row):
            raise ValueError(f"{file_name}: row {number} lacks the columns {', '.join(COLUMNS)}.")
        verdict = Verdict(**{column: str(row[column]) for column in COLUMNS})
        if verdict.verdict not in VERDICTS:
            raise ValueError(f"{file_name}: row {number} has the unknown verdict {verdict.verdict!r}.")
        verdicts.append(verdict)
    return verdicts

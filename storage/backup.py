"""Consistent online backups of the SQLite file, taken while the bot runs.

SQLite's backup API copies every page inside one read transaction. In WAL mode readers never
block writers, so the bot keeps writing while the copy runs, and the copy is the database
exactly as it was at one instant (no half of a later change). The copy is written next to the
target under a ``.partial`` name, switched to a self-contained single file (no write-ahead log),
checked with ``PRAGMA integrity_check``, and only then renamed into place: a backup file that
exists is a whole one. It is readable by its owner only, since it holds people's words (sealed,
when ENCRYPTION_KEY is set: restoring an encrypted backup needs the same key).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from storage.errors import StorageError

BUSY_TIMEOUT_SECONDS = 5.0
# Tables whose row counts the operator is shown (the rest are bookkeeping).
COUNTED_TABLES = ("people", "entries", "deliveries")


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    row_counts: dict[str, int]
    size_bytes: int


def _row_counts(db: sqlite3.Connection) -> dict[str, int]:
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {
        table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        for table in COUNTED_TABLES
        if table in names
    }


def backup_database(source: Path, target: Path) -> BackupResult:
    """Copy ``source`` to ``target`` as one consistent, checked, single-file database."""
    if not source.exists():
        raise StorageError(f"there is no database at {source}")
    if target.exists():
        raise StorageError(f"{target} already exists; choose a new file name for the backup")
    if not target.parent.exists():
        raise StorageError(f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created empty and private before SQLite writes a byte into it.
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with (
            closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            try:
                # pages=-1: every page in one step, under one read transaction, so the copy
                # is a single point in time even while the bot writes.
                src.backup(dst, pages=-1)
            except sqlite3.DatabaseError as exc:
                raise StorageError(f"{source} could not be read for a backup ({exc})") from exc
            dst.execute("PRAGMA journal_mode = DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise StorageError(f"the backup did not pass its integrity check ({verdict})")
            counts = _row_counts(dst)
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=target, row_counts=counts, size_bytes=target.stat().st_size)

"""The SQLite file on disk, beyond what SQLite does with it: created readable by its owner only,
and watched for being removed or replaced under the running bot.

Without ENCRYPTION_KEY the database and its ``-wal`` and ``-shm`` companions hold what people
wrote in plain text, and SQLite creates files as the umask allows (0644, readable by everyone,
under the usual 022). So the database file is created empty with mode 0600 before SQLite opens
it; SQLite gives the companions it creates the mode of the database file. A file that exists
already is left as it is (the operator may have reasons), and the bot says at start-up when one
is readable by others. Kindling never makes the folder: a missing one is refused (``open``).

SQLite keeps using the files it opened, whatever happens to their names. After ``rm kindling.db*``
(or a backup copied over it) under the running bot, every write would still succeed, into files
nobody can reach, and the bot would confirm "kept" for what is lost at the next start. So the
identity (device and inode) of each file is noted when the database is opened and compared before
each use; once one is gone or replaced the database is used no more: one CRITICAL line for the
operator, and each use raises ``DatabaseGoneError`` (the person gets an apology, not a false
"kept"). A stat of three files costs microseconds, next to milliseconds for a statement.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from storage.errors import DatabaseGoneError

log = logging.getLogger(__name__)

PRIVATE_MODE = 0o600
# What SQLite keeps next to the database in WAL mode while it is open.
COMPANION_SUFFIXES = ("-wal", "-shm")


def database_files(path: Path) -> list[Path]:
    """The database and its companions, whether they exist or not."""
    return [path, *(path.with_name(path.name + suffix) for suffix in COMPANION_SUFFIXES)]


def create_private(path: Path) -> None:
    """Create the database file empty and private, unless something is there already."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE))
    except OSError:
        # There already (SQLite opens it as it is), or not ours to create: SQLite then says what
        # it cannot open, as it always has.
        return


def warn_if_readable_by_others(path: Path) -> None:
    """One warning line for each of the database's files that others may read (once it is
    open: a file refused at start-up gets its one line about that alone)."""
    for file in database_files(path):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
        except OSError:
            continue
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning(
                "database file readable by others file=%s mode=%03o fix=chmod 600", file, mode
            )


class DatabaseFile:
    """The database's files as they were when it was opened, checked before each use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identities: dict[Path, tuple[int, int]] = {}
        self._change: str | None = None  # "removed" or "replaced", once noticed

    def opened(self) -> None:
        """Note the files as they are now (just opened), and warn about any others can read."""
        self._change = None
        self._identities = {}
        for file in database_files(self.path):
            identity = _identity(file)
            if identity is not None:
                self._identities[file] = identity
        warn_if_readable_by_others(self.path)

    def check(self) -> None:
        """Raise ``DatabaseGoneError`` if any file noted at opening is gone or another now."""
        if self._change is None:
            self._change = self._changed()
            if self._change is None:
                return
            log.critical(
                "database file gone or replaced file=%s change=%s writes=stopped fix=stop "
                "Kindling, put the file back or restore a backup, then start it again",
                self.path,
                self._change,
            )
        raise DatabaseGoneError(
            f"{self.path} was {self._change} while Kindling was running, so nothing more is "
            "written to it: stop Kindling, put the file back or restore a backup, then start it "
            "again"
        )

    def _changed(self) -> str | None:
        for file, noted in self._identities.items():
            now = _identity(file)
            if now is None:
                return "removed"
            if now != noted:
                return "replaced"
        return None


def _identity(file: Path) -> tuple[int, int] | None:
    """Which file this is on disk (device and inode), or None when there is none."""
    try:
        found = file.stat()
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino

"""The SQLite file on disk, beyond what SQLite does with it: created readable by its owner only.

Without ENCRYPTION_KEY the database and its ``-wal`` and ``-shm`` companions hold what people
wrote in plain text, and SQLite creates files as the umask allows (0644, readable by everyone,
under the usual 022). So the database file is created empty with mode 0600 before SQLite opens
it; SQLite gives the companions it creates the mode of the database file. A file that exists
already is left as it is (the operator may have reasons), and the bot says at start-up when one
is readable by others. Kindling never makes the folder: a missing one is refused (``open``).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

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

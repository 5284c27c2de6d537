"""Which of several Kindling processes on one database is the active one: a lock only one
process can hold, taken through the database itself, and let go when that process dies.

- SQLite: an exclusive ``flock`` on a file next to the database (``kindling.db.lock``). The
  kernel lets go of it the moment the process dies, however it dies, and it cannot be lost
  while the process lives.
- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) held on a connection of its
  own, outside the pool (a pooled connection is handed to others and reset). The server lets go
  of it when that connection ends: the process died, or the network or the server dropped it.
  So the holder checks its connection often (``still_held``) and must stop acting once it
  fails, since from then on a standby may hold the lock.

Nothing here knows about Telegram: ``bot/roles.py`` decides what a process does with the lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path

from storage.errors import StorageError
from storage.sqlite_file import PRIVATE_MODE
from storage.target import Backend, DatabaseTarget, redact_url

log = logging.getLogger(__name__)

LOCK_FILE_SUFFIX = ".lock"


class Leadership(ABC):
    """The active role's lock for one database. Not thread-safe; one per process."""

    @property
    @abstractmethod
    def held(self) -> bool:
        """Whether this process believes it holds the lock (``still_held`` checks it)."""

    @abstractmethod
    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process holds it now. Never waits
        for another holder. A database that cannot be reached is False (and retried later)."""

    @abstractmethod
    async def still_held(self) -> bool:
        """Whether the lock is still this process's. False once it may have been lost; the
        caller must then stop acting at once."""

    @abstractmethod
    async def release(self) -> None:
        """Let go of the lock (and the resources behind it); safe to call when not held."""


def lock_file_for(database: Path) -> Path:
    """The file whose flock decides the active process for the SQLite file ``database``."""
    return database.with_name(database.name + LOCK_FILE_SUFFIX)


class FileLeadership(Leadership):
    """SQLite: an exclusive, non-blocking ``flock`` on the lock file next to the database."""

    def __init__(self, database: Path) -> None:
        self.path = lock_file_for(database)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    async def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            # Private like the database: it holds nothing, but it is the database's.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
        except OSError as error:
            problem = f"cannot open the lock file {self.path} ({error.strerror})"
            raise StorageError(problem) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        # A flock cannot be taken from a living process.
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            # Closing the descriptor lets go of the lock; the file stays for the next holder.
            os.close(fd)


def make_leadership(target: DatabaseTarget) -> Leadership:
    """The lock that chooses the active process among those using ``target``."""
    if target.backend is Backend.POSTGRES:
        # Imported here: a SQLite deployment never loads the PostgreSQL driver.
        from storage.postgres_leadership import AdvisoryLeadership

        assert target.conninfo is not None
        return AdvisoryLeadership(target.conninfo)
    assert target.path is not None
    return FileLeadership(target.path)


def describe(target: DatabaseTarget) -> str:
    """Where the lock lives, as a log line may show it (never a password)."""
    if target.backend is Backend.POSTGRES:
        assert target.conninfo is not None
        return f"advisory lock on {redact_url(target.conninfo)}"
    assert target.path is not None
    return f"flock on {lock_file_for(target.path)}"

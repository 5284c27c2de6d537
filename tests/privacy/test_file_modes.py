"""The database and its -wal and -shm companions hold what people wrote (in plain text, without
ENCRYPTION_KEY): created readable by their owner only whatever the umask, and an existing one
that others may read is named at start-up."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from tests.harness import running_bot

WORDS = "Quokka-words-8841"


# About the SQLite file and its companions on disk.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """022, as most systems set it: files are created readable by everyone unless asked not to."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(db_path: Path) -> dict[str, int]:
    return {
        path.name: stat.S_IMODE(path.stat().st_mode)
        for path in sorted(db_path.parent.glob(db_path.name + "*"))
    }


async def test_the_database_and_its_companions_are_created_private(
    usual_umask: None,
    emulator: BotApiEmulator,
    settings: Settings,
    clock: ManualClock,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running_bot(settings, clock) as bot:
        alex = emulator.person(8401, "Alex")
        await alex.send(f"/win {WORDS}")
        await alex.expect("which")
        await bot.update_persistence()  # the draft, with the words, written through the log
        # While the bot runs all three are there, and all three hold what Alex wrote so far.
        assert modes(db_path) == {
            "kindling.db": 0o600,
            "kindling.db-shm": 0o600,
            "kindling.db-wal": 0o600,
        }
    assert modes(db_path) == {"kindling.db": 0o600}
    # Started again on the file it made: nothing to warn about.
    with caplog.at_level(logging.WARNING, logger="storage"):
        async with running_bot(settings, clock):
            pass
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_existing_files_others_can_read_are_named_at_start_up(
    usual_umask: None,
    settings: Settings,
    clock: ManualClock,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Made before this change (or by another program) under the usual umask, and still open in
    # another program, so its companions are there too.
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("PRAGMA journal_mode = WAL")
        other.execute("CREATE TABLE kept_elsewhere (words TEXT)")
        os.chmod(db_path.with_name("kindling.db-shm"), 0o640)
        assert modes(db_path) == {
            "kindling.db": 0o644,
            "kindling.db-shm": 0o640,
            "kindling.db-wal": 0o644,
        }
        with caplog.at_level(logging.WARNING, logger="storage"):
            async with running_bot(settings, clock):
                pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"database file readable by others file={db_path}{suffix} mode={mode} fix=chmod 600"
        for suffix, mode in (("", "644"), ("-wal", "644"), ("-shm", "640"))
    ]
    # Told, not changed: the operator decides.
    assert modes(db_path) == {"kindling.db": 0o644}

"""Backups: a consistent copy taken while the bot writes, restored and compared."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import stat
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from sandbox.postgres_server import LocalPostgres, find_binaries
from storage.backup import backup_database
from storage.errors import StorageError
from storage.models import EntryKind, NewEntry
from storage.sqlite import SqliteRepository
from storage.target import Backend, DatabaseTarget
from tests.harness import open_repository, running_bot
from tests.privacy.support import kindling_here, run_kindling

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.sqlite_only
async def test_a_backup_taken_during_writes_is_one_point_in_time(
    bot: KindlingApplication, settings: Settings, tmp_path: Path
) -> None:
    repo = bot.services.repo
    await repo.ensure_person(1, NOW)
    for n in range(200):  # enough pages that the copy takes a moment
        await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, text=f"before {n} " + "x" * 500))
    written: list[int] = []

    async def keep_writing() -> None:
        n = 0
        while True:
            entry = await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, text=f"during {n}"))
            written.append(entry.id)
            n += 1
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    while len(written) < 20:
        await asyncio.sleep(0.01)
    floor = len(written)
    target = tmp_path / "backups" / "kindling-backup.db"
    target.parent.mkdir()
    result = await asyncio.to_thread(backup_database, settings.database_path, target)
    ceiling = len(written)
    while len(written) < ceiling + 20:  # the bot went on writing during and after the copy
        await asyncio.sleep(0.01)
    writer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await writer

    assert result.path == target and target.exists()
    assert not (tmp_path / "backups" / "kindling-backup.db.partial").exists()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        ids = [row[0] for row in copy.execute("SELECT id FROM entries ORDER BY id")]
        texts = [row[0] for row in copy.execute("SELECT text FROM entries ORDER BY id")]
    # A point in time: the first N entries exactly, with N between what was written before the
    # copy began and what was written by the time it ended (plus the one insert that may have
    # committed just before the writer noted it).
    assert ids == list(range(1, len(ids) + 1))
    assert 200 + floor <= len(ids) <= 200 + ceiling + 1
    assert result.row_counts == {"people": 1, "entries": len(ids), "deliveries": 0}
    assert texts[-1] == f"during {len(ids) - 201}"

    # Restored in place of a database, it is a working Kindling database with those entries.
    restored = tmp_path / "restored.db"
    shutil.copyfile(target, restored)
    again = SqliteRepository(restored)
    await again.open()
    try:
        assert await again.count_entries(1) == len(ids)
        original = await repo.list_entries(1, limit=len(ids), newest_first=False)
        assert await again.list_entries(1, limit=len(ids), newest_first=False) == original
    finally:
        await again.close()


@pytest.mark.sqlite_only
async def test_backup_refuses_to_overwrite_and_needs_a_database(
    settings: Settings, bot: KindlingApplication, tmp_path: Path
) -> None:
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(StorageError, match="already exists"):
        backup_database(settings.database_path, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(StorageError, match="no database"):
        backup_database(tmp_path / "missing.db", tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()


@pytest.mark.sqlite_only
async def test_backup_command_while_the_bot_runs(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    async with running_bot(settings, clock):
        alex = emulator.person(6001, "Alex")
        await alex.send("/win I said no kindly")
        question = await alex.expect("fits it best")
        await alex.press("I kept a boundary")
        await alex.expect_edit("How connected", question)
        await alex.press("Skip")
        await alex.expect_edit("/journal", question)  # said only once it is saved
        target = tmp_path / "copy.db"
        done = await asyncio.to_thread(
            run_kindling,
            "backup",
            str(target),
            cwd=tmp_path,
            env={"DATABASE_PATH": str(settings.database_path)},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            f"backup written to {target} (people=1 entries=1 deliveries=0; integrity check ok)"
        )
        clock.advance(timedelta(minutes=1))
        await alex.send("/help")  # still running and answering
        await alex.expect("What I can do")
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT text FROM entries").fetchall() == [("I said no kindly",)]
    again = await kindling_here("backup", str(target), cwd=tmp_path, env={"DATABASE_PATH": "x.db"})
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1


@pytest.mark.postgres_only
async def test_on_postgres_the_backup_command_runs_pg_dump_and_restores_whole(
    emulator: BotApiEmulator,
    settings: Settings,
    clock: ManualClock,
    tmp_path: Path,
    postgres_server: LocalPostgres,
) -> None:
    url = settings.database.conninfo
    assert url is not None
    async with running_bot(settings, clock) as bot:
        alex = emulator.person(6001, "Alex")
        await alex.send("/win I said no kindly")
        question = await alex.expect("fits it best")
        await alex.press("I kept a boundary")
        await alex.expect_edit("How connected", question)
        await alex.press("Skip")
        await alex.expect_edit("/journal", question)
        original = await bot.services.repo.list_entries(6001)
        target = tmp_path / "copy.dump"
        done = await asyncio.to_thread(
            run_kindling, "backup", str(target), cwd=tmp_path, env={"DATABASE_URL": url}
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            f"backup written to {target} (people=1 entries=1 deliveries=0; pg_dump format)"
        )
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        await alex.send("/help")  # still running and answering
        await alex.expect("What I can do")

    # Restored into an empty database, it is a working Kindling database with that entry.
    restored_url = postgres_server.create_database(f"restored{uuid.uuid4().hex[:8]}")
    pg_restore = Path(find_binaries()) / "pg_restore"
    restore = await asyncio.to_thread(
        subprocess.run,
        [str(pg_restore), "--no-owner", f"--dbname={restored_url}", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr
    async with open_repository(DatabaseTarget(Backend.POSTGRES, conninfo=restored_url)) as again:
        assert await again.list_entries(6001) == original
        assert [e.text for e in original] == ["I said no kindly"]

    again_run = await kindling_here("backup", str(target), cwd=tmp_path, env={"DATABASE_URL": url})
    assert again_run.returncode == 2 and "already exists" in again_run.stderr
    assert len(again_run.stderr.strip().splitlines()) == 1

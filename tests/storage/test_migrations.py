"""Stairway test: every migration applies on its own, in order, from an empty file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.errors import DatabaseUnreadableError, SchemaTooNewError
from storage.migrate import available_migrations, latest_version, migrate, schema_version
from storage.sqlite import SqliteRepository


async def tables(db: aiosqlite.Connection) -> set[str]:
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        return {row[0] for row in await cursor.fetchall()}


async def test_each_migration_applies_one_step_at_a_time(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "stairs.db", isolation_level=None) as db:
        assert await schema_version(db) == 0
        seen: set[str] = set()
        for migration in available_migrations():
            reached = await migrate(db, target=migration.version)
            assert reached == migration.version
            now = await tables(db)
            assert now >= seen, f"migration {migration.name} dropped a table"
            seen = now
        assert {"people", "entries", "deliveries", "conversations", "bot_blobs"} <= seen


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        assert await migrate(db) == latest_version()
        before = await tables(db)
        assert await migrate(db) == latest_version()
        assert await tables(db) == before


async def test_a_failing_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import migrate as migrate_module

    good = available_migrations()
    broken = [*good, migrate_module.Migration(len(good) + 1, "9999_broken.sql", "CREATE TABLE x (")]
    monkeypatch.setattr(migrate_module, "available_migrations", lambda: broken)
    async with aiosqlite.connect(tmp_path / "broken.db", isolation_level=None) as db:
        with pytest.raises(sqlite3.OperationalError):
            await migrate_module.migrate(db)
        assert await schema_version(db) == len(good)
        assert "x" not in await tables(db)


async def test_a_database_from_a_newer_kindling_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {latest_version() + 1}")
    repo = SqliteRepository(path)
    with pytest.raises(SchemaTooNewError, match=r"newer|only knows"):
        await repo.open()


async def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    original = b"these are not the pages you are looking for" * 100
    path.write_bytes(original)
    with pytest.raises(DatabaseUnreadableError):
        await SqliteRepository(path).open()
    assert path.read_bytes() == original


async def test_connection_settings(tmp_path: Path) -> None:
    repo = SqliteRepository(tmp_path / "k.db")
    await repo.open()
    try:
        for pragma, expected in (
            ("journal_mode", "wal"),
            ("foreign_keys", 1),
            ("secure_delete", 1),
            ("busy_timeout", 5000),
        ):
            async with repo.db.execute(f"PRAGMA {pragma}") as cursor:
                assert (await cursor.fetchone())[0] == expected, pragma
    finally:
        await repo.close()

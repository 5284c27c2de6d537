"""Stairway test on PostgreSQL: every migration applies on its own, in order, from an empty
database, and each version has the same tables and columns as the SQLite schema of that version.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import psycopg
import pytest
from psycopg import AsyncConnection

from storage import migrate as sqlite_migrations
from storage import postgres_migrate
from storage.errors import SchemaTooNewError
from storage.migrate import Migration, available_migrations, latest_version
from storage.postgres import PostgresRepository
from storage.target import Backend, DatabaseTarget

pytestmark = pytest.mark.postgres_only

BOOKKEEPING = {"schema_version"}


@pytest.fixture
async def conn(database: DatabaseTarget) -> AsyncIterator[AsyncConnection]:
    assert database.conninfo is not None
    async with await AsyncConnection.connect(database.conninfo) as connection:
        yield connection


async def pg_columns(conn: AsyncConnection) -> dict[str, set[str]]:
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        rows = await cursor.fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        if table not in BOOKKEEPING:
            found.setdefault(table, set()).add(column)
    return found


async def sqlite_columns(db: aiosqlite.Connection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = [row[0] for row in await cursor.fetchall()]
    for table in tables:
        async with db.execute(f"PRAGMA table_info({table})") as cursor:
            found[table] = {row[1] for row in await cursor.fetchall()}
    return found


async def test_both_dialects_have_the_same_versions() -> None:
    sqlite = [m.version for m in available_migrations(Backend.SQLITE)]
    postgres = [m.version for m in available_migrations(Backend.POSTGRES)]
    assert sqlite == postgres == list(range(1, latest_version() + 1))
    assert latest_version(Backend.POSTGRES) == latest_version(Backend.SQLITE)


async def test_each_step_matches_the_sqlite_schema_of_that_version(
    conn: AsyncConnection, tmp_path: Path
) -> None:
    assert await postgres_migrate.schema_version(conn) == 0
    async with aiosqlite.connect(tmp_path / "twin.db", isolation_level=None) as twin:
        for migration in available_migrations(Backend.POSTGRES):
            assert await postgres_migrate.migrate(conn, target=migration.version) == (
                migration.version
            )
            await sqlite_migrations.migrate(twin, target=migration.version)
            assert await pg_columns(conn) == await sqlite_columns(twin), migration.name
    assert await postgres_migrate.schema_version(conn) == latest_version()


async def test_migrating_twice_changes_nothing(conn: AsyncConnection) -> None:
    assert await postgres_migrate.migrate(conn) == latest_version()
    before = await pg_columns(conn)
    assert await postgres_migrate.migrate(conn) == latest_version()
    assert await pg_columns(conn) == before


async def test_a_failing_migration_leaves_the_previous_version(
    conn: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = available_migrations(Backend.POSTGRES)
    # Half of it would work: the whole step is one transaction, so none of it stays.
    broken = [*good, Migration(len(good) + 1, "9999_broken.sql", "CREATE TABLE x (a int); BAD;")]
    monkeypatch.setattr(postgres_migrate, "available_migrations", lambda backend: broken)
    with pytest.raises(psycopg.errors.SyntaxError):
        await postgres_migrate.migrate(conn)
    await conn.rollback()
    assert await postgres_migrate.schema_version(conn) == len(good)
    assert "x" not in await pg_columns(conn)


async def test_a_database_from_a_newer_kindling_is_refused(database: DatabaseTarget) -> None:
    assert database.conninfo is not None
    repo = PostgresRepository(database.conninfo)
    await repo.open()
    await repo.close()
    async with await AsyncConnection.connect(database.conninfo) as conn:
        await conn.execute("UPDATE schema_version SET version = version + 1")
    with pytest.raises(SchemaTooNewError, match=r"only knows"):
        await PostgresRepository(database.conninfo).open()


async def test_two_kindlings_starting_at_once_migrate_once(database: DatabaseTarget) -> None:
    assert database.conninfo is not None
    repos = [PostgresRepository(database.conninfo, min_size=1) for _ in range(3)]
    await asyncio.gather(*(repo.open() for repo in repos))
    try:
        async with await AsyncConnection.connect(database.conninfo) as conn:
            rows = await (await conn.execute("SELECT version FROM schema_version")).fetchall()
        assert rows == [(latest_version(),)]
    finally:
        await asyncio.gather(*(repo.close() for repo in repos))

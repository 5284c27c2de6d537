"""Versioned schema migrations, one folder per dialect: ``storage/migrations/<backend>``.

Both dialects have the same versions (version N is the same schema, in each one's own types).
On SQLite the version is ``PRAGMA user_version``; PostgreSQL's is in storage/postgres_migrate.py.
Each migration runs in its own transaction together with the version bump, so a crash mid-way
leaves the previous version intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from storage.errors import SchemaTooNewError
from storage.target import Backend

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations(backend: Backend = Backend.SQLITE) -> list[Migration]:
    """Every migration of one dialect, in version order, numbered 1, 2, 3..."""
    found: list[Migration] = []
    for item in resources.files(f"storage.migrations.{backend}").iterdir():
        match = _NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), item.name, item.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"migrations are not numbered 1..{len(found)} without gaps")
    return found


def latest_version(backend: Backend = Backend.SQLITE) -> int:
    return len(available_migrations(backend))


def too_new(found: int, known: int) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"the database is at schema version {found}, but this Kindling only knows up to "
        f"{known}; upgrade Kindling or point DATABASE_URL at another database"
    )


async def schema_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(db: aiosqlite.Connection, target: int | None = None) -> int:
    """Bring the schema up to ``target`` (default: latest); returns the version reached.

    Idempotent: migrations already applied are skipped. A database written by a newer Kindling
    is refused rather than guessed at.
    """
    migrations = available_migrations()
    target = len(migrations) if target is None else target
    current = await schema_version(db)
    if current > len(migrations):
        raise too_new(current, len(migrations))
    for migration in migrations[current:target]:
        script = (
            f"BEGIN IMMEDIATE;\n{migration.sql}\n"
            f"PRAGMA user_version = {migration.version};\nCOMMIT;"
        )
        try:
            await db.executescript(script)
        except Exception:
            if db.in_transaction:
                await db.rollback()
            raise
    return await schema_version(db)

"""Versioned migrations on PostgreSQL (the files in storage/migrations/postgres).

The version lives in a one-row table, ``schema_version``. Every migration and its version bump
run in one transaction (PostgreSQL's DDL is transactional), under an advisory lock, so two
Kindlings starting at once cannot both apply the same step.
"""

from __future__ import annotations

from psycopg import AsyncConnection

from storage.migrate import available_migrations, too_new
from storage.target import Backend

# Any fixed number: the lock only has to be the same for every Kindling on this database.
_MIGRATION_LOCK = 0x4B494E444C494E47  # "KINDLING"


async def schema_version(conn: AsyncConnection) -> int:
    """The version reached (0 for an empty database). Leaves no transaction open."""
    async with conn.transaction():
        row = await (
            await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        ).fetchone()
        if not row or not row[0]:
            return 0
        row = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: AsyncConnection, target: int | None = None) -> int:
    """Bring the schema up to ``target`` (default: latest); returns the version reached.

    Idempotent, like the SQLite one; a database written by a newer Kindling is refused.
    """
    migrations = available_migrations(Backend.POSTGRES)
    target = len(migrations) if target is None else target
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"
            )
            row = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
            current = int(row[0]) if row else 0
            if current > len(migrations):
                raise too_new(current, len(migrations))
            if current >= target:
                return current
            migration = migrations[current]
            await conn.execute(migration.sql.encode())
            if row is None:
                await conn.execute(
                    "INSERT INTO schema_version (version) VALUES (%s)", (migration.version,)
                )
            else:
                await conn.execute("UPDATE schema_version SET version = %s", (migration.version,))

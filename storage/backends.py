"""The repository for a :class:`storage.target.DatabaseTarget`: the one place that knows which
backends exist."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.backup import BackupResult
from storage.crypto import Conversion, TextCipher
from storage.repository import Repository
from storage.target import Backend, DatabaseTarget


def make_repository(target: DatabaseTarget, cipher: TextCipher | None = None) -> Repository:
    """A repository for the target, not yet opened."""
    if target.backend is Backend.POSTGRES:
        # Imported here: a SQLite deployment never loads the PostgreSQL driver.
        from storage.postgres import PostgresRepository

        assert target.conninfo is not None
        return PostgresRepository(target.conninfo, cipher=cipher)
    from storage.sqlite import SqliteRepository

    assert target.path is not None
    return SqliteRepository(target.path, cipher=cipher)


async def encrypt_database(target: DatabaseTarget, cipher: TextCipher) -> Conversion:
    """Seal every plain text in the database with ``cipher`` (the bot stopped)."""
    if target.backend is Backend.POSTGRES:
        from storage import postgres_admin

        assert target.conninfo is not None
        return await postgres_admin.encrypt_database(target.conninfo, cipher)
    from storage import sqlite_keys

    assert target.path is not None
    return await sqlite_keys.encrypt_database(target.path, cipher)


async def rotate_database_key(
    target: DatabaseTarget, old: TextCipher, new: TextCipher
) -> Conversion:
    """Re-seal every text from ``old`` to ``new`` (the bot stopped)."""
    if target.backend is Backend.POSTGRES:
        from storage import postgres_admin

        assert target.conninfo is not None
        return await postgres_admin.rotate_database_key(target.conninfo, old, new)
    from storage import sqlite_keys

    assert target.path is not None
    return await sqlite_keys.rotate_database_key(target.path, old, new)


def backup_database(target: DatabaseTarget, destination: Path) -> BackupResult:
    """A consistent copy of the database in ``destination`` (the bot may be running)."""
    if target.backend is Backend.POSTGRES:
        from storage import postgres_admin

        assert target.conninfo is not None
        return postgres_admin.backup_postgres(target.conninfo, destination)
    from storage import backup

    assert target.path is not None
    return backup.backup_database(target.path, destination)


def verify_key_before_start(target: DatabaseTarget, cipher: TextCipher | None) -> None:
    """Refuse a wrong or missing key (and, on PostgreSQL, a server that cannot be reached)
    before the bot is built, writing nothing. Opening the repository checks the key again."""
    if target.backend is Backend.POSTGRES:
        from storage.postgres import verify_key_on_server

        assert target.conninfo is not None
        asyncio.run(verify_key_on_server(target.conninfo, cipher))
        return
    from storage.sqlite_keys import verify_key_file

    assert target.path is not None
    verify_key_file(target.path, cipher)

"""Operator commands on PostgreSQL: encrypt-db, rotate-key and backup (through pg_dump).

The conversions' logic is storage/crypto.py's, as on SQLite; this module reads and writes the
sealed columns with PostgreSQL, in one transaction. Texts are sealed and opened here, in
Kindling: the key never reaches the server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import AsyncConnection

from storage.backup import COUNTED_TABLES, BackupResult
from storage.crypto import (
    KEY_CHECK_META,
    SEALED_COLUMNS,
    Conversion,
    Convert,
    TextCipher,
    encrypt_texts,
    refuse_encryption,
    refuse_rotation,
    rotate_texts,
)
from storage.errors import StorageError
from storage.postgres import CONNECT_TIMEOUT_SECONDS, connection_problem, stored_key_check
from storage.postgres_migrate import migrate
from storage.target import redact_url

# Debian's versioned binaries first: the /usr/bin wrapper may pick an older pg_dump than the
# server, which pg_dump refuses.
PG_DUMP_PATHS = ("/usr/lib/postgresql/16/bin/pg_dump", "/usr/lib/postgresql/15/bin/pg_dump")


# How each table holding sealed texts tells its rows apart (its primary key).
_PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "entries": ("id",),
    "notes": ("id",),
    "offered_notes": ("id",),
    "people": ("chat_id",),
    "bot_blobs": ("kind", "key"),
    "inbox": ("bot_id", "update_id"),
}


class PostgresSealedTexts:
    """:class:`storage.crypto.SealedTexts` on one connection with the schema up to date."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def stored_key_check(self) -> str | None:
        return await stored_key_check(self.conn)

    async def rewrite(self, convert: Convert, key_check: str) -> int:
        changed = 0
        async with self.conn.transaction():
            for table, columns in SEALED_COLUMNS.items():
                key = _PRIMARY_KEYS[table]
                match = " AND ".join(f"{name} = %s" for name in key)
                for column in columns:
                    field = f"{table}.{column}"
                    cursor = await self.conn.execute(
                        f"SELECT {', '.join(key)}, {column} FROM {table} "
                        f"WHERE {column} IS NOT NULL FOR UPDATE".encode()
                    )
                    for *ident, value in await cursor.fetchall():
                        new_value = convert(field, value)
                        if new_value is None or new_value == value:
                            continue
                        await self.conn.execute(
                            f"UPDATE {table} SET {column} = %s WHERE {match}".encode(),
                            (new_value, *ident),
                        )
                        changed += 1
            await self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (KEY_CHECK_META, key_check),
            )
        return changed


async def _convert(conninfo: str, cipher: TextCipher, new: TextCipher | None) -> Conversion:
    try:
        conn = await AsyncConnection.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.Error as exc:
        raise connection_problem(conninfo, exc) from None
    async with conn:
        texts = PostgresSealedTexts(conn)
        stored = await texts.stored_key_check()
        if new is None:
            refuse_encryption(stored, cipher)
        else:
            refuse_rotation(stored, cipher, new)
        await migrate(conn)
        if new is None:
            return await encrypt_texts(texts, cipher)
        return await rotate_texts(texts, cipher, new)


async def encrypt_database(conninfo: str, cipher: TextCipher) -> Conversion:
    return await _convert(conninfo, cipher, None)


async def rotate_database_key(conninfo: str, old: TextCipher, new: TextCipher) -> Conversion:
    return await _convert(conninfo, old, new)


def _pg_dump() -> str:
    for candidate in PG_DUMP_PATHS:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("pg_dump")
    if found is None:
        raise StorageError(
            "pg_dump is not installed (Debian: apt-get install postgresql-client-15); "
            "or back up the database with your server's own tooling"
        )
    return found


def _without_password(conninfo: str) -> tuple[str, str | None]:
    """The URL without its password (which would show in the process list) and the password."""
    parts = urlsplit(conninfo)
    password = parts.password
    if password is None:
        return conninfo, None
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), password


def backup_postgres(conninfo: str, target: Path) -> BackupResult:
    """A consistent copy with pg_dump (its custom format, one snapshot), private to its owner.

    Restore with ``pg_restore --clean --if-exists -d <database> <file>``.
    """
    if target.exists():
        raise StorageError(f"{target} already exists; choose a new file name for the backup")
    if not target.parent.exists():
        raise StorageError(f"the folder {target.parent} does not exist")
    try:
        with psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            counts = {
                table: int(conn.execute(f"SELECT count(*) FROM {table}".encode()).fetchone()[0])  # type: ignore[index]
                for table in COUNTED_TABLES
            }
    except psycopg.Error as exc:
        raise connection_problem(conninfo, exc) from None
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    url, password = _without_password(conninfo)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    try:
        result = subprocess.run(
            [_pg_dump(), "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={url}"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            problem = " ".join(result.stderr.split())[:200]
            if password:
                problem = problem.replace(password, "***")
            raise StorageError(
                f"pg_dump could not back up {redact_url(conninfo)} ({problem}); nothing was written"
            )
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=target, row_counts=counts, size_bytes=target.stat().st_size)

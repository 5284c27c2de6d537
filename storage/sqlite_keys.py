"""The encryption key's checks and the in-place conversions, on a SQLite file.

The cipher and the conversions' logic are in storage/crypto.py; this module reads and writes
the key check and the sealed columns with SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import aiosqlite

from storage.crypto import (
    KEY_CHECK_META,
    PLAIN_TEXTS_UNDER_KEY,
    SEALED_COLUMNS,
    Conversion,
    Convert,
    EncryptionKeyError,
    TextCipher,
    check_key,
    encrypt_texts,
    refuse_encryption,
    refuse_rotation,
    rotate_texts,
)
from storage.errors import DatabaseUnreadableError, StorageError
from storage.migrate import migrate

BUSY_TIMEOUT_MS = 5000


async def _table_exists(db: aiosqlite.Connection, name: str) -> bool:
    async with db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def stored_key_check(db: aiosqlite.Connection) -> str | None:
    """The key check kept in ``meta``, or None (no meta table yet, or never encrypted)."""
    if not await _table_exists(db, "meta"):
        return None
    async with db.execute("SELECT value FROM meta WHERE key = ?", (KEY_CHECK_META,)) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def verify_key(db: aiosqlite.Connection, cipher: TextCipher | None) -> None:
    """Refuse a key that does not match the database, or a missing one. Reads only."""
    check_key(await stored_key_check(db), cipher)


def verify_key_file(path: Path, cipher: TextCipher | None) -> None:
    """:func:`verify_key` for a file, before the bot starts, with plain sqlite3 and reads only.

    A file that is missing or unreadable passes here: opening it properly reports that.
    """
    if not path.exists():
        return
    try:
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            row = (
                db.execute("SELECT value FROM meta WHERE key = ?", (KEY_CHECK_META,)).fetchone()
                if found
                else None
            )
    except sqlite3.DatabaseError:
        return
    check_key(None if row is None else str(row[0]), cipher)


async def _holds_person_texts(db: aiosqlite.Connection) -> bool:
    for table, columns in SEALED_COLUMNS.items():
        if not await _table_exists(db, table):
            continue
        present = " OR ".join(f"{column} IS NOT NULL" for column in columns)
        async with db.execute(f"SELECT 1 FROM {table} WHERE {present} LIMIT 1") as cursor:
            if await cursor.fetchone() is not None:
                return True
    return False


async def adopt_key(db: aiosqlite.Connection, cipher: TextCipher | None) -> None:
    """After migrations: on the first start with a key, remember it through a key check.

    A database that already holds plain texts is refused instead, so no one believes texts are
    encrypted while old ones are not.
    """
    if cipher is None or await stored_key_check(db) is not None:
        return
    if await _holds_person_texts(db):
        raise EncryptionKeyError(PLAIN_TEXTS_UNDER_KEY)
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)", (KEY_CHECK_META, cipher.key_check())
    )


class SqliteSealedTexts:
    """:class:`storage.crypto.SealedTexts` on an open connection with the schema up to date."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def stored_key_check(self) -> str | None:
        return await stored_key_check(self.db)

    async def rewrite(self, convert: Convert, key_check: str) -> int:
        db = self.db
        changed = 0
        await db.execute("BEGIN IMMEDIATE")
        try:
            for table, columns in SEALED_COLUMNS.items():
                for column in columns:
                    field = f"{table}.{column}"
                    async with db.execute(
                        f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL"
                    ) as cursor:
                        rows = list(await cursor.fetchall())
                    for rowid, value in rows:
                        new_value = convert(field, value)
                        if new_value is not None and new_value != value:
                            await db.execute(
                                f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                                (new_value, rowid),
                            )
                            changed += 1
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (KEY_CHECK_META, key_check),
            )
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
        return changed


async def _connect_for_conversion(path: Path) -> aiosqlite.Connection:
    """A connection set up as the bot's is, with no key applied: the callers check the key,
    then bring the schema up to date (so the meta table exists) before changing anything."""
    if not await asyncio.to_thread(path.exists):
        raise StorageError(f"there is no database at {path}")
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            await db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as exc:
            raise DatabaseUnreadableError(
                f"{path} is not a Kindling database or is damaged ({exc}); it was left untouched"
            ) from exc
        await db.execute("PRAGMA foreign_keys = ON")
        # Old plain values are overwritten with zeros as they are replaced.
        await db.execute("PRAGMA secure_delete = ON")
    except BaseException:
        await db.close()
        raise
    return db


async def _convert(path: Path, cipher: TextCipher, new: TextCipher | None) -> Conversion:
    db = await _connect_for_conversion(path)
    try:
        texts = SqliteSealedTexts(db)
        # The key is checked before the schema is brought up to date, as at the bot's start.
        stored = await texts.stored_key_check()
        if new is None:
            refuse_encryption(stored, cipher)
        else:
            refuse_rotation(stored, cipher, new)
        await migrate(db)
        if new is None:
            done = await encrypt_texts(texts, cipher)
        else:
            done = await rotate_texts(texts, cipher, new)
        # secure_delete zeroed the old values' bytes; the checkpoint moves that into the main
        # file and empties the write-ahead log, so no plain copy lingers on disk.
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    return done


async def encrypt_database(path: Path, cipher: TextCipher) -> Conversion:
    """Seal every plain text in the file with ``cipher``, in one transaction."""
    return await _convert(path, cipher, None)


async def rotate_database_key(path: Path, old: TextCipher, new: TextCipher) -> Conversion:
    """Re-seal every text in the file from the ``old`` key to the ``new`` one."""
    return await _convert(path, old, new)

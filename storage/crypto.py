"""Encryption at rest for the words people write, and the checks that keep keys honest.

When the operator sets ``ENCRYPTION_KEY``, every free text a person wrote is stored sealed with
AES-256-GCM (an authenticated cipher: a changed byte or the wrong key fails loudly instead of
returning garbage). A sealed value is text shaped ``enc1:<base64 of nonce + ciphertext>``, so plain
and sealed values are told apart at a glance. The column's name is bound in as associated data,
so a sealed value copied into another column does not open there.

The database remembers which key sealed it through a *key check*: a known constant sealed with
the key, kept in the ``meta`` table. Opening with another key is refused before anything is
written; so is opening an encrypted database without a key, or a database with plain texts
under a key (``python -m bot encrypt-db`` seals them first).

The same module holds the two in-place conversions an operator runs with the bot stopped:
:func:`encrypt_database` (plain to sealed) and :func:`rotate_database_key` (one key to another).
Each runs in one transaction: it completes, or the file is left as it was.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import aiosqlite
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import DatabaseUnreadableError, StorageError
from storage.migrate import migrate

PREFIX = "enc1:"
BUSY_TIMEOUT_MS = 5000
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_CHECK_META = "key_check"
_KEY_CHECK_FIELD = "meta.key_check"
_KEY_CHECK_PLAINTEXT = "kindling key check v1"

# Every column that can hold words a person wrote (or a draft of them), by table, with the
# ``field`` name each value is sealed under. Tables added later that hold a person's words
# belong here too, so encrypt-db and rotate-key convert them.
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "entries": ("text", "extra"),
    "people": ("trusted_name", "trusted_contact"),
    "bot_blobs": ("data",),
}


class EncryptionKeyError(StorageError):
    """The key is malformed, missing, or not the one this database was sealed with."""


class SealedValueError(StorageError):
    """A sealed value did not open: the file was changed outside Kindling, or damaged."""


def generate_key() -> str:
    """A new random 256-bit key, as URL-safe base64 (what ENCRYPTION_KEY holds).

    Never one that starts with "-" (1 in 64 would): a command line reads that as an option, so
    `rotate-key --new-key KEY` would refuse it."""
    while True:
        key = base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")
        if not key.startswith("-"):
            return key


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class TextCipher:
    """Seals and opens texts with one AES-256-GCM key; a fresh random nonce for every value."""

    _aead: AESGCM

    @classmethod
    def from_key(cls, key: str) -> TextCipher:
        """Build from a base64 key; a malformed key is refused without echoing it."""
        try:
            raw = base64.urlsafe_b64decode(key.strip().encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise EncryptionKeyError(
                "ENCRYPTION_KEY is not a valid key: run `python -m bot keygen` and paste the key "
                "it prints"
            )
        return cls(AESGCM(raw))

    def seal(self, field: str, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), field.encode("ascii"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal(self, field: str, value: str) -> str:
        """The plain text of a sealed value; a value that is not sealed is returned as it is."""
        if not is_sealed(value):
            return value
        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], field.encode("ascii"))
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise SealedValueError(
                f"a stored {field} value does not open with ENCRYPTION_KEY; the database was "
                "changed outside Kindling or is damaged"
            ) from exc
        return plain.decode("utf-8")

    def unseals(self, field: str, value: str) -> bool:
        try:
            self.unseal(field, value)
        except SealedValueError:
            return False
        return True

    def key_check(self) -> str:
        return self.seal(_KEY_CHECK_FIELD, _KEY_CHECK_PLAINTEXT)

    def matches(self, key_check: str) -> bool:
        """Whether this key is the one that made ``key_check``."""
        try:
            return self.unseal(_KEY_CHECK_FIELD, key_check) == _KEY_CHECK_PLAINTEXT
        except SealedValueError:
            return False


def load_cipher(key: str | None) -> TextCipher | None:
    """The cipher for ENCRYPTION_KEY, or None when no key is set (texts stay plain)."""
    if key is None or not key.strip():
        return None
    return TextCipher.from_key(key)


# -- the key check ----------------------------------------------------------------------------

WRONG_KEY = (
    "ENCRYPTION_KEY is not the key this database was encrypted with; nothing was changed. "
    "Set it to the key you used before (or restore a backup made with this key)"
)
KEY_MISSING = (
    "the database is encrypted but ENCRYPTION_KEY is not set; nothing was changed. "
    "Set ENCRYPTION_KEY to its key"
)
PLAIN_TEXTS_UNDER_KEY = (
    "ENCRYPTION_KEY is set but the database holds texts stored unencrypted; nothing was "
    "changed. Stop the bot and run `python -m bot encrypt-db` to encrypt them first"
)


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
    stored = await stored_key_check(db)
    if stored is None:
        return
    if cipher is None:
        raise EncryptionKeyError(KEY_MISSING)
    if not cipher.matches(stored):
        raise EncryptionKeyError(WRONG_KEY)


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
    if row is None:
        return
    if cipher is None:
        raise EncryptionKeyError(KEY_MISSING)
    if not cipher.matches(str(row[0])):
        raise EncryptionKeyError(WRONG_KEY)


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


# -- converting a database in place (the bot stopped) -----------------------------------------


@dataclass(frozen=True, slots=True)
class Conversion:
    """What an in-place conversion did, in counts only."""

    values_changed: int
    already_done: bool = False


async def _rewrite_columns(
    db: aiosqlite.Connection, convert: Callable[[str, str], str | None]
) -> int:
    """Apply ``convert(field, value)`` to every sealed column; None means leave the value."""
    changed = 0
    for table, columns in SEALED_COLUMNS.items():
        if not await _table_exists(db, table):
            continue
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
                        f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (new_value, rowid)
                    )
                    changed += 1
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


async def _finish(db: aiosqlite.Connection) -> None:
    # secure_delete zeroed the old values' bytes; the checkpoint moves that into the main file
    # and empties the write-ahead log, so no plain copy lingers on disk.
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.close()


async def encrypt_database(path: Path, cipher: TextCipher) -> Conversion:
    """Seal every plain text in the database with ``cipher``, in one transaction."""
    db = await _connect_for_conversion(path)
    try:
        stored = await stored_key_check(db)
        if stored is not None and not cipher.matches(stored):
            raise EncryptionKeyError(
                "the database is already encrypted with another key; nothing was changed. "
                "Use `python -m bot rotate-key` to change keys"
            )
        await migrate(db)
        await db.execute("BEGIN IMMEDIATE")
        try:

            def seal_plain(field: str, value: str) -> str | None:
                # A value counts as sealed only if it opens with this key: a person may have
                # typed something that merely starts like a sealed value.
                if is_sealed(value) and cipher.unseals(field, value):
                    return None
                return cipher.seal(field, value)

            changed = await _rewrite_columns(db, seal_plain)
            if stored is None:
                await db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    (KEY_CHECK_META, cipher.key_check()),
                )
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    except BaseException:
        await db.close()
        raise
    await _finish(db)
    return Conversion(values_changed=changed, already_done=stored is not None and changed == 0)


async def rotate_database_key(path: Path, old: TextCipher, new: TextCipher) -> Conversion:
    """Re-seal every text from the ``old`` key to the ``new`` one, in one transaction."""
    db = await _connect_for_conversion(path)
    try:
        stored = await stored_key_check(db)
        if stored is None:
            raise EncryptionKeyError(
                "the database is not encrypted yet; nothing was changed. "
                "Run `python -m bot encrypt-db` first"
            )
        if not old.matches(stored):
            raise EncryptionKeyError(WRONG_KEY)
        if new.matches(stored):
            raise EncryptionKeyError("the new key is the key already in use; nothing was changed")
        await migrate(db)
        await db.execute("BEGIN IMMEDIATE")
        try:

            def reseal(field: str, value: str) -> str:
                return new.seal(field, old.unseal(field, value))

            changed = await _rewrite_columns(db, reseal)
            await db.execute(
                "UPDATE meta SET value = ? WHERE key = ?", (new.key_check(), KEY_CHECK_META)
            )
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise
    except BaseException:
        await db.close()
        raise
    await _finish(db)
    return Conversion(values_changed=changed)

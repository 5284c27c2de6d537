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

The same module holds the logic of the two in-place conversions an operator runs with the bot
stopped, :func:`encrypt_texts` (plain to sealed) and :func:`rotate_texts` (one key to another),
over any backend's :class:`SealedTexts`. Each runs in one transaction: it completes, or the
database is left as it was. The key never reaches the database server: only sealed values and
the key check do.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.errors import StorageError

PREFIX = "enc1:"
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
    "notes": ("text",),
    "offered_notes": ("text",),
    "people": ("trusted_name", "trusted_contact"),
    "bot_blobs": ("data",),
    "inbox": ("payload",),
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


def check_key(stored: str | None, cipher: TextCipher | None) -> None:
    """Refuse a key that does not match the database's key check, or a missing one."""
    if stored is None:
        return
    if cipher is None:
        raise EncryptionKeyError(KEY_MISSING)
    if not cipher.matches(stored):
        raise EncryptionKeyError(WRONG_KEY)


# -- converting a database in place (the bot stopped) -----------------------------------------


@dataclass(frozen=True, slots=True)
class Conversion:
    """What an in-place conversion did, in counts only."""

    values_changed: int
    already_done: bool = False


# ``convert(field, value)`` for one sealed column's value; None leaves the value as it is.
Convert = Callable[[str, str], str | None]


class SealedTexts(Protocol):
    """One backend's sealed columns, for the conversions below (schema already up to date)."""

    async def stored_key_check(self) -> str | None: ...

    async def rewrite(self, convert: Convert, key_check: str) -> int:
        """In one transaction: apply ``convert`` to every value of ``SEALED_COLUMNS`` and keep
        ``key_check`` as the database's key check. Returns how many values changed."""
        ...


def refuse_encryption(stored: str | None, cipher: TextCipher) -> None:
    """Raise unless ``encrypt_texts`` may run on a database with this key check."""
    if stored is not None and not cipher.matches(stored):
        raise EncryptionKeyError(
            "the database is already encrypted with another key; nothing was changed. "
            "Use `python -m bot rotate-key` to change keys"
        )


def refuse_rotation(stored: str | None, old: TextCipher, new: TextCipher) -> None:
    """Raise unless ``rotate_texts`` may run on a database with this key check."""
    if stored is None:
        raise EncryptionKeyError(
            "the database is not encrypted yet; nothing was changed. "
            "Run `python -m bot encrypt-db` first"
        )
    if not old.matches(stored):
        raise EncryptionKeyError(WRONG_KEY)
    if new.matches(stored):
        raise EncryptionKeyError("the new key is the key already in use; nothing was changed")


async def encrypt_texts(texts: SealedTexts, cipher: TextCipher) -> Conversion:
    """Seal every plain text with ``cipher``."""
    stored = await texts.stored_key_check()
    refuse_encryption(stored, cipher)

    def seal_plain(field: str, value: str) -> str | None:
        # A value counts as sealed only if it opens with this key: a person may have typed
        # something that merely starts like a sealed value.
        if is_sealed(value) and cipher.unseals(field, value):
            return None
        return cipher.seal(field, value)

    changed = await texts.rewrite(seal_plain, stored or cipher.key_check())
    return Conversion(values_changed=changed, already_done=stored is not None and changed == 0)


async def rotate_texts(texts: SealedTexts, old: TextCipher, new: TextCipher) -> Conversion:
    """Re-seal every text from the ``old`` key to the ``new`` one."""
    refuse_rotation(await texts.stored_key_check(), old, new)

    def reseal(field: str, value: str) -> str:
        return new.seal(field, old.unseal(field, value))

    return Conversion(values_changed=await texts.rewrite(reseal, new.key_check()))

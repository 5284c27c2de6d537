"""Operator commands for people's data: keys, encryption in place, backups.

    python -m bot keygen                  print a new ENCRYPTION_KEY
    python -m bot encrypt-db              encrypt the texts of an existing plain database
    python -m bot rotate-key --new-key K  re-encrypt everything from ENCRYPTION_KEY to K
    python -m bot backup PATH             a consistent copy of the database, while the bot runs

They read DATABASE_URL (or DATABASE_PATH) and ENCRYPTION_KEY from the environment or ``.env``,
as the bot does, and need no bot token. On PostgreSQL, backup runs pg_dump. encrypt-db and
rotate-key change the database in one transaction each; stop the bot first (a running bot would
go on with the old key). Each prints one line: what was done in counts, never a text or a key
other than the one keygen prints. A problem ends in one line on
stderr and exit status 2 (see ``bot.__main__``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError

from bot.settings import DatabaseSettings, Settings, SettingsError, describe_validation_error
from storage.backends import (
    backup_database,
    encrypt_database,
    rotate_database_key,
    verify_key_before_start,
)
from storage.crypto import TextCipher, generate_key, load_cipher

COMMANDS = ("keygen", "encrypt-db", "rotate-key", "backup")


# The part of the bot's settings these commands need (no token).
AdminSettings = DatabaseSettings


def load_admin_settings() -> AdminSettings:
    try:
        return AdminSettings()
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


def _cipher(key: SecretStr | None) -> TextCipher | None:
    return load_cipher(key.get_secret_value() if key else None)


def _required_cipher(settings: AdminSettings) -> TextCipher:
    cipher = _cipher(settings.encryption_key)
    if cipher is None:
        raise SettingsError(
            "ENCRYPTION_KEY is missing: run `python -m bot keygen` and set ENCRYPTION_KEY to "
            "the key it prints."
        )
    return cipher


def check_database_key(settings: Settings) -> None:
    """Before the bot starts: refuse a wrong or missing key in one line, writing nothing."""
    verify_key_before_start(settings.database, _cipher(settings.encryption_key))


def texts_at_rest(settings: Settings) -> str:
    """How people's texts are stored, for the start-up log line."""
    if settings.encryption_key:
        return "encrypted"
    return "unencrypted (set ENCRYPTION_KEY to encrypt them, see README)"


def keygen(args: argparse.Namespace) -> int:
    """Print a new key, for ENCRYPTION_KEY (or rotate-key --new-key)."""
    print(generate_key())
    return 0


def encrypt_db(args: argparse.Namespace) -> int:
    """Encrypt every plain text in the database with ENCRYPTION_KEY."""
    settings = load_admin_settings()
    done = asyncio.run(encrypt_database(settings.database, _required_cipher(settings)))
    if done.already_done:
        print(f"{settings.database.shown} was already encrypted with this key; nothing to do")
    else:
        print(
            f"{settings.database.shown} encrypted: {done.values_changed} values sealed. "
            "Keep ENCRYPTION_KEY safe: without it the texts cannot be read."
        )
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    """Re-encrypt everything from ENCRYPTION_KEY to the new key."""
    settings = load_admin_settings()
    new_key = sys.stdin.readline().strip() if args.new_key == "-" else args.new_key
    new = load_cipher(new_key)
    if new is None:
        raise SettingsError("--new-key is empty: run `python -m bot keygen` for a new key.")
    done = asyncio.run(rotate_database_key(settings.database, _required_cipher(settings), new))
    print(
        f"{settings.database.shown} re-encrypted: {done.values_changed} values. Set "
        "ENCRYPTION_KEY to the new key before starting the bot."
    )
    return 0


def backup(args: argparse.Namespace) -> int:
    """Write a consistent copy of the database to PATH."""
    settings = load_admin_settings()
    result = backup_database(settings.database, args.path)
    counts = " ".join(f"{table}={count}" for table, count in result.row_counts.items())
    checked = "integrity check ok" if settings.database.backend == "sqlite" else "pg_dump format"
    print(f"backup written to {result.path} ({counts}; {checked})")
    return 0


def add_parsers(subcommands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register keygen, encrypt-db, rotate-key and backup on the ``kindling`` command line."""
    parser = subcommands.add_parser("keygen", help="print a new ENCRYPTION_KEY")
    parser.set_defaults(admin=keygen)
    parser = subcommands.add_parser(
        "encrypt-db",
        help="encrypt people's texts in an existing database with ENCRYPTION_KEY (bot stopped)",
    )
    parser.set_defaults(admin=encrypt_db)
    parser = subcommands.add_parser(
        "rotate-key",
        help="re-encrypt people's texts from ENCRYPTION_KEY to a new key (bot stopped)",
    )
    parser.add_argument(
        "--new-key",
        required=True,
        help="the new key from `keygen`, or - to read it from standard input (kept out of "
        "the shell history and the process list)",
    )
    parser.set_defaults(admin=rotate_key)
    parser = subcommands.add_parser(
        "backup", help="write a consistent copy of the database to PATH (bot may be running)"
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="the backup file to create")
    parser.set_defaults(admin=backup)


def run(args: argparse.Namespace) -> int:
    return int(args.admin(args))

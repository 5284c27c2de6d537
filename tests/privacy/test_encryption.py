"""Encryption at rest: people's words are sealed in the file, keys are checked, and the operator
can encrypt an existing database and rotate the key in place."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli_admin import texts_at_rest
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from storage.backends import make_repository
from storage.bounds import MAX_STORED_TEXT_CHARS
from storage.crypto import EncryptionKeyError, TextCipher, generate_key
from storage.models import EntryKind, NewEntry, StoredBlob
from storage.repository import Repository
from storage.target import DatabaseTarget
from tests.harness import database_env, make_settings, running_bot
from tests.privacy.support import ROOT, kindling_here, raw_query, run_kindling, stored_bytes

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MARKER = "Quokka-secret-913"
KEY_A = generate_key()
KEY_B = generate_key()


async def fill(repo: Repository, chat_id: int = 1) -> None:
    """One person with words in every column that can hold them."""
    await repo.ensure_person(chat_id, NOW)
    await repo.update_person(
        chat_id, trusted_name=f"{MARKER} name", trusted_contact=f"{MARKER} 555"
    )
    await repo.add_entry(
        NewEntry(chat_id, EntryKind.WIN, NOW, text=f"{MARKER} text", extra={"who": f"{MARKER} x"})
    )
    await repo.add_entry(NewEntry(chat_id, EntryKind.REFLECTION, NOW, rating=3))
    await repo.add_note(chat_id, f"{MARKER} note", NOW)
    draft = json.dumps({"draft": {"text": f"{MARKER} draft"}})
    await repo.conversations.save_persisted([], [StoredBlob("user_data", chat_id, draft)])


async def read_back(repo: Repository, chat_id: int = 1) -> None:
    """Everything ``fill`` stored, read back whole through the repository."""
    person = await repo.get_person(chat_id)
    assert person is not None
    assert (person.trusted_name, person.trusted_contact) == (f"{MARKER} name", f"{MARKER} 555")
    texts = [(e.text, e.extra) for e in await repo.list_entries(chat_id, newest_first=False)]
    assert texts == [(f"{MARKER} text", {"who": f"{MARKER} x"}), (None, {})]
    blob = json.loads((await repo.conversations.load_blobs("user_data"))[chat_id])
    assert blob == {"draft": {"text": f"{MARKER} draft"}}
    assert [n.text for n in await repo.list_notes(chat_id)] == [f"{MARKER} note"]


def raw_values(database: DatabaseTarget) -> list[str]:
    """The sealed columns' values as the database holds them, read past Kindling."""
    rows = raw_query(
        database,
        "SELECT text FROM entries UNION ALL SELECT extra FROM entries UNION ALL "
        "SELECT trusted_name FROM people UNION ALL SELECT trusted_contact FROM people "
        "UNION ALL SELECT data FROM bot_blobs UNION ALL SELECT text FROM notes",
    )
    return [row[0] for row in rows if row[0] is not None]


def repository(database: DatabaseTarget, key: str | None = None) -> Repository:
    return make_repository(database, cipher=TextCipher.from_key(key) if key else None)


def test_a_new_key_never_starts_like_a_command_line_option() -> None:
    # One key in 64 would, and `rotate-key --new-key KEY` would then refuse it (this test
    # suite's own rotation test once did). 3,000 keys: the old way passes with p < 1e-20.
    keys = {generate_key() for _ in range(3000)}
    assert len(keys) == 3000
    assert not [key for key in keys if key.startswith("-")]
    assert all(len(base64.urlsafe_b64decode(key)) == 32 for key in keys)


async def test_words_are_sealed_in_the_file_and_read_back_whole(database: DatabaseTarget) -> None:
    repo = repository(database, KEY_A)
    await repo.open()
    await fill(repo)
    await read_back(repo)
    await repo.close()
    values = raw_values(database)
    assert len(values) == 7 and all(value.startswith("enc1:") for value in values)
    assert MARKER.encode() not in stored_bytes(database)
    # The same words sealed twice look different (a fresh nonce each time).
    cipher = TextCipher.from_key(KEY_A)
    assert cipher.seal("entries.text", "same") != cipher.seal("entries.text", "same")

    again = repository(database, KEY_A)
    await again.open()
    await read_back(again)
    await again.close()


async def test_a_sealed_value_only_opens_in_its_own_column(tmp_path: Path) -> None:
    cipher = TextCipher.from_key(KEY_A)
    sealed = cipher.seal("people.trusted_name", "Mira")
    assert cipher.unseal("people.trusted_name", sealed) == "Mira"
    assert not cipher.unseals("entries.text", sealed)
    assert not TextCipher.from_key(KEY_B).unseals("people.trusted_name", sealed)
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    assert not cipher.unseals("people.trusted_name", tampered)


async def test_the_bot_with_a_key_keeps_words_sealed_end_to_end(
    emulator: BotApiEmulator, database: DatabaseTarget, clock: ManualClock
) -> None:
    settings = make_settings(emulator, database, encryption_key=KEY_A)
    alex = emulator.person(5001, "Alex")
    async with running_bot(settings, clock) as bot:
        await alex.send(f"/win {MARKER} I waited")
        question = await alex.expect("fits it best")
        await alex.press("I paused before reacting")
        await alex.expect_edit("How connected", question)
        await alex.press("Skip")
        await alex.expect_edit("/journal", question)  # said only once it is saved
        [win] = await bot.services.repo.list_entries(5001)
        assert win.text == f"{MARKER} I waited"
        await alex.send("/win")  # a draft left half-way, persisted sealed
        await alex.wait_until_quiet()
        await alex.send(f"{MARKER} half-way")
        await alex.expect("fits it best")
        await alex.send("/export")
        await alex.expect("hasn't been kept")  # the half-way words, offered to be kept
        await alex.expect("everything you've kept")
        document = await alex.next_message()
        assert document.file_bytes is not None and MARKER.encode() in document.file_bytes
    assert MARKER.encode() not in stored_bytes(database)
    values = raw_values(database)
    assert values and all(value.startswith("enc1:") for value in values)


async def test_the_wrong_key_is_refused_in_one_line_and_nothing_is_written(
    tmp_path: Path, database: DatabaseTarget
) -> None:
    repo = repository(database, KEY_A)
    await repo.open()
    await fill(repo)
    await repo.close()
    before = stored_bytes(database)

    env = {
        "TELEGRAM_BOT_TOKEN": "123456:ABCdef",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # never reached
        **database_env(database),
    }
    wrong = run_kindling(cwd=tmp_path, env={**env, "ENCRYPTION_KEY": KEY_B})
    assert wrong.returncode == 2, wrong.stderr
    assert wrong.stdout == ""
    [line] = wrong.stderr.strip().splitlines()
    assert "ENCRYPTION_KEY is not the key this database was encrypted with" in line
    assert KEY_B not in line and KEY_A not in line
    assert stored_bytes(database) == before

    missing = await kindling_here(cwd=tmp_path, env=env)
    assert missing.returncode == 2
    [line] = missing.stderr.strip().splitlines()
    assert "encrypted but ENCRYPTION_KEY is not set" in line
    assert stored_bytes(database) == before

    malformed = await kindling_here(cwd=tmp_path, env={**env, "ENCRYPTION_KEY": "not-a-key"})
    assert malformed.returncode == 2
    [line] = malformed.stderr.strip().splitlines()
    assert "ENCRYPTION_KEY is not a valid key" in line and "not-a-key" not in line
    assert stored_bytes(database) == before


async def test_opening_checks_the_key_before_writing(database: DatabaseTarget) -> None:
    repo = repository(database, KEY_A)
    await repo.open()
    await fill(repo)
    await repo.close()
    before = stored_bytes(database)
    for cipher, message in (
        (TextCipher.from_key(KEY_B), "not the key"),
        (None, "ENCRYPTION_KEY is not set"),
    ):
        with pytest.raises(EncryptionKeyError, match=message):
            await make_repository(database, cipher=cipher).open()
        assert stored_bytes(database) == before


async def test_a_plain_database_with_words_is_not_opened_under_a_key(
    database: DatabaseTarget, another_database: Callable[[], DatabaseTarget]
) -> None:
    plain = repository(database)
    await plain.open()
    await fill(plain)
    await plain.close()
    with pytest.raises(EncryptionKeyError, match="encrypt-db"):
        await repository(database, KEY_A).open()
    # An empty database simply adopts the key on its first start.
    empty = another_database()
    fresh = repository(empty, KEY_A)
    await fresh.open()
    await fresh.close()
    with pytest.raises(EncryptionKeyError, match="not the key"):
        await repository(empty, KEY_B).open()


async def test_keygen_prints_a_fresh_usable_key(tmp_path: Path) -> None:
    first = run_kindling("keygen", cwd=tmp_path)
    second = await kindling_here("keygen", cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    key = first.stdout.strip()
    assert key != second.stdout.strip() and len(first.stdout.splitlines()) == 1
    TextCipher.from_key(key)  # a malformed key would raise


async def test_encrypt_db_then_rotate_key_round_trip(
    tmp_path: Path, database: DatabaseTarget
) -> None:
    plain = repository(database)
    await plain.open()
    await fill(plain, 1)
    await fill(plain, 2)
    await plain.close()
    assert MARKER.encode() in stored_bytes(database)
    env = database_env(database)

    done = await kindling_here("encrypt-db", cwd=tmp_path, env={**env, "ENCRYPTION_KEY": KEY_A})
    assert done.returncode == 0, done.stderr
    assert "14 values sealed" in done.stdout and KEY_A not in done.stdout
    assert MARKER.encode() not in stored_bytes(database)
    assert all(value.startswith("enc1:") for value in raw_values(database))
    repo = repository(database, KEY_A)
    await repo.open()
    await read_back(repo, 1)
    await read_back(repo, 2)
    await repo.close()

    again = await kindling_here("encrypt-db", cwd=tmp_path, env={**env, "ENCRYPTION_KEY": KEY_A})
    assert again.returncode == 0 and "already encrypted" in again.stdout
    other = await kindling_here("encrypt-db", cwd=tmp_path, env={**env, "ENCRYPTION_KEY": KEY_B})
    assert other.returncode == 2 and "another key" in other.stderr

    rotated = await kindling_here(
        "rotate-key",
        "--new-key",
        "-",
        cwd=tmp_path,
        env={**env, "ENCRYPTION_KEY": KEY_A},
        stdin=KEY_B + "\n",
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "14 values" in rotated.stdout and KEY_B not in rotated.stdout
    with pytest.raises(EncryptionKeyError):
        await repository(database, KEY_A).open()
    repo = repository(database, KEY_B)
    await repo.open()
    await read_back(repo, 1)
    await read_back(repo, 2)
    await repo.close()

    key_c = generate_key()
    back = await kindling_here(
        "rotate-key", "--new-key", key_c, cwd=tmp_path, env={**env, "ENCRYPTION_KEY": KEY_B}
    )
    assert back.returncode == 0, back.stderr
    repo = repository(database, key_c)
    await repo.open()
    await read_back(repo, 1)
    await repo.close()


async def test_a_failed_rotation_changes_nothing(tmp_path: Path, database: DatabaseTarget) -> None:
    repo = repository(database, KEY_A)
    await repo.open()
    await fill(repo, 1)
    await fill(repo, 2)
    await repo.close()
    # One value damaged on disk: rotation stops at it and rolls back everything before it.
    raw_query(
        database, "UPDATE entries SET text = 'enc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id = 3"
    )
    before = raw_values(database)
    env = {**database_env(database), "ENCRYPTION_KEY": KEY_A}
    failed = await kindling_here("rotate-key", "--new-key", KEY_B, cwd=tmp_path, env=env)
    assert failed.returncode == 2
    assert len(failed.stderr.strip().splitlines()) == 1 and "does not open" in failed.stderr
    assert raw_values(database) == before
    repo = repository(database, KEY_A)
    await repo.open()
    await read_back(repo, 1)
    await repo.close()


async def test_texts_are_bounded_in_storage(database: DatabaseTarget) -> None:
    repo = repository(database)
    await repo.open()
    long = "x" * (MAX_STORED_TEXT_CHARS + 500)
    await repo.ensure_person(1, NOW)
    person = await repo.update_person(1, trusted_name=long)
    entry = await repo.add_entry(
        NewEntry(1, EntryKind.WIN, NOW, text=long, extra={"notes": [long, "short"]})
    )
    await repo.close()
    assert person.trusted_name == "x" * MAX_STORED_TEXT_CHARS
    assert entry.text == "x" * MAX_STORED_TEXT_CHARS
    assert entry.extra == {"notes": ["x" * MAX_STORED_TEXT_CHARS, "short"]}


async def test_without_a_key_the_bot_runs_and_says_texts_are_unencrypted(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_PATH": str(tmp_path / "k.db"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await emulator.wait_for_poller(timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    log = err.decode()
    [start] = [line for line in log.splitlines() if " starting " in line]
    assert "texts=unencrypted" in start
    assert emulator.token not in log and emulator.token.split(":")[1] not in log

    sealed = make_settings(emulator, tmp_path / "b.db", encryption_key=KEY_A)
    assert texts_at_rest(sealed) == "encrypted"

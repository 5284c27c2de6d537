"""When the database says no: locked by another writer past the busy timeout, full, read-only,
damaged, or written by a newer Kindling.

At run time a failed write is a short apology, never a half-kept entry: what the person already
gave stays in their draft and the step can be finished once the database is back. At start-up a
file Kindling cannot safely use is refused in one plain line, and left exactly as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage.sqlite
from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from scheduler.ticker import tick
from storage.errors import DatabaseGoneError
from storage.migrate import latest_version
from storage.models import DeliveryStatus, EntryKind, NewEntry
from storage.sqlite import SqliteRepository
from tests.faults.support import BERLIN_EIGHT_PM, ROOT, prompts_in
from tests.harness import running_bot, seed_person

APOLOGY = "Sorry, something went wrong"


@pytest.fixture
async def impatient_bot(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, clock: ManualClock
) -> AsyncIterator[KindlingApplication]:
    """The real bot, waiting 0.2 s for a locked database instead of 5 s."""
    monkeypatch.setattr(storage.sqlite, "BUSY_TIMEOUT_MS", 200)
    async with running_bot(settings, clock) as application:
        yield application


@contextmanager
def write_lock(db_path: Path) -> Iterator[None]:
    """Another program holds the write lock for as long as the block runs."""
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def win_up_to_the_rating(
    person: EmulatedPerson, words: str, *, after_unsaved: bool = False
) -> SentMessage:
    """/win up to the rating question; returns the message that asks it (the kinds' message,
    edited). ``after_unsaved``: a /win before it could not be saved, and its words are offered
    to be kept first."""
    await person.send(f"/win {words}")
    if after_unsaved:
        await person.expect("hasn't been kept")
    question = await person.expect("which")
    await person.press("I paused before reacting")
    return await person.expect_edit("connected", question)


async def all_settled(bot: KindlingApplication) -> None:
    """Every update the bot fetched is handled and its state stored."""
    async with asyncio.timeout(10):
        while (await bot.services.repo.inbox.backlog(bot.bot.id)).count:
            await asyncio.sleep(0.02)


def not_said_kept(question: SentMessage) -> None:
    """The failed save left the question as it was: nothing on screen claims the win is kept,
    and its numbers can still be tapped."""
    assert question.edits == 1
    assert "journal" not in (question.text or "")
    assert "3" in question.button_texts()


async def finish_after_the_fault(person: EmulatedPerson, question: SentMessage) -> None:
    """Back after the fault: any word brings the last question back, and the tap saves."""
    await person.send("is it working now?")
    again = await person.expect("tap a number")
    await person.press("3")
    await person.expect_edit("journal", again)
    assert await person.wait_until_quiet() == []
    # Said once: the numbers on the first question are gone (the one edit since), its words
    # left as they were.
    assert (question.reply_markup, question.edits) == (None, 2)
    assert "journal" not in (question.text or "")
    assert [m for m in person.messages if "journal" in (m.text or "")] == [again]


@pytest.mark.sqlite_only
async def test_locked_past_the_busy_timeout_while_saving(
    emulator: BotApiEmulator, impatient_bot: KindlingApplication, db_path: Path
) -> None:
    repo = impatient_bot.services.repo
    ida = emulator.person(9101, "Ida")
    question = await win_up_to_the_rating(ida, "I counted to five before answering")
    # The bot has finished writing the step (its inbox mark included): the lock below is taken
    # while the event loop waits, so a write of the bot's begun before it could not finish.
    await all_settled(impatient_bot)
    with write_lock(db_path):
        await ida.press("5")
        apology = await ida.expect(APOLOGY)
    assert "safe" in apology.text
    assert await ida.wait_until_quiet() == []
    not_said_kept(question)
    assert await repo.list_entries(9101) == []

    await finish_after_the_fault(ida, question)
    [entry] = await repo.list_entries(9101)
    assert (entry.text, entry.tags, entry.rating) == (
        "I counted to five before answering",
        ["paused"],
        3,
    )


@pytest.mark.sqlite_only
async def test_locked_past_the_busy_timeout_while_nudging(
    emulator: BotApiEmulator,
    impatient_bot: KindlingApplication,
    clock: ManualClock,
    db_path: Path,
) -> None:
    repo = impatient_bot.services.repo
    for chat in (9201, 9202):
        emulator.person(chat)
        await seed_person(repo, chat, clock.now())
    clock.set(BERLIN_EIGHT_PM)
    with write_lock(db_path):
        report = await tick(impatient_bot)
    assert [h.status for h in report.handled] == ["error", "error"]
    assert emulator.sent() == []
    # Nothing was claimed, so nothing is lost: the next tick sends both, once.
    clock.advance(timedelta(seconds=30))
    report = await tick(impatient_bot)
    assert report.count(DeliveryStatus.SENT) == 2
    for chat in (9201, 9202):
        assert len(prompts_in(emulator.sent(chat))) == 1
        assert [d.status for d in await repo.list_deliveries(chat)] == [DeliveryStatus.SENT]


async def fill_the_disk(repo: SqliteRepository, now: datetime) -> None:
    """No page may be added to the file any more, and the entries' last pages are filled with
    someone else's words, so the next entry has nowhere to go (SQLITE_FULL)."""
    async with repo.db.execute("PRAGMA page_count") as cursor:
        (pages,) = await cursor.fetchone()  # type: ignore[misc]
    await repo.db.execute(f"PRAGMA max_page_count = {pages}")
    await repo.ensure_person(9399, now)
    for size in (1000, 100, 10, 1):
        with contextlib.suppress(sqlite3.OperationalError):
            while True:
                await repo.add_entry(NewEntry(9399, EntryKind.WIN, now, "x" * size))


@pytest.mark.sqlite_only
async def test_disk_full_while_saving(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    assert isinstance(repo, SqliteRepository)
    ona = emulator.person(9301, "Ona")
    question = await win_up_to_the_rating(ona, "I asked before giving advice")
    await fill_the_disk(repo, clock.now())
    with pytest.raises(sqlite3.OperationalError, match="full"):
        await repo.add_entry(NewEntry(9399, EntryKind.WIN, clock.now(), "x"))

    await ona.press("4")
    await ona.expect(APOLOGY)
    assert await ona.wait_until_quiet() == []
    not_said_kept(question)
    assert await repo.list_entries(9301) == []

    await repo.db.execute("PRAGMA max_page_count = 1073741823")  # space again
    await finish_after_the_fault(ona, question)
    assert [e.text for e in await repo.list_entries(9301)] == ["I asked before giving advice"]
    async with repo.db.execute("PRAGMA integrity_check") as cursor:
        assert await cursor.fetchone() == ("ok",)


def run_bot_once(db_path: Path) -> subprocess.CompletedProcess[str]:
    """``python -m bot`` on this file; it must stop before ever reaching Telegram."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens there
        "DATABASE_PATH": str(db_path),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def kindling_file(path: Path) -> bytes:
    """A real Kindling database with a few people in it, closed cleanly; returns its bytes."""
    repo = SqliteRepository(path)
    await repo.open()
    for chat in range(40):
        await seed_person(repo, 9400 + chat, datetime(2026, 11, 1, tzinfo=UTC))
    await repo.close()
    return await asyncio.to_thread(path.read_bytes)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file cannot be written, even by root (who ignores permission bits: then the
    immutable attribute does it)."""
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        with pytest.raises(PermissionError):
            path.open("r+b").close()
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kindling: ")
    return lines[0]


async def test_a_read_only_file_is_refused_at_start(db_path: Path) -> None:
    original = await kindling_file(db_path)
    with read_only(db_path):
        line = one_line(await asyncio.to_thread(run_bot_once, db_path))
    assert "read-only" in line and "left untouched" in line
    assert await asyncio.to_thread(db_path.read_bytes) == original


async def test_a_damaged_file_is_refused_at_start_and_left_alone(db_path: Path) -> None:
    original = await kindling_file(db_path)
    page = 4096
    damaged = original[: 2 * page] + bytes(range(256)) * 16 + original[3 * page :]
    await asyncio.to_thread(db_path.write_bytes, damaged)
    line = one_line(await asyncio.to_thread(run_bot_once, db_path))
    assert "damaged" in line and "left untouched" in line
    assert await asyncio.to_thread(db_path.read_bytes) == damaged


async def test_a_file_from_a_newer_kindling_is_refused_at_start(db_path: Path) -> None:
    await kindling_file(db_path)
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {latest_version() + 1}")
    raw.close()
    newer = await asyncio.to_thread(db_path.read_bytes)
    line = one_line(await asyncio.to_thread(run_bot_once, db_path))
    assert f"schema version {latest_version() + 1}" in line and "upgrade Kindling" in line
    assert await asyncio.to_thread(db_path.read_bytes) == newer


NOT_KEPT = "I can't keep or show anything right now"


def take_away(db_path: Path, how: str) -> None:
    """``rm kindling.db*`` under the running bot, or a restore done under it: the files moved
    aside and a backup copied to DATABASE_PATH (the README's steps, without stopping the bot)."""
    aside = db_path.parent / "replaced"
    aside.mkdir()
    backup = aside / "backup.db"
    with contextlib.closing(sqlite3.connect(db_path)) as live:
        live.execute(f"VACUUM INTO '{backup}'")
    for file in sorted(db_path.parent.glob(db_path.name + "*")):
        if how == "removed":
            file.unlink()
        else:
            file.rename(aside / file.name)
    if how == "replaced":
        db_path.write_bytes(backup.read_bytes())


@pytest.mark.sqlite_only
@pytest.mark.parametrize("how", ["removed", "replaced"])
async def test_the_database_removed_or_replaced_under_a_running_bot(
    how: str,
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    repo = bot.services.repo
    lea = emulator.person(9601, "Lea")
    await seed_person(repo, 9601, clock.now())
    question = await win_up_to_the_rating(lea, "I asked before I gave advice")
    await lea.press("4")
    await lea.expect_edit("journal", question)  # kept for real

    take_away(db_path, how)
    with caplog.at_level(logging.WARNING):
        for n, words in enumerate(
            ("I waited for the end of her sentence", "I said I was sorry first")
        ):
            question = await win_up_to_the_rating(lea, words, after_unsaved=n > 0)
            await lea.press("3")
            sorry = await lea.expect(NOT_KEPT)
            assert "wasn't saved" in sorry.text and "nothing you did" in sorry.text
            not_said_kept(question)
        await lea.send("/journal")
        await lea.expect("hasn't been kept")  # the /win left unsaved: its words can be kept later
        await lea.expect(NOT_KEPT)  # not a list of what is about to be lost
        clock.set(BERLIN_EIGHT_PM)
        with pytest.raises(DatabaseGoneError, match=f"was {how} while Kindling was running"):
            await tick(bot)  # and no nudge claimed where no claim can be kept
    assert prompts_in(emulator.sent(9601)) == []
    assert not [m for m in lea.messages if "kept in your /journal" in (m.text or "")][1:]
    # Loudly, and once: the operator is told what happened and what to do.
    gone = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert [r.getMessage() for r in gone] == [
        f"database file gone or replaced file={db_path} change={how} writes=stopped "
        "fix=stop Kindling, put the file back or restore a backup, then start it again"
    ]

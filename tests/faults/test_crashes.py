"""The bot process is killed with SIGKILL in the middle of the three things that must never be
half-done: saving a person's entry, claiming a nudge, and sending a weekly recap. After a
restart: no entry lost or half-written, no nudge sent twice, no due nudge forgotten.

"In the middle" is made observable from outside the process, without hooks in the bot: the test
holds SQLite's write lock so the bot is caught waiting inside its write, or the emulator takes a
message and holds back Telegram's answer so the bot is caught waiting inside its send.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.emulator import BotApiEmulator
from scheduler.plan import next_recap_at
from storage.models import EntryKind, NewEntry
from storage.sqlite import SqliteRepository
from tests.faults.support import (
    kill,
    prompts_in,
    read_db,
    stop,
    wait_until,
)
from tests.harness import seed_person, start_bot_process

# TICK_SECONDS for the claim test: the first tick runs this long after polling starts, time
# enough to take the write lock first.
FIRST_TICK = 3.0


@contextmanager
def write_lock(db_path: Path) -> Iterator[None]:
    """Another writer holds the database: the bot's next write waits (busy timeout 5 s)."""
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def integrity(db_path: Path) -> str:
    return str(read_db(db_path, "PRAGMA integrity_check")[0][0])


def win_state(db_path: Path, chat_id: int) -> str | None:
    rows = read_db(
        db_path, "SELECT state FROM conversations WHERE name = 'win' AND chat_id = ?", (chat_id,)
    )
    return str(rows[0][0]) if rows else None


def draft_of(db_path: Path, chat_id: int) -> str:
    rows = read_db(
        db_path, "SELECT data FROM bot_blobs WHERE kind = 'user_data' AND key = ?", (chat_id,)
    )
    return str(rows[0][0]) if rows else ""


async def test_killed_while_saving_an_entry(emulator: BotApiEmulator, db_path: Path) -> None:
    first = await start_bot_process(emulator, db_path)
    try:
        mo = emulator.person(7201, "Mo")
        await mo.send("/win I made tea for my brother & asked about <his> day")
        question = await mo.expect("which", timeout=30)
        await mo.press("I reached out to someone")
        await mo.expect_edit("connected", question, timeout=10)
        # The answers so far are stored as a draft, with the flow waiting for the rating.
        await wait_until(lambda: win_state(db_path, 7201) == "2", what="state RATING stored")
        await wait_until(lambda: "reached_out" in draft_of(db_path, 7201), what="draft stored")
        with write_lock(db_path):
            pressed = await mo.press("4")
            # The press was answered: the bot is now waiting for the lock inside its save. Its
            # next poll confirmed the press, so Telegram will not hand it over again.
            await wait_until(lambda: mo.callback_answered(pressed), what="the press answered")
            await wait_until(lambda: not emulator.pending_updates, what="the press confirmed")
            await kill(first)
    finally:
        await kill(first)

    assert read_db(db_path, "SELECT count(*) FROM entries") == [(0,)]
    assert integrity(db_path) == "ok"
    assert "I made tea for my brother" in draft_of(db_path, 7201)

    second = await start_bot_process(emulator, db_path)
    try:
        await emulator.wait_for_poller(timeout=30)
        # Mo writes again; the question comes back and the words were kept.
        await mo.send("hello?")
        again = await mo.expect("tap a number", timeout=30)
        await mo.press("4")
        await mo.expect_edit("journal", again, timeout=10)
        assert await mo.wait_until_quiet() == []
        # Said once, and the numbers left on the first question have nothing left to do.
        assert [m.message_id for m in mo.messages if "journal" in (m.text or "")] == [
            again.message_id
        ]
        assert question.reply_markup is None and again.reply_markup is None
    finally:
        errors = await stop(second)
    assert "Traceback" not in errors, errors
    assert read_db(db_path, "SELECT text, tags, rating FROM entries WHERE chat_id = 7201") == [
        ("I made tea for my brother & asked about <his> day", '["reached_out"]', 4)
    ]


async def test_killed_while_claiming_a_nudge(emulator: BotApiEmulator, db_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    repo = SqliteRepository(db_path)
    await repo.open()
    for chat in (7301, 7302, 7303):
        emulator.person(chat)
        await seed_person(repo, chat, now - timedelta(days=1), at=time(20, 0))
        await repo.update_person(chat, next_prompt_at=now - timedelta(minutes=1))
    await repo.close()

    first = await start_bot_process(emulator, db_path, TICK_SECONDS=str(FIRST_TICK))
    try:
        # Started (its start-up check wants the write lock for a moment), and polling; its first
        # tick comes FIRST_TICK seconds after polling began.
        await emulator.wait_for_poller(timeout=30)
        with write_lock(db_path):
            # The tick finds three people due; its claim (a write) waits for the lock, so
            # nothing can have been sent.
            await asyncio.sleep(FIRST_TICK + 1.0)
            assert emulator.stats["sendMessage"] == 0
            await kill(first)
    finally:
        await kill(first)
    assert read_db(db_path, "SELECT count(*) FROM deliveries") == [(0,)]
    due = read_db(
        db_path, "SELECT count(*) FROM people WHERE next_prompt_at <= ?", (now.timestamp(),)
    )
    assert due == [(3,)]

    second = await start_bot_process(emulator, db_path)
    try:
        await wait_until(
            lambda: all(prompts_in(emulator.sent(chat)) for chat in (7301, 7302, 7303)),
            timeout=30,
            what="the three prompts",
        )
        await wait_until(
            lambda: (
                read_db(db_path, "SELECT count(*) FROM deliveries WHERE status = 'sent'") == [(3,)]
            ),
            what="the three recorded as sent",
        )
    finally:
        errors = await stop(second)
    assert "Traceback" not in errors, errors
    for chat in (7301, 7302, 7303):
        assert len(emulator.sent(chat)) == 1
        [(next_prompt,)] = read_db(
            db_path, "SELECT next_prompt_at FROM people WHERE chat_id = ?", (chat,)
        )
        assert int(next_prompt) > now.timestamp()  # tomorrow's is scheduled


def days_of_this_week(now: datetime, zone: str) -> list[datetime]:
    """Noon on each day of the local week (Monday to Sunday) that contains ``now``."""
    local = now.astimezone(ZoneInfo(zone))
    monday = (local - timedelta(days=local.weekday())).replace(hour=12, minute=0, second=0)
    return [(monday + timedelta(days=n)).astimezone(UTC) for n in range(7)]


async def test_killed_while_sending_a_weekly_recap(emulator: BotApiEmulator, db_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    repo = SqliteRepository(db_path)
    await repo.open()
    for chat in (7401, 7402):
        emulator.person(chat)
        await seed_person(repo, chat, now - timedelta(days=1), zone="UTC", at=None)
        # Something kept on every day of this week, so the recap has its picture.
        for day in days_of_this_week(now, "UTC"):
            await repo.add_entry(
                NewEntry(chat, EntryKind.WIN, day, text="kept", tags=["listened"], rating=3)
            )
    await repo.update_person(7401, next_recap_at=now - timedelta(minutes=2))
    await repo.close()
    # Telegram takes the picture and holds back its answer: the bot is caught mid-recap.
    emulator.faults.delay_next("sendPhoto", 60, then_accept=True)

    first = await start_bot_process(emulator, db_path)
    try:
        await wait_until(
            lambda: [m.kind for m in emulator.sent(7401)] == ["photo"],
            timeout=30,
            what="the recap picture",
        )
        await kill(first)
    finally:
        await kill(first)
    [(status, next_recap)] = read_db(
        db_path,
        "SELECT d.status, p.next_recap_at FROM deliveries d JOIN people p USING (chat_id) "
        "WHERE chat_id = 7401 AND d.kind = 'recap'",
    )
    assert status == "claimed"  # the record that it was on its way
    assert int(next_recap) > now.timestamp()  # next week's is already scheduled

    # Another person's recap falls due while the bot is down.
    repo = SqliteRepository(db_path)
    await repo.open()
    await repo.update_person(7402, next_recap_at=now - timedelta(minutes=1))
    ada = await repo.get_person(7402)
    await repo.close()
    assert ada is not None

    second = await start_bot_process(emulator, db_path)
    try:
        await wait_until(
            lambda: [m.kind for m in emulator.sent(7402)] == ["photo", "text"],
            timeout=30,
            what="the other recap",
        )
        await wait_until(
            lambda: (
                read_db(
                    db_path, "SELECT status FROM deliveries WHERE chat_id = 7402 AND kind = 'recap'"
                )
                == [("sent",)]
            ),
            what="the other recap recorded",
        )
    finally:
        errors = await stop(second)
    assert "Traceback" not in errors, errors
    # Mo's recap is not sent a second time (at most once), and nothing else came.
    assert [m.kind for m in emulator.sent(7401)] == ["photo"]
    [(next_for_ada,)] = read_db(db_path, "SELECT next_recap_at FROM people WHERE chat_id = 7402")
    assert int(next_for_ada) == int(next_recap_at(ada, now).timestamp())

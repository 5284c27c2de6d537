"""The durable inbox (bot/inbox.py) under SIGKILL: nothing a person sent is lost, no entry is
stored twice, and every conversation goes on where it was.

"In the middle" is made observable from outside the process: the emulator takes a call and holds
back Telegram's answer, so the bot is caught inside a handler, after what it stored and before
its update is done. Both backends: the bot is a real process on a real database.
"""

from __future__ import annotations

import json

from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.target import DatabaseTarget
from tests.faults.support import kill, stop, wait_until
from tests.harness import start_bot_process
from tests.privacy.support import raw_query

WIN_WORDS = "I listened to my sister without fixing anything"


def entries_of(database: DatabaseTarget, chat_id: int) -> list[tuple[object, ...]]:
    return raw_query(database, f"SELECT text, rating FROM entries WHERE chat_id = {chat_id}")


def win_state(database: DatabaseTarget, chat_id: int) -> str | None:
    rows = raw_query(
        database, f"SELECT state FROM conversations WHERE name = 'win' AND chat_id = {chat_id}"
    )
    return str(rows[0][0]) if rows else None


def pending_in_inbox(database: DatabaseTarget) -> int:
    return int(raw_query(database, "SELECT count(*) FROM inbox WHERE done_at IS NULL")[0][0])


async def test_killed_after_the_entry_was_stored_it_is_stored_once(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    first = await start_bot_process(emulator, database)
    mo = emulator.person(7601, "Mo")
    try:
        await mo.send(f"/win {WIN_WORDS}")
        question = await mo.expect("which", timeout=30)
        await mo.press("I listened without fixing")
        await mo.expect_edit("connected", question, timeout=10)
        await wait_until(lambda: win_state(database, 7601) == "2", what="rating step stored")
        # Telegram takes the closing edit and holds back its answer: the entry is stored, the
        # bot waits inside the handler, and the press is not yet done.
        emulator.faults.delay_next("editMessageText", 60, then_accept=True)
        await mo.press("4")
        await wait_until(lambda: len(entries_of(database, 7601)) == 1, what="the entry stored")
        await wait_until(lambda: "journal" in (question.text or ""), what="the closing edit")
        assert pending_in_inbox(database) == 1
        await kill(first)
    finally:
        await kill(first)

    second = await start_bot_process(emulator, database)
    try:
        # The press is handled again from the inbox, with nobody writing anything: it finds
        # its entry instead of storing a second one, and the flow ends as it should have.
        await wait_until(lambda: win_state(database, 7601) is None, timeout=30, what="flow ended")
        await wait_until(lambda: pending_in_inbox(database) == 0, what="the press done")
        # (The replayed tap says "kept" again, as a new message: Telegram refuses an edit that
        # changes nothing.)
        before = len(mo.messages)
        await mo.send("/journal")
        await wait_until(
            lambda: any(WIN_WORDS in (m.text or "") for m in mo.messages[before:]),
            timeout=30,
            what="the entry in /journal",
        )
    finally:
        errors = await stop(second)
    assert "Traceback" not in errors, errors
    assert entries_of(database, 7601) == [(WIN_WORDS, 4)]
    assert not [m for m in mo.messages if "try that again" in (m.text or "")]


async def test_killed_after_the_next_question_the_words_are_not_lost(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    first = await start_bot_process(emulator, database)
    ana = emulator.person(7602, "Ana")
    try:
        await emulator.wait_for_poller(timeout=30)
        # The question after the words is taken by Telegram and its answer held back: the bot
        # is caught having asked it, before the step (state and draft) is stored.
        emulator.faults.delay_next("sendMessage", 60, then_accept=True)
        await ana.send(f"/win {WIN_WORDS}")
        await ana.expect("which", timeout=30)
        assert win_state(database, 7602) is None
        await kill(first)
    finally:
        await kill(first)

    second = await start_bot_process(emulator, database)
    try:
        # Handled again from the inbox: the same question, with the words still there.
        await wait_until(lambda: win_state(database, 7602) == "1", timeout=30, what="asked again")
        asked = [m for m in ana.messages if "which" in (m.text or "").lower()]
        assert len(asked) == 2
        await ana.press("I listened without fixing")
        await ana.expect_edit("connected", asked[-1], timeout=10)
        await ana.press("5")
        await ana.expect_edit("journal", asked[-1], timeout=10)
    finally:
        errors = await stop(second)
    assert "Traceback" not in errors, errors
    assert entries_of(database, 7602) == [(WIN_WORDS, 5)]


async def test_killed_in_bursts_nobody_goes_unanswered(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    """Three rounds: 40 people each start /win with their own words, and the bot is killed
    while it is answering them. After each restart every message of the round before was
    handled (each person's stored draft holds their words of that round), and at the end no
    update is left undone."""
    people = [emulator.person(7700 + n, f"P{n}") for n in range(40)]
    rounds = 3
    for round_number in range(rounds + 1):
        process = await start_bot_process(emulator, database)
        try:
            if round_number > 0:
                await wait_until(
                    lambda r=round_number: drafts(database) == words_of(people, r - 1),
                    timeout=60,
                    what=f"every message of round {round_number - 1} handled",
                )
            if round_number == rounds:
                await wait_until(lambda: pending_in_inbox(database) == 0, what="all done")
                break
            await emulator.wait_for_poller(timeout=30)
            asked_before = sum(asked(p) for p in people)
            for n, person in enumerate(people):
                await person.send(f"/win {words(round_number, n)}")
            # Killed with about a third answered: the rest were fetched, or not yet.
            await wait_until(
                lambda before=asked_before: sum(asked(p) for p in people) >= before + 13,
                timeout=30,
                what="a third answered",
            )
            await kill(process)
        finally:
            if round_number < rounds:
                await kill(process)
    errors = await stop(process)
    assert "Traceback" not in errors, errors
    for person in people:
        assert win_state(database, person.chat_id) == "1"
        # Every message was answered (a message handled again after a kill may be answered
        # twice; none is left without an answer).
        assert asked(person) >= rounds


def words(round_number: int, n: int) -> str:
    return f"round {round_number} words of person {n}"


def words_of(people: list[EmulatedPerson], round_number: int) -> dict[int, str]:
    return {p.chat_id: words(round_number, n) for n, p in enumerate(people)}


def drafts(database: DatabaseTarget) -> dict[int, str]:
    """Each person's stored /win draft text."""
    rows = raw_query(database, "SELECT key, data FROM bot_blobs WHERE kind = 'user_data'")
    found = {}
    for key, data in rows:
        draft = json.loads(str(data)).get("draft") or {}
        if "text" in draft:
            found[int(str(key))] = draft["text"]
    return found


def asked(person: EmulatedPerson) -> int:
    """How many times the person was asked which kind of win it was."""
    return sum(1 for m in person.messages if "which" in (m.text or "").lower())

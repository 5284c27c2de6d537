"""Failover under load: people in the middle of /win while the active process is SIGKILLed
again and again, at moments nobody chose, with standbys ready to take over (and each killed
process started again, as systemd would, to stand by). Every person's flow carries on and
ends with their win kept exactly once; nobody's words are lost or kept twice.

Known and printed, not asserted: a question may come twice (a process died between sending it
and marking its update done), and a tap handled by a process killed after it took the buttons
off and before it was done is, when handled again, answered "expired" with the question asked
again in a new message, so the person taps once more (seen on PostgreSQL, about one run in
two): their tap is not lost from the inbox, but they do notice.

This leans on the durable inbox (bot/inbox.py): an update fetched by a process killed before it
was done is handed out again by the next active process, and one done is never handled twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import time

from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.target import DatabaseTarget
from tests.faults.processes import Kindling, start_kindling
from tests.faults.support import wait_until
from tests.harness import open_repository

PEOPLE = 12
# Four in the suite; KINDLING_FAILOVER_KILLS=10 (or more) runs the ten by hand.
KILLS = int(os.environ.get("KINDLING_FAILOVER_KILLS", "4"))
STEP_TIMEOUT = 40.0


def has_said(person: EmulatedPerson, text: str) -> bool:
    return any(text.lower() in (m.text or "").lower() for m in person.messages)


async def said(person: EmulatedPerson, text: str) -> None:
    """Wait until some message from the bot here reads ``text``: a new one, or one edited (a
    step handled again after a kill finds its answer already written in place, and says the
    rest in a new message)."""
    await person.wait_for(lambda: has_said(person, text), STEP_TIMEOUT, f"the bot saying {text!r}")


def offering(person: EmulatedPerson, label: str) -> SentMessage | None:
    """The newest message here with a button ``label`` on it."""
    for message in reversed(person.messages):
        if label in message.button_texts():
            return message
    return None


async def tap(person: EmulatedPerson, label: str, then: str, repeated: list[str]) -> None:
    """Tap ``label`` until the bot says ``then``. A tap handled by a process killed half-way
    may be asked for again (the question comes back, in a new message): the person taps
    again, and ``repeated`` notes it."""
    for _ in range(3):
        asked = offering(person, label)
        assert asked is not None, person.transcript()
        await person.press(label, asked)

        def answered(asked: SentMessage = asked) -> bool:
            return has_said(person, then) or offering(person, label) not in (None, asked)

        await person.wait_for(
            answered,
            STEP_TIMEOUT,
            f"the bot saying {then!r} or asking again",
        )
        if has_said(person, then):
            return
        repeated.append(f"{person.first_name}: {label}")
    raise AssertionError(f"asked three times for {label!r}:\n{person.transcript()}")


async def one_win(person: EmulatedPerson, words: str, repeated: list[str]) -> None:
    """The whole of /win, as a person does it: each step waits for the bot's answer."""
    await person.send("/win")
    await said(person, "What happened?")
    await person.send(words)
    await said(person, "Which of these fits")
    await tap(person, "I reached out to someone", "How connected did it feel", repeated)
    await tap(person, "3", "/journal", repeated)


async def test_people_carry_on_through_repeated_kills_of_the_active_process(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    rng = random.Random(19)
    processes: list[Kindling] = []

    def active() -> list[Kindling]:
        return [p for p in processes if p.process.returncode is None and p.said("role=active")]

    async def add_process() -> Kindling:
        process = await start_kindling(emulator, database, f"kindling-{len(processes)}")
        processes.append(process)
        return process

    first = await add_process()
    await first.wait_for_line("role=active how=first")
    await emulator.wait_for_poller(timeout=30)
    for _ in range(2):
        await (await add_process()).wait_for_line("role=standby how=started")

    people = [emulator.person(7900 + n, f"Person {n}") for n in range(PEOPLE)]
    words = {p.chat_id: f"I asked {p.chat_id} how their day went and listened" for p in people}
    takeovers: list[float] = []
    repeated: list[str] = []

    async def killer() -> None:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            [victim] = active()
            await victim.kill()
            killed_at = time.monotonic()
            await wait_until(lambda: len(active()) == 1, 20, "a takeover")
            takeovers.append(time.monotonic() - killed_at)
            # Started again, as systemd would: it stands by.
            await (await add_process()).wait_for_line("role=standby how=started")

    try:
        async with asyncio.timeout(240):
            flows = (one_win(p, words[p.chat_id], repeated) for p in people)
            await asyncio.gather(killer(), *flows)
        print(f"\ntakeovers under load on {database.backend}: {[f'{t:.2f}' for t in takeovers]}")
        assert len(takeovers) == KILLS
        async with open_repository(database) as repo:
            for person in people:
                kept = [entry.text for entry in await repo.list_entries(person.chat_id)]
                assert kept == [words[person.chat_id]], (person, kept)
        # A step whose process died after its reply and before it was done is handled again
        # by the next active process (at least once): its question may come twice, its entry
        # never. Counted, for the record.
        asked_again = sum(
            sum("What happened?" in (m.text or "") for m in person.messages) - 1
            for person in people
        )
        print(f"questions asked again after a kill: {asked_again}; taps again: {repeated}")
    finally:
        for process in processes:
            await process.stop()

    assert "Traceback" not in "".join(p.text for p in processes)

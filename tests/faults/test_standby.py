"""The same Kindling started twice on one database: one is active, the other stands by, and
takes over when the active one is killed (SIGKILL), carrying on the conversation where it
was. Real processes, on a SQLite file and on a real PostgreSQL server, against the emulator.

The takeover time is measured from the kill to the next reply the person gets, and printed
(``pytest -s`` shows it); docs/deploy.md quotes it.
"""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from bot.app import CONFLICTS_BEFORE_STOPPING
from sandbox.emulator import BotApiEmulator
from storage.target import Backend, DatabaseTarget
from tests.faults.processes import Kindling, start_kindling
from tests.faults.support import wait_until
from tests.harness import open_repository

# The target, from the kill to the next reply.
TAKEOVER_TARGET_SECONDS = 5.0


async def flow_state(database: DatabaseTarget, flow: str, chat_id: int) -> str | None:
    """Where the person's conversation in ``flow`` stands, as stored in the database."""
    async with open_repository(database) as repo:
        states = await repo.conversations.load_conversations(flow)
    for chat, state in states.values():
        if chat == chat_id:
            return state
    return None


async def wait_for_stored_state(database: DatabaseTarget, flow: str, chat_id: int) -> str:
    """Another process writes it: read the database until it is there."""
    async with asyncio.timeout(20):
        while (state := await flow_state(database, flow, chat_id)) is None:
            await asyncio.sleep(0.05)
    return state


async def entries_of(database: DatabaseTarget, chat_id: int) -> list[str | None]:
    async with open_repository(database) as repo:
        return [entry.text for entry in await repo.list_entries(chat_id)]


async def start_pair(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> tuple[Kindling, Kindling]:
    """The first process active and polling, the second standing by."""
    first = await start_kindling(emulator, database, "first")
    await first.wait_for_line("role=active how=first")
    await emulator.wait_for_poller(timeout=30)
    second = await start_kindling(emulator, database, "second")
    await second.wait_for_line("role=standby how=started")
    return first, second


async def test_a_standby_takes_over_when_the_active_process_is_killed(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    first, second = await start_pair(emulator, database)
    try:
        ivy = emulator.person(7501, "Ivy")
        await ivy.send("/win")
        await ivy.expect("What happened?", timeout=30)
        await wait_for_stored_state(database, "win", 7501)
        # Only the first one ever polled: the standby waits, it does not fight over updates.
        assert emulator.stats["409"] == 0
        assert second.roles() == ["role=standby how=started"]

        await first.kill()
        killed_at = time.monotonic()
        await ivy.send("I waited before answering")
        # The standby takes over, loads the conversation as the first one stored it, and asks
        # the flow's next question.
        question = await ivy.expect("Which of these fits", timeout=30)
        takeover = time.monotonic() - killed_at
        print(f"\ntakeover on {database.backend}: {takeover:.2f} s from SIGKILL to the reply")
        assert takeover < TAKEOVER_TARGET_SECONDS, takeover

        await ivy.press("I reached out to someone")
        await ivy.expect_edit("connected", question, timeout=10)
        await ivy.press("4")
        await ivy.expect_edit("journal", question, timeout=10)
        assert await entries_of(database, 7501) == ["I waited before answering"]
        assert second.roles() == ["role=standby how=started", "role=active how=took_over"]
        # A takeover is worth a WARNING: an operator at LOG_LEVEL=WARNING still sees it.
        assert " WARNING bot.roles role=active how=took_over" in second.text
        assert first.roles() == ["role=active how=first"]
    finally:
        await first.kill()
        status = await second.stop()
    assert status == 0
    assert "Traceback" not in first.text + second.text, first.text + second.text


async def test_a_takeover_waits_out_the_dead_ones_long_poll_without_stopping(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    """Telegram keeps a killed process's long poll waiting until its timeout: the new active
    process meets it as 409 Conflicts, more than the three that mean "another Kindling on this
    token", and carries on once it is gone instead of stopping."""
    first, second = await start_pair(emulator, database)
    try:
        emulator.faults.linger_polls(3.0)
        await first.kill()
        ivy = emulator.person(7504, "Ivy")
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=30)
        assert emulator.stats["409"] > CONFLICTS_BEFORE_STOPPING
        assert second.process.returncode is None
        assert second.said("polling conflict after takeover counted=0")
    finally:
        await first.kill()
        status = await second.stop()
    assert status == 0
    assert "another Kindling is already running" not in second.text


async def test_three_processes_take_over_one_after_another(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    """Killed twice: each time exactly one of those left takes over, and people are answered."""
    first, second = await start_pair(emulator, database)
    third = await start_kindling(emulator, database, "third")
    processes = [first, second, third]
    try:
        await third.wait_for_line("role=standby how=started")
        ivy = emulator.person(7502, "Ivy")
        for took_over in (2, 3):
            alive = [p for p in processes if p.process.returncode is None]
            active = [p for p in alive if p.said("role=active")]
            assert len(active) == 1
            await active[0].kill()
            await ivy.send("/help")
            await ivy.expect("/journal", timeout=30)
            await wait_until(
                lambda n=took_over: sum(1 for p in processes if p.said("role=active")) == n,
                10,
                "a takeover",
            )
        # After two kills the last one standing is the active one; nobody else tried to poll.
        assert [bool(p.said("role=active")) for p in processes] == [True, True, True]
        assert emulator.stats["409"] == 0
    finally:
        for process in processes:
            await process.stop()
    assert "Traceback" not in "".join(p.text for p in processes)


@pytest.mark.postgres_only
async def test_the_active_process_that_loses_its_lock_stops_at_once(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    """The server ends the session holding the advisory lock (a network cut, a restart, an
    administrator): from then on a standby may hold the lock, so the active process exits at
    once (status 3, for systemd to restart it as a standby) and the standby takes over."""
    assert database.backend is Backend.POSTGRES and database.conninfo is not None
    first, second = await start_pair(emulator, database)
    try:
        with psycopg.connect(database.conninfo, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'kindling-leadership' AND pid IN ("
                "  SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
            ).fetchall()
        assert ended == [(True,)]
        await first.wait_for_line("role=lost", timeout=10)
        await wait_until(lambda: first.process.returncode is not None, 10, "the first exiting")
        assert first.process.returncode == 3
        await second.wait_for_line("role=active how=took_over", timeout=10)
        ivy = emulator.person(7503, "Ivy")
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=30)
    finally:
        await first.kill()
        status = await second.stop()
    assert status == 0
    assert "Traceback" not in first.text + second.text

"""The bot process is killed with SIGKILL half-way through onboarding, restarted, and the
conversation carries on where it was: state lives in the database, not in the dead process."""

from __future__ import annotations

import asyncio
import signal
from datetime import time

from sandbox.emulator import BotApiEmulator
from storage.target import DatabaseTarget
from tests.harness import open_repository, start_bot_process


async def stored_onboarding_state(database: DatabaseTarget, chat_id: int) -> str | None:
    async with open_repository(database) as repo:
        stored = await repo.conversations.load_conversations("onboarding")
    return next((state for chat, state in stored.values() if chat == chat_id), None)


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.05)


async def test_sigkill_mid_onboarding_then_restart_continues(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    first = await start_bot_process(emulator, database)
    try:
        jo = emulator.person(2001, "Jo")
        await jo.send("/start")
        await jo.expect("Kindling", timeout=30)
        await jo.expect("where are you")
        await jo.send("Lisbon")
        await jo.expect("Lisbon, Portugal", timeout=30)
        question = await jo.expect("daily reflection")

        # The time question is stored (state TIME = 1), and the bot has polled again, which
        # confirms the "Lisbon" update so it is not delivered a second time.
        async def time_question_stored() -> bool:
            return await stored_onboarding_state(database, 2001) == "1"

        await wait_for(time_question_stored)
        await emulator.wait_for_poller()
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert first.returncode == -signal.SIGKILL

    second = await start_bot_process(emulator, database)
    try:
        await emulator.wait_for_poller(timeout=30)
        await jo.press("7:00 AM", message=question)
        done = await jo.expect("All set", timeout=30)
        assert "7:00 AM" in done.text and "Lisbon" in done.text
        assert await jo.wait_until_quiet() == []
        async with open_repository(database) as repo:
            person = await repo.get_person(2001)
        assert person is not None
        assert (person.time_zone, person.prompt_time, person.onboarded) == (
            "Europe/Lisbon",
            time(7, 0),
            True,
        )
        # Nothing from before the kill was answered twice.
        assert len([m for m in jo.messages if "Lisbon, Portugal" in (m.text or "")]) == 1
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(20):
                await second.wait()
        except TimeoutError:
            second.kill()
            await second.wait()
    stderr = (await second.stderr.read()).decode() if second.stderr else ""
    assert "Traceback" not in stderr, stderr
    assert second.returncode == 0

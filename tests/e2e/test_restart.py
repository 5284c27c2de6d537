"""The bot process is killed with SIGKILL half-way through onboarding, restarted, and the
conversation carries on where it was: state lives in SQLite, not in the dead process."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from tests.harness import start_bot_process


def stored_onboarding_state(db_path: Path, chat_id: int) -> str | None:
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "SELECT state FROM conversations WHERE name = 'onboarding' AND chat_id = ?",
            (chat_id,),
        ).fetchone()
    return row[0] if row else None


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_sigkill_mid_onboarding_then_restart_continues(
    emulator: BotApiEmulator, db_path: Path
) -> None:
    first = await start_bot_process(emulator, db_path)
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
        await wait_for(lambda: stored_onboarding_state(db_path, 2001) == "1")
        await emulator.wait_for_poller()
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert first.returncode == -signal.SIGKILL

    second = await start_bot_process(emulator, db_path)
    try:
        await emulator.wait_for_poller(timeout=30)
        await jo.press("07:00", message=question)
        done = await jo.expect("All set", timeout=30)
        assert "7:00 AM" in done.text and "Lisbon" in done.text
        assert await jo.wait_until_quiet() == []
        with sqlite3.connect(db_path) as db:
            zone, prompt_time, onboarded = db.execute(
                "SELECT time_zone, prompt_time, onboarded FROM people WHERE chat_id = 2001"
            ).fetchone()
        assert (zone, prompt_time, onboarded) == ("Europe/Lisbon", "07:00", 1)
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

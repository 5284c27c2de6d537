"""The bot process is killed (SIGKILL) after it claimed a prompt and while the send was on its way.
The restarted bot does not send it again: the claim stays as the record, and the next prompt is
scheduled as usual. At most once is the promise (see scheduler/ticker.py, ``_deliver``)."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, time, timedelta

from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import DeliveryKind, DeliveryStatus
from storage.target import DatabaseTarget
from tests.harness import make_settings, open_repository, running_bot, start_bot_process


def send_calls(emulator: BotApiEmulator, chat_id: int) -> int:
    return sum(
        1
        for method, params in emulator.calls
        if method == "sendMessage" and params.get("chat_id") == chat_id
    )


async def test_killed_between_claim_and_send_never_sends_twice(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with open_repository(database) as repo:
        await repo.ensure_person(8001, now - timedelta(days=1))
        await repo.update_person(
            8001,
            time_zone="Europe/Berlin",
            prompt_time=time(20, 0),
            onboarded=True,
            next_prompt_at=now - timedelta(minutes=1),
        )
    emulator.person(8001, "Jo")
    # The send reaches Telegram's door and hangs there; it is never delivered.
    emulator.faults.delay_next("sendMessage", 60, then_accept=False)

    child = await start_bot_process(emulator, database)
    try:
        async with asyncio.timeout(30):
            while send_calls(emulator, 8001) == 0:
                await asyncio.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL

    clock = ManualClock(datetime.now(UTC))
    async with running_bot(make_settings(emulator, database), clock) as application:
        report = await tick(application)
        rows = await application.services.repo.list_deliveries(8001)
        person = await application.services.repo.get_person(8001)
    # The claim moved the schedule on in the same transaction: nothing is due any more.
    assert report.handled == []
    assert send_calls(emulator, 8001) == 1
    assert emulator.sent(8001) == []
    [claimed] = rows
    assert (claimed.kind, claimed.status) == (DeliveryKind.PROMPT, DeliveryStatus.CLAIMED)
    assert person is not None and person.next_prompt_at is not None
    assert person.next_prompt_at > clock.now()

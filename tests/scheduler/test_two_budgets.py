"""Two budgets: while a fan-out of daily prompts is paced under the bulk limit, people who write
to Kindling are answered at once, not behind the prompts still waiting their turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import DeliveryStatus
from storage.target import DatabaseTarget
from tests.harness import make_settings, running_bot, seed_person
from tests.scheduler.support import BERLIN_EIGHT_PM

# A slow bulk budget, so the fan-out lasts long enough to talk during it: 12 prompts at 2 a
# second take about 6 seconds whatever the machine.
BULK_PER_SECOND = 2.0
DUE = range(9100, 9112)
ASKING = range(9200, 9210)


@pytest.fixture
def settings(emulator: BotApiEmulator, database: DatabaseTarget) -> Settings:
    return make_settings(emulator, database, telegram_rate_limit=BULK_PER_SECOND)


@pytest.fixture
async def bot(settings: Settings, clock: ManualClock) -> AsyncIterator[KindlingApplication]:
    async with running_bot(settings, clock) as application:
        yield application


def prompts_sent(emulator: BotApiEmulator) -> int:
    return sum(
        1
        for method, params in emulator.calls
        if method == "sendMessage" and params.get("chat_id") in DUE
    )


async def test_replies_are_not_queued_behind_a_fan_out(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    for chat in DUE:
        emulator.person(chat)
        await seed_person(bot.services.repo, chat, BERLIN_EIGHT_PM.replace(hour=8))
    askers = [emulator.person(chat, f"Asker{chat}") for chat in ASKING]
    await emulator.wait_for_poller()
    clock.set(BERLIN_EIGHT_PM)

    fan_out = asyncio.create_task(tick(bot))
    async with asyncio.timeout(10):
        while prompts_sent(emulator) < 2:
            await asyncio.sleep(0.02)
    before = prompts_sent(emulator)
    for asker in askers:
        await asker.send("/help")
    for asker in askers:
        await asker.expect("What I can do")
    during = prompts_sent(emulator) - before

    report = await fan_out
    assert report.count(DeliveryStatus.SENT) == len(DUE)
    # Ten answers went out while at most a couple of prompts did: the answers did not wait for
    # the bulk budget (sharing it, they would have taken 5 s, and most of the fan-out with them).
    assert during <= 4, during
    assert prompts_sent(emulator) == len(DUE)

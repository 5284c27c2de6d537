"""A tick works through more due people than one query returns: bounded batches, oldest first,
until nobody due is left, each person once."""

from __future__ import annotations

from datetime import time, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick, ticker_for
from storage.models import DeliveryKind, DeliveryStatus
from tests.scheduler.support import BERLIN_EIGHT_PM, deliveries_of

PROMPT = DeliveryKind.PROMPT


async def test_more_due_people_than_one_batch(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ticker_for(bot).batch_size = 3
    # Seven people whose prompts fell due a minute apart, stored out of order.
    chats = [7000 + n for n in range(7)]
    for n in (4, 0, 6, 2, 5, 1, 3):
        chat = chats[n]
        emulator.person(chat, f"P{n}")
        await repo.ensure_person(chat, clock.now())
        await repo.update_person(
            chat,
            time_zone="Europe/Berlin",
            prompt_time=time(19, 53 + n),
            onboarded=True,
            next_prompt_at=BERLIN_EIGHT_PM - timedelta(minutes=7 - n),
        )
    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)

    assert report.batches == [(PROMPT, chats[0:3]), (PROMPT, chats[3:6]), (PROMPT, chats[6:7])]
    assert report.count(DeliveryStatus.SENT) == 7
    for chat in chats:
        assert len(emulator.sent(chat)) == 1
        [row] = await deliveries_of(bot, chat)
        assert row.status is DeliveryStatus.SENT
        person = await repo.get_person(chat)
        assert person is not None and person.next_prompt_at is not None
        assert person.next_prompt_at > BERLIN_EIGHT_PM

    again = await tick(bot)
    assert again.batches == [] and again.handled == []

"""The weekly recap arrives once, at Sunday 18:00 in each person's own zone, with its picture
first when there is one; and it waits out a quiet spell rather than arriving in the middle of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.recap import compose_weekly_recap
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import QUIET, tick
from storage.models import DeliveryKind, DeliveryStatus, EntryKind, NewEntry
from tests.scheduler.support import deliveries_of, onboard, sent_after

RECAP = DeliveryKind.RECAP
SUNDAY = "2026-11-29"
# Sunday 18:00 in Berlin (UTC+1) and in New York (UTC-5) in late November.
BERLIN_SIX_PM = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
NEW_YORK_SIX_PM = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


async def test_weekly_recap_once_at_sunday_six_pm_in_two_zones(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 6001, "Berlin", None, name="Ana")
    await onboard(emulator, 6002, "New York", None, name="Ben")
    # Ana kept a win this week, so her recap has a picture; Ben's week was quiet.
    for day in (26, 27, 28):
        await bot.services.repo.add_entry(
            NewEntry(
                chat_id=6001,
                kind=EntryKind.WIN,
                created_at=datetime(2026, 11, day, 12, 0, tzinfo=UTC),
                text="Listened to my sister",
                tags=["listened"],
            )
        )
    seen = {chat: len(emulator.sent(chat)) for chat in (6001, 6002)}

    clock.set(BERLIN_SIX_PM - timedelta(seconds=1))
    await tick(bot)
    assert sent_after(emulator, 6001, seen[6001]) == []

    clock.set(BERLIN_SIX_PM)
    await tick(bot)
    ana = sent_after(emulator, 6001, seen[6001])
    assert [m.kind for m in ana] == ["photo", "text"]
    person = await bot.services.repo.get_person(6001)
    assert person is not None
    recap = await compose_weekly_recap(bot.services, person, date(2026, 11, 29))
    assert ana[0].file_bytes == recap.chart_png
    assert ana[0].raw_text == recap.chart_caption  # the picture, described in words
    [row] = await deliveries_of(bot, 6001, RECAP)
    assert (row.local_date, row.status, row.message_id) == (SUNDAY, "sent", ana[1].message_id)
    assert sent_after(emulator, 6002, seen[6002]) == []

    clock.set(NEW_YORK_SIX_PM - timedelta(seconds=1))
    await tick(bot)
    assert sent_after(emulator, 6002, seen[6002]) == []
    clock.set(NEW_YORK_SIX_PM)
    await tick(bot)
    [ben] = sent_after(emulator, 6002, seen[6002])
    assert ben.kind == "text" and ben.text
    [row] = await deliveries_of(bot, 6002, RECAP)
    assert (row.local_date, row.status, row.message_id) == (SUNDAY, "sent", ben.message_id)

    # Later ticks the same evening and the next day add nothing.
    for hours in (1, 12, 24):
        clock.set(NEW_YORK_SIX_PM + timedelta(hours=hours))
        await tick(bot)
    assert len(sent_after(emulator, 6001, seen[6001])) == 2
    assert len(sent_after(emulator, 6002, seen[6002])) == 1
    for chat, first_next in ((6001, BERLIN_SIX_PM), (6002, NEW_YORK_SIX_PM)):
        person = await bot.services.repo.get_person(chat)
        assert person is not None and person.next_recap_at == first_next + timedelta(days=7)


async def test_the_recap_is_held_while_quiet(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 6003, "Berlin", None)
    seen = len(emulator.sent(6003))
    await bot.services.repo.update_person(
        6003, quiet_until=datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    )
    clock.set(BERLIN_SIX_PM)
    await tick(bot)
    assert sent_after(emulator, 6003, seen) == []
    [row] = await deliveries_of(bot, 6003, RECAP)
    assert (row.local_date, row.status, row.error) == (SUNDAY, DeliveryStatus.SKIPPED, QUIET)
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    await tick(bot)
    assert sent_after(emulator, 6003, seen) == []  # no backlog when the quiet ends
    person = await bot.services.repo.get_person(6003)
    assert person is not None and person.next_recap_at == BERLIN_SIX_PM + timedelta(days=7)

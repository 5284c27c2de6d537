"""Time going wrong: the clock jumping a day forward and an hour back, a time zone name in the
database that no longer exists, and a person whose zone changes while a nudge is due.

A nudge is sent at most once per local date, a nudge missed by far is let go rather than sent
late, and a zone the bot cannot read is never a crash: the person is asked to set it again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from handlers.flow import FLOW_SEEN_KEY
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from scheduler.ticker import tick
from storage.models import DeliveryKind, DeliveryStatus, EntryKind, NewEntry
from tests.faults.support import BERLIN_EIGHT_PM, prompts_in, wait_until
from tests.harness import seed_person


async def move_to(person: EmulatedPerson, place: str) -> str:
    """/settings, Time zone, a place: the bot's answer."""
    await person.send("/settings")
    await person.wait_until_quiet()
    await person.press("Time zone")
    await person.wait_until_quiet()
    await person.send(place)
    return "\n".join(m.text or "" for m in await person.wait_until_quiet())


async def test_the_clock_jumps_a_day_forward_then_an_hour_back(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    emulator.person(8101)
    await seed_person(repo, 8101, clock.now())
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    assert len(prompts_in(emulator.sent(8101))) == 1

    # A day and a half later (the host slept, or its clock was fixed): tomorrow's 20:00 is more
    # than three hours gone, so it is let go instead of arriving in the middle of the night.
    clock.set(BERLIN_EIGHT_PM + timedelta(days=1, hours=5))
    report = await tick(bot)
    assert [(h.status, h.detail) for h in report.handled] == [(DeliveryStatus.SKIPPED, "stale")]
    assert len(prompts_in(emulator.sent(8101))) == 1
    person = await repo.get_person(8101)
    assert person is not None and person.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=2)

    # An hour back, and then time runs forward over the same instants again: nothing twice.
    clock.set(BERLIN_EIGHT_PM + timedelta(days=1, hours=4))
    assert (await tick(bot)).handled == []
    clock.set(BERLIN_EIGHT_PM + timedelta(days=2))
    await tick(bot)
    clock.set(BERLIN_EIGHT_PM + timedelta(days=2, minutes=30))
    await tick(bot)
    clock.set(BERLIN_EIGHT_PM + timedelta(days=2) - timedelta(hours=1))  # back again
    await tick(bot)
    clock.set(BERLIN_EIGHT_PM + timedelta(days=2, minutes=5))
    await tick(bot)
    assert len(prompts_in(emulator.sent(8101))) == 2
    rows = [(d.local_date, d.status) for d in await repo.list_deliveries(8101)]
    assert rows == [
        ("2026-11-25", DeliveryStatus.SENT),
        ("2026-11-26", DeliveryStatus.SKIPPED),
        ("2026-11-27", DeliveryStatus.SENT),
    ]


async def test_a_clock_jump_mid_conversation_changes_nothing_kept(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    zoe = emulator.person(8102, "Zoe")
    await seed_person(repo, 8102, clock.now())
    await zoe.send("/win I said no without apologising")
    question = await zoe.expect("which")
    await step_noted(bot, 8102, clock)
    # A day forward: by the bot's clock the flow was left for a day, so it was let go (after
    # half an hour, see handlers/flow.py); its buttons are refused and nothing is half-kept.
    clock.advance(timedelta(days=1))
    pressed = await zoe.press("I kept a boundary")
    assert await zoe.wait_until_quiet() == []
    [answer] = [a for a in zoe.answered_callbacks if a["callback_query_id"] == pressed]
    assert "expired" in answer.get("text", "")
    assert question.edits == 0
    assert await repo.list_entries(8102) == []

    # Again, with the clock an hour back, then half an hour on, in the middle: kept once, as meant.
    await zoe.send("/win I said no without apologising")
    question = await zoe.expect("which")
    await step_noted(bot, 8102, clock)
    clock.advance(-timedelta(hours=1))
    await zoe.press("I kept a boundary")
    await zoe.expect_edit("connected", question)
    await step_noted(bot, 8102, clock)
    clock.advance(timedelta(minutes=29))
    await zoe.press("Skip")
    done = await zoe.expect_edit("journal", question)
    assert (done.edits, done.reply_markup) == (2, None)
    assert await zoe.wait_until_quiet() == []
    [entry] = await repo.list_entries(8102)
    assert (entry.text, entry.tags, entry.rating) == (
        "I said no without apologising",
        ["boundary"],
        None,
    )
    assert entry.created_at == clock.now().replace(microsecond=0)


async def step_noted(bot: KindlingApplication, chat_id: int, clock: ManualClock) -> None:
    """Wait until the bot has noted the person's step in the /win flow at the clock's time now
    (it does so right after answering), so moving the clock next cannot race it."""

    def noted() -> bool:
        seen = bot.user_data.get(chat_id, {}).get(FLOW_SEEN_KEY, {})
        return seen.get("win") == clock.now().timestamp()

    await wait_until(noted, timeout=5.0, what="the step noted")


async def test_a_zone_that_no_longer_exists(
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A zone name tzdata no longer knows (written as if an old release had stored it)."""
    repo = bot.services.repo
    ren = emulator.person(8201, "Ren")
    await seed_person(repo, 8201, clock.now())
    await repo.add_entry(
        NewEntry(8201, EntryKind.WIN, clock.now() - timedelta(hours=1), "I waited my turn")
    )
    await repo.update_person(8201, time_zone="Mars/Olympus")
    person = await repo.get_person(8201)
    assert person is not None and person.time_zone == "Mars/Olympus"

    # The scheduler skips Ren safely and says why in the log; the others still get theirs.
    emulator.person(8202)
    await seed_person(repo, 8202, clock.now())
    clock.set(BERLIN_EIGHT_PM)
    with caplog.at_level(logging.INFO, logger="scheduler.ticker"):
        report = await tick(bot)
    outcomes = {h.chat_id: (h.status, h.detail) for h in report.handled}
    assert outcomes == {
        8201: (DeliveryStatus.SKIPPED, "no_zone"),
        8202: (DeliveryStatus.SENT, None),
    }
    assert any("detail=no_zone" in r.getMessage() for r in caplog.records)
    # Ren is told once, in place of the prompt, why the reflections rest and how to bring them
    # back; then nothing more, however many ticks and days go by (the recap too is skipped).
    told = await ren.expect("time zone I had for you")
    assert told.text == bot.services.ui("reliability.zone_lost")
    assert "/settings" in told.text
    for _ in range(8):
        clock.advance(timedelta(days=1))
        later = await tick(bot)
        assert all(h.chat_id != 8201 or h.detail == "no_zone" for h in later.handled)
    assert await ren.wait_until_quiet() == []
    assert len(emulator.sent(8201)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    clock.set(BERLIN_EIGHT_PM)

    # Everything Ren opens works, and asks kindly for the zone again.
    await ren.send("/start")
    back = await ren.expect("Welcome back")
    assert "time zone" in back.text and "/settings" in back.text
    await ren.send("/settings")
    menu = await ren.expect()
    assert "time zone" in menu.text.lower() and "Olympus" not in menu.text
    await ren.send("/journal")
    journal = await ren.expect("I waited my turn")
    assert "Nov" in journal.text
    await ren.send("/week")
    week = [m for m in await ren.wait_until_quiet() if m.kind == "text"]
    assert week and "week" in (week[-1].text or "").lower()
    assert not [m for m in ren.messages if "Sorry, something went wrong" in (m.text or "")]

    # Setting the zone again brings the nudges back.
    assert "Berlin" in await move_to(ren, "Berlin")
    person = await repo.get_person(8201)
    assert person is not None and person.time_zone == "Europe/Berlin"
    assert person.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=1)


async def test_a_lost_zone_is_told_by_the_recap_when_prompts_are_off(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ivy = emulator.person(8203, "Ivy")
    person = await seed_person(repo, 8203, clock.now(), at=None)  # only the weekly recap
    assert person.next_prompt_at is None and person.next_recap_at is not None
    await repo.update_person(8203, time_zone="Mars/Olympus")
    for _ in range(15):
        clock.advance(timedelta(days=1))
        await tick(bot)
    told = await ivy.expect("time zone I had for you")
    assert told.text == bot.services.ui("reliability.zone_lost")
    assert await ivy.wait_until_quiet() == []
    stored = await repo.get_person(8203)
    assert stored is not None and stored.next_recap_at is None  # not due again until set


async def test_the_zone_changes_while_the_nudge_is_due(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    kai = emulator.person(8301, "Kai")
    await seed_person(repo, 8301, clock.now())
    # 20:00:30 in Berlin: the prompt is due, the next tick has not run yet. Kai moves to Tokyo.
    clock.set(BERLIN_EIGHT_PM + timedelta(seconds=30))
    assert "Tokyo" in await move_to(kai, "Tokyo")
    report = await tick(bot)
    assert report.handled == []  # the Berlin evening is no longer Kai's
    person = await repo.get_person(8301)
    assert person is not None
    tokyo_eight_pm = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    assert person.next_prompt_at == tokyo_eight_pm
    clock.set(tokyo_eight_pm)
    await tick(bot)
    assert len(prompts_in(emulator.sent(8301))) == 1

    # Tokyo's 20:00 on the 26th was sent; Kai flies to Los Angeles, where the 26th is only
    # starting: that evening would be the same local date again, so it is not sent twice.
    assert "Los Angeles" in await move_to(kai, "Los Angeles")
    person = await repo.get_person(8301)
    assert person is not None and person.next_prompt_at is not None
    la_eight_pm = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 20:00 on the 26th in LA
    assert person.next_prompt_at == la_eight_pm
    clock.set(la_eight_pm)
    report = await tick(bot)
    assert [(h.kind, h.status) for h in report.handled] == [(DeliveryKind.PROMPT, "taken")]
    assert len(prompts_in(emulator.sent(8301))) == 1
    person = await repo.get_person(8301)
    assert person is not None and person.next_prompt_at == la_eight_pm + timedelta(days=1)
    clock.set(la_eight_pm + timedelta(days=1))
    await tick(bot)
    assert len(prompts_in(emulator.sent(8301))) == 2

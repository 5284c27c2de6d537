"""Daily prompts arrive at the person's local time, exactly once, whatever happens around them:
ticks before and after, restarts, downtime, concurrent ticks, quiet spells, prompts turned off."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.app import KindlingApplication, build_application
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import JOB_NAME, QUIET, STALE, TAKEN, tick
from storage.models import DeliveryKind, DeliveryStatus
from storage.target import DatabaseTarget
from tests.harness import make_settings, running_bot
from tests.scheduler.support import (
    BERLIN_EIGHT_PM,
    TODAY,
    deliveries_of,
    onboard,
    prompts_in,
    sent_after,
)

PROMPT = DeliveryKind.PROMPT


async def test_one_prompt_at_the_chosen_local_time(
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await onboard(emulator, 3001, "Berlin", "20:00")
    seen = len(emulator.sent(3001))
    person = await bot.services.repo.get_person(3001)
    assert person is not None and person.next_prompt_at == BERLIN_EIGHT_PM

    clock.set(BERLIN_EIGHT_PM - timedelta(seconds=1))
    assert (await tick(bot)).handled == []
    assert sent_after(emulator, 3001, seen) == []

    caplog.set_level(logging.INFO, logger="scheduler.ticker")
    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)
    assert report.count(DeliveryStatus.SENT, PROMPT) == 1
    [prompt] = sent_after(emulator, 3001, seen)

    clock.advance(timedelta(minutes=1))
    await tick(bot)
    assert sent_after(emulator, 3001, seen) == [prompt]

    [delivery] = await deliveries_of(bot, 3001)
    assert (delivery.kind, delivery.local_date, delivery.status) == (PROMPT, TODAY, "sent")
    assert delivery.message_id == prompt.message_id
    assert delivery.sent_at == BERLIN_EIGHT_PM
    chosen = bot.services.library.prompt(delivery.prompt_id or "")
    assert chosen.text in (prompt.raw_text or "")
    assert prompt.buttons() == [
        [("Later", f"prompt:later:{TODAY}"), ("Skip today", f"prompt:skip:{TODAY}")]
    ]
    person = await bot.services.repo.get_person(3001)
    assert person is not None and person.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=1)

    # One structured line per outcome, with nothing personal in it.
    lines = [r.getMessage() for r in caplog.records if r.name == "scheduler.ticker"]
    assert any(line.startswith("delivery kind=prompt status=sent") for line in lines)
    for line in lines:
        assert "3001" not in line and chosen.text[:20] not in line and "Alex" not in line


async def test_a_restart_across_the_due_time_sends_once(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    async with running_bot(settings, clock) as first:
        await onboard(emulator, 3002, "Berlin", "20:00")
        seen = len(emulator.sent(3002))
        clock.set(BERLIN_EIGHT_PM - timedelta(minutes=5))
        await tick(first)
    # Down across 20:00; back ten minutes later, twice.
    clock.set(BERLIN_EIGHT_PM + timedelta(minutes=10))
    for _ in range(2):
        async with running_bot(settings, clock) as again:
            await tick(again)
            assert len(sent_after(emulator, 3002, seen)) == 1
            [delivery] = await deliveries_of(again, 3002)
            assert delivery.status is DeliveryStatus.SENT


async def test_late_within_the_grace_window_is_sent_beyond_it_skipped(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3003, "Berlin", "17:00", name="Ana")  # 16:00 UTC
    await onboard(emulator, 3004, "Berlin", "17:01", name="Ben")  # 16:01 UTC
    seen = {chat: len(emulator.sent(chat)) for chat in (3003, 3004)}
    # The bot was down from before 16:00 UTC until 19:01: Ana's prompt is 3 h 1 min late, Ben's
    # exactly 3 h (the grace window's edge).
    clock.set(datetime(2026, 11, 25, 19, 1, tzinfo=UTC))
    await tick(bot)

    assert sent_after(emulator, 3003, seen[3003]) == []
    [skipped] = await deliveries_of(bot, 3003)
    assert (skipped.status, skipped.error, skipped.local_date) == ("skipped", STALE, TODAY)
    ana = await bot.services.repo.get_person(3003)
    assert ana is not None and ana.next_prompt_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)

    assert len(sent_after(emulator, 3004, seen[3004])) == 1
    [sent] = await deliveries_of(bot, 3004)
    assert sent.status is DeliveryStatus.SENT


async def test_back_after_days_away_brings_no_backlog(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3005, "Berlin", "20:00")
    seen = len(emulator.sent(3005))
    # Down from Wednesday morning to Saturday 20:30 Berlin: only Saturday's prompt is still fresh.
    clock.set(datetime(2026, 11, 28, 19, 30, tzinfo=UTC))
    await tick(bot)
    assert len(sent_after(emulator, 3005, seen)) == 1
    rows = await deliveries_of(bot, 3005)
    assert [(r.local_date, r.status) for r in rows] == [
        (TODAY, "skipped"),
        ("2026-11-28", "sent"),
    ]
    person = await bot.services.repo.get_person(3005)
    assert person is not None
    assert person.next_prompt_at == datetime(2026, 11, 29, 19, 0, tzinfo=UTC)


async def test_two_ticks_at_once_send_one_copy(
    emulator: BotApiEmulator, bot: KindlingApplication, settings: Settings, clock: ManualClock
) -> None:
    await onboard(emulator, 3006, "Berlin", "20:00")
    seen = len(emulator.sent(3006))
    clock.set(BERLIN_EIGHT_PM)
    reports = await asyncio.gather(tick(bot), tick(bot))
    assert sum(r.count(DeliveryStatus.SENT) for r in reports) == 1
    assert len(sent_after(emulator, 3006, seen)) == 1

    # A second process on the same database file: only the claim in SQLite stands between them.
    other = build_application(settings, clock=clock)
    await other.initialize()
    try:
        clock.set(BERLIN_EIGHT_PM + timedelta(days=1))
        reports = await asyncio.gather(tick(bot), tick(other))
    finally:
        await other.shutdown()
    assert sum(r.count(DeliveryStatus.SENT) for r in reports) == 1
    assert len(sent_after(emulator, 3006, seen)) == 2
    rows = await deliveries_of(bot, 3006)
    assert [(r.local_date, r.status) for r in rows] == [(TODAY, "sent"), ("2026-11-26", "sent")]


async def test_a_gentle_prompt_after_a_hard_day(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3007, "Berlin", "20:00")
    await bot.services.repo.update_person(3007, gentle_next=True)  # as /setback leaves it
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    [first] = await deliveries_of(bot, 3007)
    assert bot.services.library.prompt(first.prompt_id or "").gentle
    person = await bot.services.repo.get_person(3007)
    assert person is not None and not person.gentle_next

    clock.advance(timedelta(days=1))
    await tick(bot)
    _, second = await deliveries_of(bot, 3007)
    assert second.status is DeliveryStatus.SENT
    assert second.prompt_id != first.prompt_id  # recently sent prompts are not picked again


async def test_no_prompts_when_they_are_off(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3008, "Berlin", None, name="Kim")
    await onboard(emulator, 3009, "Berlin", "20:00", name="Lou")
    seen = {chat: len(emulator.sent(chat)) for chat in (3008, 3009)}
    # Lou turns prompts off in a way that leaves the old schedule in place.
    await bot.services.repo.update_person(3009, prompts_enabled=False)
    for hours in (11, 24, 35):
        clock.set(BERLIN_EIGHT_PM + timedelta(hours=hours) - timedelta(hours=11))
        await tick(bot)
    assert sent_after(emulator, 3008, seen[3008]) == []
    assert sent_after(emulator, 3009, seen[3009]) == []
    assert await deliveries_of(bot, 3008) == []
    [held] = await deliveries_of(bot, 3009)
    assert (held.status, held.error) == ("skipped", "prompts_off")
    lou = await bot.services.repo.get_person(3009)
    assert lou is not None and lou.next_prompt_at is None


async def test_quiet_sends_nothing_and_resumes_without_backlog(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3010, "Berlin", "20:00")
    seen = len(emulator.sent(3010))
    quiet_until = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # /pause until Thursday midday
    await bot.services.repo.update_person(3010, quiet_until=quiet_until)

    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    assert sent_after(emulator, 3010, seen) == []
    [held] = await deliveries_of(bot, 3010)
    assert (held.local_date, held.status, held.error) == (TODAY, "skipped", QUIET)
    person = await bot.services.repo.get_person(3010)
    assert person is not None
    assert person.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=1)

    clock.set(quiet_until + timedelta(minutes=1))
    await tick(bot)
    assert sent_after(emulator, 3010, seen) == []  # the quiet ending releases nothing
    clock.set(BERLIN_EIGHT_PM + timedelta(days=1))
    await tick(bot)
    assert len(sent_after(emulator, 3010, seen)) == 1


async def test_a_long_quiet_schedules_the_next_prompt_after_it_ends(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3011, "Berlin", "20:00")
    seen = len(emulator.sent(3011))
    await bot.services.repo.update_person(
        3011, quiet_until=datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    )
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    person = await bot.services.repo.get_person(3011)
    assert person is not None
    # Saturday's 20:00 Berlin (19:00 UTC) falls inside the quiet: Sunday's is the next one.
    assert person.next_prompt_at == datetime(2026, 11, 29, 19, 0, tzinfo=UTC)
    for day in (1, 2, 3):
        clock.set(BERLIN_EIGHT_PM + timedelta(days=day))
        await tick(bot)
    assert sent_after(emulator, 3011, seen) == []
    clock.set(BERLIN_EIGHT_PM + timedelta(days=4))
    await tick(bot)
    # Sunday brings the weekly recap (the quiet is over by then) and one prompt.
    assert len(prompts_in(sent_after(emulator, 3011, seen))) == 1
    rows = await deliveries_of(bot, 3011, PROMPT)
    assert [r.status for r in rows] == ["skipped", "sent"]


async def test_the_job_sends_on_its_own(
    emulator: BotApiEmulator, database: DatabaseTarget, clock: ManualClock
) -> None:
    settings = make_settings(emulator, database, tick_seconds=0.2)
    async with running_bot(settings, clock) as application:
        assert application.job_queue is not None
        [job] = application.job_queue.get_jobs_by_name(JOB_NAME)
        alex = await onboard(emulator, 3012, "Berlin", "20:00")
        clock.set(BERLIN_EIGHT_PM)
        prompt = await alex.expect("write back here")
        # A direct tick waits for the job's tick to finish, then finds nothing more to send.
        assert (await tick(application)).handled == []
        [delivery] = await deliveries_of(application, 3012)
        assert delivery.message_id == prompt.message_id
        assert await alex.wait_until_quiet() == []
        assert job.next_t is not None  # still scheduled, for the next tick


async def test_a_schedule_changed_while_the_tick_sends_is_kept(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    alex = await onboard(emulator, 3013, "Berlin", "20:00")
    seen = len(emulator.sent(3013))
    emulator.faults.delay_next("sendMessage", 0.5)  # Telegram takes its time to answer
    clock.set(BERLIN_EIGHT_PM)
    sending = asyncio.create_task(tick(bot))
    await alex.wait_for(lambda: len(emulator.sent(3013)) > seen, what="the prompt")
    # Meanwhile Alex moves tomorrow's prompt to 21:30 in /settings.
    moved = datetime(2026, 11, 26, 20, 30, tzinfo=UTC)
    await bot.services.repo.update_person(3013, prompt_time=time(21, 30), next_prompt_at=moved)
    report = await sending
    assert report.count(DeliveryStatus.SENT) == 1
    person = await bot.services.repo.get_person(3013)
    assert person is not None and person.next_prompt_at == moved


async def test_a_later_prompt_time_set_the_same_evening_waits_for_tomorrow(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 3014, "Berlin", "20:00")
    seen = len(emulator.sent(3014))
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    # After tonight's prompt, Alex moves it to 22:00, which is still ahead today.
    tonight = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    await bot.services.repo.update_person(3014, prompt_time=time(22, 0), next_prompt_at=tonight)
    clock.set(tonight)
    report = await tick(bot)
    assert report.count(TAKEN) == 1  # today's prompt was already claimed: one a day
    assert len(sent_after(emulator, 3014, seen)) == 1
    person = await bot.services.repo.get_person(3014)
    assert person is not None and person.next_prompt_at == tonight + timedelta(days=1)

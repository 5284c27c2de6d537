"""When Telegram says no: a person who blocked the bot, a 429, server errors, and an answer lost
on the way back. Nobody gets a second copy, nothing is lost silently, and one person's failure
never holds up the others."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from scheduler.sending import RetryPolicy
from scheduler.ticker import tick, ticker_for
from storage.models import DeliveryKind, DeliveryStatus
from tests.scheduler.support import BERLIN_EIGHT_PM, deliveries_of, onboard, sent_after


class RecordedSleeps:
    """Stands in for asyncio.sleep in the retry policy: the test sees the backoff, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def sends_to(emulator: BotApiEmulator, chat_id: int) -> int:
    return sum(
        1
        for method, params in emulator.calls
        if method == "sendMessage" and params.get("chat_id") == chat_id
    )


async def test_a_blocked_person_is_marked_inactive_and_the_rest_still_get_theirs(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    people = [
        await onboard(emulator, chat, "Berlin", "20:00", name=name)
        for chat, name in ((5001, "Ana"), (5002, "Ben"), (5003, "Cy"))
    ]
    seen = {p.chat_id: len(emulator.sent(p.chat_id)) for p in people}
    people[1].block()

    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)
    assert report.count(DeliveryStatus.SENT) == 2 and report.count(DeliveryStatus.FAILED) == 1
    for chat in (5001, 5003):
        assert len(sent_after(emulator, chat, seen[chat])) == 1
        [row] = await deliveries_of(bot, chat)
        assert row.status is DeliveryStatus.SENT
    [blocked] = await deliveries_of(bot, 5002)
    assert (blocked.status, blocked.error) == (DeliveryStatus.FAILED, "Forbidden")
    ben = await bot.services.repo.get_person(5002)
    assert ben is not None and not ben.active

    # No more nudges for Ben: tomorrow he is not even tried.
    tries = sends_to(emulator, 5002)
    clock.advance(timedelta(days=1))
    await tick(bot)
    assert sends_to(emulator, 5002) == tries
    assert len(sent_after(emulator, 5001, seen[5001])) == 2

    # Coming back with /start turns the nudges on again, from now on.
    people[1].unblock()
    await people[1].send("/start")
    await people[1].expect("Welcome back")
    ben = await bot.services.repo.get_person(5002)
    assert ben is not None and ben.active
    assert ben.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=2)


async def test_a_429_is_waited_out_and_one_prompt_arrives(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await onboard(emulator, 5004, "Berlin", "20:00")
    seen = len(emulator.sent(5004))
    emulator.faults.fail_next("sendMessage", status=429, retry_after=1)
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    assert emulator.stats["429"] == 1
    assert len(sent_after(emulator, 5004, seen)) == 1
    [row] = await deliveries_of(bot, 5004)
    assert row.status is DeliveryStatus.SENT


async def test_server_errors_are_retried_with_backoff(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    sleeps = RecordedSleeps()
    ticker_for(bot).retry = RetryPolicy(sleep=sleeps)
    await onboard(emulator, 5005, "Berlin", "20:00")
    seen = len(emulator.sent(5005))
    emulator.faults.fail_next("sendMessage", status=502, times=1)
    emulator.faults.fail_next("sendMessage", status=503, times=1)
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    assert sleeps.delays == [1.0, 2.0]
    [prompt] = sent_after(emulator, 5005, seen)
    [row] = await deliveries_of(bot, 5005)
    assert (row.status, row.message_id) == (DeliveryStatus.SENT, prompt.message_id)


async def test_a_send_that_keeps_failing_is_recorded_not_lost(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    sleeps = RecordedSleeps()
    ticker_for(bot).retry = RetryPolicy(sleep=sleeps)
    await onboard(emulator, 5006, "Berlin", "20:00")
    seen = len(emulator.sent(5006))
    tries = sends_to(emulator, 5006)
    emulator.faults.fail_next("sendMessage", status=500, times=10)
    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)
    assert sleeps.delays == [1.0, 2.0, 4.0]  # three retries, then it gives up
    assert sends_to(emulator, 5006) == tries + 4
    assert sent_after(emulator, 5006, seen) == []
    [row] = await deliveries_of(bot, 5006)
    assert (row.status, row.error) == (DeliveryStatus.FAILED, "NetworkError")
    assert report.count(DeliveryStatus.FAILED, DeliveryKind.PROMPT) == 1
    person = await bot.services.repo.get_person(5006)
    assert person is not None and person.active
    assert person.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=1)

    # Tomorrow is a new day: it comes as usual.
    emulator.faults.clear()
    clock.advance(timedelta(days=1))
    await tick(bot)
    assert len(sent_after(emulator, 5006, seen)) == 1


async def test_an_answer_lost_after_telegram_took_the_message_is_not_resent(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    sleeps = RecordedSleeps()
    ticker = ticker_for(bot)
    ticker.retry = RetryPolicy(sleep=sleeps)
    ticker.read_timeout = 0.3
    await onboard(emulator, 5007, "Berlin", "20:00")
    seen = len(emulator.sent(5007))
    # Telegram accepts the message, but its answer never reaches the bot in time.
    emulator.faults.delay_next("sendMessage", 2.0, then_accept=True)
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    assert sleeps.delays == []
    assert len(sent_after(emulator, 5007, seen)) == 1
    [row] = await deliveries_of(bot, 5007)
    assert (row.status, row.error) == (DeliveryStatus.FAILED, "TimedOut")
    clock.advance(timedelta(minutes=5))
    await tick(bot)
    assert len(sent_after(emulator, 5007, seen)) == 1

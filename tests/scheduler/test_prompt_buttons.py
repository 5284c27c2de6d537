"""The buttons under a daily prompt: "Later" brings it back once, two hours on; "Skip today" lets
it go; neither can be made to send a third copy, and forged or stale buttons change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from scheduler.ticker import tick
from storage.models import DeliveryKind, DeliveryStatus
from tests.scheduler.support import (
    BERLIN_EIGHT_PM,
    TODAY,
    deliveries_of,
    onboard,
    prompts_in,
    sent_after,
)

AGAIN = DeliveryKind.PROMPT_AGAIN


async def prompted(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock, chat_id: int
) -> tuple[EmulatedPerson, SentMessage]:
    """A person onboarded for 20:00 Berlin who has just received tonight's prompt."""
    person = await onboard(emulator, chat_id, "Berlin", "20:00")
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    prompt = await person.expect("write back here")
    return person, prompt


async def test_later_brings_the_prompt_back_once_two_hours_on(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    alex, prompt = await prompted(emulator, bot, clock, 4001)
    seen = len(emulator.sent(4001))

    await alex.press("Later")
    reply = await alex.expect("bring it back around 10:00 PM")  # 21:00 UTC is 22:00 in Berlin
    assert alex.callback_answered(alex.answered_callbacks[-1]["callback_query_id"])
    assert prompt.buttons() == []  # the pressed prompt reads as settled
    [first] = await deliveries_of(bot, 4001, DeliveryKind.PROMPT)
    assert first.again_at == BERLIN_EIGHT_PM + timedelta(hours=2)

    clock.set(BERLIN_EIGHT_PM + timedelta(hours=2) - timedelta(seconds=1))
    await tick(bot)
    assert sent_after(emulator, 4001, seen) == [reply]

    clock.set(BERLIN_EIGHT_PM + timedelta(hours=2))
    await tick(bot)
    again = await alex.expect("again, as you asked")
    text = bot.services.library.prompt(first.prompt_id or "").text
    assert text in (again.raw_text or "")
    assert again.button_texts() == ["Later", "Skip today"]
    [resent] = await deliveries_of(bot, 4001, AGAIN)
    assert (resent.local_date, resent.status) == (TODAY, DeliveryStatus.SENT)
    assert (resent.prompt_id, resent.message_id) == (first.prompt_id, again.message_id)
    [first] = await deliveries_of(bot, 4001, DeliveryKind.PROMPT)
    assert first.again_at is None

    # "Later" on the re-sent copy: it stays where it is.
    await alex.press("Later", message=again)
    await alex.expect("won't bring it back again")
    for hours in (3, 4, 6):
        clock.set(BERLIN_EIGHT_PM + timedelta(hours=hours))
        await tick(bot)
    assert len(prompts_in(emulator.sent(4001))) == 2
    assert await alex.wait_until_quiet() == []


async def test_later_twice_still_means_one_more_copy(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    alex, prompt = await prompted(emulator, bot, clock, 4002)
    await alex.press("Later")
    await alex.expect("bring it back")
    # The buttons are gone, but an old client (or a quick double tap) can still send the press.
    await alex.press_data(f"prompt:later:{TODAY}", prompt)
    await alex.expect("won't bring it back again")
    [first] = await deliveries_of(bot, 4002, DeliveryKind.PROMPT)
    assert first.again_at == BERLIN_EIGHT_PM + timedelta(hours=2)

    clock.set(BERLIN_EIGHT_PM + timedelta(hours=2))
    await tick(bot)
    clock.set(BERLIN_EIGHT_PM + timedelta(hours=4))
    await tick(bot)
    assert len(prompts_in(emulator.sent(4002))) == 2
    assert len(await deliveries_of(bot, 4002, AGAIN)) == 1


async def test_skip_today_lets_it_go_with_one_kind_line(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    kim, prompt = await prompted(emulator, bot, clock, 4003)
    await kim.press("Skip today")
    reply = await kim.expect("let today's question go")
    assert len(reply.text.splitlines()) == 1
    assert prompt.buttons() == []
    [closed] = await deliveries_of(bot, 4003, AGAIN)
    assert (closed.status, closed.error) == (DeliveryStatus.SKIPPED, "skipped_by_person")

    # "Later" after skipping brings nothing back either.
    await kim.press_data(f"prompt:later:{TODAY}", prompt)
    await kim.expect("won't bring it back again")
    clock.set(BERLIN_EIGHT_PM + timedelta(hours=3))
    await tick(bot)
    assert len(prompts_in(emulator.sent(4003))) == 1

    # Tomorrow comes as usual.
    clock.set(BERLIN_EIGHT_PM + timedelta(days=1))
    await tick(bot)
    assert len(prompts_in(emulator.sent(4003))) == 2


async def test_skip_after_later_cancels_the_second_copy(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    sam, prompt = await prompted(emulator, bot, clock, 4004)
    await sam.press("Later")
    await sam.expect("bring it back")
    await sam.press_data(f"prompt:skip:{TODAY}", prompt)
    await sam.expect("let today's question go")
    [first] = await deliveries_of(bot, 4004, DeliveryKind.PROMPT)
    assert first.again_at is None
    clock.set(BERLIN_EIGHT_PM + timedelta(hours=2))
    assert (await tick(bot)).handled == []
    assert len(prompts_in(emulator.sent(4004))) == 1


async def test_later_near_midnight_is_not_brought_back_at_night(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    lou = await onboard(emulator, 4005, "Berlin", "23:00")
    clock.set(datetime(2026, 11, 25, 22, 0, tzinfo=UTC))
    await tick(bot)
    await lou.expect("write back here")
    await lou.press("Later")
    await lou.expect("getting late")
    [first] = await deliveries_of(bot, 4005, DeliveryKind.PROMPT)
    assert first.again_at is None
    clock.set(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))
    assert (await tick(bot)).handled == []


async def test_forged_and_stale_buttons_change_nothing(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    ada, prompt = await prompted(emulator, bot, clock, 4006)
    for data in (
        "prompt:later:2026-11-24",  # a day with no prompt
        "prompt:skip:2026-02-30",  # no such day
        "prompt:later:2026-11-25;drop",  # not our shape at all
        "prompt:snooze:2026-11-25",
    ):
        query_id = await ada.press_data(data, prompt)
        await ada.wait_for(lambda q=query_id: ada.callback_answered(q), what="an answer")
        answer = ada.answered_callbacks[-1]
        assert answer["callback_query_id"] == query_id
        assert "expired" in answer.get("text", "")
    assert await ada.wait_until_quiet() == []
    assert [d.kind for d in await deliveries_of(bot, 4006)] == [DeliveryKind.PROMPT]
    [first] = await deliveries_of(bot, 4006)
    assert first.again_at is None
    assert prompt.button_texts() == ["Later", "Skip today"]

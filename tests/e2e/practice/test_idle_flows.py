"""A flow left unfinished is forgotten after half an hour, quietly, even across a restart."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from handlers.flow import FLOW_SEEN_KEY, IDLE_TIMEOUT_SECONDS
from handlers.practice_win import KIND
from sandbox.emulator import BotApiEmulator
from tests.e2e.practice.support import (
    EXPIRED,
    entries,
    forge,
    wait_for_state,
    wait_for_stored_data,
)
from tests.harness import running_bot

IDLE = timedelta(seconds=IDLE_TIMEOUT_SECONDS)
KIND_RE_ASK = "Tapping one of these works best here"


async def test_a_step_within_half_an_hour_carries_on(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    sam = emulator.person(2801, "Sam")
    await sam.send("/win I let my friend finish her story")
    await sam.expect("fits it best")
    clock.advance(IDLE - timedelta(minutes=1))
    await sam.press("I listened without fixing")
    await sam.expect_edit("How connected did it feel")
    clock.advance(IDLE - timedelta(minutes=1))  # each step starts the half hour again
    await sam.press("5")
    await sam.expect_edit("/journal")
    [win] = await entries(bot.services.repo, 2801)
    assert (win.text, win.rating) == ("I let my friend finish her story", 5)


async def test_an_unfinished_flow_is_forgotten_without_a_word(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    kim = emulator.person(2802, "Kim")
    await kim.send("/win I waited before answering")
    question = await kim.expect("fits it best")
    await wait_for_state(bot.services.repo, "win", 2802, KIND)
    assert await kim.wait_until_quiet() == []

    clock.advance(IDLE + timedelta(minutes=1))
    # Nothing is said when the half hour passes: the flow is only let go of when Kim is back.
    assert await kim.wait_until_quiet() == []
    await kim.send("hello again")
    replies = await kim.wait_until_quiet()
    assert replies, "Kim got no reply at all"
    assert not any(KIND_RE_ASK in (m.text or "") for m in replies), replies
    await wait_for_state(bot.services.repo, "win", 2802, None)
    # The unfinished words are not kept, nor the time of the step.
    await wait_for_stored_data(
        bot.services.repo,
        2802,
        lambda data: "draft" not in data and "win" not in data.get(FLOW_SEEN_KEY, {}),
    )

    # The old question's buttons no longer count, and nothing was saved.
    answer = await forge(kim, "win:kind:paused", question)
    assert EXPIRED in str(answer.get("text", "")).lower()
    assert await entries(bot.services.repo, 2802) == []


async def test_the_half_hour_counts_across_a_restart(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    lee = emulator.person(2803, "Lee")
    async with running_bot(settings, clock) as first:
        await lee.send("/win I asked how his day went")
        await lee.expect("fits it best")
        await wait_for_state(first.services.repo, "win", 2803, KIND)

    clock.advance(IDLE + timedelta(minutes=5))
    async with running_bot(settings, clock) as second:
        await lee.send("are you there?")
        replies = await lee.wait_until_quiet()
        assert replies and not any(KIND_RE_ASK in (m.text or "") for m in replies), replies
        await wait_for_state(second.services.repo, "win", 2803, None)
        await wait_for_stored_data(second.services.repo, 2803, lambda data: "draft" not in data)

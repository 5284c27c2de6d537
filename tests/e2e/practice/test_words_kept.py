"""Words a person typed never vanish without a word: a flow that ends early with them in its
draft (/cancel, or another command) says they were not kept, and keeps them at one tap."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from storage.models import EntryKind
from tests.e2e.practice.support import (
    EXPIRED,
    entries,
    forge,
    press_and_check_answered,
    wait_for_state,
    wait_for_stored_data,
)

NOT_KEPT = "hasn't been kept"
KEEP = "Keep what I wrote"


async def test_cancel_after_the_feeling_offers_to_keep_the_setback(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    vic = emulator.person(3105, "Vic")
    await vic.send("/setback I snapped at my brother over dinner")
    await vic.expect("feeling")
    await vic.press("Ashamed")
    await vic.wait_until_quiet()  # the self-compassion break and the friend question
    await vic.send("/cancel")
    offer = await vic.expect(NOT_KEPT)
    assert "Nothing more is needed" not in offer.text
    assert offer.button_texts() == [KEEP]
    await wait_for_state(bot.services.repo, "setback", 3105, None)
    assert await entries(bot.services.repo, 3105) == []  # nothing kept without the tap

    await press_and_check_answered(vic, KEEP, offer)
    kept = await vic.expect_edit("/journal", offer)
    assert kept.reply_markup is None
    [setback] = await entries(bot.services.repo, 3105)
    assert setback.kind is EntryKind.SETBACK
    assert (setback.text, setback.tags) == ("I snapped at my brother over dinner", ["ashamed"])
    assert setback.extra == {"friend": None, "next_time": None}

    # The same tap twice keeps nothing twice.
    assert EXPIRED in str((await forge(vic, "flow:keep", offer))["text"])
    assert len(await entries(bot.services.repo, 3105)) == 1


async def test_a_command_mid_win_says_the_words_were_not_kept(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    jo = emulator.person(3106, "Jo")
    # Before any words, leaving stays as quiet as it was: there is nothing to keep.
    await jo.send("/win")
    await jo.expect("What happened?")
    await jo.send("/cancel")
    done = await jo.expect("stopped there")
    assert done.reply_markup is None and NOT_KEPT not in done.text
    await jo.send("/win")
    await jo.expect("What happened?")
    await jo.send("/journal")
    await jo.expect("Nothing is kept here yet")
    assert await jo.wait_until_quiet() == []

    await jo.send("/win")
    await jo.expect("What happened?")
    await jo.send("I let my friend finish her story")
    await jo.expect("fits it best")
    await jo.send("/help")
    offer = await jo.expect(NOT_KEPT)
    assert "/win" in offer.text and offer.button_texts() == [KEEP]
    await jo.expect("What I can do")  # the command still does what was asked
    await wait_for_state(bot.services.repo, "win", 3106, None)

    await press_and_check_answered(jo, KEEP, offer)
    await jo.expect_edit("/journal", offer)
    [win] = await entries(bot.services.repo, 3106)
    assert (win.kind, win.text, win.tags, win.rating) == (
        EntryKind.WIN,
        "I let my friend finish her story",
        [],
        None,
    )


async def test_words_not_kept_are_let_go_after_a_day(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    """What the offer says holds: a day later, words not kept are let go from the bot's own
    data, and the old button keeps nothing."""
    ned = emulator.person(3108, "Ned")
    await ned.send("/win I asked how her day was, and listened")
    await ned.expect("fits it best")
    await ned.send("/cancel")
    offer = await ned.expect(NOT_KEPT)
    repo = bot.services.repo
    await wait_for_stored_data(repo, 3108, lambda data: "listened" in str(data))

    clock.advance(timedelta(hours=25))
    await ned.send("/help")
    await ned.expect("What I can do")
    await wait_for_stored_data(repo, 3108, lambda data: "listened" not in str(data))
    assert EXPIRED in str((await forge(ned, "flow:keep", offer))["text"])
    assert await entries(bot.services.repo, 3108) == []


async def test_starting_the_same_flow_again_offers_the_first_runs_words(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kai = emulator.person(3109, "Kai")
    await kai.send("/setback I went quiet when she asked")
    await kai.expect("feeling")
    await kai.send("/setback I left the room")
    offer = await kai.expect(NOT_KEPT)
    assert "/setback" in offer.text and offer.button_texts() == [KEEP]
    await kai.expect("feeling")
    await press_and_check_answered(kai, KEEP, offer)
    await kai.expect_edit("/journal", offer)
    [kept] = await entries(bot.services.repo, 3109)
    assert (kept.text, kept.tags) == ("I went quiet when she asked", [])

"""A day of practice, end to end: a win, a setback, a reflection, then the journal."""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from storage.models import EntryKind
from tests.e2e.practice.support import (
    EXPIRED,
    assert_answered_in_place,
    entries,
    forge,
    wait_for_state,
)


async def test_a_handful_of_taps_each_then_find_and_delete_in_the_journal(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    # Set up as onboarding leaves a person (onboarding has its own stories).
    await repo.ensure_person(7001, bot.services.clock.now())
    await repo.update_person(7001, time_zone="Asia/Tokyo", onboarded=True, prompts_enabled=False)
    zoe = emulator.person(7001, "Zoe")

    await zoe.send("/win I asked my colleague how her weekend was, and listened")
    win = await zoe.expect("fits it best")
    await zoe.press("I listened without fixing")
    await zoe.expect_edit("How connected", win)
    await zoe.press("5")
    await zoe.expect_edit("/journal", win)
    assert_answered_in_place(win, "Which of these fits it best?", "I listened without fixing")
    assert_answered_in_place(win, "How connected did it feel, from 1 (a little) to 5 (very)?", "5")

    await zoe.send("/setback I rolled my eyes at my brother")
    feeling = await zoe.expect("feeling")
    await zoe.press("Frustrated")
    await zoe.expect_edit("Frustrated", feeling)
    assert feeling.reply_markup is None
    assert_answered_in_place(feeling, "Pick the one that's closest.", "Frustrated")
    for _ in range(3):
        await zoe.next_message()  # the self-compassion break, in three parts
    friend = await zoe.expect("what would you say")
    await zoe.press("Skip")
    await zoe.expect_edit("try next time", friend)
    assert friend.button_texts() == ["1", "2", "3", "Skip"]
    assert_answered_in_place(
        friend, "what would you say to them?", "Skip", "One small thing to try"
    )
    [idea] = [line[3:] for line in friend.text.splitlines() if line.startswith("1. ")]
    await zoe.press("1")
    await zoe.expect_edit("/journal", friend)
    assert friend.button_texts() == ["To talk about in therapy"]  # the ideas' buttons are gone
    ask_next_ends = "Tap a number, type your own, or skip."
    assert_answered_in_place(friend, ask_next_ends, idea, "You looked at a hard moment honestly.")

    await zoe.send("/reflect")
    await zoe.expect("three quick taps")
    heard = await zoe.expect("heard")
    await zoe.press("Yes")
    await zoe.expect_edit("interest", heard)
    await zoe.press("Yes")
    await zoe.expect_edit("shutting down", heard)
    await zoe.press("Partly")
    await zoe.expect_edit("anything you'd like to add", heard)
    # One message holds the three questions, each with its answer, and asks for the note.
    assert_answered_in_place(heard, "Did you feel heard?", "Yes", "Did your replies")
    assert_answered_in_place(heard, "show real interest in them?", "Yes", "When stress came up")
    assert_answered_in_place(heard, "without shutting down?", "Partly", "Anything you'd like")
    assert heard.button_texts() == ["Skip"]
    await zoe.send("Lunch with Mia")
    await zoe.expect("real connection")
    await zoe.wait_for(lambda: heard.reply_markup is None)  # answered in words: Skip is gone
    assert await zoe.wait_until_quiet() == []

    await zoe.send("/journal")
    page = await zoe.expect("Your journal")
    assert "1 to 3 of 3" in page.text
    # 09:00 UTC on 25 November is 18:00 in Tokyo, the same day.
    assert (
        "1. November 25 · Time with someone\n"
        "Felt heard: Yes · Showed interest: Yes · Stayed steady: Partly\nLunch with Mia"
    ) in page.text
    assert "2. November 25 · Hard moment: Frustrated\nI rolled my eyes at my brother" in page.text
    assert "3. November 25 · Small win: I listened without fixing\nI asked my colleague" in (
        page.text
    )

    await zoe.press("Delete 2", page)
    await zoe.wait_for(lambda: "Delete this entry?" in (page.text or ""))
    await zoe.press("Yes, delete it", page)
    await zoe.wait_for(lambda: "1 to 2 of 2" in (page.text or ""))
    assert [e.kind for e in await entries(repo, 7001)] == [EntryKind.SOCIAL, EntryKind.WIN]
    assert zoe.unanswered_presses() == []


async def test_starting_a_flow_ends_the_one_left_behind(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    # /reflect is handled in a later group than /setback, so it would never see the /setback
    # command itself: starting /setback has to end it, or it would wake up later.
    repo = bot.services.repo
    fay = emulator.person(7002, "Fay")
    await fay.send("/reflect")
    await fay.expect("three quick taps")
    heard = await fay.expect("Did you feel heard?")
    await fay.send("/setback")
    await fay.expect("what happened")
    await wait_for_state(repo, "reflect", 7002, None)
    await fay.send("I didn't reply to my friend's message for a week")
    feeling = await fay.expect("feeling")
    await fay.press("Lonely")
    await fay.expect_edit("Lonely", feeling)
    for _ in range(3):
        await fay.next_message()
    friend = await fay.expect("what would you say")
    await fay.press("Skip")
    await fay.expect_edit("try next time", friend)
    await fay.press("Skip")
    await fay.expect_edit("/journal", friend)
    assert_answered_in_place(friend, "Tap a number, type your own, or skip.", "Skip", "You looked")
    assert friend.button_texts() == ["To talk about in therapy"]

    assert EXPIRED in str((await forge(fay, "ref:heard:yes", heard))["text"])
    await fay.send("hi")
    await fay.expect("I'm here.")  # the gentle pointer, not a leftover question
    [setback] = await entries(repo, 7002)
    assert setback.kind is EntryKind.SETBACK

"""/win: a small moment that went well, kept in three taps or fewer."""

from __future__ import annotations

from collections.abc import Sequence
from random import Random
from typing import TypeVar

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from handlers.entry_text import MAX_ENTRY_CHARS
from handlers.practice_win import KIND
from sandbox.emulator import BotApiEmulator
from storage.models import EntryKind
from tests.e2e.practice.support import (
    EXPIRED,
    assert_answered_in_place,
    entries,
    forge,
    press_and_check_answered,
    wait_for_state,
)
from tests.harness import running_bot

WIN_KINDS = [
    "I paused before reacting",
    "I listened without fixing",
    "I held back judgment",
    "I reached out to someone",
    "I kept a boundary",
    "I was kind to myself",
    "I grounded myself",
    "Something else",
]
T = TypeVar("T")
RATINGS = ["1", "2", "3", "4", "5", "Skip"]
ASK_KIND = "Which of these fits it best?"
ASK_RATING = "How connected did it feel, from 1 (a little) to 5 (very)?"


async def test_a_win_in_three_steps(emulator: BotApiEmulator, bot: KindlingApplication) -> None:
    alex = emulator.person(2001, "Alex")
    await alex.send("/win")
    await alex.expect("What happened?")

    await alex.send("My sister talked about her day and I didn't jump in with advice.")
    question = await alex.expect("fits it best")
    assert question.button_texts() == WIN_KINDS

    await press_and_check_answered(alex, "I listened without fixing")
    # The tapped message itself becomes the record and asks the next question.
    rating = await alex.expect_edit("How connected did it feel", question)
    assert rating.button_texts() == RATINGS  # the kinds are gone, the ratings are offered
    assert rating.text == f"{ASK_KIND}\nI listened without fixing\n\n{ASK_RATING}"
    assert_answered_in_place(rating, ASK_KIND, "I listened without fixing", ASK_RATING)

    await press_and_check_answered(alex, "4")
    done = await alex.expect_edit("/journal", question)
    celebrations = bot.services.library.win_kind("listened").celebrations
    [celebration] = [line for line in celebrations if line in done.text]
    assert done.reply_markup is None  # nothing is left to tap
    assert done.text == (
        f"{ASK_KIND}\nI listened without fixing\n\n{ASK_RATING}\n4\n\n"
        f"{celebration}\n\nIt's kept in your /journal."
    )
    assert_answered_in_place(done, ASK_KIND, "I listened without fixing", ASK_RATING)
    assert_answered_in_place(done, ASK_RATING, "4", f"{celebration}\n\nIt's kept in your /journal.")
    assert done.edits == 2
    assert await alex.wait_until_quiet() == []  # both taps were answered in place

    [win] = await entries(bot.services.repo, 2001)
    assert win.kind is EntryKind.WIN
    assert win.text == "My sister talked about her day and I didn't jump in with advice."
    assert (win.tags, win.rating, win.prompt_id) == (["listened"], 4, None)
    assert win.created_at == bot.services.clock.now()


async def test_words_after_the_command_are_the_first_answer(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    sam = emulator.person(2002, "Sam")
    await sam.send("/win I waited before answering")
    question = await sam.expect("fits it best")
    await press_and_check_answered(sam, "I paused before reacting")
    await sam.expect_edit("How connected", question)
    await press_and_check_answered(sam, "Skip")
    done = await sam.expect_edit("/journal", question)
    assert any(line in done.text for line in bot.services.library.win_kind("paused").celebrations)
    assert_answered_in_place(done, ASK_RATING, "Skip")
    assert done.reply_markup is None
    assert await sam.wait_until_quiet() == []
    [win] = await entries(bot.services.repo, 2002)
    assert (win.text, win.tags, win.rating) == ("I waited before answering", ["paused"], None)


async def test_stickers_photos_voice_and_typed_words_get_a_kind_reask(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kim = emulator.person(2003, "Kim")
    await kim.send("/win")
    await kim.expect("What happened?")
    await kim.send_sticker()
    await kim.expect("type a few words")
    await kim.send_photo()
    await kim.expect("type a few words")
    await kim.send_voice()
    await kim.expect("type a few words")

    await kim.send("I said no to an extra shift, kindly.")
    question = await kim.expect("fits it best")
    await kim.send("a boundary I guess")  # typed where a tap was asked for
    again = await kim.expect("Tapping one of these works best")
    assert again.button_texts() == WIN_KINDS
    await kim.send_sticker()
    once_more = await kim.expect("Tapping one of these works best")
    assert once_more.button_texts() == WIN_KINDS

    await press_and_check_answered(kim, "I kept a boundary", again)
    # The tapped re-ask carries the answer and the next question; the other offers are closed.
    rating = await kim.expect_edit("How connected", again)
    assert rating.button_texts() == RATINGS
    assert_answered_in_place(rating, ASK_KIND, "I kept a boundary", ASK_RATING)
    await kim.wait_for(lambda: question.reply_markup is None and once_more.reply_markup is None)
    assert "How connected" not in question.text and "How connected" not in once_more.text
    await kim.send("five")
    numbers = await kim.expect("a number from 1 to 5")
    assert numbers.button_texts() == RATINGS
    await press_and_check_answered(kim, "5", numbers)
    done = await kim.expect_edit("/journal", numbers)
    assert_answered_in_place(done, ASK_RATING, "5")
    assert done.reply_markup is None
    await kim.wait_for(lambda: rating.reply_markup is None)  # its ratings have nothing left to do
    assert "/journal" not in rating.text
    assert await kim.wait_until_quiet() == []

    [win] = await entries(bot.services.repo, 2003)
    assert (win.text, win.tags, win.rating) == (
        "I said no to an extra shift, kindly.",
        ["boundary"],
        5,
    )


async def test_long_text_is_kept_up_to_the_limit_and_the_person_is_told(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    lee = emulator.person(2004, "Lee")
    long_text = ("I stayed with the conversation. " * 140).strip()  # about 4500 characters
    assert len(long_text) > MAX_ENTRY_CHARS
    await lee.send("/win")
    await lee.expect("What happened?")
    await lee.send(long_text)
    told = await lee.expect("longer than I can keep")
    assert str(MAX_ENTRY_CHARS) in told.text
    question = await lee.expect("fits it best")
    await lee.press("Something else")
    await lee.expect_edit("How connected", question)
    await lee.press("3")
    await lee.expect_edit("/journal", question)
    [win] = await entries(bot.services.repo, 2004)
    assert win.text == long_text[:MAX_ENTRY_CHARS].rstrip()
    assert len(win.text) <= MAX_ENTRY_CHARS and (win.tags, win.rating) == (["other"], 3)


async def test_pressing_twice_or_forging_saves_nothing_more(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ada = emulator.person(2005, "Ada")
    await ada.send("/win I texted an old friend")
    question = await ada.expect("fits it best")

    # Forged kinds: a well-formed unknown id is refused by the step, a malformed one by the
    # catch-all; either way the answer is gentle and the question still waits.
    assert EXPIRED in str((await forge(ada, "win:kind:made_up", question))["text"])
    assert EXPIRED in str((await forge(ada, "win:kind:<b>", question))["text"])
    assert EXPIRED in str((await forge(ada, "win:rate:5", question))["text"])
    assert await ada.wait_until_quiet() == []

    await press_and_check_answered(ada, "I reached out to someone")
    rating = await ada.expect_edit("How connected", question)
    assert EXPIRED in str((await forge(ada, "win:kind:listened", question))["text"])
    assert EXPIRED in str((await forge(ada, "win:rate:6", rating))["text"])
    assert EXPIRED in str((await forge(ada, "win:rate:5\n", rating))["text"])
    assert EXPIRED in str((await forge(ada, "win:rate:\u0663", rating))["text"])  # Arabic 3
    # A double tap: both presses are on their way before the bot has handled the first.
    first = await ada.press("2", rating)
    second = await ada.press("2", rating)
    done = await ada.expect_edit("/journal", rating)
    await ada.wait_for(lambda: ada.callback_answered(first) and ada.callback_answered(second))
    assert done.reply_markup is None and done.edits == 2  # the second press changed nothing
    answers = {a["callback_query_id"]: a for a in ada.answered_callbacks}
    assert "text" not in answers[first] and EXPIRED in str(answers[second]["text"])
    # And the same press much later finds the flow over too.
    assert EXPIRED in str((await forge(ada, "win:rate:2", rating))["text"])
    assert await ada.wait_until_quiet() == []
    [win] = await entries(bot.services.repo, 2005)
    assert (win.tags, win.rating) == (["reached_out"], 2)


async def test_cancel_leaves_cleanly(emulator: BotApiEmulator, bot: KindlingApplication) -> None:
    bo = emulator.person(2006, "Bo")
    await bo.send("/win")
    await bo.expect("What happened?")
    await bo.send("I noticed my jaw was tight and let it go")
    question = await bo.expect("fits it best")
    await bo.send("/cancel")
    await bo.expect("stopped there")
    await wait_for_state(bot.services.repo, "win", 2006, None)

    assert EXPIRED in str((await forge(bo, "win:kind:grounded", question))["text"])
    await bo.send("hello?")  # outside any flow, and no daily prompt is open
    await bo.expect("/win")
    assert await entries(bot.services.repo, 2006) == []


async def test_another_command_mid_flow_does_what_was_asked(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    jo = emulator.person(2007, "Jo")
    await jo.send("/win")
    await jo.expect("What happened?")
    await jo.send("I asked a follow-up question")
    question = await jo.expect("fits it best")
    await jo.send("/journal")
    await jo.expect("hasn't been kept")  # the words left behind can still be kept
    await jo.expect("Nothing is kept here yet")
    assert await jo.wait_until_quiet() == []
    assert EXPIRED in str((await forge(jo, "win:kind:listened", question))["text"])
    assert await entries(bot.services.repo, 2007) == []

    # /win again mid-flow starts afresh rather than trapping the person.
    await jo.send("/win first try")
    first = await jo.expect("fits it best")
    await jo.send("/win second try")
    await jo.expect("hasn't been kept")  # the first try's words can still be kept
    retry = await jo.expect("fits it best")
    # The first run's buttons belong to a win that was left behind.
    assert EXPIRED in str((await forge(jo, "win:kind:listened", first))["text"])
    await jo.press("Something else")
    second = await jo.expect_edit("How connected", retry)
    await jo.press("Skip")
    await jo.expect_edit("/journal", second)
    [win] = await entries(bot.services.repo, 2007)
    assert win.text == "second try"


async def test_a_restart_in_the_middle_continues_the_win(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    max_ = emulator.person(2008, "Max")
    async with running_bot(settings, clock) as first:
        await max_.send("/win")
        await max_.expect("What happened?")
        await max_.send("I took a breath before replying to my dad")
        question = await max_.expect("fits it best")
        await wait_for_state(first.services.repo, "win", 2008, KIND)

    async with running_bot(settings, clock) as second:
        await press_and_check_answered(max_, "I paused before reacting")
        rating = await max_.expect_edit("How connected", question)
        assert_answered_in_place(rating, ASK_KIND, "I paused before reacting", ASK_RATING)
        await press_and_check_answered(max_, "3")
        done = await max_.expect_edit("/journal", question)
        assert_answered_in_place(done, ASK_RATING, "3")
        assert await max_.wait_until_quiet() == []
        [win] = await entries(second.services.repo, 2008)
        assert (win.text, win.tags, win.rating) == (
            "I took a breath before replying to my dad",
            ["paused"],
            3,
        )


class FirstEveryTime(Random):
    """Chance that lands on the first option every time: the worst case for repetition."""

    def choice(self, seq: Sequence[T]) -> T:
        return seq[0]


async def test_the_same_acknowledgement_never_comes_twice_in_a_row_of_wins(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """Five wins of one kind: each acknowledgement differs from the ones just before it, even
    when chance would pick the same line every time (a kind has three lines)."""
    bot.services.rng = FirstEveryTime()
    lines = bot.services.library.win_kind("listened").celebrations
    kit = emulator.person(2011, "Kit")
    said = []
    for number in range(5):
        await kit.send(f"/win I let my friend talk, time {number}")
        question = await kit.expect("fits it best")
        await kit.press("I listened without fixing")
        await kit.expect_edit("How connected", question)
        await kit.press("Skip")
        done = await kit.expect_edit("/journal", question)
        [line] = [line for line in lines if line in done.text]
        said.append(line)
    for start in range(len(said) - len(lines) + 1):
        window = said[start : start + len(lines)]
        assert len(set(window)) == len(lines), said
    assert len(await entries(bot.services.repo, 2011)) == 5

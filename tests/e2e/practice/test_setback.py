"""/setback: a hard moment, a self-compassion break, and one small idea for next time.

A tapped answer is written in italics under its question, in the message that asked it; the
next question comes below it there, or, after the feeling, as new messages.
"""

from __future__ import annotations

import html

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.content.library import Reframe
from bot.settings import Settings
from handlers.entry_text import MAX_ENTRY_CHARS
from handlers.practice_setback import FEELING
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.models import EntryKind
from tests.e2e.practice.support import (
    EXPIRED,
    entries,
    forge,
    press_and_check_answered,
    wait_for_state,
)
from tests.harness import running_bot

FEELINGS = [
    "Frustrated",
    "Ashamed",
    "Sad",
    "Numb",
    "Overwhelmed",
    "Angry",
    "Lonely",
    "Anxious or on edge",
]
FEELING_QUESTION = "How did it leave you feeling? Pick the one that's closest."
FRIEND_QUESTION = "If a friend told you this had happened to them, what would you say to them?"
SAVED = (
    "You looked at a hard moment honestly. It's kept in your /journal. "
    "If it still feels heavy, /pause is there."
)
# Words that must never reach someone after a setback.
NEVER = ("fail", "score", "streak", "back on track", "should", "must")


async def expect_reframe(person: EmulatedPerson, bot: KindlingApplication) -> Reframe:
    """The next three messages are one self-compassion break, sent as three short parts."""
    parts = tuple([(await person.next_message()).raw_text or "" for _ in range(3)])
    matching = [r for r in bot.services.library.reframes if r.parts == parts]
    assert matching, f"not a reframe from the library: {parts}"
    return matching[0]


def offered_steps(message: SentMessage, bot: KindlingApplication) -> list[str]:
    """The next-step ideas listed in the message, in the order of its number buttons."""
    steps = [html.unescape(s.text) for s in bot.services.library.next_steps]
    shown = [s for s in steps if s in (message.text or "")]
    return sorted(shown, key=lambda s: (message.text or "").index(s))


def chosen(label: str) -> str:
    """A tapped button's label as written under its question."""
    return f"<i>{html.escape(label, quote=False)}</i>"


def assert_gentle(messages: list[SentMessage]) -> None:
    for message in messages:
        lowered = (message.text or "").lower()
        assert not any(word in lowered for word in NEVER), message.text


async def test_a_setback_met_with_kindness(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    rae = emulator.person(3001, "Rae")
    await rae.send("/setback")
    await rae.expect("what happened")
    await rae.send("I snapped at my partner when they asked about my day.")
    feelings = await rae.expect("How did it leave you feeling?")
    assert feelings.button_texts() == FEELINGS

    await press_and_check_answered(rae, "Ashamed")
    await rae.expect_edit("Ashamed", feelings)
    reframe = await expect_reframe(rae, bot)
    assert "ashamed" in reframe.feelings
    friend = await rae.expect("what would you say to them?")
    assert friend.button_texts() == ["Skip"]
    # The tapped message now keeps the question and the feeling, and no buttons.
    assert feelings.raw_text == f"{FEELING_QUESTION}\n{chosen('Ashamed')}"
    assert feelings.reply_markup is None
    assert feelings.edits == 1

    await rae.send("That one moment doesn't undo how much you care.")
    ideas = await rae.expect("one small thing to try next time")
    assert ideas.button_texts() == ["1", "2", "3", "Skip"]
    assert friend.reply_markup is None  # answered in words: its skip button is gone
    steps = offered_steps(ideas, bot)
    assert len(steps) == 3
    question = ideas.raw_text

    await press_and_check_answered(rae, "2")
    done = await rae.expect_edit("/journal", ideas)
    assert steps[1] in done.text and "/pause" in done.text
    assert done.raw_text == f"{question}\n{chosen(steps[1])}\n\n{SAVED}"
    # Their answer to the friend question can be kept for a harder day, with one tap.
    assert done.button_texts() == ["Keep these words for a harder day", "To talk about in therapy"]
    assert await rae.wait_until_quiet() == []  # the closing words came in place, not anew
    assert_gentle(rae.messages)

    [setback] = await entries(bot.services.repo, 3001)
    assert setback.kind is EntryKind.SETBACK
    assert setback.text == "I snapped at my partner when they asked about my day."
    assert (setback.tags, setback.rating) == (["ashamed"], None)
    assert setback.extra == {
        "friend": "That one moment doesn't undo how much you care.",
        "next_time": steps[1],
    }
    person = await bot.services.repo.get_person(3001)
    assert person is not None and person.gentle_next


async def test_skips_and_own_words_for_next_time(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ola = emulator.person(3002, "Ola")
    await ola.send("/setback I went quiet and left the party early")
    await ola.expect("How did it leave you feeling?")
    await ola.press("Overwhelmed")
    await expect_reframe(ola, bot)
    friend = await ola.expect("what would you say")
    await press_and_check_answered(ola, "Skip")
    ideas = await ola.expect_edit("one small thing to try next time", friend)
    assert ideas.raw_text is not None
    assert ideas.raw_text.startswith(
        f"{FRIEND_QUESTION}\n{chosen('Skip')}\n\nOne small thing to try next time"
    )
    assert ideas.button_texts() == ["1", "2", "3", "Skip"]
    assert len(offered_steps(ideas, bot)) == 3
    assert await ola.wait_until_quiet() == []  # the ideas came in place, not anew
    await ola.send("A <b>short</b> walk & then decide")
    done = await ola.expect("/journal")
    assert "A <b>short</b> walk & then decide" in done.text  # shown as typed, not as markup
    assert done.raw_text == (
        "Something you might try next time: <i>A &lt;b&gt;short&lt;/b&gt; walk &amp; then "
        f"decide</i>\n\n{SAVED}"
    )
    assert ideas.reply_markup is None

    [setback] = await entries(bot.services.repo, 3002)
    assert (setback.text, setback.tags) == (
        "I went quiet and left the party early",
        ["overwhelmed"],
    )
    assert setback.extra == {"friend": None, "next_time": "A <b>short</b> walk & then decide"}


async def test_skipping_everything_optional(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ike = emulator.person(3003, "Ike")
    await ike.send("/setback")
    await ike.expect("what happened")
    await ike.send("Numb all evening with friends")
    await ike.expect("feeling")
    await ike.press("Numb")
    reframe = await expect_reframe(ike, bot)
    assert "numb" in reframe.feelings or not reframe.feelings
    friend = await ike.expect("what would you say")
    await ike.press("Skip")
    ideas = await ike.expect_edit("try next time", friend)
    asked = ideas.raw_text
    await press_and_check_answered(ike, "Skip")
    done = await ike.expect_edit("/journal", ideas)
    # Only "Skip" is written under the ideas: nothing reads as a chosen idea.
    assert done.raw_text == f"{asked}\n{chosen('Skip')}\n\n{SAVED}"
    assert "Something you might try next time" not in done.text
    assert done.button_texts() == ["To talk about in therapy"]  # no friend words to keep
    assert await ike.wait_until_quiet() == []
    [setback] = await entries(bot.services.repo, 3003)
    assert setback.extra == {"friend": None, "next_time": None}


async def test_bad_input_at_every_step_is_met_kindly(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    uma = emulator.person(3004, "Uma")
    await uma.send("/setback")
    await uma.expect("what happened")
    await uma.send_sticker()
    await uma.expect("type a few words")
    await uma.send_voice()
    await uma.expect("type a few words")
    await uma.send("I interrupted my friend three times")

    feelings = await uma.expect("feeling")
    await uma.send("bad")  # typed where a tap was asked for
    again = await uma.expect("closest works best")
    assert again.button_texts() == FEELINGS
    assert EXPIRED in str((await forge(uma, "set:feel:furious", feelings))["text"])
    assert EXPIRED in str((await forge(uma, "set:feel:../../x", feelings))["text"])
    assert EXPIRED in str((await forge(uma, "set:next:skip", feelings))["text"])
    assert await uma.wait_until_quiet() == []

    await press_and_check_answered(uma, "Frustrated", feelings)
    await uma.expect_edit("Frustrated", feelings)
    assert feelings.raw_text == f"{FEELING_QUESTION}\n{chosen('Frustrated')}"
    assert feelings.reply_markup is None
    assert again.reply_markup is None  # the re-ask's buttons have nothing left to do
    await expect_reframe(uma, bot)
    friend = await uma.expect("what would you say")
    assert EXPIRED in str((await forge(uma, "set:feel:sad", feelings))["text"])
    await uma.send_photo()
    await uma.expect("type a few words")
    long_friend = "You are allowed to be learning. " * 140
    await uma.send(long_friend)
    told = await uma.expect("longer than I can keep")
    assert str(MAX_ENTRY_CHARS) in told.text

    ideas = await uma.expect("try next time")
    await uma.send_sticker()
    await uma.expect("type a few words")
    # An idea index that was never offered, and the friend's skip now that it is answered.
    offered = [data for row in ideas.buttons() for _, data in row]
    not_offered = next(
        f"set:next:{i}"
        for i in range(len(bot.services.library.next_steps))
        if f"set:next:{i}" not in offered
    )
    assert EXPIRED in str((await forge(uma, not_offered, ideas))["text"])
    assert EXPIRED in str((await forge(uma, "set:friend:skip", friend))["text"])
    assert await uma.wait_until_quiet() == []
    steps = offered_steps(ideas, bot)
    asked = ideas.raw_text

    await press_and_check_answered(uma, "1", ideas)
    await uma.expect_edit("/journal", ideas)
    assert ideas.raw_text == f"{asked}\n{chosen(steps[0])}\n\n{SAVED}"
    assert ideas.button_texts() == [
        "Keep these words for a harder day",
        "To talk about in therapy",
    ]  # the ideas are gone
    assert EXPIRED in str((await forge(uma, str(offered[0]), ideas))["text"])  # pressed twice
    assert await uma.wait_until_quiet() == []

    [setback] = await entries(bot.services.repo, 3004)
    assert setback.tags == ["frustrated"]
    assert setback.extra["friend"] == long_friend.strip()[:MAX_ENTRY_CHARS].rstrip()
    assert setback.extra["next_time"] == steps[0]
    assert_gentle(uma.messages)


async def test_cancel_and_other_commands_leave_cleanly(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    vic = emulator.person(3005, "Vic")
    await vic.send("/setback I forgot my brother's birthday")
    await vic.expect("feeling")
    await vic.press("Sad")
    await expect_reframe(vic, bot)
    friend = await vic.expect("what would you say")
    await vic.send("/cancel")
    await vic.expect("stopped there")
    assert EXPIRED in str((await forge(vic, "set:friend:skip", friend))["text"])
    assert await entries(bot.services.repo, 3005) == []
    person = await bot.services.repo.get_person(3005)
    assert person is None or not person.gentle_next

    await vic.send("/setback")
    await vic.expect("what happened")
    await vic.send("/help")  # another command: it does what was asked, the flow ends quietly
    help_text = await vic.expect("What I can do")
    assert "/setback" in help_text.text
    await wait_for_state(bot.services.repo, "setback", 3005, None)


async def test_a_restart_in_the_middle_continues_the_setback(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    wes = emulator.person(3006, "Wes")
    async with running_bot(settings, clock) as first:
        await wes.send("/setback")
        await wes.expect("what happened")
        await wes.send("I shut down when my mum raised her voice")
        feelings = await wes.expect("feeling")
        await wait_for_state(first.services.repo, "setback", 3006, FEELING)

    async with running_bot(settings, clock) as second:
        await press_and_check_answered(wes, "Anxious or on edge")
        await wes.expect_edit("Anxious", feelings)
        assert feelings.raw_text == f"{FEELING_QUESTION}\n{chosen('Anxious or on edge')}"
        assert feelings.reply_markup is None
        await expect_reframe(wes, second)
        await wes.expect("what would you say")
        await wes.send("It makes sense you froze; it was loud.")
        ideas = await wes.expect("try next time")
        await wes.press("Skip")
        await wes.expect_edit("/journal", ideas)
        [setback] = await entries(second.services.repo, 3006)
        assert (setback.text, setback.tags) == (
            "I shut down when my mum raised her voice",
            ["anxious"],
        )
        assert setback.extra == {
            "friend": "It makes sense you froze; it was loud.",
            "next_time": None,
        }
        person = await second.services.repo.get_person(3006)
        assert person is not None and person.gentle_next

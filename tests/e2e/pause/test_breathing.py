"""Breathing: one message, edited once per side of the box on a timer, stoppable, and calm
when Telegram refuses an edit. The pace is 0.05 s a side here (see conftest.py)."""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import ERR_EDIT_NOT_FOUND, ERR_NOT_MODIFIED, BotApiEmulator, SentMessage
from tests.e2e.pause.support import entries, in_flow, press_answered, wait_until

QUESTION = "How are you now?"


def expected_phases(bot: KindlingApplication) -> list[str]:
    breathing = bot.services.library.breathing
    return [
        f"{phase.label} for {phase.seconds}\nRound {number} of {breathing.rounds}"
        for number in range(1, breathing.rounds + 1)
        for phase in breathing.phases
    ]


def shown_by_edits(message: SentMessage) -> list[str]:
    """What each edit of the message showed, oldest first, without the intro line."""
    return [t.split("\n\n", 1)[1] for t in message.history if t is not None and "\n\n" in t]


async def test_breathing_follows_the_rhythm_in_one_message_then_checks_in(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    library = bot.services.library
    ben = emulator.person(7101, "Ben")
    await ben.send("/pause")
    await ben.expect("What would help")
    await press_answered(ben, "Breathe with me")
    box = await ben.expect(library.breathing.intro)
    assert box.button_texts() == ["Stop"]
    [first] = [p["text"] for m, p in emulator.calls if m == "sendMessage" and p["chat_id"] == 7101][
        -1:
    ]
    assert "<b>Breathe in</b> for 4\nRound 1 of 4" in first

    await ben.wait_for(lambda: QUESTION in (box.text or ""), timeout=10, what="breathing done")
    phases = expected_phases(bot)
    assert len(phases) == 16  # in, hold, out, hold; four rounds
    # One edit per phase after the first, then the closing with the check-in.
    assert shown_by_edits(box)[: len(phases) - 1] == phases[1:]
    assert box.edits == len(phases)
    assert library.breathing.closing in (box.text or "")
    assert box.button_texts() == [a.label for a in library.check_in.answers]
    assert await ben.wait_until_quiet() == []  # nothing else was sent meanwhile

    await press_answered(ben, "A bit better")
    await ben.expect(library.check_in.answer("better").reply)
    assert await entries(bot, 7101) == []
    assert emulator.stats["429"] == 0


async def test_stop_ends_the_timer_at_once(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    library = bot.services.library
    cat = emulator.person(7102, "Cat")
    await cat.send("/pause")
    await cat.expect("What would help")
    await press_answered(cat, "Breathe with me")
    box = await cat.expect(library.breathing.intro)
    await cat.wait_for(lambda: box.edits >= 2, what="two phases shown")

    await press_answered(cat, "Stop")
    await cat.wait_for(lambda: "stopped" in (box.text or ""), what="stopped")
    edits = box.edits
    assert QUESTION in (box.text or "")
    # Many phase lengths later, the message has not moved on.
    assert await cat.wait_until_quiet(quiet=0.5) == []
    assert box.edits == edits
    assert "stopped" in (box.text or "")
    assert box.button_texts() == [a.label for a in library.check_in.answers]

    await press_answered(cat, "Worse")
    worse = await cat.expect(library.check_in.answer("worse").reply)
    assert "findahelpline.com" in (worse.text or "")


async def test_leaving_for_another_command_stops_the_timer_quietly(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    dan = emulator.person(7103, "Dan")
    await dan.send("/pause")
    await dan.expect("What would help")
    await press_answered(dan, "Breathe with me")
    box = await dan.expect(bot.services.library.breathing.intro)
    await dan.wait_for(lambda: box.edits >= 1, what="a phase shown")

    await dan.send("/cancel")
    await dan.expect("stopped there")
    await dan.wait_for(lambda: box.button_texts() == [], what="Stop button taken away")
    edits = box.edits
    assert await dan.wait_until_quiet(quiet=0.5) == []
    assert box.edits == edits
    assert QUESTION not in (box.text or "")
    await wait_until(lambda: not in_flow(bot, "pause", 7103), "pause ended")


async def test_a_message_that_cannot_be_edited_ends_breathing_without_an_error(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    eve = emulator.person(7104, "Eve")
    await eve.send("/pause")
    await eve.expect("What would help")
    await press_answered(eve, "Breathe with me")
    box = await eve.expect(bot.services.library.breathing.intro)
    await eve.wait_for(lambda: box.edits >= 1, what="a phase shown")

    emulator.faults.fail_next("editMessageText", status=400, description=ERR_EDIT_NOT_FOUND)
    edits = box.edits
    assert await eve.wait_until_quiet(quiet=0.5) == []  # no apology, no new message
    assert box.edits == edits
    assert emulator.internal_errors == []

    # The person can still carry on: Stop on the frozen message asks how they are.
    await press_answered(eve, "Stop")
    await eve.wait_for(lambda: QUESTION in (box.text or ""), what="check-in")


async def test_not_modified_and_network_trouble_do_not_break_the_rhythm(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    fay = emulator.person(7105, "Fay")
    await fay.send("/pause")
    await fay.expect("What would help")
    await press_answered(fay, "Breathe with me")
    box = await fay.expect(bot.services.library.breathing.intro)
    await fay.wait_for(lambda: box.edits >= 1, what="a phase shown")

    emulator.faults.fail_next("editMessageText", status=400, description=ERR_NOT_MODIFIED)
    emulator.faults.fail_next("editMessageText", status=502)
    await fay.wait_for(lambda: QUESTION in (box.text or ""), timeout=10, what="breathing done")
    assert box.edits == len(expected_phases(bot)) - 2  # two phases were not shown
    assert await fay.wait_until_quiet() == []

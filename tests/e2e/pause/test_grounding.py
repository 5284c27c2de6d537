"""/pause answers at once with one calm message; grounding goes one sense at a time."""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from tests.e2e.pause.support import (
    answer_to,
    entries,
    in_flow,
    press_answered,
    wait_until,
)
from tests.harness import set_up, stored

CHOICES = ["Ground with me", "Breathe with me", "Quiet my nudges", "I need help now"]


async def test_pause_answers_with_one_short_message_and_four_choices(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7001)
    assert (await stored(bot, 7001)).gentle_next is False
    mia = emulator.person(7001, "Mia")

    await mia.send("/pause")
    menu = await mia.expect("What would help")
    assert await mia.wait_until_quiet() == []
    assert menu.button_texts() == CHOICES
    assert len(menu.text or "") < 100
    assert "!" not in (menu.text or "")

    # The next daily prompt will be gentle; nothing about the moment is kept.
    assert (await stored(bot, 7001)).gentle_next is True
    assert await entries(bot, 7001) == []


async def test_grounding_through_all_five_senses(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    library = bot.services.library
    steps = library.grounding.steps
    await set_up(bot, 7002)
    leo = emulator.person(7002, "Leo")
    await leo.send("/pause")
    menu = await leo.expect("What would help")

    await press_answered(leo, "Ground with me")
    first = await leo.expect(library.grounding.intro)
    assert steps[0] in (first.text or "")
    assert first.button_texts() == ["Done", "Skip", "Stop"]
    assert menu.button_texts() == []  # the chosen menu closes

    # One sense per message; each used keyboard closes; Skip moves on just like Done.
    shown = [first]
    for number, button in ((2, "Done"), (3, "Skip"), (4, "Done"), (5, "Done")):
        await press_answered(leo, button)
        step = await leo.expect(steps[number - 1])
        assert step.button_texts() == ["Done", "Skip", "Stop"]
        assert shown[-1].button_texts() == []
        shown.append(step)

    await press_answered(leo, "Done")
    closing = await leo.expect(library.grounding.closing)
    assert library.check_in.question in (closing.text or "")
    assert closing.button_texts() == [a.label for a in library.check_in.answers]

    await press_answered(leo, "A bit better")
    better = await leo.expect(library.check_in.answer("better").reply)
    assert better.button_texts() == []
    assert await leo.wait_until_quiet() == []
    await wait_until(lambda: not in_flow(bot, "pause", 7002), "pause ended")
    assert await entries(bot, 7002) == []


async def test_stopping_early_is_fine_and_asks_how_they_are(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    library = bot.services.library
    ivy = emulator.person(7003, "Ivy")  # never used /start: /pause still works
    await ivy.send("/pause")
    await ivy.expect("What would help")
    await press_answered(ivy, "Ground with me")
    await ivy.expect(library.grounding.steps[0])
    await press_answered(ivy, "Done")
    await ivy.expect(library.grounding.steps[1])

    await press_answered(ivy, "Stop")
    stopped = await ivy.expect("stop here")
    assert library.check_in.question in (stopped.text or "")

    await press_answered(ivy, "About the same")
    same = await ivy.expect(library.check_in.answer("same").reply)
    assert same.button_texts() == ["Ground with me", "Breathe with me"]
    await wait_until(lambda: not in_flow(bot, "pause", 7003), "pause ended")
    # Someone who never started gets no row just for asking for help.
    assert await bot.services.repo.get_person(7003) is None

    # The offered exercise starts again from the top, even though the flow had ended.
    await press_answered(ivy, "Ground with me")
    await ivy.expect(library.grounding.steps[0])
    await wait_until(lambda: in_flow(bot, "pause", 7003), "pause running again")


async def test_a_typed_reply_counts_as_done(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    steps = bot.services.library.grounding.steps
    ola = emulator.person(7004, "Ola")
    await ola.send("/pause")
    await ola.expect("What would help")
    await press_answered(ola, "Ground with me")
    first = await ola.expect(steps[0])

    await ola.send("the lamp, a cup, my hands, the window, a plant")
    await ola.expect(steps[1])
    assert first.button_texts() == []
    assert await entries(bot, 7004) == []  # what they typed is not kept


async def test_old_and_forged_buttons_change_nothing(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    steps = bot.services.library.grounding.steps
    uma = emulator.person(7005, "Uma")
    await uma.send("/pause")
    await uma.expect("What would help")
    await press_answered(uma, "Ground with me")
    first = await uma.expect(steps[0])

    # A press for a step that is not showing, and data that was never offered.
    for data in ("pause:step:4:done", "pause:check:worse", "pause:go:dance"):
        query_id = await uma.press_data(data, first)
        await uma.wait_for(lambda q=query_id: uma.callback_answered(q), what="answered")
        assert "expired" in str(answer_to(uma, query_id).get("text", ""))
    assert await uma.wait_until_quiet() == []

    await press_answered(uma, "Done")
    await uma.expect(steps[1])


async def test_words_where_a_tap_is_asked_for_get_a_gentle_pointer(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kai = emulator.person(7006, "Kai")
    await kai.send("/pause")
    await kai.expect("What would help")
    await kai.send("I don't know")
    await kai.expect("Take your time")
    await kai.send_sticker()
    await kai.expect("Take your time")
    await press_answered(kai, "Ground with me")
    await kai.expect(bot.services.library.grounding.steps[0])

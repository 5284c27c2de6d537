"""A tap is answered in the tapped message; when Telegram refuses that edit, in a new one."""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from tests.e2e.practice.support import entries

CANT_EDIT = "Bad Request: message can't be edited"


async def test_a_refused_edit_brings_the_answer_and_next_question_in_a_new_message(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ana = emulator.person(2901, "Ana")
    await ana.send("/win I asked my neighbour how she was and listened")
    question = await ana.expect("fits it best")

    emulator.faults.fail_next("editMessageText", status=400, description=CANT_EDIT)
    await ana.press("I listened without fixing")
    carried_on = await ana.expect("How connected did it feel")
    # The answer is still on screen, now above the next question, and the old buttons are gone.
    assert carried_on.raw_text is not None
    assert carried_on.raw_text.startswith(
        "Which of these fits it best?\n<i>I listened without fixing</i>\n\n"
    )
    assert carried_on.button_texts() == ["1", "2", "3", "4", "5", "Skip"]
    assert question.reply_markup is None
    assert "How connected" not in (question.text or "")

    # The flow goes on from the new message, where the next tap is written in place again.
    await ana.press("3", carried_on)
    await ana.expect_edit("/journal", carried_on)
    assert carried_on.reply_markup is None
    assert await ana.wait_until_quiet() == []
    [win] = await entries(bot.services.repo, 2901)
    assert (win.text, win.tags, win.rating) == (
        "I asked my neighbour how she was and listened",
        ["listened"],
        3,
    )


async def test_a_refused_last_edit_still_says_it_is_kept(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ben = emulator.person(2902, "Ben")
    await ben.send("/win I waited a moment before I answered")
    await ben.expect("fits it best")
    await ben.press("I paused before reacting")
    rating = await ben.expect_edit("How connected did it feel")

    emulator.faults.fail_next("editMessageText", status=400, description=CANT_EDIT)
    await ben.press("Skip", rating)
    done = await ben.expect("/journal")
    assert done.raw_text is not None and done.raw_text.startswith(
        "How connected did it feel, from 1 (a little) to 5 (very)?\n<i>Skip</i>\n\n"
    )
    assert rating.reply_markup is None
    assert await ben.wait_until_quiet() == []
    [win] = await entries(bot.services.repo, 2902)
    assert (win.tags, win.rating) == (["paused"], None)


async def test_telegram_failing_on_a_reflect_tap_leaves_that_question_working(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    cai = emulator.person(2903, "Cai")
    await cai.send("/reflect")
    await cai.expect("A look back")
    question = await cai.expect("Did you feel heard?")

    emulator.faults.fail_next("editMessageText", status=502)  # Telegram down for a moment
    await cai.press("Yes", question)
    apology = await cai.expect("Sorry, something went wrong")
    assert "safe" in (apology.text or "")
    assert question.edits == 0 and question.button_texts() == ["Yes", "Partly", "Not really"]

    # Pressing again, a moment later, does what the first press meant to.
    await cai.press("Yes", question)
    await cai.expect_edit("Did your replies show real interest", question)
    await cai.press("Partly", question)
    await cai.expect_edit("without shutting down", question)
    await cai.press("Yes", question)
    await cai.expect_edit("Anything you'd like to add", question)
    await cai.press("Skip", question)
    await cai.expect_edit("/journal", question)
    assert await cai.wait_until_quiet() == []
    [reflection] = await entries(bot.services.repo, 2903)
    assert reflection.tags == ["heard:yes", "interest:partly", "steady:yes", "connected"]

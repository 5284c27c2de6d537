"""/reflect: three one-tap questions after time with someone, and an optional note."""

from __future__ import annotations

import pytest

from bot.app import KindlingApplication
from handlers.reflect import overall
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.models import EntryKind
from tests.e2e.practice.support import (
    EXPIRED,
    entries,
    forge,
    press_and_check_answered,
    wait_for_state,
)

ANSWERS = ["Yes", "Partly", "Not really"]


async def answer_three(person: EmulatedPerson, first: str, second: str, third: str) -> None:
    await person.expect("three quick taps")
    heard = await person.expect("Did you feel heard?")
    assert heard.button_texts() == ANSWERS
    await press_and_check_answered(person, first)
    await person.expect("real interest")
    assert heard.reply_markup is None
    await press_and_check_answered(person, second)
    await person.expect("without shutting down")
    await press_and_check_answered(person, third)


async def test_a_reflection_that_felt_connected(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    noa = emulator.person(4001, "Noa")
    await noa.send("/reflect")
    await answer_three(noa, "Yes", "Partly", "Yes")
    note = await noa.expect("Anything you'd like to add")
    assert note.button_texts() == ["Skip"]
    await noa.send("We laughed about the dog & the <i>rain</i>.")
    done = await noa.expect("real connection")
    assert "/journal" in done.text
    assert note.reply_markup is None
    assert await noa.wait_until_quiet() == []

    [social] = await entries(bot.services.repo, 4001)
    assert social.kind is EntryKind.SOCIAL
    assert social.text == "We laughed about the dog & the <i>rain</i>."
    assert social.tags == ["heard:yes", "interest:partly", "steady:yes", "connected"]
    assert social.rating is None


async def test_a_reflection_out_of_step_without_a_note(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    pia = emulator.person(4002, "Pia")
    await pia.send("/reflect")
    await answer_three(pia, "Partly", "Not really", "Partly")
    await pia.expect("Anything you'd like to add")
    await press_and_check_answered(pia, "Skip")
    done = await pia.expect("out of step")
    assert "/journal" in done.text
    for message in pia.messages:  # no number or verdict is ever shown
        assert not any(ch.isdigit() for ch in message.text or ""), message.text
    [social] = await entries(bot.services.repo, 4002)
    assert social.text is None
    assert social.tags == ["heard:partly", "interest:no", "steady:partly", "out_of_sync"]


@pytest.mark.parametrize(
    ("heard", "interest", "steady", "together"),
    [
        ("yes", "yes", "yes", "connected"),
        ("yes", "yes", "no", "connected"),  # two of three yes: mostly yes
        ("yes", "partly", "partly", "connected"),  # 4 of 6
        ("partly", "partly", "partly", "out_of_sync"),  # 3 of 6
        ("yes", "no", "partly", "out_of_sync"),
        ("no", "no", "no", "out_of_sync"),
    ],
)
def test_the_connected_rule(heard: str, interest: str, steady: str, together: str) -> None:
    assert overall({"heard": heard, "interest": interest, "steady": steady}) == together


async def test_typed_words_stickers_and_forged_buttons(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ray = emulator.person(4003, "Ray")
    await ray.send("/reflect")
    await ray.expect("three quick taps")
    heard = await ray.expect("Did you feel heard?")
    await ray.send("kind of")
    again = await ray.expect("works best here")
    assert again.button_texts() == ANSWERS
    await ray.send_sticker()
    await ray.expect("works best here")
    assert EXPIRED in str((await forge(ray, "ref:heard:maybe", heard))["text"])
    assert EXPIRED in str((await forge(ray, "ref:interest:yes", heard))["text"])
    assert EXPIRED in str((await forge(ray, "ref:heard:yes\n", heard))["text"])
    assert await ray.wait_until_quiet() == []

    await press_and_check_answered(ray, "Not really", again)
    interest = await ray.expect("real interest")
    # The first question's buttons, pressed again, no longer change anything.
    assert EXPIRED in str((await forge(ray, "ref:heard:yes", heard))["text"])
    await ray.send_photo()
    repeated = await ray.expect("works best here")
    assert repeated.button_texts() == ANSWERS
    await press_and_check_answered(ray, "Yes", interest)
    await ray.expect("without shutting down")
    await press_and_check_answered(ray, "Yes")
    note = await ray.expect("Anything you'd like to add")
    await ray.send_voice()
    await ray.expect("type a few words")
    await press_and_check_answered(ray, "Skip", note)
    await ray.expect("real connection")
    assert EXPIRED in str((await forge(ray, "ref:note:skip", note))["text"])  # pressed twice
    assert await ray.wait_until_quiet() == []

    [social] = await entries(bot.services.repo, 4003)
    assert social.tags == ["heard:no", "interest:yes", "steady:yes", "connected"]


async def test_cancel_and_another_command_mid_reflection(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    sol = emulator.person(4004, "Sol")
    await sol.send("/reflect")
    await sol.expect("three quick taps")
    await sol.expect("Did you feel heard?")
    await sol.press("Yes")
    interest = await sol.expect("real interest")
    await sol.send("/cancel")
    await sol.expect("stopped there")
    assert EXPIRED in str((await forge(sol, "ref:interest:yes", interest))["text"])

    await sol.send("/reflect")
    await sol.expect("three quick taps")
    heard = await sol.expect("Did you feel heard?")
    await sol.send("/win")  # another command: /win starts, the reflection ends quietly
    await sol.expect("What happened?")
    await wait_for_state(bot.services.repo, "reflect", 4004, None)
    assert EXPIRED in str((await forge(sol, "ref:heard:yes", heard))["text"])
    assert await entries(bot.services.repo, 4004) == []

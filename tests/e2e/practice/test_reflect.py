"""/reflect: three one-tap questions after time with someone, and an optional note.

Each tap turns the tapped message into a record: the question, the answer in italics under it,
then the next question with its buttons, so the whole look back stays in one message.
"""

from __future__ import annotations

import pytest

from bot.app import KindlingApplication
from handlers.reflect import overall
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.models import EntryKind
from tests.e2e.practice.support import (
    EXPIRED,
    entries,
    forge,
    press_and_check_answered,
    wait_for_state,
)

ANSWERS = ["Yes", "Partly", "Not really"]
HEARD = "Did you feel heard?"
INTEREST = "Did your replies show real interest in them?"
STEADY = "When stress came up, did you handle it without shutting down?"
NOTE = "Anything you'd like to add about it? A few words, or skip."
CONNECTED = "It sounds like there was some real connection there. It's kept in your /journal."
OUT_OF_SYNC = (
    "Some time together feels out of step. Noticing that is part of the practice. "
    "It's kept in your /journal."
)


def callback_data(message: SentMessage) -> list[str | None]:
    """What the message's buttons send, in order (which question they answer)."""
    return [data for row in message.buttons() for _, data in row]


def answers_to(name: str) -> list[str | None]:
    return [f"ref:{name}:{answer}" for answer in ("yes", "partly", "no")]


async def answer_three(person: EmulatedPerson, first: str, second: str, third: str) -> SentMessage:
    """Tap the three answers on the first question's message; return it, now asking for a note."""
    await person.expect("three quick taps")
    card = await person.expect(HEARD)
    assert card.button_texts() == ANSWERS
    assert callback_data(card) == answers_to("heard")
    await press_and_check_answered(person, first)
    await person.expect_edit("real interest", card)
    # The used buttons are gone: the same message now carries the next question's buttons.
    assert card.raw_text == f"{HEARD}\n<i>{first}</i>\n\n{INTEREST}"
    assert card.button_texts() == ANSWERS
    assert callback_data(card) == answers_to("interest")
    await press_and_check_answered(person, second)
    await person.expect_edit("without shutting down", card)
    assert card.raw_text == f"{HEARD}\n<i>{first}</i>\n\n{INTEREST}\n<i>{second}</i>\n\n{STEADY}"
    assert callback_data(card) == answers_to("steady")
    await press_and_check_answered(person, third)
    await person.expect_edit("Anything you'd like to add", card)
    assert card.raw_text == (
        f"{HEARD}\n<i>{first}</i>\n\n{INTEREST}\n<i>{second}</i>\n\n"
        f"{STEADY}\n<i>{third}</i>\n\n{NOTE}"
    )
    assert card.button_texts() == ["Skip"]
    assert callback_data(card) == ["ref:note:skip"]
    assert card.edits == 3  # one edit per tap, and no new message for any of them
    assert await person.wait_until_quiet() == []
    return card


async def test_a_reflection_that_felt_connected(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    noa = emulator.person(4001, "Noa")
    await noa.send("/reflect")
    note = await answer_three(noa, "Yes", "Partly", "Yes")
    await noa.send("We laughed about the dog & the <i>rain</i>.")
    done = await noa.expect("real connection")
    assert done.raw_text == CONNECTED
    assert "/journal" in done.text
    assert note.reply_markup is None  # answered in words: its skip button is gone
    assert note.raw_text is not None and note.raw_text.endswith(f"<i>Yes</i>\n\n{NOTE}")
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
    card = await answer_three(pia, "Partly", "Not really", "Partly")
    await press_and_check_answered(pia, "Skip")
    done = await pia.expect_edit("out of step", card)
    assert "/journal" in done.text
    assert done.raw_text == (
        f"{HEARD}\n<i>Partly</i>\n\n{INTEREST}\n<i>Not really</i>\n\n"
        f"{STEADY}\n<i>Partly</i>\n\n{NOTE}\n<i>Skip</i>\n\n{OUT_OF_SYNC}"
    )
    assert done.button_texts() == ["To talk about in therapy"]
    assert await pia.wait_until_quiet() == []  # the closing words came in place, not anew
    for message in pia.messages:  # no number or verdict is ever shown
        assert not any(ch.isdigit() for ch in message.text or ""), message.text
    [social] = await entries(bot.services.repo, 4002)
    assert social.text is None
    assert social.tags == ["heard:partly", "interest:no", "steady:partly", "out_of_sync"]

    # With no note, the journal shows what the look back said: its three answers.
    await pia.send("/journal")
    page = await pia.expect("Your journal")
    assert page.text.endswith(
        "· Time with someone\nFelt heard: Partly · Showed interest: Not really · "
        "Stayed steady: Partly"
    )


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
    heard = await ray.expect(HEARD)
    await ray.send("kind of")
    again = await ray.expect("works best here")
    assert again.button_texts() == ANSWERS
    await ray.send_sticker()
    once_more = await ray.expect("works best here")
    assert once_more.button_texts() == ANSWERS
    assert EXPIRED in str((await forge(ray, "ref:heard:maybe", heard))["text"])
    assert EXPIRED in str((await forge(ray, "ref:interest:yes", heard))["text"])
    assert EXPIRED in str((await forge(ray, "ref:heard:yes\n", heard))["text"])
    assert await ray.wait_until_quiet() == []
    assert heard.edits == 0  # refused presses change nothing on screen either

    # A tap on a re-ask writes the question as first put, with the answer, into that message,
    # and takes the same buttons off the other messages that offered them.
    await press_and_check_answered(ray, "Not really", again)
    interest = await ray.expect_edit("real interest", again)
    assert interest.raw_text == f"{HEARD}\n<i>Not really</i>\n\n{INTEREST}"
    assert callback_data(interest) == answers_to("interest")
    assert heard.reply_markup is None and once_more.reply_markup is None
    # The first question's buttons, pressed again, no longer change anything.
    assert EXPIRED in str((await forge(ray, "ref:heard:yes", heard))["text"])
    assert EXPIRED in str((await forge(ray, "ref:heard:yes", interest))["text"])
    await ray.send_photo()
    repeated = await ray.expect("works best here")
    assert repeated.button_texts() == ANSWERS
    await press_and_check_answered(ray, "Yes", interest)
    await ray.expect_edit("without shutting down", interest)
    assert repeated.reply_markup is None
    assert callback_data(interest) == answers_to("steady")
    await press_and_check_answered(ray, "Yes")
    note = await ray.expect_edit("Anything you'd like to add", interest)
    assert note.button_texts() == ["Skip"]
    await ray.send_voice()
    await ray.expect("type a few words")
    await press_and_check_answered(ray, "Skip", note)
    await ray.expect_edit("real connection", note)
    assert note.raw_text == (
        f"{HEARD}\n<i>Not really</i>\n\n{INTEREST}\n<i>Yes</i>\n\n"
        f"{STEADY}\n<i>Yes</i>\n\n{NOTE}\n<i>Skip</i>\n\n{CONNECTED}"
    )
    assert note.button_texts() == ["To talk about in therapy"]
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
    await sol.expect(HEARD)
    await sol.press("Yes")
    interest = await sol.expect_edit("real interest")
    await sol.send("/cancel")
    await sol.expect("stopped there")
    assert EXPIRED in str((await forge(sol, "ref:interest:yes", interest))["text"])

    await sol.send("/reflect")
    await sol.expect("three quick taps")
    heard = await sol.expect(HEARD)
    await sol.send("/win")  # another command: /win starts, the reflection ends quietly
    await sol.expect("What happened?")
    await wait_for_state(bot.services.repo, "reflect", 4004, None)
    assert EXPIRED in str((await forge(sol, "ref:heard:yes", heard))["text"])
    assert await entries(bot.services.repo, 4004) == []

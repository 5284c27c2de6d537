"""The direct question "are you safe right now?", and warmth for distress.

A message that might mean danger (a check) is held, nothing ended and nothing stored, while the
person is asked once whether they are safe. "Safe right now" puts them back exactly where they
were: the flow takes the held message as if nothing had happened. "Not safe" is the crisis
answer, led by the emergency number, and what they were writing is kept as a hard moment. A
crisis answer asks the same question. Distress outside a practice is met with warmth first.
"""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.models import CRISIS_TAG, EntryKind
from tests.e2e.pause.support import entries, in_flow, press_answered, wait_until
from tests.harness import set_up, stored

CHECK = "I can't do this anymore"
ANSWERS = ["I'm safe right now", "I'm not safe", "I'd rather not say"]
HELP = ["Find help lines near you", "Ground with me"]


async def writing_a_win(
    emulator: BotApiEmulator, bot: KindlingApplication, chat_id: int, name: str, **options: str
) -> EmulatedPerson:
    """A person set up and in the middle of /win, asked what happened."""
    await set_up(bot, chat_id, **options)
    person = emulator.person(chat_id, name)
    await person.send("/win")
    await person.expect("What happened?")
    await wait_until(lambda: in_flow(bot, "win", chat_id), "win running")
    return person


async def test_safe_right_now_puts_the_win_back_where_it_was(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ada = await writing_a_win(emulator, bot, 7401, "Ada", country="GB")

    await ada.send(CHECK)
    question = await ada.expect("Are you safe right now?")
    assert question.button_texts() == ANSWERS + HELP
    assert "carry it alone" not in (question.text or "")  # a question, not the crisis answer
    assert await ada.wait_until_quiet() == []
    assert in_flow(bot, "win", 7401)  # nothing ended
    assert await entries(bot, 7401) == []  # nothing stored
    assert (await stored(bot, 7401)).tender_until is not None

    await press_answered(ada, "I'm safe right now")
    await ada.expect("carry on where we were")
    kinds = await ada.expect("fits it best")  # the win goes on with the held words
    await press_answered(ada, kinds.button_texts()[0])
    await ada.expect_edit("How connected", kinds)
    await press_answered(ada, "3")
    done = await ada.expect_edit("/journal", kinds)
    celebrations = [c for k in bot.services.library.win_kinds for c in k.celebrations]
    assert not any(c in (done.text or "") for c in celebrations)  # no cheer today
    [entry] = await entries(bot, 7401)
    assert (entry.kind, entry.text) == (EntryKind.WIN, CHECK)
    assert CRISIS_TAG not in entry.tags
    # The answered question keeps only the help.
    assert question.button_texts() == HELP


async def test_not_safe_leads_with_the_emergency_number_and_keeps_a_hard_moment(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    bo = await writing_a_win(emulator, bot, 7402, "Bo", country="US")
    await bo.send(CHECK)
    await bo.expect("Are you safe right now?")

    await press_answered(bo, "I'm not safe")
    reply = await bo.expect("911")
    text = reply.text or ""
    assert text.index("911") < text.index("988")  # the emergency number comes first
    assert "Find help lines near you" in reply.button_texts()
    assert await bo.wait_until_quiet() == []  # the entry is stored just after the reply
    assert not in_flow(bot, "win", 7402)
    [entry] = await entries(bot, 7402)
    assert (entry.kind, entry.text, entry.tags) == (EntryKind.WIN, CHECK, [CRISIS_TAG])


async def test_rather_not_say_is_respected_and_the_words_go_on(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    cy = await writing_a_win(emulator, bot, 7403, "Cy")
    await cy.send("i feel like such a burden")
    await cy.expect("Are you safe right now?")
    await press_answered(cy, "I'd rather not say")
    await cy.expect("you don't have to say")
    await cy.expect("fits it best")
    assert in_flow(bot, "win", 7403)


async def test_writing_on_instead_of_answering_is_not_nagged(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    di = await writing_a_win(emulator, bot, 7404, "Di")
    await di.send(CHECK)
    await di.expect("Are you safe right now?")
    await di.send("/cancel")
    # The held words went on first (the win asked its next question), then /cancel ended it.
    await di.expect("fits it best")
    messages = await di.wait_until_quiet()
    assert not any("Are you safe" in (m.text or "") for m in messages)
    assert not in_flow(bot, "win", 7404)


async def test_a_crisis_answer_asks_the_question_and_safe_is_thanked(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7405, country="GB")
    ed = emulator.person(7405, "Ed")
    await ed.send("I have the pills ready for tonight")
    reply = await ed.expect("carry it alone")
    assert "Are you safe right now?" in (reply.text or "")
    assert reply.button_texts() == ANSWERS + HELP
    await press_answered(ed, "I'm safe right now")
    await ed.expect("really glad")
    assert reply.button_texts() == HELP


async def test_danger_from_someone_else_puts_abuse_lines_first(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7406, country="GB")
    fay = emulator.person(7406, "Fay")
    await fay.send("he's banging on the door and I locked myself in the bathroom")
    reply = await fay.expect("carry it alone")
    text = reply.text or ""
    abuse = bot.services.library.help_for("GB").abuse[0].contact
    crisis = bot.services.library.help_for("GB").lines[0].contact
    assert text.index(abuse) < text.index(crisis)


async def test_distress_outside_a_flow_is_met_with_warmth_and_pause_first(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7407)
    gus = emulator.person(7407, "Gus")
    await gus.send("I feel so lonely tonight")
    reply = await gus.expect("/pause")
    assert "/win" not in (reply.text or "")
    assert reply.button_texts() == ["Ground with me"]
    assert await gus.wait_until_quiet() == []


async def test_distress_inside_a_flow_does_not_interrupt(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7408)
    hal = emulator.person(7408, "Hal")
    await hal.send("/setback")
    await hal.expect("What happened")
    await wait_until(lambda: in_flow(bot, "setback", 7408), "setback running")
    await hal.send("I felt overwhelmed at the dinner and snapped")
    nxt = await hal.expect()
    assert "Are you safe" not in (nxt.text or "")
    assert in_flow(bot, "setback", 7408)

"""After a crisis message, nothing cheerful until the person's next local day.

The next message is met with warmth, not a menu that leads with /win; a /win recorded that
day is thanked plainly; /week acknowledges the hard moment with the help line and no reframe;
and a "Later" prompt sent again that day is a gentle one.
"""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.models import DeliveryKind, DeliveryStatus
from tests.e2e.pause.support import press_answered
from tests.harness import set_up, stored

CRISIS = "i want to end my life"


async def alarmed(person: EmulatedPerson, words: str = CRISIS) -> None:
    """The person writes words that get the crisis answer or the question, and it is over."""
    await person.send(words)
    await person.expect("Are you safe right now?")
    assert await person.wait_until_quiet() == []


def cheerful_lines(bot: KindlingApplication) -> list[str]:
    library = bot.services.library
    lines = [c for kind in library.win_kinds for c in kind.celebrations]
    lines += [part for reframe in library.reframes for part in reframe.parts]
    return lines


async def test_the_next_messages_are_warm_and_never_say_went_well(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7601, time_zone="Europe/Berlin")
    ivy = emulator.person(7601, "Ivy")
    await alarmed(ivy)
    await ivy.send("ok")
    reply = await ivy.expect("/pause")
    assert "went well" not in (reply.text or "")
    assert "/win" not in (reply.text or "")


async def test_with_a_prompt_open_a_hard_next_message_gets_warmth_not_an_acknowledgement(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    await set_up(bot, 7602)
    prompt = bot.services.library.prompts[0]
    day = clock.now().date().isoformat()
    assert await repo.claim_delivery(7602, DeliveryKind.PROMPT, day, clock.now(), prompt.id)
    await repo.finish_delivery(7602, DeliveryKind.PROMPT, day, DeliveryStatus.SENT, clock.now())
    jon = emulator.person(7602, "Jon")
    await jon.send("/win")
    await jon.expect("What happened?")
    await alarmed(jon)
    await jon.send("I can't call anyone, no one would understand")
    reply = await jon.expect()
    text = reply.text or ""
    assert "/pause" in text or "Are you safe" in text
    acknowledgements = [a for t in bot.services.library.themes.values() for a in t.acknowledgements]
    assert not any(a in text for a in acknowledgements)
    assert "went well" not in text


async def test_a_win_that_day_is_thanked_plainly_and_celebrated_the_next_day(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7603, time_zone="Europe/Berlin")
    kit = emulator.person(7603, "Kit")
    await alarmed(kit)
    person = await stored(bot, 7603)
    assert person.tender_until is not None and person.gentle_next

    async def a_win() -> str:
        await kit.send("/win I listened to my brother")
        kinds = await kit.expect("fits it best")
        await press_answered(kit, kinds.button_texts()[0])
        await kit.expect_edit("How connected", kinds)
        await press_answered(kit, "4")
        done = await kit.expect_edit("/journal", kinds)
        return done.text or ""

    text = await a_win()
    assert not any(line in text for line in cheerful_lines(bot))
    bot.services.clock.advance(person.tender_until - bot.services.clock.now())  # type: ignore[attr-defined]
    text = await a_win()
    assert any(line in text for line in cheerful_lines(bot))


async def test_the_week_that_day_has_the_help_line_and_no_reframe(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7604, country="GB", time_zone="Europe/London")
    lu = emulator.person(7604, "Lu")
    await alarmed(lu)
    await lu.send("/week")
    recap = await lu.expect("116 123")  # nothing was kept, and still the help line is there
    text = recap.text or ""
    assert not any(part in text for r in bot.services.library.reframes for part in r.parts)
    assert "quiet week" not in text.lower()


async def test_a_bare_time_after_the_question_is_heard_as_the_answer(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7605, country="GB")
    mo = emulator.person(7605, "Mo")
    await alarmed(mo, "I feel like such a burden")
    await mo.send("tonight")
    reply = await mo.expect("carry it alone")
    assert "116 123" in (reply.text or "")


async def test_a_bare_time_on_an_ordinary_day_is_just_a_message(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7606)
    ned = emulator.person(7606, "Ned")
    await ned.send("see you at dinner")
    reply = await ned.expect()
    assert "Are you safe" not in (reply.text or "")
    assert "carry it alone" not in (reply.text or "")

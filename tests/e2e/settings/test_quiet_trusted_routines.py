"""/settings: quieting nudges and resuming them, a trusted person, and the routines check.

The clock starts on Wednesday 2026-11-25 at 09:00 UTC, which is 10:00 in Berlin.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from storage.models import QUIET_UNTIL_TURNED_BACK_ON
from tests.harness import set_up, stored


async def test_quiet_for_three_days_then_resume_early(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 2201, at=time(20, 0))
    ola = emulator.person(2201, "Ola")
    await ola.send("/settings")
    await ola.next_message()
    await ola.press("Quiet my nudges")
    offer = await ola.expect("How long would you like a break from nudges?")
    assert "Resume now" not in offer.button_texts()
    await ola.press("For three days")
    quiet = await ola.expect("Your nudges are quiet until Saturday, November 28 at 10:00 AM.")
    assert "Resume or change quiet" in quiet.button_texts()
    person = await stored(bot, 2201)
    assert person.quiet_until == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert person.next_prompt_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)

    # A day later (no scheduler ran in between, so the stored due time is a day old).
    clock.advance(timedelta(days=1))
    await ola.send("/settings")
    await ola.expect("Nudges: quiet until Saturday, November 28 at 10:00 AM")
    await ola.press("Resume or change quiet")
    await ola.expect("quiet until Saturday, November 28 at 10:00 AM. Would you like them back now")
    await ola.press("Resume now")
    await ola.expect(
        "Your nudges are back. The next reflection comes Thursday, November 26 at 8:00 PM."
    )
    person = await stored(bot, 2201)
    assert person.quiet_until is None
    assert person.next_prompt_at == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)  # recomputed
    assert person.next_recap_at == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


async def test_quiet_until_turned_back_on(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2202, at=time(20, 0), prompts_enabled=False)
    pia = emulator.person(2202, "Pia")
    await pia.send("/settings")
    await pia.next_message()
    await pia.press("Quiet my nudges")
    await pia.next_message()
    await pia.press("Until I turn them back on")
    await pia.expect("quiet until you turn them back on, here in /settings")
    assert (await stored(bot, 2202)).quiet_until == QUIET_UNTIL_TURNED_BACK_ON

    await pia.send("/settings")
    await pia.expect("Nudges: quiet until you turn them back on")
    # Prompts turned on while quiet wait for the quiet to end, and say so.
    await pia.press("Turn daily prompts on")
    await pia.expect("they'll start once that quiet time ends")
    person = await stored(bot, 2202)
    assert person.prompts_enabled is True
    assert person.quiet_until == QUIET_UNTIL_TURNED_BACK_ON

    await pia.press("Resume or change quiet")
    offer = await pia.expect("quiet until you turn them back on. Would you like them back now")
    assert offer.button_texts()[0] == "Resume now"
    await pia.press("For a week")
    await pia.expect("quiet until Wednesday, December 2 at 10:00 AM")
    assert (await stored(bot, 2202)).quiet_until == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def test_resume_when_quiet_has_already_ended(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 2203, quiet_until=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    quin = emulator.person(2203, "Quin")
    clock.advance(timedelta(days=2))  # the day of quiet is over
    await quin.send("/settings")
    menu = await quin.expect("Nudges: on")
    assert "Quiet my nudges" in menu.button_texts()
    await quin.press("Quiet my nudges")
    offer = await quin.expect("How long would you like a break")
    assert "Resume now" not in offer.button_texts()
    # A resume from an older message, now that there is nothing to resume.
    await quin.press_data("settings:quiet:resume", offer)
    await quin.expect("Your nudges are already on.")
    person = await stored(bot, 2203)
    assert person.quiet_until == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_trusted_person_added_with_their_own_words(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2204)
    ray = emulator.person(2204, "Ray")
    await ray.send("/settings")
    await ray.next_message()
    await ray.press("A trusted person")
    ask = await ray.expect("Is there someone you trust")
    assert ask.button_texts() == ["Back"]
    await ray.send_sticker()
    await ray.expect("A few typed words work here")
    await ray.send("<b>Mum</b> & co")
    contact = await ray.expect("Your trusted person: <b>Mum</b> & co\nHow could you reach them?")
    assert contact.button_texts() == ["Skip"]
    assert (await stored(bot, 2204)).trusted_name == "<b>Mum</b> & co"
    await ray.send("x" * 101)
    await ray.expect("under 100 characters")
    await ray.send("Text her: 0123 <3")
    await ray.expect("Saved: <b>Mum</b> & co, reached by Text her: 0123 <3.")
    person = await stored(bot, 2204)
    assert (person.trusted_name, person.trusted_contact) == ("<b>Mum</b> & co", "Text her: 0123 <3")

    # Keep the name, change only how to reach them.
    await ray.press("A trusted person")
    current = await ray.expect("Your trusted person right now: <b>Mum</b> & co\n")
    assert current.button_texts() == ["Keep as it is", "Remove", "Back"]
    await ray.press("Keep as it is")
    await ray.expect("Right now: Text her: 0123 <3")
    await ray.send("  Call   555  ")
    await ray.expect("Saved: <b>Mum</b> & co, reached by Call 555.")
    person = await stored(bot, 2204)
    assert (person.trusted_name, person.trusted_contact) == ("<b>Mum</b> & co", "Call 555")

    # The name alone can be changed too, keeping the contact.
    await ray.press("A trusted person")
    await ray.next_message()
    await ray.send("Mum")
    await ray.next_message()
    await ray.press("Keep as it is")
    await ray.expect("Saved: Mum, reached by Call 555.")
    person = await stored(bot, 2204)
    assert (person.trusted_name, person.trusted_contact) == ("Mum", "Call 555")


async def test_a_name_typed_with_a_capital_is_shown_as_typed_never_mid_sentence(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """A name typed as "My sister Ana" reads oddly inside a sentence ("How could you reach My
    sister Ana?"): it stands on its own, at the start of a line or after a colon, wherever shown."""
    name = "My sister Ana"
    await set_up(bot, 2210, country="US")
    ana = emulator.person(2210, "Lee")
    await ana.send("/settings")
    await ana.next_message()
    await ana.press("A trusted person")
    await ana.next_message()
    await ana.send(name)
    shown = [await ana.expect("How could you reach")]
    await ana.send("text her")
    shown.append(await ana.expect("Saved"))
    await ana.press("A trusted person")
    shown.append(await ana.expect(name))
    await ana.send("/pause")
    await ana.expect("What would help")
    await ana.press("I need help now")
    shown.append(await ana.expect("988"))
    for message in shown:
        text = message.text or ""
        assert name in text
        for match in re.finditer(re.escape(name), text):
            before = text[: match.start()]
            assert before == "" or before.endswith(("\n", ": ")), text


async def test_trusted_person_removed_and_added_without_a_contact(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2205, trusted_name="Jo", trusted_contact="call 0123")
    sol = emulator.person(2205, "Sol")
    await sol.send("/settings")
    await sol.expect("Trusted person: Jo (call 0123)")
    await sol.press("A trusted person")
    await sol.next_message()
    await sol.press("Remove")
    await sol.expect("I've removed your trusted person.")
    person = await stored(bot, 2205)
    assert (person.trusted_name, person.trusted_contact) == (None, None)

    await sol.press("A trusted person")
    await sol.next_message()
    await sol.send("y" * 101)
    await sol.expect("under 100 characters")
    assert (await stored(bot, 2205)).trusted_name is None
    await sol.send("Sam")
    await sol.next_message()
    await sol.press("Skip")
    await sol.expect("Saved: Sam.")
    person = await stored(bot, 2205)
    assert (person.trusted_name, person.trusted_contact) == ("Sam", None)
    await sol.send("/settings")
    await sol.expect("Trusted person: Sam\n")


async def test_routines_check_on_and_off(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    before = await set_up(bot, 2206)
    tam = emulator.person(2206, "Tam")
    await tam.send("/settings")
    await tam.expect("Routines check: off")
    await tam.press("Turn routines check on")
    on = await tam.expect("a one-tap check of sleep, meals and movement")
    assert "Turn routines check off" in on.button_texts()
    person = await stored(bot, 2206)
    assert person.routines_enabled is True
    assert person.next_prompt_at == before.next_prompt_at
    await tam.press("Turn routines check off")
    await tam.expect("The routines check is off.")
    assert (await stored(bot, 2206)).routines_enabled is False
    await tam.press("Done")
    await tam.expect("All saved")

"""Quiet my nudges, /resume, I need help now, and the "worse" check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import QUIET_UNTIL_TURNED_BACK_ON, DeliveryKind, DeliveryStatus
from tests.conftest import START
from tests.e2e.pause.support import entries, press_answered
from tests.harness import set_up, stored


async def test_quiet_for_a_day_then_resume_without_a_backlog(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    # Berlin, daily reflection at 20:00 (19:00 UTC in November).
    await set_up(bot, 7201)
    assert (await stored(bot, 7201)).next_prompt_at == datetime(2026, 11, 25, 19, tzinfo=UTC)
    gus = emulator.person(7201, "Gus")
    await gus.send("/pause")
    await gus.expect("What would help")
    await press_answered(gus, "Quiet my nudges")
    ask = await gus.expect("how long")
    assert ask.button_texts() == ["A day", "Three days", "A week", "Until I send /resume"]

    await press_answered(gus, "A day")
    # 09:00 UTC on Wednesday is 10:00 in Berlin: quiet until the same time on Thursday.
    done = await gus.expect("No nudges until Thursday, November 26 at 10:00 AM (Berlin time)")
    assert "/resume" in (done.text or "")
    assert (await stored(bot, 7201)).quiet_until == START + timedelta(days=1)

    # Tonight's reflection falls due while quiet: it is held back, nothing is sent.
    clock.set(datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    await tick(bot)
    assert await gus.wait_until_quiet() == []
    [held] = await bot.services.repo.list_deliveries(7201)
    assert (held.kind, held.status) == (DeliveryKind.PROMPT, DeliveryStatus.SKIPPED)

    # Resuming early at 04:00 Berlin time: the next one is tonight at 20:00, not a pile-up.
    clock.set(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    await gus.send("/resume")
    back = await gus.expect("back on")
    assert "Thursday, November 26 at 8:00 PM" in (back.text or "")
    person = await stored(bot, 7201)
    assert person.quiet_until is None
    assert person.next_prompt_at == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)
    await tick(bot)
    assert await gus.wait_until_quiet() == []

    clock.set(datetime(2026, 11, 26, 19, 0, tzinfo=UTC))
    await tick(bot)
    await gus.expect()  # tonight's reflection comes, once
    assert await gus.wait_until_quiet() == []


async def test_quiet_until_resume_and_resume_when_not_quiet(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7202)
    hal = emulator.person(7202, "Hal")
    await hal.send("/resume")
    await hal.expect("aren't paused")

    await hal.send("/pause")
    await hal.expect("What would help")
    await press_answered(hal, "Quiet my nudges")
    await hal.expect("how long")
    await press_answered(hal, "Until I send /resume")
    await hal.expect("until you send /resume")
    assert (await stored(bot, 7202)).quiet_until == QUIET_UNTIL_TURNED_BACK_ON
    assert await entries(bot, 7202) == []

    await hal.send("/resume")
    await hal.expect("back on")
    assert (await stored(bot, 7202)).quiet_until is None


async def test_quiet_for_someone_without_a_zone_speaks_utc(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ida = emulator.person(7203, "Ida")
    await ida.send("/pause")
    await ida.expect("What would help")
    await press_answered(ida, "Quiet my nudges")
    await ida.expect("how long")
    await press_answered(ida, "A week")
    await ida.expect("No nudges until Wednesday, December 2 at 9:00 AM (UTC time)")
    assert (await stored(bot, 7203)).quiet_until == START + timedelta(days=7)


@pytest.mark.parametrize(
    ("country", "must_show", "emergency"),
    [
        (
            "US",
            ["988 Suicide & Crisis Lifeline", "Call or text 988"],
            "911",
        ),
        ("GB", ["Samaritans", "Call 116 123", "Text SHOUT to 85258"], "999 or 112"),
        (None, ["Find A Helpline", "https://findahelpline.com"], "local emergency number"),
        ("JP", ["https://findahelpline.com"], "local emergency number"),
    ],
)
async def test_help_now_shows_the_lines_for_the_persons_country(
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    country: str | None,
    must_show: list[str],
    emergency: str,
) -> None:
    await set_up(bot, 7204, country=country)
    jo = emulator.person(7204, "Jo")
    await jo.send("/pause")
    await jo.expect("What would help")
    await press_answered(jo, "I need help now")
    help_message = await jo.expect("alone")
    assert await jo.wait_until_quiet() == []
    text = help_message.text or ""
    for line in must_show:
        assert line in text
    assert emergency in text
    assert "reach out to" not in text  # no trusted person named
    assert help_message.button_texts() == []
    assert "!" not in text
    assert not any(ord(char) >= 0x1F300 for char in text)  # no emoji
    assert await entries(bot, 7204) == []


async def test_help_now_names_the_trusted_person(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7205, country="GB", trusted_name="Sam <3", trusted_contact="+44 7700 900123")
    kim = emulator.person(7205, "Kim")
    await kim.send("/pause")
    await kim.expect("What would help")
    await press_answered(kim, "I need help now")
    message = await kim.expect("116 123")
    assert "someone you trust.\nSam <3: +44 7700 900123" in (message.text or "")


async def test_feeling_worse_offers_the_trusted_person_help_and_another_exercise(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    library = bot.services.library
    await set_up(bot, 7206, country="US", trusted_name="Rosa")
    lou = emulator.person(7206, "Lou")
    await lou.send("/pause")
    await lou.expect("What would help")
    await press_answered(lou, "Ground with me")
    await lou.expect(library.grounding.steps[0])
    await press_answered(lou, "Stop")
    await lou.expect(library.check_in.question)

    await press_answered(lou, "Worse")
    worse = await lou.expect("harder")
    assert await lou.wait_until_quiet() == []
    text = worse.text or ""
    assert library.check_in.answer("worse").reply in text
    assert "reach out to someone you trust: Rosa" in text
    assert "Call or text 988" in text and "911" in text
    assert worse.button_texts() == ["Ground with me", "Breathe with me"]

    await press_answered(lou, "Breathe with me")
    await lou.expect(library.breathing.intro)
    assert await entries(bot, 7206) == []


async def test_help_says_what_kindling_is_not_and_where_help_is(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7207, country="GB")
    max_ = emulator.person(7207, "Max")
    await max_.send("/help")
    text = (await max_.expect("/pause")).text or ""
    assert "not therapy and not an emergency service" in text
    assert "116 123" in text and "999 or 112" in text


async def test_after_pause_the_next_daily_prompt_is_a_gentle_one(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 7208)
    ria = emulator.person(7208, "Ria")
    await ria.send("/pause")
    await ria.expect("What would help")
    clock.set(datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    await tick(bot)
    prompt = await ria.expect()
    gentle = [p.text for p in bot.services.library.prompts if p.gentle]
    assert any(text in (prompt.text or "") for text in gentle)
    assert (await stored(bot, 7208)).gentle_next is False  # once, then as usual


async def test_a_shorter_quiet_keeps_the_longer_one_already_set(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    # Three days of quiet chosen in /settings, then "A day" in /pause.
    await set_up(bot, 7210)
    ivy = emulator.person(7210, "Ivy")
    await ivy.send("/settings")
    await ivy.expect("Your settings")
    await ivy.press("Quiet my nudges")
    await ivy.expect("How long")
    await ivy.press("For three days")
    await ivy.expect("quiet until Saturday, November 28 at 10:00 AM")
    await ivy.press("Done")
    await ivy.expect("All saved")

    await ivy.send("/pause")
    await ivy.expect("What would help")
    await press_answered(ivy, "Quiet my nudges")
    await ivy.expect("how long")
    await press_answered(ivy, "A day")
    kept = await ivy.expect("already quiet until Saturday, November 28 at 10:00 AM")
    assert "longer" in (kept.text or "") and "/resume" in (kept.text or "")
    assert (await stored(bot, 7210)).quiet_until == START + timedelta(days=3)

    # A longer choice than the one set still replaces it.
    await ivy.send("/pause")
    await ivy.expect("What would help")
    await press_answered(ivy, "Quiet my nudges")
    await ivy.expect("how long")
    await press_answered(ivy, "A week")
    await ivy.expect("No nudges until Wednesday, December 2 at 10:00 AM")
    assert (await stored(bot, 7210)).quiet_until == START + timedelta(days=7)


async def test_a_quiet_until_turned_back_on_is_not_shortened(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7211, quiet_until=QUIET_UNTIL_TURNED_BACK_ON)
    jo = emulator.person(7211, "Jo")
    await jo.send("/pause")
    await jo.expect("What would help")
    await press_answered(jo, "Quiet my nudges")
    await jo.expect("how long")
    await press_answered(jo, "Three days")
    await jo.expect("already quiet until you bring them back")
    assert (await stored(bot, 7211)).quiet_until == QUIET_UNTIL_TURNED_BACK_ON

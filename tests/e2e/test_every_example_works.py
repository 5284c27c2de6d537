"""Every example the bot's questions offer ("like <i>14:30</i>") works when a person types it back.

The examples are read from the content files, so a new or changed example is tested as soon as it
is written. The clock is 15:00 UTC, when "14:30" as someone's current time (UTC-0:30) matches no
zone exactly: once, that answer was "I couldn't find that place".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.content.ui import load_ui
from sandbox.emulator import BotApiEmulator
from scheduler.timecalc import is_valid_zone
from tests.harness import set_up, stored

# An example is a literal in italics; "<i>{choice}</i>" fills in the person's own words.
EXAMPLE = re.compile(r"<i>([^<{]+)</i>")

# Each question (or re-ask) with examples, by the step that reads the answer.
ONBOARDING_ZONE = (
    "onboarding.ask_zone",
    "onboarding.zone_not_found",
    "onboarding.zone_text_only",
    "onboarding.zone_choices",
)
ONBOARDING_TIME = (
    "onboarding.ask_time",
    "onboarding.time_not_understood",
    "onboarding.time_text_only",
)
SETTINGS_ZONE = ("settings.zone.ask", "onboarding.zone_choices")
SETTINGS_TIME = (
    "settings.reflection.ask_time",
    "settings.reflection.ask_time_unset",
    "settings.reflection.time_text_only",
    "settings.reflection.prompts_on_ask_time",
)
SETTINGS_RECAP_TIME = ("settings.recap.ask_time",)
SETTINGS_COUNTRY = (
    "settings.country.ask",
    "settings.country.ask_current",
    "settings.country.not_found",
    "settings.country.text_only",
)
# Examples that are not answers to parse: any words are kept as they are typed.
FREE_TEXT = ("settings.trusted.ask_contact",)
LISTED = (
    ONBOARDING_ZONE
    + ONBOARDING_TIME
    + SETTINGS_ZONE
    + SETTINGS_TIME
    + SETTINGS_RECAP_TIME
    + SETTINGS_COUNTRY
    + FREE_TEXT
)

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def examples(keys: tuple[str, ...]) -> list[str]:
    ui = load_ui()
    found = sorted({example for key in keys for example in EXAMPLE.findall(ui.texts[key])})
    assert found, f"no examples in {keys}"
    return found


def test_every_question_with_examples_is_tested() -> None:
    ui = load_ui()
    with_examples = {
        key
        for key, text in ui.texts.items()
        if key.startswith(("onboarding.", "settings.")) and EXAMPLE.search(text)
    }
    assert with_examples <= set(LISTED), with_examples - set(LISTED)


@pytest.mark.parametrize("example", examples(ONBOARDING_ZONE))
async def test_onboarding_understands_its_place_examples(
    example: str, emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    clock.set(NOW)
    ana = emulator.person(3101, "Ana")
    await ana.send("/start")
    await ana.expect("I'm Kindling")
    await ana.expect("where are you")
    await ana.send(example)
    await ana.expect("where it's")
    await ana.expect("When would you like a short daily reflection?")
    person = await stored(bot, 3101)
    assert person.time_zone is not None and is_valid_zone(person.time_zone)


@pytest.mark.parametrize("example", examples(ONBOARDING_TIME))
async def test_onboarding_understands_its_time_examples(
    example: str, emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    clock.set(NOW)
    ben = emulator.person(3102, "Ben")
    await ben.send("/start")
    await ben.expect("I'm Kindling")
    await ben.expect("where are you")
    await ben.send("Lisbon")
    await ben.expect("Lisbon, Portugal")
    await ben.expect("When would you like a short daily reflection?")
    await ben.send(example)
    await ben.expect("All set")
    person = await stored(bot, 3102)
    assert person.prompt_time is not None and person.prompts_enabled


@pytest.mark.parametrize("example", examples(SETTINGS_ZONE))
async def test_settings_understands_its_place_examples(
    example: str, emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    clock.set(NOW)
    await set_up(bot, 3103, zone="Asia/Tokyo")
    cy = emulator.person(3103, "Cy")
    await cy.send("/settings")
    await cy.expect("Your settings")
    await cy.press("Time zone")
    await cy.expect("Where are you now?")
    await cy.send(example)
    await cy.expect("Anything else")
    person = await stored(bot, 3103)
    assert person.time_zone != "Asia/Tokyo" and is_valid_zone(person.time_zone or "")


@pytest.mark.parametrize(
    ("example", "question"),
    [(example, "Reflection time") for example in examples(SETTINGS_TIME)]
    + [(example, "Weekly look back") for example in examples(SETTINGS_RECAP_TIME)],
)
async def test_settings_understands_its_time_examples(
    example: str,
    question: str,
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
) -> None:
    clock.set(NOW)
    await set_up(bot, 3104, zone="Europe/Lisbon")
    dee = emulator.person(3104, "Dee")
    await dee.send("/settings")
    await dee.expect("Your settings")
    await dee.press(question)
    if question == "Weekly look back":
        await dee.expect("Which day")
        await dee.press("Monday")
    await dee.expect("time")
    await dee.send(example)
    await dee.expect("Anything else")


@pytest.mark.parametrize("example", examples(SETTINGS_COUNTRY))
async def test_settings_understands_its_country_examples(
    example: str, emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    clock.set(NOW)
    await set_up(bot, 3105, zone="Europe/Lisbon")
    eve = emulator.person(3105, "Eve")
    await eve.send("/settings")
    await eve.expect("Your settings")
    await eve.press("Country for help")
    await eve.expect("Which country")
    await eve.send(example)
    await eve.expect("Saved:")
    person = await stored(bot, 3105)
    assert person.country is not None

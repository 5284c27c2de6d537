"""Places and times as a newcomer types them: a name several places share, a small island with
its own clock, and times said in words."""

from __future__ import annotations

from datetime import time

import pytest

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from tests.harness import set_up, stored

# The clock is tests.conftest.START: Wednesday 2026-11-25, 09:00 UTC.


async def test_onboarding_asks_which_springfield(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    sam = emulator.person(3201, "Sam")
    await sam.send("/start")
    await sam.expect("I'm Kindling")
    await sam.expect("where are you")
    await sam.send("Springfield")
    which = await sam.expect("more than one Springfield")
    # Each with its state and the time there now (Chicago UTC-6, New York UTC-5, LA UTC-8).
    assert which.button_texts() == [
        "Springfield, Missouri (3:00 AM)",
        "Springfield, Massachusetts (4:00 AM)",
        "Springfield, Oregon (1:00 AM)",
    ]
    person = await stored(bot, 3201)
    assert person.time_zone is None  # nothing is chosen for them

    await sam.press("Springfield, Massachusetts (4:00 AM)")
    await sam.expect("Got it: Springfield, Massachusetts, United States, where it's 4:00 AM now")
    await sam.expect("When would you like a short daily reflection?")
    person = await stored(bot, 3201)
    assert (person.time_zone, person.country) == ("America/New_York", "US")


async def test_settings_asks_which_springfield_and_understands_the_state(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3202, zone="Europe/Berlin")
    tom = emulator.person(3202, "Tom")
    await tom.send("/settings")
    await tom.expect("Your settings")
    await tom.press("Time zone")
    await tom.expect("Where are you now?")
    await tom.send("Springfield")
    await tom.expect("more than one Springfield")
    await tom.press("Springfield, Oregon (1:00 AM)")
    await tom.expect("Springfield, Oregon, United States, where it's 1:00 AM now")
    assert (await stored(bot, 3202)).time_zone == "America/Los_Angeles"

    # Typed with its state, there is nothing to ask.
    await tom.press("Time zone")
    await tom.expect("Where are you now?")
    await tom.send("Springfield, Illinois")
    await tom.expect("where it's 3:00 AM now")
    assert (await stored(bot, 3202)).time_zone == "America/Chicago"

    # One far bigger than its namesakes is simply found (Paris, Texas is 1/86 of Paris).
    await tom.press("Time zone")
    await tom.expect("Where are you now?")
    await tom.send("Paris")
    await tom.expect("Paris, France")
    assert (await stored(bot, 3202)).time_zone == "Europe/Paris"


async def test_a_button_from_an_older_place_question_changes_nothing(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3203, zone="Europe/Berlin")
    uma = emulator.person(3203, "Uma")
    await uma.send("/settings")
    await uma.expect("Your settings")
    await uma.press("Time zone")
    await uma.expect("Where are you now?")
    await uma.send("Springfield")
    which = await uma.expect("more than one Springfield")
    await uma.press_data("settings:place:7", which)
    await uma.send("Lisbon")
    await uma.expect("Lisbon, Portugal")
    assert (await stored(bot, 3203)).time_zone == "Europe/Lisbon"


async def test_the_chatham_islands_are_found(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3204, zone="Pacific/Auckland")
    val = emulator.person(3204, "Val")
    await val.send("/settings")
    await val.expect("Your settings")
    await val.press("Time zone")
    await val.expect("Where are you now?")
    await val.send("Chatham Islands")
    # UTC+13:45 in the southern summer.
    await val.expect("Got it: Chatham Islands, where it's 10:45 PM now")
    assert (await stored(bot, 3204)).time_zone == "Pacific/Chatham"


async def test_times_said_in_words(emulator: BotApiEmulator, bot: KindlingApplication) -> None:
    wes = emulator.person(3205, "Wes")
    await wes.send("/start")
    await wes.expect("I'm Kindling")
    await wes.expect("where are you")
    await wes.send("Lisbon")
    await wes.expect("Lisbon, Portugal")
    await wes.expect("When would you like")
    await wes.send("half past seven")
    await wes.expect("All set. Your daily reflection will come at 7:30 AM")
    assert (await stored(bot, 3205)).prompt_time == time(7, 30)

    for said, shown, kept in [
        ("quarter to eight", "7:45 AM", time(7, 45)),
        ("7 in the evening", "7:00 PM", time(19, 0)),
    ]:
        await wes.send("/settings")
        await wes.expect("Your settings")
        await wes.press("Reflection time")
        await wes.expect("When would you like your daily reflection?")
        await wes.send(said)
        await wes.expect(f"Your daily reflection will come at {shown}")
        await wes.press("Done")
        await wes.expect("All saved")
        assert (await stored(bot, 3205)).prompt_time == kept


@pytest.mark.parametrize(
    ("language", "offered", "evening"),
    [
        (
            "en",
            ["7:00 AM", "8:00 AM", "9:00 AM", "12:30 PM", "6:00 PM", "8:00 PM", "9:30 PM"],
            "6:00 PM",
        ),
        ("de", ["07:00", "08:00", "09:00", "12:30", "18:00", "20:00", "21:30"], "18:00"),
    ],
)
async def test_times_look_the_same_in_onboarding_and_settings(
    language: str,
    offered: list[str],
    evening: str,
    emulator: BotApiEmulator,
    bot: KindlingApplication,
) -> None:
    xia = emulator.person(3206, "Xia", language_code=language)
    await xia.send("/start")
    await xia.expect("I'm Kindling")
    await xia.expect("where are you")
    await xia.send("Lisbon")
    await xia.expect("Lisbon, Portugal")
    question = await xia.expect("When would you like")
    assert question.button_texts()[:-1] == offered
    await xia.press(evening)
    await xia.expect(f"All set. Your daily reflection will come at {evening}")

    await xia.send("/settings")
    await xia.expect(f"Daily reflection: {evening}")
    await xia.press("Reflection time")
    again = await xia.expect("When would you like your daily reflection?")
    assert again.button_texts()[: len(offered)] == offered

"""/settings: changing the time zone (with due times recomputed across daylight-saving changes)
and the country whose help lines are shown."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator
from tests.harness import set_up, stored


async def test_moving_to_new_york_between_the_two_clock_changes(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    # Saturday 2026-10-31, 23:30 UTC. Berlin left summer time on 25 October (UTC+1 now); New York
    # leaves it tonight at 02:00 on 1 November (UTC-4 now, UTC-5 after).
    clock.set(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    before = await set_up(bot, 2101, zone="Europe/Berlin", at=time(20, 0), country="DE")
    assert before.next_prompt_at == datetime(2026, 11, 1, 19, 0, tzinfo=UTC)

    bea = emulator.person(2101, "Bea")
    await bea.send("/settings")
    await bea.expect("Time zone: Berlin (it's 12:30 AM there now)")
    await bea.press("Time zone")
    await bea.expect("Right now I go by Berlin time")
    await bea.send("new york")
    moved = await bea.expect("New York")
    assert "United States" in moved.text and "7:30 PM" in moved.text  # 19:30 EDT right now
    assert "Anything else" in moved.text

    person = await stored(bot, 2101)
    assert person.time_zone == "America/New_York"
    assert person.country == "US"  # a city tells us the country too
    # Tonight's 20:00 EDT (00:00 UTC) is still ahead: it is 19:30 in New York.
    assert person.next_prompt_at == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    # Sunday's 18:00 look back falls after the change back: 18:00 EST is 23:00 UTC.
    assert person.next_recap_at == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)

    # An hour later tonight's prompt has passed; a change now plans tomorrow's, on EST.
    clock.advance(timedelta(hours=1))
    await bea.send("/settings")
    await bea.next_message()
    await bea.press("Time zone")
    await bea.next_message()
    await bea.send("Boston")
    await bea.expect("Boston")
    person = await stored(bot, 2101)
    assert person.time_zone == "America/New_York"
    assert person.next_prompt_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 20:00 EST


async def test_moving_to_berlin_before_its_clock_change(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    # Saturday 2026-10-24, 12:00 UTC: Berlin is on summer time until 03:00 tomorrow.
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    before = await set_up(bot, 2102, zone="America/New_York", at=time(20, 0))
    assert before.next_prompt_at == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 20:00 EDT

    cy = emulator.person(2102, "Cy")
    await cy.send("/settings")
    await cy.next_message()
    await cy.press("Time zone")
    await cy.next_message()
    await cy.send("Berlin")
    await cy.expect("Berlin, Germany, where it's 2:00 PM now")
    person = await stored(bot, 2102)
    assert (person.time_zone, person.country) == ("Europe/Berlin", "DE")
    assert person.next_prompt_at == datetime(2026, 10, 24, 18, 0, tzinfo=UTC)  # 20:00 CEST
    # Sunday 18:00 comes after Berlin's change: 18:00 CET is 17:00 UTC.
    assert person.next_recap_at == datetime(2026, 10, 25, 17, 0, tzinfo=UTC)


async def test_zone_from_an_offset_or_a_clock_keeps_the_country(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2103, country="IE", zone="Europe/Dublin", at=time(9, 0))
    dee = emulator.person(2103, "Dee")
    await dee.send("/settings")
    await dee.next_message()
    await dee.press("Time zone")
    await dee.next_message()

    await dee.send("Xyzzyville")
    await dee.expect("couldn't find")
    await dee.send_sticker()
    await dee.expect("few words")
    await dee.send("United States")
    await dee.expect("more than one time zone")
    person = await stored(bot, 2103)
    assert person.time_zone == "Europe/Dublin"

    await dee.send("UTC-5")
    await dee.expect("I'll go by UTC-5, where it's 4:00 AM now")
    person = await stored(bot, 2103)
    assert (person.time_zone, person.country) == ("Etc/GMT+5", "IE")
    assert person.next_prompt_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 09:00 at UTC-5

    # The time it is for them right now: 14:30 when it is 09:00 UTC means UTC+5:30.
    await dee.press("Time zone")
    await dee.next_message()
    await dee.send("14:30")
    await dee.expect("where it's 2:30 PM now")
    person = await stored(bot, 2103)
    assert person.time_zone == "Asia/Kolkata" and person.country == "IE"
    assert person.next_prompt_at == datetime(2026, 11, 26, 3, 30, tzinfo=UTC)  # 09:00 IST


async def test_country_typed_skipped_and_removed(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    before = await set_up(bot, 2104)
    eve = emulator.person(2104, "Eve")
    await eve.send("/settings")
    await eve.expect("Country for help lines: not set")

    await eve.press("Country for help")
    asked = await eve.expect("Which country are you in?")
    assert "Remove my country" not in asked.button_texts()
    await eve.send("Ireland")
    saved = await eve.expect("Saved: Ireland.")
    assert "Samaritans, Call 116 123" in saved.text and "112 or 999" in saved.text
    person = await stored(bot, 2104)
    assert person.country == "IE"
    # The country changes nothing about timing.
    assert (person.next_prompt_at, person.next_recap_at) == (
        before.next_prompt_at,
        before.next_recap_at,
    )

    await eve.press("Country for help")
    await eve.expect("Right now I show help lines for Ireland")
    await eve.press("Skip")
    await eve.expect("Your country stays as it was.")
    assert (await stored(bot, 2104)).country == "IE"

    await eve.press("Country for help")
    await eve.next_message()
    await eve.press("Remove my country")
    removed = await eve.expect("I've removed your country")
    assert "Find A Helpline" in removed.text  # the general entry
    assert (await stored(bot, 2104)).country is None


async def test_country_with_several_matches_is_a_choice(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2106)
    gus = emulator.person(2106, "Gus")
    await gus.send("/settings")
    await gus.next_message()
    await gus.press("Country for help")
    await gus.next_message()
    await gus.send("Korea")
    choices = await gus.expect("Did you mean one of these?")
    assert choices.button_texts() == ["North Korea", "South Korea", "None of these"]
    await gus.press("None of these")
    await gus.expect("type the country's name again")
    assert choices.buttons() == []
    assert (await stored(bot, 2106)).country is None
    await gus.send("korea")
    await gus.next_message()
    await gus.press("South Korea")
    general = await gus.expect("Saved: South Korea.")
    assert "Find A Helpline" in general.text  # not listed in the library: the general entry
    assert (await stored(bot, 2106)).country == "KR"


async def test_country_typos_codes_and_nothing_found(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2107, country="KR")
    hal = emulator.person(2107, "Hal")
    await hal.send("/settings")
    await hal.next_message()
    await hal.press("Country for help")
    await hal.next_message()
    await hal.send("Xyzzystan")
    await hal.expect("couldn't find that country")
    await hal.send_photo()
    await hal.expect("A country's name typed in works here")
    await hal.send("skip")
    await hal.expect("Your country stays as it was.")
    assert (await stored(bot, 2107)).country == "KR"

    await hal.press("Country for help")
    await hal.next_message()
    await hal.send("uk")
    await hal.expect("Saved: United Kingdom. If you ever need it, help there: Samaritans")
    assert (await stored(bot, 2107)).country == "GB"
    await hal.press("Country for help")
    await hal.next_message()
    await hal.send("Untied States")
    saved = await hal.expect("Saved: United States.")
    assert "988" in saved.text
    assert (await stored(bot, 2107)).country == "US"
    await hal.press("Country for help")
    await hal.next_message()
    await hal.send("de")
    await hal.expect("Saved: Germany.")
    assert (await stored(bot, 2107)).country == "DE"


async def test_a_forged_country_button_is_refused(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2105, country="DE")
    fay = emulator.person(2105, "Fay")
    await fay.send("/settings")
    await fay.next_message()
    await fay.press("Country for help")
    await fay.next_message()
    await fay.send("Korea")
    choices = await fay.expect("Did you mean")
    for forged in ("settings:country:ZZ", "settings:country:kr", "settings:country:KOR"):
        query = await fay.press_data(forged, choices)
        await fay.wait_for(lambda q=query: fay.callback_answered(q), what="the press answered")
        answer = next(a for a in fay.answered_callbacks if a["callback_query_id"] == query)
        assert "expired" in answer.get("text", "")
    assert await fay.wait_until_quiet() == []
    assert (await stored(bot, 2105)).country == "DE"
    # The real choices still work.
    await fay.press("North Korea", choices)
    await fay.expect("Saved: North Korea.")
    assert (await stored(bot, 2105)).country == "KP"

    # "no" is a country code here (Norway), not a way of saying skip.
    await fay.press("Country for help")
    await fay.next_message()
    await fay.send("no")
    await fay.expect("Saved: Norway.")
    assert (await stored(bot, 2105)).country == "NO"

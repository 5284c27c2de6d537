"""A new person meets Kindling: welcome, time zone, daily prompt time, summary."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator


async def test_onboarding_with_a_city_and_a_button(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    alex = emulator.person(1001, "Alex")
    await alex.send("/start")
    welcome = await alex.expect("Kindling")
    assert "not therapy" in welcome.text
    assert "emergency" in welcome.text
    await alex.expect("where are you")

    await alex.send("Berlin")
    found = await alex.expect("Berlin, Germany")
    assert "10:00 AM" in found.text  # 09:00 UTC is 10:00 in Berlin in November
    question = await alex.expect("daily reflection")
    assert "8:00" in " ".join(question.button_texts())

    await alex.press("8:00 PM")
    done = await alex.expect("All set")
    assert "8:00 PM" in done.text and "Berlin" in done.text and "Sunday" in done.text
    assert alex.callback_answered(alex.answered_callbacks[-1]["callback_query_id"])

    person = await bot.services.repo.get_person(1001)
    assert person is not None and person.onboarded
    assert person.time_zone == "Europe/Berlin"
    assert person.country == "DE"
    assert person.prompt_time == time(20, 0)
    # The next prompt is tonight at 20:00 Berlin time (19:00 UTC).
    assert person.next_prompt_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    assert person.next_recap_at == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


async def test_typos_offsets_and_typed_times(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    sam = emulator.person(1002, "Sam")
    await sam.send("/start")
    await sam.wait_until_quiet()
    await sam.send("new yrok")
    await sam.expect("New York")
    await sam.expect("daily reflection")
    await sam.send("half past never")
    await sam.expect("didn't quite catch")
    await sam.send("7.30pm")
    await sam.expect("7:30 PM")
    person = await bot.services.repo.get_person(1002)
    assert person is not None
    assert (person.time_zone, person.prompt_time) == ("America/New_York", time(19, 30))


async def test_unknown_place_falls_back_to_offset_or_clock(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kim = emulator.person(1003, "Kim")
    await kim.send("/start")
    await kim.wait_until_quiet()
    await kim.send("Xyzzyville")
    await kim.expect("couldn't find")
    await kim.send_sticker()
    await kim.expect("few words")
    # 09:00 UTC now; the person says it is 14:30 where they are: UTC+5:30.
    await kim.send("14:30")
    reply = await kim.expect("where it's")
    assert "2:30 PM" in reply.text
    await kim.wait_until_quiet()
    await kim.press("No daily prompts for now")
    await kim.expect("won't send daily reflections")
    person = await bot.services.repo.get_person(1003)
    assert person is not None and person.onboarded
    assert person.prompts_enabled is False and person.next_prompt_at is None
    assert (
        datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
        .astimezone(__import__("zoneinfo").ZoneInfo(person.time_zone))
        .strftime("%H:%M")
        == "14:30"
    )


async def test_start_again_keeps_everything(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ada = emulator.person(1004, "Ada")
    await ada.send("/start")
    await ada.wait_until_quiet()
    await ada.send("UTC+2")
    await ada.expect("UTC+2")
    await ada.wait_until_quiet()
    await ada.send("08:15")
    await ada.expect("All set")
    before = await bot.services.repo.get_person(1004)

    await ada.send("/start")
    back = await ada.expect("Welcome back")
    assert "8:15 AM" in back.text
    assert await bot.services.repo.get_person(1004) == before
    assert await bot.services.repo.count_people() == 1


async def test_cancel_and_help(emulator: BotApiEmulator, bot: KindlingApplication) -> None:
    lee = emulator.person(1005, "Lee")
    await lee.send("/cancel")
    await lee.expect("nothing to cancel")
    assert await lee.wait_until_quiet() == []
    await lee.send("/start")
    await lee.wait_until_quiet()
    await lee.send("/cancel")
    await lee.expect("stopped there")
    await lee.send("Lisbon")  # no longer in onboarding: a gentle pointer, not a zone change
    await lee.expect("/win")
    person = await bot.services.repo.get_person(1005)
    assert person is not None and person.time_zone is None

    await lee.send("/help")
    help_text = await lee.expect("/pause")
    assert await lee.wait_until_quiet() == []
    for command in ("/win", "/setback", "/reflect", "/journal", "/settings", "/cancel"):
        assert command in help_text.text
    assert "not therapy" in help_text.text

    await lee.send("/frobnicate")
    await lee.expect("don't know that command")


async def test_command_menu_is_registered(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    names = [c["command"] for c in emulator.commands]
    assert {"start", "help", "win", "pause", "cancel"} <= set(names)


async def test_groups_are_told_once_and_nothing_is_stored(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    group = emulator.group(-5001, "Book club")
    await group.send("/start")
    await group.expect("private chats")
    await group.send("/help")
    assert await group.wait_until_quiet() == []
    assert await bot.services.repo.count_people() == 0


async def test_buttons_where_text_is_expected_and_forged_buttons(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    max_ = emulator.person(1006, "Max")
    await max_.send("/start")
    await max_.wait_until_quiet()
    await max_.send("Oslo")
    await max_.wait_until_quiet()
    question = max_.messages[-1]
    # A forged time (with a trailing newline) and a time that does not exist change nothing.
    for forged in ("onb:time:07:00\n", "onb:time:25:00", "win:kind:paused"):
        query_id = await max_.press_data(forged, question)
        await max_.wait_until_quiet()
        assert max_.callback_answered(query_id)
    person = await bot.services.repo.get_person(1006)
    assert person is not None and not person.onboarded and person.prompt_time is None
    await max_.press("9:30 PM", message=question)
    await max_.expect("All set")

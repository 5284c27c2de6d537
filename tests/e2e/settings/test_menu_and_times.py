"""/settings: the summary, reflection time, how often, prompts on/off, the weekly look back,
and leaving, through the emulator with the real bot and a real database.

The clock starts on Wednesday 2026-11-25 at 09:00 UTC, which is 10:00 in Berlin.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from tests.harness import set_up, stored


async def test_someone_not_set_up_is_pointed_to_start(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    new = emulator.person(2001, "Noor")
    await new.send("/settings")
    reply = await new.expect("/start")
    assert "set up" in reply.text
    assert await bot.services.repo.count_people() == 0  # asking stores nothing

    # Halfway through onboarding: /settings ends onboarding quietly and points back to /start.
    await new.send("/start")
    await new.expect("Kindling")
    await new.expect("where are you")
    await new.send("/settings")
    await new.expect("/start takes about a minute")
    assert await new.wait_until_quiet() == []
    person = await stored(bot, 2001)
    assert not person.onboarded and person.time_zone is None


async def test_summary_shows_every_setting_in_local_terms(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2002, country="DE", trusted_name="<b>Mum</b> & me", trusted_contact="call <3")
    mia = emulator.person(2002, "Mia")
    await mia.send("/settings")
    menu = await mia.expect("Your settings")
    assert "Daily reflection: 8:00 PM, every day" in menu.text
    assert "Time zone: Berlin (it's 10:00 AM there now)" in menu.text
    assert "Weekly look back: Sundays at 6:00 PM" in menu.text
    assert "Nudges: on" in menu.text
    assert "Country for help lines: Germany" in menu.text
    # Their own words come back exactly as typed, not read as markup.
    assert "Trusted person: <b>Mum</b> & me (call <3)" in menu.text
    assert "Routines check: off" in menu.text
    labels = menu.button_texts()
    for label in (
        "Reflection time",
        "Time zone",
        "How often",
        "Weekly look back",
        "Turn daily prompts off",
        "Quiet my nudges",
        "Country for help",
        "A trusted person",
        "Turn routines check on",
        "Done",
    ):
        assert label in labels

    query = await mia.press("Done")
    await mia.expect("All saved")
    assert mia.callback_answered(query)
    assert menu.buttons() == []  # the closed menu can't be pressed again


async def test_reflection_time_from_a_button_and_typed(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    before = await set_up(bot, 2003, at=time(20, 0))
    assert before.next_prompt_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    ravi = emulator.person(2003, "Ravi")
    await ravi.send("/settings")
    await ravi.expect("Your settings")

    query = await ravi.press("Reflection time")
    question = await ravi.expect("Right now it's set for 8:00 PM")
    assert ravi.callback_answered(query)
    assert "7:00 AM" in question.button_texts()
    await ravi.press("7:00 AM")
    saved = await ravi.expect("Your daily reflection will come at 7:00 AM, Berlin time.")
    assert "Anything else" in saved.text and "Done" in saved.button_texts()
    person = await stored(bot, 2003)
    assert person.prompt_time == time(7, 0)
    # 07:00 in Berlin has passed today, so the next one is tomorrow at 06:00 UTC.
    assert person.next_prompt_at == datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    assert person.next_recap_at == before.next_recap_at

    await ravi.press("Reflection time")
    asked_again = await ravi.next_message()
    await ravi.send("half past never")
    await ravi.expect("didn't quite catch")
    await ravi.send_sticker()
    await ravi.expect("typed like")
    await ravi.send("25:00")
    await ravi.expect("didn't quite catch")
    assert (await stored(bot, 2003)).prompt_time == time(7, 0)
    await ravi.send("7.30pm")
    await ravi.expect("7:30 PM, Berlin time")
    # The question's buttons go once it is answered: only the menu's buttons are live.
    assert asked_again.buttons() == []
    person = await stored(bot, 2003)
    assert person.prompt_time == time(19, 30)
    assert person.next_prompt_at == datetime(2026, 11, 25, 18, 30, tzinfo=UTC)


async def test_how_often(emulator: BotApiEmulator, bot: KindlingApplication) -> None:
    await set_up(bot, 2004, at=time(8, 0))
    assert (await stored(bot, 2004)).next_prompt_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    lou = emulator.person(2004, "Lou")
    await lou.send("/settings")
    await lou.next_message()
    await lou.press("How often")
    await lou.expect("Right now: every day")
    await lou.send("every day please")  # only buttons here: a gentle pointer, nothing changed
    await lou.expect("pick one of the buttons")
    await lou.press("Three times a week")
    await lou.expect("three times a week (Monday, Wednesday and Friday)")
    person = await stored(bot, 2004)
    assert person.prompt_frequency == "three_a_week"
    # Thursday is not a prompt day any more: the next one is Friday at 08:00 Berlin.
    assert person.next_prompt_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)

    await lou.press("How often")
    await lou.next_message()
    await lou.press("Weekdays")
    await lou.expect("on weekdays")
    person = await stored(bot, 2004)
    assert person.prompt_frequency == "weekdays"
    assert person.next_prompt_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


async def test_daily_prompts_off_and_on_again(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    before = await set_up(bot, 2005)
    kai = emulator.person(2005, "Kai")
    await kai.send("/settings")
    await kai.next_message()
    await kai.press("Turn daily prompts off")
    off = await kai.expect("Daily prompts are off")
    assert "Turn daily prompts on" in off.button_texts()
    person = await stored(bot, 2005)
    assert person.prompts_enabled is False and person.next_prompt_at is None
    assert person.prompt_time == time(20, 0)  # kept for when they come back
    assert person.next_recap_at == before.next_recap_at  # the weekly look back still comes

    await kai.press("Turn daily prompts on")
    await kai.expect("The next one comes Wednesday, November 25 at 8:00 PM.")
    person = await stored(bot, 2005)
    assert person.prompts_enabled is True
    assert person.next_prompt_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)


async def test_prompts_on_without_a_time_asks_for_one(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2006, at=None)
    assert (await stored(bot, 2006)).next_prompt_at is None
    ida = emulator.person(2006, "Ida")
    await ida.send("/settings")
    menu = await ida.expect("Daily reflection: off")
    assert "Turn daily prompts on" in menu.button_texts()
    await ida.press("Turn daily prompts on")
    await ida.expect("What time would suit you?")
    await ida.send("21:30")
    await ida.expect("9:30 PM, Berlin time")
    person = await stored(bot, 2006)
    assert person.prompts_enabled is True and person.prompt_time == time(21, 30)
    assert person.next_prompt_at == datetime(2026, 11, 25, 20, 30, tzinfo=UTC)


async def test_a_time_chosen_while_prompts_are_off_keeps_them_off(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2007, at=time(9, 0), prompts_enabled=False)
    eli = emulator.person(2007, "Eli")
    await eli.send("/settings")
    await eli.next_message()
    await eli.press("Reflection time")
    await eli.next_message()
    await eli.press("6:00 PM")
    await eli.expect("Saved 6:00 PM. Daily prompts are off for now")
    person = await stored(bot, 2007)
    assert person.prompt_time == time(18, 0)
    assert person.prompts_enabled is False and person.next_prompt_at is None


async def test_weekly_look_back_day_and_time(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    before = await set_up(bot, 2008)
    assert before.next_recap_at == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Sunday 18:00
    ana = emulator.person(2008, "Ana")
    await ana.send("/settings")
    await ana.next_message()
    await ana.press("Weekly look back")
    days = await ana.expect("Right now it comes on Sundays at 6:00 PM")
    assert days.button_texts()[:7] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    await ana.press("Friday")
    times = await ana.expect("And at what time on Fridays?")
    assert times.button_texts()[-1] == "Keep 6:00 PM"  # the day is kept: no "Back" here
    await ana.send("teatime")
    await ana.expect("didn't quite catch")
    await ana.send("17:30")
    await ana.expect("Your weekly look back will come on Fridays at 5:30 PM.")
    person = await stored(bot, 2008)
    assert (person.recap_weekday, person.recap_time) == (4, time(17, 30))
    assert person.next_recap_at == datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    assert person.next_prompt_at == before.next_prompt_at

    await ana.press("Weekly look back")
    await ana.next_message()
    await ana.press("Monday")
    await ana.next_message()
    await ana.press("Keep 5:30 PM")
    await ana.expect("on Mondays at 5:30 PM")
    person = await stored(bot, 2008)
    assert (person.recap_weekday, person.recap_time) == (0, time(17, 30))
    assert person.next_recap_at == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)


async def test_stale_and_forged_buttons_change_nothing(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    # Nothing changes but the locale of Joe's Telegram, kept from his first message.
    before = replace(await set_up(bot, 2009), locale="en")
    joe = emulator.person(2009, "Joe")
    await joe.send("/settings")
    menu = await joe.expect("Your settings")
    await joe.press("Reflection time")
    question = await joe.expect("When would you like")

    async def refused(data: str, message: object) -> None:
        query = await joe.press_data(data, message)  # type: ignore[arg-type]
        await joe.wait_for(lambda: joe.callback_answered(query), what="the press answered")
        answer = next(a for a in joe.answered_callbacks if a["callback_query_id"] == query)
        assert "expired" in answer.get("text", "")

    # A menu button from the old menu while a time is being asked for.
    await refused("settings:open:zone", menu)
    # Values no button ever carries, and data that is not ours at all.
    await refused("settings:time:25:00", question)
    await refused("settings:time:7:00", question)
    await refused("settings:time:07:00:00", question)
    await refused("settings:freq:hourly", question)
    await refused("onb:time:07:00", question)
    assert await joe.wait_until_quiet() == []
    assert await stored(bot, 2009) == before

    # The question still works after all that.
    await joe.press("9:00 AM", question)
    await joe.expect("9:00 AM, Berlin time")

    # After /cancel even a real button of this flow is out of date.
    await joe.press("Weekly look back")
    days = await joe.expect("Which day")
    await joe.send("/cancel")
    await joe.expect("stopped there")
    await refused("settings:recapday:2", days)
    await refused("settings:recapday:7", days)
    person = await stored(bot, 2009)
    assert person.recap_weekday == 6 and person.prompt_time == time(9, 0)


async def test_cancel_other_commands_and_buttons_only_steps(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    # Nothing changes but the locale of Max's Telegram, kept from his first message.
    before = replace(await set_up(bot, 2010), locale="en")
    max_ = emulator.person(2010, "Max")
    await max_.send("/settings")
    await max_.next_message()
    await max_.send("hello")
    await max_.expect("pick one of the buttons")
    await max_.send_photo()
    await max_.expect("pick one of the buttons")
    await max_.send("/cancel")
    await max_.expect("stopped there")
    await max_.send("7:00")  # no longer in settings: not taken as a time
    await max_.expect("/win")

    await max_.send("/settings")
    await max_.next_message()
    await max_.press("Reflection time")
    await max_.next_message()
    await max_.send("/help")  # another command leaves settings and does its own thing
    await max_.expect("What I can do")
    seen = len(max_.messages)
    await max_.send("7:00")
    await max_.wait_for(
        lambda: any("I'm here" in (m.text or "") for m in max_.messages[seen:]),
        what="the gentle pointer for a message outside any flow",
    )
    await max_.wait_until_quiet()
    assert await stored(bot, 2010) == before

    # Back returns to the full menu with nothing changed.
    await max_.send("/settings")
    await max_.next_message()
    await max_.press("How often")
    await max_.next_message()
    await max_.press("Back")
    menu = await max_.expect("Nothing changed. Is there something else")
    assert "How often" in menu.button_texts()
    assert await stored(bot, 2010) == before

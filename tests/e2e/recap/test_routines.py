"""The optional routines check: off by default, one tap per part, offered by the scheduler."""

from __future__ import annotations

from datetime import date, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from handlers.routines import offer_routines_check
from sandbox.emulator import BotApiEmulator
from storage.models import RoutineAnswer
from tests.recap.helpers import MONDAY

ZONE = "Pacific/Auckland"  # UTC+13 in November: 09:00 UTC Wednesday is 22:00 there
TODAY = date(2026, 11, 25)


async def set_up(bot: KindlingApplication, chat_id: int, *, routines: bool) -> None:
    repo = bot.services.repo
    await repo.ensure_person(chat_id, bot.services.clock.now())
    await repo.update_person(chat_id, time_zone=ZONE, onboarded=True, routines_enabled=routines)


async def test_routines_off_points_to_settings(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 4001, routines=False)
    ivy = emulator.person(4001, "Ivy")
    await ivy.send("/routines")
    await ivy.expect("/settings")
    assert await ivy.wait_until_quiet() == []  # no "unknown command" on top
    assert await bot.services.repo.list_routine_checks(4001, MONDAY, TODAY) == []
    person = await bot.services.repo.get_person(4001)
    assert person is not None
    assert await offer_routines_check(bot.bot, bot.services, person) is None
    assert ivy.messages[-1].text is not None and "/settings" in ivy.messages[-1].text


async def test_one_tap_per_part_kept_on_the_local_date(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 4002, routines=True)
    jo = emulator.person(4002, "Jo")
    await jo.send("/routines")
    check = await jo.expect("How was your sleep?")
    assert check.button_texts() == ["Okay", "Not great", "Skip"]

    await jo.press("Okay")
    await jo.wait_for(lambda: "meals" in (check.text or ""), what="the meals question")
    # Stopping here keeps what was answered.
    stored = await bot.services.repo.list_routine_checks(4002, TODAY, TODAY)
    assert [(c.local_date, c.sleep, c.meals) for c in stored] == [(TODAY, RoutineAnswer.OKAY, None)]

    await jo.press("Not great")
    await jo.wait_for(lambda: "moving" in (check.text or ""), what="the movement question")
    await jo.press("Skip")
    await jo.wait_for(lambda: "Thanks" in (check.text or ""), what="the thanks")
    assert "sleep okay, meals not great, movement skipped" in (check.text or "")
    assert check.buttons() == []
    assert all(answer.get("text") is None for answer in jo.answered_callbacks)
    (kept,) = await bot.services.repo.list_routine_checks(4002, TODAY, TODAY)
    assert (kept.sleep, kept.meals, kept.movement) == (
        RoutineAnswer.OKAY,
        RoutineAnswer.NOT_GREAT,
        RoutineAnswer.SKIPPED,
    )
    assert await jo.wait_until_quiet() == []  # each answer edited the one message

    # Answered in full today: the scheduler's offer is not repeated.
    person = await bot.services.repo.get_person(4002)
    assert person is not None
    assert await offer_routines_check(bot.bot, bot.services, person) is None

    # The next local day it is offered again; an answer replaces nothing from yesterday.
    clock.advance(timedelta(hours=3))  # 01:00 on Thursday in Auckland
    offered = await offer_routines_check(bot.bot, bot.services, person)
    assert offered is not None
    message = await jo.expect("How was your sleep?")
    await jo.press("Not great", message)
    await jo.wait_for(lambda: "meals" in (message.text or ""), what="the meals question")
    checks = await bot.services.repo.list_routine_checks(4002, TODAY, TODAY + timedelta(days=1))
    assert [(c.local_date, c.sleep) for c in checks] == [
        (TODAY, RoutineAnswer.OKAY),
        (TODAY + timedelta(days=1), RoutineAnswer.NOT_GREAT),
    ]


async def test_old_forged_and_switched_off_checks(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 4003, routines=True)
    max_ = emulator.person(4003, "Max")
    await max_.send("/routines")
    check = await max_.expect("How was your sleep?")

    # Forged data never reaches the step: the catch-all says the button expired.
    await max_.press_data("rtn:sleep:okay:20261399", check)
    await max_.press_data("rtn:mood:okay:20261125", check)
    await max_.wait_until_quiet()
    assert await bot.services.repo.list_routine_checks(4003, MONDAY, TODAY) == []
    assert all("expired" in a.get("text", "") for a in max_.answered_callbacks)

    # Two days later the check is too old to change.
    clock.advance(timedelta(days=2))
    await max_.press("Okay", check)
    await max_.wait_for(lambda: check.buttons() == [], what="the keyboard closing")
    assert "earlier day" in max_.answered_callbacks[-1]["text"]
    assert (
        await bot.services.repo.list_routine_checks(4003, MONDAY, TODAY + timedelta(days=2)) == []
    )

    # Turned off in /settings: a tap on a fresh check notes nothing.
    await max_.send("/routines")
    fresh = await max_.expect("How was your sleep?")
    await bot.services.repo.update_person(4003, routines_enabled=False)
    await max_.press("Okay", fresh)
    await max_.wait_for(lambda: fresh.buttons() == [], what="the keyboard closing")
    assert "off now" in max_.answered_callbacks[-1]["text"]
    assert (
        await bot.services.repo.list_routine_checks(4003, MONDAY, TODAY + timedelta(days=2)) == []
    )

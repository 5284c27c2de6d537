"""The weekly recap from fixed entries written through the repository, as the scheduler gets it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot.recap import Recap, compose_weekly_recap
from bot.services import Services
from storage.models import EntryKind, Person, RoutineAnswer
from tests.recap.helpers import (
    CONNECTED_TAGS,
    MONDAY,
    OUT_OF_SYNC_TAGS,
    add,
    at_local,
    full_week,
    png_size,
)

BERLIN = "Europe/Berlin"
# Words a recap never uses: judgments, guilt, tallies of what did not happen.
NEVER = (
    "good job",
    "great job",
    "well done",
    "streak",
    "should",
    "must",
    "missed",
    "failed",
    "only ",
    "back on track",
    " 0 ",
    "zero",
    "no days",
)


async def person(services: Services, chat_id: int, zone: str = BERLIN) -> Person:
    await services.repo.ensure_person(chat_id, services.clock.now())
    return await services.repo.update_person(chat_id, time_zone=zone, onboarded=True)


def body(recap: Recap) -> str:
    """The recap without its title line (which holds the dates)."""
    return recap.text.split("\n", 1)[1]


def assert_gentle(recap: Recap) -> None:
    lowered = recap.text.lower()
    for word in NEVER:
        assert word not in lowered, word


async def test_an_empty_week_is_short_warm_and_without_numbers(services: Services) -> None:
    someone = await person(services, 1)
    recap = await compose_weekly_recap(services, someone, MONDAY + timedelta(days=3))
    assert recap.text.startswith("<b>Your week</b>, November 23 to November 29")
    assert "quiet week" in recap.text
    assert not re.search(r"\d", body(recap))
    assert recap.chart_png is None and recap.chart_caption is None
    assert len(recap.text) < 400
    assert_gentle(recap)


async def test_a_routines_check_alone_is_a_quiet_week(services: Services) -> None:
    someone = await person(services, 14)
    await services.repo.record_routine_answer(
        14, MONDAY, "sleep", RoutineAnswer.OKAY, at_local(MONDAY, 21, 0, BERLIN)
    )
    recap = await compose_weekly_recap(services, someone, MONDAY)
    assert "quiet week" in recap.text and "what you kept is safe" in recap.text
    assert not re.search(r"\d", body(recap))
    assert recap.chart_png is None
    assert_gentle(recap)


async def test_the_recap_of_a_one_day_week_names_the_win(services: Services) -> None:
    """A newcomer's first week: everything kept on one day is a story with a picture, never
    "a quiet week", and nothing in it counts the days without."""
    someone = await person(services, 2)
    for hour, kind in ((9, "paused"), (12, "paused"), (18, "listened")):
        await add(services.repo, 2, EntryKind.WIN, at_local(MONDAY, hour, 0, BERLIN), tags=[kind])
    recap = await compose_weekly_recap(services, someone, MONDAY)
    text = recap.text
    assert "quiet" not in text.lower()
    assert "On Monday you took some time here for yourself." in text
    assert "• I paused before reacting: twice\n• I listened without fixing: once" in text
    assert "one day" not in text and "days" not in text
    assert recap.chart_png is not None and png_size(recap.chart_png) == (1080, 1080)
    assert recap.chart_caption is not None and "small wins" in recap.chart_caption
    assert_gentle(recap)


async def test_a_one_day_week_with_a_hard_moment_offers_kindness_without_a_superlative(
    services: Services,
) -> None:
    someone = await person(services, 13)
    await add(services.repo, 13, EntryKind.SETBACK, at_local(MONDAY, 20, 0, BERLIN), tags=["numb"])
    recap = await compose_weekly_recap(services, someone, MONDAY)
    text = recap.text
    assert "quiet week" not in text
    # One hard moment: singular throughout, and one entry is no "came up most".
    assert "You named one hard moment here, and looked at it honestly." in text
    assert "The feeling you named was <i>numb</i>." in text
    assert "came up most" not in text and "looked at them" not in text
    assert "A few words for you" in text
    fitting = [r for r in services.library.reframes if "numb" in r.feelings]
    assert any(r.message in text for r in fitting)
    assert recap.chart_png is not None
    assert_gentle(recap)


async def test_feelings_tied_are_named_without_a_ranking(services: Services) -> None:
    someone = await person(services, 15)
    for day, feeling in ((0, "sad"), (1, "lonely")):
        when = at_local(MONDAY + timedelta(days=day), 20, 0, BERLIN)
        await add(services.repo, 15, EntryKind.SETBACK, when, tags=[feeling])
    recap = await compose_weekly_recap(services, someone, MONDAY)
    assert "You named two hard moments here, and looked at them honestly." in recap.text
    assert "The feelings you named were <i>sad</i> and <i>lonely</i>." in recap.text
    assert "most" not in recap.text


async def test_a_week_of_only_setbacks(services: Services) -> None:
    someone = await person(services, 3)
    for day, feeling in ((0, "sad"), (2, "lonely"), (4, "sad")):
        await add(
            services.repo,
            3,
            EntryKind.SETBACK,
            at_local(MONDAY + timedelta(days=day), 20, 0, BERLIN),
            tags=[feeling],
            text="it was hard",
        )
    recap = await compose_weekly_recap(services, someone, MONDAY)
    text = recap.text
    assert "You came here on three days this week." in text
    assert "You named three hard moments here, and looked at them honestly." in text
    assert "The feeling that came up most was <i>sad</i>." in text
    fitting = [r for r in services.library.reframes if "sad" in r.feelings]
    assert any(r.message in text for r in fitting)
    assert "Small moments you kept" not in text and "Time with people" not in text
    # Nothing practised yet: the gentlest rung, whatever the week held.
    assert services.library.social_steps[0].suggestion in text
    assert recap.chart_png is not None and png_size(recap.chart_png) == (1080, 1080)
    assert recap.chart_caption == (
        "A picture of your week, November 23 to November 29: hard moments, day by day."
    )
    assert_gentle(recap)


async def test_a_full_week(services: Services) -> None:
    someone = await person(services, 4)
    await full_week(services.repo, 4, BERLIN)
    recap = await compose_weekly_recap(services, someone, MONDAY + timedelta(days=6))
    text = recap.text
    assert "You came here on five days this week." in text
    assert "• I listened without fixing: twice\n• I paused before reacting: once" in text
    assert "You stopped to reflect four times." in text
    assert "two felt connected and one felt out of sync" in text
    assert (
        "In more than one of the moments that felt connected, you felt heard and your replies "
        "showed real interest in them." in text
    )
    assert "you stayed present" not in text  # "partly" each time: not said
    assert "On days that held a connected moment, you also listened without fixing twice." in text
    assert "paused before reacting once." not in text  # not on a connected day
    assert "You named one hard moment here" in text and "<i>frustrated</i>" in text
    assert "tell one person who respects your limits" in text  # one rung above one-to-one
    assert "One week is a small window" not in text  # no routines data, no pattern
    assert recap.chart_png is not None and png_size(recap.chart_png) == (1080, 1080)
    assert recap.chart_caption is not None and len(recap.chart_caption) <= 200
    assert not re.search(r"\d", recap.chart_caption.split(":", 1)[1])
    assert_gentle(recap)


async def test_entries_across_midnight_go_to_the_persons_own_week(services: Services) -> None:
    """Auckland is UTC+13 in November: its Monday starts on Sunday morning in UTC."""
    zone = "Pacific/Auckland"
    someone = await person(services, 5, zone)
    sunday, next_monday = MONDAY + timedelta(days=6), MONDAY + timedelta(days=7)
    await add(services.repo, 5, EntryKind.WIN, at_local(MONDAY, 0, 1, zone), tags=["listened"])
    await add(services.repo, 5, EntryKind.WIN, at_local(sunday, 23, 59, zone), tags=["paused"])
    await add(services.repo, 5, EntryKind.WIN, at_local(next_monday, 0, 1, zone), tags=["boundary"])
    await add(services.repo, 5, EntryKind.WIN, at_local(next_monday, 9, 0, zone), tags=["boundary"])
    # The same UTC day (Sunday 29 November) holds the last minute of one week and the first of
    # the next, in Auckland.
    assert at_local(sunday, 23, 59, zone).date() == at_local(next_monday, 0, 1, zone).date()

    this_week = await compose_weekly_recap(services, someone, sunday)
    assert "I listened without fixing: once" in this_week.text
    assert "I paused before reacting: once" in this_week.text
    assert "boundary" not in this_week.text
    assert this_week.chart_caption is not None

    next_week = await compose_weekly_recap(services, someone, next_monday)
    assert "quiet week" not in next_week.text  # one day, and still its own story
    assert "I kept a boundary: twice" in next_week.text


@pytest.mark.parametrize(
    ("zone", "monday"),
    [
        ("Europe/Berlin", date(2026, 10, 19)),  # clocks go back on Sunday 25 October
        ("America/New_York", date(2026, 3, 2)),  # clocks go forward on Sunday 8 March
    ],
)
async def test_a_week_with_a_daylight_saving_change(
    services: Services, zone: str, monday: date
) -> None:
    someone = await person(services, 6, zone)
    sunday = monday + timedelta(days=6)
    inside = [at_local(monday, 0, 10, zone), at_local(sunday, 23, 30, zone)]
    outside = [
        at_local(monday - timedelta(days=1), 23, 50, zone),
        at_local(sunday + timedelta(days=1), 0, 30, zone),
    ]
    for when in inside:
        await add(services.repo, 6, EntryKind.WIN, when, tags=["grounded"], rating=3)
    for when in outside:
        await add(services.repo, 6, EntryKind.SETBACK, when, tags=["numb"])
    recap = await compose_weekly_recap(services, someone, monday + timedelta(days=3))
    assert "You came here on two days this week." in recap.text
    assert "I grounded myself: twice" in recap.text
    assert "hard moment" not in recap.text
    assert ": small wins and how connected" in (recap.chart_caption or "")


async def add_routine_day(
    services: Services, chat_id: int, day: date, sleep: RoutineAnswer, connected: bool
) -> None:
    now = at_local(day, 21, 0, BERLIN)
    await services.repo.record_routine_answer(chat_id, day, "sleep", sleep, now)
    await add(
        services.repo,
        chat_id,
        EntryKind.SOCIAL,
        now,
        tags=CONNECTED_TAGS if connected else OUT_OF_SYNC_TAGS,
    )


async def test_a_routines_pattern_is_named_only_with_enough_days(services: Services) -> None:
    someone = await person(services, 7)
    days = [MONDAY + timedelta(days=n) for n in range(4)]
    await add_routine_day(services, 7, days[0], RoutineAnswer.OKAY, connected=True)
    await add_routine_day(services, 7, days[1], RoutineAnswer.OKAY, connected=True)
    await add_routine_day(services, 7, days[2], RoutineAnswer.NOT_GREAT, connected=False)
    three_days = await compose_weekly_recap(services, someone, MONDAY)
    assert "sleep" not in three_days.text

    await add_routine_day(services, 7, days[3], RoutineAnswer.NOT_GREAT, connected=False)
    four_days = await compose_weekly_recap(services, someone, MONDAY)
    assert (
        "On days your sleep felt okay, more of your time with people felt connected. "
        "One week is a small window, so this is a hint rather than a rule." in four_days.text
    )


async def test_no_pattern_when_the_days_look_alike(services: Services) -> None:
    someone = await person(services, 8)
    for n, sleep in enumerate(
        [RoutineAnswer.OKAY, RoutineAnswer.NOT_GREAT, RoutineAnswer.OKAY, RoutineAnswer.NOT_GREAT]
    ):
        await add_routine_day(services, 8, MONDAY + timedelta(days=n), sleep, connected=True)
    recap = await compose_weekly_recap(services, someone, MONDAY)
    assert "sleep" not in recap.text
    # Skipped answers are no data either.
    for n in range(4, 7):
        await add_routine_day(services, 8, MONDAY + timedelta(days=n), RoutineAnswer.SKIPPED, False)
    assert "sleep" not in (await compose_weekly_recap(services, someone, MONDAY)).text


async def test_the_suggestion_follows_what_was_practised(services: Services) -> None:
    steps = {s.id: s.suggestion for s in services.library.social_steps}
    reacher = await person(services, 9)
    for n in range(2):
        await add(
            services.repo,
            9,
            EntryKind.WIN,
            at_local(MONDAY + timedelta(days=n), 9, 0, BERLIN),
            tags=["reached_out"],
        )
    recap = await compose_weekly_recap(services, reacher, MONDAY)
    assert steps["one_to_one"] in recap.text  # messaged someone: one rung up

    # A hard week with people (more out of sync than connected): stay on the familiar rung.
    hard = await person(services, 10)
    for n, tags in enumerate([OUT_OF_SYNC_TAGS, OUT_OF_SYNC_TAGS, CONNECTED_TAGS]):
        await add(
            services.repo,
            10,
            EntryKind.SOCIAL,
            at_local(MONDAY + timedelta(days=n), 19, 0, BERLIN),
            tags=tags,
        )
    recap = await compose_weekly_recap(services, hard, MONDAY)
    assert steps["one_to_one"] in recap.text
    assert "one felt connected and two felt out of sync" in recap.text

    # Someone just starting: one look back at time with one person, on one day. The same rung
    # again, never "a small group".
    newcomer = await person(services, 16)
    await add(
        services.repo, 16, EntryKind.SOCIAL, at_local(MONDAY, 19, 0, BERLIN), tags=CONNECTED_TAGS
    )
    await add(
        services.repo, 16, EntryKind.WIN, at_local(MONDAY, 20, 0, BERLIN), tags=["reached_out"]
    )
    recap = await compose_weekly_recap(services, newcomer, MONDAY)
    assert steps["one_to_one"] in recap.text
    assert steps["small_gathering"] not in recap.text and "small group" not in recap.text

    # A rung named by the entry itself counts; the top rung is offered again, never beyond.
    top = await person(services, 11)
    for n in range(2):
        await add(
            services.repo,
            11,
            EntryKind.SOCIAL,
            at_local(MONDAY + timedelta(days=n), 19, 0, BERLIN),
            tags=[*CONNECTED_TAGS, "volunteering"],
        )
    recap = await compose_weekly_recap(services, top, MONDAY)
    assert steps["volunteering"] in recap.text


async def test_a_person_without_a_zone_gets_utc_weeks(services: Services) -> None:
    await services.repo.ensure_person(12, services.clock.now())
    someone = await services.repo.get_person(12)
    assert someone is not None and someone.time_zone is None
    await add(services.repo, 12, EntryKind.WIN, at_local(MONDAY, 0, 30, "UTC"), tags=["other"])
    await add(services.repo, 12, EntryKind.WIN, at_local(MONDAY, 23, 30, "UTC"), tags=["other"])
    await add(
        services.repo,
        12,
        EntryKind.WIN,
        at_local(MONDAY + timedelta(days=1), 8, 0, "UTC"),
        tags=["not-a-kind"],
    )
    recap = await compose_weekly_recap(services, someone, MONDAY)
    assert "Something else: three times" in recap.text

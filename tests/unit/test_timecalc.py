"""Tests for scheduler.timecalc: explicit DST cases plus property tests across all zones.

The explicit cases pin down behaviour at known transitions; the property tests
check the scheduling invariants (one due per local day, strictly increasing,
first valid instant at or after the wall time) for arbitrary zones and dates,
which is where hand-written cases miss exotic rules (30-minute DST, midnight
transitions, date-line jumps).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.timecalc import (
    Frequency,
    is_valid_zone,
    local_date_of,
    local_instant,
    next_daily_due,
    next_weekly_due,
    parse_local_time,
    parse_utc_offset,
    utc_range_of_local_days,
    week_bounds,
    zone_for_offset,
    zone_from_local_clock,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")
APIA = ZoneInfo("Pacific/Apia")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
ST_JOHNS = ZoneInfo("America/St_Johns")
SANTIAGO = ZoneInfo("America/Santiago")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def iterate_daily(
    start: datetime, at: time, zone: ZoneInfo, frequency: Frequency, until: datetime
) -> list[tuple[datetime, date]]:
    dues: list[tuple[datetime, date]] = []
    after = start
    while True:
        instant, day = next_daily_due(after, at, zone, frequency)
        if instant > until:
            return dues
        dues.append((instant, day))
        after = instant


# --- local_instant: explicit DST cases -----------------------------------------


class TestLocalInstant:
    def test_plain_time(self) -> None:
        assert local_instant(date(2026, 1, 15), time(9, 0), BERLIN) == utc(2026, 1, 15, 8, 0)
        assert local_instant(date(2026, 7, 15), time(9, 0), BERLIN) == utc(2026, 7, 15, 7, 0)

    def test_result_is_utc(self) -> None:
        assert local_instant(date(2026, 1, 15), time(9, 0), BERLIN).tzinfo is UTC

    def test_berlin_spring_gap_fires_at_end_of_gap(self) -> None:
        # 2026-03-29: 02:00 CET -> 03:00 CEST, so 02:30 does not exist.
        got = local_instant(date(2026, 3, 29), time(2, 30), BERLIN)
        assert got == utc(2026, 3, 29, 1, 0)
        assert wall(got, BERLIN) == datetime(2026, 3, 29, 3, 0)

    def test_berlin_fall_fold_uses_first_occurrence(self) -> None:
        # 2026-10-25: 03:00 CEST -> 02:00 CET, so 02:30 happens twice.
        got = local_instant(date(2026, 10, 25), time(2, 30), BERLIN)
        assert got == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 01:30 UTC (CET)

    def test_new_york_spring_gap(self) -> None:
        got = local_instant(date(2026, 3, 8), time(2, 30), NEW_YORK)
        assert got == utc(2026, 3, 8, 7, 0)
        assert wall(got, NEW_YORK) == datetime(2026, 3, 8, 3, 0)
        # The edge of the gap: 02:00 itself does not exist either.
        assert local_instant(date(2026, 3, 8), time(2, 0), NEW_YORK) == utc(2026, 3, 8, 7, 0)
        # 03:00 is the first valid wall time, and maps to the same instant.
        assert local_instant(date(2026, 3, 8), time(3, 0), NEW_YORK) == utc(2026, 3, 8, 7, 0)
        assert local_instant(date(2026, 3, 8), time(1, 59), NEW_YORK) == utc(2026, 3, 8, 6, 59)

    def test_new_york_fall_fold(self) -> None:
        got = local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK)
        assert got == utc(2026, 11, 1, 5, 30)  # EDT (-4), the first 01:30

    def test_lord_howe_half_hour_gap(self) -> None:
        # 2026-10-04: 02:00 (+10:30) -> 02:30 (+11).
        got = local_instant(date(2026, 10, 4), time(2, 15), LORD_HOWE)
        assert got == utc(2026, 10, 3, 15, 30)
        assert wall(got, LORD_HOWE) == datetime(2026, 10, 4, 2, 30)

    def test_lord_howe_half_hour_fold(self) -> None:
        # 2026-04-05: 02:00 (+11) -> 01:30 (+10:30); 01:45 happens twice.
        got = local_instant(date(2026, 4, 5), time(1, 45), LORD_HOWE)
        assert got == utc(2026, 4, 4, 14, 45)

    def test_kolkata_half_hour_offset(self) -> None:
        assert local_instant(date(2026, 1, 15), time(9, 0), KOLKATA) == utc(2026, 1, 15, 3, 30)

    def test_chatham_gap(self) -> None:
        # 2026-09-27: 02:45 (+12:45) -> 03:45 (+13:45).
        got = local_instant(date(2026, 9, 27), time(3, 0), CHATHAM)
        assert got == utc(2026, 9, 26, 14, 0)
        assert wall(got, CHATHAM) == datetime(2026, 9, 27, 3, 45)

    def test_st_johns_gap(self) -> None:
        # 2026-03-08: 02:00 (-3:30) -> 03:00 (-2:30).
        got = local_instant(date(2026, 3, 8), time(2, 30), ST_JOHNS)
        assert got == utc(2026, 3, 8, 5, 30)

    def test_apia_erased_day(self) -> None:
        # Samoa skipped 2011-12-30 entirely (-10 -> +14); the first instant
        # at or after "Dec 30 09:00" is local midnight on Dec 31.
        got = local_instant(date(2011, 12, 30), time(9, 0), APIA)
        assert wall(got, APIA) == datetime(2011, 12, 31, 0, 0)

    def test_kiritimati_plus_fourteen(self) -> None:
        assert local_instant(date(2026, 1, 15), time(9, 0), KIRITIMATI) == utc(2026, 1, 14, 19)

    def test_midnight_gap_santiago(self) -> None:
        # Chile springs forward at midnight: 2026-09-06 starts at 01:00.
        got = local_instant(date(2026, 9, 6), time(0, 0), SANTIAGO)
        assert wall(got, SANTIAGO) == datetime(2026, 9, 6, 1, 0)


# --- next_daily_due / next_weekly_due: explicit cases -------------------------


class TestNextDailyDue:
    def test_later_today(self) -> None:
        got = next_daily_due(utc(2026, 1, 15, 6, 0), time(9, 0), BERLIN)
        assert got == (utc(2026, 1, 15, 8, 0), date(2026, 1, 15))

    def test_exactly_at_due_moves_to_tomorrow(self) -> None:
        got = next_daily_due(utc(2026, 1, 15, 8, 0), time(9, 0), BERLIN)
        assert got == (utc(2026, 1, 16, 8, 0), date(2026, 1, 16))

    def test_across_berlin_spring_gap(self) -> None:
        dues = iterate_daily(
            utc(2026, 3, 27, 12), time(2, 30), BERLIN, Frequency.DAILY, utc(2026, 3, 31)
        )
        assert dues == [
            (utc(2026, 3, 28, 1, 30), date(2026, 3, 28)),
            (utc(2026, 3, 29, 1, 0), date(2026, 3, 29)),  # 03:00 CEST
            (utc(2026, 3, 30, 0, 30), date(2026, 3, 30)),
        ]

    def test_new_york_fold_fires_once(self) -> None:
        first, day = next_daily_due(utc(2026, 11, 1, 0, 0), time(1, 30), NEW_YORK)
        assert (first, day) == (utc(2026, 11, 1, 5, 30), date(2026, 11, 1))
        # The repeated 01:30 EST (06:30 UTC) must not fire again.
        second, day2 = next_daily_due(first, time(1, 30), NEW_YORK)
        assert (second, day2) == (utc(2026, 11, 2, 6, 30), date(2026, 11, 2))

    def test_apia_skips_erased_day(self) -> None:
        # Samoa was on -10 until the jump: 00:00 UTC Dec 29 is 14:00 Dec 28 local.
        dues = iterate_daily(
            utc(2011, 12, 29, 0), time(9, 0), APIA, Frequency.DAILY, utc(2011, 12, 31, 0)
        )
        assert [day for _, day in dues] == [date(2011, 12, 29), date(2011, 12, 31)]
        assert [wall(i, APIA).time() for i, _ in dues] == [time(9, 0), time(9, 0)]

    def test_weekdays_skip_weekend(self) -> None:
        # 2026-01-16 is a Friday.
        got = next_daily_due(utc(2026, 1, 16, 9), time(9, 0), BERLIN, Frequency.WEEKDAYS)
        assert got == (utc(2026, 1, 19, 8, 0), date(2026, 1, 19))

    def test_three_a_week_is_mon_wed_fri(self) -> None:
        dues = iterate_daily(
            utc(2026, 1, 11), time(20, 0), KOLKATA, Frequency.THREE_A_WEEK, utc(2026, 1, 25)
        )
        assert [d.weekday() for _, d in dues] == [0, 2, 4, 0, 2, 4]
        assert dues[0] == (utc(2026, 1, 12, 14, 30), date(2026, 1, 12))

    def test_frequency_values(self) -> None:
        assert Frequency("three_a_week") is Frequency.THREE_A_WEEK
        assert Frequency.THREE_A_WEEK.weekdays == frozenset({0, 2, 4})

    def test_naive_after_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            next_daily_due(datetime(2026, 1, 1), time(9), BERLIN)


class TestNextWeeklyDue:
    def test_sunday_evening_recap(self) -> None:
        # 2026-01-15 is a Thursday; Sunday 18:00 in New York is 23:00 UTC.
        got = next_weekly_due(utc(2026, 1, 15), 6, time(18, 0), NEW_YORK)
        assert got == (utc(2026, 1, 18, 23, 0), date(2026, 1, 18))

    def test_same_day_before_time(self) -> None:
        got = next_weekly_due(utc(2026, 1, 18, 12), 6, time(18, 0), NEW_YORK)
        assert got == (utc(2026, 1, 18, 23, 0), date(2026, 1, 18))

    def test_same_day_after_time_goes_to_next_week(self) -> None:
        got = next_weekly_due(utc(2026, 1, 18, 23, 0), 6, time(18, 0), NEW_YORK)
        assert got == (utc(2026, 1, 25, 23, 0), date(2026, 1, 25))

    def test_in_spring_gap(self) -> None:
        # 2026-03-08 is a Sunday and the New York gap day.
        got = next_weekly_due(utc(2026, 3, 7), 6, time(2, 30), NEW_YORK)
        assert got == (utc(2026, 3, 8, 7, 0), date(2026, 3, 8))

    def test_apia_erased_weekday_still_recaps(self) -> None:
        # 2011-12-30 (a Friday) never happened in Samoa; the recap that week
        # still fires, at the first moment after it.
        instant, day = next_weekly_due(utc(2011, 12, 27), 4, time(18, 0), APIA)
        assert day == date(2011, 12, 30)
        assert wall(instant, APIA) == datetime(2011, 12, 31, 0, 0)

    def test_bad_weekday(self) -> None:
        with pytest.raises(ValueError):
            next_weekly_due(utc(2026, 1, 1), 7, time(18), BERLIN)


# --- calendar helpers ----------------------------------------------------------


class TestCalendar:
    def test_local_date_of(self) -> None:
        assert local_date_of(utc(2026, 1, 15, 23, 30), BERLIN) == date(2026, 1, 16)
        assert local_date_of(utc(2026, 1, 15, 3, 0), NEW_YORK) == date(2026, 1, 14)
        assert local_date_of(utc(2026, 1, 14, 10, 0), KIRITIMATI) == date(2026, 1, 15)

    def test_week_bounds(self) -> None:
        assert week_bounds(date(2026, 1, 15)) == (date(2026, 1, 12), date(2026, 1, 18))
        assert week_bounds(date(2026, 1, 12)) == (date(2026, 1, 12), date(2026, 1, 18))
        assert week_bounds(date(2026, 1, 18)) == (date(2026, 1, 12), date(2026, 1, 18))
        # Sunday-start weeks.
        assert week_bounds(date(2026, 1, 15), week_start=6) == (
            date(2026, 1, 11),
            date(2026, 1, 17),
        )

    def test_utc_range_spanning_dst(self) -> None:
        start, end = utc_range_of_local_days(date(2026, 3, 23), date(2026, 3, 29), BERLIN)
        assert start == utc(2026, 3, 22, 23, 0)
        assert end == utc(2026, 3, 29, 22, 0)
        assert end - start == timedelta(days=7, hours=-1)

    def test_utc_range_midnight_gap(self) -> None:
        start, end = utc_range_of_local_days(date(2026, 9, 6), date(2026, 9, 6), SANTIAGO)
        assert wall(start, SANTIAGO) == datetime(2026, 9, 6, 1, 0)
        assert end - start == timedelta(hours=23)

    def test_utc_range_rejects_reversed(self) -> None:
        with pytest.raises(ValueError):
            utc_range_of_local_days(date(2026, 1, 2), date(2026, 1, 1), BERLIN)


# --- parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("19:30", time(19, 30)),
        ("7.30pm", time(19, 30)),
        ("7:30 pm", time(19, 30)),
        ("7:30 p.m.", time(19, 30)),
        ("7pm", time(19, 0)),
        ("7 PM", time(19, 0)),
        ("19h30", time(19, 30)),
        ("19h", time(19, 0)),
        ("1930", time(19, 30)),
        ("730", time(7, 30)),
        ("noon", time(12, 0)),
        ("Midday", time(12, 0)),
        ("midnight", time(0, 0)),
        ("7", time(7, 0)),
        ("0", time(0, 0)),
        ("  9:05am ", time(9, 5)),
        ("12am", time(0, 0)),
        ("12:15 am", time(0, 15)),
        ("12pm", time(12, 0)),
        ("23:59", time(23, 59)),
        ("00:00", time(0, 0)),
    ],
)
def test_parse_local_time_accepts(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["25:00", "24:00", "7:75", "", "   ", "abc", "13pm", "0am", "7:3", "12345", "7:30:99", "-1"],
)
def test_parse_local_time_rejects(text: str) -> None:
    assert parse_local_time(text) is None


@pytest.mark.parametrize(
    ("text", "hours", "minutes"),
    [
        ("UTC+2", 2, 0),
        ("GMT-5", -5, 0),
        ("+05:30", 5, 30),
        ("utc +1", 1, 0),
        ("-3", -3, 0),
        ("UTC", 0, 0),
        ("+0545", 5, 45),
        ("UTC-3:30", -3, -30),
        ("+14", 14, 0),
        ("-12", -12, 0),
        ("\u22124", -4, 0),  # typographic minus sign
    ],
)
def test_parse_utc_offset_accepts(text: str, hours: int, minutes: int) -> None:
    assert parse_utc_offset(text) == timezone(timedelta(hours=hours, minutes=minutes))


@pytest.mark.parametrize(
    "text", ["", "abc", "UTC+15", "-13", "+14:30", "+5:20", "+5:75", "3", "UTC++2", "Berlin"]
)
def test_parse_utc_offset_rejects(text: str) -> None:
    assert parse_utc_offset(text) is None


# --- zone inference ------------------------------------------------------------

WINTER = utc(2026, 1, 15, 12)  # northern winter / southern summer
SUMMER = utc(2026, 7, 15, 12)


class TestZoneInference:
    @pytest.mark.parametrize(
        ("hours", "expected"),
        [(2, "Etc/GMT-2"), (-5, "Etc/GMT+5"), (14, "Etc/GMT-14"), (-12, "Etc/GMT+12")],
    )
    def test_whole_hours_use_etc_with_inverted_sign(self, hours: int, expected: str) -> None:
        assert zone_for_offset(timedelta(hours=hours), WINTER) == expected
        assert ZoneInfo(expected).utcoffset(None) == timedelta(hours=hours)

    def test_zero(self) -> None:
        name = zone_for_offset(timedelta(0), WINTER)
        assert name is not None
        assert ZoneInfo(name).utcoffset(None) == timedelta(0)

    @pytest.mark.parametrize(
        ("offset", "now", "expected"),
        [
            (timedelta(hours=5, minutes=30), WINTER, "Asia/Kolkata"),
            (timedelta(hours=5, minutes=45), WINTER, "Asia/Kathmandu"),
            (timedelta(hours=9, minutes=30), SUMMER, "Australia/Adelaide"),
            (timedelta(hours=12, minutes=45), SUMMER, "Pacific/Chatham"),
            (timedelta(hours=13, minutes=45), WINTER, "Pacific/Chatham"),
            (timedelta(hours=-3, minutes=-30), WINTER, "America/St_Johns"),
            (timedelta(hours=-2, minutes=-30), SUMMER, "America/St_Johns"),
        ],
    )
    def test_fractional_offsets_use_real_zones(
        self, offset: timedelta, now: datetime, expected: str
    ) -> None:
        assert zone_for_offset(offset, now) == expected

    def test_fractional_result_has_offset_now(self) -> None:
        # +9:30 in southern summer: Adelaide is on +10:30, Darwin stays on +9:30.
        name = zone_for_offset(timedelta(hours=9, minutes=30), WINTER)
        assert name is not None
        assert WINTER.astimezone(ZoneInfo(name)).utcoffset() == timedelta(hours=9, minutes=30)

    def test_impossible_offsets(self) -> None:
        assert zone_for_offset(timedelta(hours=15), WINTER) is None
        assert zone_for_offset(timedelta(hours=-13), WINTER) is None
        assert zone_for_offset(timedelta(hours=2, minutes=15), WINTER) is None

    def test_from_clock_simple(self) -> None:
        assert zone_from_local_clock(time(14, 3), utc(2026, 1, 15, 12, 0, 40)) == "Etc/GMT-2"
        assert zone_from_local_clock(time(6, 58), utc(2026, 1, 15, 12, 1)) == "Etc/GMT+5"

    def test_from_clock_wraps_midnight(self) -> None:
        # 23:00 UTC, person says 01:00 -> +2, not -22.
        assert zone_from_local_clock(time(1, 0), utc(2026, 1, 15, 23, 0)) == "Etc/GMT-2"
        # 01:00 UTC, person says 20:00 -> -5.
        assert zone_from_local_clock(time(20, 0), utc(2026, 1, 15, 1, 0)) == "Etc/GMT+5"

    def test_from_clock_fractional(self) -> None:
        assert zone_from_local_clock(time(17, 31), utc(2026, 1, 15, 12, 0)) == "Asia/Kolkata"
        assert zone_from_local_clock(time(8, 30), utc(2026, 1, 15, 12, 0)) == "America/St_Johns"
        assert zone_from_local_clock(time(1, 45), utc(2026, 1, 15, 12, 0)) == "Pacific/Chatham"

    def test_from_clock_date_line_ties(self) -> None:
        noon = utc(2026, 1, 15, 10, 0)
        # +14 (Kiritimati) vs -10 (Hawaii): Hawaii.
        assert zone_from_local_clock(time(0, 0), noon) == "Etc/GMT+10"
        # +13 (Tonga, Samoa, NZ summer) vs -11 (Niue): +13.
        assert zone_from_local_clock(time(23, 0), noon) == "Etc/GMT-13"
        # +12 vs -12 (uninhabited): +12.
        assert zone_from_local_clock(time(22, 0), noon) == "Etc/GMT-12"

    def test_from_clock_unused_offset_moves_to_the_nearest_used_one(self) -> None:
        # +2:15 and +2:30 are used nowhere: +2 is the nearest that is.
        assert zone_from_local_clock(time(14, 15), utc(2026, 1, 15, 12, 0)) == "Etc/GMT-2"
        # "14:30" typed at 15:00 UTC (-0:30, used nowhere): a later clock first, so UTC.
        assert zone_from_local_clock(time(14, 30), utc(2026, 12, 3, 15, 0)) == "Etc/UTC"


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/Berlin", True),
        ("Asia/Kolkata", True),
        ("Etc/GMT-14", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("", False),
        ("America", False),
        ("../etc/passwd", False),
        ("/etc/passwd", False),
    ],
)
def test_is_valid_zone(name: str, valid: bool) -> None:
    assert is_valid_zone(name) is valid


# --- property tests ------------------------------------------------------------

ALL_ZONES = sorted(available_timezones())

zones = st.sampled_from(ALL_ZONES).map(ZoneInfo)
# Half the wall times fall in 00:00-03:59 where nearly all DST transitions sit.
wall_times = st.one_of(
    st.builds(time, st.integers(0, 3), st.integers(0, 59)),
    st.builds(time, st.integers(0, 23), st.integers(0, 59), st.sampled_from([0, 0, 0, 30, 59])),
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 10, 1))
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2037, 10, 1), timezones=st.just(UTC)
)
frequencies = st.sampled_from(list(Frequency))

# Big enough to cover every gap in tzdata 2000-2037 (Samoa erased a full day).
MAX_GAP = timedelta(days=1)

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def gap_size(day: date, at: time, zone: ZoneInfo) -> timedelta:
    """Size of the DST gap containing the wall time (0 if it exists)."""
    naive = datetime.combine(day, at)
    before = naive.replace(tzinfo=zone, fold=0).utcoffset()
    after = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None and after is not None
    return max(after - before, timedelta(0))


def wall_time_exists(day: date, at: time, zone: ZoneInfo) -> bool:
    naive = datetime.combine(day, at)
    return any(
        wall(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC), zone) == naive
        for fold in (0, 1)
    )


def check_is_first_instant_at_or_after(
    instant: datetime, day: date, at: time, zone: ZoneInfo
) -> None:
    """The definition of local_instant, checked without reusing its algorithm."""
    target = datetime.combine(day, at)
    assert instant.tzinfo is UTC
    shown = wall(instant, zone)
    assert shown >= target
    if wall_time_exists(day, at, zone):
        assert shown == target
    else:
        assert shown - target <= gap_size(day, at, zone)
    # Nothing earlier reaches the target: one second before (gap end / exact
    # hit) and up to two hours before (the first occurrence of a fold).
    for back in [timedelta(seconds=1)] + [timedelta(minutes=15 * k) for k in range(1, 9)]:
        assert wall(instant - back, zone) < target


@PROPERTY_SETTINGS
@given(zone=zones, day=days, at=wall_times)
def test_local_instant_is_first_instant_at_or_after_wall_time(
    zone: ZoneInfo, day: date, at: time
) -> None:
    check_is_first_instant_at_or_after(local_instant(day, at, zone), day, at, zone)


@PROPERTY_SETTINGS
@given(zone=zones, after=instants, at=wall_times, frequency=frequencies)
def test_next_daily_due_is_soon_and_strictly_after(
    zone: ZoneInfo, after: datetime, at: time, frequency: Frequency
) -> None:
    instant, day = next_daily_due(after, at, zone, frequency)
    assert after < instant <= after + timedelta(days=8)
    assert day.weekday() in frequency.weekdays
    assert local_date_of(instant, zone) == day


@PROPERTY_SETTINGS
@given(zone=zones, after=instants, weekday=st.integers(0, 6), at=wall_times)
def test_next_weekly_due_is_soon_and_strictly_after(
    zone: ZoneInfo, after: datetime, weekday: int, at: time
) -> None:
    instant, day = next_weekly_due(after, weekday, at, zone)
    assert after < instant <= after + timedelta(days=8)
    assert day.weekday() == weekday
    check_is_first_instant_at_or_after(instant, day, at, zone)


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(zone=zones, start=instants, at=wall_times, frequency=frequencies)
def test_iterating_daily_gives_one_due_per_allowed_local_day(
    zone: ZoneInfo, start: datetime, at: time, frequency: Frequency
) -> None:
    until = start + timedelta(days=60)
    dues = iterate_daily(start, at, zone, frequency, until)
    assert dues

    instants_ = [i for i, _ in dues]
    assert all(a < b for a, b in pairwise(instants_))
    assert instants_[0] > start

    for instant, day in dues:
        assert local_date_of(instant, zone) == day
        check_is_first_instant_at_or_after(instant, day, at, zone)

    # Every allowed local day in the window is covered exactly once; the only
    # permitted holes are days on which the wall time fell into a gap running
    # past midnight (e.g. a date erased by a date-line jump).
    got_days = [d for _, d in dues]
    assert len(got_days) == len(set(got_days))
    first_day = local_date_of(start, zone) - timedelta(days=1)
    last_day = local_date_of(until, zone) + timedelta(days=1)
    day = first_day
    while day <= last_day:
        if day.weekday() in frequency.weekdays:
            due = local_instant(day, at, zone)
            on_own_day = local_date_of(due, zone) == day
            expected = start < due <= until and on_own_day
            assert (day in got_days) == expected, day
            if not on_own_day:
                assert not wall_time_exists(day, at, zone)
        day += timedelta(days=1)


@settings(PROPERTY_SETTINGS, max_examples=60)
@given(zone=zones, start=instants, weekday=st.integers(0, 6), at=wall_times)
def test_iterating_weekly_gives_one_due_per_local_week(
    zone: ZoneInfo, start: datetime, weekday: int, at: time
) -> None:
    dues: list[tuple[datetime, date]] = []
    after = start
    for _ in range(10):
        instant, day = next_weekly_due(after, weekday, at, zone)
        assert after < instant <= after + timedelta(days=8)
        dues.append((instant, day))
        after = instant

    instants_ = [i for i, _ in dues]
    assert all(a < b for a, b in pairwise(instants_))
    got_days = [d for _, d in dues]
    assert all(d.weekday() == weekday for d in got_days)
    # Consecutive weeks, none skipped or repeated.
    assert all(b - a == timedelta(days=7) for a, b in pairwise(got_days))
    weeks = [week_bounds(d) for d in got_days]
    assert len(set(weeks)) == len(weeks)
    for instant, day in dues:
        check_is_first_instant_at_or_after(instant, day, at, zone)


@PROPERTY_SETTINGS
@given(zone=zones, start=days, length=st.integers(0, 40))
def test_utc_range_covers_exactly_the_local_days(zone: ZoneInfo, start: date, length: int) -> None:
    end = start + timedelta(days=length)
    lo, hi = utc_range_of_local_days(start, end, zone)
    assert lo < hi
    assert local_date_of(lo, zone) == start
    assert local_date_of(lo - timedelta(seconds=1), zone) < start
    assert local_date_of(hi, zone) > end
    assert local_date_of(hi - timedelta(seconds=1), zone) <= end


@PROPERTY_SETTINGS
@given(day=days, week_start=st.integers(0, 6))
def test_week_bounds_contains_day(day: date, week_start: int) -> None:
    first, last = week_bounds(day, week_start)
    assert first <= day <= last
    assert last - first == timedelta(days=6)
    assert first.weekday() == week_start


@PROPERTY_SETTINGS
@given(t=st.builds(time, st.integers(0, 23), st.integers(0, 59)))
def test_parse_local_time_round_trips_formatted_times(t: time) -> None:
    assert parse_local_time(t.strftime("%H:%M")) == t
    assert parse_local_time(t.strftime("%H%M")) == t
    twelve = t.strftime("%I:%M %p").lstrip("0")
    assert parse_local_time(twelve) == t


@PROPERTY_SETTINGS
@given(text=st.text(max_size=12))
def test_parsers_never_raise(text: str) -> None:
    parsed = parse_local_time(text)
    assert parsed is None or isinstance(parsed, time)
    offset = parse_utc_offset(text)
    assert offset is None or isinstance(offset, timezone)


@PROPERTY_SETTINGS
@given(quarters=st.integers(-48, 56), now=instants)
def test_zone_for_offset_has_that_offset_now(quarters: int, now: datetime) -> None:
    offset = quarters * timedelta(minutes=15)
    name = zone_for_offset(offset, now)
    if offset % timedelta(hours=1) == timedelta(0):
        assert name is not None
    if name is not None:
        assert now.astimezone(ZoneInfo(name)).utcoffset() == offset


@PROPERTY_SETTINGS
@given(hours=st.integers(-9, 11), now=instants)
def test_zone_from_local_clock_recovers_unambiguous_whole_hour_offsets(
    hours: int, now: datetime
) -> None:
    offset = timedelta(hours=hours)
    person_now = (now + offset).time().replace(second=0, microsecond=0)
    name = zone_from_local_clock(person_now, now)
    assert name is not None
    assert ZoneInfo(name).utcoffset(now.replace(tzinfo=None)) == offset

"""Pure time arithmetic for scheduling prompts and weekly recaps.

Everything here is deliberately free of I/O so it can be property-tested
exhaustively. The database stores the next due moment as a UTC instant, but
people think in local wall-clock time ("every evening at 21:00"), and the two
do not map one-to-one:

* **Spring forward (gap).** On the day clocks jump e.g. 02:00 -> 03:00, a wall
  time of 02:30 never happens. Silently skipping that day's prompt would feel
  like the bot forgot the person, so we fire at the first instant the clock
  reaches or passes the requested time -- the end of the gap (03:00).
* **Fall back (fold).** On the day clocks go back 02:00 -> 01:00, 01:30 happens
  twice. Firing at both would send a duplicate prompt, so we only use the first
  occurrence.

Both rules collapse into one definition used throughout this module: the due
instant for local wall time ``at`` on ``day`` is *the earliest instant at which
the local clock shows ``day at`` or later*.

Offsets are not only whole hours (Asia/Kolkata is +5:30, Asia/Kathmandu +5:45,
Pacific/Chatham +12:45/+13:45), DST shifts are not always one hour
(Australia/Lord_Howe moves by 30 minutes) and whole calendar days can vanish
(Pacific/Apia skipped 2011-12-30 when it crossed the date line), so nothing
below assumes hour-aligned offsets, one-hour shifts, or that every date exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from scheduler.time_words import parse_time_words

__all__ = [
    "Frequency",
    "is_valid_zone",
    "local_date_of",
    "local_instant",
    "next_daily_due",
    "next_weekly_due",
    "parse_local_time",
    "parse_utc_offset",
    "utc_range_of_local_days",
    "week_bounds",
    "zone_for_offset",
    "zone_from_local_clock",
]


class Frequency(StrEnum):
    """How often the daily prompt is sent."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    THREE_A_WEEK = "three_a_week"

    @property
    def weekdays(self) -> frozenset[int]:
        """Allowed local weekdays (0=Monday .. 6=Sunday)."""
        return _FREQUENCY_WEEKDAYS[self]


# "Three times a week" is spread Monday/Wednesday/Friday so there is never
# more than a weekend-sized silence between prompts.
_FREQUENCY_WEEKDAYS: dict[Frequency, frozenset[int]] = {
    Frequency.DAILY: frozenset(range(7)),
    Frequency.WEEKDAYS: frozenset(range(5)),
    Frequency.THREE_A_WEEK: frozenset({0, 2, 4}),
}

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Offsets that zones actually use lie within this range (Baker Island -12,
# Line Islands +14); anything outside is a typo.
_MIN_OFFSET = timedelta(hours=-12)
_MAX_OFFSET = timedelta(hours=14)

# Real-world offset minutes are always quarter hours (:00, :30, :45);
# rejecting the rest catches typos such as "+5:03".
_QUARTER_HOUR = timedelta(minutes=15)


def _require_aware(value: datetime, name: str) -> None:
    # A naive datetime here is always a bug (it would be silently interpreted
    # in the server's zone), so fail loudly instead of guessing.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """Naive local wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _epoch_seconds(instant: datetime) -> int:
    return (instant - _EPOCH) // _ONE_SECOND


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant when the local clock in ``zone`` first shows ``day at``.

    * Normal case: exactly that wall time.
    * Fall-back fold: the first of the two occurrences, so it fires once.
    * Spring-forward gap: the first valid instant after the requested wall
      time, i.e. the moment the clock jumps (the end of the gap, e.g. 03:00
      for a requested 02:30 when clocks go 02:00 -> 03:00).

    ``at`` is treated as a naive wall time; any ``tzinfo`` on it is ignored.
    """
    target = datetime.combine(day, at.replace(tzinfo=None))

    # Each fold value gives one candidate mapping; a candidate is real only if
    # it round-trips back to the same wall time. For a fold both do, and the
    # earlier one is the first occurrence. Using min() rather than trusting
    # fold=0 keeps us independent of which side zoneinfo treats as "first".
    candidates = [target.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    valid = [c for c in candidates if _wall(c, zone) == target]
    if valid:
        return min(valid)

    # Gap: the two candidates straddle the transition (one applies the old
    # offset, the other the new one). The wall clock is monotonic between
    # them, so bisect for the first second whose wall time is >= target.
    # Transitions in tzdata are on whole seconds, so second precision is exact.
    lo = _epoch_seconds(min(candidates)) - 1
    hi = _epoch_seconds(max(candidates)) + 1
    if _wall(_EPOCH + timedelta(seconds=lo), zone) >= target or (
        _wall(_EPOCH + timedelta(seconds=hi), zone) < target
    ):
        # Would need two transitions within a few hours; no tzdata zone does
        # this, but fall back to the conventional "shift by the gap" reading.
        return max(candidates)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _wall(_EPOCH + timedelta(seconds=mid), zone) >= target:
            hi = mid
        else:
            lo = mid
    return _EPOCH + timedelta(seconds=hi)


def local_date_of(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date ``instant`` falls on for someone living in ``zone``."""
    _require_aware(instant, "instant")
    return instant.astimezone(zone).date()


def _next_due_on_days(
    after: datetime,
    at: time,
    zone: ZoneInfo,
    weekdays: Iterable[int],
    *,
    skip_erased_days: bool,
    max_days: int,
) -> tuple[datetime, date]:
    _require_aware(after, "after")
    allowed = frozenset(weekdays)
    # Start one local day early: near a fold that crosses midnight the local
    # date of `after` can already read "tomorrow" while yesterday's due is
    # still ahead of us.
    day = local_date_of(after, zone) - _ONE_DAY
    for _ in range(max_days + 2):
        if day.weekday() in allowed:
            instant = local_instant(day, at, zone)
            # If the wall time fell into a gap that runs past midnight (or the
            # whole date was erased, as Samoa did), the resolved instant lands
            # on a later date that already has its own due.
            erased = local_date_of(instant, zone) != day
            if instant > after and not (erased and skip_erased_days):
                return instant, day
        day += _ONE_DAY
    raise ValueError(f"no due time within {max_days} days after {after.isoformat()}")


def next_daily_due(
    after: datetime,
    at: time,
    zone: ZoneInfo,
    frequency: Frequency = Frequency.DAILY,
) -> tuple[datetime, date]:
    """First prompt instant strictly after ``after`` on a day ``frequency`` allows.

    Returns ``(utc_instant, local_date)``; the instant always falls on
    ``local_date`` in ``zone``. Calling it again with the returned instant
    yields the following prompt, so each allowed local day gets exactly one.

    A day on which the wall time cannot resolve onto that same date (it was
    erased by a date-line jump) is skipped: firing it would land on the next
    day alongside that day's own prompt.
    """
    return _next_due_on_days(after, at, zone, frequency.weekdays, skip_erased_days=True, max_days=9)


def next_weekly_due(
    after: datetime, weekday: int, at: time, zone: ZoneInfo
) -> tuple[datetime, date]:
    """First weekly recap instant strictly after ``after`` (weekday 0=Monday..6=Sunday).

    Returns ``(utc_instant, local_date)`` where ``local_date`` is the scheduled
    weekday. Unlike daily prompts an erased weekday is *not* skipped -- that
    would drop a whole week's recap -- so in that one case the instant is the
    first moment of the following local day.
    """
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be in 0..6, got {weekday}")
    return _next_due_on_days(after, at, zone, (weekday,), skip_erased_days=False, max_days=9)


def week_bounds(local_day: date, week_start: int = 0) -> tuple[date, date]:
    """First and last date of the week containing ``local_day``.

    ``week_start`` is the weekday the week begins on (0=Monday), so the default
    gives Monday..Sunday.
    """
    if not 0 <= week_start <= 6:
        raise ValueError(f"week_start must be in 0..6, got {week_start}")
    start = local_day - timedelta(days=(local_day.weekday() - week_start) % 7)
    return start, start + timedelta(days=6)


def utc_range_of_local_days(
    start: date, end_inclusive: date, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """Half-open UTC range ``[start 00:00 local, (end + 1 day) 00:00 local)``.

    Local midnight itself can fall into a DST gap (several zones switch at
    00:00); ``local_instant`` then yields the day's first real instant, which
    is exactly where the day begins.
    """
    if end_inclusive < start:
        raise ValueError(f"end {end_inclusive} is before start {start}")
    return (
        local_instant(start, time(0), zone),
        local_instant(end_inclusive + _ONE_DAY, time(0), zone),
    )


# --- parsing what people type -------------------------------------------------

_TIME_RE = re.compile(
    r"""
    ^
    (?P<hour>\d{1,2})
    (?:
        \s*[:.h]\s*(?P<minute>\d{2})   # 7:30, 7.30, 19h30
      | (?P<compact>\d{2})             # 1930, 730
      | h                              # 19h
    )?
    \s*
    (?:(?P<meridiem>[ap])\.?\s*(?:m\.?)?)?  # am, pm, p.m., a
    $
    """,
    re.VERBOSE | re.ASCII,
)

_NAMED_TIMES = {
    "noon": time(12, 0),
    "midday": time(12, 0),
    "midnight": time(0, 0),
}


def parse_local_time(text: str) -> time | None:
    """Forgivingly parse a wall time someone typed, or ``None`` if it is not one.

    Accepts 24-hour ("19:30", "1930", "19h30"), 12-hour ("7pm", "7:30 p.m."),
    a bare hour ("7" -> 07:00) and the words noon/midday/midnight, and times
    said in words ("half past seven", "quarter to 8 pm", "7 in the evening":
    ``scheduler.time_words``).
    """
    cleaned = text.strip().lower()
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    match = _TIME_RE.match(cleaned)
    if match is None:
        return parse_time_words(cleaned)
    hour = int(match["hour"])
    minute = int(match["minute"] or match["compact"] or 0)
    meridiem = match["meridiem"]
    if minute > 59:
        return None
    if meridiem is not None:
        # "13pm" or "0am" are contradictions rather than something to guess at.
        if not 1 <= hour <= 12:
            return None
        hour %= 12
        if meridiem == "p":
            hour += 12
    elif hour > 23:
        return None
    return time(hour, minute)


_OFFSET_RE = re.compile(
    r"""
    ^
    (?:utc|gmt)?
    \s*
    (?:
        (?P<sign>[+\-\u2212])        # U+2212: phones often autocorrect '-' to a real minus
        \s*
        (?P<hours>\d{1,2})
        (?:[:.]?(?P<minutes>\d{2}))?
    )?
    $
    """,
    re.VERBOSE | re.ASCII,
)


def parse_utc_offset(text: str) -> timezone | None:
    """Parse "UTC+2", "GMT-5", "+05:30", "utc +1", "-3" into a fixed offset.

    A bare "UTC"/"GMT" means +0. A sign is required otherwise, because a lone
    "3" is more likely a clock time than an offset. Returns ``None`` for
    anything outside -12:00..+14:00 or not on a quarter hour.
    """
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    match = _OFFSET_RE.match(cleaned)
    if match is None:
        return None
    if match["sign"] is None:
        # Only reachable for a bare "utc"/"gmt" (the empty string was rejected).
        return UTC
    minutes = int(match["minutes"] or 0)
    if minutes > 59:
        return None
    magnitude = timedelta(hours=int(match["hours"]), minutes=minutes)
    offset = -magnitude if match["sign"] != "+" else magnitude
    if not _MIN_OFFSET <= offset <= _MAX_OFFSET or offset % _QUARTER_HOUR:
        return None
    return timezone(offset)


# --- choosing a zone from an offset ------------------------------------------

# Well-known zones for fractional offsets, most-populous first, so a person in
# India gets "Asia/Kolkata" rather than whichever name sorts first. Zones that
# only reach an offset during DST are listed too; the offset check at `now`
# decides whether they apply.
_PREFERRED_FRACTIONAL_ZONES = (
    "Asia/Kolkata",  # +5:30
    "Asia/Tehran",  # +3:30
    "Asia/Kabul",  # +4:30
    "Asia/Yangon",  # +6:30
    "Asia/Kathmandu",  # +5:45
    "Australia/Adelaide",  # +9:30 / +10:30 (DST)
    "Australia/Darwin",  # +9:30
    "America/St_Johns",  # -3:30 / -2:30 (DST)
    "Australia/Lord_Howe",  # +10:30 / +11 (DST)
    "Australia/Eucla",  # +8:45
    "Pacific/Chatham",  # +12:45 / +13:45 (DST)
    "Pacific/Marquesas",  # -9:30
)

# Only real geographic zones are offered as fallbacks; aliases like "Iran" or
# "posix/..." copies would be confusing to show back to a person.
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


def zone_for_offset(offset: timedelta, now: datetime) -> str | None:
    """Pick an IANA zone name whose UTC offset at ``now`` is exactly ``offset``.

    Whole hours map to the fixed ``Etc/GMT±N`` zones (note POSIX's inverted
    sign: UTC+2 is "Etc/GMT-2"), which never change under a person's feet
    since we cannot know whether their region observes DST. Fractional offsets
    have no Etc zone, so a real zone currently on that offset is chosen.
    Returns ``None`` when no zone has this offset.
    """
    _require_aware(now, "now")
    if not _MIN_OFFSET <= offset <= _MAX_OFFSET:
        return None
    if offset % timedelta(hours=1) == timedelta(0):
        hours = offset // timedelta(hours=1)
        if hours == 0:
            return "Etc/UTC"
        return f"Etc/GMT{-hours:+d}"

    def has_offset(name: str) -> bool:
        return now.astimezone(ZoneInfo(name)).utcoffset() == offset

    for name in _PREFERRED_FRACTIONAL_ZONES:
        if has_offset(name):
            return name
    for name in sorted(available_timezones()):
        if name.startswith(_REGIONS) and has_offset(name):
            return name
    return None


def zone_from_local_clock(person_now: time, utc_now: datetime) -> str | None:
    """Infer a zone from the wall time a person says it is right now.

    The difference to UTC is rounded to the nearest 15 minutes (their clock
    and their typing both lag a little). Around the date line one reading
    gives two candidate offsets 24 h apart; we keep those within
    -12:00..+14:00 for which a zone exists and break remaining ties by where
    people actually live.

    People round what they type ("14:30" when it is 14:47), so a reading that
    no zone uses (UTC-0:30) moves to the nearest offset that one does, at most
    half an hour away; a later clock is tried first, as typing lags. Every
    time of day therefore gives a zone, and the reply shows its local time so
    the person can see whether it fits.
    """
    _require_aware(utc_now, "utc_now")
    utc_now = utc_now.astimezone(UTC)
    utc_clock = timedelta(
        hours=utc_now.hour,
        minutes=utc_now.minute,
        seconds=utc_now.second,
        microseconds=utc_now.microsecond,
    )
    person_clock = timedelta(hours=person_now.hour, minutes=person_now.minute)
    quarters = round((person_clock - utc_clock) / _QUARTER_HOUR)
    for nudge in _CLOCK_NUDGES:
        zone = _zone_for_clock_difference((quarters + nudge) * _QUARTER_HOUR, utc_now)
        if zone is not None:
            return zone
    return None


# Quarter hours to move a clock reading that no zone uses: none first, then later before
# earlier, up to half an hour (whole-hour offsets always exist, so that always finds one).
_CLOCK_NUDGES = (0, 1, -1, 2, -2)


def _zone_for_clock_difference(difference: timedelta, utc_now: datetime) -> str | None:
    diff = difference % _ONE_DAY  # in [0, 24h)

    candidates = [
        offset for offset in (diff, diff - _ONE_DAY) if _MIN_OFFSET <= offset <= _MAX_OFFSET
    ]
    zones = {offset: zone_for_offset(offset, utc_now) for offset in candidates}
    usable = [offset for offset in candidates if zones[offset] is not None]
    if not usable:
        return None
    if len(usable) == 2:
        # Overlap is +12..+14 vs -12..-10. +12 (New Zealand, Fiji) and +13
        # (Tonga, Samoa, NZ in summer) are home to far more people than -12
        # (uninhabited) and -11 (Niue, American Samoa); at +14 vs -10, Hawaii
        # outweighs the Line Islands.
        positive = max(usable)
        chosen = positive if positive < timedelta(hours=14) else min(usable)
    else:
        chosen = usable[0]
    return zones[chosen]


def is_valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone key that zoneinfo can load."""
    if not isinstance(name, str) or not name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a key naming a directory (e.g. "America") on system tzdata.
        return False
    return True

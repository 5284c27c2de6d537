"""How dates, times and zones are shown to people (babel for the locale's own conventions).

One format for each, everywhere a person reads one: a time as their locale writes it ("7:30 PM",
"19:30"), a date with the month's name ("November 26", "26. November"), with the year only
when it is not this year.
"""

from __future__ import annotations

import html
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time, get_day_names

DEFAULT_LOCALE = "en"


def locale_for(language_code: str | None) -> str:
    if not language_code:
        return DEFAULT_LOCALE
    try:
        return str(Locale.parse(language_code.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return DEFAULT_LOCALE


def show_time(value: time, locale: str = DEFAULT_LOCALE) -> str:
    # CLDR puts a narrow no-break space before AM/PM; a plain space reads the same everywhere
    # and keeps texts searchable.
    return format_time(value, format="short", locale=locale).replace("\u202f", " ")


def show_date(day: date, locale: str = DEFAULT_LOCALE, *, today: date | None = None) -> str:
    """'November 26' ('26. November' in German); 'November 26, 2025' when ``today`` is in
    another year."""
    skeleton = "yMMMMd" if today is not None and today.year != day.year else "MMMMd"
    return format_skeleton(skeleton, day, locale=locale).replace("\u202f", " ")


def show_day_of(
    instant: datetime, zone: ZoneInfo, now: datetime, locale: str = DEFAULT_LOCALE
) -> str:
    """The day ``instant`` fell on for someone in ``zone``, as ``show_date`` says it (with the
    year when that day is not in this year, for them, now)."""
    return show_date(instant.astimezone(zone).date(), locale, today=now.astimezone(zone).date())


def show_weekday(weekday: int, locale: str = DEFAULT_LOCALE) -> str:
    """Monday is 0, as in ``datetime.weekday``."""
    return str(get_day_names("wide", locale=locale)[weekday])


def zone_label(zone: str) -> str:
    """'Europe/Berlin' -> 'Berlin'; 'Etc/GMT-2' -> 'UTC+2' (Etc names invert the sign)."""
    if zone.startswith("Etc/GMT") and len(zone) > 7:
        sign = "+" if zone[7] == "-" else "-"
        return f"UTC{sign}{zone[8:]}"
    if zone in {"UTC", "Etc/UTC", "Etc/GMT"}:
        return "UTC"
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def local_now(zone: str, now: datetime) -> time:
    return now.astimezone(ZoneInfo(zone)).time().replace(second=0, microsecond=0)


# Direction controls a person may type that stay open until closed: embeddings and overrides
# (closed by U+202C) and isolates (closed by U+2069). Left open inside the bot's own sentence,
# an override would show the rest of that sentence reversed.
_EMBEDDINGS = ("\u202a", "\u202b", "\u202d", "\u202e")
_ISOLATES = ("\u2066", "\u2067", "\u2068")


def escape(text: str) -> str:
    """A person's own words, made safe to send inside an HTML-formatted message (with any
    direction override they opened closed again at their end)."""
    escaped = html.escape(text, quote=False)
    open_embeddings = sum(map(escaped.count, _EMBEDDINGS)) - escaped.count("\u202c")
    open_isolates = sum(map(escaped.count, _ISOLATES)) - escaped.count("\u2069")
    return escaped + "\u202c" * max(0, open_embeddings) + "\u2069" * max(0, open_isolates)

"""Turning what a person typed into a time zone: a place, a UTC offset, or their current clock.

Shared by onboarding and /settings so both understand the same answers. Pure apart from reading
the process-wide place index: no Telegram, no storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.places import Ambiguous, Choices, Place, place_index
from scheduler.timecalc import (
    parse_local_time,
    parse_utc_offset,
    zone_for_offset,
    zone_from_local_clock,
)


class ZoneMatch(StrEnum):
    PLACE = "place"  # a city, country or IANA name was recognised
    CLOCK = "clock"  # worked out from a UTC offset or the person's current local time
    AMBIGUOUS = "ambiguous"  # a country with several zones: a city is needed
    CHOICES = "choices"  # places in different zones share the name: the person picks one
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class ZoneLookup:
    match: ZoneMatch
    zone: str | None = None
    # ISO 3166 alpha-2 code, only when a named place told us the country.
    country: str | None = None
    # The place as found ("Berlin, Germany"), or the country that needs a city (AMBIGUOUS);
    # empty otherwise.
    label: str = ""
    # CHOICES: the places to pick from, biggest first.
    choices: tuple[Place, ...] = ()


def look_up_zone(text: str, now: datetime) -> ZoneLookup:
    """Find a zone for ``text``: a place name first, then an offset, then a clock time."""
    found = place_index().find(text)
    if isinstance(found, Place):
        return ZoneLookup(ZoneMatch.PLACE, found.zone, found.country_code, found.label)
    if isinstance(found, Ambiguous):
        return ZoneLookup(ZoneMatch.AMBIGUOUS, label=found.country)
    if isinstance(found, Choices):
        return ZoneLookup(ZoneMatch.CHOICES, choices=found.places)
    zone: str | None = None
    offset = parse_utc_offset(text)
    if offset is not None:
        zone = zone_for_offset(offset.utcoffset(None), now)
    else:
        clock_time = parse_local_time(text)
        if clock_time is not None:
            zone = zone_from_local_clock(clock_time, now)
    if zone is None:
        return ZoneLookup(ZoneMatch.NOT_FOUND)
    return ZoneLookup(ZoneMatch.CLOCK, zone)

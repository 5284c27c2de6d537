"""The pure lookups behind onboarding and /settings: typed text to a zone or a country."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.country_lookup import Country, country_by_code, find_countries
from bot.zone_lookup import ZoneLookup, ZoneMatch, look_up_zone

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Berlin", ZoneLookup(ZoneMatch.PLACE, "Europe/Berlin", "DE", "Berlin, Germany")),
        (
            "America/Chicago",
            ZoneLookup(ZoneMatch.PLACE, "America/Chicago", None, "America/Chicago"),
        ),
        ("UTC+2", ZoneLookup(ZoneMatch.CLOCK, "Etc/GMT-2")),
        ("utc -3:30", ZoneLookup(ZoneMatch.CLOCK, "America/St_Johns")),
        ("14:30", ZoneLookup(ZoneMatch.CLOCK, "Asia/Kolkata")),
        ("United States", ZoneLookup(ZoneMatch.AMBIGUOUS, label="United States")),
        ("Xyzzyville", ZoneLookup(ZoneMatch.NOT_FOUND)),
        ("UTC+15", ZoneLookup(ZoneMatch.NOT_FOUND)),
    ],
)
def test_look_up_zone(typed: str, expected: ZoneLookup) -> None:
    assert look_up_zone(typed, NOW) == expected


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Germany", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("  ireland ", "IE"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("England", "GB"),
        ("Untied States", "US"),
        ("Francee", "FR"),
        ("Texas", "US"),
        ("Turkey", "TR"),
    ],
)
def test_find_one_country(typed: str, code: str) -> None:
    assert [c.code for c in find_countries(typed)] == [code]


def test_several_countries_are_offered_by_their_everyday_names() -> None:
    assert find_countries("Korea") == [Country("KP", "North Korea"), Country("KR", "South Korea")]


@pytest.mark.parametrize("typed", ["", "   ", "xyz", "zz", "Xyzzystan", "a" * 81])
def test_nothing_found(typed: str) -> None:
    assert find_countries(typed) == []


@pytest.mark.parametrize("code", ["ZZ", "", "D", "DEU", "1A", "ÄÖ"])
def test_country_by_code_refuses_what_is_not_a_country(code: str) -> None:
    assert country_by_code(code) is None


def test_country_by_code() -> None:
    assert country_by_code("kr") == Country("KR", "South Korea")

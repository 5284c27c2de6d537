"""Turning what a person typed ("Germany", "de", "UK", "Untied States") into a country.

Used by /settings to choose which help lines to show. ``pycountry`` knows every ISO 3166 country
by code, name and official name, and its fuzzy search also finds countries from their regions
("Texas", "Scotland"); ``rapidfuzz`` catches typos it does not. Pure: no Telegram, no storage.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import pycountry
from rapidfuzz import fuzz, process

# At most this many "did you mean" choices are offered when a search is not sure.
MAX_CHOICES = 3
# Typo matches below this score are more often wrong than right.
TYPO_CUTOFF = 85
# Longer answers are not a country name; refuse them before any search.
MAX_QUERY_CHARS = 80

# Everyday names that ISO 3166 spells differently, so they would otherwise be missed or offered
# as a choice between unrelated countries ("UK" also fuzzily matches Uganda and Ukraine).
ALIASES = {
    "uk": "GB",
    "u k": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "america": "US",
    "u s": "US",
    "u s a": "US",
    "turkey": "TR",
    "holland": "NL",
}


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166 alpha-2, capitals
    name: str  # the name people use ("South Korea", not "Korea, Republic of")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def _country(record: object) -> Country:
    name = getattr(record, "common_name", None) or record.name  # type: ignore[attr-defined]
    return Country(record.alpha_2, name)  # type: ignore[attr-defined]


def country_by_code(code: str) -> Country | None:
    """The country with this alpha-2 code, or None (e.g. for a forged button)."""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return None
    record = pycountry.countries.get(alpha_2=code.upper())
    return _country(record) if record is not None else None


@functools.cache
def _names_for_typos() -> dict[str, str]:
    names: dict[str, str] = {}
    for record in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(record, attribute, None)
            if value:
                names.setdefault(_key(value), record.alpha_2)
    return names


def find_countries(text: str) -> list[Country]:
    """Countries that ``text`` may mean, best first: one when sure, several to choose from,
    none when nothing fits."""
    raw = text.strip()
    key = _key(raw)
    if not key or len(raw) > MAX_QUERY_CHARS:
        return []
    if key in ALIASES:
        return [country_by_code(ALIASES[key])]  # type: ignore[list-item]
    try:
        return [_country(pycountry.countries.lookup(raw))]
    except LookupError:
        pass
    # Two or three letters that are not a code would fuzzily match dozens of names.
    if len(key) <= 3:
        return []
    try:
        found = pycountry.countries.search_fuzzy(raw)
    except LookupError:
        found = []
    if found:
        return [_country(record) for record in found[:MAX_CHOICES]]
    match = process.extractOne(
        key, list(_names_for_typos()), scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
    )
    if match is None:
        return []
    return [country_by_code(_names_for_typos()[match[0]])]  # type: ignore[list-item]

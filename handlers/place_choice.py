"""Choosing between places that share a name, for onboarding and /settings alike.

"Springfield" is a city in several US time zones: rather than pick one silently, the person gets
one button per place, with its state (or country) and the time there now, and taps theirs. The
places offered are kept in the person's ``user_data`` (persisted), so a button carries only its
number and a restart between the question and the tap loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot.content.ui import UiTexts
from bot.formatting import escape, local_now, show_time
from bot.places import Place

# user_data key: the places last offered, as [zone, country, label] lists.
PLACES_KEY = "place_choices"
# Callback data: <prefix>:place:<n>, n the place's position among those offered.
PLACE_NUMBERS = "[0-9]"


@dataclass(frozen=True, slots=True)
class ChosenPlace:
    zone: str
    country: str | None
    label: str  # "Springfield, Missouri, United States"


def _full_label(place: Place) -> str:
    country = place.label.rsplit(", ", 1)[-1] if ", " in place.label else ""
    if country and not place.short_label.endswith(country):
        return f"{place.short_label}, {country}"
    return place.short_label or place.label


def place_question(
    context: ContextTypes.DEFAULT_TYPE,
    places: tuple[Place, ...],
    prefix: str,
    ui: UiTexts,
    locale: str,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup]:
    """The question and its buttons; the places are remembered for the tap."""
    user_data: dict[str, Any] = context.user_data  # type: ignore[assignment]
    user_data[PLACES_KEY] = [[p.zone, p.country_code, _full_label(p)] for p in places]
    buttons = [
        [
            InlineKeyboardButton(
                ui(
                    "onboarding.place_choice_button",
                    place=place.short_label,
                    local_time=show_time(local_now(place.zone, now), locale),
                ),
                callback_data=f"{prefix}:place:{number}",
            )
        ]
        for number, place in enumerate(places)
    ]
    name = places[0].short_label.split(", ", 1)[0]
    return ui("onboarding.zone_choices", name=escape(name)), InlineKeyboardMarkup(buttons)


def forget_places(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A zone was settled another way (typed): the places once offered are no longer a choice."""
    context.user_data.pop(PLACES_KEY, None)  # type: ignore[union-attr]


def chosen_place(context: ContextTypes.DEFAULT_TYPE, data: str) -> ChosenPlace | None:
    """The place a button names, or None when it is not among those last offered."""
    user_data: dict[str, Any] = context.user_data  # type: ignore[assignment]
    offered = user_data.get(PLACES_KEY) or []
    number = int(data.rsplit(":", 1)[-1])
    if number >= len(offered):
        return None
    zone, country, label = offered[number]
    user_data.pop(PLACES_KEY, None)
    return ChosenPlace(zone, country, label)

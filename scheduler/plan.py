"""When a person's next daily prompt and weekly recap are due, from their settings.

Pure: the stored ``next_*_at`` columns are always recomputed through here after a settings
change, so the database stays the single source of truth for what is due.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler.timecalc import Frequency, is_valid_zone, next_daily_due, next_weekly_due
from storage.models import Person


def next_prompt_at(person: Person, after: datetime) -> datetime | None:
    if not (person.prompts_enabled and person.prompt_time and person.time_zone):
        return None
    if not is_valid_zone(person.time_zone):
        return None
    due, _ = next_daily_due(
        after, person.prompt_time, ZoneInfo(person.time_zone), Frequency(person.prompt_frequency)
    )
    return due


def next_recap_at(person: Person, after: datetime) -> datetime | None:
    if not person.time_zone or not is_valid_zone(person.time_zone):
        return None
    due, _ = next_weekly_due(
        after, person.recap_weekday, person.recap_time, ZoneInfo(person.time_zone)
    )
    return due


def schedule_fields(person: Person, after: datetime) -> dict[str, datetime | None]:
    """The ``next_*_at`` values to store for this person's current settings."""
    return {
        "next_prompt_at": next_prompt_at(person, after),
        "next_recap_at": next_recap_at(person, after),
    }

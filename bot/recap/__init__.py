"""The weekly recap: what a person's week held, in words (and later a picture).

``compose_weekly_recap`` is what the scheduler and ``/week`` call. This first version is an honest
count of the week's entries; the full recap (patterns, a reframe, a suggestion, a chart) replaces
its body without changing the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.services import Services
from scheduler.timecalc import utc_range_of_local_days, week_bounds
from storage.models import EntryKind, Person


@dataclass(frozen=True, slots=True)
class Recap:
    text: str
    chart_png: bytes | None = None
    chart_caption: str | None = None


async def compose_weekly_recap(services: Services, person: Person, day_in_week: date) -> Recap:
    """The recap of the local week (Monday to Sunday) that contains ``day_in_week``."""
    zone = ZoneInfo(person.time_zone or "UTC")
    monday, sunday = week_bounds(day_in_week)
    since, until = utc_range_of_local_days(monday, sunday, zone)
    entries = await services.repo.list_entries(
        person.chat_id, since=since, until=until, limit=10_000, newest_first=False
    )
    if not entries:
        return Recap("This week was a quiet one here. That's okay. I'm here whenever you'd like.")
    days = len({e.created_at.astimezone(zone).date() for e in entries})
    wins = sum(1 for e in entries if e.kind is EntryKind.WIN)
    setbacks = sum(1 for e in entries if e.kind is EntryKind.SETBACK)
    reflections = sum(1 for e in entries if e.kind in (EntryKind.REFLECTION, EntryKind.SOCIAL))
    lines = [f"<b>Your week</b>, {monday:%d %b} to {sunday:%d %b}", ""]
    lines.append(f"You showed up on {days} day{'s' if days != 1 else ''}.")
    if wins:
        lines.append(f"You kept {wins} small win{'s' if wins != 1 else ''}.")
    if reflections:
        lines.append(f"You wrote {reflections} reflection{'s' if reflections != 1 else ''}.")
    if setbacks:
        lines.append(
            f"You met {setbacks} hard moment{'s' if setbacks != 1 else ''} with honesty. "
            "Healing isn't a straight line."
        )
    return Recap("\n".join(lines))


def local_today(person: Person, now: datetime) -> date:
    return now.astimezone(ZoneInfo(person.time_zone or "UTC")).date()

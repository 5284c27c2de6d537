"""Notes a person wrote to themselves, given back on a harder day.

A note is kept with /note, or with one tap at the end of /setback (the answer to "what would you
say to a friend?"). It comes back after a later /setback, in /pause and in the recap of a hard
week, as "Words you wrote to yourself on <date>", quoted exactly. ``choose_note`` is the rule,
pure: at most one note a day (the person's own day), never the note given back last, never one
whose words the crisis check was answering; the oldest words not yet given back first, then
the ones given back longest ago. ``give_back`` applies it and records what was shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.formatting import escape, show_day_of
from bot.locales import locale_of
from scheduler.timecalc import is_valid_zone, local_date_of, local_instant
from storage.models import Note, Person

if TYPE_CHECKING:
    from bot.services import Services


def person_zone(person: Person | None) -> ZoneInfo:
    zone = person.time_zone if person else None
    return ZoneInfo(zone if zone and is_valid_zone(zone) else "UTC")


def start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """The first instant of the local day that holds ``now``."""
    return local_instant(local_date_of(now, zone), time(0, 0), zone)


def choose_note(
    notes: Sequence[Note], day_started: datetime, *, max_length: int | None = None
) -> Note | None:
    """The note to give back now, or None (see the module's rule). ``max_length`` leaves out
    notes too long for where they would be shown: a note is quoted whole, or not at all."""
    given = [n for n in notes if n.given_back_at is not None]
    if any(n.given_back_at >= day_started for n in given):  # type: ignore[operator]
        return None
    last = max(given, key=lambda n: (n.given_back_at, n.id), default=None)
    candidates = [
        n
        for n in notes
        if n.may_give_back
        and (last is None or n.id != last.id)
        and (max_length is None or len(n.text) <= max_length)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda n: (n.given_back_at is not None, n.given_back_at or n.created_at, n.id),
    )


def note_text(svc: Services, note: Note, zone: ZoneInfo, locale: str) -> str:
    """'Words you wrote to yourself on <date>' (the date in ``locale``), then the note quoted
    exactly (HTML-escaped)."""
    written = show_day_of(note.created_at, zone, svc.clock.now(), locale)
    return svc.ui("notes.given_back", date=written, text=escape(note.text))


async def give_back(svc: Services, chat_id: int, *, max_length: int | None = None) -> str | None:
    """The note due to come back now, as a message (its date in the person's locale), recorded
    as given back; None when no note is due (none kept, one given back today already, or only
    the last one left)."""
    person = await svc.repo.get_person(chat_id)
    if person is None:
        return None
    now = svc.clock.now()
    zone = person_zone(person)
    note = choose_note(
        await svc.repo.list_notes(chat_id), start_of_day(now, zone), max_length=max_length
    )
    if note is None or not await svc.repo.mark_note_given_back(chat_id, note.id, now):
        return None
    return note_text(svc, note, zone, locale_of(person))

"""The sections /share adds around the weeks of its PDF, worded from bot/content.

- opening: "Things I'd like to talk about", every entry the person marked to talk about in
  therapy, oldest first; their words only when they chose to include their own words (else the
  date and kind alone);
- closing: "Notes to yourself", the notes written in the weeks shown, only when the person chose
  to include their own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.kept_notes import person_zone
from bot.locales import locale_of
from bot.recap.labels import shown_kind
from bot.recap.share import PdfSection
from bot.recap.story import WeekFacts, show_date
from bot.services import Services
from scheduler.timecalc import local_date_of, utc_range_of_local_days
from storage.models import Person


def weeks_span(person: Person, weeks: Sequence[WeekFacts]) -> tuple[datetime, datetime]:
    """The instants the shown weeks cover, in the person's own days."""
    first = min(w.monday for w in weeks)
    last = max(w.sunday for w in weeks)
    return utc_range_of_local_days(first, last, person_zone(person))


async def notes_section(
    svc: Services, person: Person, weeks: Sequence[WeekFacts]
) -> PdfSection | None:
    """The notes to oneself written in those weeks, oldest first; None when there are none."""
    since, until = weeks_span(person, weeks)
    zone = person_zone(person)
    notes = [n for n in await svc.repo.list_notes(person.chat_id) if since <= n.created_at < until]
    if not notes:
        return None
    locale = locale_of(person)
    items = tuple(
        (
            svc.ui("notes.share_when", date=show_date(local_date_of(n.created_at, zone), locale)),
            n.text,
        )
        for n in reversed(notes)
    )
    return PdfSection(heading=svc.ui("notes.share_heading"), items=items)


async def therapy_section(
    svc: Services, person: Person, *, include_words: bool
) -> PdfSection | None:
    """The entries marked to talk about in therapy; None when there are none."""
    marked = await svc.repo.list_for_therapy(person.chat_id)
    if not marked:
        return None
    zone = person_zone(person)
    locale = locale_of(person)
    items = tuple(
        (
            svc.ui(
                "therapy.share_item",
                date=show_date(local_date_of(e.created_at, zone), locale),
                kind=svc.ui(f"journal.kind_{shown_kind(e)}"),
            ),
            (e.text or "") if include_words else "",
        )
        for e in marked
    )
    return PdfSection(
        heading=svc.ui("therapy.share_heading"), intro=svc.ui("therapy.share_intro"), items=items
    )

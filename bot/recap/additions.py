"""What a recap adds after its story, kept apart from the story's own wording (story.py).

After a hard week (``WeekFacts.is_hard``) with no words that read as a crisis, and not in the
day after a crisis or a check:

- a note the person once wrote to themselves (bot/kept_notes.py), quoted whole;
- for someone who said in /settings that they see a therapist, that their next session is a
  good place for this; for someone who would like to, how people usually find one (with a
  directory for their country where one is known). At most once a week; "not now" and no
  answer are respected with silence.

And after any week without words read as a crisis: how many people here had a hard moment (or
kept a small win) this week too (bot/shared_counts.py). Every addition is skipped where the
recap carries help lines instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.kept_notes import give_back
from bot.recap.story import WeekFacts
from bot.shared_counts import count_line
from storage.models import EntryKind, Person

if TYPE_CHECKING:
    from bot.services import Services

# A note quoted in a recap is chosen only if it leaves the recap room in one message.
NOTE_IN_RECAP_MAX_CHARS = 1000
# Therapy is mentioned at most this often.
THERAPY_LINE_EVERY = timedelta(days=7)


def wants_more(services: Services, person: Person, facts: WeekFacts) -> bool:
    """Whether this recap may carry additions: a hard week, with no crisis in it or today."""
    return facts.is_hard and not facts.crisis_moments and not person.is_tender(services.clock.now())


async def recap_additions(services: Services, person: Person, facts: WeekFacts) -> list[str]:
    """The blocks to add after the recap's story, in order (none for most weeks)."""
    blocks: list[str] = []
    if not facts.crisis_moments:
        company = await company_line(services, person, facts)
        if company is not None:
            blocks.append(company)
    if not wants_more(services, person, facts):
        return blocks
    note = await give_back(services, person.chat_id, max_length=NOTE_IN_RECAP_MAX_CHARS)
    if note is not None:
        blocks.append(note)
    therapy = await therapy_line(services, person)
    if therapy is not None:
        blocks.append(therapy)
    return blocks


async def company_line(services: Services, person: Person, facts: WeekFacts) -> str | None:
    """How many people here had a hard moment (or kept a small win) this week, as the person
    did: never after a week with words read as a crisis (the caller checks), never under 20."""
    if facts.setbacks:
        return await count_line(services, person, "counts.recap_setback", EntryKind.SETBACK)
    if facts.wins:
        return await count_line(services, person, "counts.recap_win", EntryKind.WIN)
    return None


async def therapy_line(services: Services, person: Person) -> str | None:
    """The one gentle line about therapy, recorded as said; None when it is not for now."""
    now = services.clock.now()
    if person.therapist not in ("yes", "would_like"):
        return None
    if person.therapy_said_at is not None and now - person.therapy_said_at < THERAPY_LINE_EVERY:
        return None
    ui = services.ui
    line = ui(f"therapy.recap_{person.therapist}")
    directory = ui.texts.get(f"therapy.directory.{person.country}") if person.country else None
    if person.therapist == "would_like" and directory:
        line = f"{line} {ui('therapy.recap_directory', url=directory)}"
    await services.repo.update_person(person.chat_id, therapy_said_at=now)
    return line

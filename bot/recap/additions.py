"""What a recap adds after its story, kept apart from the story's own wording (story.py).

After a hard week (``WeekFacts.is_hard``) with no words that read as a crisis, and not in the
day after a crisis or a check: a note the person once wrote to themselves (bot/kept_notes.py),
quoted whole. Every addition is skipped where the recap carries help lines instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kept_notes import give_back
from bot.recap.story import WeekFacts
from storage.models import Person

if TYPE_CHECKING:
    from bot.services import Services

# A note quoted in a recap is chosen only if it leaves the recap room in one message.
NOTE_IN_RECAP_MAX_CHARS = 1000


def wants_more(services: Services, person: Person, facts: WeekFacts) -> bool:
    """Whether this recap may carry additions: a hard week, with no crisis in it or today."""
    return facts.is_hard and not facts.crisis_moments and not person.is_tender(services.clock.now())


async def recap_additions(services: Services, person: Person, facts: WeekFacts) -> list[str]:
    """The blocks to add after the recap's story, in order (none for most weeks)."""
    if not wants_more(services, person, facts):
        return []
    blocks: list[str] = []
    note = await give_back(services, person.chat_id, max_length=NOTE_IN_RECAP_MAX_CHARS)
    if note is not None:
        blocks.append(note)
    return blocks

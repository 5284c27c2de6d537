"""Shared humanity without exposure: how many people here practised the same thing this week.

Counts, never comparisons: a number of people, from everyone's entries of the last seven days
(storage counts each person once, and never an entry whose words read as a crisis). Below
``MIN_PEOPLE`` nothing is said at all, so no count can point at anyone (k-anonymity). Nothing
ranks, and nothing sets the person against the number. Never said to someone who turned counts
off in /settings, nor in the day after a crisis or a check (handlers/tender.py): a count is
company, and on such a day only warm, plain words are.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from storage.models import EntryKind, Person

if TYPE_CHECKING:
    from bot.services import Services

MIN_PEOPLE = 20
COUNT_WINDOW = timedelta(days=7)


def may_show(count: int) -> bool:
    """Whether a count is large enough to say (below it, nothing is said)."""
    return count >= MIN_PEOPLE


async def count_line(
    svc: Services, person: Person | None, key: str, kind: EntryKind | None, tag: str | None = None
) -> str | None:
    """The line ``key`` with this week's count of people who kept ``kind`` (tagged ``tag``),
    or None when it is not to be said (see the module's rules)."""
    now = svc.clock.now()
    if person is None or not person.counts_enabled or person.is_tender(now):
        return None
    count = await svc.repo.count_people_with(kind, now - COUNT_WINDOW, tag=tag)
    return svc.ui(key, count=count) if may_show(count) else None

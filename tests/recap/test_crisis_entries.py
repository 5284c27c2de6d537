"""Words that read as a crisis are kept, but the recap never counts them as a win or a
connected moment (and so never celebrates them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.content.library import load_library
from bot.recap.story import week_facts
from storage.models import CRISIS_TAG, Entry, EntryKind

MONDAY = date(2026, 11, 23)


def entry(entry_id: int, kind: EntryKind, tags: list[str]) -> Entry:
    return Entry(
        id=entry_id,
        chat_id=1,
        kind=kind,
        created_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        text="words",
        tags=tags,
        rating=None,
        prompt_id=None,
        extra={},
    )


def test_a_crisis_flagged_entry_is_a_hard_moment_not_a_win() -> None:
    entries = [
        entry(1, EntryKind.WIN, ["reached_out", CRISIS_TAG]),
        entry(2, EntryKind.SOCIAL, ["heard:yes", "connected", CRISIS_TAG]),
        entry(3, EntryKind.WIN, ["listened"]),
    ]
    facts = week_facts(entries, [], ZoneInfo("Europe/Berlin"), MONDAY, load_library())
    assert facts.wins == 1
    assert dict(facts.wins_by_kind) == {"listened": 1}
    assert facts.setbacks == 2
    assert sum(d.connected for d in facts.days) == 0
    assert facts.practised_rung is None

"""The rule for giving a note back, on fixed notes: at most one a day, never the one given back
last (even when it is the only one), never words the crisis check answered, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.kept_notes import choose_note
from storage.models import Note

DAY = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def note(note_id: int, days_ago: int, **fields: object) -> Note:
    return Note(note_id, 1, f"words {note_id}", DAY - timedelta(days=days_ago), **fields)  # type: ignore[arg-type]


def test_the_oldest_note_never_given_back_comes_first() -> None:
    notes = [note(3, 1), note(2, 5), note(1, 9, given_back_at=DAY - timedelta(days=4))]
    assert choose_note(notes, DAY) == notes[1]


def test_at_most_one_a_day() -> None:
    notes = [note(1, 9), note(2, 5, given_back_at=DAY + timedelta(hours=1))]
    assert choose_note(notes, DAY) is None
    assert choose_note(notes, DAY + timedelta(days=1)) == notes[0]


def test_never_the_same_note_twice_in_a_row() -> None:
    only = note(1, 9, given_back_at=DAY - timedelta(days=3))
    assert choose_note([only], DAY) is None
    other = note(2, 1, given_back_at=DAY - timedelta(days=5))
    assert choose_note([only, other], DAY) == other


def test_never_words_the_crisis_check_answered() -> None:
    assert choose_note([note(1, 2, may_give_back=False)], DAY) is None


def test_a_note_too_long_for_its_place_is_left_for_another() -> None:
    long, short = note(1, 9), note(2, 1)
    long.text = "x" * 2000
    assert choose_note([long, short], DAY, max_length=1000) == short
    assert choose_note([long, short], DAY) == long

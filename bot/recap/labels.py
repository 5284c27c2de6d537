"""What an entry is, as a person reads it: one rule for /journal, /week, the weekly recap, its
picture and /share, so no two of them can disagree.

An entry keeps the kind of the flow it was written in (its raw kind, which /export keeps along
with its tags). Words that read as a crisis are kept tagged ``crisis_flagged`` whatever the flow
was: a crisis message typed inside /win is stored with kind WIN. Everywhere a person reads it,
such an entry is a hard moment: never a small win, a moment that felt connected or a reflection,
and never counted as one.
"""

from __future__ import annotations

from storage.models import CRISIS_TAG, Entry, EntryKind


def is_crisis_flagged(entry: Entry) -> bool:
    """Whether the entry's words read as a crisis when they were written."""
    return CRISIS_TAG in entry.tags


# /reflect's questions, in the order it asks them; the entry's tags carry the answers as
# "heard:yes", "interest:partly", "steady:no".
REFLECT_QUESTIONS = ("heard", "interest", "steady")
REFLECT_ANSWERS = ("yes", "partly", "no")


def reflect_answers(entry: Entry) -> tuple[tuple[str, str], ...]:
    """The /reflect answers an entry holds, as (question, answer) in the order asked: what a
    look back at time with someone says even when no note was added."""
    found: dict[str, str] = {}
    for tag in entry.tags:
        question, _, answer = tag.partition(":")
        if question in REFLECT_QUESTIONS and answer in REFLECT_ANSWERS:
            found.setdefault(question, answer)
    return tuple((q, found[q]) for q in REFLECT_QUESTIONS if q in found)


def shown_kind(entry: Entry) -> EntryKind:
    """The kind to name and count the entry as: its own kind, or a hard moment (SETBACK, whose
    words are "hard moment" in every content file) when its words read as a crisis."""
    return EntryKind.SETBACK if is_crisis_flagged(entry) else entry.kind

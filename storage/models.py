"""Records that cross the storage boundary.

Plain dataclasses so handlers and the scheduler never see rows or SQL. Every instant is an aware
``datetime`` in UTC; local times of day are ``datetime.time`` and zones are IANA names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

# An entry whose words read as a crisis: kept as the person wrote it, but never counted or
# celebrated as a win or a connected moment anywhere.
CRISIS_TAG = "crisis_flagged"


class EntryKind(StrEnum):
    REFLECTION = "reflection"
    WIN = "win"
    SETBACK = "setback"
    SOCIAL = "social"


# What a person may answer to "do you see a therapist?" in /settings.
THERAPIST_ANSWERS = ("yes", "not_now", "would_like")


class DeliveryKind(StrEnum):
    PROMPT = "prompt"
    PROMPT_AGAIN = "prompt_again"
    RECAP = "recap"


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


# ``quiet_until`` for "quiet until I turn them back on" (/settings): a far-future instant rather
# than a separate flag, so ``is_quiet`` and the scheduler need no special case. Any quiet_until at
# or after this means "indefinitely"; never add time to it (datetime.max is one day later).
QUIET_UNTIL_TURNED_BACK_ON = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(slots=True)
class Person:
    chat_id: int
    first_seen: datetime
    time_zone: str | None = None
    prompt_time: time | None = None
    prompt_frequency: str = "daily"
    prompts_enabled: bool = True
    recap_weekday: int = 6
    recap_time: time = time(18, 0)
    quiet_until: datetime | None = None
    country: str | None = None
    active: bool = True
    onboarded: bool = False
    next_prompt_at: datetime | None = None
    next_recap_at: datetime | None = None
    gentle_next: bool = False
    trusted_name: str | None = None
    trusted_contact: str | None = None
    routines_enabled: bool = False
    # Until this instant (the start of the person's next local day after a crisis message or
    # an "are you safe?" check) replies stay warm and neutral: no celebration, no reframe.
    # None: not tender. Set by handlers/tender.py.
    tender_until: datetime | None = None
    # Whether the person sees a therapist (THERAPIST_ANSWERS; None: not said), and when a recap
    # last spoke of therapy (at most once a week).
    therapist: str | None = None
    therapy_said_at: datetime | None = None
    # Whether replies may say how many people here practised the same thing this week.
    counts_enabled: bool = True
    # The locale dates and times are shown in (a babel locale such as "en_US"), kept from the
    # language of the person's Telegram (handlers/person_locale.py); None: the default locale.
    locale: str | None = None
    # Whether a sentence someone else on the path offered may come after a setback (opt-in).
    others_notes_enabled: bool = False

    def is_quiet(self, now: datetime) -> bool:
        return self.quiet_until is not None and now < self.quiet_until

    def is_tender(self, now: datetime) -> bool:
        """Whether replies to this person at ``now`` are to be warm and neutral only."""
        return self.tender_until is not None and now < self.tender_until


@dataclass(slots=True)
class NewEntry:
    chat_id: int
    kind: EntryKind
    created_at: datetime
    text: str | None = None
    tags: list[str] = field(default_factory=list)
    rating: int | None = None
    prompt_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The update that made this entry (``bot.inbox.update_key``): the same update handled again
    # after a crash gets the entry it made the first time instead of a second one.
    update_key: str | None = None


@dataclass(slots=True)
class Entry:
    id: int
    chat_id: int
    kind: EntryKind
    created_at: datetime
    text: str | None
    tags: list[str]
    rating: int | None
    prompt_id: str | None
    extra: dict[str, Any]
    # Marked "to talk about in therapy": /share opens with it.
    for_therapy: bool = False


@dataclass(slots=True)
class Note:
    """Words a person wrote to themselves, to be given back on a harder day."""

    id: int
    chat_id: int
    text: str
    created_at: datetime
    # The setback whose answer to the friend question this note keeps (None: written with /note).
    from_entry: int | None = None
    # False for words the crisis check was answering: kept and shown in /journal, never offered.
    may_give_back: bool = True
    given_back_at: datetime | None = None


class OfferStatus(StrEnum):
    """Where a sentence offered to others stands: waiting for an operator to read it, shared,
    not passed on, or taken back by its author (never shown again)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(slots=True)
class OfferedNote:
    """A sentence a person offered after a win, as its author sees it (/offered, /export).
    ``chat_id`` is the author: it never leaves the author's own chat."""

    id: int
    chat_id: int
    text: str
    status: OfferStatus
    offered_at: datetime
    reviewed_at: datetime | None = None
    # The win it was offered after (a win is offered once).
    from_entry: int | None = None


@dataclass(frozen=True, slots=True)
class SharedNote:
    """An offered sentence as an operator or a reader gets it: its words and its number, and
    nothing about who wrote it."""

    id: int
    text: str


@dataclass(frozen=True, slots=True)
class NoteReceived:
    """A sentence from someone else that a person was given: when, and its words while it is
    still shared (None once its author withdrew it)."""

    given_at: datetime
    text: str | None


@dataclass(slots=True)
class Delivery:
    id: int
    chat_id: int
    kind: DeliveryKind
    local_date: str
    status: DeliveryStatus
    claimed_at: datetime
    sent_at: datetime | None
    prompt_id: str | None
    message_id: int | None
    error: str | None
    # On a sent daily prompt: when "Later" asked for it once more (None when nothing is pending).
    again_at: datetime | None = None


class RoutineAnswer(StrEnum):
    """One part of the optional routines check: how it went today, or skipped."""

    OKAY = "okay"
    NOT_GREAT = "not_great"
    SKIPPED = "skipped"


# The parts of the routines check, in the order they are asked; also the column names.
ROUTINE_PARTS = ("sleep", "meals", "movement")


@dataclass(slots=True)
class RoutineCheck:
    """A person's routines check for one local date; a part is None until answered."""

    chat_id: int
    local_date: date
    created_at: datetime
    sleep: RoutineAnswer | None = None
    meals: RoutineAnswer | None = None
    movement: RoutineAnswer | None = None

    def answer(self, part: str) -> RoutineAnswer | None:
        if part not in ROUTINE_PARTS:
            raise ValueError(f"not a routines part: {part}")
        return getattr(self, part)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """One conversation's state to store, or with ``state_json`` None, to forget."""

    name: str
    key: str
    chat_id: int | None
    state_json: str | None


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """One per-user or per-chat JSON document to store, or with ``data_json`` None, to forget."""

    kind: str
    key: int
    data_json: str | None


@dataclass(frozen=True, slots=True)
class InboxUpdate:
    """One update from Telegram as it arrived: its id, its chat (None when it has none) and its
    JSON, kept until it is handled."""

    update_id: int
    chat_id: int | None
    payload: str


@dataclass(frozen=True, slots=True)
class Backlog:
    """Updates stored and not yet handled: how many, and when the oldest arrived."""

    count: int
    oldest_received_at: datetime | None

"""The storage interface every other layer talks to.

Handlers and the scheduler depend on :class:`Repository` only; SQLite (storage/sqlite.py) and
PostgreSQL (storage/postgres.py) implement it with the same semantics, which both are tested to
hold (tests/storage):

- instants are aware UTC datetimes, stored to the whole second (a fraction is dropped);
- local times of day are ``time`` (hours and minutes), calendar dates ``date`` (a delivery's
  ``local_date`` is its ISO text, ``YYYY-MM-DD``);
- texts a person wrote are kept up to ``MAX_STORED_TEXT_CHARS`` and sealed when a key is set;
- a delivery is claimed at most once (a unique row), whatever runs at the same time;
- each method is one transaction: it happens whole or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from storage.conversations import ConversationStore
from storage.inbox import Inbox
from storage.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Entry,
    EntryKind,
    NewEntry,
    Note,
    NoteReceived,
    OfferedNote,
    Person,
    RoutineAnswer,
    RoutineCheck,
    SharedNote,
)

# Fields of Person a caller may change; first_seen and chat_id never change.
PERSON_FIELDS = frozenset(
    {
        "time_zone",
        "prompt_time",
        "prompt_frequency",
        "prompts_enabled",
        "recap_weekday",
        "recap_time",
        "quiet_until",
        "country",
        "active",
        "onboarded",
        "next_prompt_at",
        "next_recap_at",
        "gentle_next",
        "trusted_name",
        "trusted_contact",
        "routines_enabled",
        "tender_until",
        "therapist",
        "therapy_said_at",
        "counts_enabled",
        "locale",
        "others_notes_enabled",
    }
)


class Repository(ABC):
    """Async data access for Kindling. All instants are aware UTC datetimes."""

    # -- lifecycle ---------------------------------------------------------------------------
    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None:
        """Release the connection; safe to call twice."""

    # -- people ------------------------------------------------------------------------------
    @abstractmethod
    async def get_person(self, chat_id: int) -> Person | None: ...

    @abstractmethod
    async def ensure_person(self, chat_id: int, now: datetime) -> Person:
        """Return the person, creating them on first contact; never resets existing settings."""

    @abstractmethod
    async def update_person(self, chat_id: int, **changes: Any) -> Person:
        """Change the named fields (see ``PERSON_FIELDS``) and return the stored person."""

    @abstractmethod
    async def keep_locale(self, chat_id: int, locale: str | None) -> bool:
        """Store the person's locale, writing only when it differs from the one stored.

        False (and nothing is created) when there is no such person."""

    @abstractmethod
    async def count_people(self) -> int: ...

    @abstractmethod
    async def due_people(self, kind: DeliveryKind, now: datetime, limit: int) -> list[Person]:
        """Active people whose next prompt (or recap) is at or before ``now``, oldest first."""

    @abstractmethod
    async def advance_due(
        self, chat_id: int, kind: DeliveryKind, handled: datetime, following: datetime | None
    ) -> bool:
        """Move the person's next prompt (or recap) from ``handled`` on to ``following``.

        Only if it still reads ``handled``: a schedule changed meanwhile (say in /settings) is
        newer than the scheduler's view and is kept. False when nothing changed.
        """

    @abstractmethod
    async def claim_and_advance(
        self,
        chat_id: int,
        kind: DeliveryKind,
        local_date: str,
        now: datetime,
        *,
        handled: datetime,
        following: datetime | None,
        prompt_id: str | None = None,
    ) -> bool:
        """``claim_delivery`` and ``advance_due`` in one transaction: the scheduler's decision
        about one due prompt (or recap), written at once. True if this call made the claim; the
        schedule moves on either way."""

    @abstractmethod
    async def delete_person(self, chat_id: int) -> None:
        """Erase every row about the person: entries, deliveries, conversation state, settings,
        and their updates in the inbox."""

    # -- entries -----------------------------------------------------------------------------
    @abstractmethod
    async def add_entry(self, entry: NewEntry) -> Entry:
        """Store an entry; with an ``update_key`` already stored for this chat (the same update
        handled again after a crash), the entry stored then, unchanged."""

    @abstractmethod
    async def get_entry(self, chat_id: int, entry_id: int) -> Entry | None:
        """The entry only if it belongs to ``chat_id``: entries are never shown to anyone else."""

    @abstractmethod
    async def list_entries(
        self,
        chat_id: int,
        *,
        limit: int = 50,
        offset: int = 0,
        kinds: Sequence[EntryKind] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        newest_first: bool = True,
    ) -> list[Entry]: ...

    @abstractmethod
    async def count_entries(self, chat_id: int) -> int: ...

    @abstractmethod
    async def delete_entry(self, chat_id: int, entry_id: int) -> bool:
        """Delete the person's own entry; False when there is no such entry of theirs."""

    @abstractmethod
    async def count_people_with(
        self, kind: EntryKind | None, since: datetime, *, tag: str | None = None
    ) -> int:
        """How many people kept an entry of ``kind`` (any kind when None), tagged ``tag`` when
        given, at or after ``since``; entries whose words read as a crisis never count."""

    @abstractmethod
    async def mark_for_therapy(self, chat_id: int, entry_id: int, marked: bool) -> bool:
        """Mark (or unmark) the person's own entry "to talk about in therapy"; False when
        there is no such entry of theirs."""

    @abstractmethod
    async def list_for_therapy(self, chat_id: int) -> list[Entry]:
        """The person's entries marked to talk about in therapy, oldest first."""

    # -- notes to oneself -------------------------------------------------------------------
    @abstractmethod
    async def add_note(
        self,
        chat_id: int,
        text: str,
        now: datetime,
        *,
        from_entry: int | None = None,
        may_give_back: bool = True,
        update_key: str | None = None,
    ) -> Note | None:
        """Keep a note; None (and nothing new) when the note of ``from_entry``, or the one
        written in the update ``update_key``, is kept already."""

    @abstractmethod
    async def list_notes(self, chat_id: int) -> list[Note]:
        """The person's notes, newest first."""

    @abstractmethod
    async def delete_note(self, chat_id: int, note_id: int) -> bool:
        """Delete the person's own note; False when there is no such note of theirs."""

    @abstractmethod
    async def mark_note_given_back(self, chat_id: int, note_id: int, now: datetime) -> bool:
        """Record that the person's note was shown to them again at ``now``."""

    # -- notes from others on the path ------------------------------------------------------
    # The author's chat id is kept only for the author's own use (their list, withdrawal,
    # export, erasure) and to never give anyone their own sentence: what an operator or a
    # reader gets is a ``SharedNote``, which has no field for it.
    @abstractmethod
    async def add_offered_note(
        self, chat_id: int, text: str, now: datetime, *, from_entry: int | None = None
    ) -> OfferedNote | None:
        """Keep an offered sentence, pending review; None (and nothing new) when the win
        ``from_entry`` was offered already."""

    @abstractmethod
    async def list_offered_notes(self, chat_id: int) -> list[OfferedNote]:
        """The sentences the person offered, newest first, whatever their status."""

    @abstractmethod
    async def withdraw_offered_note(self, chat_id: int, note_id: int) -> bool:
        """Take back the person's own pending or shared sentence; False when there is no such
        sentence of theirs still pending or shared."""

    @abstractmethod
    async def oldest_pending_note(self) -> SharedNote | None:
        """The sentence that has waited longest for review, or None."""

    @abstractmethod
    async def count_pending_notes(self) -> int: ...

    @abstractmethod
    async def review_offered_note(self, note_id: int, approved: bool, now: datetime) -> bool:
        """Approve or reject a pending sentence; False when it is no longer pending (reviewed
        by another operator, withdrawn, or erased)."""

    @abstractmethod
    async def take_note_from_others(
        self, chat_id: int, day_started: datetime, now: datetime
    ) -> SharedNote | None:
        """In one transaction: an approved sentence for the person, recorded as given at
        ``now``; None when they were given one at or after ``day_started`` or none is left.
        Never their own, never one they were given before; the one given least so far first,
        then the longest shared."""

    @abstractmethod
    async def list_notes_received(self, chat_id: int) -> list[NoteReceived]:
        """The sentences from others the person was given, oldest first."""

    # -- deliveries --------------------------------------------------------------------------
    @abstractmethod
    async def claim_delivery(
        self,
        chat_id: int,
        kind: DeliveryKind,
        local_date: str,
        now: datetime,
        prompt_id: str | None = None,
    ) -> bool:
        """Record that this nudge is being sent; False if it was already claimed (never twice)."""

    @abstractmethod
    async def finish_delivery(
        self,
        chat_id: int,
        kind: DeliveryKind,
        local_date: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None: ...

    @abstractmethod
    async def get_delivery(
        self, chat_id: int, kind: DeliveryKind, local_date: str
    ) -> Delivery | None: ...

    @abstractmethod
    async def list_deliveries(self, chat_id: int) -> list[Delivery]: ...

    @abstractmethod
    async def latest_sent_prompt(self, chat_id: int, since: datetime) -> Delivery | None:
        """The newest daily prompt (first or again) sent to the person at or after ``since``."""

    @abstractmethod
    async def recent_prompt_ids(self, chat_id: int, limit: int) -> list[str]:
        """Ids of the daily prompts most recently chosen for the person, newest first."""

    @abstractmethod
    async def schedule_prompt_again(self, chat_id: int, local_date: str, due_at: datetime) -> bool:
        """Ask for that date's sent prompt once more at ``due_at`` ("Later").

        False (and nothing changes) unless the prompt was sent, no re-send is pending and none
        was made or skipped for that date: a prompt comes back at most once.
        """

    @abstractmethod
    async def due_prompt_agains(self, now: datetime, limit: int) -> list[Delivery]:
        """Sent prompts whose re-send is due at or before ``now``, oldest first."""

    @abstractmethod
    async def clear_prompt_again(self, chat_id: int, local_date: str) -> None:
        """Forget a pending re-send of that date's prompt (sent, skipped, or no longer wanted)."""

    # -- routines check (optional: sleep, meals, movement) -----------------------------------
    @abstractmethod
    async def record_routine_answer(
        self, chat_id: int, local_date: date, part: str, answer: RoutineAnswer, now: datetime
    ) -> RoutineCheck:
        """Keep one part (see ``ROUTINE_PARTS``) of the day's check, creating the day's row if
        needed; answering a part again replaces the earlier answer."""

    @abstractmethod
    async def list_routine_checks(
        self, chat_id: int, first_day: date, last_day: date
    ) -> list[RoutineCheck]:
        """The person's checks for local dates from ``first_day`` to ``last_day`` inclusive."""

    # -- python-telegram-bot's own state ---------------------------------------------------
    @property
    @abstractmethod
    def conversations(self) -> ConversationStore:
        """The store behind the bot's persistence, on the same database (delete_person erases
        a person's rows there too)."""

    @property
    @abstractmethod
    def inbox(self) -> Inbox:
        """Updates stored before Telegram is told they arrived (storage/inbox.py)."""

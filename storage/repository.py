"""The storage interface every other layer talks to.

Handlers and the scheduler depend on :class:`Repository` only, so a PostgreSQL backend can be
added later by implementing this class, without touching them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Entry,
    EntryKind,
    NewEntry,
    Person,
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
    async def count_people(self) -> int: ...

    @abstractmethod
    async def due_people(self, kind: DeliveryKind, now: datetime, limit: int) -> list[Person]:
        """Active people whose next prompt (or recap) is at or before ``now``, oldest first."""

    @abstractmethod
    async def delete_person(self, chat_id: int) -> None:
        """Erase every row about the person: entries, deliveries, conversation state, settings."""

    # -- entries -----------------------------------------------------------------------------
    @abstractmethod
    async def add_entry(self, entry: NewEntry) -> Entry: ...

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

    # -- conversation state and bot persistence ----------------------------------------------
    @abstractmethod
    async def load_conversations(self, name: str) -> dict[str, tuple[int | None, str]]:
        """Stored conversation states of one handler: key -> (chat id, JSON state)."""

    @abstractmethod
    async def save_conversation(
        self, name: str, key: str, chat_id: int | None, state_json: str | None
    ) -> None:
        """Store (or with ``None``, forget) one conversation's state."""

    @abstractmethod
    async def load_blobs(self, kind: str) -> dict[int, str]:
        """Stored per-user or per-chat JSON documents of one kind."""

    @abstractmethod
    async def save_blob(self, kind: str, key: int, data_json: str | None) -> None: ...

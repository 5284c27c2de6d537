"""Records that cross the storage boundary.

Plain dataclasses so handlers and the scheduler never see rows or SQL. Every instant is an aware
``datetime`` in UTC; local times of day are ``datetime.time`` and zones are IANA names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any


class EntryKind(StrEnum):
    REFLECTION = "reflection"
    WIN = "win"
    SETBACK = "setback"
    SOCIAL = "social"


class DeliveryKind(StrEnum):
    PROMPT = "prompt"
    PROMPT_AGAIN = "prompt_again"
    RECAP = "recap"


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


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

    def is_quiet(self, now: datetime) -> bool:
        return self.quiet_until is not None and now < self.quiet_until


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

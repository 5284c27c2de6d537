"""The store behind python-telegram-bot's persistence: conversation states and per-chat drafts.

Kept apart from the domain :class:`storage.repository.Repository`: these are the library's own
documents (opaque JSON to storage), written in batches on the persistence timer, while the
repository holds what a person kept. Each backend implements both on the same database, so that
``Repository.delete_person`` erases a person's conversation state in the same transaction as the
rest of their data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from storage.models import StoredBlob, StoredConversation


class ConversationStore(ABC):
    @abstractmethod
    async def load_conversations(self, name: str) -> dict[str, tuple[int | None, str]]:
        """Stored conversation states of one handler: key -> (chat id, JSON state)."""

    @abstractmethod
    async def load_blobs(self, kind: str) -> dict[int, str]:
        """Stored per-user or per-chat JSON documents of one kind."""

    @abstractmethod
    async def load_blob(self, kind: str, key: int) -> str | None:
        """One person's (or chat's) stored JSON document of one kind; None when there is none."""

    @abstractmethod
    async def save_persisted(
        self,
        conversations: Sequence[StoredConversation],
        blobs: Sequence[StoredBlob],
        done: Sequence[tuple[int, int]] = (),
        done_at: datetime | None = None,
    ) -> None:
        """Store (or forget) many conversation states and documents in one transaction: all of
        them or, on an error, none. ``done`` names the inbox updates (bot id, update id) whose
        handling left exactly this state: they are marked done (at ``done_at``) in the same
        transaction, so a state never exists without its update being done, nor the reverse."""


# The rows of one flush, as each backend's statements take them.
Rows = list[tuple[Any, ...]]


def split_flush(
    conversations: Sequence[StoredConversation],
    blobs: Sequence[StoredBlob],
    seal: Callable[[str], str | None],
) -> tuple[Rows, Rows, Rows, Rows]:
    """One flush as four lists of rows: conversation states to forget (name, key) and to keep
    (name, key, chat id, state), documents to forget (kind, key) and to keep (kind, key,
    sealed data)."""
    gone_states: Rows = [(c.name, c.key) for c in conversations if c.state_json is None]
    states: Rows = [
        (c.name, c.key, c.chat_id, c.state_json) for c in conversations if c.state_json is not None
    ]
    gone_blobs: Rows = [(b.kind, b.key) for b in blobs if b.data_json is None]
    documents: Rows = [(b.kind, b.key, seal(b.data_json)) for b in blobs if b.data_json is not None]
    return gone_states, states, gone_blobs, documents

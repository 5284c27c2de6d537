"""python-telegram-bot's conversation states and drafts, in the same SQLite file as the rest.

It shares the repository's connection, lock and cipher (its private helpers: the two are one
unit), so there is one writer, and a person's drafts are sealed like their entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storage.conversations import ConversationStore, split_flush
from storage.models import StoredBlob, StoredConversation

if TYPE_CHECKING:
    from storage.sqlite import SqliteRepository


class SqliteConversationStore(ConversationStore):
    def __init__(self, repo: SqliteRepository) -> None:
        self.repo = repo

    async def load_conversations(self, name: str) -> dict[str, tuple[int | None, str]]:
        rows = await self.repo._fetchall(
            "SELECT key, chat_id, state FROM conversations WHERE name = ?", (name,)
        )
        return {key: (chat_id, state) for key, chat_id, state in rows}

    async def save_persisted(
        self,
        conversations: Sequence[StoredConversation],
        blobs: Sequence[StoredBlob],
        done: Sequence[tuple[int, int]] = (),
        done_at: datetime | None = None,
    ) -> None:
        # One transaction (one fsync) for a whole persistence flush, instead of one per
        # document and state: with many people active the flush otherwise holds the connection
        # for one commit per changed person, and their own saves wait behind it.
        if not conversations and not blobs and not done:
            return
        gone_states, states, gone_blobs, documents = split_flush(
            conversations, blobs, lambda data: self.repo._seal("bot_blobs.data", data)
        )
        async with self.repo._lock, self.repo._transaction() as db:
            if gone_states:
                await db.executemany(
                    "DELETE FROM conversations WHERE name = ? AND key = ?", gone_states
                )
            if states:
                await db.executemany(
                    "INSERT INTO conversations (name, key, chat_id, state) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (name, key) DO UPDATE SET "
                    "state = excluded.state, chat_id = excluded.chat_id",
                    states,
                )
            if gone_blobs:
                await db.executemany("DELETE FROM bot_blobs WHERE kind = ? AND key = ?", gone_blobs)
            if documents:
                await db.executemany(
                    "INSERT INTO bot_blobs (kind, key, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                    documents,
                )
            if done:
                at = int((done_at or datetime.now(UTC)).timestamp())
                await db.executemany(
                    "UPDATE inbox SET done_at = ?, payload = NULL, chat_id = NULL "
                    "WHERE bot_id = ? AND update_id = ?",
                    [(at, bot_id, update_id) for bot_id, update_id in done],
                )

    async def load_blobs(self, kind: str) -> dict[int, str]:
        rows = await self.repo._fetchall("SELECT key, data FROM bot_blobs WHERE kind = ?", (kind,))
        return {key: self.repo._unseal("bot_blobs.data", data) for key, data in rows}

    async def load_blob(self, kind: str, key: int) -> str | None:
        row = await self.repo._fetchone(
            "SELECT data FROM bot_blobs WHERE kind = ? AND key = ?", (kind, key)
        )
        return None if row is None else self.repo._unseal("bot_blobs.data", row[0])

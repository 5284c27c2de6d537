"""The durable inbox (storage/inbox.py) on PostgreSQL, on the repository's pool."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from storage.inbox import KEEP_DONE, Inbox
from storage.models import Backlog, InboxUpdate

if TYPE_CHECKING:
    from storage.postgres import PostgresRepository

PAYLOAD = "inbox.payload"


class PostgresInbox(Inbox):
    def __init__(self, repo: PostgresRepository) -> None:
        self.repo = repo

    async def add(self, bot_id: int, updates: Sequence[InboxUpdate], now: datetime) -> list[int]:
        if not updates:
            return []
        rows = await self.repo._fetchall(
            "INSERT INTO inbox (bot_id, update_id, chat_id, payload, received_at) "
            "SELECT %s, u, c, p, %s FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) "
            "AS batch (u, c, p) ON CONFLICT DO NOTHING RETURNING update_id",
            (
                bot_id,
                now,
                [u.update_id for u in updates],
                [u.chat_id for u in updates],
                [self.repo._seal(PAYLOAD, u.payload) for u in updates],
            ),
        )
        return sorted(row[0] for row in rows)

    async def pending(
        self, bot_id: int, after_update_id: int | None = None, limit: int = 1000
    ) -> list[InboxUpdate]:
        rows = await self.repo._fetchall(
            "SELECT update_id, chat_id, payload FROM inbox "
            "WHERE bot_id = %s AND done_at IS NULL AND update_id > %s "
            "ORDER BY update_id LIMIT %s",
            (bot_id, -1 if after_update_id is None else after_update_id, limit),
        )
        return [
            InboxUpdate(update_id, chat_id, self.repo._unseal(PAYLOAD, payload) or "")
            for update_id, chat_id, payload in rows
        ]

    async def backlog(self, bot_id: int) -> Backlog:
        count, oldest = await self.repo._fetchone(
            "SELECT count(*), min(received_at) FROM inbox WHERE bot_id = %s AND done_at IS NULL",
            (bot_id,),
        )
        return Backlog(count, oldest)

    async def prune(self, now: datetime) -> int:
        before = now - KEEP_DONE
        async with self.repo.transaction() as conn:
            # Done updates, and any left undone that long (see the SQLite inbox).
            cursor = await conn.execute(
                "DELETE FROM inbox WHERE coalesce(done_at, received_at) < %s", (before,)
            )
            await conn.execute(
                "UPDATE entries SET update_key = NULL "
                "WHERE update_key IS NOT NULL AND created_at < %s",
                (before,),
            )
            await conn.execute(
                "UPDATE notes SET update_key = NULL "
                "WHERE update_key IS NOT NULL AND created_at < %s",
                (before,),
            )
            return cursor.rowcount

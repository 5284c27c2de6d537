"""The durable inbox (storage/inbox.py) in the same SQLite file as the rest.

It shares the repository's connection, lock and cipher, like the conversation store: one writer,
and the payloads sealed like entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storage.inbox import KEEP_DONE, Inbox
from storage.models import Backlog, InboxUpdate

if TYPE_CHECKING:
    from storage.sqlite import SqliteRepository

PAYLOAD = "inbox.payload"


class SqliteInbox(Inbox):
    def __init__(self, repo: SqliteRepository) -> None:
        self.repo = repo

    async def add(self, bot_id: int, updates: Sequence[InboxUpdate], now: datetime) -> list[int]:
        if not updates:
            return []
        ids = [update.update_id for update in updates]
        marks = ", ".join("?" * len(ids))
        at = int(now.timestamp())
        async with self.repo._lock, self.repo._transaction() as db:
            async with db.execute(
                f"SELECT update_id FROM inbox WHERE bot_id = ? AND update_id IN ({marks})",
                (bot_id, *ids),
            ) as cursor:
                known = {row[0] for row in await cursor.fetchall()}
            new = [update for update in updates if update.update_id not in known]
            await db.executemany(
                "INSERT INTO inbox (bot_id, update_id, chat_id, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (bot_id, u.update_id, u.chat_id, self.repo._seal(PAYLOAD, u.payload), at)
                    for u in new
                ],
            )
        return sorted(update.update_id for update in new)

    async def pending(
        self, bot_id: int, after_update_id: int | None = None, limit: int = 1000
    ) -> list[InboxUpdate]:
        rows = await self.repo._fetchall(
            "SELECT update_id, chat_id, payload FROM inbox "
            "WHERE bot_id = ? AND done_at IS NULL AND update_id > ? "
            "ORDER BY update_id LIMIT ?",
            (bot_id, -1 if after_update_id is None else after_update_id, limit),
        )
        return [
            InboxUpdate(update_id, chat_id, self.repo._unseal(PAYLOAD, payload) or "")
            for update_id, chat_id, payload in rows
        ]

    async def backlog(self, bot_id: int) -> Backlog:
        count, oldest = await self.repo._fetchone(
            "SELECT count(*), min(received_at) FROM inbox WHERE bot_id = ? AND done_at IS NULL",
            (bot_id,),
        )
        return Backlog(count, None if oldest is None else datetime.fromtimestamp(oldest, UTC))

    async def prune(self, now: datetime) -> int:
        before = int((now - KEEP_DONE).timestamp())
        async with self.repo._lock, self.repo._transaction() as db:
            # Done updates, and any left undone that long (a bot token no longer used): a
            # week-old message is no longer one to answer, and its words must not linger.
            cursor = await db.execute(
                "DELETE FROM inbox WHERE coalesce(done_at, received_at) < ?", (before,)
            )
            forgotten = cursor.rowcount
            await cursor.close()
            await db.execute(
                "UPDATE entries SET update_key = NULL "
                "WHERE update_key IS NOT NULL AND created_at < ?",
                (before,),
            )
            await db.execute(
                "UPDATE notes SET update_key = NULL "
                "WHERE update_key IS NOT NULL AND created_at < ?",
                (before,),
            )
        return forgotten

"""SQLite implementation of :class:`storage.repository.Repository` on one aiosqlite connection.

The connection runs in autocommit mode; multi-statement changes take an explicit transaction.
One asyncio lock serialises access, because statements from two coroutines interleaved on one
connection would otherwise join each other's transactions.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import DatabaseUnreadableError, StorageError
from storage.migrate import migrate
from storage.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Entry,
    EntryKind,
    NewEntry,
    Person,
)
from storage.repository import PERSON_FIELDS, Repository

BUSY_TIMEOUT_MS = 5000

_PERSON_COLUMNS = (
    "chat_id, first_seen, time_zone, prompt_time, prompt_frequency, prompts_enabled, "
    "recap_weekday, recap_time, quiet_until, country, active, onboarded, next_prompt_at, "
    "next_recap_at, gentle_next, trusted_name, trusted_contact, routines_enabled"
)
_ENTRY_COLUMNS = "id, chat_id, kind, text, tags, rating, prompt_id, extra, created_at"
_DELIVERY_COLUMNS = (
    "id, chat_id, kind, local_date, status, claimed_at, sent_at, prompt_id, message_id, error"
)
_BOOL_FIELDS = frozenset(
    {"prompts_enabled", "active", "onboarded", "gentle_next", "routines_enabled"}
)
_INSTANT_FIELDS = frozenset({"quiet_until", "next_prompt_at", "next_recap_at"})
_TIME_FIELDS = frozenset({"prompt_time", "recap_time"})


def to_epoch(instant: datetime | None) -> int | None:
    if instant is None:
        return None
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return int(instant.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _time_to_text(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _text_to_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _encode_field(name: str, value: Any) -> Any:
    if name in _INSTANT_FIELDS:
        return to_epoch(value)
    if name in _TIME_FIELDS:
        return _time_to_text(value)
    if name in _BOOL_FIELDS:
        return int(bool(value))
    return value


def _person(row: sqlite3.Row | tuple[Any, ...]) -> Person:
    return Person(
        chat_id=row[0],
        first_seen=from_epoch(row[1]),  # type: ignore[arg-type]
        time_zone=row[2],
        prompt_time=_text_to_time(row[3]),
        prompt_frequency=row[4],
        prompts_enabled=bool(row[5]),
        recap_weekday=row[6],
        recap_time=_text_to_time(row[7]) or time(18, 0),
        quiet_until=from_epoch(row[8]),
        country=row[9],
        active=bool(row[10]),
        onboarded=bool(row[11]),
        next_prompt_at=from_epoch(row[12]),
        next_recap_at=from_epoch(row[13]),
        gentle_next=bool(row[14]),
        trusted_name=row[15],
        trusted_contact=row[16],
        routines_enabled=bool(row[17]),
    )


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> Entry:
    return Entry(
        id=row[0],
        chat_id=row[1],
        kind=EntryKind(row[2]),
        text=row[3],
        tags=json.loads(row[4]),
        rating=row[5],
        prompt_id=row[6],
        extra=json.loads(row[7]),
        created_at=from_epoch(row[8]),  # type: ignore[arg-type]
    )


def _delivery(row: sqlite3.Row | tuple[Any, ...]) -> Delivery:
    return Delivery(
        id=row[0],
        chat_id=row[1],
        kind=DeliveryKind(row[2]),
        local_date=row[3],
        status=DeliveryStatus(row[4]),
        claimed_at=from_epoch(row[5]),  # type: ignore[arg-type]
        sent_at=from_epoch(row[6]),
        prompt_id=row[7],
        message_id=row[8],
        error=row[9],
    )


class SqliteRepository(Repository):
    """Kindling's storage in one SQLite file (WAL, foreign keys, busy timeout)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        if self._db is not None:
            return
        if self.path.parent and not self.path.parent.exists():
            raise StorageError(f"the folder {self.path.parent} does not exist")
        db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                await db.execute("PRAGMA journal_mode = WAL")
            except sqlite3.DatabaseError as exc:
                raise DatabaseUnreadableError(
                    f"{self.path} is not a Kindling database or is damaged ({exc}); "
                    "it was left untouched"
                ) from exc
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA secure_delete = ON")
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StorageError("the database is not open")
        return self._db

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._lock, self.db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._lock, self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock, self.db.execute(sql, params) as cursor:
            return cursor.rowcount

    # -- people ------------------------------------------------------------------------------
    async def get_person(self, chat_id: int) -> Person | None:
        row = await self._fetchone(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE chat_id = ?", (chat_id,)
        )
        return _person(row) if row else None

    async def ensure_person(self, chat_id: int, now: datetime) -> Person:
        await self._write(
            "INSERT OR IGNORE INTO people (chat_id, first_seen) VALUES (?, ?)",
            (chat_id, to_epoch(now)),
        )
        person = await self.get_person(chat_id)
        assert person is not None
        return person

    async def update_person(self, chat_id: int, **changes: Any) -> Person:
        unknown = set(changes) - PERSON_FIELDS
        if unknown:
            raise ValueError(f"not a person field: {', '.join(sorted(unknown))}")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            values = [_encode_field(name, value) for name, value in changes.items()]
            await self._write(
                f"UPDATE people SET {assignments} WHERE chat_id = ?", (*values, chat_id)
            )
        person = await self.get_person(chat_id)
        if person is None:
            raise StorageError("no such person")
        return person

    async def count_people(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM people")
        return int(row[0])

    async def due_people(self, kind: DeliveryKind, now: datetime, limit: int) -> list[Person]:
        column = "next_recap_at" if kind is DeliveryKind.RECAP else "next_prompt_at"
        rows = await self._fetchall(
            f"SELECT {_PERSON_COLUMNS} FROM people "
            f"WHERE active = 1 AND {column} IS NOT NULL AND {column} <= ? "
            f"ORDER BY {column} LIMIT ?",
            (to_epoch(now), limit),
        )
        return [_person(row) for row in rows]

    async def delete_person(self, chat_id: int) -> None:
        async with self._lock:
            db = self.db
            await db.execute("BEGIN IMMEDIATE")
            try:
                await db.execute("DELETE FROM entries WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM deliveries WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM conversations WHERE chat_id = ?", (chat_id,))
                await db.execute(
                    "DELETE FROM bot_blobs WHERE kind IN ('user_data', 'chat_data') AND key = ?",
                    (chat_id,),
                )
                await db.execute("DELETE FROM people WHERE chat_id = ?", (chat_id,))
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            # Deleted pages are zeroed by secure_delete; checkpointing moves that into the main
            # file so the old text does not linger in the write-ahead log either.
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- entries -----------------------------------------------------------------------------
    async def add_entry(self, entry: NewEntry) -> Entry:
        async with (
            self._lock,
            self.db.execute(
                "INSERT INTO entries "
                "(chat_id, kind, text, tags, rating, prompt_id, extra, created_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_ENTRY_COLUMNS}",
                (
                    entry.chat_id,
                    str(entry.kind),
                    entry.text,
                    json.dumps(entry.tags, ensure_ascii=False),
                    entry.rating,
                    entry.prompt_id,
                    json.dumps(entry.extra, ensure_ascii=False),
                    to_epoch(entry.created_at),
                ),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return _entry(row)

    async def get_entry(self, chat_id: int, entry_id: int) -> Entry | None:
        row = await self._fetchone(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE id = ? AND chat_id = ?",
            (entry_id, chat_id),
        )
        return _entry(row) if row else None

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
    ) -> list[Entry]:
        where = ["chat_id = ?"]
        params: list[Any] = [chat_id]
        if kinds:
            where.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(str(k) for k in kinds)
        if since is not None:
            where.append("created_at >= ?")
            params.append(to_epoch(since))
        if until is not None:
            where.append("created_at < ?")
            params.append(to_epoch(until))
        order = "DESC" if newest_first else "ASC"
        rows = await self._fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE {' AND '.join(where)} "
            f"ORDER BY created_at {order}, id {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_entry(row) for row in rows]

    async def count_entries(self, chat_id: int) -> int:
        row = await self._fetchone("SELECT count(*) FROM entries WHERE chat_id = ?", (chat_id,))
        return int(row[0])

    async def delete_entry(self, chat_id: int, entry_id: int) -> bool:
        return (
            await self._write(
                "DELETE FROM entries WHERE id = ? AND chat_id = ?", (entry_id, chat_id)
            )
            == 1
        )

    # -- deliveries --------------------------------------------------------------------------
    async def claim_delivery(
        self,
        chat_id: int,
        kind: DeliveryKind,
        local_date: str,
        now: datetime,
        prompt_id: str | None = None,
    ) -> bool:
        inserted = await self._write(
            "INSERT OR IGNORE INTO deliveries (chat_id, kind, local_date, status, claimed_at, "
            "prompt_id) VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, str(kind), local_date, str(DeliveryStatus.CLAIMED), to_epoch(now), prompt_id),
        )
        return inserted == 1

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
    ) -> None:
        await self._write(
            "UPDATE deliveries SET status = ?, sent_at = ?, message_id = ?, error = ? "
            "WHERE chat_id = ? AND kind = ? AND local_date = ?",
            (
                str(status),
                to_epoch(now) if status is DeliveryStatus.SENT else None,
                message_id,
                error,
                chat_id,
                str(kind),
                local_date,
            ),
        )

    async def get_delivery(
        self, chat_id: int, kind: DeliveryKind, local_date: str
    ) -> Delivery | None:
        row = await self._fetchone(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
            "WHERE chat_id = ? AND kind = ? AND local_date = ?",
            (chat_id, str(kind), local_date),
        )
        return _delivery(row) if row else None

    async def list_deliveries(self, chat_id: int) -> list[Delivery]:
        rows = await self._fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE chat_id = ? ORDER BY id",
            (chat_id,),
        )
        return [_delivery(row) for row in rows]

    # -- conversation state and bot persistence ----------------------------------------------
    async def load_conversations(self, name: str) -> dict[str, tuple[int | None, str]]:
        rows = await self._fetchall(
            "SELECT key, chat_id, state FROM conversations WHERE name = ?", (name,)
        )
        return {key: (chat_id, state) for key, chat_id, state in rows}

    async def save_conversation(
        self, name: str, key: str, chat_id: int | None, state_json: str | None
    ) -> None:
        if state_json is None:
            await self._write("DELETE FROM conversations WHERE name = ? AND key = ?", (name, key))
        else:
            await self._write(
                "INSERT INTO conversations (name, key, chat_id, state) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state, "
                "chat_id = excluded.chat_id",
                (name, key, chat_id, state_json),
            )

    async def load_blobs(self, kind: str) -> dict[int, str]:
        rows = await self._fetchall("SELECT key, data FROM bot_blobs WHERE kind = ?", (kind,))
        return dict(rows)

    async def save_blob(self, kind: str, key: int, data_json: str | None) -> None:
        if data_json is None:
            await self._write("DELETE FROM bot_blobs WHERE kind = ? AND key = ?", (kind, key))
        else:
            await self._write(
                "INSERT INTO bot_blobs (kind, key, data) VALUES (?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                (kind, key, data_json),
            )

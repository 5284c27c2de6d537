"""PostgreSQL implementation of :class:`storage.repository.Repository`, with psycopg 3.

Each method takes a connection from a pool for one transaction (``pool.connection()`` commits
when its block ends and rolls back when it raises), so many people's saves run side by side
rather than behind one lock. The semantics are SQLite's, as storage/repository.py states them;
the conversion between records and columns is the only thing that differs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from storage.bounds import bound_extra, bound_text
from storage.conversations import ConversationStore, split_flush
from storage.crypto import (
    KEY_CHECK_META,
    PLAIN_TEXTS_UNDER_KEY,
    SEALED_COLUMNS,
    EncryptionKeyError,
    TextCipher,
    check_key,
)
from storage.errors import StorageError
from storage.inbox import Inbox
from storage.models import (
    CRISIS_TAG,
    ROUTINE_PARTS,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Entry,
    EntryKind,
    NewEntry,
    Note,
    NoteReceived,
    OfferedNote,
    OfferStatus,
    Person,
    RoutineAnswer,
    RoutineCheck,
    SharedNote,
    StoredBlob,
    StoredConversation,
)
from storage.postgres_inbox import PostgresInbox
from storage.postgres_migrate import migrate
from storage.priority import RESERVED_FOR_REPLIES, in_bulk_work
from storage.repository import PERSON_FIELDS, Repository
from storage.target import redact_url

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
# Enough for the bot's busiest moment (a persistence flush, the scheduler and replies at once)
# without holding many server processes for one Kindling.
POOL_MIN_SIZE = 2
POOL_MAX_SIZE = 10

_PERSON_COLUMNS = (
    "chat_id, first_seen, time_zone, prompt_time, prompt_frequency, prompts_enabled, "
    "recap_weekday, recap_time, quiet_until, country, active, onboarded, next_prompt_at, "
    "next_recap_at, gentle_next, trusted_name, trusted_contact, routines_enabled, tender_until, "
    "therapist, therapy_said_at, counts_enabled, locale, others_notes_enabled"
)
_ENTRY_COLUMNS = "id, chat_id, kind, text, tags, rating, prompt_id, extra, created_at, for_therapy"
_DELIVERY_COLUMNS = (
    "id, chat_id, kind, local_date, status, claimed_at, sent_at, prompt_id, message_id, error, "
    "again_at"
)
_NOTE_COLUMNS = "id, chat_id, text, created_at, from_entry, may_give_back, given_back_at"
_OFFERED_COLUMNS = "id, chat_id, text, status, offered_at, reviewed_at, from_entry"
_ROUTINE_COLUMNS = "chat_id, local_date, created_at, sleep, meals, movement"
_INSTANT_FIELDS = frozenset(
    {"quiet_until", "next_prompt_at", "next_recap_at", "tender_until", "therapy_said_at"}
)
_TIME_FIELDS = frozenset({"prompt_time", "recap_time"})
_PERSON_TEXT_FIELDS = frozenset({"trusted_name", "trusted_contact"})


def to_instant(value: datetime | None) -> datetime | None:
    """An aware UTC instant to the whole second, as SQLite keeps it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return datetime.fromtimestamp(int(value.timestamp()), UTC)


def from_instant(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _minutes(value: time | None) -> time | None:
    # SQLite keeps 'HH:MM': seconds are not part of a time of day here either.
    return None if value is None else time(value.hour, value.minute)


def _encode_field(name: str, value: Any) -> Any:
    if name in _INSTANT_FIELDS:
        return to_instant(value)
    if name in _TIME_FIELDS:
        return _minutes(value)
    return value


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(
        id=row[0],
        chat_id=row[1],
        kind=DeliveryKind(row[2]),
        local_date=row[3].isoformat(),
        status=DeliveryStatus(row[4]),
        claimed_at=from_instant(row[5]),  # type: ignore[arg-type]
        sent_at=from_instant(row[6]),
        prompt_id=row[7],
        message_id=row[8],
        error=row[9],
        again_at=from_instant(row[10]),
    )


def _routine_check(row: Sequence[Any]) -> RoutineCheck:
    return RoutineCheck(
        chat_id=row[0],
        local_date=row[1],
        created_at=from_instant(row[2]),  # type: ignore[arg-type]
        sleep=RoutineAnswer(row[3]) if row[3] else None,
        meals=RoutineAnswer(row[4]) if row[4] else None,
        movement=RoutineAnswer(row[5]) if row[5] else None,
    )


def _date(local_date: str) -> date:
    return date.fromisoformat(local_date)


def connection_problem(conninfo: str, error: Exception) -> StorageError:
    """One line for an operator: which server, what went wrong, never the password."""
    reason = " ".join(str(error).split()) or type(error).__name__
    password = _password(conninfo)
    if password:
        # libpq names hosts and users, not passwords; this is only a guard.
        reason = reason.replace(password, "***")
    return StorageError(
        f"could not use the PostgreSQL database at {redact_url(conninfo)} ({reason[:200]}); "
        "check DATABASE_URL (host, port, user, password and database name) and that the "
        "server is running"
    )


def _password(conninfo: str) -> str | None:
    try:
        return urlsplit(conninfo).password
    except ValueError:
        return None


def _tag_pattern(tag: str) -> str:
    """A LIKE pattern that finds ``tag`` in a stored JSON list of tags."""
    escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


class PostgresRepository(Repository):
    """Kindling's storage on a PostgreSQL server, through a pool of connections."""

    def __init__(
        self,
        conninfo: str,
        cipher: TextCipher | None = None,
        *,
        min_size: int = POOL_MIN_SIZE,
        max_size: int = POOL_MAX_SIZE,
    ) -> None:
        self.conninfo = conninfo
        self.cipher = cipher
        self._min_size = min_size
        self._max_size = max_size
        self._pool: AsyncConnectionPool | None = None
        # Bulk work (the scheduler's) leaves connections free for replies (storage/priority.py).
        self._bulk_slots = asyncio.Semaphore(max(1, max_size - RESERVED_FOR_REPLIES))
        self._conversations = PostgresConversationStore(self)
        self._inbox = PostgresInbox(self)

    # -- lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        if self._pool is not None:
            return
        # One connection first: a wrong URL or password fails here with the server's reason,
        # where a pool would only time out.
        try:
            conn = await AsyncConnection.connect(
                self.conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
        except psycopg.Error as exc:
            raise connection_problem(self.conninfo, exc) from None
        try:
            async with conn:
                await self._prepare(conn)
        except psycopg.Error as exc:
            raise connection_problem(self.conninfo, exc) from None
        pool = AsyncConnectionPool(
            self.conninfo,
            min_size=self._min_size,
            max_size=self._max_size,
            kwargs={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            open=False,
        )
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
        self._pool = pool

    async def _prepare(self, conn: AsyncConnection) -> None:
        """The key is checked before anything is written, migrations included."""
        check_key(await stored_key_check(conn), self.cipher)
        await migrate(conn)
        if self.cipher is None:
            return
        async with conn.transaction():
            if await stored_key_check(conn) is not None:
                return
            if await _holds_person_texts(conn):
                raise EncryptionKeyError(PLAIN_TEXTS_UNDER_KEY)
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s)",
                (KEY_CHECK_META, self.cipher.key_check()),
            )

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @property
    def pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise StorageError("the database is not open")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection from the pool for one transaction."""
        if not in_bulk_work():
            async with self.pool.connection() as conn:
                yield conn
            return
        async with self._bulk_slots, self.pool.connection() as conn:
            yield conn

    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self.transaction() as conn:
            return await (await conn.execute(sql.encode(), params)).fetchone()

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self.transaction() as conn:
            return list(await (await conn.execute(sql.encode(), params)).fetchall())

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self.transaction() as conn:
            return (await conn.execute(sql.encode(), params)).rowcount

    # -- people's own words: bounded, and sealed when a key is set ---------------------------
    def _seal(self, field: str, value: str | None) -> str | None:
        if value is None or self.cipher is None:
            return value
        return self.cipher.seal(field, value)

    def _unseal(self, field: str, value: str | None) -> str | None:
        if value is None or self.cipher is None:
            return value
        return self.cipher.unseal(field, value)

    def _person_from(self, row: Sequence[Any]) -> Person:
        return Person(
            chat_id=row[0],
            first_seen=from_instant(row[1]),  # type: ignore[arg-type]
            time_zone=row[2],
            prompt_time=row[3],
            prompt_frequency=row[4],
            prompts_enabled=row[5],
            recap_weekday=row[6],
            recap_time=row[7] or time(18, 0),
            quiet_until=from_instant(row[8]),
            country=row[9],
            active=row[10],
            onboarded=row[11],
            next_prompt_at=from_instant(row[12]),
            next_recap_at=from_instant(row[13]),
            gentle_next=row[14],
            trusted_name=self._unseal("people.trusted_name", row[15]),
            trusted_contact=self._unseal("people.trusted_contact", row[16]),
            routines_enabled=row[17],
            tender_until=from_instant(row[18]),
            therapist=row[19],
            therapy_said_at=from_instant(row[20]),
            counts_enabled=row[21],
            locale=row[22],
            others_notes_enabled=row[23],
        )

    def _entry_from(self, row: Sequence[Any]) -> Entry:
        return Entry(
            id=row[0],
            chat_id=row[1],
            kind=EntryKind(row[2]),
            text=self._unseal("entries.text", row[3]),
            tags=json.loads(row[4]),
            rating=row[5],
            prompt_id=row[6],
            extra=json.loads(self._unseal("entries.extra", row[7]) or "{}"),
            created_at=from_instant(row[8]),  # type: ignore[arg-type]
            for_therapy=row[9],
        )

    # -- people ------------------------------------------------------------------------------
    async def get_person(self, chat_id: int) -> Person | None:
        row = await self._fetchone(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE chat_id = %s", (chat_id,)
        )
        return self._person_from(row) if row else None

    async def ensure_person(self, chat_id: int, now: datetime) -> Person:
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO people (chat_id, first_seen) VALUES (%s, %s) "
                "ON CONFLICT (chat_id) DO NOTHING",
                (chat_id, to_instant(now)),
            )
            row = await (
                await conn.execute(
                    f"SELECT {_PERSON_COLUMNS} FROM people WHERE chat_id = %s".encode(), (chat_id,)
                )
            ).fetchone()
        assert row is not None
        return self._person_from(row)

    async def update_person(self, chat_id: int, **changes: Any) -> Person:
        unknown = set(changes) - PERSON_FIELDS
        if unknown:
            raise ValueError(f"not a person field: {', '.join(sorted(unknown))}")
        if not changes:
            person = await self.get_person(chat_id)
        else:
            # Column names come from PERSON_FIELDS only, never from a caller's text.
            assignments = ", ".join(f"{name} = %s" for name in changes)
            values = [
                self._seal(f"people.{name}", bound_text(value))
                if name in _PERSON_TEXT_FIELDS
                else _encode_field(name, value)
                for name, value in changes.items()
            ]
            row = await self._fetchone(
                f"UPDATE people SET {assignments} WHERE chat_id = %s RETURNING {_PERSON_COLUMNS}",
                (*values, chat_id),
            )
            person = self._person_from(row) if row else None
        if person is None:
            raise StorageError("no such person")
        return person

    async def keep_locale(self, chat_id: int, locale: str | None) -> bool:
        row = await self._fetchone("SELECT locale FROM people WHERE chat_id = %s", (chat_id,))
        if row is None:
            return False
        if row[0] != locale:
            await self._write("UPDATE people SET locale = %s WHERE chat_id = %s", (locale, chat_id))
        return True

    async def count_people(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM people")
        return int(row[0])

    async def due_people(self, kind: DeliveryKind, now: datetime, limit: int) -> list[Person]:
        column = "next_recap_at" if kind is DeliveryKind.RECAP else "next_prompt_at"
        # A plain read: a lock taken here would end with this read's own transaction. The row
        # is locked where it is decided on, in claim_and_advance.
        rows = await self._fetchall(
            f"SELECT {_PERSON_COLUMNS} FROM people "
            f"WHERE active AND {column} IS NOT NULL AND {column} <= %s "
            f"ORDER BY {column} LIMIT %s",
            (to_instant(now), limit),
        )
        return [self._person_from(row) for row in rows]

    async def advance_due(
        self, chat_id: int, kind: DeliveryKind, handled: datetime, following: datetime | None
    ) -> bool:
        column = "next_recap_at" if kind is DeliveryKind.RECAP else "next_prompt_at"
        changed = await self._write(
            f"UPDATE people SET {column} = %s WHERE chat_id = %s AND {column} = %s",
            (to_instant(following), chat_id, to_instant(handled)),
        )
        return changed == 1

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
        column = "next_recap_at" if kind is DeliveryKind.RECAP else "next_prompt_at"
        async with self.transaction() as conn:
            # The due row, locked for this decision; SKIP LOCKED: a row another Kindling (or
            # another tick) is deciding on right now is left to it, and still due if it gives up.
            # NO KEY UPDATE, as the UPDATE below takes: a plain FOR UPDATE would also block the
            # foreign-key check of another claim's delivery row, and the two would deadlock.
            cursor = await conn.execute(
                f"SELECT 1 FROM people WHERE chat_id = %s AND {column} = %s "
                "FOR NO KEY UPDATE SKIP LOCKED".encode(),
                (chat_id, to_instant(handled)),
            )
            if await cursor.fetchone() is None:
                # Decided elsewhere, or moved meanwhile (a change in /settings): the claim
                # alone keeps the nudge once-only.
                return await _claim(conn, chat_id, kind, local_date, now, prompt_id)
            claimed = await _claim(conn, chat_id, kind, local_date, now, prompt_id)
            await conn.execute(
                f"UPDATE people SET {column} = %s WHERE chat_id = %s AND {column} = %s".encode(),
                (to_instant(following), chat_id, to_instant(handled)),
            )
        return claimed

    async def delete_person(self, chat_id: int) -> None:
        async with self.transaction() as conn:
            # Their own offered sentences (and every record of giving them to others), and the
            # record of which sentences they were given.
            await conn.execute(
                "DELETE FROM offered_notes_given WHERE chat_id = %s OR note_id IN "
                "(SELECT id FROM offered_notes WHERE chat_id = %s)",
                (chat_id, chat_id),
            )
            for table in (
                "entries",
                "notes",
                "offered_notes",
                "deliveries",
                "routines",
                "conversations",
                "inbox",
            ):
                await conn.execute(f"DELETE FROM {table} WHERE chat_id = %s".encode(), (chat_id,))
            await conn.execute(
                "DELETE FROM bot_blobs WHERE kind IN ('user_data', 'chat_data') AND key = %s",
                (chat_id,),
            )
            await conn.execute("DELETE FROM people WHERE chat_id = %s", (chat_id,))

    # -- entries -----------------------------------------------------------------------------
    async def add_entry(self, entry: NewEntry) -> Entry:
        async with self.transaction() as conn:
            row = await (
                await conn.execute(
                    "INSERT INTO entries (chat_id, kind, text, tags, rating, prompt_id, extra, "
                    "created_at, update_key) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    f"ON CONFLICT (update_key) DO NOTHING RETURNING {_ENTRY_COLUMNS}".encode(),
                    (
                        entry.chat_id,
                        str(entry.kind),
                        self._seal("entries.text", bound_text(entry.text)),
                        json.dumps(entry.tags, ensure_ascii=False),
                        entry.rating,
                        entry.prompt_id,
                        self._seal(
                            "entries.extra",
                            json.dumps(bound_extra(entry.extra), ensure_ascii=False),
                        ),
                        to_instant(entry.created_at),
                        entry.update_key,
                    ),
                )
            ).fetchone()
            if row is None:
                # The same update handled again after a crash: the entry it made the first time.
                row = await (
                    await conn.execute(
                        f"SELECT {_ENTRY_COLUMNS} FROM entries "
                        "WHERE update_key = %s AND chat_id = %s".encode(),
                        (entry.update_key, entry.chat_id),
                    )
                ).fetchone()
        if row is None:
            raise StorageError("an entry's update key belongs to another chat")
        return self._entry_from(row)

    async def get_entry(self, chat_id: int, entry_id: int) -> Entry | None:
        row = await self._fetchone(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE id = %s AND chat_id = %s",
            (entry_id, chat_id),
        )
        return self._entry_from(row) if row else None

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
        where = ["chat_id = %s"]
        params: list[Any] = [chat_id]
        if kinds:
            where.append("kind = ANY(%s)")
            params.append([str(k) for k in kinds])
        if since is not None:
            where.append("created_at >= %s")
            params.append(to_instant(since))
        if until is not None:
            where.append("created_at < %s")
            params.append(to_instant(until))
        order = "DESC" if newest_first else "ASC"
        rows = await self._fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE {' AND '.join(where)} "
            f"ORDER BY created_at {order}, id {order} LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        return [self._entry_from(row) for row in rows]

    async def count_entries(self, chat_id: int) -> int:
        row = await self._fetchone("SELECT count(*) FROM entries WHERE chat_id = %s", (chat_id,))
        return int(row[0])

    async def delete_entry(self, chat_id: int, entry_id: int) -> bool:
        deleted = await self._write(
            "DELETE FROM entries WHERE id = %s AND chat_id = %s", (entry_id, chat_id)
        )
        return deleted == 1

    async def count_people_with(
        self, kind: EntryKind | None, since: datetime, *, tag: str | None = None
    ) -> int:
        # Tags are kept as a JSON list of ids: a tag matches as its quoted id, with LIKE's own
        # wildcards in it escaped. Words read as a crisis carry CRISIS_TAG and never count.
        where = ["created_at >= %s", "tags NOT LIKE %s ESCAPE '\\'"]
        params: list[Any] = [to_instant(since), _tag_pattern(CRISIS_TAG)]
        if kind is not None:
            where.append("kind = %s")
            params.append(str(kind))
        if tag is not None:
            where.append("tags LIKE %s ESCAPE '\\'")
            params.append(_tag_pattern(tag))
        row = await self._fetchone(
            f"SELECT count(DISTINCT chat_id) FROM entries WHERE {' AND '.join(where)}", params
        )
        return int(row[0])

    async def mark_for_therapy(self, chat_id: int, entry_id: int, marked: bool) -> bool:
        changed = await self._write(
            "UPDATE entries SET for_therapy = %s WHERE id = %s AND chat_id = %s",
            (marked, entry_id, chat_id),
        )
        return changed == 1

    async def list_for_therapy(self, chat_id: int) -> list[Entry]:
        rows = await self._fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE chat_id = %s AND for_therapy "
            "ORDER BY created_at, id",
            (chat_id,),
        )
        return [self._entry_from(row) for row in rows]

    # -- notes to oneself -------------------------------------------------------------------
    def _note_from(self, row: Sequence[Any]) -> Note:
        return Note(
            id=row[0],
            chat_id=row[1],
            text=self._unseal("notes.text", row[2]) or "",
            created_at=from_instant(row[3]),  # type: ignore[arg-type]
            from_entry=row[4],
            may_give_back=row[5],
            given_back_at=from_instant(row[6]),
        )

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
        row = await self._fetchone(
            "INSERT INTO notes (chat_id, text, created_at, from_entry, may_give_back, update_key) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING "
            f"RETURNING {_NOTE_COLUMNS}",
            (
                chat_id,
                self._seal("notes.text", bound_text(text)),
                to_instant(now),
                from_entry,
                may_give_back,
                update_key,
            ),
        )
        return self._note_from(row) if row else None

    async def list_notes(self, chat_id: int) -> list[Note]:
        rows = await self._fetchall(
            f"SELECT {_NOTE_COLUMNS} FROM notes WHERE chat_id = %s "
            "ORDER BY created_at DESC, id DESC",
            (chat_id,),
        )
        return [self._note_from(row) for row in rows]

    async def delete_note(self, chat_id: int, note_id: int) -> bool:
        deleted = await self._write(
            "DELETE FROM notes WHERE id = %s AND chat_id = %s", (note_id, chat_id)
        )
        return deleted == 1

    async def mark_note_given_back(self, chat_id: int, note_id: int, now: datetime) -> bool:
        changed = await self._write(
            "UPDATE notes SET given_back_at = %s WHERE id = %s AND chat_id = %s",
            (to_instant(now), note_id, chat_id),
        )
        return changed == 1

    # -- notes from others on the path ------------------------------------------------------
    def _offered_from(self, row: Sequence[Any]) -> OfferedNote:
        return OfferedNote(
            id=row[0],
            chat_id=row[1],
            text=self._unseal("offered_notes.text", row[2]) or "",
            status=OfferStatus(row[3]),
            offered_at=from_instant(row[4]),  # type: ignore[arg-type]
            reviewed_at=from_instant(row[5]),
            from_entry=row[6],
        )

    def _shared_from(self, row: Sequence[Any]) -> SharedNote:
        return SharedNote(id=row[0], text=self._unseal("offered_notes.text", row[1]) or "")

    async def add_offered_note(
        self, chat_id: int, text: str, now: datetime, *, from_entry: int | None = None
    ) -> OfferedNote | None:
        row = await self._fetchone(
            "INSERT INTO offered_notes (chat_id, text, status, offered_at, from_entry) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (from_entry) DO NOTHING "
            f"RETURNING {_OFFERED_COLUMNS}",
            (
                chat_id,
                self._seal("offered_notes.text", bound_text(text)),
                str(OfferStatus.PENDING),
                to_instant(now),
                from_entry,
            ),
        )
        return self._offered_from(row) if row else None

    async def list_offered_notes(self, chat_id: int) -> list[OfferedNote]:
        rows = await self._fetchall(
            f"SELECT {_OFFERED_COLUMNS} FROM offered_notes WHERE chat_id = %s "
            "ORDER BY offered_at DESC, id DESC",
            (chat_id,),
        )
        return [self._offered_from(row) for row in rows]

    async def withdraw_offered_note(self, chat_id: int, note_id: int) -> bool:
        changed = await self._write(
            "UPDATE offered_notes SET status = %s "
            "WHERE id = %s AND chat_id = %s AND status IN (%s, %s)",
            (
                str(OfferStatus.WITHDRAWN),
                note_id,
                chat_id,
                str(OfferStatus.PENDING),
                str(OfferStatus.APPROVED),
            ),
        )
        return changed == 1

    async def oldest_pending_note(self) -> SharedNote | None:
        row = await self._fetchone(
            "SELECT id, text FROM offered_notes WHERE status = %s ORDER BY offered_at, id LIMIT 1",
            (str(OfferStatus.PENDING),),
        )
        return self._shared_from(row) if row else None

    async def count_pending_notes(self) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM offered_notes WHERE status = %s", (str(OfferStatus.PENDING),)
        )
        return int(row[0])

    async def review_offered_note(self, note_id: int, approved: bool, now: datetime) -> bool:
        status = OfferStatus.APPROVED if approved else OfferStatus.REJECTED
        changed = await self._write(
            "UPDATE offered_notes SET status = %s, reviewed_at = %s WHERE id = %s AND status = %s",
            (str(status), to_instant(now), note_id, str(OfferStatus.PENDING)),
        )
        return changed == 1

    async def take_note_from_others(
        self, chat_id: int, day_started: datetime, now: datetime
    ) -> SharedNote | None:
        async with self.transaction() as conn:
            # Two setbacks of one person at once give one sentence between them, not two.
            await conn.execute("SELECT 1 FROM people WHERE chat_id = %s FOR UPDATE", (chat_id,))
            given = await (
                await conn.execute(
                    "SELECT 1 FROM offered_notes_given WHERE chat_id = %s AND given_at >= %s "
                    "LIMIT 1",
                    (chat_id, to_instant(day_started)),
                )
            ).fetchone()
            if given is not None:
                return None
            row = await (
                await conn.execute(
                    "SELECT n.id, n.text FROM offered_notes n "
                    "WHERE n.status = %s AND n.chat_id <> %s "
                    "AND NOT EXISTS (SELECT 1 FROM offered_notes_given g "
                    "WHERE g.chat_id = %s AND g.note_id = n.id) "
                    "ORDER BY (SELECT count(*) FROM offered_notes_given g "
                    "WHERE g.note_id = n.id), n.reviewed_at, n.id LIMIT 1",
                    (str(OfferStatus.APPROVED), chat_id, chat_id),
                )
            ).fetchone()
            if row is None:
                return None
            await conn.execute(
                "INSERT INTO offered_notes_given (chat_id, note_id, given_at) VALUES (%s, %s, %s)",
                (chat_id, row[0], to_instant(now)),
            )
        return self._shared_from(row)

    async def list_notes_received(self, chat_id: int) -> list[NoteReceived]:
        rows = await self._fetchall(
            "SELECT g.given_at, CASE WHEN n.status = %s THEN n.text END "
            "FROM offered_notes_given g JOIN offered_notes n ON n.id = g.note_id "
            "WHERE g.chat_id = %s ORDER BY g.given_at, g.note_id",
            (str(OfferStatus.APPROVED), chat_id),
        )
        return [
            NoteReceived(
                given_at=from_instant(row[0]),  # type: ignore[arg-type]
                text=self._unseal("offered_notes.text", row[1]),
            )
            for row in rows
        ]

    # -- deliveries --------------------------------------------------------------------------
    async def claim_delivery(
        self,
        chat_id: int,
        kind: DeliveryKind,
        local_date: str,
        now: datetime,
        prompt_id: str | None = None,
    ) -> bool:
        async with self.transaction() as conn:
            return await _claim(conn, chat_id, kind, local_date, now, prompt_id)

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
            "UPDATE deliveries SET status = %s, sent_at = %s, message_id = %s, error = %s "
            "WHERE chat_id = %s AND kind = %s AND local_date = %s",
            (
                str(status),
                to_instant(now) if status is DeliveryStatus.SENT else None,
                message_id,
                error,
                chat_id,
                str(kind),
                _date(local_date),
            ),
        )

    async def get_delivery(
        self, chat_id: int, kind: DeliveryKind, local_date: str
    ) -> Delivery | None:
        row = await self._fetchone(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
            "WHERE chat_id = %s AND kind = %s AND local_date = %s",
            (chat_id, str(kind), _date(local_date)),
        )
        return _delivery(row) if row else None

    async def list_deliveries(self, chat_id: int) -> list[Delivery]:
        rows = await self._fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE chat_id = %s ORDER BY id",
            (chat_id,),
        )
        return [_delivery(row) for row in rows]

    async def latest_sent_prompt(self, chat_id: int, since: datetime) -> Delivery | None:
        row = await self._fetchone(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
            "WHERE chat_id = %s AND kind IN (%s, %s) AND status = %s AND sent_at >= %s "
            "ORDER BY sent_at DESC, id DESC LIMIT 1",
            (
                chat_id,
                str(DeliveryKind.PROMPT),
                str(DeliveryKind.PROMPT_AGAIN),
                str(DeliveryStatus.SENT),
                to_instant(since),
            ),
        )
        return _delivery(row) if row else None

    async def recent_prompt_ids(self, chat_id: int, limit: int) -> list[str]:
        rows = await self._fetchall(
            "SELECT prompt_id FROM deliveries "
            "WHERE chat_id = %s AND kind = %s AND prompt_id IS NOT NULL "
            "ORDER BY local_date DESC LIMIT %s",
            (chat_id, str(DeliveryKind.PROMPT), limit),
        )
        return [row[0] for row in rows]

    async def schedule_prompt_again(self, chat_id: int, local_date: str, due_at: datetime) -> bool:
        # One statement, so two quick presses of "Later" cannot both schedule a re-send (the
        # row lock of the first makes the second re-read again_at, which is set by then).
        changed = await self._write(
            "UPDATE deliveries SET again_at = %s "
            "WHERE chat_id = %s AND kind = %s AND local_date = %s AND status = %s "
            "AND again_at IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries "
            "WHERE chat_id = %s AND kind = %s AND local_date = %s)",
            (
                to_instant(due_at),
                chat_id,
                str(DeliveryKind.PROMPT),
                _date(local_date),
                str(DeliveryStatus.SENT),
                chat_id,
                str(DeliveryKind.PROMPT_AGAIN),
                _date(local_date),
            ),
        )
        return changed == 1

    async def due_prompt_agains(self, now: datetime, limit: int) -> list[Delivery]:
        rows = await self._fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
            "WHERE again_at IS NOT NULL AND again_at <= %s ORDER BY again_at LIMIT %s",
            (to_instant(now), limit),
        )
        return [_delivery(row) for row in rows]

    async def clear_prompt_again(self, chat_id: int, local_date: str) -> None:
        await self._write(
            "UPDATE deliveries SET again_at = NULL "
            "WHERE chat_id = %s AND kind = %s AND local_date = %s AND again_at IS NOT NULL",
            (chat_id, str(DeliveryKind.PROMPT), _date(local_date)),
        )

    # -- routines check ------------------------------------------------------------------------
    async def record_routine_answer(
        self, chat_id: int, local_date: date, part: str, answer: RoutineAnswer, now: datetime
    ) -> RoutineCheck:
        # The part names a column, so it is checked against the fixed list, never interpolated
        # from anything a person sent.
        if part not in ROUTINE_PARTS:
            raise ValueError(f"not a routines part: {part}")
        row = await self._fetchone(
            f"INSERT INTO routines (chat_id, local_date, {part}, created_at) "
            "VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (chat_id, local_date) DO UPDATE SET {part} = excluded.{part} "
            f"RETURNING {_ROUTINE_COLUMNS}",
            (chat_id, local_date, str(RoutineAnswer(answer)), to_instant(now)),
        )
        return _routine_check(row)

    async def list_routine_checks(
        self, chat_id: int, first_day: date, last_day: date
    ) -> list[RoutineCheck]:
        rows = await self._fetchall(
            f"SELECT {_ROUTINE_COLUMNS} FROM routines "
            "WHERE chat_id = %s AND local_date BETWEEN %s AND %s ORDER BY local_date",
            (chat_id, first_day, last_day),
        )
        return [_routine_check(row) for row in rows]

    # -- python-telegram-bot's own state ---------------------------------------------------
    @property
    def conversations(self) -> ConversationStore:
        return self._conversations

    @property
    def inbox(self) -> Inbox:
        return self._inbox


async def _claim(
    conn: AsyncConnection,
    chat_id: int,
    kind: DeliveryKind,
    local_date: str,
    now: datetime,
    prompt_id: str | None,
) -> bool:
    """The once-only claim: a row is returned only to the one transaction that inserted it."""
    cursor = await conn.execute(
        "INSERT INTO deliveries (chat_id, kind, local_date, status, claimed_at, prompt_id) "
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (chat_id, kind, local_date) DO NOTHING RETURNING id",
        (
            chat_id,
            str(kind),
            _date(local_date),
            str(DeliveryStatus.CLAIMED),
            to_instant(now),
            prompt_id,
        ),
    )
    return await cursor.fetchone() is not None


async def verify_key_on_server(conninfo: str, cipher: TextCipher | None) -> None:
    """Before the bot is built: the server is reachable, the credentials work, and the key
    matches the database's key check (or there is none yet). Reads only."""
    try:
        async with await AsyncConnection.connect(
            conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            stored = await stored_key_check(conn)
    except psycopg.Error as exc:
        raise connection_problem(conninfo, exc) from None
    check_key(stored, cipher)


async def stored_key_check(conn: AsyncConnection) -> str | None:
    """The key check kept in ``meta``, or None (no meta table yet, or never encrypted)."""
    async with conn.transaction():
        present = await (await conn.execute("SELECT to_regclass('meta') IS NOT NULL")).fetchone()
        if not present or not present[0]:
            return None
        row = await (
            await conn.execute("SELECT value FROM meta WHERE key = %s", (KEY_CHECK_META,))
        ).fetchone()
    return None if row is None else str(row[0])


async def _holds_person_texts(conn: AsyncConnection) -> bool:
    for table, columns in SEALED_COLUMNS.items():
        present = " OR ".join(f"{column} IS NOT NULL" for column in columns)
        row = await (
            await conn.execute(f"SELECT 1 FROM {table} WHERE {present} LIMIT 1".encode())
        ).fetchone()
        if row is not None:
            return True
    return False


class PostgresConversationStore(ConversationStore):
    """python-telegram-bot's conversation states and drafts, on the repository's pool."""

    def __init__(self, repo: PostgresRepository) -> None:
        self.repo = repo

    async def load_conversations(self, name: str) -> dict[str, tuple[int | None, str]]:
        rows = await self.repo._fetchall(
            "SELECT key, chat_id, state FROM conversations WHERE name = %s", (name,)
        )
        return {key: (chat_id, state) for key, chat_id, state in rows}

    async def load_blobs(self, kind: str) -> dict[int, str]:
        rows = await self.repo._fetchall("SELECT key, data FROM bot_blobs WHERE kind = %s", (kind,))
        return {key: self.repo._unseal("bot_blobs.data", data) for key, data in rows}

    async def load_blob(self, kind: str, key: int) -> str | None:
        row = await self.repo._fetchone(
            "SELECT data FROM bot_blobs WHERE kind = %s AND key = %s", (kind, key)
        )
        return None if row is None else self.repo._unseal("bot_blobs.data", row[0])

    async def save_persisted(
        self,
        conversations: Sequence[StoredConversation],
        blobs: Sequence[StoredBlob],
        done: Sequence[tuple[int, int]] = (),
        done_at: datetime | None = None,
    ) -> None:
        if not conversations and not blobs and not done:
            return
        gone_states, states, gone_blobs, documents = split_flush(
            conversations, blobs, lambda data: self.repo._seal("bot_blobs.data", data)
        )
        async with self.repo.transaction() as conn, conn.cursor() as cursor:
            if gone_states:
                await cursor.executemany(
                    "DELETE FROM conversations WHERE name = %s AND key = %s", gone_states
                )
            if states:
                await cursor.executemany(
                    "INSERT INTO conversations (name, key, chat_id, state) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (name, key) DO UPDATE SET "
                    "state = excluded.state, chat_id = excluded.chat_id",
                    states,
                )
            if gone_blobs:
                await cursor.executemany(
                    "DELETE FROM bot_blobs WHERE kind = %s AND key = %s", gone_blobs
                )
            if documents:
                await cursor.executemany(
                    "INSERT INTO bot_blobs (kind, key, data) VALUES (%s, %s, %s) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                    documents,
                )
            if done:
                at = to_instant(done_at or datetime.now(UTC))
                await cursor.executemany(
                    "UPDATE inbox SET done_at = %s, payload = NULL, chat_id = NULL "
                    "WHERE bot_id = %s AND update_id = %s",
                    [(at, bot_id, update_id) for bot_id, update_id in done],
                )

"""SQLite implementation of :class:`storage.repository.Repository` on one aiosqlite connection.

The connection runs in autocommit mode; multi-statement changes take an explicit transaction.
One asyncio lock serialises access, because statements from two coroutines interleaved on one
connection would otherwise join each other's transactions.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import aiosqlite

from storage import sqlite_file
from storage.bounds import bound_extra, bound_text
from storage.conversations import ConversationStore
from storage.crypto import TextCipher
from storage.errors import DatabaseUnreadableError, StorageError
from storage.inbox import Inbox
from storage.migrate import migrate
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
)
from storage.priority import ReplyFirstLock
from storage.repository import PERSON_FIELDS, Repository
from storage.sqlite_conversations import SqliteConversationStore
from storage.sqlite_inbox import SqliteInbox
from storage.sqlite_keys import adopt_key, verify_key

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# Files up to this size get SQLite's quick_check at start-up (about 3 s at this size, measured in
# bench/RESULTS.md); larger ones start without it.
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024

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
_BOOL_FIELDS = frozenset(
    {
        "prompts_enabled",
        "active",
        "onboarded",
        "gentle_next",
        "routines_enabled",
        "counts_enabled",
        "others_notes_enabled",
    }
)
_INSTANT_FIELDS = frozenset(
    {"quiet_until", "next_prompt_at", "next_recap_at", "tender_until", "therapy_said_at"}
)
_TIME_FIELDS = frozenset({"prompt_time", "recap_time"})
# Person fields a person typed themselves: bounded and sealed like entry texts.
_PERSON_TEXT_FIELDS = frozenset({"trusted_name", "trusted_contact"})


def _is_read_only(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorname", "").startswith("SQLITE_READONLY")


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


# Rows are turned into records through SqliteRepository._person_from / _entry_from, which open
# sealed texts first when encryption is on; calling _person/_entry on a raw row skips that.
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
        tender_until=from_epoch(row[18]),
        therapist=row[19],
        therapy_said_at=from_epoch(row[20]),
        counts_enabled=bool(row[21]),
        locale=row[22],
        others_notes_enabled=bool(row[23]),
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
        for_therapy=bool(row[9]),
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
        again_at=from_epoch(row[10]),
    )


def _tag_pattern(tag: str) -> str:
    """A LIKE pattern that finds ``tag`` in a stored JSON list of tags."""
    escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


class SqliteRepository(Repository):
    """Kindling's storage in one SQLite file (WAL, foreign keys, busy timeout)."""

    def __init__(self, path: Path | str, cipher: TextCipher | None = None) -> None:
        self.path = Path(path)
        # With a cipher, people's own words are sealed before they are written (storage/crypto).
        self.cipher = cipher
        self._db: aiosqlite.Connection | None = None
        self._file = sqlite_file.DatabaseFile(self.path)
        # Replies' calls before the scheduler's (storage/priority.py).
        self._lock = ReplyFirstLock()
        self._conversations = SqliteConversationStore(self)
        self._inbox = SqliteInbox(self)

    # -- lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        if self._db is not None:
            return
        if self.path.parent and not self.path.parent.exists():
            raise StorageError(f"the folder {self.path.parent} does not exist")
        sqlite_file.create_private(self.path)
        db = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                await db.execute("PRAGMA journal_mode = WAL")
            except sqlite3.DatabaseError as exc:
                if _is_read_only(exc):
                    raise StorageError(self._read_only_message()) from exc
                raise DatabaseUnreadableError(
                    f"{self.path} is not a Kindling database or is damaged ({exc}); "
                    "it was left untouched"
                ) from exc
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA secure_delete = ON")
            await self._refuse_damaged(db)
            # The key is checked before anything is written, migrations included.
            await verify_key(db, self.cipher)
            await self._refuse_unwritable(db)
            await migrate(db)
            await adopt_key(db, self.cipher)
        except BaseException:
            await db.close()
            raise
        self._db = db
        self._file.opened()

    async def _refuse_damaged(self, db: aiosqlite.Connection) -> None:
        """Stop before using a file with damaged pages: running on it would fail person by
        person (and writing could spread the damage). Costs about 12 ms per MB at start-up, so
        files over ``QUICK_CHECK_MAX_BYTES`` are not checked here (``kindling backup`` checks a
        copy of them in full)."""
        if self.path.exists() and self.path.stat().st_size > QUICK_CHECK_MAX_BYTES:
            log.info(
                "integrity check skipped at start-up size_mb=%d", self.path.stat().st_size >> 20
            )
            return
        try:
            async with db.execute("PRAGMA quick_check") as cursor:
                first = (await cursor.fetchone() or ("ok",))[0]
        except sqlite3.DatabaseError as exc:
            first = str(exc)
        if first != "ok":
            problem = " ".join(str(first).replace("*", " ").split())[:120]  # one line
            raise DatabaseUnreadableError(
                f"{self.path} is damaged ({problem}); it was left untouched. Restore it from a "
                "backup, or point DATABASE_PATH at a new file"
            )

    async def _refuse_unwritable(self, db: aiosqlite.Connection) -> None:
        """Stop at start-up, not at every person's first save, when the file cannot be written
        (read-only, or held by another writer past the busy timeout). A write that is rolled
        back: nothing changes."""
        try:
            async with db.execute("PRAGMA user_version") as cursor:
                version = int((await cursor.fetchone() or (0,))[0])
            await db.execute("BEGIN IMMEDIATE")
            try:
                await db.execute(f"PRAGMA user_version = {version}")
            finally:
                await db.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            if _is_read_only(exc):
                raise StorageError(self._read_only_message()) from exc
            if exc.sqlite_errorname in {"SQLITE_BUSY", "SQLITE_LOCKED"}:
                raise StorageError(
                    f"{self.path} is locked by another program (another Kindling, or a tool "
                    "holding it open); stop that one first. It was left untouched"
                ) from exc
            raise

    def _read_only_message(self) -> str:
        return (
            f"{self.path} is read-only, and Kindling needs to write to it; check the "
            "permissions of the file and its folder. It was left untouched"
        )

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StorageError("the database is not open")
        self._file.check()  # removed or replaced under the bot: refused, not lost
        return self._db

    # One statement is one hand-over to aiosqlite's thread, not three (execute, fetch, close):
    # each hand-over wakes the thread and waits for the event loop again, and a reply makes
    # several of these calls. The same statements, run the same way, under the same lock.
    async def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._lock:
            db = self.db
            return await db._execute(_fetch_one, db._conn, sql, params)

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._lock:
            db = self.db
            return await db._execute(_fetch_all, db._conn, sql, params)

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock:
            db = self.db
            return await db._execute(_write_rows, db._conn, sql, params)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, for a caller holding ``_lock``: committed when the block
        ends, rolled back when it raises."""
        db = self.db
        await db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise

    # -- people's own words: bounded, and sealed when a key is set (storage/crypto.py) --------
    def _seal(self, field: str, value: str | None) -> str | None:
        if value is None or self.cipher is None:
            return value
        return self.cipher.seal(field, value)

    def _unseal(self, field: str, value: str | None) -> str | None:
        if value is None or self.cipher is None:
            return value
        return self.cipher.unseal(field, value)

    def _person_from(self, row: Sequence[Any]) -> Person:
        """``_person`` for a stored row: trusted_name and trusted_contact opened first."""
        values = list(row)
        values[15] = self._unseal("people.trusted_name", values[15])
        values[16] = self._unseal("people.trusted_contact", values[16])
        return _person(tuple(values))

    def _entry_from(self, row: Sequence[Any]) -> Entry:
        """``_entry`` for a stored row: text and extra opened first."""
        values = list(row)
        values[3] = self._unseal("entries.text", values[3])
        values[7] = self._unseal("entries.extra", values[7])
        return _entry(tuple(values))

    # -- people ------------------------------------------------------------------------------
    async def get_person(self, chat_id: int) -> Person | None:
        row = await self._fetchone(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE chat_id = ?", (chat_id,)
        )
        return self._person_from(row) if row else None

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
            values = [
                self._seal(f"people.{name}", bound_text(value))
                if name in _PERSON_TEXT_FIELDS
                else value
                for name, value in zip(changes, values, strict=True)
            ]
            await self._write(
                f"UPDATE people SET {assignments} WHERE chat_id = ?", (*values, chat_id)
            )
        person = await self.get_person(chat_id)
        if person is None:
            raise StorageError("no such person")
        return person

    async def keep_locale(self, chat_id: int, locale: str | None) -> bool:
        row = await self._fetchone("SELECT locale FROM people WHERE chat_id = ?", (chat_id,))
        if row is None:
            return False
        if row[0] != locale:
            await self._write("UPDATE people SET locale = ? WHERE chat_id = ?", (locale, chat_id))
        return True

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
        return [self._person_from(row) for row in rows]

    async def advance_due(
        self, chat_id: int, kind: DeliveryKind, handled: datetime, following: datetime | None
    ) -> bool:
        column = "next_recap_at" if kind is DeliveryKind.RECAP else "next_prompt_at"
        changed = await self._write(
            f"UPDATE people SET {column} = ? WHERE chat_id = ? AND {column} = ?",
            (to_epoch(following), chat_id, to_epoch(handled)),
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
        # One commit instead of two: at Telegram's 30 messages a second, the scheduler's writes
        # (each an fsync) are what limits a large fan-out.
        column = "next_recap_at" if kind is DeliveryKind.RECAP else "next_prompt_at"
        async with self._lock, self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO deliveries (chat_id, kind, local_date, status, "
                "claimed_at, prompt_id) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    chat_id,
                    str(kind),
                    local_date,
                    str(DeliveryStatus.CLAIMED),
                    to_epoch(now),
                    prompt_id,
                ),
            )
            claimed = cursor.rowcount == 1
            await cursor.close()
            await db.execute(
                f"UPDATE people SET {column} = ? WHERE chat_id = ? AND {column} = ?",
                (to_epoch(following), chat_id, to_epoch(handled)),
            )
        return claimed

    async def delete_person(self, chat_id: int) -> None:
        async with self._lock:
            async with self._transaction() as db:
                await db.execute("DELETE FROM entries WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM notes WHERE chat_id = ?", (chat_id,))
                # Their own offered sentences (and every record of giving them to others),
                # and the record of which sentences they were given.
                await db.execute(
                    "DELETE FROM offered_notes_given WHERE chat_id = ? OR note_id IN "
                    "(SELECT id FROM offered_notes WHERE chat_id = ?)",
                    (chat_id, chat_id),
                )
                await db.execute("DELETE FROM offered_notes WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM deliveries WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM routines WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM conversations WHERE chat_id = ?", (chat_id,))
                await db.execute("DELETE FROM inbox WHERE chat_id = ?", (chat_id,))
                await db.execute(
                    "DELETE FROM bot_blobs WHERE kind IN ('user_data', 'chat_data') AND key = ?",
                    (chat_id,),
                )
                await db.execute("DELETE FROM people WHERE chat_id = ?", (chat_id,))
            # Deleted pages are zeroed by secure_delete; checkpointing moves that into the main
            # file so the old text does not linger in the write-ahead log either.
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- entries -----------------------------------------------------------------------------
    async def add_entry(self, entry: NewEntry) -> Entry:
        async with self._lock:
            async with self.db.execute(
                "INSERT INTO entries "
                "(chat_id, kind, text, tags, rating, prompt_id, extra, created_at, update_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (update_key) DO NOTHING "
                f"RETURNING {_ENTRY_COLUMNS}",
                (
                    entry.chat_id,
                    str(entry.kind),
                    self._seal("entries.text", bound_text(entry.text)),
                    json.dumps(entry.tags, ensure_ascii=False),
                    entry.rating,
                    entry.prompt_id,
                    self._seal(
                        "entries.extra", json.dumps(bound_extra(entry.extra), ensure_ascii=False)
                    ),
                    to_epoch(entry.created_at),
                    entry.update_key,
                ),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                # The same update handled again after a crash: the entry it made the first time.
                async with self.db.execute(
                    f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE update_key = ? AND chat_id = ?",
                    (entry.update_key, entry.chat_id),
                ) as cursor:
                    row = await cursor.fetchone()
        if row is None:
            raise StorageError("an entry's update key belongs to another chat")
        return self._entry_from(row)

    async def get_entry(self, chat_id: int, entry_id: int) -> Entry | None:
        row = await self._fetchone(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE id = ? AND chat_id = ?",
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
        return [self._entry_from(row) for row in rows]

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

    async def count_people_with(
        self, kind: EntryKind | None, since: datetime, *, tag: str | None = None
    ) -> int:
        # Tags are kept as a JSON list of ids: a tag matches as its quoted id, with LIKE's own
        # wildcards in it escaped. Words read as a crisis carry CRISIS_TAG and never count.
        where = ["created_at >= ?", "tags NOT LIKE ? ESCAPE '\\'"]
        params: list[Any] = [to_epoch(since), _tag_pattern(CRISIS_TAG)]
        if kind is not None:
            where.append("kind = ?")
            params.append(str(kind))
        if tag is not None:
            where.append("tags LIKE ? ESCAPE '\\'")
            params.append(_tag_pattern(tag))
        row = await self._fetchone(
            f"SELECT count(DISTINCT chat_id) FROM entries WHERE {' AND '.join(where)}", params
        )
        return int(row[0])

    async def mark_for_therapy(self, chat_id: int, entry_id: int, marked: bool) -> bool:
        changed = await self._write(
            "UPDATE entries SET for_therapy = ? WHERE id = ? AND chat_id = ?",
            (int(marked), entry_id, chat_id),
        )
        return changed == 1

    async def list_for_therapy(self, chat_id: int) -> list[Entry]:
        rows = await self._fetchall(
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE chat_id = ? AND for_therapy "
            "ORDER BY created_at, id",
            (chat_id,),
        )
        return [self._entry_from(row) for row in rows]

    # -- notes to oneself -------------------------------------------------------------------
    _NOTE_COLUMNS = "id, chat_id, text, created_at, from_entry, may_give_back, given_back_at"

    def _note_from(self, row: Sequence[Any]) -> Note:
        return Note(
            id=row[0],
            chat_id=row[1],
            text=self._unseal("notes.text", row[2]) or "",
            created_at=from_epoch(row[3]),  # type: ignore[arg-type]
            from_entry=row[4],
            may_give_back=bool(row[5]),
            given_back_at=from_epoch(row[6]),
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
        async with (
            self._lock,
            self.db.execute(
                "INSERT INTO notes "
                "(chat_id, text, created_at, from_entry, may_give_back, update_key) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
                f"RETURNING {self._NOTE_COLUMNS}",
                (
                    chat_id,
                    self._seal("notes.text", bound_text(text)),
                    to_epoch(now),
                    from_entry,
                    int(may_give_back),
                    update_key,
                ),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return self._note_from(row) if row else None

    async def list_notes(self, chat_id: int) -> list[Note]:
        rows = await self._fetchall(
            f"SELECT {self._NOTE_COLUMNS} FROM notes WHERE chat_id = ? "
            "ORDER BY created_at DESC, id DESC",
            (chat_id,),
        )
        return [self._note_from(row) for row in rows]

    async def delete_note(self, chat_id: int, note_id: int) -> bool:
        deleted = await self._write(
            "DELETE FROM notes WHERE id = ? AND chat_id = ?", (note_id, chat_id)
        )
        return deleted == 1

    async def mark_note_given_back(self, chat_id: int, note_id: int, now: datetime) -> bool:
        changed = await self._write(
            "UPDATE notes SET given_back_at = ? WHERE id = ? AND chat_id = ?",
            (to_epoch(now), note_id, chat_id),
        )
        return changed == 1

    # -- notes from others on the path ------------------------------------------------------
    _OFFERED_COLUMNS = "id, chat_id, text, status, offered_at, reviewed_at, from_entry"

    def _offered_from(self, row: Sequence[Any]) -> OfferedNote:
        return OfferedNote(
            id=row[0],
            chat_id=row[1],
            text=self._unseal("offered_notes.text", row[2]) or "",
            status=OfferStatus(row[3]),
            offered_at=from_epoch(row[4]),  # type: ignore[arg-type]
            reviewed_at=from_epoch(row[5]),
            from_entry=row[6],
        )

    def _shared_from(self, row: Sequence[Any]) -> SharedNote:
        return SharedNote(id=row[0], text=self._unseal("offered_notes.text", row[1]) or "")

    async def add_offered_note(
        self, chat_id: int, text: str, now: datetime, *, from_entry: int | None = None
    ) -> OfferedNote | None:
        async with (
            self._lock,
            self.db.execute(
                "INSERT INTO offered_notes (chat_id, text, status, offered_at, from_entry) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (from_entry) DO NOTHING "
                f"RETURNING {self._OFFERED_COLUMNS}",
                (
                    chat_id,
                    self._seal("offered_notes.text", bound_text(text)),
                    str(OfferStatus.PENDING),
                    to_epoch(now),
                    from_entry,
                ),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return self._offered_from(row) if row else None

    async def list_offered_notes(self, chat_id: int) -> list[OfferedNote]:
        rows = await self._fetchall(
            f"SELECT {self._OFFERED_COLUMNS} FROM offered_notes WHERE chat_id = ? "
            "ORDER BY offered_at DESC, id DESC",
            (chat_id,),
        )
        return [self._offered_from(row) for row in rows]

    async def withdraw_offered_note(self, chat_id: int, note_id: int) -> bool:
        changed = await self._write(
            "UPDATE offered_notes SET status = ? WHERE id = ? AND chat_id = ? AND status IN (?, ?)",
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
            "SELECT id, text FROM offered_notes WHERE status = ? ORDER BY offered_at, id LIMIT 1",
            (str(OfferStatus.PENDING),),
        )
        return self._shared_from(row) if row else None

    async def count_pending_notes(self) -> int:
        row = await self._fetchone(
            "SELECT count(*) FROM offered_notes WHERE status = ?", (str(OfferStatus.PENDING),)
        )
        return int(row[0])

    async def review_offered_note(self, note_id: int, approved: bool, now: datetime) -> bool:
        status = OfferStatus.APPROVED if approved else OfferStatus.REJECTED
        changed = await self._write(
            "UPDATE offered_notes SET status = ?, reviewed_at = ? WHERE id = ? AND status = ?",
            (str(status), to_epoch(now), note_id, str(OfferStatus.PENDING)),
        )
        return changed == 1

    async def take_note_from_others(
        self, chat_id: int, day_started: datetime, now: datetime
    ) -> SharedNote | None:
        async with self._lock, self._transaction() as db:
            async with db.execute(
                "SELECT 1 FROM offered_notes_given WHERE chat_id = ? AND given_at >= ? LIMIT 1",
                (chat_id, to_epoch(day_started)),
            ) as cursor:
                if await cursor.fetchone() is not None:
                    return None
            async with db.execute(
                "SELECT n.id, n.text FROM offered_notes n WHERE n.status = ? AND n.chat_id <> ? "
                "AND NOT EXISTS (SELECT 1 FROM offered_notes_given g "
                "WHERE g.chat_id = ? AND g.note_id = n.id) "
                "ORDER BY (SELECT count(*) FROM offered_notes_given g "
                "WHERE g.note_id = n.id), n.reviewed_at, n.id LIMIT 1",
                (str(OfferStatus.APPROVED), chat_id, chat_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return None
            await db.execute(
                "INSERT INTO offered_notes_given (chat_id, note_id, given_at) VALUES (?, ?, ?)",
                (chat_id, row[0], to_epoch(now)),
            )
        return self._shared_from(row)

    async def list_notes_received(self, chat_id: int) -> list[NoteReceived]:
        rows = await self._fetchall(
            "SELECT g.given_at, CASE WHEN n.status = ? THEN n.text END "
            "FROM offered_notes_given g JOIN offered_notes n ON n.id = g.note_id "
            "WHERE g.chat_id = ? ORDER BY g.given_at, g.note_id",
            (str(OfferStatus.APPROVED), chat_id),
        )
        return [
            NoteReceived(
                given_at=from_epoch(row[0]),  # type: ignore[arg-type]
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

    async def latest_sent_prompt(self, chat_id: int, since: datetime) -> Delivery | None:
        row = await self._fetchone(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
            "WHERE chat_id = ? AND kind IN (?, ?) AND status = ? AND sent_at >= ? "
            "ORDER BY sent_at DESC, id DESC LIMIT 1",
            (
                chat_id,
                str(DeliveryKind.PROMPT),
                str(DeliveryKind.PROMPT_AGAIN),
                str(DeliveryStatus.SENT),
                to_epoch(since),
            ),
        )
        return _delivery(row) if row else None

    async def recent_prompt_ids(self, chat_id: int, limit: int) -> list[str]:
        rows = await self._fetchall(
            "SELECT prompt_id FROM deliveries "
            "WHERE chat_id = ? AND kind = ? AND prompt_id IS NOT NULL "
            "ORDER BY local_date DESC LIMIT ?",
            (chat_id, str(DeliveryKind.PROMPT), limit),
        )
        return [row[0] for row in rows]

    async def schedule_prompt_again(self, chat_id: int, local_date: str, due_at: datetime) -> bool:
        # One statement, so two quick presses of "Later" cannot both schedule a re-send.
        changed = await self._write(
            "UPDATE deliveries SET again_at = ? "
            "WHERE chat_id = ? AND kind = ? AND local_date = ? AND status = ? "
            "AND again_at IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries "
            "WHERE chat_id = ? AND kind = ? AND local_date = ?)",
            (
                to_epoch(due_at),
                chat_id,
                str(DeliveryKind.PROMPT),
                local_date,
                str(DeliveryStatus.SENT),
                chat_id,
                str(DeliveryKind.PROMPT_AGAIN),
                local_date,
            ),
        )
        return changed == 1

    async def due_prompt_agains(self, now: datetime, limit: int) -> list[Delivery]:
        rows = await self._fetchall(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries "
            "WHERE again_at IS NOT NULL AND again_at <= ? ORDER BY again_at LIMIT ?",
            (to_epoch(now), limit),
        )
        return [_delivery(row) for row in rows]

    async def clear_prompt_again(self, chat_id: int, local_date: str) -> None:
        await self._write(
            "UPDATE deliveries SET again_at = NULL "
            "WHERE chat_id = ? AND kind = ? AND local_date = ? AND again_at IS NOT NULL",
            (chat_id, str(DeliveryKind.PROMPT), local_date),
        )

    # -- routines check ------------------------------------------------------------------------
    _ROUTINE_COLUMNS = "chat_id, local_date, created_at, sleep, meals, movement"

    @staticmethod
    def _routine_check(row: sqlite3.Row | tuple[Any, ...]) -> RoutineCheck:
        return RoutineCheck(
            chat_id=row[0],
            local_date=date.fromisoformat(row[1]),
            created_at=from_epoch(row[2]),  # type: ignore[arg-type]
            sleep=RoutineAnswer(row[3]) if row[3] else None,
            meals=RoutineAnswer(row[4]) if row[4] else None,
            movement=RoutineAnswer(row[5]) if row[5] else None,
        )

    async def record_routine_answer(
        self, chat_id: int, local_date: date, part: str, answer: RoutineAnswer, now: datetime
    ) -> RoutineCheck:
        # The part names a column, so it is checked against the fixed list, never interpolated
        # from anything a person sent.
        if part not in ROUTINE_PARTS:
            raise ValueError(f"not a routines part: {part}")
        async with (
            self._lock,
            self.db.execute(
                f"INSERT INTO routines (chat_id, local_date, {part}, created_at) "
                "VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (chat_id, local_date) DO UPDATE SET {part} = excluded.{part} "
                f"RETURNING {self._ROUTINE_COLUMNS}",
                (chat_id, local_date.isoformat(), str(RoutineAnswer(answer)), to_epoch(now)),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return self._routine_check(row)

    async def list_routine_checks(
        self, chat_id: int, first_day: date, last_day: date
    ) -> list[RoutineCheck]:
        rows = await self._fetchall(
            f"SELECT {self._ROUTINE_COLUMNS} FROM routines "
            "WHERE chat_id = ? AND local_date BETWEEN ? AND ? ORDER BY local_date",
            (chat_id, first_day.isoformat(), last_day.isoformat()),
        )
        return [self._routine_check(row) for row in rows]

    # -- python-telegram-bot's own state ---------------------------------------------------
    @property
    def conversations(self) -> ConversationStore:
        return self._conversations

    @property
    def inbox(self) -> Inbox:
        return self._inbox


# -- run in aiosqlite's thread, each one statement from start to end ---------------------------
def _fetch_one(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Any:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _write_rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    cursor = conn.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()

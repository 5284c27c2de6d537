"""A population of onboarded people written straight into a database, for the benchmarks.

The repository's one-row methods would take minutes for 100,000 people, so the rows go in with
the driver in one transaction: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The schema
comes from the migrations first (the repository is opened once), and the rows fill the same
columns on both, from the same random sequence, so both backends hold the same people.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import psycopg

from storage.backends import make_repository
from storage.target import Backend, DatabaseTarget

FIRST_CHAT_ID = 30_000_000
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Asia/Tokyo",
    "Europe/London",
)
ENTRY_TEXT = "I let them finish their sentence before I answered, and it changed the conversation."
PEOPLE_COLUMNS = (
    "chat_id, first_seen, time_zone, prompt_time, prompts_enabled, active, onboarded, "
    "next_prompt_at, next_recap_at"
)
ENTRY_COLUMNS = "chat_id, kind, text, tags, rating, created_at"

USER_DATA = json.dumps(
    {
        "recently_said": [
            "You stayed with it instead of rushing past. That counts.",
            "Noticing this is part of the practice.",
            "Thank you for writing this down.",
            "That took patience. It is worth keeping.",
            "Small steps like this add up.",
            "You gave someone room to be heard.",
        ]
    }
)

# One person as SQLite stores it: instants in epoch seconds, flags 0/1, times 'HH:MM'.
PersonRow = tuple[int, int, str, str, int, int, int, int | None, int]


async def create_population(
    where: Path | DatabaseTarget,
    people: int,
    due: int,
    now: datetime,
    *,
    entries_per_person: int = 0,
    first_chat_id: int = FIRST_CHAT_ID,
    set_due: bool = True,
) -> list[int]:
    """``people`` onboarded people; the first ``due`` are due within the last minute (unless
    ``set_due`` is False: then nobody has a next prompt yet), the rest later today, a few of them
    inactive or with prompts off, as in a real population. Returns the chat ids of the due."""
    target = where if isinstance(where, DatabaseTarget) else DatabaseTarget.sqlite(where)
    repo = make_repository(target)
    await repo.open()  # the schema, through the migrations
    await repo.close()
    rows = person_rows(people, due, now, first_chat_id, set_due)
    epoch = int(now.timestamp())
    entries = [
        (first_chat_id + n, epoch - 3_600 * (k + 1))
        for n in range(people)
        for k in range(entries_per_person)
    ]
    if target.backend is Backend.SQLITE:
        assert target.path is not None
        _write_sqlite(target.path, rows, entries)
    else:
        assert target.conninfo is not None
        _write_postgres(target.conninfo, rows, entries)
    return [first_chat_id + n for n in range(due)]


def person_rows(
    people: int, due: int, now: datetime, first_chat_id: int, set_due: bool
) -> list[PersonRow]:
    rng = random.Random(7)
    epoch = int(now.timestamp())
    rows: list[PersonRow] = []
    for n in range(people):
        is_due = n < due
        next_prompt: int | None
        if is_due:
            next_prompt = epoch - rng.randint(1, 59) if set_due else None
        else:
            next_prompt = epoch + 120 + rng.randint(0, 86_400)
        active = is_due or n % 50 != 0
        prompts_on = is_due or n % 40 != 0
        rows.append(
            (
                first_chat_id + n,
                epoch - 86_400 * 30,
                ZONES[n % len(ZONES)],
                f"{rng.randint(6, 22):02d}:{rng.choice((0, 15, 30, 45)):02d}",
                int(prompts_on),
                int(active),
                1,
                next_prompt if prompts_on else None,
                epoch + 120 + rng.randint(0, 7 * 86_400),
            )
        )
    return rows


def _documents(rows: list[PersonRow]) -> Iterator[tuple[str, int, str]]:
    """Each person's stored python-telegram-bot data, as a person who has used Kindling for a
    while has it (the acknowledgements they read lately, so the next ones differ)."""
    for row in rows:
        yield ("user_data", row[0], USER_DATA)


def _write_sqlite(path: Path, rows: list[PersonRow], entries: list[tuple[int, int]]) -> None:
    db = sqlite3.connect(path)
    try:
        with db:  # one transaction
            db.executemany(
                f"INSERT INTO people ({PEOPLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            db.executemany(
                "INSERT INTO bot_blobs (kind, key, data) VALUES (?, ?, ?)", _documents(rows)
            )
            db.executemany(
                f"INSERT INTO entries ({ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                _entry_rows(entries, _seconds),
            )
    finally:
        db.close()


def _instant(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _as_postgres(row: PersonRow) -> tuple[object, ...]:
    """The same person in the PostgreSQL schema's types (timestamptz, time, boolean)."""
    chat, first_seen, zone, at, prompts_on, active, onboarded, next_prompt, next_recap = row
    hours, minutes = (int(part) for part in at.split(":"))
    return (
        chat,
        _instant(first_seen),
        zone,
        time(hours, minutes),
        bool(prompts_on),
        bool(active),
        bool(onboarded),
        _instant(next_prompt),
        _instant(next_recap),
    )


def _seconds(epoch: int | None) -> int | None:
    return epoch


def _entry_rows(
    entries: list[tuple[int, int]], instant: Callable[[int | None], object]
) -> Iterator[tuple[object, ...]]:
    """Each entry in the order of ENTRY_COLUMNS; ``instant`` writes its time as the schema
    keeps it (epoch seconds on SQLite, timestamptz on PostgreSQL)."""
    for chat, created in entries:
        yield (chat, "win", ENTRY_TEXT, '["listened"]', 4, instant(created))


def _write_postgres(conninfo: str, rows: list[PersonRow], entries: list[tuple[int, int]]) -> None:
    # psycopg commits when the connection's block ends: the whole population is one transaction.
    with psycopg.connect(conninfo) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY people ({PEOPLE_COLUMNS}) FROM STDIN".encode()) as copy:
            for row in rows:
                copy.write_row(_as_postgres(row))
        with cursor.copy(b"COPY bot_blobs (kind, key, data) FROM STDIN") as copy:
            for document in _documents(rows):
                copy.write_row(document)
        with cursor.copy(f"COPY entries ({ENTRY_COLUMNS}) FROM STDIN".encode()) as copy:
            for entry in _entry_rows(entries, _instant):
                copy.write_row(entry)

"""/export: a copy of everything Kindling keeps about the person, as two files.

    /export ──> one calm line ──> kindling-export-<date>.json  (complete, for machines)
                              └─> kindling-export-<date>.csv   (one row per entry)

The JSON holds the person's settings, every entry, every nudge sent to them, their notes, the
sentences they offered to others (with their status) and those from others they were given,
their routines checks and any unfinished draft; its shape is documented in
docs/export-schema.md under ``schema_version``. Every instant appears twice: in UTC and in the
person's own time zone, both ISO 8601 with an offset.

Entries are read from the repository a page at a time and written straight into the files, so a
person with thousands of entries gets them all. The files are built in memory, never in a
temporary file: with encryption at rest on, a plain copy on disk would undo it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, time
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes

from bot.services import services
from handlers.groups import HandlerGroup
from scheduler.timecalc import is_valid_zone
from storage.models import Entry, Person
from storage.repository import Repository

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PAGE_SIZE = 500

CSV_COLUMNS = (
    "id",
    "kind",
    "created_local",
    "created_utc",
    "text",
    "tags",
    "rating",
    "prompt_id",
    "extra",
)
# Spreadsheets run a cell starting with one of these as a formula; a leading apostrophe keeps it
# text (the JSON keeps the words exactly as written).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def instant(value: datetime, zone: ZoneInfo) -> dict[str, str]:
    """An instant as UTC (with Z) and as the person's local time (with its offset)."""
    utc = value.astimezone(UTC)
    try:
        local = utc.astimezone(zone).isoformat()
    except OverflowError:  # "until I turn it back on" is stored as the end of year 9999
        local = utc.isoformat()
    return {"utc": utc.isoformat().replace("+00:00", "Z"), "local": local}


def plain(value: Any, zone: ZoneInfo) -> Any:
    """A stored value as JSON: instants twice (UTC and local), times as HH:MM, enums as text."""
    if isinstance(value, datetime):
        return instant(value, zone)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return record(value, zone)
    if isinstance(value, dict):
        return {str(key): plain(item, zone) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(item, zone) for item in value]
    return value


def record(item: Any, zone: ZoneInfo, *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every field of a stored record, so fields added later are exported without a change."""
    return {f.name: plain(getattr(item, f.name), zone) for f in fields(item) if f.name not in skip}


def person_zone(person: Person | None) -> ZoneInfo:
    if person and person.time_zone and is_valid_zone(person.time_zone):
        return ZoneInfo(person.time_zone)
    return ZoneInfo("UTC")


async def all_entries(repo: Repository, chat_id: int) -> AsyncIterator[Entry]:
    """Every entry of the person, oldest first, read one page at a time."""
    offset = 0
    while True:
        page = await repo.list_entries(chat_id, limit=PAGE_SIZE, offset=offset, newest_first=False)
        for entry in page:
            yield entry
        if len(page) < PAGE_SIZE:
            return
        offset += len(page)


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_row(entry: dict[str, Any]) -> list[str]:
    created = entry["created_at"]
    return [
        str(entry["id"]),
        entry["kind"],
        created["local"],
        created["utc"],
        spreadsheet_safe(entry["text"] or ""),
        spreadsheet_safe("; ".join(entry["tags"])),
        "" if entry["rating"] is None else str(entry["rating"]),
        entry["prompt_id"] or "",
        json.dumps(entry["extra"], ensure_ascii=False) if entry["extra"] else "",
    ]


def _json_member(name: str, value: Any) -> str:
    return f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False, default=str)}"


async def build_export(
    repo: Repository,
    chat_id: int,
    person: Person | None,
    drafts: dict[str, Any],
    now: datetime,
) -> tuple[bytes, bytes, int]:
    """The JSON and CSV files (as bytes) and how many entries they hold."""
    zone = person_zone(person)
    head = {
        "schema_version": SCHEMA_VERSION,
        "exported_at": instant(now, zone),
        "time_zone": person.time_zone if person else None,
        "person": record(person, zone) if person else None,
    }
    json_out = io.StringIO()
    json_out.write("{\n" + ",\n".join(_json_member(k, v) for k, v in head.items()))
    json_out.write(',\n  "entries": [')
    csv_out = io.StringIO()
    # The byte order mark tells spreadsheets the file is UTF-8; the excel dialect quotes
    # commas, quotes and line breaks inside a text.
    csv_out.write("\ufeff")
    writer = csv.writer(csv_out, dialect="excel")
    writer.writerow(CSV_COLUMNS)
    count = 0
    async for entry in all_entries(repo, chat_id):
        row = record(entry, zone, skip=frozenset({"chat_id"}))
        json_out.write(("," if count else "") + "\n    ")
        json_out.write(json.dumps(row, ensure_ascii=False, default=str))
        writer.writerow(csv_row(row))
        count += 1
    json_out.write("\n  ],\n")
    tail = {
        "nudges": [
            record(delivery, zone, skip=frozenset({"chat_id"}))
            for delivery in await repo.list_deliveries(chat_id)
        ],
        "notes": [
            record(note, zone, skip=frozenset({"chat_id"}))
            for note in reversed(await repo.list_notes(chat_id))
        ],
        # Sentences offered to others (with their status), and those from others given to
        # the person; never whose.
        "offered_to_others": [
            record(note, zone, skip=frozenset({"chat_id"}))
            for note in reversed(await repo.list_offered_notes(chat_id))
        ],
        "notes_from_others": [record(got, zone) for got in await repo.list_notes_received(chat_id)],
        "routine_checks": [
            record(check, zone, skip=frozenset({"chat_id"}))
            for check in await repo.list_routine_checks(chat_id, date.min, date.max)
        ],
        "in_progress": plain(drafts, zone),
        "entry_count": count,
    }
    json_out.write(",\n".join(_json_member(k, v) for k, v in tail.items()) + "\n}\n")
    return json_out.getvalue().encode("utf-8"), csv_out.getvalue().encode("utf-8"), count


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One calm line, then the JSON and the CSV file."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    message = update.effective_message
    assert message is not None
    person = await svc.repo.get_person(chat_id)
    if person is None and await svc.repo.count_entries(chat_id) == 0:
        await message.reply_text(svc.ui("export.nothing"))
        raise ApplicationHandlerStop
    now = svc.clock.now()
    json_file, csv_file, count = await build_export(
        svc.repo, chat_id, person, dict(context.user_data or {}), now
    )
    day = now.astimezone(person_zone(person)).date().isoformat()
    await message.reply_text(svc.ui("export.intro"))
    await context.bot.send_document(
        chat_id, document=json_file, filename=f"kindling-export-{day}.json"
    )
    await context.bot.send_document(
        chat_id, document=csv_file, filename=f"kindling-export-{day}.csv"
    )
    log.info(
        "export sent entries=%d json_bytes=%d csv_bytes=%d", count, len(json_file), len(csv_file)
    )
    # Handled: the catch-all "unknown command" must not answer on top of it.
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("export", export), group=HandlerGroup.COMMANDS)

"""Fixed weeks of entries for the recap tests, written through the repository at local times."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from pypdf import PdfReader

from storage.models import EntryKind, NewEntry, RoutineAnswer
from storage.repository import Repository

# The conftest clock starts on Wednesday 25 November 2026; its week runs Monday 23 to Sunday 29.
MONDAY = date(2026, 11, 23)


def at_local(day: date, hour: int, minute: int, zone: str) -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC instant (first occurrence in a fold)."""
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone)).astimezone(UTC)


async def add(
    repo: Repository,
    chat_id: int,
    kind: EntryKind,
    when: datetime,
    *,
    tags: list[str] | None = None,
    rating: int | None = None,
    text: str | None = None,
) -> None:
    await repo.add_entry(
        NewEntry(
            chat_id=chat_id, kind=kind, created_at=when, text=text, tags=tags or [], rating=rating
        )
    )


CONNECTED_TAGS = ["heard:yes", "interest:yes", "steady:partly", "connected"]
OUT_OF_SYNC_TAGS = ["heard:no", "interest:partly", "steady:no", "out_of_sync"]


async def full_week(repo: Repository, chat_id: int, zone: str, monday: date = MONDAY) -> None:
    """Five days of practice: wins of three kinds, two looks back that felt connected and one
    that did not, a daily-question answer and one hard moment (frustrated)."""

    def day(n: int) -> date:
        return monday + timedelta(days=n)

    await add(
        repo,
        chat_id,
        EntryKind.WIN,
        at_local(day(0), 9, 0, zone),
        tags=["listened"],
        rating=4,
        text="Let Mia finish her story",
    )
    await add(
        repo,
        chat_id,
        EntryKind.SOCIAL,
        at_local(day(0), 20, 0, zone),
        tags=CONNECTED_TAGS,
        rating=4,
    )
    await add(
        repo, chat_id, EntryKind.WIN, at_local(day(1), 9, 30, zone), tags=["paused"], rating=3
    )
    await add(
        repo,
        chat_id,
        EntryKind.SETBACK,
        at_local(day(1), 18, 0, zone),
        tags=["frustrated"],
        text="Snapped at my brother",
    )
    await add(
        repo,
        chat_id,
        EntryKind.REFLECTION,
        at_local(day(2), 21, 0, zone),
        text="A quiet day with a long walk",
    )
    await add(
        repo, chat_id, EntryKind.WIN, at_local(day(3), 8, 0, zone), tags=["listened"], rating=5
    )
    await add(
        repo,
        chat_id,
        EntryKind.SOCIAL,
        at_local(day(3), 19, 0, zone),
        tags=CONNECTED_TAGS,
        rating=5,
    )
    await add(
        repo,
        chat_id,
        EntryKind.SOCIAL,
        at_local(day(4), 19, 0, zone),
        tags=OUT_OF_SYNC_TAGS,
        rating=2,
    )


async def routines_on(
    repo: Repository, chat_id: int, day: date, sleep: RoutineAnswer, now: datetime
) -> None:
    await repo.record_routine_answer(chat_id, day, "sleep", sleep, now)


def png_size(data: bytes) -> tuple[int, int]:
    """Open and verify a PNG; its (width, height)."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        image.verify()
        return image.size


def pdf_text(data: bytes) -> str:
    """The text a PDF reader finds in a PDF, page after page, one line per drawn line."""
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]

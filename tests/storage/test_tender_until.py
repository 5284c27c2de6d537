"""``Person.tender_until``: stored as an aware UTC instant, added by a migration that keeps
everyone already stored, and read by ``Person.is_tender``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from storage.migrate import available_migrations, migrate
from storage.models import Person
from storage.repository import Repository
from storage.sqlite import SqliteRepository

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TENDER_MIGRATION = "0005_tender_until.sql"


def test_is_tender_until_the_instant_and_not_after() -> None:
    until = NOW + timedelta(hours=5)
    person = Person(chat_id=1, first_seen=NOW, tender_until=until)
    assert person.is_tender(NOW)
    assert person.is_tender(until - timedelta(seconds=1))
    assert not person.is_tender(until)
    assert not Person(chat_id=2, first_seen=NOW).is_tender(NOW)


async def test_tender_until_round_trips_as_aware_utc(repo: Repository) -> None:
    await repo.ensure_person(7, NOW)
    assert (await repo.get_person(7)).tender_until is None  # type: ignore[union-attr]
    until = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # midnight in Auckland (UTC+13)
    person = await repo.update_person(7, tender_until=until)
    assert person.tender_until == until and person.tender_until.utcoffset() == timedelta(0)
    assert person.is_tender(NOW)
    cleared = await repo.update_person(7, tender_until=None)
    assert cleared.tender_until is None and not cleared.is_tender(NOW)
    with pytest.raises(ValueError, match="aware"):
        await repo.update_person(7, tender_until=datetime(2026, 11, 26))


async def test_the_migration_keeps_everyone_and_starts_them_not_tender(tmp_path: Path) -> None:
    [tender] = [m for m in available_migrations() if m.name == TENDER_MIGRATION]
    path = tmp_path / "before.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate(db, target=tender.version - 1)
        await db.execute(
            "INSERT INTO people (chat_id, first_seen, gentle_next) VALUES (5, ?, 1)",
            (int(NOW.timestamp()),),
        )
        assert await migrate(db, target=tender.version) == tender.version
        async with db.execute("SELECT tender_until, gentle_next FROM people") as cursor:
            assert await cursor.fetchall() == [(None, 1)]
    repo = SqliteRepository(path)
    await repo.open()
    try:
        person = await repo.get_person(5)
        assert person is not None and person.gentle_next and person.tender_until is None
    finally:
        await repo.close()

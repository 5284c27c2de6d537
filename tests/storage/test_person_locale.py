"""``Person.locale``: the locale a person reads dates and times in, kept on their record by
``Repository.keep_locale`` (written only when it changed, never creating anyone), erased with
them, and added by a migration that keeps everyone already stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from storage.migrate import available_migrations, migrate
from storage.models import DeliveryKind
from storage.repository import Repository
from storage.sqlite import SqliteRepository

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
LOCALE_MIGRATION = "0008_person_locale.sql"


async def test_the_locale_is_kept_changed_and_erased_with_the_person(repo: Repository) -> None:
    person = await repo.ensure_person(7, NOW)
    assert person.locale is None  # not known yet: the default locale
    assert await repo.keep_locale(7, "en_US") is True
    assert (await repo.get_person(7)).locale == "en_US"  # type: ignore[union-attr]
    assert await repo.keep_locale(7, "en_US") is True  # the same again: still there
    assert await repo.keep_locale(7, "en_GB") is True
    stored = await repo.get_person(7)
    assert stored is not None and stored.locale == "en_GB"
    # The rest of the record is untouched, and the scheduler's read carries it too.
    assert stored.first_seen == NOW and stored.time_zone is None
    await repo.update_person(7, next_prompt_at=NOW)
    [due] = await repo.due_people(DeliveryKind.PROMPT, NOW, 10)
    assert due.locale == "en_GB"
    assert (await repo.update_person(7, locale="de")).locale == "de"

    # Nobody is created for a locale alone.
    assert await repo.keep_locale(8, "de") is False
    assert await repo.get_person(8) is None

    await repo.delete_person(7)
    assert await repo.get_person(7) is None
    assert await repo.keep_locale(7, "de") is False
    assert (await repo.ensure_person(7, NOW)).locale is None


async def test_the_migration_keeps_everyone_with_the_default_locale(tmp_path: Path) -> None:
    [added] = [m for m in available_migrations() if m.name == LOCALE_MIGRATION]
    path = tmp_path / "before.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate(db, target=added.version - 1)
        await db.execute(
            "INSERT INTO people (chat_id, first_seen, time_zone) VALUES (5, ?, 'Europe/London')",
            (int(NOW.timestamp()),),
        )
        assert await migrate(db, target=added.version) == added.version
        async with db.execute("SELECT locale, time_zone FROM people") as cursor:
            assert await cursor.fetchall() == [(None, "Europe/London")]
    repo = SqliteRepository(path)
    await repo.open()
    try:
        person = await repo.get_person(5)
        assert person is not None and person.locale is None
        assert person.time_zone == "Europe/London"
    finally:
        await repo.close()

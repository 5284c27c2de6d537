"""The SQLite repository against a real file: people, entries, deliveries, conversation state."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from storage.models import (
    DeliveryKind,
    DeliveryStatus,
    EntryKind,
    NewEntry,
    StoredBlob,
    StoredConversation,
)
from storage.postgres import PostgresRepository
from storage.repository import Repository
from storage.sqlite import SqliteRepository
from tests.harness import INTEGRITY_ERRORS

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


async def test_first_contact_creates_a_person_once(repo: Repository) -> None:
    first = await repo.ensure_person(42, NOW)
    await repo.update_person(42, time_zone="Europe/Berlin", prompt_time=time(7, 30))
    again = await repo.ensure_person(42, NOW + timedelta(days=3))
    assert again.first_seen == first.first_seen == NOW
    assert again.time_zone == "Europe/Berlin"
    assert again.prompt_time == time(7, 30)
    assert await repo.count_people() == 1


async def test_person_fields_round_trip(repo: Repository) -> None:
    await repo.ensure_person(7, NOW)
    quiet = NOW + timedelta(days=1)
    person = await repo.update_person(
        7,
        time_zone="America/New_York",
        prompt_time=time(20, 0),
        prompt_frequency="weekdays",
        recap_weekday=5,
        recap_time=time(9, 15),
        quiet_until=quiet,
        country="US",
        active=False,
        onboarded=True,
        next_prompt_at=NOW + timedelta(hours=2),
        gentle_next=True,
        trusted_name="Sam",
    )
    assert person.quiet_until == quiet and person.quiet_until.tzinfo is not None
    assert person.is_quiet(NOW) and not person.is_quiet(quiet)
    assert (person.recap_weekday, person.recap_time) == (5, time(9, 15))
    assert not person.active and person.onboarded and person.gentle_next
    with pytest.raises(ValueError, match="not a person field"):
        await repo.update_person(7, first_seen=NOW)
    with pytest.raises(ValueError, match="aware"):
        await repo.update_person(7, quiet_until=datetime(2026, 1, 1))


async def test_due_people_are_the_active_due_ones_oldest_first(repo: Repository) -> None:
    for chat_id, minutes, active in ((1, -5, True), (2, -30, True), (3, 10, True), (4, -60, False)):
        await repo.ensure_person(chat_id, NOW)
        await repo.update_person(
            chat_id, next_prompt_at=NOW + timedelta(minutes=minutes), active=active
        )
    due = await repo.due_people(DeliveryKind.PROMPT, NOW, limit=10)
    assert [p.chat_id for p in due] == [2, 1]
    assert [p.chat_id for p in await repo.due_people(DeliveryKind.PROMPT, NOW, limit=1)] == [2]
    assert await repo.due_people(DeliveryKind.RECAP, NOW, limit=10) == []


async def test_due_query_uses_the_partial_index(repo: Repository) -> None:
    if isinstance(repo, SqliteRepository):
        async with repo.db.execute(
            "EXPLAIN QUERY PLAN SELECT chat_id FROM people WHERE active = 1 AND "
            "next_prompt_at IS NOT NULL AND next_prompt_at <= ? ORDER BY next_prompt_at LIMIT 10",
            (0,),
        ) as cursor:
            plan = " ".join(str(row[3]) for row in await cursor.fetchall())
    else:
        assert isinstance(repo, PostgresRepository)
        async with repo.transaction() as conn:
            # An empty table is read faster whole; the question is whether the index serves.
            await conn.execute("SET LOCAL enable_seqscan = off")
            cursor = await conn.execute(
                "EXPLAIN SELECT chat_id FROM people WHERE active AND next_prompt_at IS NOT NULL "
                "AND next_prompt_at <= now() ORDER BY next_prompt_at LIMIT 10"
            )
            plan = " ".join(str(row[0]) for row in await cursor.fetchall())
    assert "people_prompt_due" in plan


async def test_entries_belong_to_their_author_only(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    await repo.ensure_person(2, NOW)
    mine = await repo.add_entry(
        NewEntry(
            1,
            EntryKind.WIN,
            NOW,
            text="listened to Mia 💛",
            tags=["listened"],
            rating=4,
            extra={"note": "a"},
        )
    )
    assert mine.text == "listened to Mia 💛" and mine.tags == ["listened"] and mine.rating == 4
    assert await repo.get_entry(1, mine.id) == mine
    assert await repo.get_entry(2, mine.id) is None
    assert await repo.delete_entry(2, mine.id) is False
    assert await repo.count_entries(1) == 1
    assert await repo.delete_entry(1, mine.id) is True
    assert await repo.count_entries(1) == 0


async def test_listing_pages_newest_first_and_filters(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    for i in range(5):
        kind = EntryKind.SETBACK if i % 2 else EntryKind.WIN
        await repo.add_entry(NewEntry(1, kind, NOW + timedelta(hours=i), text=f"e{i}"))
    page = await repo.list_entries(1, limit=2)
    assert [e.text for e in page] == ["e4", "e3"]
    assert [e.text for e in await repo.list_entries(1, limit=2, offset=2)] == ["e2", "e1"]
    wins = await repo.list_entries(1, kinds=[EntryKind.WIN], newest_first=False)
    assert [e.text for e in wins] == ["e0", "e2", "e4"]
    window = await repo.list_entries(
        1, since=NOW + timedelta(hours=1), until=NOW + timedelta(hours=3)
    )
    assert [e.text for e in window] == ["e2", "e1"]


async def test_a_delivery_can_be_claimed_only_once(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    assert await repo.claim_delivery(1, DeliveryKind.PROMPT, "2026-11-25", NOW, "p1")
    assert not await repo.claim_delivery(1, DeliveryKind.PROMPT, "2026-11-25", NOW, "p2")
    assert await repo.claim_delivery(1, DeliveryKind.RECAP, "2026-11-25", NOW)
    await repo.finish_delivery(
        1, DeliveryKind.PROMPT, "2026-11-25", DeliveryStatus.SENT, NOW, message_id=9
    )
    sent = await repo.get_delivery(1, DeliveryKind.PROMPT, "2026-11-25")
    assert sent is not None
    assert (sent.status, sent.message_id, sent.prompt_id) == (DeliveryStatus.SENT, 9, "p1")
    assert len(await repo.list_deliveries(1)) == 2


async def test_conversation_state_and_blobs(repo: Repository) -> None:
    await repo.conversations.save_persisted(
        [StoredConversation("win", "[1, 1]", 1, "2"), StoredConversation("win", "[2, 2]", 2, "1")],
        [StoredBlob("user_data", 1, '{"draft": {"text": "x"}}'), StoredBlob("chat_data", 2, "{}")],
    )
    assert await repo.conversations.load_conversations("win") == {
        "[1, 1]": (1, "2"),
        "[2, 2]": (2, "1"),
    }
    assert await repo.conversations.load_blobs("user_data") == {1: '{"draft": {"text": "x"}}'}
    await repo.conversations.save_persisted(
        [StoredConversation("win", "[2, 2]", 2, None), StoredConversation("win", "[1, 1]", 1, "3")],
        [StoredBlob("chat_data", 2, None)],
    )
    assert await repo.conversations.load_conversations("win") == {"[1, 1]": (1, "3")}
    assert await repo.conversations.load_blobs("chat_data") == {}
    assert await repo.conversations.load_blobs("user_data") == {1: '{"draft": {"text": "x"}}'}


async def test_a_persistence_flush_that_fails_writes_nothing(repo: Repository) -> None:
    await repo.conversations.save_persisted([StoredConversation("win", "[1, 1]", 1, "1")], [])
    with pytest.raises(INTEGRITY_ERRORS):
        # The second document breaks a NOT NULL constraint after the first was written.
        await repo.conversations.save_persisted(
            [StoredConversation("win", "[1, 1]", 1, "2")],
            [StoredBlob("user_data", 1, "{}"), StoredBlob(None, 2, "{}")],  # type: ignore[arg-type]
        )
    assert await repo.conversations.load_conversations("win") == {"[1, 1]": (1, "1")}
    assert await repo.conversations.load_blobs("user_data") == {}


async def test_deleting_a_person_erases_every_row_about_them(repo: Repository) -> None:
    for chat_id in (1, 2):
        await repo.ensure_person(chat_id, NOW)
        await repo.add_entry(NewEntry(chat_id, EntryKind.WIN, NOW, text=f"marker-{chat_id}"))
        await repo.claim_delivery(chat_id, DeliveryKind.PROMPT, "2026-11-25", NOW)
        await repo.conversations.save_persisted(
            [StoredConversation("win", f"[{chat_id}, {chat_id}]", chat_id, "1")],
            [StoredBlob("user_data", chat_id, "{}")],
        )
    await repo.delete_person(1)
    assert await repo.get_person(1) is None
    assert await repo.count_entries(1) == 0
    assert await repo.list_deliveries(1) == []
    assert list(await repo.conversations.load_conversations("win")) == ["[2, 2]"]
    assert list(await repo.conversations.load_blobs("user_data")) == [2]
    assert await repo.count_entries(2) == 1


def test_aiosqlite_still_has_the_internals_one_trip_reads_use() -> None:
    """storage/sqlite.py hands each statement to aiosqlite's thread in one trip through its
    private ``_execute`` and ``_conn`` (pyproject pins the versions that have them): an upgrade
    that drops them must fail here, not in a person's chat."""
    import inspect

    import aiosqlite

    assert inspect.iscoroutinefunction(aiosqlite.Connection._execute)
    assert "_conn" in inspect.getsource(aiosqlite.Connection.__init__)

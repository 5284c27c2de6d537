"""python-telegram-bot's persistence in Kindling's database: one transaction per flush."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.persistence import CHAT_DATA, USER_DATA, ConversationStorePersistence
from storage.sqlite import SqliteRepository

PEOPLE = range(1, 31)


# These read SQLite's own statement trace and switch the file to read-only; the same flushes on
# PostgreSQL are covered end to end by the rest of the suite.
@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    repository = SqliteRepository(tmp_path / "kindling.db")
    await repository.open()
    try:
        yield repository
    finally:
        await repository.close()


async def flush(
    persistence: ConversationStorePersistence, drafts: dict[int, dict[str, object]]
) -> list:
    """What Application.update_persistence does: every write of the flush started together."""
    return await asyncio.gather(
        *(persistence.update_user_data(person, data) for person, data in drafts.items()),
        *(persistence.update_chat_data(person, {}) for person in drafts),
        *(persistence.update_conversation("win", (p, p), 2) for p in drafts),
        return_exceptions=True,
    )


async def test_a_flush_for_thirty_people_is_one_commit(repo: SqliteRepository) -> None:
    persistence = ConversationStorePersistence(repo.conversations)
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    assert await persistence.get_conversations("win") == {}
    statements: list[str] = []
    await repo.db.set_trace_callback(statements.append)

    drafts = {p: {"draft": {"flow": "win", "text": f"moment {p}"}} for p in PEOPLE}
    assert await flush(persistence, drafts) == [None] * (3 * len(PEOPLE))
    assert [s for s in statements if s in {"BEGIN IMMEDIATE", "COMMIT"}] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    stored = await repo.conversations.load_blobs(USER_DATA)
    assert {key: json.loads(data) for key, data in stored.items()} == drafts
    assert await repo.conversations.load_blobs(CHAT_DATA) == {}  # empty chat data is not kept
    conversations = await repo.conversations.load_conversations("win")
    assert conversations == {json.dumps([p, p]): (p, "2") for p in PEOPLE}

    # The same flush again changes nothing, so nothing is written.
    statements.clear()
    assert await flush(persistence, drafts) == [None] * (3 * len(PEOPLE))
    assert not any(s.startswith(("INSERT", "DELETE", "BEGIN")) for s in statements), statements

    # Ending conversations and dropping drafts is one commit too.
    statements.clear()
    await asyncio.gather(
        *(persistence.update_conversation("win", (p, p), None) for p in PEOPLE),
        *(persistence.drop_user_data(p) for p in PEOPLE),
    )
    assert statements.count("COMMIT") == 1
    assert await repo.conversations.load_conversations("win") == {}
    assert await repo.conversations.load_blobs(USER_DATA) == {}


async def test_a_flush_that_fails_is_written_whole_by_the_next(repo: SqliteRepository) -> None:
    persistence = ConversationStorePersistence(repo.conversations)
    await persistence.get_user_data()
    await persistence.get_chat_data()
    drafts = {p: {"draft": {"flow": "win", "text": f"moment {p}"}} for p in PEOPLE}

    await repo.db.execute("PRAGMA query_only = ON")  # every write now fails
    results, n = await flush(persistence, drafts), len(PEOPLE)
    users, chats, states = results[:n], results[n : 2 * n], results[2 * n :]
    assert all(isinstance(r, sqlite3.OperationalError) for r in [*users, *states])
    assert chats == [None] * len(PEOPLE)  # empty chat data: nothing to write, nothing failed
    await repo.db.execute("PRAGMA query_only = OFF")
    assert await repo.conversations.load_blobs(USER_DATA) == {}
    assert await repo.conversations.load_conversations("win") == {}

    # Nothing was taken as stored, so the next flush writes all of it.
    assert await flush(persistence, drafts) == [None] * (3 * len(PEOPLE))
    assert len(await repo.conversations.load_blobs(USER_DATA)) == len(PEOPLE)
    assert len(await repo.conversations.load_conversations("win")) == len(PEOPLE)

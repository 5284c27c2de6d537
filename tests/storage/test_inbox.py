"""The durable inbox and idempotent entries, held by both backends (storage/inbox.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.crypto import TextCipher, generate_key
from storage.inbox import KEEP_DONE
from storage.models import (
    Backlog,
    EntryKind,
    InboxUpdate,
    NewEntry,
    StoredBlob,
    StoredConversation,
)
from storage.repository import Repository
from storage.target import DatabaseTarget
from tests.harness import open_repository
from tests.privacy.support import raw_query

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
BOT = 4242


def update(update_id: int, chat_id: int | None = 7, words: str = "hello") -> InboxUpdate:
    return InboxUpdate(update_id, chat_id, f'{{"update_id": {update_id}, "text": "{words}"}}')


async def done(repo: Repository, *ids: int, at: datetime = NOW) -> None:
    await repo.conversations.save_persisted([], [], [(BOT, i) for i in ids], at)


async def test_a_batch_is_stored_once_and_handed_out_in_order(repo: Repository) -> None:
    assert await repo.inbox.add(BOT, [update(3), update(1), update(2)], NOW) == [1, 2, 3]
    # Telegram delivering part of it again (the offset was not confirmed before a crash).
    assert await repo.inbox.add(BOT, [update(2), update(3), update(4)], NOW) == [4]
    pending = await repo.inbox.pending(BOT)
    assert [u.update_id for u in pending] == [1, 2, 3, 4]
    assert pending[0] == update(1)
    assert [u.update_id for u in await repo.inbox.pending(BOT, after_update_id=2)] == [3, 4]
    assert [u.update_id for u in await repo.inbox.pending(BOT, limit=1)] == [1]
    assert await repo.inbox.backlog(BOT) == Backlog(4, NOW)
    assert await repo.inbox.pending(BOT + 1) == []  # another bot's ids are its own


async def test_done_updates_leave_the_backlog_and_are_not_stored_again(repo: Repository) -> None:
    await repo.inbox.add(BOT, [update(1), update(2)], NOW)
    await done(repo, 1)
    assert [u.update_id for u in await repo.inbox.pending(BOT)] == [2]
    assert await repo.inbox.add(BOT, [update(1)], NOW) == []  # delivered again: not new
    assert [u.update_id for u in await repo.inbox.pending(BOT)] == [2]
    await done(repo, 2)
    assert await repo.inbox.backlog(BOT) == Backlog(0, None)


async def test_done_is_committed_with_the_state_it_left(repo: Repository) -> None:
    await repo.inbox.add(BOT, [update(1)], NOW)
    await repo.conversations.save_persisted(
        [StoredConversation("win", "[7, 7]", 7, "1")],
        [StoredBlob("user_data", 7, '{"draft": {"text": "hi"}}')],
        [(BOT, 1)],
        NOW,
    )
    assert await repo.inbox.pending(BOT) == []
    assert await repo.conversations.load_conversations("win") == {"[7, 7]": (7, "1")}
    assert await repo.conversations.load_blobs("user_data") == {7: '{"draft": {"text": "hi"}}'}


async def test_pruning_forgets_done_updates_after_a_week(repo: Repository) -> None:
    await repo.inbox.add(BOT, [update(1), update(2), update(3)], NOW)
    await done(repo, 1, at=NOW)
    await done(repo, 2, at=NOW + timedelta(days=3))
    later = NOW + KEEP_DONE + timedelta(days=1)
    # 1 was done more than a week ago; 3 was never done and arrived more than a week ago.
    assert await repo.inbox.prune(later) == 2
    assert await repo.inbox.add(BOT, [update(1), update(2)], later) == [1]
    assert [u.update_id for u in await repo.inbox.pending(BOT)] == [1]


async def test_an_entry_made_twice_by_one_update_is_stored_once(repo: Repository) -> None:
    await repo.ensure_person(7, NOW)
    first = await repo.add_entry(
        NewEntry(7, EntryKind.WIN, NOW, text="I paused", update_key="4242:10")
    )
    later = NOW + timedelta(seconds=5)
    again = await repo.add_entry(
        NewEntry(7, EntryKind.WIN, later, text="I paused", update_key="4242:10")
    )
    assert again == first
    other = await repo.add_entry(NewEntry(7, EntryKind.WIN, NOW, text="I paused"))
    unkeyed = await repo.add_entry(NewEntry(7, EntryKind.WIN, NOW, text="I paused"))
    assert len({first.id, other.id, unkeyed.id}) == 3  # no key: every entry is its own
    assert await repo.count_entries(7) == 3


async def test_an_entry_key_is_forgotten_with_the_done_updates(repo: Repository) -> None:
    await repo.ensure_person(7, NOW)
    first = await repo.add_entry(NewEntry(7, EntryKind.WIN, NOW, text="a", update_key="4242:1"))
    await repo.inbox.prune(NOW + KEEP_DONE + timedelta(days=1))
    # Telegram starting its ids afresh after a quiet week: a new update with an old id.
    second = await repo.add_entry(NewEntry(7, EntryKind.WIN, NOW, text="b", update_key="4242:1"))
    assert second.id != first.id and second.text == "b"


async def test_delete_person_erases_their_updates(repo: Repository) -> None:
    await repo.ensure_person(7, NOW)
    await repo.inbox.add(BOT, [update(1, chat_id=7), update(2, chat_id=8)], NOW)
    await repo.delete_person(7)
    assert [u.update_id for u in await repo.inbox.pending(BOT)] == [2]


async def test_payloads_are_sealed_at_rest_and_cleared_when_done(
    database: DatabaseTarget,
) -> None:
    cipher = TextCipher.from_key(generate_key())
    async with open_repository(database, cipher=cipher) as repo:
        await repo.inbox.add(BOT, [update(1, words="my secret words")], NOW)
        assert (await repo.inbox.pending(BOT))[0].payload.endswith('"my secret words"}')
        raw = raw_query(database, "SELECT payload FROM inbox")
        assert raw and all(isinstance(p, str) and "secret" not in p for (p,) in raw)
        await done(repo, 1)
        assert raw_query(database, "SELECT payload FROM inbox") == [(None,)]


async def test_a_note_written_twice_by_one_update_is_kept_once(repo: Repository) -> None:
    await repo.ensure_person(7, NOW)
    first = await repo.add_note(7, "be kind to yourself", NOW, update_key="4242:11:note")
    again = await repo.add_note(7, "be kind to yourself", NOW, update_key="4242:11:note")
    assert first is not None and again is None
    unkeyed = await repo.add_note(7, "be kind to yourself", NOW)
    assert unkeyed is not None and unkeyed.id != first.id
    assert [n.id for n in await repo.list_notes(7)] == [unkeyed.id, first.id]
    # Forgotten with the done updates, as an entry's key is.
    await repo.inbox.prune(NOW + KEEP_DONE + timedelta(days=1))
    later = await repo.add_note(7, "rest", NOW, update_key="4242:11:note")
    assert later is not None

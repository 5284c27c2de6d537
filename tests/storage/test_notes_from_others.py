"""Storage of notes from others on the path, on both backends: what is given to whom (never
one's own, never twice, at most one a day, the least given first), review only of what waits,
withdrawal only of one's own, and the words sealed at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.crypto import TextCipher, generate_key
from storage.models import OfferStatus, SharedNote
from storage.repository import Repository
from storage.target import DatabaseTarget
from tests.harness import open_repository
from tests.privacy.support import stored_bytes

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
AUTHOR, OTHER_AUTHOR, READER = 1, 2, 3


async def people(repo: Repository, *chat_ids: int) -> None:
    for chat_id in chat_ids:
        await repo.ensure_person(chat_id, NOW)


async def shared(repo: Repository, chat_id: int, text: str, at: datetime) -> int:
    """An offered sentence, approved at ``at``; its id."""
    note = await repo.add_offered_note(chat_id, text, at)
    assert note is not None and note.status is OfferStatus.PENDING
    assert await repo.review_offered_note(note.id, True, at)
    return note.id


async def test_what_is_given_to_whom(repo: Repository) -> None:
    await people(repo, AUTHOR, OTHER_AUTHOR, READER)
    first = await shared(repo, AUTHOR, "first", NOW)
    second = await shared(repo, OTHER_AUTHOR, "second", NOW + timedelta(minutes=1))
    assert await repo.take_note_from_others(READER, NOW, NOW) == SharedNote(first, "first")
    # One a day: nothing more since the start of the day it was given on.
    assert await repo.take_note_from_others(READER, NOW, NOW + timedelta(hours=1)) is None
    assert await repo.take_note_from_others(READER, NOW + DAY, NOW + DAY) == SharedNote(
        second, "second"
    )
    # Never twice: nothing is left for the reader.
    assert await repo.take_note_from_others(READER, NOW + 2 * DAY, NOW + 2 * DAY) is None
    # Never one's own: the second author gets the first's, and then nothing.
    assert await repo.take_note_from_others(OTHER_AUTHOR, NOW, NOW) == SharedNote(first, "first")
    assert await repo.take_note_from_others(OTHER_AUTHOR, NOW + DAY, NOW + DAY) is None
    # The one given least so far comes first, before an older one given more often.
    third = await shared(repo, OTHER_AUTHOR, "third", NOW + timedelta(minutes=2))
    assert await repo.take_note_from_others(AUTHOR, NOW, NOW) == SharedNote(third, "third")
    assert [r.text for r in await repo.list_notes_received(READER)] == ["first", "second"]


async def test_review_and_withdrawal(repo: Repository) -> None:
    await people(repo, AUTHOR, READER)
    waiting = await repo.add_offered_note(AUTHOR, "waiting", NOW, from_entry=10)
    later = await repo.add_offered_note(AUTHOR, "later", NOW + timedelta(minutes=1))
    assert waiting is not None and later is not None
    # A win is offered once.
    assert await repo.add_offered_note(AUTHOR, "again", NOW, from_entry=10) is None
    assert await repo.oldest_pending_note() == SharedNote(waiting.id, "waiting")
    assert await repo.count_pending_notes() == 2
    # Pending: never given.
    assert await repo.take_note_from_others(READER, NOW, NOW) is None
    assert await repo.review_offered_note(waiting.id, False, NOW)
    assert not await repo.review_offered_note(waiting.id, True, NOW)  # reviewed already
    assert await repo.oldest_pending_note() == SharedNote(later.id, "later")
    # Withdrawn by someone else: nothing changes; by its author: out of the queue for good.
    assert not await repo.withdraw_offered_note(READER, later.id)
    assert await repo.withdraw_offered_note(AUTHOR, later.id)
    assert not await repo.review_offered_note(later.id, True, NOW)
    assert await repo.oldest_pending_note() is None
    assert not await repo.withdraw_offered_note(AUTHOR, waiting.id)  # rejected: nothing to take
    assert [(n.text, n.status) for n in await repo.list_offered_notes(AUTHOR)] == [
        ("later", OfferStatus.WITHDRAWN),
        ("waiting", OfferStatus.REJECTED),
    ]
    # An approved one, given, then withdrawn: the reader's record keeps the day, not the words.
    given = await shared(repo, AUTHOR, "given", NOW)
    assert await repo.take_note_from_others(READER, NOW, NOW) == SharedNote(given, "given")
    assert await repo.withdraw_offered_note(AUTHOR, given)
    [received] = await repo.list_notes_received(READER)
    assert received.text is None
    # Erasing the author erases their sentences and every record of giving them.
    await repo.delete_person(AUTHOR)
    assert await repo.list_offered_notes(AUTHOR) == []
    assert await repo.list_notes_received(READER) == []


async def test_offered_words_are_sealed_at_rest(database: DatabaseTarget) -> None:
    marker = "Zebracorn-offered-81"
    async with open_repository(database, TextCipher.from_key(generate_key())) as repo:
        await people(repo, AUTHOR)
        await repo.add_offered_note(AUTHOR, marker, NOW)
        assert [n.text for n in await repo.list_offered_notes(AUTHOR)] == [marker]
        assert await repo.oldest_pending_note() is not None
    assert marker.encode() not in stored_bytes(database)

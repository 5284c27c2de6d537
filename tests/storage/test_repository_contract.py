"""The repository contract, held by both backends: empty answers, the edges of what a person
can write, instants and dates, and claims made at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.bounds import MAX_STORED_TEXT_CHARS
from storage.errors import StorageError
from storage.models import (
    CRISIS_TAG,
    QUIET_UNTIL_TURNED_BACK_ON,
    DeliveryKind,
    DeliveryStatus,
    EntryKind,
    NewEntry,
    RoutineAnswer,
)
from storage.repository import Repository

NOW = datetime(2026, 11, 25, 9, 30, 15, 987654, tzinfo=UTC)
WHOLE_SECOND = NOW.replace(microsecond=0)
DAY = "2026-11-25"


async def test_empty_answers_are_empty_not_errors(repo: Repository) -> None:
    assert await repo.get_person(1) is None
    assert await repo.count_people() == 0
    assert await repo.due_people(DeliveryKind.PROMPT, NOW, 10) == []
    assert await repo.due_people(DeliveryKind.RECAP, NOW, 10) == []
    assert await repo.list_entries(1) == []
    assert await repo.count_entries(1) == 0
    assert await repo.get_entry(1, 1) is None
    assert await repo.delete_entry(1, 1) is False
    assert await repo.get_delivery(1, DeliveryKind.PROMPT, DAY) is None
    assert await repo.list_deliveries(1) == []
    assert await repo.latest_sent_prompt(1, NOW - timedelta(days=1)) is None
    assert await repo.recent_prompt_ids(1, 5) == []
    assert await repo.due_prompt_agains(NOW, 10) == []
    assert await repo.schedule_prompt_again(1, DAY, NOW) is False
    await repo.clear_prompt_again(1, DAY)  # nothing to clear, and no error
    assert await repo.list_routine_checks(1, date(2026, 11, 1), date(2026, 11, 30)) == []
    assert await repo.conversations.load_conversations("win") == {}
    assert await repo.conversations.load_blobs("user_data") == {}
    await repo.conversations.save_persisted([], [])
    await repo.delete_person(1)  # erasing nobody is not an error
    with pytest.raises(StorageError):
        await repo.update_person(1, time_zone="Europe/Paris")
    with pytest.raises(ValueError, match="not a person field"):
        await repo.update_person(1, first_seen=NOW)
    assert await repo.advance_due(1, DeliveryKind.PROMPT, NOW, NOW) is False


async def test_instants_are_aware_utc_to_the_whole_second(repo: Repository) -> None:
    person = await repo.ensure_person(1, NOW)
    assert person.first_seen == WHOLE_SECOND and person.first_seen.tzinfo == UTC
    in_tokyo = datetime(2026, 11, 26, 8, 0, 0, 500, tzinfo=ZoneInfo("Asia/Tokyo"))
    person = await repo.update_person(
        1,
        next_prompt_at=in_tokyo,
        quiet_until=QUIET_UNTIL_TURNED_BACK_ON,
        prompt_time=time(7, 45, 30),
        recap_time=time(18, 5),
    )
    assert person.next_prompt_at == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert person.next_prompt_at.utcoffset() == timedelta(0)
    assert person.quiet_until == QUIET_UNTIL_TURNED_BACK_ON
    assert person.prompt_time == time(7, 45)  # a time of day is hours and minutes
    assert person.recap_time == time(18, 5)
    assert await repo.get_person(1) == person
    with pytest.raises(ValueError, match="naive"):
        await repo.update_person(1, next_prompt_at=datetime(2026, 11, 25, 9, 0))
    entry = await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, text="t"))
    assert entry.created_at == WHOLE_SECOND


async def test_dates_are_dates_and_delivery_days_are_iso_text(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    check = await repo.record_routine_answer(1, date(2026, 2, 28), "sleep", RoutineAnswer.OKAY, NOW)
    assert check.local_date == date(2026, 2, 28) and isinstance(check.local_date, date)
    assert await repo.claim_delivery(1, DeliveryKind.PROMPT, "2026-02-28", NOW, "p1")
    delivery = await repo.get_delivery(1, DeliveryKind.PROMPT, "2026-02-28")
    assert delivery is not None and delivery.local_date == "2026-02-28"
    assert delivery.claimed_at == WHOLE_SECOND and delivery.status is DeliveryStatus.CLAIMED


@pytest.mark.parametrize(
    "text",
    [
        "Ich habe gewartet, bevor ich antwortete. Schön.",
        "أخذت نفسًا عميقًا قبل أن أرد",  # right to left
        "e\u0301 combining, zero\u200bwidth, and a tab\there",
        "🌱🫶🏽👩‍👩‍👧 emoji made of several code points",
        "quotes ' \" and backslashes \\ and 100% and %s and $1 and ; DROP TABLE people;",
        "line one\nline two\r\nline three",
    ],
)
async def test_what_a_person_writes_comes_back_exactly(repo: Repository, text: str) -> None:
    await repo.ensure_person(1, NOW)
    await repo.update_person(1, trusted_name=text, trusted_contact=text)
    entry = await repo.add_entry(
        NewEntry(1, EntryKind.SETBACK, NOW, text=text, tags=[text], extra={"friend": text})
    )
    [stored] = await repo.list_entries(1)
    assert stored == entry
    assert (stored.text, stored.tags, stored.extra) == (text, [text], {"friend": text})
    person = await repo.get_person(1)
    assert person is not None and person.trusted_name == person.trusted_contact == text
    note = await repo.add_note(1, text, NOW)
    assert note is not None and await repo.list_notes(1) == [note] and note.text == text


async def test_notes_are_the_persons_own_kept_once_per_setback_and_given_back(
    repo: Repository,
) -> None:
    assert await repo.list_notes(1) == []
    assert await repo.delete_note(1, 1) is False
    assert await repo.mark_note_given_back(1, 1, NOW) is False
    await repo.ensure_person(1, NOW)
    await repo.ensure_person(2, NOW)
    setback = await repo.add_entry(NewEntry(1, EntryKind.SETBACK, NOW, text="t"))
    kept = await repo.add_note(1, "you did your best", NOW, from_entry=setback.id)
    assert kept is not None
    assert (kept.chat_id, kept.text, kept.created_at) == (1, "you did your best", WHOLE_SECOND)
    assert (kept.from_entry, kept.may_give_back, kept.given_back_at) == (setback.id, True, None)
    # The same setback's words a second time: nothing new.
    assert await repo.add_note(1, "you did your best", NOW, from_entry=setback.id) is None
    later = await repo.add_note(1, "rest", NOW + timedelta(hours=1), may_give_back=False)
    assert later is not None and later.may_give_back is False and later.from_entry is None
    assert [n.id for n in await repo.list_notes(1)] == [later.id, kept.id]  # newest first
    # Nobody else's: another person can neither see, mark nor delete them.
    assert await repo.list_notes(2) == []
    assert await repo.mark_note_given_back(2, kept.id, NOW) is False
    assert await repo.delete_note(2, kept.id) is False
    assert await repo.mark_note_given_back(1, kept.id, NOW) is True
    [_, marked] = await repo.list_notes(1)
    assert marked.given_back_at == WHOLE_SECOND
    # Deleting the setback leaves the note the person chose to keep.
    assert await repo.delete_entry(1, setback.id)
    assert len(await repo.list_notes(1)) == 2
    assert await repo.delete_note(1, later.id) is True
    assert await repo.delete_note(1, later.id) is False
    await repo.delete_person(1)
    assert await repo.list_notes(1) == []


async def test_people_counted_by_what_they_kept_never_by_a_crisis(repo: Repository) -> None:
    since = NOW - timedelta(days=7)
    assert await repo.count_people_with(EntryKind.WIN, since) == 0
    for chat_id in (1, 2, 3, 4):
        person = await repo.ensure_person(chat_id, NOW)
        assert person.counts_enabled is True
    await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, tags=["paused"]))
    await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, tags=["paused"]))  # one person, once
    await repo.add_entry(NewEntry(2, EntryKind.WIN, NOW, tags=["listened_without_fixing"]))
    await repo.add_entry(NewEntry(3, EntryKind.WIN, NOW - timedelta(days=8), tags=["paused"]))
    await repo.add_entry(NewEntry(4, EntryKind.SETBACK, NOW, tags=[CRISIS_TAG]))
    await repo.add_entry(NewEntry(3, EntryKind.SETBACK, NOW, tags=["sad"]))
    assert await repo.count_people_with(EntryKind.WIN, since) == 2
    assert await repo.count_people_with(EntryKind.WIN, since, tag="paused") == 1
    # "_" is a letter here, not a wildcard.
    assert await repo.count_people_with(EntryKind.WIN, since, tag="listened_without_fixing") == 1
    assert await repo.count_people_with(EntryKind.WIN, since, tag="listenedXwithout_fixing") == 0
    assert await repo.count_people_with(EntryKind.SETBACK, since) == 1
    assert await repo.count_people_with(None, since) == 3
    assert await repo.count_people_with(None, NOW - timedelta(days=30)) == 3
    person = await repo.update_person(1, counts_enabled=False)
    assert person.counts_enabled is False and await repo.get_person(1) == person


async def test_entries_marked_for_therapy_and_the_therapist_answer(repo: Repository) -> None:
    assert await repo.mark_for_therapy(1, 1, True) is False
    assert await repo.list_for_therapy(1) == []
    await repo.ensure_person(1, NOW)
    person = await repo.ensure_person(2, NOW)
    assert (person.therapist, person.therapy_said_at) == (None, None)
    first = await repo.add_entry(NewEntry(1, EntryKind.SETBACK, NOW, text="a"))
    second = await repo.add_entry(NewEntry(1, EntryKind.SOCIAL, NOW + timedelta(hours=1)))
    assert first.for_therapy is False
    assert await repo.mark_for_therapy(2, first.id, True) is False  # not theirs
    assert await repo.mark_for_therapy(1, second.id, True)
    assert await repo.mark_for_therapy(1, first.id, True)
    marked = await repo.list_for_therapy(1)
    assert [e.id for e in marked] == [first.id, second.id]  # oldest first
    assert all(e.for_therapy for e in marked) and await repo.list_for_therapy(2) == []
    assert await repo.mark_for_therapy(1, first.id, False)
    assert [e.id for e in await repo.list_for_therapy(1)] == [second.id]
    assert (await repo.get_entry(1, first.id)).for_therapy is False  # type: ignore[union-attr]
    person = await repo.update_person(1, therapist="would_like", therapy_said_at=NOW)
    assert (person.therapist, person.therapy_said_at) == ("would_like", WHOLE_SECOND)
    assert await repo.get_person(1) == person
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own integrity error
        await repo.update_person(1, therapist="maybe")


async def test_the_longest_text_is_kept_to_the_bound_on_both(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    longest = "🌱" * (MAX_STORED_TEXT_CHARS + 10)  # four bytes each, two UTF-16 units
    entry = await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, text=longest))
    assert entry.text == "🌱" * MAX_STORED_TEXT_CHARS
    assert (await repo.get_entry(1, entry.id)) == entry


async def test_a_nul_character_is_dropped_rather_than_refused(repo: Repository) -> None:
    # SQLite would keep it and PostgreSQL refuses it; it carries nothing a person meant.
    await repo.ensure_person(1, NOW)
    entry = await repo.add_entry(NewEntry(1, EntryKind.WIN, NOW, text="before\x00after"))
    assert entry.text == "beforeafter"
    person = await repo.update_person(1, trusted_name="Sam\x00")
    assert person.trusted_name == "Sam"


async def test_twenty_claims_at_once_make_one_delivery(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    results = await asyncio.gather(
        *(repo.claim_delivery(1, DeliveryKind.PROMPT, DAY, NOW, f"p{n}") for n in range(20))
    )
    assert results.count(True) == 1
    assert len(await repo.list_deliveries(1)) == 1


async def test_claim_and_advance_at_once_claims_once_and_moves_the_schedule_once(
    repo: Repository,
) -> None:
    await repo.ensure_person(1, NOW)
    due = WHOLE_SECOND - timedelta(minutes=1)
    following = due + timedelta(days=1)
    await repo.update_person(1, next_prompt_at=due)
    results = await asyncio.gather(
        *(
            repo.claim_and_advance(
                1, DeliveryKind.PROMPT, DAY, NOW, handled=due, following=following, prompt_id="p"
            )
            for _ in range(10)
        )
    )
    assert results.count(True) == 1
    person = await repo.get_person(1)
    assert person is not None and person.next_prompt_at == following


async def test_later_pressed_twice_at_once_schedules_one_resend(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    await repo.claim_delivery(1, DeliveryKind.PROMPT, DAY, NOW, "p1")
    await repo.finish_delivery(1, DeliveryKind.PROMPT, DAY, DeliveryStatus.SENT, NOW, message_id=5)
    later = WHOLE_SECOND + timedelta(hours=2)
    results = await asyncio.gather(*(repo.schedule_prompt_again(1, DAY, later) for _ in range(5)))
    assert results.count(True) == 1
    [again] = await repo.due_prompt_agains(later, 10)
    assert again.again_at == later and again.message_id == 5


async def test_due_people_are_paged_oldest_first_and_skip_the_inactive(repo: Repository) -> None:
    for chat_id in range(1, 8):
        await repo.ensure_person(chat_id, NOW)
        await repo.update_person(chat_id, next_prompt_at=WHOLE_SECOND - timedelta(minutes=chat_id))
    await repo.update_person(3, active=False)
    first = await repo.due_people(DeliveryKind.PROMPT, NOW, 4)
    assert [p.chat_id for p in first] == [7, 6, 5, 4]
    assert [p.chat_id for p in await repo.due_people(DeliveryKind.PROMPT, NOW, 10)] == [
        7,
        6,
        5,
        4,
        2,
        1,
    ]
    assert await repo.due_people(DeliveryKind.PROMPT, WHOLE_SECOND - timedelta(hours=1), 10) == []

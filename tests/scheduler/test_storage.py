"""The scheduler's storage: a "Later" re-send is scheduled at most once per local date, found when
due (oldest first) and forgotten once handled; a due is advanced only if nobody changed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.models import DeliveryKind, DeliveryStatus
from storage.repository import Repository

NOW = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
PROMPT, AGAIN = DeliveryKind.PROMPT, DeliveryKind.PROMPT_AGAIN


async def sent_prompt(repo: Repository, chat_id: int, day: str, prompt_id: str) -> None:
    await repo.ensure_person(chat_id, NOW)
    assert await repo.claim_delivery(chat_id, PROMPT, day, NOW, prompt_id)
    await repo.finish_delivery(chat_id, PROMPT, day, DeliveryStatus.SENT, NOW, message_id=9)


async def test_a_resend_is_scheduled_once_and_only_for_a_sent_prompt(
    repo: Repository,
) -> None:
    await repo.ensure_person(1, NOW)
    later = NOW + timedelta(hours=2)
    assert not await repo.schedule_prompt_again(1, "2026-11-25", later)  # nothing sent yet
    assert await repo.claim_delivery(1, PROMPT, "2026-11-25", NOW, "ground_sounds")
    assert not await repo.schedule_prompt_again(1, "2026-11-25", later)  # claimed, not sent
    await repo.finish_delivery(1, PROMPT, "2026-11-25", DeliveryStatus.SENT, NOW, message_id=3)
    assert await repo.schedule_prompt_again(1, "2026-11-25", later)
    assert not await repo.schedule_prompt_again(1, "2026-11-25", later + timedelta(hours=1))
    row = await repo.get_delivery(1, PROMPT, "2026-11-25")
    assert row is not None and row.again_at == later

    await repo.clear_prompt_again(1, "2026-11-25")
    assert await repo.claim_delivery(1, AGAIN, "2026-11-25", later, "ground_sounds")
    # Once the re-send exists (sent or skipped), the day is closed.
    assert not await repo.schedule_prompt_again(1, "2026-11-25", later + timedelta(hours=1))


async def test_due_resends_oldest_first_and_cleared_once_handled(
    repo: Repository,
) -> None:
    for chat, minutes in ((1, 30), (2, 10), (3, 20), (4, 200)):
        await sent_prompt(repo, chat, "2026-11-25", f"p{chat}")
        assert await repo.schedule_prompt_again(
            chat, "2026-11-25", NOW + timedelta(minutes=minutes)
        )
    due = await repo.due_prompt_agains(NOW + timedelta(minutes=30), limit=10)
    assert [(d.chat_id, d.prompt_id) for d in due] == [(2, "p2"), (3, "p3"), (1, "p1")]
    assert [d.chat_id for d in await repo.due_prompt_agains(NOW + timedelta(hours=1), 2)] == [2, 3]
    await repo.clear_prompt_again(2, "2026-11-25")
    due = await repo.due_prompt_agains(NOW + timedelta(minutes=30), limit=10)
    assert [d.chat_id for d in due] == [3, 1]


async def test_recent_prompt_ids_newest_first(repo: Repository) -> None:
    for day, prompt_id in (("2026-11-23", "a"), ("2026-11-25", "c"), ("2026-11-24", "b")):
        await sent_prompt(repo, 1, day, prompt_id)
    assert await repo.recent_prompt_ids(1, 2) == ["c", "b"]
    assert await repo.recent_prompt_ids(2, 5) == []


async def test_advance_due_keeps_a_schedule_changed_meanwhile(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    await repo.update_person(1, next_prompt_at=NOW, next_recap_at=NOW)
    tomorrow = NOW + timedelta(days=1)
    assert await repo.advance_due(1, PROMPT, NOW, tomorrow)
    person = await repo.get_person(1)
    assert person is not None and person.next_prompt_at == tomorrow
    assert person.next_recap_at == NOW  # the recap's own column is untouched

    # /settings moved the prompt while a tick still held the old due: the new one stays.
    changed = NOW + timedelta(hours=30)
    await repo.update_person(1, next_prompt_at=changed)
    assert not await repo.advance_due(1, PROMPT, tomorrow, tomorrow + timedelta(days=1))
    person = await repo.get_person(1)
    assert person is not None and person.next_prompt_at == changed
    assert await repo.advance_due(1, DeliveryKind.RECAP, NOW, None)
    person = await repo.get_person(1)
    assert person is not None and person.next_recap_at is None

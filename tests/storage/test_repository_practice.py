"""The repository queries the daily-practice handlers rely on (answers to the daily prompt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.models import DeliveryKind, DeliveryStatus
from storage.repository import Repository

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
async def two_people(repo: Repository) -> None:
    await repo.ensure_person(1, NOW)
    await repo.ensure_person(2, NOW)


async def send(
    repo: Repository,
    chat_id: int,
    kind: DeliveryKind,
    local_date: str,
    at: datetime,
    prompt_id: str | None,
    status: DeliveryStatus = DeliveryStatus.SENT,
    message_id: int = 10,
) -> None:
    assert await repo.claim_delivery(chat_id, kind, local_date, at, prompt_id=prompt_id)
    await repo.finish_delivery(chat_id, kind, local_date, status, at, message_id=message_id)


async def test_no_prompt_sent_means_none(repo: Repository) -> None:
    assert await repo.latest_sent_prompt(1, NOW - timedelta(hours=18)) is None


async def test_the_newest_sent_prompt_since_the_cutoff(repo: Repository) -> None:
    day1 = NOW - timedelta(days=1)
    await send(repo, 1, DeliveryKind.PROMPT, "2026-11-24", day1, "old_one", message_id=5)
    await send(repo, 1, DeliveryKind.PROMPT, "2026-11-25", NOW, "new_one", message_id=9)
    found = await repo.latest_sent_prompt(1, NOW - timedelta(hours=18))
    assert found is not None
    assert (found.prompt_id, found.message_id, found.sent_at) == ("new_one", 9, NOW)
    assert found.kind is DeliveryKind.PROMPT and found.status is DeliveryStatus.SENT
    # With a cutoff reaching back two days, the newer one still wins.
    found = await repo.latest_sent_prompt(1, NOW - timedelta(days=2))
    assert found is not None and found.prompt_id == "new_one"
    # A cutoff after the newest send finds nothing.
    assert await repo.latest_sent_prompt(1, NOW + timedelta(seconds=1)) is None


async def test_a_prompt_sent_again_counts_and_is_newer(repo: Repository) -> None:
    await send(repo, 1, DeliveryKind.PROMPT, "2026-11-25", NOW, "first", message_id=3)
    later = NOW + timedelta(hours=2)
    await send(repo, 1, DeliveryKind.PROMPT_AGAIN, "2026-11-25", later, "first", message_id=4)
    found = await repo.latest_sent_prompt(1, NOW)
    assert found is not None
    assert (found.kind, found.message_id, found.sent_at) == (DeliveryKind.PROMPT_AGAIN, 4, later)


async def test_only_sent_prompts_of_this_person_count(repo: Repository) -> None:
    await send(repo, 1, DeliveryKind.PROMPT, "2026-11-25", NOW, "failed", DeliveryStatus.FAILED)
    await repo.claim_delivery(1, DeliveryKind.PROMPT_AGAIN, "2026-11-25", NOW, prompt_id="claimed")
    await send(repo, 1, DeliveryKind.RECAP, "2026-11-25", NOW, None)
    await send(repo, 2, DeliveryKind.PROMPT, "2026-11-25", NOW, "someone_else")
    assert await repo.latest_sent_prompt(1, NOW - timedelta(hours=1)) is None
    found = await repo.latest_sent_prompt(2, NOW - timedelta(hours=1))
    assert found is not None and found.chat_id == 2 and found.prompt_id == "someone_else"

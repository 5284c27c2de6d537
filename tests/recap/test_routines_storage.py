"""The routines table (migration 0004) through the repository: one row a day, erased with the
person."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.services import Services
from storage.models import RoutineAnswer
from tests.harness import INTEGRITY_ERRORS

DAY = date(2026, 11, 25)


async def test_answers_are_kept_per_local_date_and_replaced(services: Services) -> None:
    repo, now = services.repo, services.clock.now()
    await repo.ensure_person(1, now)
    first = await repo.record_routine_answer(1, DAY, "sleep", RoutineAnswer.OKAY, now)
    assert (first.local_date, first.sleep, first.meals, first.movement) == (
        DAY,
        RoutineAnswer.OKAY,
        None,
        None,
    )
    later = now + timedelta(hours=1)
    await repo.record_routine_answer(1, DAY, "movement", RoutineAnswer.SKIPPED, later)
    again = await repo.record_routine_answer(1, DAY, "sleep", RoutineAnswer.NOT_GREAT, later)
    assert (again.sleep, again.movement) == (RoutineAnswer.NOT_GREAT, RoutineAnswer.SKIPPED)
    assert again.created_at == now  # the row is the day's; answers change within it
    await repo.record_routine_answer(1, DAY + timedelta(days=1), "meals", RoutineAnswer.OKAY, now)
    await repo.record_routine_answer(1, DAY - timedelta(days=9), "meals", RoutineAnswer.OKAY, now)

    week = await repo.list_routine_checks(1, DAY - timedelta(days=2), DAY + timedelta(days=1))
    assert [c.local_date for c in week] == [DAY, DAY + timedelta(days=1)]
    assert await repo.list_routine_checks(2, DAY, DAY) == []


async def test_only_known_parts_and_answers(services: Services) -> None:
    repo, now = services.repo, services.clock.now()
    await repo.ensure_person(1, now)
    with pytest.raises(ValueError):
        await repo.record_routine_answer(1, DAY, "mood; DROP TABLE people", RoutineAnswer.OKAY, now)
    with pytest.raises(ValueError):
        await repo.record_routine_answer(1, DAY, "sleep", "fine", now)  # type: ignore[arg-type]
    with pytest.raises(INTEGRITY_ERRORS):  # nobody: the foreign key refuses it
        await repo.record_routine_answer(99, DAY, "sleep", RoutineAnswer.OKAY, now)
    assert await repo.count_people() == 1


async def test_deleting_a_person_erases_their_checks(services: Services) -> None:
    repo, now = services.repo, services.clock.now()
    for chat_id in (1, 2):
        await repo.ensure_person(chat_id, now)
        await repo.record_routine_answer(chat_id, DAY, "meals", RoutineAnswer.NOT_GREAT, now)
    await repo.delete_person(1)
    assert await repo.list_routine_checks(1, DAY, DAY) == []
    assert len(await repo.list_routine_checks(2, DAY, DAY)) == 1

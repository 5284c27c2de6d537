"""Setting a person up directly through the repository, as onboarding would have left them."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

from bot.app import KindlingApplication
from scheduler.plan import schedule_fields
from storage.models import Person


async def set_up(
    bot: KindlingApplication,
    chat_id: int,
    *,
    zone: str = "Europe/Berlin",
    at: time | None = time(20, 0),
    **fields: Any,
) -> Person:
    """An onboarded person with a zone and a prompt time (and any other fields given)."""
    repo, now = bot.services.repo, bot.services.clock.now()
    person = await repo.ensure_person(chat_id, now)
    changes: dict[str, Any] = {
        "time_zone": zone,
        "prompt_time": at,
        "prompts_enabled": at is not None,
        "onboarded": True,
        **fields,
    }
    changes |= schedule_fields(replace(person, **changes), now)
    return await repo.update_person(chat_id, **changes)


async def stored(bot: KindlingApplication, chat_id: int) -> Person:
    person = await bot.services.repo.get_person(chat_id)
    assert person is not None
    return person

"""Shared steps for the scheduler's tests: onboarding through the front door, and reading what
the bot sent and stored."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from bot.app import KindlingApplication
from bot.content.library import load_library
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.models import Delivery, DeliveryKind

# 20:00 in Berlin on the evening of the conftest's START (Wednesday 25 November 2026, 09:00 UTC).
BERLIN_EIGHT_PM = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
TODAY = "2026-11-25"


async def onboard(
    emulator: BotApiEmulator,
    chat_id: int,
    place: str = "Berlin",
    at: str | None = "20:00",
    name: str = "Alex",
) -> EmulatedPerson:
    """A person sets Kindling up with /start: a place, then a prompt time (None: no prompts)."""
    person = emulator.person(chat_id, name)
    await person.send("/start")
    await person.expect("Kindling")
    await person.expect("where are you")
    await person.send(place)
    await person.expect()
    await person.expect("daily reflection")
    if at is None:
        await person.press("No daily prompts for now")
    else:
        await person.send(at)
    await person.expect("All set")
    return person


def sent_after(emulator: BotApiEmulator, chat_id: int, seen: int) -> list[SentMessage]:
    """What the bot sent to ``chat_id`` after the first ``seen`` messages."""
    return emulator.sent(chat_id)[seen:]


async def deliveries_of(
    bot: KindlingApplication, chat_id: int, kind: DeliveryKind | None = None
) -> list[Delivery]:
    rows = await bot.services.repo.list_deliveries(chat_id)
    return [row for row in rows if kind is None or row.kind is kind]


def prompts_in(messages: list[SentMessage]) -> list[SentMessage]:
    """The daily prompts (first or again) among ``messages``: the ones carrying a prompt's text."""
    texts = _prompt_texts()
    return [m for m in messages if any(text in (m.raw_text or "") for text in texts)]


@functools.cache
def _prompt_texts() -> tuple[str, ...]:
    return tuple(prompt.text for prompt in load_library().prompts)

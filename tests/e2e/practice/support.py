"""Small helpers shared by the daily-practice stories."""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sandbox.emulator import EmulatedPerson, SentMessage
from storage.models import DeliveryKind, DeliveryStatus, Entry
from storage.repository import Repository

EXPIRED = "expired"  # what the catch-all (and a refused button) answers


async def wait_for_state(
    repo: Repository, flow: str, chat_id: int, state: int | None, timeout: float = 5.0
) -> None:
    """Wait until persistence has written ``flow``'s state for the chat (None: no row)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        rows = await repo.conversations.load_conversations(flow)
        states = [json.loads(s) for c, s in rows.values() if c == chat_id]
        if (state is None and not states) or (state is not None and states == [state]):
            return
        if loop.time() > deadline:
            raise AssertionError(f"{flow} state for {chat_id} is {states}, not {state}")
        await asyncio.sleep(0.02)  # each update's state is stored right after it is handled


async def wait_for_stored_data(
    repo: Repository, chat_id: int, holds: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> dict[str, Any]:
    """Wait until the person's stored data (user_data, as the database holds it) ``holds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        stored = await repo.conversations.load_blob("user_data", chat_id)
        data = {} if stored is None else dict(json.loads(stored))
        if holds(data):
            return data
        if loop.time() > deadline:
            raise AssertionError(f"stored data of {chat_id} is {sorted(data)}")
        await asyncio.sleep(0.02)


async def send_prompt(
    repo: Repository,
    chat_id: int,
    prompt_id: str,
    at: datetime,
    *,
    kind: DeliveryKind = DeliveryKind.PROMPT,
    status: DeliveryStatus = DeliveryStatus.SENT,
    local_date: str | None = None,
) -> None:
    """Record a daily prompt the way the scheduler does (claim, then finish)."""
    day = local_date or at.date().isoformat()
    await repo.ensure_person(chat_id, at)
    assert await repo.claim_delivery(chat_id, kind, day, at, prompt_id=prompt_id)
    await repo.finish_delivery(chat_id, kind, day, status, at, message_id=777)


def last_answer(person: EmulatedPerson) -> dict[str, object]:
    """The latest answerCallbackQuery this person got."""
    answers = person.answered_callbacks
    assert answers, "no button press was answered"
    return answers[-1]


async def press_and_check_answered(
    person: EmulatedPerson, button: str, message: SentMessage | None = None
) -> str:
    """Press a button and check that Telegram's spinner was stopped for it."""
    query_id = await person.press(button, message)
    await person.wait_for(lambda: person.callback_answered(query_id), what="button answered")
    return query_id


async def forge(person: EmulatedPerson, data: str, message: SentMessage) -> dict[str, object]:
    """Send callback data the bot never offered (or no longer offers) and return its answer."""
    query_id = await person.press_data(data, message)
    await person.wait_for(lambda: person.callback_answered(query_id), what="forged press answered")
    return next(a for a in person.answered_callbacks if a["callback_query_id"] == query_id)


async def entries(repo: Repository, chat_id: int) -> list[Entry]:
    return await repo.list_entries(chat_id, limit=100)


def assert_answered_in_place(
    message: SentMessage, asked: str, chosen: str, then: str | None = None
) -> None:
    """The tapped ``message`` now reads as a record: the question as first ``asked``, the
    tapped button's label in italics right under it, then (when given) the next step below."""
    record = f"{asked}\n<i>{html.escape(chosen, quote=False)}</i>"
    if then is not None:
        record = f"{record}\n\n{then}"
    raw = message.raw_text or ""
    assert record in raw, f"message {message.message_id} reads {raw!r}, without {record!r}"

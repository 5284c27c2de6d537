"""Helpers for the /pause and crisis-check stories."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.app import KindlingApplication
from handlers.flow import Flow, flows
from sandbox.emulator import EmulatedPerson
from storage.models import Entry


async def entries(bot: KindlingApplication, chat_id: int) -> list[Entry]:
    return await bot.services.repo.list_entries(chat_id, limit=100)


def flow_named(bot: KindlingApplication, name: str) -> Flow:
    return next(flow for flow in flows(bot) if flow.name == name)


def in_flow(bot: KindlingApplication, name: str, chat_id: int) -> bool:
    return flow_named(bot, name).active_state(chat_id, chat_id) is not None


async def press_answered(person: EmulatedPerson, button: str) -> str:
    """Press a button and wait until the bot stopped its spinner."""
    query_id = await person.press(button)
    await person.wait_for(lambda: person.callback_answered(query_id), what="button answered")
    return query_id


def answer_to(person: EmulatedPerson, query_id: str) -> dict[str, object]:
    return next(a for a in person.answered_callbacks if a["callback_query_id"] == query_id)


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """Wait for in-process state the emulator cannot see change (a flow's state is set just
    after its reply goes out), checking every few milliseconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.01)

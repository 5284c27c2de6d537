"""The long-lived things handlers and jobs need, owned by the Application."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from telegram.ext import CallbackContext

from bot.clock import Clock
from bot.content.library import Library
from bot.content.ui import UiTexts
from bot.settings import Settings
from storage.repository import Repository

if TYPE_CHECKING:
    from bot.app import KindlingApplication
    from handlers.flood import FloodWindow


class SendsInFlight:
    """The chats a scheduled nudge is being sent to right now, until its delivery is recorded
    (memory only). Someone can answer a prompt, or tap its button, the moment it arrives, before
    the scheduler has recorded it as sent; what reads that record waits for it here."""

    # Longer than a send and its record take; a send retried after a failure is not waited for.
    WAIT_SECONDS = 5.0

    def __init__(self) -> None:
        self._chats: dict[int, asyncio.Event] = {}

    @contextlib.contextmanager
    def sending(self, chat_id: int) -> Iterator[None]:
        """Around a nudge's send and the record of how it went."""
        event = self._chats[chat_id] = asyncio.Event()
        try:
            yield
        finally:
            event.set()
            if self._chats.get(chat_id) is event:
                del self._chats[chat_id]

    async def recorded(self, chat_id: int) -> None:
        """Once no nudge to ``chat_id`` is between its send and its record (or after a while)."""
        event = self._chats.get(chat_id)
        if event is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.WAIT_SECONDS):
                await event.wait()


@dataclass(slots=True)
class Services:
    settings: Settings
    repo: Repository
    clock: Clock
    ui: UiTexts
    library: Library
    rng: random.Random = field(default_factory=random.Random)
    # Group chats already told that Kindling works only in private (kept in memory only, so
    # nothing about a group is ever stored).
    groups_told: set[int] = field(default_factory=set)
    # Recent arrivals per private chat, for the flood guard (handlers/flood.py); memory only.
    flood_windows: dict[int, FloodWindow] = field(default_factory=dict)
    # The locale last kept on each person's record (handlers/person_locale.py), so that it is
    # written only when it changes and read once per process; memory only.
    locales_kept: dict[int, str] = field(default_factory=dict)
    # Scheduled nudges between their send and its record (scheduler.ticker); memory only.
    sends_in_flight: SendsInFlight = field(default_factory=SendsInFlight)


def services(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    return cast("KindlingApplication", context.application).services

"""The Bot API emulator for benchmarks with many people: each person waits for the bot's answer
in their own chat without waking everyone else.

The emulator's own waits (``next_message``, ``wait_for``) recheck every waiting person's
condition on every change: with hundreds of people waiting at once, that costs this process
more than the bots being measured, and the measured rates end up being this process's. Here
each waiting person has one future, resolved from the emulator's event for their chat, with
the moment it came (``time.monotonic()``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sandbox.emulator import BotApiEmulator, ChatEvent


class AnswerWatch(BotApiEmulator):
    """The emulator, telling each waiting person when the bot's answer reached their chat."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Per chat: whether an edit counts as the answer (else only a new message), and the
        # future that gets the moment it arrived.
        self._waiting: dict[int, tuple[bool, asyncio.Future[float]]] = {}

    def expect(self, chat_id: int, *, edits_too: bool = False) -> asyncio.Future[float]:
        """The moment the bot's next message (or, ``edits_too``, edit) reaches ``chat_id``;
        ask before the person acts, so the answer cannot come first."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = (edits_too, future)
        return future

    async def answer(self, future: asyncio.Future[float], chat_id: int, timeout: float) -> float:
        """Wait for an ``expect``-ed answer; TimeoutError (and forgotten) if none came."""
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            waiting = self._waiting.get(chat_id)
            if waiting is not None and waiting[1] is future:
                del self._waiting[chat_id]

    def _publish(self, event: ChatEvent) -> None:
        super()._publish(event)
        if event.chat_id is None or event.kind not in ("sent", "edited"):
            return
        self.seen(event, time.monotonic())
        waiting = self._waiting.get(event.chat_id)
        if waiting is None:
            return
        edits_too, future = waiting
        if (event.kind == "sent" or edits_too) and not future.done():
            del self._waiting[event.chat_id]
            future.set_result(time.monotonic())

    def seen(self, event: ChatEvent, at: float) -> None:
        """Every new message or edit, as it comes (for subclasses)."""

"""Updates from different people handled side by side; each person's in the order they came.

python-telegram-bot handles one update at a time by default, so one person's slow step (the PDF
of ``/share``, the weekly picture, a slow database write) holds up everyone else's replies. Here
each chat has its own lane: a chat's updates run one after another, in order, exactly as before,
so a conversation never sees two of its own steps at once; different chats run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.update_keys import reset_current_update, set_current_update

log = logging.getLogger(__name__)

# Updates in flight at once (across all chats); more wait for a slot, in order.
MAX_CONCURRENT_UPDATES = 256

# Called in an update's lane once it has been handled (bot/inbox.py commits its chat's state
# with its "done" mark), before the chat's next update starts.
Settle = Callable[[object], Awaitable[None]]


class UpdatesInHand:
    """The updates the bot has taken in (fetched, or read back from the inbox) and not finished
    with yet: handled, and settled in the inbox.

    Nothing in the bot waits on this. It is how someone outside can know that the bot has
    finished with everything it was sent, rather than guessing from a pause: the sandbox's
    Bot API emulator asks it (``BotApiEmulator.watching_bot``), and the tests wait through it.
    It holds the updates in flight and one number, so its memory follows the load, not time.
    """

    def __init__(self) -> None:
        # Every fetched update up to this id was handed on, skipped (unreadable, or already
        # done before a restart) or is still open.
        self.taken_up_to = 0
        self._open: set[int] = set()
        # Told after every change (from the event loop's thread, never awaited).
        self.on_change: Callable[[], None] | None = None

    def taken(self, fetched: Iterable[int], handed_on: Iterable[object]) -> None:
        """A poll (or the backlog) brought ``fetched`` update ids; ``handed_on`` go to the
        handlers now (the rest are skipped)."""
        for update in handed_on:
            update_id = getattr(update, "update_id", None)
            if isinstance(update_id, int):
                self._open.add(update_id)
        self.taken_up_to = max([self.taken_up_to, *fetched])
        self._changed()

    def finished(self, update: object) -> None:
        """The update was handled and settled (or failed: it will not be handled here again)."""
        update_id = getattr(update, "update_id", None)
        if isinstance(update_id, int) and update_id in self._open:
            self._open.discard(update_id)
            self._changed()

    def done_with(self, update_id: int) -> bool:
        """Whether the bot took update ``update_id`` in and has nothing left to do for it."""
        return update_id <= self.taken_up_to and update_id not in self._open

    @property
    def open(self) -> int:
        return len(self._open)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        settle: Settle | None = None,
        in_hand: UpdatesInHand | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.settle = settle
        self.in_hand = in_hand or UpdatesInHand()
        # One lock per chat with an update in flight or waiting, and how many updates hold or
        # wait for it. asyncio's locks wake waiters in the order they asked, which is the order
        # the updates arrived.
        self._lanes: dict[int | None, _Lane] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _lane_of(update)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        lane.users += 1
        try:
            async with lane.lock:
                token = set_current_update(update)
                try:
                    await coroutine
                finally:
                    reset_current_update(token)
                if self.settle is not None:
                    await self._settle(update)
        finally:
            lane.users -= 1
            if lane.users == 0:
                # Nobody else holds or waits in this lane: forget it, so memory follows the
                # people active now, not everyone ever seen.
                del self._lanes[key]
            self.in_hand.finished(update)

    async def _settle(self, update: object) -> None:
        try:
            await self.settle(update)  # type: ignore[misc]
        except Exception as error:
            # The update stays pending in the inbox and is handled again after a restart (its
            # entry, if it made one, is found rather than stored twice).
            log.error("update not settled type=%s", type(error).__name__)

    @property
    def lanes_open(self) -> int:
        return len(self._lanes)


class _Lane:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def _lane_of(update: object) -> int | None:
    """The chat an update belongs to (the sender, for a press on an inline message without
    one); None for anything else, which then runs in one shared lane."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None

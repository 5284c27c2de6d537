"""The durable inbox: every update from Telegram, stored before Telegram is told it arrived.

python-telegram-bot's polling confirms a batch of updates (moves the ``getUpdates`` offset past
it) before its handlers have run, and a webhook answered 200 is never sent again: an update held
only in memory is gone if the process dies. Here each fetched batch is committed first, in one
transaction, and an update leaves the inbox only when it is marked done, which happens in the
same transaction as the conversation state its handling left
(:meth:`storage.conversations.ConversationStore.save_persisted`). After a crash, what is not done
is handled again.

The payload holds a person's words, so it is sealed like their entries, cleared the moment the
update is done, and erased with the rest of a person's data. A done row (ids and times only)
stays for ``KEEP_DONE`` so that the same update delivered again is recognised and not handled
twice, then it is pruned.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta

from storage.models import Backlog, InboxUpdate

# How long a done update (ids and times only, no payload) is remembered. Telegram may start
# update ids afresh after a week without updates, so no longer than that.
KEEP_DONE = timedelta(days=7)


class Inbox(ABC):
    @abstractmethod
    async def add(self, bot_id: int, updates: Sequence[InboxUpdate], now: datetime) -> list[int]:
        """Store a batch in one transaction; the ids that were new, in order. An update stored
        before (pending or done) is left as it is."""

    @abstractmethod
    async def pending(
        self, bot_id: int, after_update_id: int | None = None, limit: int = 1000
    ) -> list[InboxUpdate]:
        """Updates not yet done, oldest first, after ``after_update_id`` when given."""

    @abstractmethod
    async def backlog(self, bot_id: int) -> Backlog:
        """How many updates wait to be handled, and since when."""

    @abstractmethod
    async def prune(self, now: datetime) -> int:
        """Forget done updates older than ``KEEP_DONE``, and the update keys of entries made
        before then; how many updates were forgotten."""

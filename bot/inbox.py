"""Nothing a person sends is lost or applied twice: updates go through the durable inbox.

python-telegram-bot's polling tells Telegram a batch arrived (the next ``getUpdates`` offset)
before its handlers have run, and its persistence writes conversation state on a timer, after
the fact. A process killed in between loses what was fetched, or leaves a step's entry stored
with the conversation still at the question before it. Here:

1. each fetched batch is committed to the inbox (``storage.inbox``) before it is handed to the
   handlers (``KindlingBot.get_updates``), so before the offset can move past it; after a
   restart, what was stored and not done is handed out first (``backlog``);
2. when an update has been handled (in its chat's lane, so nothing else of that chat is half-way),
   that chat's conversation states and drafts are written together with the update's "done" mark,
   in one transaction (``settle``): the stored state always matches exactly the updates done;
3. an update handled again because the process died after its effect and before step 2 finds
   its effect already there: an entry carries its update's key (bot/update_keys.py) and is
   stored once.

python-telegram-bot's own persistence timer is left with nothing to do (see
``ConversationStorePersistence.per_update``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from telegram import Update

from bot.persistence import (
    CHAT_DATA,
    USER_DATA,
    ConversationStorePersistence,
    document_json,
    encode_key,
)
from storage.inbox import Inbox
from storage.models import InboxUpdate, StoredBlob, StoredConversation

log = logging.getLogger(__name__)

# How many stored updates are handed out at once after a restart.
BACKLOG_BATCH = 1000

# A person's conversation state in every flow: (chat id, user id) -> {flow name: state or None}.
FlowStates = Callable[[int, int], dict[str, object | None]]
# Takes a settled person's documents out of memory: (user id, chat id).
PutAway = Callable[[int | None, int | None], None]


def chat_of(raw: dict[str, Any]) -> int | None:
    """The chat an update belongs to, read from its JSON (the sender's for a press on an inline
    message), so that /delete can erase a person's updates waiting in the inbox."""
    for kind, body in raw.items():
        if kind == "update_id" or not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def inbox_update(raw: dict[str, Any]) -> InboxUpdate:
    """An update as Telegram sent it (its ``update_id`` checked first), as the inbox keeps it."""
    return InboxUpdate(raw["update_id"], chat_of(raw), json.dumps(raw, ensure_ascii=False))


class DurableInbox:
    """The bot's side of the inbox: keeping batches, the backlog, and settling each update."""

    def __init__(
        self,
        store: Inbox,
        persistence: ConversationStorePersistence,
        flow_states: FlowStates,
        put_away: PutAway,
    ) -> None:
        self.store = store
        self.persistence = persistence
        self.flow_states = flow_states
        self.put_away = put_away
        self._backlog_given = False
        # The commit in progress of each update handed out before its batch was committed.
        self._storing: dict[int, asyncio.Task[list[dict[str, Any]]]] = {}

    async def keep(self, bot_id: int, raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Commit a fetched batch; the updates that were not stored before, in order. One
        stored before is pending (it comes with the backlog) or done (never handled again)."""
        by_id = {item["update_id"]: item for item in raw}
        batch = [inbox_update(item) for item in by_id.values()]
        new = await self.store.add(bot_id, batch, datetime.now(UTC))
        return [by_id[update_id] for update_id in new]

    def keep_soon(self, bot_id: int, raw: Sequence[dict[str, Any]]) -> asyncio.Task[Any]:
        """Commit a batch in the background; ``settle`` of each of its updates waits for it,
        so an update is never marked done before it is stored."""
        task = asyncio.ensure_future(self.keep(bot_id, raw))
        for item in raw:
            self._storing[item["update_id"]] = task
        return task

    async def backlog(self, bot_id: int) -> list[dict[str, Any]]:
        """Once per process, before anything new: the updates stored and not done."""
        if self._backlog_given:
            return []
        pending: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            page = await self.store.pending(bot_id, after, BACKLOG_BATCH)
            pending.extend(json.loads(item.payload) for item in page)
            if len(page) < BACKLOG_BATCH:
                break
            after = page[-1].update_id
        self._backlog_given = True
        if pending:
            log.info("inbox backlog updates=%d", len(pending))
        return pending

    async def settle(self, update: object, user_data: Any, chat_data: Any) -> None:
        """The update is handled: its chat's state and its "done" mark, in one transaction.

        ``user_data`` and ``chat_data`` are the Application's mappings (read, never changed)."""
        if not isinstance(update, Update):
            return
        storing = self._storing.pop(update.update_id, None)
        if storing is not None:
            # Failed: handled from memory (KindlingBot says so); its done mark finds no row.
            with contextlib.suppress(Exception):
                await storing
        chat, user = update.effective_chat, update.effective_user
        conversations: list[StoredConversation] = []
        blobs: list[StoredBlob] = []
        in_a_flow = False
        if chat is not None and user is not None:
            for name, state in self.flow_states(chat.id, user.id).items():
                in_a_flow = in_a_flow or state is not None
                conversations.append(
                    StoredConversation(
                        name,
                        encode_key((chat.id, user.id)),
                        chat.id,
                        None if state is None else json.dumps(state),
                    )
                )
        if user is not None:
            blobs.append(StoredBlob(USER_DATA, user.id, document_json(user_data.get(user.id))))
        if chat is not None:
            blobs.append(StoredBlob(CHAT_DATA, chat.id, document_json(chat_data.get(chat.id))))
        await self.persistence.settle(
            conversations, blobs, done=(update.get_bot().id, update.update_id)
        )
        if not in_a_flow:
            # Stored now: read again when they next write (memory follows open conversations).
            self.put_away(None if user is None else user.id, None if chat is None else chat.id)


async def prune(store: Inbox) -> None:
    """Forget done updates older than a week (a job, hourly, and once soon after start-up)."""
    try:
        forgotten = await store.prune(datetime.now(UTC))
    except Exception as error:
        log.warning("inbox prune failed type=%s", type(error).__name__)
        return
    if forgotten:
        log.info("inbox pruned updates=%d", forgotten)

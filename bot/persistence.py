"""python-telegram-bot persistence kept in Kindling's own database, in its conversation store.

Conversation states and per-person drafts (``user_data``) are stored in the
:class:`storage.conversations.ConversationStore` of whichever backend runs (SQLite or
PostgreSQL; this class never asks which), so a conversation half-way through survives a
restart, and ``/delete`` can erase them with everything else. Values are stored as JSON: drafts
hold only plain values.

python-telegram-bot hands every chat and user it saw an update from to ``update_*_data`` at each
flush, changed or not; a document identical to the one the database already holds is not
written again (most people's chat data is always empty). The rest of a flush, which the library
starts all at once, is written in one transaction (``ConversationStore.save_persisted``): one
commit and one fsync per flush rather than one per person, so people's own saves do not queue behind
a long line of them. Each ``update_*`` call returns once its write is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.conversations import ConversationStore
from storage.models import StoredBlob, StoredConversation

USER_DATA = "user_data"
CHAT_DATA = "chat_data"
# The library's persistence timer, when ``settle`` writes everything (the most it allows).
IDLE_TIMER_SECONDS = 60.0


def encode_key(key: ConversationKey) -> str:
    return json.dumps(list(key))


def document_json(data: dict[str, Any] | None) -> str | None:
    """A user's or chat's data as stored: JSON, or None (no row) when there is nothing in it."""
    return json.dumps(data, default=str) if data else None


def _decode_key(text: str) -> ConversationKey:
    return tuple(json.loads(text))


class ConversationStorePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(
        self, store: ConversationStore, update_interval: float = 0.5, *, per_update: bool = False
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            # With per-update commits the library's timer has nothing left to write; it still
            # copies every changed document when it runs, so it runs seldom.
            update_interval=IDLE_TIMER_SECONDS if per_update else update_interval,
        )
        self.store = store
        # True: states and documents are written only by ``settle``, after each update, with its
        # inbox "done" mark (bot/inbox.py); the library's timer writes (update_*, drop_*) are
        # ignored, since they may catch another chat half-way through its update.
        self.per_update = per_update
        self._conversations: dict[str, ConversationDict] = {}
        # The JSON the database holds for each (kind, key) that has a row, as read at start-up
        # and written since; a kind is in ``_loaded`` once all its rows were read.
        self._stored: dict[tuple[str, int], str | None] = {}
        self._loaded: set[str] = set()
        # Per-update mode: the documents the Application holds as read from the database (or
        # written since), each with its stored JSON in ``_stored`` (None: no row).
        self._in_memory: set[tuple[str, int]] = set()
        # Writes waiting for the transaction they will be committed in (the latest per key).
        self._pending_states: dict[tuple[str, str], StoredConversation] = {}
        self._pending_blobs: dict[tuple[str, int], StoredBlob] = {}
        self._pending_done: list[tuple[int, int]] = []
        # The next transaction (writes staged now join it, until it begins) and the one before
        # it, which it waits for: one commit at a time, each taking all that was staged
        # meanwhile, so under load many chats' settles share one commit (one fsync).
        self._batch: asyncio.Future[None] | None = None
        self._last: asyncio.Future[None] | None = None

    async def _committed(self) -> None:
        """Wait until the writes staged so far (and those staged with them) are committed."""
        if self._batch is None:
            self._batch = self._last = asyncio.ensure_future(self._commit(self._last))
        await asyncio.shield(self._batch)

    async def _commit(self, before: asyncio.Future[None] | None) -> None:
        if before is not None:
            # Its failure is told to its own writers; this transaction is another.
            with contextlib.suppress(Exception):
                await asyncio.shield(before)
        # Let every write of this flush (the library starts them together with gather) be
        # staged before the transaction begins.
        await asyncio.sleep(0)
        states, blobs = list(self._pending_states.values()), list(self._pending_blobs.values())
        done = self._pending_done
        self._pending_states.clear()
        self._pending_blobs.clear()
        self._pending_done = []
        self._batch = None  # writes staged from now on go in the next transaction
        await self.store.save_persisted(states, blobs, done, datetime.now(UTC))

    async def _load(self, kind: str) -> dict[int, dict[str, Any]]:
        stored = await self.store.load_blobs(kind)
        self._stored.update({(kind, key): data for key, data in stored.items()})
        self._loaded.add(kind)
        return defaultdict(dict, {key: json.loads(data) for key, data in stored.items()})

    async def _save(self, kind: str, key: int, data_json: str | None) -> None:
        """Write the document (None: delete it) unless the database already holds exactly that."""
        if kind in self._loaded and self._stored.get((kind, key)) == data_json:
            return
        self._pending_blobs[(kind, key)] = StoredBlob(kind, key, data_json)
        await self._committed()
        if data_json is None:
            self._stored.pop((kind, key), None)
        else:
            self._stored[(kind, key)] = data_json

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        if self.per_update:
            return defaultdict(dict)  # each person's, when they next write (refresh_user_data)
        return await self._load(USER_DATA)

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        if self.per_update:
            return defaultdict(dict)
        return await self._load(CHAT_DATA)

    async def _load_one(self, kind: str, key: int, data: dict[str, Any]) -> None:
        """Fill a document the Application holds empty (never loaded, or put away since) from
        the database, once, before a handler reads it."""
        if (kind, key) in self._in_memory:
            return
        stored = await self.store.load_blob(kind, key)
        if stored is not None and not data:
            data.update(json.loads(stored))
        self._stored[(kind, key)] = stored
        self._in_memory.add((kind, key))

    def put_away(self, user_id: int | None, chat_id: int | None) -> None:
        """A person with no conversation open: their documents are stored (settled) and are
        read again when they next write, so memory follows the people in the middle of
        something, not everyone who ever wrote."""
        for kind, key in ((USER_DATA, user_id), (CHAT_DATA, chat_id)):
            if key is not None:
                self._in_memory.discard((kind, key))
                self._stored.pop((kind, key), None)

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        stored = await self.store.load_conversations(name)
        conversations = {_decode_key(key): json.loads(state) for key, (_, state) in stored.items()}
        self._conversations[name] = dict(conversations)
        return conversations

    async def settle(
        self,
        conversations: Sequence[StoredConversation],
        blobs: Sequence[StoredBlob],
        done: tuple[int, int],
    ) -> None:
        """One handled update's chat: its states and documents (those that changed) with the
        update's "done" mark, committed together (in one transaction with other chats' settles
        that arrive meanwhile). Returns once committed."""
        changed_states = [c for c in conversations if self._state_changed(c)]
        changed_blobs = [b for b in blobs if self._blob_changed(b)]
        for state in changed_states:
            self._pending_states[(state.name, state.key)] = state
        for blob in changed_blobs:
            self._pending_blobs[(blob.kind, blob.key)] = blob
        self._pending_done.append(done)
        await self._committed()
        for state in changed_states:
            known = self._conversations.setdefault(state.name, {})
            key = _decode_key(state.key)
            if state.state_json is None:
                known.pop(key, None)
            else:
                known[key] = json.loads(state.state_json)
        for blob in changed_blobs:
            if self.per_update:
                self._stored[(blob.kind, blob.key)] = blob.data_json
                self._in_memory.add((blob.kind, blob.key))
            elif blob.data_json is None:
                self._stored.pop((blob.kind, blob.key), None)
            else:
                self._stored[(blob.kind, blob.key)] = blob.data_json

    def _state_changed(self, state: StoredConversation) -> bool:
        known = self._conversations.get(state.name, {}).get(_decode_key(state.key))
        stored = None if known is None else json.dumps(known)
        return stored != state.state_json

    def _blob_changed(self, blob: StoredBlob) -> bool:
        key = (blob.kind, blob.key)
        known = blob.kind in self._loaded or key in self._in_memory
        return not (known and self._stored.get(key) == blob.data_json)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        if self.per_update:
            return
        known = self._conversations.setdefault(name, {})
        if known.get(key) == new_state:
            return
        chat_id = int(key[0]) if key and isinstance(key[0], int) else None
        state_json = None if new_state is None else json.dumps(new_state)
        encoded = encode_key(key)
        self._pending_states[(name, encoded)] = StoredConversation(
            name, encoded, chat_id, state_json
        )
        await self._committed()
        if new_state is None:
            known.pop(key, None)
        else:
            known[key] = new_state

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        if self.per_update:
            return
        await self._save(USER_DATA, user_id, document_json(data))

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        if self.per_update:
            return
        await self._save(CHAT_DATA, chat_id, document_json(data))

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        if self.per_update:
            return
        self._pending_blobs[(CHAT_DATA, chat_id)] = StoredBlob(CHAT_DATA, chat_id, None)
        await self._committed()
        self._stored.pop((CHAT_DATA, chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        if self.per_update:
            return
        self._pending_blobs[(USER_DATA, user_id)] = StoredBlob(USER_DATA, user_id, None)
        await self._committed()
        self._stored.pop((USER_DATA, user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        if self.per_update:
            await self._load_one(USER_DATA, user_id, user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        if self.per_update:
            await self._load_one(CHAT_DATA, chat_id, chat_data)

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None

    def forget_chat(self, chat_id: int) -> None:
        """Drop cached conversation states of a chat whose rows were erased."""
        for conversations in self._conversations.values():
            for key in [k for k in conversations if k and k[0] == chat_id]:
                del conversations[key]
        # Its documents were erased with the rest (in a private chat, chat id = user id).
        for kind in (USER_DATA, CHAT_DATA):
            self._stored.pop((kind, chat_id), None)
            self._in_memory.discard((kind, chat_id))

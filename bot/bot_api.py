"""Kindling's Bot API client: python-telegram-bot's ``ExtBot``, reading a poll's updates one by
one, so that one update it cannot read costs that update only; and what a Bot API that says no
at start-up means, in one line for the operator.

python-telegram-bot reads a whole ``getUpdates`` answer in one go, and confirms it (moves the
offset past it) only once every update in it was read. One update it cannot read (a message
carrying a poll from a Bot API server older than 9.6, without the ``allows_revoting`` that
python-telegram-bot 22.8 requires) fails the whole answer: nothing is confirmed, the same answer
comes back at the next poll and fails again, and nobody is answered, while every failure is
logged with the whole answer, people's words included. Here each update is read on its own; one
that cannot be read is skipped, logged once (its id and kind, never its content), and confirmed
with the next poll so that it never comes back.

It also remembers, in memory only (bot/sent_log.py), the ids of the messages it sent to each
chat in the last two days (no words, no dates beyond that), so that after /delete Kindling can
offer to remove its own recent messages: Telegram lets a bot delete a message only for 48 hours,
and offers no way to list what a bot sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot.inbox import DurableInbox
from bot.logs import redact
from bot.metrics import Metrics
from bot.sent_log import SentLog
from bot.update_order import UpdatesInHand

log = logging.getLogger(__name__)

# Only what Kindling has handlers for: a message (text, and the stickers, photos and the like it
# answers kindly), an edit (the crisis check reads edits too) and a button press. Telegram then
# keeps everything else (polls, reactions, chat members, inline queries) from ever arriving.
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
)

# The raw updates of the getUpdates call in progress, handed from ``_post`` to ``get_updates``
# (set per call, so two calls could never see each other's).
_fetched: ContextVar[list[dict[str, Any]] | None] = ContextVar("fetched_updates", default=None)


# The Bot API methods whose answer is a message Kindling sent into a chat.
_SENDING = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


class KindlingBot(ExtBot[None]):
    """``ExtBot`` whose ``get_updates`` skips an update it cannot read instead of failing, and
    which remembers the messages it sent lately (``recently_sent``)."""

    # Every update up to this id was read or skipped: the next poll confirms them all.
    _read_past: int = 0
    # The messages sent lately (bot/sent_log.py), set at construction.
    _sent: SentLog
    # Where each call's outcome is counted (``count_calls_in``).
    _metrics: Metrics | None = None
    # Where each fetched batch is committed before it is handed out (bot/inbox.py); None
    # only for a bot built without one (a benchmark's comparison).
    _inbox: DurableInbox | None = None
    # Whether the last attempt to store a batch failed (said once per outage in the log).
    _inbox_failing: bool = False
    # Whether a fetched batch went through the inbox since start-up (see get_updates).
    _first_batch_kept: bool = False
    # The commit of the last batch handed out, awaited before the next poll confirms it.
    _storing: asyncio.Task[list[dict[str, Any]]] | None = None
    # Told which updates each poll took in (bot/update_order.py), set by build_application.
    _in_hand: UpdatesInHand | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sent = SentLog()

    @property
    def inbox(self) -> DurableInbox | None:
        return self._inbox

    def keep_updates_in(self, inbox: DurableInbox) -> None:
        """Commit each fetched batch to ``inbox`` before handing it out (bot/inbox.py)."""
        self._inbox = inbox

    def count_calls_in(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def tell_what_is_taken(self, in_hand: UpdatesInHand) -> None:
        """Note in ``in_hand`` the updates each poll takes in (bot/update_order.py)."""
        self._in_hand = in_hand

    def recently_sent(self, chat_id: int) -> list[int]:
        """The ids of the messages sent to ``chat_id`` that Telegram still lets a bot delete
        (since this process started: the record is memory only)."""
        return self._sent.recent(chat_id, time.monotonic())

    def forget_sent(self, chat_id: int) -> None:
        self._sent.forget(chat_id, time.monotonic())

    def _note_sent(self, result: object) -> None:
        if not isinstance(result, dict):
            return
        chat, message_id = result.get("chat"), result.get("message_id")
        if not isinstance(chat, dict) or not isinstance(message_id, int):
            return
        chat_id = chat.get("id")
        if isinstance(chat_id, int):
            self._sent.note(chat_id, message_id, time.monotonic())

    async def get_updates(
        self,
        offset: int | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        await self._stored()
        backlog = await self._backlog()
        if backlog:
            # What was stored before a restart goes first; no long poll to wait through for it.
            kwargs["timeout"] = 0
        if self._read_past and (offset is None or 0 <= offset <= self._read_past):
            # The updater confirms through the last update it was given; a skipped update after
            # it would otherwise come back at every poll.
            offset = self._read_past + 1
        fetched: list[dict[str, Any]] = []
        token = _fetched.set(fetched)
        try:
            # python-telegram-bot's own request (its timeouts, its error handling); the answer
            # it gets to read is empty, and the updates are read here instead (see ``_post``).
            await super().get_updates(offset, *args, **kwargs)
        finally:
            _fetched.reset(token)
        readable = [(raw, update) for raw in fetched if (update := self._read(raw)) is not None]
        if self._inbox is not None and readable and not self._first_batch_kept:
            # After a restart Telegram may hand back updates fetched before it (and done, or
            # pending and in the backlog): only the ones new to the inbox are handled.
            kept = {item["update_id"] for item in await self._keep([raw for raw, _ in readable])}
            readable = [(raw, update) for raw, update in readable if raw["update_id"] in kept]
            self._first_batch_kept = True
        elif self._inbox is not None and readable:
            # Committed while the handlers start on it, and awaited before the next poll, whose
            # offset confirms the batch; each update's settle waits for it too.
            self._storing = self._inbox.keep_soon(self.id, [raw for raw, _ in readable])
        updates = [*backlog, *(update for _, update in readable)]
        for update in updates:
            self.insert_callback_data(update)
        if self._in_hand is not None:
            fetched_ids = [raw["update_id"] for raw in fetched if isinstance(raw, dict)]
            self._in_hand.taken([i for i in fetched_ids if isinstance(i, int)], updates)
        return tuple(updates)

    async def _stored(self) -> None:
        """The last batch is committed (or its failure noted) before its offset is confirmed."""
        storing, self._storing = self._storing, None
        if storing is None:
            return
        try:
            await storing
        except Exception as error:
            self._inbox_down(error)
        else:
            self._inbox_up()

    async def _backlog(self) -> list[Update]:
        if self._inbox is None:
            return []
        try:
            stored = await self._inbox.backlog(self.id)
        except Exception as error:
            # Asked again at the next poll: the backlog is only given out once it was read.
            self._inbox_down(error)
            return []
        return [update for raw in stored if (update := self._read(raw)) is not None]

    async def _keep(self, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self._inbox is not None
        try:
            kept = await self._inbox.keep(self.id, raw)
        except Exception as error:
            # The database cannot take them (locked past its timeout, gone, full). They are
            # handled from memory, as without an inbox, rather than held back: a person
            # writing now, perhaps in crisis, gets an answer (the crisis reply needs no
            # database), and a step that cannot be saved says so.
            self._inbox_down(error)
            return raw
        self._inbox_up()
        return kept

    def _inbox_up(self) -> None:
        if self._inbox_failing:
            self._inbox_failing = False
            log.warning("inbox available again")

    def _inbox_down(self, error: Exception) -> None:
        if not self._inbox_failing:
            self._inbox_failing = True
            log.error("inbox unavailable type=%s handling=memory", type(error).__name__)

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await super()._post(endpoint, *args, **kwargs)
        except Exception as error:
            if self._metrics is not None:
                self._metrics.count_call(endpoint, error)
            raise
        if self._metrics is not None:
            self._metrics.count_call(endpoint, None)
        if endpoint in _SENDING:
            self._note_sent(result)
        fetched = _fetched.get()
        if endpoint != "getUpdates" or fetched is None or not isinstance(result, list):
            return result
        fetched.extend(result)
        return []

    def _read(self, raw: dict[str, Any]) -> Update | None:
        """One update, or None (logged once, never its content) when it cannot be read."""
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if isinstance(update_id, int):
            self._read_past = max(self._read_past, update_id)
        try:
            return Update.de_json(raw, self)
        except Exception as error:  # whatever a shape python-telegram-bot did not expect raises
            log.warning(
                "update skipped unreadable update_id=%s type=%s error=%s",
                update_id,
                _kind(raw),
                type(error).__name__,
            )
            return None


def _kind(raw: object) -> str:
    """What an update carries ("message", "callback_query" ...), from its keys alone."""
    kinds = [str(key) for key in raw if key != "update_id"] if isinstance(raw, dict) else []
    return ",".join(kinds) or "unknown"


def start_failure(error: TelegramError, base_url: str, token: str) -> str:
    """One line for the operator on why the Bot API could not be used at start-up, naming the
    setting to look at and the fix. Never the token: python-telegram-bot puts it into the
    message of a refused token, so only the Bot API's own answer is read from such an error,
    and the token is blanked out of the line in any case."""
    return redact(_start_failure(error, base_url), [token])


def _start_failure(error: TelegramError, base_url: str) -> str:
    if isinstance(error, InvalidToken):
        # Bot.initialize wraps the Bot API's answer in an error naming the token.
        answered = error.__cause__ if isinstance(error.__cause__, TelegramError) else error
        if "not found" in answered.message.lower():
            return (
                f"the Bot API at {base_url} answered 404 Not Found: set TELEGRAM_API_BASE_URL to "
                "the address of a Bot API ending in /bot, such as https://api.telegram.org/bot "
                "(then check TELEGRAM_BOT_TOKEN too)."
            )
        return (
            f"the Bot API at {base_url} refused TELEGRAM_BOT_TOKEN (401 Unauthorized): set it to "
            "the token BotFather gave you for this bot (with a local Bot API server, a token "
            "that server serves)."
        )
    if isinstance(error, TimedOut) or (
        # No answer at all (python-telegram-bot names httpx's error); not an error it answered.
        isinstance(error, NetworkError) and error.message.startswith("httpx.")
    ):
        return (
            f"the Bot API at {base_url} could not be reached ({_first_line(error)}): check "
            "TELEGRAM_API_BASE_URL and this machine's network, then start Kindling again."
        )
    return (
        f"the Bot API at {base_url} answered {type(error).__name__} ({_first_line(error)}) at "
        "start-up: check TELEGRAM_API_BASE_URL and TELEGRAM_BOT_TOKEN, then start Kindling again."
    )


def _first_line(error: TelegramError) -> str:
    return (error.message.strip().splitlines() or [type(error).__name__])[0][:160]

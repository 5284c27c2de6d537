"""Two sending budgets: replies at the speed of conversation, scheduled sends paced in bulk.

Telegram's ~30 messages a second is guidance for bulk notifications. A reply to someone who just
wrote or tapped is bound only by the per-chat limit (about one message a second, with short
bursts allowed). So:

- **Bulk** (a daily prompt, a weekly recap, the zone-lost notice: anything the scheduler sends on
  its own) passes the bulk limiter, ``TELEGRAM_RATE_LIMIT`` a second, set under Telegram's 30 to
  leave headroom for replies. The scheduler marks these sends with ``rate_limit_args=BULK``.
- **Replies** (everything else) never wait for the bulk limiter, so a morning fan-out to
  thousands of people does not hold back the answer to someone who just wrote.
- Both pass the chat's own limiter: a burst of a few messages, then one a second.
- A 429 (Telegram's "retry after N seconds") pauses every send for N seconds, as Telegram asked,
  and the send is then retried, up to ``max_retries`` times.
- At most ``MAX_CALLS_IN_FLIGHT`` calls are on their way to Telegram at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Telegram's per-chat guidance: about one message a second, sustained. A burst (an answer, the
# next question, a picture, someone typing quickly) goes at once; the project's emulator models
# the same bucket, and a 429 beyond it is waited out like any other.
CHAT_BURST = 20
CHAT_RATE_PER_SECOND = 1.0
# Bot API calls in flight at once (getUpdates aside); the HTTP client keeps as many connections
# (bot/app.py). More wait here, in order, rather than in the HTTP client's pool: httpx's pool
# scans every connection it holds, and every request waiting, each time a request starts or
# ends, so with a connection per chat answered at once (the per-chat lanes: hundreds) that scan
# was a third of the bot's CPU on bench/throughput.py's mixed load. 32 at once is about 300
# calls a second at Telegram's usual 0.1 s a call: well past what the budgets here allow.
MAX_CALLS_IN_FLIGHT = 32
# Chats whose limiter is full again are forgotten after this long, so a million people who wrote
# once do not each keep a limiter.
_FORGET_CHAT_AFTER_SECONDS = 120.0


class Budget(StrEnum):
    REPLY = "reply"
    BULK = "bulk"


BULK = Budget.BULK


class KindlingRateLimiter(BaseRateLimiter[Budget]):
    """python-telegram-bot's rate-limiter interface (every Bot API call passes through it) with
    the two budgets above. It also lets a button press be answered too late without failing
    the step: Telegram accepts an answer to a press only for about 15 seconds, and the answer
    only stops a spinner, so the step carries on with its real work."""

    def __init__(self, bulk_per_second: float, max_retries: int) -> None:
        self._bulk = AsyncLimiter(bulk_per_second, 1)
        self._chats: dict[int | str, tuple[AsyncLimiter, float]] = {}
        self._max_retries = max_retries
        self._in_flight = asyncio.Semaphore(MAX_CALLS_IN_FLIGHT)
        # Until when Telegram asked every send to wait (a 429), on the monotonic clock.
        self._paused_until = 0.0
        self._last_sweep = time.monotonic()
        # Told of every 429, the ones waited out too (the metrics count them).
        self.on_rate_limited: Callable[[], None] | None = None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter:
        now = time.monotonic()
        if now - self._last_sweep > _FORGET_CHAT_AFTER_SECONDS:
            self._last_sweep = now
            stale = [
                key
                for key, (_, used) in self._chats.items()
                if now - used > _FORGET_CHAT_AFTER_SECONDS
            ]
            for key in stale:
                del self._chats[key]
        limiter = self._chats.get(chat_id, (None, 0.0))[0]
        if limiter is None:
            # max_rate per time_period: a burst of CHAT_BURST, then CHAT_RATE_PER_SECOND.
            limiter = AsyncLimiter(CHAT_BURST, CHAT_BURST / CHAT_RATE_PER_SECOND)
        self._chats[chat_id] = (limiter, now)
        return limiter

    async def _wait_out_any_pause(self) -> None:
        while (left := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(left)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Budget | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        bulk = rate_limit_args is Budget.BULK
        for attempt in range(self._max_retries + 1):
            await self._wait_out_any_pause()
            if bulk:
                await self._bulk.acquire()
            if chat_id is not None:
                await self._chat_limiter(chat_id).acquire()
            await self._wait_out_any_pause()  # a 429 may have come while this one waited
            try:
                async with self._in_flight:
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                if self.on_rate_limited is not None:
                    self.on_rate_limited()
                if attempt == self._max_retries:
                    raise
                asked = error.retry_after
                wait = asked if isinstance(asked, int | float) else asked.total_seconds()
                log.info("telegram asked to pause seconds=%.1f budget=%s", wait, rate_limit_args)
                self._paused_until = max(self._paused_until, time.monotonic() + wait + 0.1)
            except BadRequest as error:
                too_old = "query is too old" in error.message.lower()
                if endpoint == "answerCallbackQuery" and too_old:
                    log.info("callback answer too late, step goes on")
                    return True
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

"""Sending one scheduled message, retrying what is safe to retry.

Every call still goes through Kindling's rate limiter (``bot/rate_limits.py``; scheduled sends
use its bulk budget), which keeps under the bulk rate and waits out a 429's ``retry_after``
itself.
What reaches this module is what the limiter does not handle:

* a network error or a 5xx from Telegram: retried with exponential backoff, a bounded number of
  times, because the message certainly did not arrive;
* a read timeout: NOT retried. The request reached Telegram and only the answer was lost, so the
  message may well be on the person's phone already; sending again could show them the same nudge
  twice, and the scheduler promises at most one. The delivery is recorded as failed instead.
* a 429 the limiter gave up on (a storm longer than its retries): waited out and retried, within
  the same bound, because a 429 means Telegram did not take the message, so no copy can arrive;
* anything else (403 blocked, 400 bad request): not retried here.

``sleep`` is injectable so tests check the backoff without waiting for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class RetryPolicy:
    """How often, and how patiently, a failed send is tried again."""

    retries: int = 3
    first_delay: float = 1.0  # seconds; doubled after every failed try (1, 2, 4)
    sleep: Sleep = field(default=asyncio.sleep)

    def delay(self, retry: int) -> float:
        return self.first_delay * 2**retry


def may_have_arrived(error: TimedOut) -> bool:
    """Whether a timed-out request was already handed to Telegram (only its answer was lost)."""
    return isinstance(error.__cause__, httpx.ReadTimeout)


def is_retryable(error: BaseException) -> bool:
    """A failure after which sending again can neither duplicate nor be pointless."""
    if isinstance(error, RetryAfter):
        return True
    if isinstance(error, BadRequest):  # a NetworkError subclass, but Telegram refused the message
        return False
    if isinstance(error, TimedOut):
        return not may_have_arrived(error)
    return isinstance(error, NetworkError)


async def send_with_retry(send: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """Await ``send()``; on a retryable failure wait and try again, up to ``policy.retries``."""
    retry = 0
    while True:
        try:
            return await send()
        except Exception as error:
            if retry >= policy.retries or not is_retryable(error):
                raise
            delay = policy.delay(retry)
            if isinstance(error, RetryAfter):
                delay = max(delay, retry_after_seconds(error))
        await policy.sleep(delay)
        retry += 1


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's ``retry_after`` in seconds (python-telegram-bot gives an int or a timedelta)."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)

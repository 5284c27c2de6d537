"""Replies before bulk work at the database, as at the Bot API (bot/rate_limits.py).

A morning fan-out runs several database calls for every prompt it sends (choose the prompt,
claim it, record it sent), each a commit, at the bulk pace. A person who answers that prompt
needs a few calls too, and waiting behind the fan-out's queue for each of them is what made an
answer take a second or more. The scheduler marks its work with ``bulk_work()`` (except the
record that a prompt was sent: the answer to it is read against that record), and the storage
then lets a reply's call in first:

- SQLite (one connection, one call at a time): the lock around the connection
  (``ReplyFirstLock``) hands it to a waiting reply before any waiting bulk call. Bulk calls
  still run whenever no reply is waiting, in the order they came.
- PostgreSQL (a pool of connections): bulk work holds at most all but ``RESERVED_FOR_REPLIES``
  of the pool's connections at once, so replies never queue behind it for a connection.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType

# Pool connections bulk work leaves free for replies (PostgreSQL).
RESERVED_FOR_REPLIES = 2

_bulk: ContextVar[bool] = ContextVar("kindling_bulk_work", default=False)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Mark the database calls made inside (and in tasks started inside) as bulk work."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


@contextmanager
def not_bulk_work() -> Iterator[None]:
    """Within bulk work, a call that must not wait behind it (a prompt recorded as sent, which
    the person may answer the moment it arrives)."""
    token = _bulk.set(False)
    try:
        yield
    finally:
        _bulk.reset(token)


def in_bulk_work() -> bool:
    return _bulk.get()


class ReplyFirstLock:
    """An asyncio lock whose waiters outside bulk work go before waiters inside it; each
    kind in the order it came. Released, it passes straight to the next waiter."""

    def __init__(self) -> None:
        self._locked = False
        self._replies: deque[asyncio.Future[None]] = deque()
        self._bulk: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._locked

    async def acquire(self) -> bool:
        if not self._locked:
            self._locked = True
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._bulk if in_bulk_work() else self._replies
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the lock just as it was cancelled: pass it on
            else:
                queue.remove(waiter)
            raise
        return True

    def release(self) -> None:
        if not self._locked:
            raise RuntimeError("ReplyFirstLock released while not held")
        for queue in (self._replies, self._bulk):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # stays locked: the waiter holds it now
                    return
        self._locked = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()

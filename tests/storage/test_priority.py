"""The database lock lets a person's reply in before the scheduler's bulk work waiting for it
(storage/priority.py): the reply-latency benchmark's figures rest on that order."""

from __future__ import annotations

import asyncio

from storage.priority import ReplyFirstLock, bulk_work


async def test_a_waiting_reply_goes_before_waiting_bulk_work() -> None:
    lock = ReplyFirstLock()
    order: list[str] = []

    async def call(name: str, bulk: bool) -> None:
        if bulk:
            with bulk_work():
                await take(name)
        else:
            await take(name)

    async def take(name: str) -> None:
        async with lock:
            order.append(name)

    await lock.acquire()  # a call in progress
    waiting = [
        asyncio.create_task(call("bulk 1", bulk=True)),
        asyncio.create_task(call("bulk 2", bulk=True)),
        asyncio.create_task(call("reply", bulk=False)),
    ]
    await asyncio.sleep(0)  # all three are waiting now
    lock.release()
    await asyncio.gather(*waiting)

    assert order == ["reply", "bulk 1", "bulk 2"]
    assert not lock.locked()


async def test_a_waiter_cancelled_while_handed_the_lock_passes_it_on() -> None:
    lock = ReplyFirstLock()
    await lock.acquire()
    first = asyncio.create_task(lock.acquire())
    second = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    lock.release()  # handed to the first waiter...
    first.cancel()  # ...which is cancelled before it runs
    await asyncio.gather(first, return_exceptions=True)

    assert await second
    assert lock.locked()
    lock.release()
    assert not lock.locked()

"""``wait_until_quiet`` asks a watched bot whether it is done, rather than listening for silence.

First with a bot played by hand over HTTP (so the test decides when it is done), then with the
real Kindling bot, which the ``bot`` fixture runs in this process and the emulator watches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import KindlingApplication
from sandbox.emulator import QUIET_SECONDS, BotApiEmulator, EmulatedPerson

CHAT = 5151


class HandBot:
    """A bot played by the test: it polls, answers and says which updates it has finished."""

    def __init__(self, session: aiohttp.ClientSession, emulator: BotApiEmulator) -> None:
        self.session = session
        self.emulator = emulator
        self.finished: set[int] = set()

    async def call(self, method: str, **params: Any) -> Any:
        url = f"{self.emulator.base_url}{self.emulator.token}/{method}"
        async with self.session.post(url, json=params) as response:
            body = await response.json()
        assert body["ok"], body
        return body["result"]

    async def fetch(self) -> list[int]:
        updates = await self.call("getUpdates", timeout=0)
        return [update["update_id"] for update in updates]

    def done_with(self, update_id: int) -> bool:
        return update_id in self.finished


@pytest.fixture
async def hand_bot() -> AsyncIterator[HandBot]:
    async with BotApiEmulator() as emulator, aiohttp.ClientSession() as session:
        yield HandBot(session, emulator)


@pytest.fixture
def sam(hand_bot: HandBot) -> EmulatedPerson:
    return hand_bot.emulator.person(CHAT, "Sam")


async def test_a_watched_bot_is_waited_for_however_long_it_stays_silent(
    hand_bot: HandBot, sam: EmulatedPerson
) -> None:
    with hand_bot.emulator.watching_bot(hand_bot.done_with) as progressed:
        await sam.send("hello")
        [update_id] = await hand_bot.fetch()
        waiting = asyncio.create_task(sam.wait_until_quiet(timeout=5))
        # Silent for longer than silence alone would wait, but not done.
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(waiting), QUIET_SECONDS + 0.1)
        await hand_bot.call("sendMessage", chat_id=CHAT, text="hi, Sam")
        hand_bot.finished.add(update_id)
        progressed()
        assert [m.text for m in await waiting] == ["hi, Sam"]


async def test_a_bot_that_never_finishes_fails_the_wait_with_what_is_left(
    hand_bot: HandBot, sam: EmulatedPerson
) -> None:
    with hand_bot.emulator.watching_bot(hand_bot.done_with):
        await sam.send("hello")
        [update_id] = await hand_bot.fetch()
        with pytest.raises(AssertionError, match=rf"did not finish.*{update_id}"):
            await sam.wait_until_quiet(timeout=0.3)


async def test_what_follows_straight_after_is_still_waited_for(
    hand_bot: HandBot, sam: EmulatedPerson
) -> None:
    with hand_bot.emulator.watching_bot(hand_bot.done_with) as progressed:
        await sam.send("hello")
        hand_bot.finished.update(await hand_bot.fetch())
        progressed()
        waiting = asyncio.create_task(sam.wait_until_quiet(timeout=5))
        # A job the update scheduled to run at once: said within the settle period.
        await hand_bot.call("sendMessage", chat_id=CHAT, text="and one more thing")
        assert [m.text for m in await waiting] == ["and one more thing"]


async def test_two_bots_watched_at_once_fall_back_to_silence(
    hand_bot: HandBot, sam: EmulatedPerson
) -> None:
    other: set[int] = set()
    with (
        hand_bot.emulator.watching_bot(hand_bot.done_with),
        hand_bot.emulator.watching_bot(other.__contains__),
    ):
        await sam.send("hello")
        await hand_bot.fetch()
        # Neither says it is done: only silence can end the wait.
        assert await sam.wait_until_quiet(quiet=0.05, timeout=1) == []


async def test_the_real_bot_has_settled_every_update_when_the_wait_ends(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kit = emulator.person(5252, "Kit")
    for text in ("/start", "hello", "/help"):
        await kit.send(text)
    assert await kit.wait_until_quiet()
    assert bot.updates_in_hand.open == 0
    assert bot.updates_in_hand.taken_up_to == max(emulator._queued)
    # Settled in the inbox too: nothing is left to be handled again after a restart.
    assert await bot.services.repo.inbox.pending(bot.bot.id) == []

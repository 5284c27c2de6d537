"""The flood guard: a burst past the limit gets one kind notice; what came before is answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot import rate_limits
from bot.app import KindlingApplication
from bot.clock import ManualClock
from handlers.flood import FLOOD_LIMIT, FLOOD_WINDOW, FloodWindow, arrive, is_flooding
from sandbox.emulator import BotApiEmulator

SLOW_DOWN = "rest for a few seconds"


@pytest.fixture
async def emulator(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotApiEmulator]:
    # The bot's replies to a burst would meet Telegram's per-chat send limit (the emulator's,
    # and the bot's own limiter that keeps under it) and go out one a second: slower, and beside
    # the point here.
    monkeypatch.setattr(rate_limits, "CHAT_BURST", 200)
    async with BotApiEmulator(per_chat_burst=200) as em:
        yield em


async def test_thirty_messages_in_a_moment(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await bot.services.repo.ensure_person(7001, clock.now())
    alex = emulator.person(7001, "Alex")
    await alex.send("/delete")
    question = await alex.expect("erase everything you've kept")
    sent_before = len(emulator.sent(7001))

    for n in range(29):  # with /delete, 30 updates in the same few seconds
        await alex.send(f"message {n}")
    await alex.wait_for(lambda: len(emulator.sent(7001)) >= sent_before + FLOOD_LIMIT)
    replies = await alex.wait_until_quiet()
    texts = [m.text or "" for m in replies]
    # Every message accepted before the limit was answered (here: the usual gentle pointer),
    # then exactly one notice, and nothing for the rest of the burst.
    assert len(texts) == FLOOD_LIMIT, texts
    assert all("I'm here" in t for t in texts[:-1])
    assert SLOW_DOWN in texts[-1]
    assert sum(SLOW_DOWN in m.text for m in emulator.sent(7001) if m.text) == 1

    # A button pressed mid-burst is acknowledged (no endless spinner) but changes nothing.
    query_id = await alex.press("Keep my data", question)
    await alex.wait_for(lambda: alex.callback_answered(query_id))
    assert question.edits == 0
    assert await alex.wait_until_quiet() == []

    # Once the burst is over, everything is answered again.
    clock.advance(FLOOD_WINDOW + timedelta(seconds=1))
    await alex.send("hello again")
    await alex.expect("I'm here")
    await alex.press("Keep my data", question)
    await alex.wait_for(lambda: question.edits == 1)
    assert "nothing was erased" in (question.text or "")
    assert await bot.services.repo.get_person(7001) is not None

    # A later burst gets its own single notice, and help is never held back.
    clock.advance(FLOOD_WINDOW + timedelta(seconds=1))
    for n in range(FLOOD_LIMIT + 5):
        await alex.send(f"again {n}")
    await alex.send("/pause")
    later = await alex.wait_until_quiet()
    assert sum(SLOW_DOWN in (m.text or "") for m in later) == 1
    assert len(later) == FLOOD_LIMIT + 2  # the accepted ones, the notice, and /pause's answer
    assert SLOW_DOWN not in (later[-1].text or "")
    # Words of crisis are answered too, however fast they come.
    await alex.send("i want to kill myself")
    care = await alex.next_message()
    assert "Ground with me" in care.button_texts()


async def test_other_people_are_not_slowed_by_one_flood(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    sam, kim = emulator.person(7002, "Sam"), emulator.person(7003, "Kim")
    for n in range(FLOOD_LIMIT + 3):
        await sam.send(f"spam {n}")
    await kim.send("/help")
    await kim.expect("What I can do")


def test_the_window_slides() -> None:
    windows: dict[int, FloodWindow] = {}
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    step = FLOOD_WINDOW / (FLOOD_LIMIT * 2)
    # Twice the limit spread evenly over the window is a flood at the end of it...
    results = [is_flooding(arrive(windows, 1, start + step * n)) for n in range(FLOOD_LIMIT * 2)]
    assert results[:FLOOD_LIMIT] == [False] * FLOOD_LIMIT
    assert all(results[FLOOD_LIMIT:])
    # ...half that pace never is, however long it goes on.
    slow: dict[int, FloodWindow] = {}
    pace = FLOOD_WINDOW / FLOOD_LIMIT
    assert not any(is_flooding(arrive(slow, 1, start + pace * n)) for n in range(FLOOD_LIMIT * 5))
    # The window keeps no more than it needs.
    assert len(windows[1].arrivals) == FLOOD_LIMIT + 1
    assert not is_flooding(arrive(windows, 1, start + FLOOD_WINDOW * 3))

"""People are answered side by side: one person's slow step does not hold up anyone else,
while each person's own messages are still handled one at a time, in order."""

from __future__ import annotations

import asyncio

from bot.app import KindlingApplication
from bot.update_order import PerChatUpdateProcessor
from sandbox.emulator import BotApiEmulator

HELD_SECONDS = 5.0


def first_call_at(emulator: BotApiEmulator, method: str, chat_id: int) -> float:
    return next(t for t, m, chat, _ in emulator.timeline if m == method and chat == chat_id)


async def test_one_persons_slow_reply_does_not_hold_up_another(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ana, ben = emulator.person(9301, "Ana"), emulator.person(9302, "Ben")
    await emulator.wait_for_poller()
    # Telegram takes its time confirming Ana's answer: the step answering her waits for it.
    emulator.faults.delay_next("sendMessage", HELD_SECONDS)
    await ana.send("/help")
    await ana.expect("What I can do")
    await ben.send("/help")
    await ben.expect("What I can do", timeout=HELD_SECONDS - 1)
    # Ben's answer went out while Ana's step was still waiting (one at a time, it would have
    # waited the whole hold first).
    gap = first_call_at(emulator, "sendMessage", 9302) - first_call_at(
        emulator, "sendMessage", 9301
    )
    assert gap < HELD_SECONDS - 1, gap
    # Once both are done, no lane is kept for either of them.
    processor = bot.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    async with asyncio.timeout(HELD_SECONDS + 5):
        while processor.lanes_open:
            await asyncio.sleep(0.05)


async def test_one_persons_quick_messages_are_handled_in_order(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    dana = emulator.person(9303, "Dana")
    await emulator.wait_for_poller()
    # Typed before Kindling answered the first: the place is read as the answer to the question
    # /start asks, because the two are handled one after the other, in order.
    await dana.send("/start")
    await dana.send("Lisbon")
    await dana.expect("Kindling")
    await dana.expect("where are you")
    await dana.expect("Lisbon, Portugal")

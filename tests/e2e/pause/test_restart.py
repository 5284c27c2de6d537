"""A restart in the middle of /pause: grounding carries on where it was; a breathing timer
(kept only in memory) is gone, but Stop on its message still asks how the person is."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from tests.e2e.pause.support import press_answered
from tests.harness import running_bot


async def test_grounding_and_breathing_survive_a_restart(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    async with running_bot(settings, clock) as bot:
        steps = bot.services.library.grounding.steps
        question = bot.services.library.check_in.question
        ada = emulator.person(7401, "Ada")
        await ada.send("/pause")
        await ada.expect("What would help")
        await press_answered(ada, "Ground with me")
        await ada.expect(steps[0])
        await press_answered(ada, "Done")
        await ada.expect(steps[1])

        bea = emulator.person(7402, "Bea")
        await bea.send("/pause")
        await bea.expect("What would help")
        await press_answered(bea, "Breathe with me")
        box = await bea.expect(bot.services.library.breathing.intro)
        await bea.wait_for(lambda: box.edits >= 1, what="a phase shown")

    async with running_bot(settings, clock):
        # Breathing stopped with the old process; its message stays as it was.
        edits = box.edits
        await press_answered(ada, "Done")
        await ada.expect(steps[2])

        await press_answered(bea, "Stop")
        await bea.wait_for(lambda: question in (box.text or ""), what="check-in")
        assert box.edits == edits + 1
        await press_answered(bea, "A bit better")
        await bea.expect("glad")

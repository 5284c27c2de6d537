"""Memory follows the people in the middle of something (issue 15): once a person's update is
handled and they have no conversation open, their data is stored and let go of, and read back
from the database when they next write."""

from __future__ import annotations

import json

from bot.app import KindlingApplication
from handlers.entry_text import RECENTLY_SAID_KEY
from sandbox.emulator import BotApiEmulator
from tests.e2e.practice.support import wait_for_stored_data
from tests.faults.support import wait_until


async def test_a_person_with_nothing_open_is_read_back_when_they_write(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    ivy = emulator.person(4801, "Ivy")
    await ivy.send("/win I let my friend finish her story")
    question = await ivy.expect("fits it best")
    await ivy.press("I listened without fixing")
    await ivy.expect_edit("connected", question)
    # In the middle of /win: held in memory.
    assert "draft" in bot.user_data[4801]
    await ivy.press("4")
    await ivy.expect_edit("journal", question)

    # Kept, and the flow over: stored, and no longer held.
    stored = await wait_for_stored_data(
        bot.services.repo, 4801, lambda data: bool(data.get(RECENTLY_SAID_KEY))
    )
    await wait_until(lambda: 4801 not in bot.user_data, what="Ivy's data let go of")
    said = stored[RECENTLY_SAID_KEY]

    # Writing again reads it back before any handler looks at it.
    await ivy.send("/win I waited before I answered")
    await ivy.expect("fits it best")
    assert bot.user_data[4801][RECENTLY_SAID_KEY] == said
    assert "draft" in bot.user_data[4801]
    stored_again = await bot.services.repo.conversations.load_blob("user_data", 4801)
    assert stored_again is not None and json.loads(stored_again)[RECENTLY_SAID_KEY] == said

"""A real repository (a fresh SQLite file) and the services the recap reads, without the bot."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.content.library import load_library
from bot.content.ui import load_ui
from bot.services import Services
from bot.settings import Settings
from storage.sqlite import SqliteRepository


@pytest.fixture
async def services(
    tmp_path: Path, settings: Settings, clock: ManualClock
) -> AsyncIterator[Services]:
    repo = SqliteRepository(tmp_path / "recap.db")
    await repo.open()
    try:
        yield Services(
            settings=settings,
            repo=repo,
            clock=clock,
            ui=load_ui(),
            library=load_library(),
            rng=random.Random(7),
        )
    finally:
        await repo.close()

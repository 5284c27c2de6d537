"""A real repository (a fresh SQLite file) and the services the recap reads, without the bot."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.content.library import load_library
from bot.content.ui import load_ui
from bot.services import Services
from bot.settings import Settings
from storage.repository import Repository


@pytest.fixture
async def services(
    repo: Repository, settings: Settings, clock: ManualClock
) -> AsyncIterator[Services]:
    yield Services(
        settings=settings,
        repo=repo,
        clock=clock,
        ui=load_ui(),
        library=load_library(),
        rng=random.Random(7),
    )

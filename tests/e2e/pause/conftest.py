"""Fixtures for the /pause and crisis-check stories: breathing runs at a tiny pace here."""

from __future__ import annotations

import pytest

from bot.places import place_index
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from storage.target import DatabaseTarget
from tests.harness import make_settings

# Seconds per side of the breathing box in these tests (4 in real life): 16 sides in ~1 s.
PHASE_SECONDS = 0.05


@pytest.fixture
def settings(emulator: BotApiEmulator, database: DatabaseTarget) -> Settings:
    return make_settings(emulator, database, breathing_phase_seconds=PHASE_SECONDS)


@pytest.fixture(scope="session", autouse=True)
def _place_index_built() -> None:
    """Build the city index up front, so onboarding's first reply is not slowed by it."""
    place_index()

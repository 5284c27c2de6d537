"""Fixtures: a fresh emulator, a fresh SQLite file and the real bot for every test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.logs import QUIET_LOGGERS
from bot.places import place_index
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from tests.harness import make_settings, running_bot

# A Wednesday morning in late November, far from any daylight-saving change in either
# hemisphere unless a test moves it there on purpose.
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _place_index_built() -> None:
    """Build the city index once per test run, as the bot's start-up warm-up would."""
    place_index()


@pytest.fixture(autouse=True)
def _quiet_http_logs() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as em:
        yield em


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kindling.db"


@pytest.fixture
def settings(emulator: BotApiEmulator, db_path: Path) -> Settings:
    return make_settings(emulator, db_path)


@pytest.fixture
async def bot(settings: Settings, clock: ManualClock) -> AsyncIterator[KindlingApplication]:
    async with running_bot(settings, clock) as application:
        yield application

"""Running the real Kindling Application in-process, the way ``run_polling`` does, against the
project's Bot API emulator over HTTP (the same ``running_bot`` the sandbox uses)."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

import psycopg

from bot.app import KindlingApplication
from bot.logs import PRIVATE_DEBUG_LOGGERS, QUIET_LOGGERS, configure_logging
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from sandbox.runner import running_bot, sandbox_settings
from scheduler.plan import schedule_fields
from storage.backends import make_repository
from storage.crypto import TextCipher
from storage.models import Person
from storage.repository import Repository
from storage.target import Backend, DatabaseTarget

ROOT = Path(__file__).resolve().parents[1]

# What a broken constraint raises, on either backend.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)

__all__ = [
    "database_env",
    "logging_as_the_bot_sets_it_up",
    "make_settings",
    "open_repository",
    "running_bot",
    "seed_person",
    "set_up",
    "start_bot_process",
    "stored",
]


@contextmanager
def logging_as_the_bot_sets_it_up(level: str, secrets: Sequence[str] = ()) -> Iterator[None]:
    """Logging as ``python -m bot`` configures it for LOG_LEVEL ``level``: its lines go to
    stderr (the test's captured one), through the bot's filter. Put back as it was afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    names = ("telegram", *PRIVATE_DEBUG_LOGGERS, *QUIET_LOGGERS)
    saved_levels = {name: logging.getLogger(name).level for name in names}
    configure_logging(level, secrets=secrets)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level_before in saved_levels.items():
            logging.getLogger(name).setLevel(level_before)


def make_settings(
    emulator: BotApiEmulator, database: Path | DatabaseTarget, **overrides: Any
) -> Settings:
    """Settings against the emulator, with the test's database."""
    return sandbox_settings(emulator, database, **overrides)


async def seed_person(
    repo: Repository,
    chat_id: int,
    now: datetime,
    *,
    zone: str = "Europe/Berlin",
    at: time | None = time(20, 0),
    **fields: Any,
) -> Person:
    """Someone as onboarding leaves them: their zone, their prompt time (None: prompts off) and
    their schedule from ``now``, plus any other fields given. Straight through the repository,
    for tests that need many people or a particular state."""
    person = await repo.ensure_person(chat_id, now)
    changes: dict[str, Any] = {
        "time_zone": zone,
        "prompt_time": at,
        "prompts_enabled": at is not None,
        "onboarded": True,
        **fields,
    }
    changes |= schedule_fields(replace(person, **changes), now)
    return await repo.update_person(chat_id, **changes)


async def set_up(bot: KindlingApplication, chat_id: int, **options: Any) -> Person:
    """``seed_person`` in a running bot's database, at its clock's now."""
    return await seed_person(bot.services.repo, chat_id, bot.services.clock.now(), **options)


async def stored(bot: KindlingApplication, chat_id: int) -> Person:
    """The person as the bot's database holds them now."""
    person = await bot.services.repo.get_person(chat_id)
    assert person is not None
    return person


def database_env(database: Path | DatabaseTarget) -> dict[str, str]:
    """The environment that points ``python -m bot`` at ``database``."""
    target = database if isinstance(database, DatabaseTarget) else DatabaseTarget.sqlite(database)
    if target.backend is Backend.SQLITE:
        return {"DATABASE_PATH": str(target.path), "DATABASE_URL": ""}
    assert target.conninfo is not None
    return {"DATABASE_URL": target.conninfo}


@asynccontextmanager
async def open_repository(
    database: Path | DatabaseTarget | Settings, cipher: TextCipher | None = None
) -> AsyncIterator[Repository]:
    """A repository on the test's database (as the bot would open it), closed afterwards."""
    if isinstance(database, Settings):
        target = database.database
    elif isinstance(database, DatabaseTarget):
        target = database
    else:
        target = DatabaseTarget.sqlite(database)
    repo = make_repository(target, cipher=cipher)
    await repo.open()
    try:
        yield repo
    finally:
        await repo.close()


async def start_bot_process(
    emulator: BotApiEmulator, database: Path | DatabaseTarget, **env: str
) -> asyncio.subprocess.Process:
    """``python -m bot`` against the emulator, with a short tick so due nudges go out quickly."""
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        **database_env(database),
        "TICK_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
        # No health endpoint unless a test asks for one: processes run side by side.
        "HEALTH_PORT": "0",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )

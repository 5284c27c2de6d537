"""Running the real Kindling Application in-process, the way ``run_polling`` does, against the
project's Bot API emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import KindlingApplication, build_application
from bot.clock import Clock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator


def make_settings(emulator: BotApiEmulator, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": emulator.token,
        "telegram_api_base_url": emulator.base_url,
        "database_path": database,
        "persistence_interval": 0.1,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[KindlingApplication]:
    """Start as ``Application.run_polling`` does, and stop in the reverse order."""
    application = build_application(settings, clock=clock)
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)

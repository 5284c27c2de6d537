"""Assembles the python-telegram-bot Application: settings in, a ready-to-run bot out."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from telegram import BotCommand
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.clock import Clock, SystemClock
from bot.content.library import load_library
from bot.content.ui import load_ui
from bot.persistence import SqlitePersistence
from bot.services import Services
from bot.settings import Settings
from handlers import register_handlers
from storage.sqlite import SqliteRepository

log = logging.getLogger(__name__)

# 429s are waited out and retried (python-telegram-bot retries nothing by default).
RATE_LIMIT_RETRIES = 3

COMMANDS: list[tuple[str, str]] = [
    ("start", "Set up Kindling, or see your settings"),
    ("win", "Keep a small moment that went well"),
    ("setback", "A hard moment, met with kindness"),
    ("reflect", "Look back on time with someone"),
    ("journal", "Your entries, newest first"),
    ("week", "A look back at this week"),
    ("pause", "For hard moments: grounding and help"),
    ("settings", "Times, time zone and nudges"),
    ("help", "What Kindling can do"),
    ("cancel", "Leave what we're in the middle of"),
]


class KindlingApplication(Application):  # type: ignore[type-arg]
    """An Application that owns Kindling's services: the database opens before persistence is
    read at ``initialize`` and closes after persistence is flushed at ``shutdown``."""

    services: Services

    async def initialize(self) -> None:
        await self.services.repo.open()
        await super().initialize()

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            await self.services.repo.close()


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])


def build_application(
    settings: Settings, *, clock: Clock | None = None, **builder_options: Any
) -> KindlingApplication:
    repo = SqliteRepository(settings.database_path)
    persistence = SqlitePersistence(repo, update_interval=settings.persistence_interval)
    builder = (
        ApplicationBuilder()
        .application_class(KindlingApplication)
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot", 1))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.telegram_rate_limit, max_retries=RATE_LIMIT_RETRIES
            )
        )
        .persistence(persistence)
        .defaults(Defaults(tzinfo=UTC, parse_mode=ParseMode.HTML))
        .concurrent_updates(False)
        .post_init(_post_init)
    )
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    application = builder.build()
    assert isinstance(application, KindlingApplication)
    application.services = Services(
        settings=settings,
        repo=repo,
        clock=clock or SystemClock(),
        ui=load_ui(),
        library=load_library(),
    )
    register_handlers(application)
    return application

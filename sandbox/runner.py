"""The whole sandbox in one event loop: the Bot API emulator, the real Kindling bot pointed at it,
and the web chat in front of them.

The bot is built by ``bot.app.build_application`` from ordinary ``Settings`` and started the way
``Application.run_polling`` starts it (as ``tests/harness.py: running_bot`` does): the only
difference from production is the Bot API base URL, which points at the emulator on loopback,
and a token made up for this run.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import KindlingApplication, build_application
from bot.bot_api import ALLOWED_UPDATES
from bot.clock import Clock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from sandbox.webchat import WebChat
from storage.target import Backend, DatabaseTarget

SANDBOX_BOT_USERNAME = "KindlingSandboxBot"


@dataclass(frozen=True, slots=True)
class Sandbox:
    emulator: BotApiEmulator
    application: KindlingApplication
    webchat: WebChat

    @property
    def url(self) -> str:
        return self.webchat.url


def sandbox_token() -> str:
    """A throwaway token shaped like BotFather's, valid only against this run's emulator."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(27)}"


def sandbox_settings(
    emulator: BotApiEmulator, database: Path | DatabaseTarget, **overrides: Any
) -> Settings:
    """Settings for the bot against the emulator; the environment still supplies the rest
    (LOG_LEVEL, TICK_SECONDS, ...), but a local ``.env`` is not read: it may hold a real token.
    ``database`` is a SQLite file or any target (a PostgreSQL database, in the tests)."""
    target = database if isinstance(database, DatabaseTarget) else DatabaseTarget.sqlite(database)
    where: dict[str, Any] = (
        {"database_path": target.path, "database_url": None}
        if target.backend is Backend.SQLITE
        else {"database_url": target.conninfo}
    )
    values: dict[str, Any] = {
        "telegram_bot_token": emulator.token,
        "telegram_api_base_url": emulator.base_url,
        **where,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[KindlingApplication]:
    """Start the real Application as ``run_polling`` does, and stop it in the reverse order.

    Against an emulator serving in this process, the emulator watches the bot while it runs
    (``BotApiEmulator.watching_bot``): waiting for the bot to finish asks the bot instead of
    listening for silence."""
    application = build_application(settings, clock=clock)
    emulator = BotApiEmulator.serving_at(settings.telegram_api_base_url)
    with contextlib.ExitStack() as watch:
        if emulator is not None:
            in_hand = application.updates_in_hand
            in_hand.on_change = watch.enter_context(emulator.watching_bot(in_hand.done_with))
        async with _started(application):
            yield application


@asynccontextmanager
async def _started(application: KindlingApplication) -> AsyncIterator[None]:
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        try:
            yield
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


@asynccontextmanager
async def running_sandbox(
    database: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    clock: Clock | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[Sandbox]:
    """Emulator, bot and web chat, started together and stopped in reverse order.

    The web chat binds first, so a busy port (``OSError``) stops everything before the bot has
    started. One person, Alex, is waiting in the chat list.
    """
    async with AsyncExitStack() as stack:
        emulator = BotApiEmulator(sandbox_token(), bot_username=SANDBOX_BOT_USERNAME)
        await stack.enter_async_context(emulator)
        settings = sandbox_settings(emulator, database, **settings_overrides)
        webchat = WebChat(emulator)
        await webchat.start(host, port)
        stack.push_async_callback(webchat.stop)
        application = await stack.enter_async_context(running_bot(settings, clock))
        webchat.application = application
        webchat.add_person()
        await emulator.wait_for_poller()
        yield Sandbox(emulator, application, webchat)

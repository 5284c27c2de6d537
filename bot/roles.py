"""One active Kindling, any number of standbys: what ``python -m bot`` runs.

Start the same Kindling several times with the same settings and exactly one is active: the one
holding the database's leadership lock (storage/leadership.py: a flock next to the SQLite file,
or a PostgreSQL advisory lock). The active process polls Telegram (or registers the webhook),
handles updates and runs the scheduler. The others stand by, trying for the lock every
``ATTEMPT_SECONDS``; when the active one dies its lock goes with it, and a standby takes over:
only then does it build and start the python-telegram-bot Application, so conversation state is
loaded fresh from the database, as the dead process last stored it.

python-telegram-bot keeps conversation state in memory, so two processes must never handle
updates at once. On PostgreSQL the lock can be lost while the process lives (its connection
dropped by the network or the server); the active process checks it every
``CHECK_SECONDS`` and, once it is lost, exits at once with ``EXIT_LOCK_LOST``, without
stopping gracefully: a graceful stop would still write conversation state, over what the new
active process may already have loaded. A supervisor (systemd's ``Restart=on-failure``)
starts it again, as a standby.

Each role is logged in one line when the process takes it: ``role=active how=first`` for a process
that found nobody active, ``role=standby how=started`` for one that found another active (it is
then ready to take over), ``role=active how=took_over`` when it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time

from telegram.error import TelegramError

from bot.app import (
    LONG_POLL_SECONDS,
    POLL_INTERVAL_SECONDS,
    TAKEOVER_GRACE_SECONDS,
    KindlingApplication,
    build_application,
)
from bot.bot_api import ALLOWED_UPDATES, start_failure
from bot.content.library import load_library
from bot.content.ui import load_ui
from bot.health import HealthServer, ProcessState, Role
from bot.safety import load_crisis_detector
from bot.settings import Settings, SettingsError
from bot.webhook import InboxFeeder, WebhookListener, webhook_path
from storage.backends import make_repository
from storage.crypto import load_cipher
from storage.leadership import Leadership, describe, make_leadership

log = logging.getLogger(__name__)

# How often a standby tries for the lock: with the active process SIGKILLed, the next reply
# comes about this long, plus a start-up, after the kill.
ATTEMPT_SECONDS = 0.5
# How often the active process checks it still holds the lock (PostgreSQL; a flock cannot be
# lost). The longest two processes could both act, should the server drop the lock's session.
CHECK_SECONDS = 0.5
# Exit status once the lock is lost: not 2 (an operator's problem), so systemd restarts it.
EXIT_LOCK_LOST = 3
# Exit status when Telegram keeps answering 409 Conflict: another Kindling polls this token
# with another database (one on the same database would stand by instead).
EXIT_ANOTHER_INSTANCE = 2


async def run_process(settings: Settings) -> int:
    """Stand by until this process holds the lock, then run the bot until it is told to stop.
    Returns the exit status."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    state = ProcessState()
    leadership = make_leadership(settings.database)
    log.info("leadership through %s", describe(settings.database))
    # What building the Application reads from disk and compiles (about 2 s, mostly the crisis
    # check's phrases), done before standing by so that a takeover does not wait for it. In a
    # thread: the event loop stays free meanwhile.
    await asyncio.to_thread(_warm_up)
    # This process's own connection to the database, apart from the Application's (which
    # only the active process has): the health endpoint reads the inbox's backlog through it.
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    repo = make_repository(settings.database, cipher=load_cipher(key))
    await repo.open()
    health = HealthServer(state, lambda: repo.inbox.backlog(bot_id_of(settings)))
    # Set when this process's listener stored an update: the feeder (when active) reads at once.
    stored = asyncio.Event()
    listener: WebhookListener | None = None
    if settings.webhook_url is not None:
        assert settings.webhook_secret is not None  # required with the URL (bot/settings.py)
        listener = WebhookListener(
            path=webhook_path(settings.webhook_url),
            secret=settings.webhook_secret.get_secret_value(),
            inbox=repo.inbox,
            bot_id=bot_id_of(settings),
            metrics=state.metrics,
            on_stored=stored.set,
        )
    waited = False
    try:
        await _serve(health, settings.health_host, settings.health_port, "HEALTH")
        if listener is not None:
            listen = (settings.webhook_listen_host, settings.webhook_listen_port)
            await _serve(listener, *listen, "WEBHOOK_LISTEN")
        while not stop.is_set():
            if await leadership.try_acquire():
                state.become(Role.ACTIVE, "took_over" if waited else "first")
                return await run_active(settings, state, leadership, stop, stored, took_over=waited)
            if not waited:
                state.become(Role.STANDBY, "started")
                waited = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ATTEMPT_SECONDS)
        return 0
    finally:
        await leadership.release()
        if listener is not None:
            await listener.stop()
        await health.stop()
        await repo.close()


def bot_id_of(settings: Settings) -> int:
    """The bot's id, as Telegram gives it in getMe: the number before the token's colon."""
    return int(settings.telegram_bot_token.get_secret_value().split(":", 1)[0])


async def _serve(
    server: HealthServer | WebhookListener, host: str, port: int, setting: str
) -> None:
    """Start a listener, unless its port is 0; a port it cannot have is one line for the
    operator (several Kindlings on one machine each need their own)."""
    if port == 0:
        return
    try:
        await server.start(host, port)
    except OSError as error:
        raise SettingsError(
            f"{setting}_PORT {port} on {host} cannot be used ({error.strerror or error}): give "
            f"each Kindling on this machine its own {setting}_PORT, or set it to 0 for none."
        ) from None


def _warm_up() -> None:
    """Fill the caches ``build_application`` reads (content only: no person's state)."""
    load_crisis_detector()
    load_ui()
    load_library()


async def run_active(
    settings: Settings,
    state: ProcessState,
    leadership: Leadership,
    stop: asyncio.Event,
    stored: asyncio.Event,
    *,
    took_over: bool,
) -> int:
    """The bot, as ``Application.run_polling`` runs it, until ``stop`` (a signal) or the
    application asks to stop (409 Conflict again and again); the lock watched meanwhile."""
    application = build_application(settings, metrics=state.metrics)
    application.on_stop_request = stop.set
    if took_over:
        application.conflicts_count_from = time.monotonic() + TAKEOVER_GRACE_SECONDS
    watchdog = asyncio.create_task(_watch_lock(leadership), name="kindling:leadership")
    feeder: asyncio.Task[None] | None = None
    try:
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await _start_receiving(application, settings)
        await application.start()
        if settings.webhook_url is not None:
            inbox = application.services.repo.inbox
            feed = InboxFeeder(application, inbox, bot_id_of(settings), stored)
            feeder = asyncio.create_task(feed.run(), name="kindling:inbox-feeder")
        await stop.wait()
    finally:
        for task in (watchdog, feeder):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # As run_polling ends, whatever happened: shutdown also closes the database when
        # initialize failed half-way (its thread would keep the process alive).
        assert application.updater is not None
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
    return EXIT_ANOTHER_INSTANCE if application.another_instance_running else 0


async def _start_receiving(application: KindlingApplication, settings: Settings) -> None:
    """The webhook registered, or long polling (which first removes any webhook, as
    python-telegram-bot's bootstrap does)."""
    assert application.updater is not None
    if settings.webhook_url is not None:
        assert settings.webhook_secret is not None
        try:
            await application.bot.set_webhook(
                url=settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
                max_connections=settings.webhook_max_connections,
            )
        except TelegramError as error:
            base_url, token = settings.telegram_api_base_url, application.bot.token
            raise SettingsError(start_failure(error, base_url, token)) from None
        log.info("webhook registered max_connections=%d", settings.webhook_max_connections)
        return

    def on_error(error: TelegramError) -> None:
        # As run_polling does: polling errors go to the error handlers (bot/app.py's
        # _on_polling_error counts conflicts and backs off quietly).
        application.create_task(application.process_error(error=error, update=None))

    try:
        await application.updater.start_polling(
            poll_interval=POLL_INTERVAL_SECONDS,
            timeout=LONG_POLL_SECONDS,
            allowed_updates=ALLOWED_UPDATES,
            error_callback=on_error,
        )
    except TelegramError as error:
        # Such as the bootstrap's deleteWebhook refused: one line, never the token.
        base_url, token = settings.telegram_api_base_url, application.bot.token
        raise SettingsError(start_failure(error, base_url, token)) from None


async def _watch_lock(leadership: Leadership) -> None:
    """Exit at once when the lock is no longer this process's (see the module's docstring)."""
    while True:
        await asyncio.sleep(CHECK_SECONDS)
        if not await leadership.still_held():
            log.critical(
                "role=lost leadership lost, exiting at once so that two never act together "
                "pid=%d status=%d",
                os.getpid(),
                EXIT_LOCK_LOST,
            )
            sys.stderr.flush()
            # Not SystemExit: nothing more may be written (conversation state above all), and
            # no handler may finish a step; the database keeps what was committed.
            os._exit(EXIT_LOCK_LOST)

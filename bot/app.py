"""Assembles the python-telegram-bot Application: settings in, a ready-to-run bot out."""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
from telegram import BotCommand
from telegram.constants import ParseMode
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    ContextTypes,
    Defaults,
)
from telegram.request import HTTPXRequest

from bot.bot_api import KindlingBot, start_failure
from bot.clock import Clock, SystemClock
from bot.content.library import load_library
from bot.content.ui import load_ui
from bot.inbox import DurableInbox, prune
from bot.metrics import Metrics
from bot.persistence import ConversationStorePersistence
from bot.rate_limits import MAX_CALLS_IN_FLIGHT, KindlingRateLimiter
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.update_order import PerChatUpdateProcessor, UpdatesInHand
from handlers import register_handlers
from handlers.flow import flows
from scheduler import ticker
from storage.backends import make_repository
from storage.crypto import load_cipher

log = logging.getLogger(__name__)

# 429s are waited out and retried (python-telegram-bot retries nothing by default).
RATE_LIMIT_RETRIES = 3

# After a poll that brought updates, wait this long before the next one: under load one request
# then fetches what arrived meanwhile instead of one request per update (a quarter of the API
# calls in bench/throughput.py). Idle, a long poll answers the moment something arrives.
POLL_INTERVAL_SECONDS = 0.05

# Polling refused with 409 Conflict this many times within CONFLICT_WINDOW_SECONDS means another
# process polls with the same token: this one stops (``bot.__main__`` says so in one line) rather
# than both taking turns. One stray 409 (a killed predecessor's poll not yet gone) is not enough.
CONFLICTS_BEFORE_STOPPING = 3
UPDATER_LOGGER = "telegram.ext.Updater"
CONFLICT_WINDOW_SECONDS = 30.0

# How long python-telegram-bot's long poll waits at Telegram for updates (run_polling's own
# default). A process that dies with its poll waiting leaves it there for up to this long.
LONG_POLL_SECONDS = 10
# A standby that took over from a dead process on the same database may meet that process's
# long poll, still waiting at Telegram, as 409 Conflicts: for this long after taking over they
# are not counted as another instance (bot/roles.py sets ``conflicts_count_from``).
TAKEOVER_GRACE_SECONDS = LONG_POLL_SECONDS + 5.0

# Done updates are forgotten after a week (storage/inbox.py); checked this often.
PRUNE_EVERY_SECONDS = 60 * 60
PRUNE_FIRST_SECONDS = 60

COMMANDS: list[tuple[str, str]] = [
    ("start", "Set up Kindling, or see your settings"),
    ("win", "Keep a small moment that went well"),
    ("setback", "A hard moment, met with kindness"),
    ("reflect", "Look back on time with someone"),
    ("journal", "Your entries, newest first"),
    ("note", "A few kind words to yourself"),
    ("offered", "What you offered to others"),
    ("week", "A look back at this week"),
    ("share", "A summary of your weeks, as a PDF"),
    ("pause", "For hard moments: grounding and help"),
    ("resume", "Bring quieted nudges back"),
    ("settings", "Times, time zone and nudges"),
    ("help", "What Kindling can do"),
    ("cancel", "Leave what we're in the middle of"),
]


class KindlingApplication(Application):  # type: ignore[type-arg]
    """An Application that owns Kindling's services: the database opens before persistence is
    read at ``initialize`` and closes after persistence is flushed at ``shutdown``."""

    services: Services
    metrics: Metrics
    # The updates taken in and not finished yet (bot/update_order.py).
    updates_in_hand: UpdatesInHand
    # Set when polling kept answering 409 Conflict (see ``_on_polling_error``).
    another_instance_running: bool = False
    _conflicts: tuple[float, ...] = ()
    # 409 Conflicts before this instant (monotonic) are a predecessor's lingering poll, not
    # another instance (set when a standby takes over).
    conflicts_count_from: float = 0.0
    # Called instead of stopping the event loop when ``stop_running`` is asked for: bot/roles.py
    # runs the application itself rather than through ``run_polling``.
    on_stop_request: Callable[[], None] | None = None

    def stop_running(self) -> None:
        if self.on_stop_request is not None:
            self.on_stop_request()
            return
        super().stop_running()

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        self.metrics.updates_handled.inc()

    async def initialize(self) -> None:
        await self.services.repo.open()
        try:
            await super().initialize()
        except TelegramError as error:
            # Told in one line by bot.__main__. Not a TelegramError, so python-telegram-bot
            # does not log it with a traceback; and not chained to the error, whose message
            # holds the token.
            base_url = self.services.settings.telegram_api_base_url
            raise SettingsError(start_failure(error, base_url, self.bot.token)) from None

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            logging.getLogger(UPDATER_LOGGER).removeFilter(self.hush_updater)
            await self.services.repo.close()

    @staticmethod
    def hush_updater(record: logging.LogRecord) -> bool:
        """A logging filter that drops every line (python-telegram-bot's Updater, stopping)."""
        return False


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    try:
        await application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    except TelegramError as error:
        assert isinstance(application, KindlingApplication)
        base_url = application.services.settings.telegram_api_base_url
        raise SettingsError(start_failure(error, base_url, application.bot.token)) from None


async def _on_polling_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Errors of getUpdates itself (``run_polling`` passes them with no update).

    Telegram unreachable: one warning line, no traceback; python-telegram-bot keeps polling with
    a growing pause (1 s, 1.5 s ... up to 30 s) and recovers by itself. 409 Conflict again and
    again: another instance runs on this token, so this one stops.
    """
    if update is not None or not isinstance(context.error, NetworkError | Conflict):
        return  # an update's error: handlers.common.on_error logs it and apologises
    application = context.application
    assert isinstance(application, KindlingApplication)
    if isinstance(context.error, NetworkError):
        log.warning("polling failed type=%s retrying=1", type(context.error).__name__)
        raise ApplicationHandlerStop
    now = time.monotonic()
    if now < application.conflicts_count_from:
        log.info("polling conflict after takeover counted=0")
        raise ApplicationHandlerStop
    application._conflicts = (
        *(t for t in application._conflicts if now - t < CONFLICT_WINDOW_SECONDS),
        now,
    )
    log.info("polling conflict count=%d", len(application._conflicts))
    stopping = len(application._conflicts) >= CONFLICTS_BEFORE_STOPPING
    if stopping and not application.another_instance_running:
        application.another_instance_running = True
        # The updater's last getUpdates on the way out gets the same 409 and would log it with
        # a traceback; the one line bot.__main__ prints says all there is to say. Only this
        # Application's way out is hushed: the filter goes with it at shutdown.
        logging.getLogger(UPDATER_LOGGER).addFilter(application.hush_updater)
        application.stop_running()
    raise ApplicationHandlerStop


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings every Bot API connection in this process uses, as httpx makes them by
    default (certificates verified). Made once: each reads the whole certificate bundle."""
    return httpx.create_ssl_context()


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    metrics: Metrics | None = None,
    durable: bool = True,
    **builder_options: Any,
) -> KindlingApplication:
    """The bot, ready to run. ``durable=False`` leaves out the inbox (bot/inbox.py), writing
    conversation state on python-telegram-bot's timer instead: only for a benchmark measuring
    what the inbox costs; such a bot loses or repeats updates when it is killed."""
    metrics = metrics or Metrics()
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    repo = make_repository(settings.database, cipher=load_cipher(key))
    persistence = ConversationStorePersistence(repo.conversations, per_update=durable)
    rate_limiter = KindlingRateLimiter(settings.telegram_rate_limit, max_retries=RATE_LIMIT_RETRIES)
    rate_limiter.on_rate_limited = metrics.rate_limited.inc
    bot = KindlingBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_url.replace("/bot", "/file/bot", 1),
        # A connection for each call in flight (bot/rate_limits.py), and one for the poll.
        request=HTTPXRequest(
            connection_pool_size=MAX_CALLS_IN_FLIGHT, httpx_kwargs={"verify": _tls()}
        ),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": _tls()}),
        rate_limiter=rate_limiter,
        defaults=Defaults(tzinfo=UTC, parse_mode=ParseMode.HTML),
    )
    application: KindlingApplication | None = None

    def flow_states(chat_id: int, user_id: int) -> dict[str, object | None]:
        assert application is not None
        return {flow.name: flow.active_state(chat_id, user_id) for flow in flows(application)}

    async def settle(update: object) -> None:
        assert application is not None and bot.inbox is not None
        await bot.inbox.settle(update, application.user_data, application.chat_data)

    def put_away(user_id: int | None, chat_id: int | None) -> None:
        assert application is not None
        persistence.put_away(user_id, chat_id)
        if user_id is not None:
            application.drop_user_data(user_id)
        if chat_id is not None:
            application.drop_chat_data(chat_id)

    if durable:
        bot.keep_updates_in(DurableInbox(repo.inbox, persistence, flow_states, put_away))
    in_hand = UpdatesInHand()
    bot.tell_what_is_taken(in_hand)
    builder = (
        ApplicationBuilder()
        .application_class(KindlingApplication)
        .bot(bot)
        .persistence(persistence)
        .concurrent_updates(
            PerChatUpdateProcessor(settle=settle if durable else None, in_hand=in_hand)
        )
        .post_init(_post_init)
    )
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    built = builder.build()
    assert isinstance(built, KindlingApplication)
    application = built
    application.metrics = metrics
    application.updates_in_hand = in_hand
    bot.count_calls_in(metrics)
    application.services = Services(
        settings=settings,
        repo=repo,
        clock=clock or SystemClock(),
        ui=load_ui(),
        library=load_library(),
    )
    # Before handlers.common's error handler, which would log polling errors as crashes.
    application.add_error_handler(_on_polling_error)
    register_handlers(application)
    ticker.register(application)
    if durable and application.job_queue is not None:
        application.job_queue.run_repeating(
            _prune_inbox, interval=PRUNE_EVERY_SECONDS, first=PRUNE_FIRST_SECONDS
        )
    return application


async def _prune_inbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    application = context.application
    assert isinstance(application, KindlingApplication)
    await prune(application.services.repo.inbox)

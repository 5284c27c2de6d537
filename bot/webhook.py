"""Webhook mode: Telegram sends each update to Kindling over HTTPS instead of being asked for it.

Every process, active or standing by, listens (a load balancer may send a request to any of
them): a request carrying the right secret (``X-Telegram-Bot-Api-Secret-Token``, compared in
constant time) is written to the durable inbox and answered 200 only once it is committed, so an
update Telegram was told arrived is never lost; Telegram sends again whatever was not answered
200. Without the right secret: 401 and nothing stored. A body that is not an update: 400 (never
a traceback). A database that cannot take it: 503, and Telegram tries again later.

The active process registers the webhook (``setWebhook`` with the secret, ``allowed_updates``
and ``max_connections``) and feeds the inbox to its Application (``InboxFeeder``): woken at
once when this process stored something, and reading the database every ``FEED_POLL_SECONDS``
for what the other processes stored. Going back to polling removes the webhook
(python-telegram-bot's polling starts with ``deleteWebhook``).

TLS is the reverse proxy's (docs/deploy.md): the listener speaks plain HTTP, on loopback by
default.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.inbox import inbox_update
from bot.metrics import Metrics
from storage.inbox import Inbox
from storage.models import InboxUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# How often the active process reads the inbox for updates another process stored.
FEED_POLL_SECONDS = 0.2
# Stored updates read at once.
FEED_BATCH = 500
# A pause after the database failed a read, before the next.
FEED_RETRY_SECONDS = 1.0
# Telegram's updates are small; a larger body is not one.
MAX_BODY_BYTES = 1024 * 1024


def webhook_path(url: str) -> str:
    """The path Telegram posts to, as the listener serves it (the reverse proxy passes it on)."""
    return urlsplit(url).path or "/"


class WebhookListener:
    """Receives Telegram's requests and commits each update to the inbox before answering."""

    def __init__(
        self,
        *,
        path: str,
        secret: str,
        inbox: Inbox,
        bot_id: int,
        metrics: Metrics,
        on_stored: Callable[[], None],
    ) -> None:
        self.path = path
        self._secret = secret.encode()
        self.inbox = inbox
        self.bot_id = bot_id
        self.metrics = metrics
        self.on_stored = on_stored
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self._receive)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("webhook listening host=%s port=%d", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def _answer(self, status: int) -> web.Response:
        self.metrics.webhook_requests.labels(status=str(status)).inc()
        return web.Response(status=status)

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        # Constant time: how much of a guess was right must not show in how long it took.
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook refused reason=secret")
            return self._answer(401)
        try:
            raw = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError, web.HTTPException):
            log.warning("webhook refused reason=unreadable")
            return self._answer(400)
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("webhook refused reason=not_an_update")
            return self._answer(400)
        item = inbox_update(raw)
        try:
            await self.inbox.add(self.bot_id, [item], datetime.now(UTC))
        except Exception as error:  # whatever the database raised: Telegram will send it again
            log.warning("webhook not stored type=%s", type(error).__name__)
            return self._answer(503)
        self.on_stored()
        return self._answer(200)


class InboxFeeder:
    """The active process's side in webhook mode: stored updates, in order, to the Application.

    Each update is handed out once per process; it stays in the inbox until its handling is
    done (bot/inbox.py marks it), so a process that takes over hands out again what its
    predecessor did not finish. Every read looks at all that is pending, not only past the last
    id handed out: requests for different chats are stored side by side, so an update may be
    committed after one with a higher id (Telegram keeps only each chat's own order)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        inbox: Inbox,
        bot_id: int,
        stored: asyncio.Event,
    ) -> None:
        self.application = application
        self.inbox = inbox
        self.bot_id = bot_id
        self.stored = stored
        # Pending updates already handed out (what is done leaves the set with the next read).
        self._handed: set[int] = set()

    async def run(self) -> None:
        while True:
            # Cleared before reading: something stored while this read runs wakes the next.
            self.stored.clear()
            try:
                await self._hand_out_pending()
            except Exception as error:  # the database, for a moment: read again shortly
                log.warning("inbox read failed type=%s", type(error).__name__)
                await asyncio.sleep(FEED_RETRY_SECONDS)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stored.wait(), FEED_POLL_SECONDS)

    async def _hand_out_pending(self) -> None:
        still_pending: set[int] = set()
        after: int | None = None
        while True:
            page = await self.inbox.pending(self.bot_id, after, FEED_BATCH)
            for item in page:
                still_pending.add(item.update_id)
                if item.update_id in self._handed:
                    continue
                self._handed.add(item.update_id)
                update = self._read(item)
                if update is not None:
                    await self.application.update_queue.put(update)
            if len(page) < FEED_BATCH:
                break
            after = page[-1].update_id
        self._handed &= still_pending

    def _read(self, item: InboxUpdate) -> Update | None:
        """One stored update, or None (logged once, never its content) when it cannot be
        read."""
        try:
            return Update.de_json(json.loads(item.payload), self.application.bot)
        except Exception as error:  # whatever a shape python-telegram-bot did not expect raises
            log.warning(
                "update skipped unreadable update_id=%s error=%s",
                item.update_id,
                type(error).__name__,
            )
            return None

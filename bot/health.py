"""What a process tells its operator over HTTP, active or standing by: ``/healthz`` for a load
balancer or a supervisor, ``/metrics`` for Prometheus.

``/healthz`` answers 200 with the process's role and the inbox's backlog (how many updates wait
to be handled, and how long the oldest has waited) while the process can reach its database, and
503 when it cannot (a webhook stored there would fail too). Every process answers for itself;
the backlog is the database's, so every process shows the same one. A backlog that grows old
means nobody is handling it: the active process is stuck, or none is active.

Neither page holds a person's data: counts, kinds, ages and the role only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from aiohttp import web

from bot.metrics import CONTENT_TYPE_LATEST, Metrics
from storage.models import Backlog

log = logging.getLogger(__name__)

# A backlog query slower than this counts as the database out of reach.
BACKLOG_TIMEOUT_SECONDS = 3.0


class Role(StrEnum):
    STANDBY = "standby"
    ACTIVE = "active"


@dataclass
class ProcessState:
    """What this process is doing, for the health endpoint and the metrics."""

    metrics: Metrics = field(default_factory=Metrics)
    # Standing by (or not yet decided, while starting) until the lock is this process's.
    role: Role = Role.STANDBY
    # Monotonic instant the role was taken.
    since: float = field(default_factory=time.monotonic)

    def become(self, role: Role, how: str) -> None:
        """Take ``role``, in the metrics and in one log line. WARNING for a takeover: it means
        another process died, which an operator wants to see whatever LOG_LEVEL says."""
        self.role, self.since = role, time.monotonic()
        self.metrics.role_changes.labels(role=str(role)).inc()
        self.metrics.active.set(1 if role is Role.ACTIVE else 0)
        level = logging.WARNING if how == "took_over" else logging.INFO
        logging.getLogger("bot.roles").log(level, "role=%s how=%s pid=%d", role, how, os.getpid())


BacklogReader = Callable[[], Awaitable[Backlog]]


class HealthServer:
    """``/healthz`` and ``/metrics`` on one address (aiohttp, already Kindling's dependency)."""

    def __init__(self, state: ProcessState, backlog: BacklogReader) -> None:
        self.state = state
        self.backlog = backlog
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health listening host=%s port=%d", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _read_backlog(self) -> Backlog | None:
        """The inbox's backlog, into the gauges too; None when the database does not answer."""
        try:
            async with asyncio.timeout(BACKLOG_TIMEOUT_SECONDS):
                backlog = await self.backlog()
        except Exception as error:  # whatever the driver raises: the page says "unreachable"
            log.warning("health database unreachable type=%s", type(error).__name__)
            return None
        self.state.metrics.inbox_backlog.set(backlog.count)
        self.state.metrics.inbox_oldest_age.set(_age(backlog))
        return backlog

    async def _healthz(self, request: web.Request) -> web.Response:
        backlog = await self._read_backlog()
        body: dict[str, object] = {
            "status": "ok" if backlog is not None else "database_unreachable",
            "role": str(self.state.role),
            "role_seconds": round(time.monotonic() - self.state.since, 1),
        }
        if backlog is not None:
            body["inbox"] = {
                "backlog": backlog.count,
                "oldest_age_seconds": round(_age(backlog), 1),
            }
        return web.Response(
            status=200 if backlog is not None else 503,
            text=json.dumps(body),
            content_type="application/json",
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        await self._read_backlog()
        response = web.Response(body=self.state.metrics.exposition())
        # prometheus_client's content type carries its own charset parameter.
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response


def _age(backlog: Backlog) -> float:
    if backlog.oldest_received_at is None:
        return 0.0
    return max(0.0, (datetime.now(UTC) - backlog.oldest_received_at).total_seconds())

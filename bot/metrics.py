"""What an operator can count from outside (``/metrics``, Prometheus' text format): updates
handled, the inbox's backlog, sends and why they failed, 429s, role changes.

Counts, kinds and ages only: no label ever holds a chat id, a name or anything a person wrote,
so the page can be scraped and kept by any monitoring system.

Each process has its own registry (never prometheus_client's global one): tests run several
bots in one interpreter, and only what this module defines is shown.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# The Bot API methods that put something in front of a person (what "sends" counts).
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "answerCallbackQuery",
        "deleteMessage",
        "deleteMessages",
    }
)


class Metrics:
    """One process's counters and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates_handled = Counter(
            "kindling_updates_handled",
            "Updates the active process finished handling (each update once per handling).",
            registry=self.registry,
        )
        self.sends = Counter(
            "kindling_sends",
            "Bot API calls that show a person something, by method.",
            ["method"],
            registry=self.registry,
        )
        self.send_failures = Counter(
            "kindling_send_failures",
            "Those calls that failed, by method and kind of error (BadRequest, Forbidden, "
            "RetryAfter, TimedOut, NetworkError ...).",
            ["method", "kind"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "kindling_rate_limited",
            "Bot API answers of 429 Too Many Requests, any method.",
            registry=self.registry,
        )
        self.role_changes = Counter(
            "kindling_role_changes",
            "Times this process took a role (standby at start, active when it took over).",
            ["role"],
            registry=self.registry,
        )
        self.active = Gauge(
            "kindling_active",
            "1 while this process is the active one (polls or registers the webhook, handles "
            "the inbox, runs the scheduler), 0 while it stands by.",
            registry=self.registry,
        )
        self.inbox_backlog = Gauge(
            "kindling_inbox_backlog",
            "Updates stored in the inbox and not yet handled (read when scraped).",
            registry=self.registry,
        )
        self.inbox_oldest_age = Gauge(
            "kindling_inbox_oldest_age_seconds",
            "How long the oldest unhandled update has waited in the inbox; 0 when none does.",
            registry=self.registry,
        )
        self.webhook_requests = Counter(
            "kindling_webhook_requests",
            "Webhook requests received, by HTTP status answered (200 stored, 401 wrong secret, "
            "400 unreadable, 503 not stored).",
            ["status"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)

    def count_call(self, method: str, error: BaseException | None) -> None:
        """One Bot API call's outcome once any retries are over (``error`` None when it
        succeeded). Each 429 is counted where it is met (``rate_limited``, by the limiter)."""
        if method not in SENDING_METHODS:
            return
        self.sends.labels(method=method).inc()
        if error is not None:
            self.send_failures.labels(method=method, kind=type(error).__name__).inc()

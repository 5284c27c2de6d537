"""Logging set-up that keeps secrets and people's words out of the logs.

httpx logs every request URL at INFO, and python-telegram-bot's URLs carry the bot token, so
those loggers are held at WARNING whatever LOG_LEVEL says.
"""

from __future__ import annotations

import logging

QUIET_LOGGERS = ("httpx", "httpcore", "telegram.request", "telegram._bot", "hpack")


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, logging.getLevelName(level)))

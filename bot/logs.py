"""Logging set-up that keeps secrets and people's words out of the logs.

httpx logs every request URL at INFO, and python-telegram-bot's URLs carry the bot token, so
those loggers are held at WARNING whatever LOG_LEVEL says.

At DEBUG, python-telegram-bot logs whole updates ("Processing update ..." in
telegram.ext.Application), every Bot API call with its parameters and its answer (people's
messages, the bot's replies, the token in URLs: telegram.Bot / telegram.ext.ExtBot), and
conversation keys; aiosqlite logs every statement with its values. Those loggers are held at
INFO, so LOG_LEVEL=DEBUG shows Kindling's own debugging and never a person's words. As a second
line, the handler drops DEBUG lines from them anyway and blanks out any secret it is given.

Above DEBUG a library still hands its lines what it was working on now and then (at CRITICAL,
python-telegram-bot logs a whole getUpdates answer it could not read), so at every level a line
from any logger but Kindling's own keeps its words and loses its arguments: "Error while parsing
updates! Received data was [withheld]".

Kindling's own lines follow ``event key=value ...``, with counts, kinds and error types only (never
a person's words), so errors and sends can be counted per kind with grep.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Sequence
from types import TracebackType

QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.request",
    "telegram._bot",
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "hpack",
)
# Loggers whose DEBUG lines carry people's words, drafts or API parameters.
PRIVATE_DEBUG_LOGGERS = (
    "telegram",
    "aiosqlite",
    "apscheduler",
)

# Kindling's own loggers, whose lines are shown as written (see the module's last paragraph).
OWN_LOGGERS = ("bot", "handlers", "storage", "scheduler", "sandbox")

WITHHELD = "[withheld]"
# A %-style placeholder in a log line's format ("%s", "%r", "%(name)s", "%5.2f" ...).
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]")


def _is_in(name: str, families: Sequence[str]) -> bool:
    return any(name == family or name.startswith(family + ".") for family in families)


def _without_arguments(record: logging.LogRecord) -> str:
    """A library's line with ``[withheld]`` where its arguments would have gone."""
    if not isinstance(record.msg, str):
        return WITHHELD  # an object logged as the message: its text is its content
    if not record.args:
        return record.msg
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else WITHHELD, record.msg)


class PrivacyFilter(logging.Filter):
    """Drop DEBUG lines of ``PRIVATE_DEBUG_LOGGERS``, withhold the arguments of every line not
    from ``OWN_LOGGERS``, and replace secrets in every line."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and _is_in(record.name, PRIVATE_DEBUG_LOGGERS):
            return False
        if not _is_in(record.name, OWN_LOGGERS):
            record.msg, record.args = _without_arguments(record), None
        if self.secrets:
            record.msg, record.args = redact(record.getMessage(), self.secrets), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text, self.secrets)
        return True


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every (non-empty) secret in it replaced by ``[secret]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text


def redact_uncaught_exceptions(secrets: Sequence[str]) -> None:
    """The last resort, for an exception nothing caught (in any thread): printed as Python
    prints it, with every secret blanked out. python-telegram-bot, for one, puts a refused
    token into its error's message."""

    def print_redacted(
        kind: type[BaseException], error: BaseException | None, trace: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, error, trace))
        sys.stderr.write(redact(text, secrets))

    def print_redacted_from_thread(args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else threading.get_ident()
        sys.stderr.write(f"Exception in thread {name}:\n")
        print_redacted(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = print_redacted
    threading.excepthook = print_redacted_from_thread


def configure_logging(level: str, secrets: Sequence[str] = ()) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(PrivacyFilter(secrets))
    for name in PRIVATE_DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, logging.getLevelName(level)))

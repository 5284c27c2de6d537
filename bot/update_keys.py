"""Which update is being handled, so that what it stores can carry its key (bot/inbox.py).

An update handled a second time, because the process died after its entry was stored and before
the update was marked done, must find that entry rather than store a second one. The entry is
keyed by the update that made it; the update processor sets the key around each update's
handling, so a handler, or the helper that stores for it, need not pass it along.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from telegram import Update

# "<bot id>:<update id>" of the update this task is handling.
_current: ContextVar[str | None] = ContextVar("current_update_key", default=None)


def update_key(update: object) -> str | None:
    if not isinstance(update, Update):
        return None
    return f"{update.get_bot().id}:{update.update_id}"


def current_update_key(kind: str) -> str | None:
    """The key of an entry of ``kind`` made while handling the current update; None outside
    one (a job, a test calling a handler directly), when nothing can be delivered twice."""
    key = _current.get()
    return None if key is None else f"{key}:{kind}"


def set_current_update(update: object) -> Token[str | None]:
    return _current.set(update_key(update))


def reset_current_update(token: Token[str | None]) -> None:
    _current.reset(token)

"""Bounds on what a person wrote, applied by every backend before a text is stored."""

from __future__ import annotations

from typing import Any

# A hard cap on any one text a person wrote, whatever a handler let through (handlers keep up
# to a whole Telegram message, see handlers/entry_text.py, and tell the person when they cut);
# beyond it the text is cut here. In code points: a whole message (4,096 UTF-16 units) is never
# more than 4,096 of them, so no message a person can send is cut by this backstop.
MAX_STORED_TEXT_CHARS = 4096


def bound_text(value: Any) -> Any:
    """A text cut to ``MAX_STORED_TEXT_CHARS``, without NUL characters (PostgreSQL refuses them
    in text, and they carry nothing a person meant); anything else unchanged."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:MAX_STORED_TEXT_CHARS] if len(value) > MAX_STORED_TEXT_CHARS else value


def bound_extra(value: Any) -> Any:
    """``bound_text`` applied to every text inside an entry's ``extra`` document."""
    if isinstance(value, dict):
        return {key: bound_extra(item) for key, item in value.items()}
    if isinstance(value, list):
        return [bound_extra(item) for item in value]
    return bound_text(value)

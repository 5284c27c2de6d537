"""Every button pattern matches the whole callback data: ``\\Z``, never ``$``, which also
accepts the data with a newline after it."""

from __future__ import annotations

import re

from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.app import KindlingApplication


def patterns(handlers: list[object]) -> list[str]:
    found: list[str] = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            inner = [*handler.entry_points, *handler.fallbacks]
            for step in handler.states.values():
                inner.extend(step)
            found.extend(patterns(inner))
        elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            pattern = handler.pattern
            found.append(pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern))
    return found


def test_no_button_pattern_takes_a_trailing_newline(bot: KindlingApplication) -> None:
    everything = patterns([h for group in bot.handlers.values() for h in group])
    assert len(everything) > 20
    loose = [p for p in everything if p.endswith("$")]
    assert loose == []

"""Every handler of the bot, registered in one place so precedence is visible.

Groups, lowest first: the private-chat gate (-10); one group per conversation flow (1..49);
plain commands (50); catch-alls for whatever nothing else took (100).
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import common, onboarding


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    common.register(application)
    onboarding.register(application)

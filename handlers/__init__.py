"""Every handler of the bot, registered in one place so precedence is visible.

The groups, lowest first, are named in `handlers.groups.HandlerGroup`: the gates, one group per
conversation flow, the plain commands, and the catch-alls for whatever nothing else took.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    common,
    delete,
    export,
    flood,
    flow,
    journal,
    notes,
    offered,
    onboarding,
    pause,
    person_locale,
    practice_setback,
    practice_win,
    prompt_buttons,
    prompt_reply,
    reflect,
    routines,
    safety,
    settings,
    therapy,
    week,
)


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    common.register(application)
    person_locale.register(application)  # LOCALE: kept from every message or tap
    flow.register(application)  # FORGET_IDLE: flows left unfinished are forgotten first
    for privacy in (flood, delete, export):  # FLOOD, DELETE, COMMANDS
        privacy.register(application)
    onboarding.register(application)
    settings.register(application)
    prompt_buttons.register(application)  # PROMPT_BUTTONS
    for recap in (week, routines):  # WEEK, COMMANDS
        recap.register(application)
    for practice in (practice_win, practice_setback, reflect, journal, prompt_reply):
        practice.register(application)
    notes.register(application)  # NOTES
    offered.register(application)  # OFFER; COMMANDS (/offered, /review)
    therapy.register(application)  # THERAPY
    for hard_moments in (pause, safety):  # PAUSE; CRISIS and COMMANDS (/resume)
        hard_moments.register(application)

"""Every handler of the bot, registered in one place so precedence is visible.

Groups, lowest first: the private-chat gate (-10); one group per conversation flow (1..49);
plain commands (50); catch-alls for whatever nothing else took (100).
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
    person_locale.register(application)  # -7: the locale kept from every message or tap
    flow.register(application)  # -6: flows left unfinished are forgotten first
    for privacy in (flood, delete, export):  # groups -8, 9, 50
        privacy.register(application)
    onboarding.register(application)
    settings.register(application)
    prompt_buttons.register(application)  # 80
    for recap in (week, routines):  # 8, 50
        recap.register(application)
    for practice in (practice_win, practice_setback, reflect, journal, prompt_reply):  # 2,3,4,5,90
        practice.register(application)
    notes.register(application)  # 10
    offered.register(application)  # 12; 50 (/offered, /review)
    therapy.register(application)  # 11
    for hard_moments in (pause, safety):  # 7; -5 (crisis check) and 50 (/resume)
        hard_moments.register(application)

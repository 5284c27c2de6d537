"""Every handler group of the bot, in the order an update meets them.

python-telegram-bot offers an update to each group in turn, lowest first, and to at most one handler
in each; a handler that raises `ApplicationHandlerStop` ends the walk. So the gates come first, the
flows before the plain commands, and the catch-alls last. `docs/architecture.md` lists the same
groups in its table; `tests/unit/test_handler_groups.py` checks that the two agree.
"""

from __future__ import annotations

from enum import IntEnum


class HandlerGroup(IntEnum):
    # Private chats only, and updates with a chat and a sender: nothing else gets any further.
    GATE = -10
    # Button presses with no data stop here; they would match every button handler below.
    DATALESS_BUTTON = -9
    # The flood guard, before anything that answers or writes.
    FLOOD = -8
    # The person's locale kept from their Telegram language, before any reply picks its words.
    LOCALE = -7
    # Flows idle for 30 minutes are ended quietly, before the crisis check and every flow.
    FORGET_IDLE = -6
    # The crisis check over every text, before any flow could take the words as a step.
    CRISIS = -5
    # Onboarding (/start), the first flow.
    ONBOARDING = 1
    # /win.
    WIN = 2
    # /setback.
    SETBACK = 3
    # /reflect.
    REFLECT = 4
    # /journal and its pages.
    JOURNAL = 5
    # /settings.
    SETTINGS = 6
    # /pause.
    PAUSE = 7
    # /week and /share.
    WEEK = 8
    # /delete.
    DELETE = 9
    # /note and the notes' buttons, after the flows whose closing words carry them.
    NOTES = 10
    # "To talk about in therapy" under the closing words of /setback and /reflect.
    THERAPY = 11
    # Offering a sentence to others after /win.
    OFFER = 12
    # Plain commands and their buttons, after every flow so a flow's step is never taken for one.
    COMMANDS = 50
    # The daily prompt's buttons ("later", "skip today"), after the commands.
    PROMPT_BUTTONS = 80
    # A free-text answer to today's prompt: only words no flow or command took.
    PROMPT_REPLY = 90
    # Catch-alls (unknown command, stray message, expired button): whatever nothing else took.
    CATCH_ALL = 100

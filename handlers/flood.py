"""The flood guard: someone sending far more than a person types is slowed, kindly, once.

Every message, edit and button press from a private chat is counted in a sliding window per
chat (kept in memory on the services object, timed by the injectable clock). Up to
``FLOOD_LIMIT`` arrivals in ``FLOOD_WINDOW`` go through untouched, so nothing sent before the
limit is lost. Past it, the person gets one short "slow down" notice for the whole burst and
further updates in the window are not answered (a pressed button is still acknowledged, so its
spinner stops). Help is never held back: /pause always goes through, and so does any message
the crisis check (group -5) would answer, however fast it comes.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.safety import CrisisDetector, load_crisis_detector
from bot.services import services
from handlers.groups import HandlerGroup

log = logging.getLogger(__name__)

# More than FLOOD_LIMIT updates within FLOOD_WINDOW is faster than anyone types or taps.
FLOOD_WINDOW = timedelta(seconds=10)
FLOOD_LIMIT = 20

# Commands never held back, however fast they come.
ALWAYS_THROUGH = frozenset({"/pause"})

# Windows of chats quiet for longer than FLOOD_WINDOW are forgotten once this many are kept.
MAX_WINDOWS_KEPT = 10_000


@dataclass(slots=True)
class FloodWindow:
    """The newest arrivals from one chat (at most one more than the limit) and whether the
    person was already told to slow down during this burst."""

    arrivals: deque[datetime] = field(default_factory=lambda: deque(maxlen=FLOOD_LIMIT + 1))
    told: bool = False


def _counts(update: Update) -> bool:
    """Updates a person sends: messages, edits and button presses in a private chat."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return False
    return any((update.message, update.edited_message, update.callback_query))


def _always_through(update: Update, detector: CrisisDetector) -> bool:
    """/pause, and words of crisis: a person in trouble may well be typing fast."""
    # The person's own words only: a button press carries the bot's message, whose text is
    # Kindling's, and reading it would let presses on many an ordinary message through.
    message = update.message or update.edited_message
    words = (message.text or message.caption or "") if message is not None else ""
    command = words.split(maxsplit=1)[0].split("@", 1)[0].lower() if words else ""
    return command in ALWAYS_THROUGH or (bool(words) and detector.matches(words))


def _forget_quiet_chats(windows: dict[int, FloodWindow], now: datetime) -> None:
    for chat_id in [
        chat_id
        for chat_id, window in windows.items()
        if not window.arrivals or window.arrivals[-1] <= now - FLOOD_WINDOW
    ]:
        del windows[chat_id]


def arrive(windows: dict[int, FloodWindow], chat_id: int, now: datetime) -> FloodWindow:
    """Count one arrival from ``chat_id`` at ``now`` and return the chat's window."""
    if len(windows) >= MAX_WINDOWS_KEPT and chat_id not in windows:
        _forget_quiet_chats(windows, now)
    window = windows.setdefault(chat_id, FloodWindow())
    while window.arrivals and window.arrivals[0] <= now - FLOOD_WINDOW:
        window.arrivals.popleft()
    window.arrivals.append(now)
    return window


def is_flooding(window: FloodWindow) -> bool:
    return len(window.arrivals) > FLOOD_LIMIT


async def guard(
    update: Update, context: ContextTypes.DEFAULT_TYPE, detector: CrisisDetector
) -> None:
    """Let the update through, or past the limit say "slow down" once and answer nothing."""
    if not _counts(update):
        return
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    window = arrive(svc.flood_windows, chat_id, svc.clock.now())
    if not is_flooding(window):
        window.told = False
        return
    if _always_through(update, detector):
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    if not window.told:
        window.told = True
        log.warning(
            "flood slowed limit=%d window_seconds=%d",
            FLOOD_LIMIT,
            FLOOD_WINDOW.total_seconds(),
        )
        await context.bot.send_message(chat_id, svc.ui("common.slow_down"))
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    detector = load_crisis_detector()
    application.add_handler(
        TypeHandler(Update, partial(guard, detector=detector)), group=HandlerGroup.FLOOD
    )

"""Keeps the locale on each person's record up to date from the language of their Telegram.

Every message, edit or tap from a person (group -7, after the gate and the flood guard, before
any flow) compares the locale of their ``language_code`` with the one last kept for them, held
in memory: nothing is read or written unless it changed, or this process has not seen them yet
(/delete forgets what was kept). What is sent without a message to answer (the scheduler's
recaps, the /share PDF, notes given back) then reads dates and times in the person's own format
(``bot.locales.locale_of``), as every reply does.

Nobody is created here: before /start there is no record to keep it on, and the next message
after /start keeps it.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.locales import sender_locale
from bot.services import services
from handlers.groups import HandlerGroup

log = logging.getLogger(__name__)


# Beyond this many people the memory is emptied and filled again as they write: at worst one
# read more per person.
MAX_KEPT = 100_000


async def keep_locale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the sender's locale on their record when it is not the one kept there."""
    chat = update.effective_chat
    if chat is None or update.effective_user is None:
        return
    locale = sender_locale(update)
    svc = services(context)
    kept = svc.locales_kept
    if kept.get(chat.id) == locale:
        return
    try:
        stored = await svc.repo.keep_locale(chat.id, locale)
    except Exception as error:
        # Never at the cost of the reply: the handlers after this one meet a database in
        # trouble themselves and say so, and a later message keeps the locale.
        log.warning("locale not kept type=%s", type(error).__name__)
        return
    if stored:
        if len(kept) >= MAX_KEPT:
            kept.clear()
        kept[chat.id] = locale


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, keep_locale), group=HandlerGroup.LOCALE)

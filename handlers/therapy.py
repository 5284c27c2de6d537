"""A bridge to therapy: any entry can be marked "to talk about in therapy".

    "To talk about in therapy" (under the closing words of /setback and /reflect)
        ──> the entry is marked; the button goes, and /share opens with it
    /journal ── Therapy N ──> the entry is marked, or unmarked (handlers/journal.py)

Whether the person sees a therapist is asked, optionally, in /settings; a hard week's recap may
then say something about it once (bot/recap/additions.py). The button carries the entry's id,
looked up with the chat it belongs to: a forged id marks nothing.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ContextTypes

from bot.services import Services, services
from handlers.groups import HandlerGroup
from handlers.notes import drop_button

CB_MARK = "therapy:mark:"
PATTERN = rf"^{CB_MARK}[0-9]{{1,18}}\Z"


def mark_button(svc: Services, entry_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(svc.ui("therapy.mark_button"), callback_data=f"{CB_MARK}{entry_id}")


async def mark(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark the entry to talk about in therapy; the button then goes."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    entry_id = int(query.data.removeprefix(CB_MARK))
    if not await svc.repo.mark_for_therapy(chat_id, entry_id, True):
        await query.answer(svc.ui("common.expired_button_toast"))
        raise ApplicationHandlerStop
    await query.answer(svc.ui("therapy.marked"))
    await drop_button(update, CB_MARK)
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(mark, pattern=PATTERN), group=HandlerGroup.THERAPY)

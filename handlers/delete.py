"""/delete: erase everything Kindling keeps about the person, after two clear chances to stop.

    /delete ──> what will be erased + [Yes, erase everything] [Keep my data] ──> ASKED
    ASKED ──(yes)──> "Are you sure? This can't be undone." [Erase for good] [Keep my data] ──> SURE
    SURE ──(erase for good)──> every row and every trace in memory erased; one message saying
            that Telegram keeps the chat itself until the person clears it, and how, with
            [Remove my recent messages] ──> Kindling's own messages of the last two days go
    ASKED or SURE ──(keep my data)──> nothing erased, one line, done

Erasing removes the person's rows from every table (storage overwrites the deleted bytes and
empties the write-ahead log), ends any flow they are in, drops their drafts and conversation
state from memory and from persistence, and cancels their pending jobs. With no person row
nothing is due any more, so every nudge stops; a later /start begins again from the welcome.
Words typed while the question is open are not swallowed: they go wherever they would have.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.bot_api import KindlingBot
from bot.persistence import ConversationStorePersistence
from bot.services import services
from handlers.flow import END, Flow, end_all_flows
from handlers.groups import HandlerGroup

log = logging.getLogger(__name__)

ASKED, SURE = range(2)

CB_YES = "del:yes"
CB_ERASE = "del:erase"
CB_KEEP = "del:keep"
CB_CLEAN = "del:clean"
# deleteMessages takes at most this many ids at a time.
DELETE_BATCH = 100


def _buttons(go_label: str, go_data: str, keep_label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(go_label, callback_data=go_data)],
            [InlineKeyboardButton(keep_label, callback_data=CB_KEEP)],
        ]
    )


async def erase_everything(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> None:
    """Every row about the person, then every trace of them in the bot's memory."""
    application = context.application
    # Flows first, so their final "ended" state is not written back after the rows are gone.
    end_all_flows(application, chat_id, user_id)
    await services(context).repo.delete_person(chat_id)
    if isinstance(application.persistence, ConversationStorePersistence):
        application.persistence.forget_chat(chat_id)
    if context.user_data is not None:
        context.user_data.clear()
    if context.chat_data is not None:
        context.chat_data.clear()
    application.drop_user_data(user_id)
    application.drop_chat_data(chat_id)
    if application.job_queue is not None:
        for job in application.job_queue.jobs():
            if job.chat_id == chat_id or job.user_id == user_id:
                job.schedule_removal()
    services(context).flood_windows.pop(chat_id, None)
    # Kept again on the new record from their next message (handlers/person_locale.py).
    services(context).locales_kept.pop(chat_id, None)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Say plainly what would be erased; offer to go on or to keep everything."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    message = update.effective_message
    assert message is not None
    if await svc.repo.get_person(chat_id) is None and await svc.repo.count_entries(chat_id) == 0:
        # Nothing stored; anything held in memory goes anyway.
        await erase_everything(context, chat_id, update.effective_user.id)  # type: ignore[union-attr]
        await message.reply_text(svc.ui("delete.nothing"))
        return END
    await message.reply_text(
        svc.ui("delete.ask"),
        reply_markup=_buttons(svc.ui("delete.yes_button"), CB_YES, svc.ui("delete.keep_button")),
    )
    return ASKED


async def ask_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The second chance to back out."""
    svc = services(context)
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(
        svc.ui("delete.sure"),
        reply_markup=_buttons(
            svc.ui("delete.erase_button"), CB_ERASE, svc.ui("delete.keep_button")
        ),
    )
    return SURE


async def erase(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Erase everything, then confirm in one line."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    await erase_everything(context, chat_id, update.effective_user.id)  # type: ignore[union-attr]
    log.info("person erased")
    svc = services(context)
    clean = InlineKeyboardButton(svc.ui("delete.clean_button"), callback_data=CB_CLEAN)
    await query.edit_message_text(
        svc.ui("delete.done"), reply_markup=InlineKeyboardMarkup([[clean]])
    )
    return END


async def remove_recent_messages(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After erasing: delete Kindling's own messages of the last two days (the exported files
    and the /share PDF among them), all but this one, which says how to clear the rest."""
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    chat_id = query.message.chat.id
    bot = context.bot
    ids = bot.recently_sent(chat_id) if isinstance(bot, KindlingBot) else []
    ids = [message_id for message_id in ids if message_id != query.message.message_id]
    for start in range(0, len(ids), DELETE_BATCH):
        try:
            await bot.delete_messages(chat_id, ids[start : start + DELETE_BATCH])
        except TelegramError as exc:
            # Whatever Telegram would not delete stays; the message below says how to clear it.
            log.info("recent messages not all removed: %s", exc.message)
    if isinstance(bot, KindlingBot):
        bot.forget_sent(chat_id)
    await query.edit_message_text(services(context).ui("delete.cleaned"))


async def keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Nothing is erased; say so."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(services(context).ui("delete.kept"))
    return END


def register(application: Application) -> None:  # type: ignore[type-arg]
    keep_button = CallbackQueryHandler(keep, pattern=rf"^{CB_KEEP}\Z")
    flow = Flow(
        name="delete",
        entry_points=[CommandHandler("delete", ask)],
        states={
            ASKED: [CallbackQueryHandler(ask_again, pattern=rf"^{CB_YES}\Z"), keep_button],
            SURE: [CallbackQueryHandler(erase, pattern=rf"^{CB_ERASE}\Z"), keep_button],
        },
    )
    application.add_handler(flow, group=HandlerGroup.DELETE)
    # After the flow has ended (the tap comes once everything is erased): same group, next in line.
    application.add_handler(
        CallbackQueryHandler(remove_recent_messages, pattern=rf"^{CB_CLEAN}\Z"),
        group=HandlerGroup.DELETE,
    )

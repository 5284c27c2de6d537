"""Handlers that frame every conversation: the private-chat gate, /help, /cancel outside a flow,
the catch-alls for anything no flow took, and the error handler."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services import services
from handlers.groups import HandlerGroup
from handlers.tender import is_tender
from storage.errors import DatabaseGoneError

log = logging.getLogger(__name__)

# Most people never need to be told twice; this bounds the memory a flood of groups could take.
MAX_GROUPS_REMEMBERED = 10_000


async def private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Outside private chats, say once that Kindling works only in private, store nothing.

    What cannot come from a person in a private chat ends here too, before any handler looks
    for the chat or the person: a press on a message sent in inline mode (it has no chat, and
    Kindling sends none, so it is answered as an expired button) and a message without a sender.
    """
    chat = update.effective_chat
    if chat is None:
        await answer_without_a_chat(update, context)
        raise ApplicationHandlerStop
    if chat.type == ChatType.PRIVATE:
        if update.effective_user is None:
            log.info("update ignored reason=no_sender update_id=%s", update.update_id)
            raise ApplicationHandlerStop
        return
    told = services(context).groups_told
    message = update.effective_message
    if chat.type != ChatType.CHANNEL and message is not None and chat.id not in told:
        if len(told) >= MAX_GROUPS_REMEMBERED:
            told.clear()
        told.add(chat.id)
        await message.reply_text(services(context).ui("common.private_only"))
    raise ApplicationHandlerStop


async def answer_without_a_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An update with no chat to answer in: a press gets its spinner stopped, nothing else."""
    log.info("update ignored reason=no_chat update_id=%s", update.update_id)
    if update.callback_query is not None:
        with contextlib.suppress(BadRequest):
            await update.callback_query.answer(services(context).ui("common.expired_button_toast"))


async def dataless_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press carrying no data at all: Telegram's buttons always carry some, and
    python-telegram-bot would let such a press match every button handler, so it stops here,
    answered like an expired button."""
    query = update.callback_query
    if query is None or query.data:
        return
    with contextlib.suppress(BadRequest):
        await query.answer(services(context).ui("common.expired_button_toast"))
    raise ApplicationHandlerStop


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every command in one short message, and the honest line about what Kindling is not."""
    svc = services(context)
    person = await svc.repo.get_person(update.effective_chat.id)  # type: ignore[union-attr]
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        svc.ui("help.text", help_line=help_line(context, person.country if person else None)),
        disable_web_page_preview=True,
    )


def help_line(context: ContextTypes.DEFAULT_TYPE, country: str | None) -> str:
    """One line of crisis help for the person's country, from the content library."""
    resources = services(context).library.help_for(country)
    parts = [f"{line.name}, {line.contact}" for line in resources.lines[:1]]
    parts.append(f"emergency {resources.emergency}")
    return "; ".join(parts) + "."


async def nothing_to_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel when no flow is running."""
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        services(context).ui("common.nothing_to_cancel")
    )


def known_commands(application: Application) -> set[str]:  # type: ignore[type-arg]
    """Every command some handler answers, including the commands that start flows."""
    known: set[str] = set()
    for handlers in application.handlers.values():
        for handler in handlers:
            candidates = (
                handler.entry_points if isinstance(handler, ConversationHandler) else [handler]
            )
            for candidate in candidates:
                if isinstance(candidate, CommandHandler):
                    known.update(candidate.commands)
    return known


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command nobody handles: point to /help. A known command reaching this group was
    already answered by its own handler (or deliberately ignored), so it gets no extra line."""
    message = update.effective_message
    assert message is not None and message.text is not None
    name = message.text.split()[0].removeprefix("/").split("@")[0].casefold()
    if name in known_commands(context.application):
        return
    await message.reply_text(services(context).ui("common.unknown_command"))


async def stray_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message outside any flow: a gentle pointer, never silence. In the day after a crisis
    or a check (``handlers.tender``) it leads with /pause and says nothing of moments that
    went well."""
    svc = services(context)
    chat = update.effective_chat
    tender = chat is not None and await is_tender(svc, chat.id)
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        svc.ui("common.stray_message_tender" if tender else "common.stray_message")
    )


async def expired_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no flow is waiting for (old, pressed twice, or forged): answer, change nothing."""
    # The same press delivered twice was answered the first time, and Telegram refuses a second
    # answer: then there is nothing left to say, and no reason to apologise either.
    with contextlib.suppress(BadRequest):
        await update.callback_query.answer(  # type: ignore[union-attr]
            services(context).ui("common.expired_button_toast")
        )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what broke (type and update id only, never text) and apologise instead of silence."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    # A database gone from under the bot was told once, loudly, with what to do (storage);
    # each update it fails since needs no traceback of its own.
    gone = isinstance(error, DatabaseGoneError)
    log.error(
        "error type=%s update_id=%s",
        type(error).__name__,
        update_id,
        exc_info=(type(error), error, error.__traceback__) if error and not gone else None,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.effective_chat.type != ChatType.PRIVATE:
            raise ApplicationHandlerStop
        if update.callback_query is not None:
            # Most steps answer the press before doing their work, so the error often comes
            # after it was answered; answering again is then refused, and that must not cost
            # the person the apology.
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        try:
            apology = "common.error_not_kept" if gone else "common.error_apology"
            await context.bot.send_message(update.effective_chat.id, services(context).ui(apology))
        except Exception as exc:  # the apology itself failing must not loop back here
            log.warning("apology not sent type=%s", type(exc).__name__)
    if isinstance(update, Update):
        # One answer per update: python-telegram-bot would otherwise carry on with the groups
        # after the one that failed, and a catch-all would answer too ("expired button", the
        # stray-message pointer), or a later group keep the same text a second way.
        raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(TypeHandler(Update, private_only), group=HandlerGroup.GATE)
    application.add_handler(
        TypeHandler(Update, dataless_button), group=HandlerGroup.DATALESS_BUTTON
    )
    application.add_handlers(
        [
            CommandHandler("help", help_command),
            CommandHandler("cancel", nothing_to_cancel),
        ],
        group=HandlerGroup.COMMANDS,
    )
    application.add_handlers(
        [
            MessageHandler(filters.COMMAND, unknown_command),
            CallbackQueryHandler(expired_button),
            MessageHandler(filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED, stray_message),
        ],
        group=HandlerGroup.CATCH_ALL,
    )
    application.add_error_handler(on_error)

"""The shape every multi-step conversation shares.

Each flow lives in its own handler group. Any other command in the middle of a flow ends it
quietly so that the command can do what was asked in its own group (nobody is trapped);
everything else a flow handles stops there, so the catch-all replies never fire on top of it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.services import services

# An unfinished flow is forgotten after this long, without another word to the person.
IDLE_TIMEOUT_SECONDS = 30 * 60

END = ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Leave the flow and say so in one line."""
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    if update.effective_message:
        await update.effective_message.reply_text(services(context).ui("common.cancelled"))
    return END


async def leave_for_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Another command arrived: end this flow silently and let that command run."""
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    return END


class Flow(ConversationHandler[ContextTypes.DEFAULT_TYPE]):
    def __init__(
        self,
        *,
        name: str,
        entry_points: Sequence[BaseHandler[Update, Any, Any]],
        states: dict[object, Sequence[BaseHandler[Update, Any, Any]]],
        fallbacks: Sequence[BaseHandler[Update, Any, Any]] = (),
        timeout: float | None = IDLE_TIMEOUT_SECONDS,
    ) -> None:
        self._leave_handler = MessageHandler(filters.COMMAND, leave_for_command)
        with warnings.catch_warnings():
            # Buttons are tracked per chat on purpose (per_message=False): a flow mixes typed
            # answers and buttons, and stale buttons are answered by the catch-all instead.
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            super().__init__(
                entry_points=list(entry_points),
                states={state: list(handlers) for state, handlers in states.items()},
                fallbacks=[*fallbacks, CommandHandler("cancel", cancel), self._leave_handler],
                name=name,
                persistent=True,
                allow_reentry=True,
                conversation_timeout=timeout,
            )

    def active_state(self, chat_id: int, user_id: int) -> object | None:
        """The state this flow is in for that person, or None when they are not in it."""
        return self._conversations.get((chat_id, user_id))

    def end_for(self, chat_id: int, user_id: int) -> bool:
        """End this flow for one person from outside it (a crisis message, /delete).

        Goes through the conversation's tracking dict so persistence records the end too.
        """
        key = (chat_id, user_id)
        if key not in self._conversations:
            return False
        self._update_state(END, key)
        return True

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Application[Any, Any, Any, Any, Any, Any],
        check_result: Any,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> object:
        if check_result[2] in self.entry_points and isinstance(update, Update):
            # A command handled in an earlier group stops the update before a later flow sees
            # it, so a flow that starts ends the others here; otherwise one left behind would
            # wake up later and take a message meant for something else.
            chat, user = update.effective_chat, update.effective_user
            if chat is not None and user is not None:
                for other in flows(application):
                    if other is not self:
                        other.end_for(chat.id, user.id)
        result = await super().handle_update(update, application, check_result, context)
        if check_result[2] is not self._leave_handler:
            raise ApplicationHandlerStop
        return result


def flows(application: Application[Any, Any, Any, Any, Any, Any]) -> list[Flow]:
    """Every registered flow, in handler-group order."""
    return [
        handler
        for group in sorted(application.handlers)
        for handler in application.handlers[group]
        if isinstance(handler, Flow)
    ]


def end_all_flows(
    application: Application[Any, Any, Any, Any, Any, Any], chat_id: int, user_id: int
) -> list[str]:
    """End every flow the person is in; returns the names of the flows that were ended."""
    return [flow.name for flow in flows(application) if flow.end_for(chat_id, user_id)]  # type: ignore[misc]

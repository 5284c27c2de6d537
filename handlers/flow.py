"""The shape every multi-step conversation shares.

Each flow lives in its own handler group. Any other command in the middle of a flow ends it
quietly so that the command can do what was asked in its own group (nobody is trapped);
everything else a flow handles stops there, so the catch-all replies never fire on top of it.

Words a person typed never vanish without a word: when a flow ends early (``/cancel``, or another
command) with their words still in its draft, they are set aside and the person is told, with one
button that keeps them (``keep_set_aside``) and the plain fact that otherwise they are let go.

A flow left unfinished is forgotten after ``IDLE_TIMEOUT_SECONDS``, without another word. This
is checked when the person next writes (``forget_idle_flows``, before any flow reads the update)
against the time of their last step, kept in their persisted data, rather than with
ConversationHandler's ``conversation_timeout``: that one schedules and cancels a job on every
step (a measurable share of the bot's work per update), runs on the wall clock instead of the
services' clock, and is lost on a restart, leaving a flow open for good.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.services import Services, services
from handlers.entry_text import text_after_command, visible_text
from handlers.groups import HandlerGroup

# An unfinished flow is forgotten after this long, without another word to the person.
IDLE_TIMEOUT_SECONDS = 30 * 60
# In a person's user_data: when they last took a step in each flow they are in (POSIX seconds).
FLOW_SEEN_KEY = "flow_seen"

# In a person's user_data: the draft of a flow that ended before its words were kept, and the
# message whose button keeps them. Only the newest is offered: one waiting choice, not a pile.
SET_ASIDE_KEY = "set_aside"
# Words set aside and not kept are let go after this long (checked when the person next writes),
# so "otherwise it's let go" holds, and nobody's words linger in the bot's own data.
SET_ASIDE_SECONDS = 24 * 60 * 60
CB_KEEP_SET_ASIDE = "flow:keep"

END = ConversationHandler.END

# Stores what a flow's draft holds so far as an entry: (services, chat id, draft).
KeepWords = Callable[[Services, int, dict[str, Any]], Awaitable[None]]


class Flow(ConversationHandler[ContextTypes.DEFAULT_TYPE]):
    def __init__(
        self,
        *,
        name: str,
        entry_points: Sequence[BaseHandler[Update, Any, Any]],
        states: dict[object, Sequence[BaseHandler[Update, Any, Any]]],
        fallbacks: Sequence[BaseHandler[Update, Any, Any]] = (),
        timeout: float | None = IDLE_TIMEOUT_SECONDS,
        keep_words: KeepWords | None = None,
    ) -> None:
        """``keep_words`` saves a draft the flow left unfinished, when the person asks for it;
        a flow with it offers that whenever it ends early with their words in its draft (a
        ``text`` field)."""
        self._leave_handler = MessageHandler(filters.COMMAND, self.leave_for_command)
        with warnings.catch_warnings():
            # Buttons are tracked per chat on purpose (per_message=False): a flow mixes typed
            # answers and buttons, and stale buttons are answered by the catch-all instead.
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            super().__init__(
                entry_points=list(entry_points),
                states={state: list(handlers) for state, handlers in states.items()},
                fallbacks=[
                    *fallbacks,
                    CommandHandler("cancel", self.cancel),
                    self._leave_handler,
                ],
                name=name,
                persistent=True,
                allow_reentry=True,
            )
        self.idle_timeout = timeout
        self.keep_words = keep_words

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Leave the flow and say so in one line (with the offer to keep what was written)."""
        message = update.effective_message
        if message is not None:
            svc = services(context)
            if self._words_left(context):
                await self._offer_to_keep(update, context, svc.ui("common.cancelled_with_words"))
            else:
                await message.reply_text(svc.ui("common.cancelled"))
        context.user_data.pop("draft", None)  # type: ignore[union-attr]
        return END

    async def leave_for_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Another command arrived: end this flow and let that command run. Quietly, unless the
        person's words were in the draft: then they hear that those were not kept, and can."""
        if self._words_left(context):
            text = services(context).ui("common.left_with_words", command=f"/{self.name}")
            await self._offer_to_keep(update, context, text)
        context.user_data.pop("draft", None)  # type: ignore[union-attr]
        return END

    def _started_over_with_other_words(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
    ) -> bool:
        """Whether this flow, with words in its draft, is being started again half-way. The
        same command with the same words (Telegram delivering an update twice) loses nothing."""
        if self.active_state(chat_id, user_id) is None or not self._words_left(context):
            return False
        message = update.effective_message
        again = visible_text(text_after_command(message.text if message else None))
        return again != context.user_data["draft"]["text"]  # type: ignore[index]

    async def set_aside_words(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """This flow was ended by something that is not a command (a button that starts
        another flow): its words, if any, are set aside with the one button that keeps them,
        as when a command ends it."""
        if self._words_left(context):
            text = services(context).ui("common.left_with_words", command=f"/{self.name}")
            await self._offer_to_keep(update, context, text)

    def _words_left(self, context: ContextTypes.DEFAULT_TYPE) -> bool:
        draft = (context.user_data or {}).get("draft")
        return (
            self.keep_words is not None
            and isinstance(draft, dict)
            and draft.get("flow") == self.name
            and bool(draft.get("text"))
        )

    async def _offer_to_keep(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str
    ) -> None:
        """Set the draft aside and say so, with the one button that keeps it."""
        chat = update.effective_chat
        assert chat is not None and context.user_data is not None
        set_aside_at = services(context).clock.now().timestamp()  # before any await
        button = InlineKeyboardButton(
            services(context).ui("common.keep_words_button"), callback_data=CB_KEEP_SET_ASIDE
        )
        sent = await context.bot.send_message(
            chat.id, text, reply_markup=InlineKeyboardMarkup([[button]])
        )
        context.user_data[SET_ASIDE_KEY] = {
            "draft": context.user_data["draft"],
            "message_id": sent.message_id,
            "at": set_aside_at,
        }

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
                if self._started_over_with_other_words(update, context, chat.id, user.id):
                    # The new run replaces the draft, so the words of the first run are offered
                    # like those of any flow left early.
                    text = services(context).ui("common.left_with_words", command=f"/{self.name}")
                    await self._offer_to_keep(update, context, text)
        # The step's time is when it arrived, not when its replies were done.
        arrived = services(context).clock.now().timestamp()
        result = await super().handle_update(update, application, check_result, context)
        self._note_step(update, context, arrived)
        if check_result[2] is not self._leave_handler:
            raise ApplicationHandlerStop
        return result

    def _note_step(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, arrived: float
    ) -> None:
        """Remember when the person last took a step here, or forget it once the flow ended."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or context.user_data is None:
            return
        if self.active_state(chat.id, user.id) is not None:
            context.user_data.setdefault(FLOW_SEEN_KEY, {})[self.name] = arrived
        else:
            _forget_step(context.user_data, self.name)


def _forget_step(user_data: dict[str, Any], flow_name: str) -> None:
    """Forget when the person last stepped in a flow that ended, leaving nothing behind (after
    /delete, not even an empty key)."""
    seen = user_data.get(FLOW_SEEN_KEY)
    if seen is not None:
        seen.pop(flow_name, None)
        if not seen:
            del user_data[FLOW_SEEN_KEY]


async def forget_idle_flows(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """End, quietly, each flow this person left unfinished for longer than its idle timeout,
    dropping its draft; the update then goes on as if the flow had never been open."""
    user_data = context.user_data
    chat, user = update.effective_chat, update.effective_user
    now = services(context).clock.now().timestamp()
    aside = user_data.get(SET_ASIDE_KEY) if user_data else None
    if isinstance(aside, dict) and now - aside.get("at", 0) > SET_ASIDE_SECONDS:
        user_data.pop(SET_ASIDE_KEY)  # type: ignore[union-attr]
    seen = user_data.get(FLOW_SEEN_KEY) if user_data else None
    if not seen or chat is None or user is None:
        return
    for flow in flows(context.application):
        last_step = seen.get(flow.name)
        if last_step is None or flow.idle_timeout is None:
            continue
        if now - last_step > flow.idle_timeout:
            flow.end_for(chat.id, user.id)
            _forget_step(user_data, flow.name)  # type: ignore[arg-type]
            draft = user_data.get("draft")  # type: ignore[union-attr]
            if isinstance(draft, dict) and draft.get("flow") == flow.name:
                user_data.pop("draft")  # type: ignore[union-attr]


async def keep_set_aside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one tap that keeps what a person wrote in a flow that ended early."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    svc = services(context)
    aside = (context.user_data or {}).get(SET_ASIDE_KEY)
    message_id = query.message.message_id if query.message is not None else None
    if not isinstance(aside, dict) or aside.get("message_id") != message_id:
        # Kept already, or set aside again since (only the newest waits): nothing to keep here.
        await query.answer(svc.ui("common.expired_button_toast"))
        return
    draft = aside["draft"]
    flow = next((f for f in flows(context.application) if f.name == draft.get("flow")), None)
    if flow is None or flow.keep_words is None:
        await query.answer(svc.ui("common.expired_button_toast"))
        return
    await query.answer()
    await flow.keep_words(svc, chat.id, draft)
    context.user_data.pop(SET_ASIDE_KEY, None)  # type: ignore[union-attr]
    await query.edit_message_text(svc.ui("common.words_kept"))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    # Before the crisis check and every flow, after the private-chat and flood gates.
    application.add_handler(TypeHandler(Update, forget_idle_flows), group=HandlerGroup.FORGET_IDLE)
    application.add_handler(
        # With the plain commands: after every flow, so a tap on it is never a flow's step.
        CallbackQueryHandler(keep_set_aside, pattern=rf"^{CB_KEEP_SET_ASIDE}\Z"),
        group=HandlerGroup.COMMANDS,
    )


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

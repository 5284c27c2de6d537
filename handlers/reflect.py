"""/reflect: a look back at time spent with someone, in three taps and an optional note.

    /reflect ──> "did you feel heard?" (yes / partly / not really) ──> HEARD
    HEARD ──(tap)──> "did your replies show real interest?" ──> INTEREST
    INTEREST ──(tap)──> "did you handle stress without shutting down?" ──> STEADY
    STEADY ──(tap)──> "anything to add?" (a few words, or skip) ──> NOTE
    NOTE ──(text or skip)──> saved as a `social` entry; done

Each tap writes its answer under the question and asks the next one in the same message (see
``entry_text.answer_in_place``), so the three questions and their answers stay on screen.

The entry's tags hold each answer and one overall word the weekly recap reads:
``["heard:yes", "interest:partly", "steady:no", "connected"]``. The overall word follows a
simple, documented rule (see ``overall``): each "yes" counts 2, "partly" 1, "not really" 0, and
the time is ``connected`` when the answers add up to at least 4 of 6 ("mostly yes", a "partly"
counting as half a yes), otherwise ``out_of_sync``. The person never sees a number.
After a crisis, until the person's next local day, the closing line is plain thanks whatever
the answers were (handlers/tender.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
)

from bot.content.ui import UiTexts
from bot.services import services
from bot.update_keys import current_update_key
from handlers.entry_text import (
    ANY_MESSAGE,
    NOT_WORDS,
    WORDS,
    answer_in_place,
    ask_for_words,
    close_keyboards,
    drop_draft,
    from_live_message,
    get_draft,
    lost_track,
    read_entry_text,
    refuse_button,
    send_with_buttons,
    start_draft,
)
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.therapy import mark_button
from storage.models import EntryKind, NewEntry

FLOW = "reflect"
HEARD, INTEREST, STEADY, NOTE = range(4)

ANSWERS = ("yes", "partly", "no")
POINTS = {"yes": 2, "partly": 1, "no": 0}
CONNECTED_AT_LEAST = 4
CONNECTED = "connected"
OUT_OF_SYNC = "out_of_sync"

# Each question: its state, the tag/callback name, and the ui key that asks it.
QUESTIONS = (
    (HEARD, "heard", "reflect.ask_heard"),
    (INTEREST, "interest", "reflect.ask_interest"),
    (STEADY, "steady", "reflect.ask_steady"),
)
CB_PREFIX = "ref:"
CB_NOTE_SKIP = "ref:note:skip"


def overall(answers: Mapping[str, str]) -> str:
    """``connected`` when the answers are mostly yes (at least 4 points of 6), else out of sync."""
    points = sum(POINTS[answers[name]] for _, name, _ in QUESTIONS)
    return CONNECTED if points >= CONNECTED_AT_LEAST else OUT_OF_SYNC


ANSWER_LABELS = {
    "yes": "reflect.yes_button",
    "partly": "reflect.partly_button",
    "no": "reflect.no_button",
}


def answer_keyboard(name: str, ui: UiTexts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ui(ANSWER_LABELS[answer]), callback_data=f"{CB_PREFIX}{name}:{answer}"
                )
                for answer in ANSWERS
            ]
        ]
    )


async def ask(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    draft: dict[str, Any],
    index: int,
    *,
    again: bool = False,
) -> int:
    """Ask question number ``index`` (or, ``again``, re-offer its buttons); return its state."""
    svc = services(context)
    state, name, key = QUESTIONS[index]
    text = svc.ui("reflect.buttons_only" if again else key)
    await send_with_buttons(
        context, chat_id, draft, text, answer_keyboard(name, svc.ui), again=again
    )
    return state


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Say what is coming, then ask the first question."""
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    draft = start_draft(context, FLOW, answers={})
    await context.bot.send_message(chat_id, services(context).ui("reflect.intro"))
    return await ask(context, chat_id, draft, 0)


def current_question(draft: dict[str, Any]) -> int:
    """The index of the first question not answered yet."""
    answers = draft.get("answers", {})
    return next((i for i, (_, n, _) in enumerate(QUESTIONS) if n not in answers), len(QUESTIONS))


async def receive_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """One tapped answer; then the next question, or the note."""
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = get_draft(context, FLOW)
    if draft is None or not isinstance(draft.get("answers"), dict):
        await query.answer()
        await lost_track(update, context, "/reflect")
        return END
    name, answer = query.data.removeprefix(CB_PREFIX).split(":")
    index = current_question(draft)
    asked = QUESTIONS[index][1] if index < len(QUESTIONS) else None
    if not from_live_message(draft, query) or name != asked:
        await refuse_button(query, context)
        return QUESTIONS[min(index, len(QUESTIONS) - 1)][0]
    await query.answer()
    svc = services(context)
    if index + 1 < len(QUESTIONS):
        state, next_name, next_key = QUESTIONS[index + 1]
        then, keyboard = svc.ui(next_key), answer_keyboard(next_name, svc.ui)
    else:
        state, then = NOTE, svc.ui("reflect.ask_note")
        skip = InlineKeyboardButton(svc.ui("practice.skip_button"), callback_data=CB_NOTE_SKIP)
        keyboard = InlineKeyboardMarkup([[skip]])
    await answer_in_place(
        query,
        context,
        draft,
        asked=svc.ui(QUESTIONS[index][2]),
        chosen=svc.ui(ANSWER_LABELS[answer]),
        then=then,
        keyboard=keyboard,
    )
    # Kept only once the next question is on screen: should Telegram fail us first, the flow
    # stays at this question and its buttons, still showing, keep working.
    draft["answers"][name] = answer
    return state


async def not_tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Words or a sticker where a tap was asked for: the same question, its buttons again."""
    draft = get_draft(context, FLOW)
    if draft is None:
        await lost_track(update, context, "/reflect")
        return END
    index = min(current_question(draft), len(QUESTIONS) - 1)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    return await ask(context, chat_id, draft, index, again=True)


async def receive_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A few words about it: save the reflection."""
    note = await read_entry_text(update, context)
    draft = get_draft(context, FLOW)
    if draft is not None:
        # Answered in words: the skip button above has nothing left to skip.
        await close_keyboards(context, update.effective_chat.id, draft)  # type: ignore[union-attr]
    saved = await save(update, context, note)
    if saved is not None:
        closing, keyboard = saved
        await context.bot.send_message(
            update.effective_chat.id,  # type: ignore[union-attr]
            closing,
            reply_markup=keyboard,
        )
    return END


async def skip_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """No note: save the reflection as it is."""
    query = update.callback_query
    assert query is not None
    draft = get_draft(context, FLOW)
    if draft is not None and not from_live_message(draft, query):
        await refuse_button(query, context)
        return NOTE
    await query.answer()
    saved = await save(update, context, None)
    if saved is not None and draft is not None:
        svc = services(context)
        closing, keyboard = saved
        await answer_in_place(
            query,
            context,
            draft,
            asked=svc.ui("reflect.ask_note"),
            chosen=svc.ui("practice.skip_button"),
            then=closing,
            keyboard=keyboard,
        )
    return END


async def note_not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker or photo where a few words (or skip) were asked for."""
    await ask_for_words(update, context)
    return NOTE


async def save(
    update: Update, context: ContextTypes.DEFAULT_TYPE, note: str | None
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """Store the `social` entry; return the closing line that fits it, never a score, with
    the button that marks it to talk about in therapy (None: the answers were lost, and the
    person has been told so)."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    draft = get_draft(context, FLOW)
    answers = draft.get("answers") if draft else None
    if not isinstance(answers, dict) or any(
        answers.get(name) not in POINTS for _, name, _ in QUESTIONS
    ):
        await lost_track(update, context, "/reflect")
        return None
    together = overall(answers)
    now = svc.clock.now()
    person = await svc.repo.ensure_person(chat_id, now)
    entry = await svc.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.SOCIAL,
            update_key=current_update_key(EntryKind.SOCIAL),
            created_at=now,
            text=note,
            tags=[*(f"{name}:{answers[name]}" for _, name, _ in QUESTIONS), together],
        )
    )
    drop_draft(context)
    if person.is_tender(now):
        # Neither "real connection there" nor a reframe of "out of step": just thanks.
        return svc.ui("reflect.saved_tender"), None
    keyboard = InlineKeyboardMarkup([[mark_button(svc, entry.id)]])
    return svc.ui(f"reflect.saved_{together}"), keyboard


def register(application: Application) -> None:  # type: ignore[type-arg]
    choices = "|".join(ANSWERS)
    flow = Flow(
        name=FLOW,
        entry_points=[CommandHandler("reflect", start)],
        states={
            **{
                # Each question accepts only its own buttons, so an older question's buttons
                # (pressed again) fall through to "expired" instead of changing an answer.
                state: [
                    CallbackQueryHandler(
                        receive_answer, pattern=rf"^{CB_PREFIX}{name}:({choices})\Z"
                    ),
                    MessageHandler(ANY_MESSAGE, not_tapped),
                ]
                for state, name, _ in QUESTIONS
            },
            NOTE: [
                CallbackQueryHandler(skip_note, pattern=rf"^{CB_NOTE_SKIP}\Z"),
                MessageHandler(WORDS, receive_note),
                MessageHandler(NOT_WORDS, note_not_words),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.REFLECT)

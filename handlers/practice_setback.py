"""/setback: a hard moment with someone, met with kindness instead of a verdict.

    /setback ──> "what happened?" ──> TEXT          (/setback <words> takes them as the answer)
    TEXT ──(text)──> "how did it leave you feeling?" (one button per feeling) ──> FEELING
    FEELING ──(a feeling)──> a self-compassion break as three short messages (noticing, common
            humanity, kindness), then "what would you say to a friend?" (or skip) ──> FRIEND
    FRIEND ──(text or skip)──> a few small things to try next time (tap, type, or skip) ──> NEXT
    NEXT ──(a choice, own words, or skip)──> saved as a `setback` entry; done, with one button
            under the closing words when the friend question was answered: "Keep these words for
            a harder day" (handlers/notes.py); then, when one is due, a note the person wrote to
            themselves before, given back (bot/kept_notes.py), and for someone who turned them
            on, a sentence someone else on the path offered (bot/notes_from_others.py)

    after a crisis, until the person's next local day (handlers/tender.py):
    FEELING ──(a feeling)──> saved as it is, with plain thanks and /pause; done

The entry keeps the person's words, the feeling as its tag, and in ``extra`` what they would
say to a friend and what they might try next time (None when skipped). After saving, the
person's next daily prompt is marked to be a gentle one. There is never a score here, and
nothing that reads as failing. After a crisis there is no reframe and no "next time" either:
a self-compassion break then would ask more of the person than the moment can hold.
"""

from __future__ import annotations

import html
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
)

from bot.content.library import Library
from bot.formatting import escape
from bot.kept_notes import give_back
from bot.notes_from_others import note_from_others
from bot.services import Services, services
from bot.shared_counts import count_line
from bot.update_keys import current_update_key
from handlers.entry_text import (
    ANY_MESSAGE,
    NOT_WORDS,
    WORDS,
    answer_in_place,
    ask_for_words,
    close_keyboards,
    drop_draft,
    fit_words,
    from_live_message,
    get_draft,
    lost_track,
    open_with_text,
    read_entry_text,
    refuse_button,
    send_with_buttons,
    start_draft,
)
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.notes import keep_button
from handlers.tender import is_tender
from handlers.therapy import mark_button
from storage.models import Entry, EntryKind, NewEntry

FLOW = "setback"
TEXT, FEELING, FRIEND, NEXT = range(4)

CB_FEELING = "set:feel:"
CB_FRIEND_SKIP = "set:friend:skip"
CB_NEXT = "set:next:"
SKIP = "skip"
# A hard moment asks for one small choice, not a menu: this many ideas are offered at once.
NEXT_STEPS_OFFERED = 3
# A note given back on its own message is quoted whole, so only one that fits one is chosen.
NOTE_ALONE_MAX_CHARS = 4000


def feeling_keyboard(library: Library) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(f.label, callback_data=f"{CB_FEELING}{f.id}") for f in library.feelings
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def next_keyboard(offered: list[int], skip_label: str) -> InlineKeyboardMarkup:
    numbers = [
        InlineKeyboardButton(str(number), callback_data=f"{CB_NEXT}{index}")
        for number, index in enumerate(offered, start=1)
    ]
    return InlineKeyboardMarkup(
        [numbers, [InlineKeyboardButton(skip_label, callback_data=f"{CB_NEXT}{SKIP}")]]
    )


def plain(content_html: str) -> str:
    """A content-library line as plain text, for storing next to the person's own words."""
    return html.unescape(content_html)


async def ask_feeling(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any], *, again: bool
) -> int:
    """How it felt (``again``: the same buttons, after something that was not a tap)."""
    svc = services(context)
    await send_with_buttons(
        context,
        update.effective_chat.id,  # type: ignore[union-attr]
        draft,
        svc.ui("setback.feeling_buttons_only" if again else "setback.ask_feeling"),
        feeling_keyboard(svc.library),
        again=again,
    )
    return FEELING


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask what happened, or take the words after /setback as the answer."""
    first_answer = await open_with_text(update, context, FLOW, "setback.ask_text")
    return TEXT if first_answer is None else await got_text(update, context, first_answer)


async def receive_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """What happened, in the person's words."""
    return await got_text(update, context, await read_entry_text(update, context))


async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> int:
    draft = get_draft(context, FLOW) or start_draft(context, FLOW)
    draft["text"] = text
    return await ask_feeling(update, context, draft, again=False)


async def text_not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker, photo or voice note where words were asked for."""
    await ask_for_words(update, context)
    return TEXT


async def receive_feeling(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The feeling: a self-compassion break in three short messages, then the friend question."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    draft = get_draft(context, FLOW)
    if draft is None or "text" not in draft:
        await query.answer()
        await lost_track(update, context, "/setback")
        return END
    feeling = query.data.removeprefix(CB_FEELING)
    if feeling not in {f.id for f in svc.library.feelings} or not from_live_message(draft, query):
        await refuse_button(query, context)
        return FEELING
    await query.answer()
    draft["feeling"] = feeling
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    if await is_tender(svc, chat_id):
        return await keep_it_plainly(update, context, query, draft)
    await answer_in_place(
        query,
        context,
        draft,
        asked=svc.ui("setback.ask_feeling"),
        chosen=svc.library.feeling(feeling).label,
    )
    # Three separate short messages: easier to take in, one at a time, in a hard moment.
    for part in svc.library.reframe_for(feeling, svc.rng).parts:
        await context.bot.send_message(chat_id, part)
    skip = InlineKeyboardButton(svc.ui("practice.skip_button"), callback_data=CB_FRIEND_SKIP)
    await send_with_buttons(
        context, chat_id, draft, svc.ui("setback.ask_friend"), InlineKeyboardMarkup([[skip]])
    )
    return FRIEND


async def keep_it_plainly(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    draft: dict[str, Any],
) -> int:
    """After a crisis: keep the setback with its feeling, and close with plain thanks and
    /pause, in place of the self-compassion break and the questions after it."""
    svc = services(context)
    draft["friend"] = None
    if await save(update, context, draft, None) is not None:
        await answer_in_place(
            query,
            context,
            draft,
            asked=svc.ui("setback.ask_feeling"),
            chosen=svc.library.feeling(draft["feeling"]).label,
            then=svc.ui("setback.saved_tender"),
        )
    return END


async def feeling_not_tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Words or a sticker where a feeling button was asked for: offer the buttons again."""
    draft = get_draft(context, FLOW)
    if draft is None:
        await lost_track(update, context, "/setback")
        return END
    return await ask_feeling(update, context, draft, again=True)


async def receive_friend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """What they would say to a friend, in their words."""
    text = await read_entry_text(update, context)
    draft = get_draft(context, FLOW)
    if draft is not None:
        # Answered in words: the skip button above has nothing left to skip.
        await close_keyboards(context, update.effective_chat.id, draft)  # type: ignore[union-attr]
    return await got_friend(update, context, text)


async def skip_friend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The friend question, skipped."""
    query = update.callback_query
    assert query is not None
    draft = get_draft(context, FLOW)
    if draft is not None and not from_live_message(draft, query):
        await refuse_button(query, context)
        return FRIEND
    await query.answer()
    return await got_friend(update, context, None, query)


def next_question(svc: Services, offered: list[int]) -> str:
    """The few ideas offered for next time, numbered, as one question."""
    options = "\n".join(
        svc.ui("setback.next_option", number=number, text=svc.library.next_steps[index].text)
        for number, index in enumerate(offered, start=1)
    )
    return svc.ui("setback.ask_next", options=options)


async def got_friend(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    friend: str | None,
    skipped: CallbackQuery | None = None,
) -> int:
    """Offer a few ideas for next time: under the friend question when it was ``skipped``
    with its button, otherwise in a new message."""
    svc = services(context)
    draft = get_draft(context, FLOW)
    if draft is None or "feeling" not in draft:
        await lost_track(update, context, "/setback")
        return END
    draft["friend"] = friend
    count = min(NEXT_STEPS_OFFERED, len(svc.library.next_steps))
    offered = sorted(svc.rng.sample(range(len(svc.library.next_steps)), count))
    draft["offered"] = offered
    question = next_question(svc, offered)
    keyboard = next_keyboard(offered, svc.ui("practice.skip_button"))
    if skipped is not None:
        await answer_in_place(
            skipped,
            context,
            draft,
            asked=svc.ui("setback.ask_friend"),
            chosen=svc.ui("practice.skip_button"),
            then=question,
            keyboard=keyboard,
        )
    else:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        await send_with_buttons(context, chat_id, draft, question, keyboard)
    return NEXT


async def friend_not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker or photo where words (or skip) were asked for."""
    await ask_for_words(update, context)
    return FRIEND


async def receive_next_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """One of the offered ideas, or skip: save the setback."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    value = query.data.removeprefix(CB_NEXT)
    draft = get_draft(context, FLOW)
    if draft is None:
        await query.answer()
        await lost_track(update, context, "/setback")
        return END
    offered = draft.get("offered", [])
    steps = svc.library.next_steps
    chosen = None if value == SKIP else int(value)
    if not from_live_message(draft, query) or (
        chosen is not None and (chosen not in offered or chosen >= len(steps))
    ):
        # Only an idea this person was offered counts; anything else is forged or stale.
        await refuse_button(query, context)
        return NEXT
    await query.answer()
    next_time = None if chosen is None else plain(steps[chosen].text)
    entry = await save(update, context, draft, next_time)
    if entry is not None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        tender = await is_tender(svc, chat_id)
        await answer_in_place(
            query,
            context,
            draft,
            asked=next_question(svc, offered),
            chosen=svc.ui("practice.skip_button") if next_time is None else next_time,
            then=await closing_words(svc, chat_id, tender),
            keyboard=closing_keyboard(svc, entry, tender),
        )
        await give_a_note_back(update, context, tender)
    return END


async def receive_next_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Their own small thing to try next time: save the setback."""
    text = await read_entry_text(update, context)
    draft = get_draft(context, FLOW)
    if draft is not None:
        await close_keyboards(context, update.effective_chat.id, draft)  # type: ignore[union-attr]
    entry = await save(update, context, draft, text)
    if entry is not None:
        svc = services(context)
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        tender = await is_tender(svc, chat_id)
        after = await closing_words(svc, chat_id, tender)

        def echo(words: str) -> str:
            return f"{svc.ui('setback.next_chosen', text=escape(words))}\n\n{after}"

        await context.bot.send_message(
            chat_id, fit_words(echo, text), reply_markup=closing_keyboard(svc, entry, tender)
        )
        await give_a_note_back(update, context, tender)
    return END


async def next_not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker or photo where a choice or a few words were asked for."""
    await ask_for_words(update, context)
    return NEXT


def closing(svc: Services, tender: bool) -> str:
    """The words after a setback is kept: plain ones if a crisis came while it was written."""
    return svc.ui("setback.saved_tender" if tender else "setback.saved")


async def closing_words(svc: Services, chat_id: int, tender: bool) -> str:
    """The closing line and, when it may be said, how many others had a hard moment too."""
    words = closing(svc, tender)
    person = await svc.repo.get_person(chat_id)
    company = await count_line(svc, person, "counts.setback", EntryKind.SETBACK)
    return words if company is None else f"{words}\n\n{company}"


def closing_keyboard(svc: Services, entry: Entry, tender: bool) -> InlineKeyboardMarkup | None:
    """Under the closing words: one tap keeps the friend answer as a note to oneself, one
    marks the setback to talk about in therapy. Neither after a crisis or a check today: those
    words may be ones the crisis check answered, and the moment asks for nothing more."""
    if tender:
        return None
    rows = [[keep_button(svc, entry.id)]] if entry.extra.get("friend") else []
    rows.append([mark_button(svc, entry.id)])
    return InlineKeyboardMarkup(rows)


async def give_a_note_back(
    update: Update, context: ContextTypes.DEFAULT_TYPE, tender: bool
) -> None:
    """After a hard moment, words the person once wrote to themselves, when one is due; then,
    for someone who turned them on, a sentence someone else on the path offered, when one is
    due (bot/notes_from_others.py)."""
    if tender:
        return
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    note = await give_back(
        svc,
        chat_id,
        max_length=NOTE_ALONE_MAX_CHARS,
    )
    if note is not None:
        await context.bot.send_message(chat_id, note)
    from_others = await note_from_others(svc, chat_id)
    if from_others is not None:
        await context.bot.send_message(chat_id, from_others)


async def save(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    draft: dict[str, Any] | None,
    next_time: str | None,
) -> Entry | None:
    """Store the setback and ask for a gentle prompt next time; None when the answers were
    lost (the person has been told)."""
    svc = services(context)
    if draft is None or "feeling" not in draft or "friend" not in draft:
        await lost_track(update, context, "/setback")
        return None
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    now = svc.clock.now()
    await svc.repo.ensure_person(chat_id, now)
    entry = await svc.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.SETBACK,
            update_key=current_update_key(EntryKind.SETBACK),
            created_at=now,
            text=draft["text"],
            tags=[draft["feeling"]],
            extra={"friend": draft["friend"], "next_time": next_time},
        )
    )
    await svc.repo.update_person(chat_id, gentle_next=True)
    drop_draft(context)
    return entry


async def keep_unfinished(svc: Services, chat_id: int, draft: dict[str, Any]) -> None:
    """A setback left part-way, kept as far as it went (the person asked for it)."""
    now = svc.clock.now()
    await svc.repo.ensure_person(chat_id, now)
    feeling = draft.get("feeling")
    await svc.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.SETBACK,
            update_key=current_update_key(EntryKind.SETBACK),
            created_at=now,
            text=draft["text"],
            tags=[feeling] if feeling else [],
            extra={"friend": draft.get("friend"), "next_time": None},
        )
    )
    await svc.repo.update_person(chat_id, gentle_next=True)


def register(application: Application) -> None:  # type: ignore[type-arg]
    flow = Flow(
        name=FLOW,
        keep_words=keep_unfinished,
        entry_points=[CommandHandler("setback", start)],
        states={
            TEXT: [MessageHandler(WORDS, receive_text), MessageHandler(NOT_WORDS, text_not_words)],
            FEELING: [
                # Any well-formed id reaches the step, which accepts only the library's feelings.
                CallbackQueryHandler(receive_feeling, pattern=rf"^{CB_FEELING}[a-z0-9_]{{1,24}}\Z"),
                MessageHandler(ANY_MESSAGE, feeling_not_tapped),
            ],
            FRIEND: [
                CallbackQueryHandler(skip_friend, pattern=rf"^{CB_FRIEND_SKIP}\Z"),
                MessageHandler(WORDS, receive_friend),
                MessageHandler(NOT_WORDS, friend_not_words),
            ],
            NEXT: [
                CallbackQueryHandler(
                    receive_next_button, pattern=rf"^{CB_NEXT}([0-9]{{1,3}}|{SKIP})\Z"
                ),
                MessageHandler(WORDS, receive_next_text),
                MessageHandler(NOT_WORDS, next_not_words),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.SETBACK)

"""/win: keep a small moment that went well, in at most three steps.

    /win ──> "what happened?" ──> TEXT
    /win I waited before answering ──> (that line is the first answer) ──> KIND
    TEXT ──(a line of text)──> "which of these fits?" (one button per kind of win) ──> KIND
    KIND ──(a kind)──> "how connected did it feel?" (1 to 5, or skip) ──> RATING
    RATING ──(a number or skip)──> a line naming what the person did; saved as a `win` entry
            (after a crisis, until their next local day: plain thanks instead, handlers/tender.py),
            with one button under it, "Offer what helped to others" (handlers/offered.py)

Nothing is stored until the last tap: the answers wait in the person's draft (persisted, so a
restart in the middle continues where it was). Each tap turns the question's message into a
record of the answer followed by the next step, in one edit: the used buttons are gone, and
the flow has moved on by then, so pressing an old button twice cannot save twice.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
)

from bot.content.library import Library
from bot.notes_from_others import offering_open
from bot.services import Services, services
from bot.shared_counts import count_line
from bot.update_keys import current_update_key
from handlers.entry_text import (
    ANY_MESSAGE,
    NOT_WORDS,
    WORDS,
    answer_in_place,
    ask_for_words,
    drop_draft,
    from_live_message,
    get_draft,
    lost_track,
    open_with_text,
    read_entry_text,
    recently_said,
    refuse_button,
    remember_said,
    send_with_buttons,
    start_draft,
)
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.offered import offer_button
from storage.models import EntryKind, NewEntry

FLOW = "win"
TEXT, KIND, RATING = range(3)

CB_KIND = "win:kind:"
CB_RATE = "win:rate:"
SKIP = "skip"
RATINGS = ("1", "2", "3", "4", "5")


def kind_keyboard(library: Library) -> InlineKeyboardMarkup:
    """One kind of win per row: the labels are short sentences."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(kind.label, callback_data=f"{CB_KIND}{kind.id}")]
            for kind in library.win_kinds
        ]
    )


def rating_keyboard(skip_label: str) -> InlineKeyboardMarkup:
    numbers = [InlineKeyboardButton(n, callback_data=f"{CB_RATE}{n}") for n in RATINGS]
    return InlineKeyboardMarkup(
        [numbers, [InlineKeyboardButton(skip_label, callback_data=f"{CB_RATE}{SKIP}")]]
    )


async def ask_kind(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any], *, again: bool
) -> int:
    """Which kind of win (``again``: the same buttons, after something that was not a tap)."""
    svc = services(context)
    await send_with_buttons(
        context,
        update.effective_chat.id,  # type: ignore[union-attr]
        draft,
        svc.ui("win.kind_buttons_only" if again else "win.ask_kind"),
        kind_keyboard(svc.library),
        again=again,
    )
    return KIND


async def ask_rating(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any], *, again: bool
) -> int:
    """How connected it felt (``again``: the same buttons, after something that was not a tap)."""
    svc = services(context)
    await send_with_buttons(
        context,
        update.effective_chat.id,  # type: ignore[union-attr]
        draft,
        svc.ui("win.rating_buttons_only" if again else "win.ask_rating"),
        rating_keyboard(svc.ui("practice.skip_button")),
        again=again,
    )
    return RATING


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask what happened, or take the words after /win as the answer."""
    first_answer = await open_with_text(update, context, FLOW, "win.ask_text")
    return TEXT if first_answer is None else await got_text(update, context, first_answer)


async def receive_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """What happened, in the person's words."""
    return await got_text(update, context, await read_entry_text(update, context))


async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> int:
    draft = get_draft(context, FLOW) or start_draft(context, FLOW)
    draft["text"] = text
    return await ask_kind(update, context, draft, again=False)


async def text_not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker, photo or voice note where a line of text was asked for."""
    await ask_for_words(update, context)
    return TEXT


async def receive_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Which kind of win it was; then ask how connected it felt."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    draft = get_draft(context, FLOW)
    if draft is None or "text" not in draft:
        await query.answer()
        await lost_track(update, context, "/win")
        return END
    kind = query.data.removeprefix(CB_KIND)
    if kind not in {k.id for k in svc.library.win_kinds} or not from_live_message(draft, query):
        await refuse_button(query, context)
        return KIND
    await query.answer()
    draft["kind"] = kind
    await answer_in_place(
        query,
        context,
        draft,
        asked=svc.ui("win.ask_kind"),
        chosen=svc.library.win_kind(kind).label,
        then=svc.ui("win.ask_rating"),
        keyboard=rating_keyboard(svc.ui("practice.skip_button")),
    )
    return RATING


async def kind_not_tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Words or a sticker where a button was asked for: offer the buttons again."""
    draft = get_draft(context, FLOW)
    if draft is None:
        await lost_track(update, context, "/win")
        return END
    return await ask_kind(update, context, draft, again=True)


async def receive_rating(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """How connected it felt (or skipped): save the win and name what the person did."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    draft = get_draft(context, FLOW)
    if draft is None or "text" not in draft or "kind" not in draft:
        await query.answer()
        await lost_track(update, context, "/win")
        return END
    if not from_live_message(draft, query):
        await refuse_button(query, context)
        return RATING
    await query.answer()
    value = query.data.removeprefix(CB_RATE)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    now = svc.clock.now()
    person = await svc.repo.ensure_person(chat_id, now)
    entry = await svc.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.WIN,
            update_key=current_update_key(EntryKind.WIN),
            created_at=now,
            text=draft["text"],
            tags=[draft["kind"]],
            rating=None if value == SKIP else int(value),
        )
    )
    drop_draft(context)
    if person.is_tender(now):
        # After a crisis, a celebration would ring false: plain thanks until their next day.
        closing = svc.ui("win.saved_tender")
    else:
        celebration = svc.library.celebration(draft["kind"], svc.rng, recently_said(context))
        remember_said(context, celebration)
        closing = svc.ui("win.saved", celebration=celebration)
        company = await count_line(svc, person, "counts.win", EntryKind.WIN, draft["kind"])
        if company is not None:
            closing = f"{closing}\n\n{company}"
    await answer_in_place(
        query,
        context,
        draft,
        asked=svc.ui("win.ask_rating"),
        chosen=svc.ui("practice.skip_button") if value == SKIP else value,
        then=closing,
        keyboard=closing_keyboard(svc, entry.id, tender=person.is_tender(now)),
    )
    return END


def closing_keyboard(svc: Services, entry_id: int, *, tender: bool) -> InlineKeyboardMarkup | None:
    """Under the closing words, one tap offers a sentence of what helped to others
    (handlers/offered.py): only when operators are there to read it, and never in the day
    after a crisis or a check."""
    if tender or not offering_open(svc):
        return None
    return InlineKeyboardMarkup([[offer_button(svc, entry_id)]])


async def rating_not_tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Words or a sticker where a number was asked for: the numbers again."""
    draft = get_draft(context, FLOW)
    if draft is None:
        await lost_track(update, context, "/win")
        return END
    return await ask_rating(update, context, draft, again=True)


async def keep_unfinished(svc: Services, chat_id: int, draft: dict[str, Any]) -> None:
    """A win left before its last tap, kept as far as it went (the person asked for it)."""
    now = svc.clock.now()
    await svc.repo.ensure_person(chat_id, now)
    kind = draft.get("kind")
    await svc.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.WIN,
            update_key=current_update_key(EntryKind.WIN),
            created_at=now,
            text=draft["text"],
            tags=[kind] if kind else [],
        )
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    flow = Flow(
        name=FLOW,
        keep_words=keep_unfinished,
        entry_points=[CommandHandler("win", start)],
        states={
            TEXT: [MessageHandler(WORDS, receive_text), MessageHandler(NOT_WORDS, text_not_words)],
            KIND: [
                # Any well-formed id reaches the step, which accepts only ids of the library.
                CallbackQueryHandler(receive_kind, pattern=rf"^{CB_KIND}[a-z0-9_]{{1,24}}\Z"),
                MessageHandler(ANY_MESSAGE, kind_not_tapped),
            ],
            RATING: [
                CallbackQueryHandler(receive_rating, pattern=rf"^{CB_RATE}([1-5]|{SKIP})\Z"),
                MessageHandler(ANY_MESSAGE, rating_not_tapped),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.WIN)

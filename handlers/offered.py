"""Notes from others on the path: offering a sentence after a win, /offered, and /review.

    "Offer what helped to others" (under the closing words of /win)
        ──> "one short sentence about what helped you?" (with "Leave it") ──> TEXT
    TEXT ──(a sentence)──> after a crisis or a check today, or words that read as one:
                               thanks, nothing kept; done
                           longer than MAX_OFFER_CHARS: ask for a shorter one ──> TEXT
                           a name, number, link, handle, email or phone: say what to leave
                               out ──> TEXT
                           otherwise: kept, pending review; "a person will read it first"; done
    TEXT ──(Leave it)──> nothing kept; done

    /offered ──> what the person offered, newest first, five to a page, each with its status;
        "Take back N" under each pending or shared one ──> "Take this back?" ── Yes ──> withdrawn
                                                                         └─ Keep it ──> the list
    /review (operators only: ADMIN_CHAT_IDS) ──> the oldest pending sentence, alone, with
        Approve / Reject ──> the next one, in the same message, until none is waiting.
        Anyone else gets the ordinary reply to a command Kindling doesn't know.

A crisis-level sentence never gets here: the crisis check (group -5) answers it first, ends
this flow and keeps nothing (handlers/safety.py). What an operator sees is the sentence and how
many are waiting: never who wrote it, nor when. The giving side is bot/notes_from_others.py.
"""

from __future__ import annotations

import contextlib
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
)

from bot.formatting import escape, show_day_of
from bot.kept_notes import person_zone
from bot.locales import sender_locale
from bot.notes_from_others import is_operator, offering_open
from bot.offer_check import MAX_OFFER_CHARS, check_offer, tidy_offer, too_long
from bot.recap.labels import is_crisis_flagged
from bot.safety import Level, load_crisis_detector
from bot.services import Services, services
from handlers.button_pages import replace_message, yes_or_keep
from handlers.entry_text import (
    DRAFT_KEY,
    NOT_WORDS,
    WORDS,
    ask_for_words,
    close_buttons,
    close_keyboards,
    drop_draft,
    fit_words,
    from_live_message,
    get_draft,
    refuse_button,
    send_with_buttons,
    start_draft,
    visible_text,
)
from handlers.flow import END, Flow, flows
from handlers.groups import HandlerGroup
from handlers.tender import is_tender
from storage.models import EntryKind, OfferedNote, OfferStatus

FLOW = "offer"
TEXT = 0
PAGE_SIZE = 5

CB_OFFER = "offer:start:"
CB_LEAVE = "offer:leave"
CB_LIST = "offered:list:"
CB_WITHDRAW = "offered:wd:"
CB_YES = "offered:yes:"
CB_APPROVE = "review:ok:"
CB_REJECT = "review:no:"
OFFERED_PATTERN = r"^offered:(list:[0-9]{1,6}|(wd|yes):[0-9]{1,18}:[0-9]{1,6})\Z"
REVIEW_PATTERN = r"^review:(ok|no):[0-9]{1,18}\Z"

# The statuses a sentence can still be taken back from.
WITHDRAWABLE = (OfferStatus.PENDING, OfferStatus.APPROVED)


def offer_button(svc: Services, entry_id: int) -> InlineKeyboardButton:
    """The one tap under /win's closing words that offers a sentence to others."""
    return InlineKeyboardButton(
        svc.ui("others.offer_button"), callback_data=f"{CB_OFFER}{entry_id}"
    )


# --- offering, after a win -----------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask for the sentence, if this win may still offer one."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    # Starting this flow ended any other (handlers/flow.py), whatever happens next.
    await set_aside_other_words(update, context)
    entry = await svc.repo.get_entry(chat_id, int(query.data.removeprefix(CB_OFFER)))
    if (
        entry is None
        or entry.kind is not EntryKind.WIN
        or is_crisis_flagged(entry)
        or not offering_open(svc)
    ):
        await query.answer(svc.ui("common.expired_button_toast"))
        return END
    if any(n.from_entry == entry.id for n in await svc.repo.list_offered_notes(chat_id)):
        await query.answer(svc.ui("others.already_offered"))
        return END
    if await is_tender(svc, chat_id):
        # An earlier win's button, in the day after a crisis or a check: not today.
        await query.answer(svc.ui("others.rest_today"), show_alert=True)
        return END
    await query.answer()
    draft = start_draft(context, FLOW, entry=entry.id, button_in=query.message.message_id)
    await send_with_buttons(
        context, chat_id, draft, svc.ui("others.ask", limit=MAX_OFFER_CHARS), leave_keyboard(svc)
    )
    return TEXT


async def set_aside_other_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The tap ended whatever flow the person was in (handlers/flow.py): words it held are
    offered for keeping, as when a command ends a flow, and its draft goes."""
    draft = (context.user_data or {}).get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("flow") == FLOW:
        return
    for flow in flows(context.application):
        if flow.name == draft.get("flow"):
            await flow.set_aside_words(update, context)
    drop_draft(context)


def leave_keyboard(svc: Services) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(svc.ui("others.leave_button"), callback_data=CB_LEAVE)]]
    )


async def receive_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The sentence: checked, then kept pending review, or returned with what to change."""
    message = update.effective_message
    assert message is not None and message.text is not None
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    draft = get_draft(context, FLOW)
    if draft is None:
        await context.bot.send_message(chat_id, svc.ui("practice.lost_track", command="/win"))
        return END
    sentence = tidy_offer(visible_text(message.text))
    if await is_tender(svc, chat_id) or load_crisis_detector().assess(sentence).level >= (
        Level.CHECK
    ):
        # Never passed on: words from a day the crisis check answered, or that read as danger.
        return await finish(context, chat_id, draft, "others.not_today")
    if too_long(sentence):
        await ask_again(context, chat_id, draft, svc.ui("others.too_long", limit=MAX_OFFER_CHARS))
        return TEXT
    problems = check_offer(sentence)
    if problems:
        things = "\n".join(
            svc.ui("others.thing_line", thing=svc.ui(f"others.thing_{p}")) for p in problems
        )
        await ask_again(context, chat_id, draft, svc.ui("others.leave_out", things=things))
        return TEXT
    kept = await svc.repo.add_offered_note(
        chat_id, sentence, svc.clock.now(), from_entry=draft.get("entry")
    )
    if kept is not None and isinstance(draft.get("button_in"), int):
        # Offered: the button under the win has nothing left to do.
        await close_buttons(context, chat_id, draft["button_in"])
    return await finish(
        context, chat_id, draft, "others.offered" if kept else "others.already_offered"
    )


async def ask_again(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, draft: dict[str, Any], text: str
) -> None:
    """Say what to change, with "Leave it" here instead of on the question above."""
    await close_keyboards(context, chat_id, draft)
    await send_with_buttons(context, chat_id, draft, text, leave_keyboard(services(context)))


async def finish(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, draft: dict[str, Any], key: str
) -> int:
    """End the offer: its buttons gone, its draft dropped, and one line (``key``) said."""
    await close_keyboards(context, chat_id, draft)
    drop_draft(context)
    await context.bot.send_message(chat_id, services(context).ui(key))
    return END


async def leave(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """ "Leave it": nothing kept."""
    query = update.callback_query
    assert query is not None
    draft = get_draft(context, FLOW)
    if draft is None or not from_live_message(draft, query):
        await refuse_button(query, context)
        return TEXT if draft is not None else END
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    draft.pop("buttons_in", None)
    return await finish(context, update.effective_chat.id, draft, "others.left")  # type: ignore[union-attr]


async def not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await ask_for_words(update, context)
    return TEXT


# --- /offered: what the person offered, and taking one back --------------------------------


def status_words(svc: Services, note: OfferedNote) -> str:
    return svc.ui(f"others.status_{note.status}")


def written_on(svc: Services, note: OfferedNote, zone: ZoneInfo, locale: str) -> str:
    return show_day_of(note.offered_at, zone, svc.clock.now(), locale)


async def list_view(
    svc: Services, chat_id: int, page: int, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    offered = await svc.repo.list_offered_notes(chat_id)
    if not offered:
        return svc.ui("others.list_empty"), None
    last_page = (len(offered) - 1) // PAGE_SIZE
    page = max(0, min(page, last_page))
    shown = offered[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    zone = person_zone(await svc.repo.get_person(chat_id))
    first = page * PAGE_SIZE + 1
    lines = [svc.ui("others.list_header")]
    lines += [
        svc.ui(
            "others.list_entry",
            number=first + i,
            date=written_on(svc, note, zone, locale),
            status=status_words(svc, note),
            text=escape(note.text),
        )
        for i, note in enumerate(shown)
    ]
    withdraws = [
        InlineKeyboardButton(
            svc.ui("others.withdraw_button", number=first + i),
            callback_data=f"{CB_WITHDRAW}{note.id}:{page}",
        )
        for i, note in enumerate(shown)
        if note.status in WITHDRAWABLE
    ]
    rows = [withdraws[i : i + 2] for i in range(0, len(withdraws), 2)]
    moves = [
        InlineKeyboardButton(svc.ui(f"journal.{label}_button"), callback_data=f"{CB_LIST}{to}")
        for label, to in (("newer", page - 1), ("older", page + 1))
        if 0 <= to <= last_page
    ]
    if moves:
        rows.append(moves)
    return "\n\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def offered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/offered: the sentences the person offered, with their status."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    text, keyboard = await list_view(svc, chat_id, 0, sender_locale(update))
    await update.effective_message.reply_text(text, reply_markup=keyboard)  # type: ignore[union-attr]
    raise ApplicationHandlerStop


async def offered_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Turn a page, ask before taking a sentence back, or take it back."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    locale = sender_locale(update)
    action, *values = query.data.split(":")[1:]
    numbers = [int(v) for v in values]
    if action == "list":
        await query.answer()
        await replace_message(update, *await list_view(svc, chat_id, numbers[0], locale))
    elif action == "wd":
        note_id, page = numbers
        offered = await svc.repo.list_offered_notes(chat_id)
        note = next((n for n in offered if n.id == note_id and n.status in WITHDRAWABLE), None)
        if note is None:
            await query.answer(svc.ui("others.gone"))
            raise ApplicationHandlerStop
        await query.answer()
        zone = person_zone(await svc.repo.get_person(chat_id))
        when = written_on(svc, note, zone, locale)

        def confirmation(words: str) -> str:
            shown = svc.ui("others.single", date=when, text=escape(words))
            return svc.ui("others.confirm_withdraw", note=shown)

        keyboard = yes_or_keep(
            svc.ui("others.yes_withdraw_button"),
            f"{CB_YES}{note_id}:{page}",
            svc.ui("others.keep_button"),
            f"{CB_LIST}{page}",
        )
        await replace_message(update, fit_words(confirmation, note.text), keyboard)
    else:  # "yes"
        note_id, page = numbers
        if not await svc.repo.withdraw_offered_note(chat_id, note_id):
            await query.answer(svc.ui("others.gone"))
            raise ApplicationHandlerStop
        await query.answer(svc.ui("others.withdrawn"))
        await replace_message(update, *await list_view(svc, chat_id, page, locale))
    raise ApplicationHandlerStop


# --- /review, for operators ----------------------------------------------------------------


async def review_view(svc: Services) -> tuple[str, InlineKeyboardMarkup | None]:
    """The oldest pending sentence alone, with Approve and Reject; nothing about its author."""
    note = await svc.repo.oldest_pending_note()
    if note is None:
        return svc.ui("others.review_empty"), None
    waiting = await svc.repo.count_pending_notes()
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    svc.ui("others.approve_button"), callback_data=f"{CB_APPROVE}{note.id}"
                ),
                InlineKeyboardButton(
                    svc.ui("others.reject_button"), callback_data=f"{CB_REJECT}{note.id}"
                ),
            ]
        ]
    )
    return svc.ui("others.review_one", waiting=waiting, text=escape(note.text)), keyboard


async def review_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/review: the queue for operators; for anyone else, a command Kindling doesn't know."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    if not is_operator(svc, update.effective_chat.id):  # type: ignore[union-attr]
        await message.reply_text(svc.ui("common.unknown_command"))
        raise ApplicationHandlerStop
    text, keyboard = await review_view(svc)
    await message.reply_text(text, reply_markup=keyboard)
    raise ApplicationHandlerStop


async def review_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Approve or reject one sentence, then show the next in the same message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    if not is_operator(svc, update.effective_chat.id):  # type: ignore[union-attr]
        await query.answer(svc.ui("common.expired_button_toast"))
        raise ApplicationHandlerStop
    approved = query.data.startswith(CB_APPROVE)
    note_id = int(query.data.rsplit(":", 1)[1])
    if await svc.repo.review_offered_note(note_id, approved, svc.clock.now()):
        await query.answer(svc.ui("others.approved" if approved else "others.rejected"))
    else:
        await query.answer(svc.ui("others.review_gone"))
    await replace_message(update, *await review_view(svc))
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    flow = Flow(
        name=FLOW,
        entry_points=[CallbackQueryHandler(start, pattern=rf"^{CB_OFFER}[0-9]{{1,18}}\Z")],
        states={
            TEXT: [
                CallbackQueryHandler(leave, pattern=rf"^{CB_LEAVE}\Z"),
                MessageHandler(WORDS, receive_text),
                MessageHandler(NOT_WORDS, not_words),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.OFFER)
    application.add_handlers(
        [
            CommandHandler("offered", offered_command),
            CommandHandler("review", review_command),
            CallbackQueryHandler(offered_button, pattern=OFFERED_PATTERN),
            CallbackQueryHandler(review_button, pattern=REVIEW_PATTERN),
        ],
        group=HandlerGroup.COMMANDS,
    )

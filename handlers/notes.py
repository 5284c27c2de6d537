"""/note: a few kind words to yourself, kept for a harder day; and the notes in /journal.

    /note ──> "what would you like to say to yourself?" ──> TEXT   (/note <words> keeps them)
    TEXT ──(text)──> kept; done
    "Keep these words for a harder day" (under the closing words of /setback)
        ──> the answer to the friend question kept as a note, once however often it is tapped
    /journal ── Notes to yourself (N) ──> the notes, newest first, five to a page,
        "Delete note N" under each ──> "Delete this note?" ── Yes ──> gone, the notes again
                                                           └─ Keep it ──> the notes again

Words the crisis check was answering (the person is tender: handlers/tender.py) are kept as
asked but never given back (``Note.may_give_back``). How and when a note comes back is
bot/kept_notes.py's rule. Buttons carry what they need (a note or entry id, a page), looked up
together with the chat they belong to: a forged id finds nothing and changes nothing.
"""

from __future__ import annotations

import contextlib
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
from bot.recap.labels import is_crisis_flagged
from bot.services import Services, services
from bot.update_keys import current_update_key
from handlers.button_pages import replace_message, yes_or_keep
from handlers.entry_text import (
    NOT_WORDS,
    WORDS,
    ask_for_words,
    drop_draft,
    fit_words,
    open_with_text,
    read_entry_text,
    shorten,
)
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.tender import is_tender
from storage.models import EntryKind, Note

FLOW = "note"
TEXT = 0
PAGE_SIZE = 5
PREVIEW_CHARS = 300

CB_KEEP = "note:keep:"
CB_LIST = "note:list:"
CB_DELETE = "note:del:"
CB_YES = "note:yes:"
BUTTON_PATTERN = r"^note:(keep:[0-9]{1,18}|list:[0-9]{1,6}|(del|yes):[0-9]{1,18}:[0-9]{1,6})\Z"


def keep_button(svc: Services, entry_id: int) -> InlineKeyboardButton:
    """The one tap at the end of /setback that keeps its friend answer as a note."""
    return InlineKeyboardButton(svc.ui("notes.keep_button"), callback_data=f"{CB_KEEP}{entry_id}")


def journal_button(svc: Services, count: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        svc.ui("notes.journal_button", count=count), callback_data=f"{CB_LIST}0"
    )


# --- /note ----------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask for the note, or keep the words after /note."""
    words = await open_with_text(update, context, FLOW, "notes.ask")
    return TEXT if words is None else await keep(update, context, words)


async def receive_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The note, in the person's words."""
    return await keep(update, context, await read_entry_text(update, context))


async def keep(update: Update, context: ContextTypes.DEFAULT_TYPE, words: str) -> int:
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    now = svc.clock.now()
    await svc.repo.ensure_person(chat_id, now)
    # The crisis check answered these words (or others today): kept, never offered back.
    may_give_back = not await is_tender(svc, chat_id)
    await svc.repo.add_note(
        chat_id,
        words,
        now,
        may_give_back=may_give_back,
        update_key=current_update_key("note"),
    )
    drop_draft(context)
    await context.bot.send_message(
        chat_id, svc.ui("notes.kept" if may_give_back else "notes.kept_quietly")
    )
    return END


async def not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await ask_for_words(update, context)
    return TEXT


# --- the keep button under /setback's closing words -----------------------------------------


async def keep_from_setback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep a setback's answer to the friend question as a note; the button then goes."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    entry = await svc.repo.get_entry(chat_id, int(query.data.removeprefix(CB_KEEP)))
    friend = entry.extra.get("friend") if entry is not None else None
    if (
        entry is None
        or entry.kind is not EntryKind.SETBACK
        or is_crisis_flagged(entry)
        or not isinstance(friend, str)
        or not friend.strip()
    ):
        await query.answer(svc.ui("common.expired_button_toast"))
        return
    note = await svc.repo.add_note(
        chat_id, friend, svc.clock.now(), from_entry=entry.id, may_give_back=True
    )
    await query.answer(svc.ui("notes.kept_from_setback" if note else "notes.already_kept"))
    await drop_button(update, CB_KEEP)


async def drop_button(update: Update, prefix: str) -> None:
    """Take the buttons whose data starts with ``prefix`` off the pressed message."""
    query = update.callback_query
    assert query is not None
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(prefix)]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    # Too old to edit: the button stays, and a second tap keeps nothing twice.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)


# --- the notes, in /journal ----------------------------------------------------------------


def show_note(svc: Services, note: Note, zone: ZoneInfo, locale: str, number: int) -> str:
    written = show_day_of(note.created_at, zone, svc.clock.now(), locale)
    return svc.ui(
        "notes.list_entry",
        number=number,
        date=written,
        text=escape(shorten(note.text, PREVIEW_CHARS)),
    )


async def list_view(
    svc: Services, chat_id: int, page: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    notes = await svc.repo.list_notes(chat_id)
    back = [InlineKeyboardButton(svc.ui("notes.to_journal_button"), callback_data="jr:page:0")]
    if not notes:
        return svc.ui("notes.list_empty"), InlineKeyboardMarkup([back])
    last_page = (len(notes) - 1) // PAGE_SIZE
    page = max(0, min(page, last_page))
    shown = notes[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    zone = person_zone(await svc.repo.get_person(chat_id))
    first = page * PAGE_SIZE + 1
    lines = [svc.ui("notes.list_header")]
    lines += [show_note(svc, n, zone, locale, first + i) for i, n in enumerate(shown)]
    deletes = [
        InlineKeyboardButton(
            svc.ui("notes.delete_button", number=first + i),
            callback_data=f"{CB_DELETE}{n.id}:{page}",
        )
        for i, n in enumerate(shown)
    ]
    rows = [deletes[i : i + 2] for i in range(0, len(deletes), 2)]
    moves = [
        InlineKeyboardButton(svc.ui(f"journal.{label}_button"), callback_data=f"{CB_LIST}{to}")
        for label, to in (("newer", page - 1), ("older", page + 1))
        if 0 <= to <= last_page
    ]
    if moves:
        rows.append(moves)
    rows.append(back)
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


async def notes_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep a setback's words, list the notes, ask before deleting one, or delete it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if query.data.startswith(CB_KEEP):
        await keep_from_setback(update, context)
        raise ApplicationHandlerStop
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    locale = sender_locale(update)
    action, *values = query.data.split(":")[1:]
    numbers = [int(v) for v in values]
    if action == "list":
        await query.answer()
        await replace_message(update, *await list_view(svc, chat_id, numbers[0], locale))
    elif action == "del":
        note_id, page = numbers
        note = next((n for n in await svc.repo.list_notes(chat_id) if n.id == note_id), None)
        if note is None:
            await query.answer(svc.ui("notes.gone"))
            raise ApplicationHandlerStop
        await query.answer()
        zone = person_zone(await svc.repo.get_person(chat_id))

        def confirmation(words: str) -> str:
            written = show_day_of(note.created_at, zone, svc.clock.now(), locale)
            shown = svc.ui("notes.single_note", date=written, text=escape(words))
            return svc.ui("notes.confirm_delete", note=shown)

        keyboard = yes_or_keep(
            svc.ui("notes.yes_delete_button"),
            f"{CB_YES}{note_id}:{page}",
            svc.ui("notes.keep_it_button"),
            f"{CB_LIST}{page}",
        )
        await replace_message(update, fit_words(confirmation, note.text), keyboard)
    else:  # "yes"
        note_id, page = numbers
        if not await svc.repo.delete_note(chat_id, note_id):
            await query.answer(svc.ui("notes.gone"))
            raise ApplicationHandlerStop
        await query.answer(svc.ui("notes.deleted"))
        await replace_message(update, *await list_view(svc, chat_id, page, locale))
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    flow = Flow(
        name=FLOW,
        entry_points=[CommandHandler("note", start)],
        states={
            TEXT: [MessageHandler(WORDS, receive_text), MessageHandler(NOT_WORDS, not_words)],
        },
    )
    application.add_handler(flow, group=HandlerGroup.NOTES)
    application.add_handler(
        CallbackQueryHandler(notes_button, pattern=BUTTON_PATTERN), group=HandlerGroup.NOTES
    )

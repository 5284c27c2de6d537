"""/journal: a person's own entries, newest first, five to a page, each one deletable.

    /journal ──> page 1: date (in the person's zone), kind, what it answered (the daily
                 question, or a look back's three answers) and words of each entry, numbered
                 on across pages (page 2 holds 6 to 10), "Delete N" under each,
                 ‹ Newer / Older › to move between pages
    Read N ──> (an entry too long for a page) the same message shows it whole, in parts that
               each fit one message, with "Read on ›" / "‹ Back a part" and "Back to the journal"
    Notes to yourself (N) ──> the person's notes to themselves (handlers/notes.py)
    Therapy N ──> the entry is marked "to talk about in therapy" (or unmarked), page again
    Delete N ──> the same message asks "Delete this entry?" ── Yes, delete it ──> gone, page again
                                                            └─ Keep it ─────────> page again

No conversation state: every button carries what it needs (page number, entry id), so a page
stays usable however old it is. Entries are looked up and deleted together with the chat they
belong to, so a forged button naming someone else's entry finds nothing, changes nothing, and
gets a gentle answer. Deleting twice finds nothing the second time.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.content.library import utf16_length
from bot.content.ui import UiTexts
from bot.formatting import escape, show_date
from bot.locales import sender_locale
from bot.recap.labels import REFLECT_QUESTIONS, reflect_answers, shown_kind
from bot.services import Services, services
from handlers.button_pages import replace_message, yes_or_keep
from handlers.entry_text import drop_draft, fit_words, in_parts, shorten
from handlers.flow import end_all_flows
from handlers.groups import HandlerGroup
from handlers.notes import journal_button as notes_button
from scheduler.timecalc import is_valid_zone
from storage.models import Entry, EntryKind, Person

PAGE_SIZE = 5
# Each entry is shown up to this many characters (as Telegram counts them) on a page, so five
# entries always fit in one message; an entry cut there has a "Read N" button that shows it
# whole, in parts of READ_PART_CHARS (an entry may be a whole Telegram message, 4096, and its
# date and kind need room too). The delete confirmation shows as much as one message holds.
PREVIEW_CHARS = 300
READ_PART_CHARS = 3500

CB_PAGE = "jr:page:"
CB_DELETE = "jr:del:"
CB_YES = "jr:yes:"
CB_KEEP = "jr:keep:"
CB_READ = "jr:read:"
CB_THERAPY = "jr:th:"
PATTERN = (
    r"^jr:(page:[0-9]{1,6}|(del|yes|th):[0-9]{1,18}:[0-9]{1,6}|keep:[0-9]{1,6}"
    r"|read:[0-9]{1,18}:[0-9]{1,6}:[0-9]{1,3})\Z"
)


def kind_label(entry: Entry, svc: Services) -> str:
    """The kind, and the detail the person picked: "Small win: I listened without fixing"."""
    kind = shown_kind(entry)
    label = svc.ui(f"journal.kind_{kind}")
    if kind is not entry.kind:
        # Words that read as a crisis are "Hard moment", bare: a win kind picked before them
        # would name it as something that went well.
        return label
    detail: str | None = None
    tag = entry.tags[0] if entry.tags else None
    try:
        if entry.kind is EntryKind.WIN and tag:
            detail = svc.library.win_kind(tag).label
        elif entry.kind is EntryKind.SETBACK and tag:
            detail = svc.library.feeling(tag).label
    except KeyError:  # a kind or feeling no longer in the library: the plain label will do
        detail = None
    return svc.ui("journal.kind_detail", kind=label, detail=escape(detail)) if detail else label


def entry_context(entry: Entry, svc: Services) -> list[str]:
    """What an entry answered, shown above the person's words: the daily question a reply was
    to, or the three /reflect answers (which are all a look back without a note holds)."""
    if entry.prompt_id:
        try:
            question = svc.library.prompt(entry.prompt_id).text
        except KeyError:  # a question no longer in the library: the words stand alone
            return []
        return [svc.ui("journal.prompt_question", question=question)]
    answers = dict(reflect_answers(entry))
    if len(answers) < len(REFLECT_QUESTIONS):  # /reflect keeps all three, or nothing at all
        return []
    shown = {question: svc.ui(f"reflect.{answer}_button") for question, answer in answers.items()}
    return [svc.ui("journal.reflect_answers", **shown)]


def readable_zone(person: Person | None) -> str:
    """The person's zone; UTC when none is set or the stored name no longer exists."""
    zone = person.time_zone if person else None
    return zone if zone and is_valid_zone(zone) else "UTC"


def show_entry(
    entry: Entry,
    number: int | None,
    zone: str,
    locale: str,
    svc: Services,
    limit: int | None = PREVIEW_CHARS,
) -> str:
    """One entry: its number in the journal (if any), local date, kind, what it answered, and
    the person's words."""
    local_day = entry.created_at.astimezone(ZoneInfo(zone)).date()
    values: dict[str, object] = {
        "date": show_date(
            local_day, locale, today=svc.clock.now().astimezone(ZoneInfo(zone)).date()
        ),
        "kind": kind_label(entry, svc),
    }
    key = "journal.entry" if number is not None else "journal.single_entry"
    if number is not None:
        values["number"] = number
    if entry.for_therapy:
        values["kind"] = f"{values['kind']} · {svc.ui('therapy.journal_mark')}"
    body = entry_context(entry, svc)
    if entry.text:
        body.append(escape(entry.text if limit is None else shorten(entry.text, limit)))
    if not body:
        return svc.ui(f"{key}_without_text", **values)
    return svc.ui(key, text="\n".join(body), **values)


async def page_view(
    svc: Services, chat_id: int, page: int, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one page (clamped to the pages that exist), with the way to the
    person's notes to themselves when they kept any."""
    total = await svc.repo.count_entries(chat_id)
    notes = len(await svc.repo.list_notes(chat_id))
    notes_row = [[notes_button(svc, notes)]] if notes else []
    if total == 0:
        return svc.ui("journal.empty"), InlineKeyboardMarkup(notes_row) if notes else None
    last_page = (total - 1) // PAGE_SIZE
    page = max(0, min(page, last_page))
    entries = await svc.repo.list_entries(chat_id, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    person = await svc.repo.get_person(chat_id)
    zone = readable_zone(person)
    first = page * PAGE_SIZE + 1
    lines = [
        svc.ui("journal.header", first=first, last=first + len(entries) - 1, total=total),
        *(show_entry(e, n, zone, locale, svc) for n, e in enumerate(entries, start=first)),
    ]
    deletes = [
        InlineKeyboardButton(
            svc.ui("journal.delete_button", number=n), callback_data=f"{CB_DELETE}{e.id}:{page}"
        )
        for n, e in enumerate(entries, start=first)
    ]
    rows = [deletes[i : i + 3] for i in range(0, len(deletes), 3)]
    therapy = [
        InlineKeyboardButton(
            svc.ui("therapy.journal_button", number=n), callback_data=f"{CB_THERAPY}{e.id}:{page}"
        )
        for n, e in enumerate(entries, start=first)
    ]
    rows += [therapy[i : i + 3] for i in range(0, len(therapy), 3)]
    reads = [
        InlineKeyboardButton(
            svc.ui("journal.read_button", number=n), callback_data=f"{CB_READ}{e.id}:{page}:0"
        )
        for n, e in enumerate(entries, start=first)
        if e.text and utf16_length(e.text) > PREVIEW_CHARS
    ]
    rows += [reads[i : i + 3] for i in range(0, len(reads), 3)]
    moves = []
    if page > 0:
        moves.append(
            InlineKeyboardButton(
                svc.ui("journal.newer_button"), callback_data=f"{CB_PAGE}{page - 1}"
            )
        )
    if page < last_page:
        moves.append(
            InlineKeyboardButton(
                svc.ui("journal.older_button"), callback_data=f"{CB_PAGE}{page + 1}"
            )
        )
    if moves:
        rows.append(moves)
    rows += notes_row
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


async def read_view(
    svc: Services, chat_id: int, entry: Entry, page: int, part: int, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    """One part of a long entry, whole, with buttons to the parts around it and back."""
    parts = in_parts(entry.text or "", READ_PART_CHARS)
    part = max(0, min(part, len(parts) - 1))
    zone = readable_zone(await svc.repo.get_person(chat_id))
    text = show_entry(replace(entry, text=parts[part]), None, zone, locale, svc, None)
    if len(parts) > 1:
        text = svc.ui("journal.read_part", entry=text, part=part + 1, parts=len(parts))
    moves = []
    if part > 0:
        moves.append(
            InlineKeyboardButton(
                svc.ui("journal.read_back_button"),
                callback_data=f"{CB_READ}{entry.id}:{page}:{part - 1}",
            )
        )
    if part + 1 < len(parts):
        moves.append(
            InlineKeyboardButton(
                svc.ui("journal.read_on_button"),
                callback_data=f"{CB_READ}{entry.id}:{page}:{part + 1}",
            )
        )
    back = InlineKeyboardButton(
        svc.ui("journal.to_journal_button"), callback_data=f"{CB_PAGE}{page}"
    )
    return text, InlineKeyboardMarkup([row for row in (moves, [back]) if row])


def confirm_keyboard(entry_id: int, page: int, ui: UiTexts) -> InlineKeyboardMarkup:
    return yes_or_keep(
        ui("journal.yes_delete_button"),
        f"{CB_YES}{entry_id}:{page}",
        ui("journal.keep_button"),
        f"{CB_KEEP}{page}",
    )


async def show_journal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/journal: the newest page (any flow the person was in ends, as for any command)."""
    svc = services(context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    if end_all_flows(context.application, chat.id, user.id):
        drop_draft(context)
    text, keyboard = await page_view(svc, chat.id, 0, sender_locale(update))
    await update.effective_message.reply_text(text, reply_markup=keyboard)  # type: ignore[union-attr]
    raise ApplicationHandlerStop


async def journal_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Move between pages, ask before deleting, delete, or keep."""
    await press(update, context)
    # Handled here, whatever the outcome: the catch-all for old buttons must not answer on top.
    raise ApplicationHandlerStop


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    locale = sender_locale(update)
    action, *values = query.data.split(":")[1:]
    numbers = [int(v) for v in values]
    if action in ("page", "keep"):
        await query.answer()
        await replace_message(update, *await page_view(svc, chat_id, numbers[0], locale))
    elif action == "read":
        entry_id, page, part = numbers
        entry = await svc.repo.get_entry(chat_id, entry_id)
        if entry is None:
            await query.answer(svc.ui("journal.gone"))
            return
        await query.answer()
        await replace_message(update, *await read_view(svc, chat_id, entry, page, part, locale))
    elif action == "del":
        entry_id, page = numbers
        entry = await svc.repo.get_entry(chat_id, entry_id)
        if entry is None:
            await query.answer(svc.ui("journal.gone"))
            return
        await query.answer()
        person = await svc.repo.get_person(chat_id)
        zone = readable_zone(person)

        def confirmation(words: str) -> str:
            shown = replace(entry, text=words)
            return svc.ui(
                "journal.confirm_delete", entry=show_entry(shown, None, zone, locale, svc, None)
            )

        await replace_message(
            update,
            fit_words(confirmation, entry.text or ""),
            confirm_keyboard(entry_id, page, svc.ui),
        )
    elif action == "th":
        entry_id, page = numbers
        entry = await svc.repo.get_entry(chat_id, entry_id)
        if entry is None:
            await query.answer(svc.ui("journal.gone"))
            return
        await svc.repo.mark_for_therapy(chat_id, entry_id, not entry.for_therapy)
        await query.answer(svc.ui("therapy.unmarked" if entry.for_therapy else "therapy.marked"))
        await replace_message(update, *await page_view(svc, chat_id, page, locale))
    else:  # "yes"
        entry_id, page = numbers
        if not await svc.repo.delete_entry(chat_id, entry_id):
            await query.answer(svc.ui("journal.gone"))
            return
        await query.answer(svc.ui("journal.deleted"))
        await replace_message(update, *await page_view(svc, chat_id, page, locale))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handlers(
        [
            CommandHandler("journal", show_journal),
            CallbackQueryHandler(journal_button, pattern=PATTERN),
        ],
        group=HandlerGroup.JOURNAL,
    )

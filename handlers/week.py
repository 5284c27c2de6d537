"""/week, /week last and /share: the weekly look back on demand, and a summary to keep.

    /week ──> the picture of this local week (with its description), then the recap
    /week last ──> the same for the week before
    /share ──> "how many weeks?" [1] [2] [4] ──> PICK_WEEKS
    PICK_WEEKS ──(button)──> "include your own words?" [yes] [no] ──> ASK_WORDS
    ASK_WORDS ──(button)──> the PDF (sendDocument), done. It opens with "Things I'd like to
                            talk about" (entries marked for therapy); with their own words, it
                            ends with the notes they wrote to themselves in those weeks

Weeks run Monday to Sunday by the person's own local dates. The chosen number of weeks travels
inside the second step's button data, so nothing is kept between the two taps. Words or
stickers where a tap is asked for get a kind pointer to the buttons; any other command ends
/share quietly (handlers.flow). /week is also an entry point of the same flow, so it works
from the middle of /share too and ends it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.locales import locale_of
from bot.recap import compose_weekly_recap, load_week_facts, local_today, previous_week
from bot.recap.phrases import recap_phrases
from bot.recap.share import build_share_pdf
from bot.services import services
from handlers.entry_text import close_keyboard
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.share_sections import notes_section, therapy_section
from storage.models import Person

log = logging.getLogger(__name__)

PICK_WEEKS, ASK_WORDS = range(2)

WEEK_CHOICES = (1, 2, 4)
CB_WEEKS = "share:weeks:"
CB_WORDS = "share:words:"
PATTERN_WEEKS = rf"^{CB_WEEKS}({'|'.join(map(str, WEEK_CHOICES))})\Z"
PATTERN_WORDS = rf"^{CB_WORDS}(yes|no):({'|'.join(map(str, WEEK_CHOICES))})\Z"
LAST_WEEK_WORDS = frozenset({"last", "last week", "previous"})
PDF_NAME = "kindling-look-back.pdf"


async def _person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Person | None:
    """The person, or None after telling them there's nothing to look back on yet."""
    svc = services(context)
    person = await svc.repo.get_person(update.effective_chat.id)  # type: ignore[union-attr]
    if person is None:
        await update.effective_message.reply_text(svc.ui("week.not_set_up"))  # type: ignore[union-attr]
    return person


async def week(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Send this week's (or, with "last", the previous week's) picture and recap."""
    svc = services(context)
    asked = " ".join(context.args or []).strip().lower()
    if asked and asked not in LAST_WEEK_WORDS:
        await update.effective_message.reply_text(svc.ui("week.unknown"))  # type: ignore[union-attr]
        return END
    person = await _person(update, context)
    if person is None:
        return END
    day = local_today(person, svc.clock.now())
    if asked:
        day = previous_week(day)
    recap = await compose_weekly_recap(svc, person, day)
    if recap.chart_png:
        await context.bot.send_photo(
            person.chat_id, photo=recap.chart_png, caption=recap.chart_caption
        )
    await context.bot.send_message(person.chat_id, recap.text)
    return END


def _weeks_keyboard(context: ContextTypes.DEFAULT_TYPE) -> InlineKeyboardMarkup:
    ui = services(context).ui
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(ui(f"share.weeks_{n}_button"), callback_data=f"{CB_WEEKS}{n}")
                for n in WEEK_CHOICES
            ]
        ]
    )


def _words_keyboard(context: ContextTypes.DEFAULT_TYPE, weeks: int) -> InlineKeyboardMarkup:
    ui = services(context).ui
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ui("share.words_yes_button"), callback_data=f"{CB_WORDS}yes:{weeks}"
                )
            ],
            [
                InlineKeyboardButton(
                    ui("share.words_no_button"), callback_data=f"{CB_WORDS}no:{weeks}"
                )
            ],
        ]
    )


async def share(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask how many weeks the summary should hold."""
    person = await _person(update, context)
    if person is None:
        return END
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        services(context).ui("share.ask_weeks"), reply_markup=_weeks_keyboard(context)
    )
    return PICK_WEEKS


async def weeks_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Weeks picked: ask whether to include the person's own words."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await close_keyboard(query)
    weeks = int(query.data.removeprefix(CB_WEEKS))
    await context.bot.send_message(
        update.effective_chat.id,  # type: ignore[union-attr]
        services(context).ui("share.ask_words"),
        reply_markup=_words_keyboard(context, weeks),
    )
    return ASK_WORDS


async def words_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Build the PDF of the chosen weeks and send it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await close_keyboard(query)
    choice, weeks_text = query.data.removeprefix(CB_WORDS).split(":")
    weeks = int(weeks_text)
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    person = await svc.repo.get_person(chat_id)
    if person is None:  # erased (/delete) between the two taps
        await context.bot.send_message(chat_id, svc.ui("week.not_set_up"))
        return END
    today = local_today(person, svc.clock.now())
    started = local_today(person, person.first_seen)
    facts = [
        week
        for n in range(weeks)
        if (week := await load_week_facts(svc, person, today - timedelta(weeks=n)))
        # No "quiet week" from before the person started.
        and (week.sunday >= started or not week.is_quiet)
    ]
    include_words = choice == "yes"
    therapy = await therapy_section(svc, person, include_words=include_words)
    if not any(f.days_showed_up for f in facts) and therapy is None:
        await context.bot.send_message(chat_id, svc.ui("share.nothing"))
        return END
    phrases = recap_phrases()
    notes = await notes_section(svc, person, facts) if include_words else None
    # Embedding the fonts takes a few hundred milliseconds: off the loop, so nobody else waits.
    pdf = await asyncio.to_thread(
        build_share_pdf,
        facts,
        include_words=include_words,
        library=svc.library,
        phrases=phrases,
        locale=locale_of(person),
        opening=[therapy] if therapy else [],
        closing=[notes] if notes else [],
    )
    await context.bot.send_document(
        chat_id,
        document=pdf,
        filename=PDF_NAME,
        caption=svc.ui("share.caption", weeks=phrases.count(weeks, "week")),
    )
    return END


async def buttons_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Words or a sticker where a tap is asked for: point to the buttons, stay on this step."""
    await update.effective_message.reply_text(services(context).ui("share.buttons_only"))  # type: ignore[union-attr]
    return None


def register(application: Application) -> None:  # type: ignore[type-arg]
    anything_but_a_command = ~filters.COMMAND & ~filters.UpdateType.EDITED
    flow = Flow(
        name="share",
        entry_points=[CommandHandler("share", share), CommandHandler("week", week)],
        states={
            PICK_WEEKS: [
                CallbackQueryHandler(weeks_chosen, pattern=PATTERN_WEEKS),
                MessageHandler(anything_but_a_command, buttons_only),
            ],
            ASK_WORDS: [
                CallbackQueryHandler(words_chosen, pattern=PATTERN_WORDS),
                MessageHandler(anything_but_a_command, buttons_only),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.WEEK)

"""/start: a warm welcome, then the person's time zone and daily prompt time.

    /start ──> welcome + "where are you?" ──(city, offset or local time)──> ZONE
    ZONE ──(found)──> "when would you like a reflection?" ──> TIME
    TIME ──(button or typed time, or "no prompts")──> summary, done

Someone already set up gets a short welcome back and their settings, untouched. The person's
row exists from the first /start, so nothing is lost or duplicated by starting again.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
)

from bot.content.ui import UiTexts
from bot.formatting import escape, local_now, show_time, show_weekday, zone_label
from bot.locales import sender_locale
from bot.services import services
from bot.zone_lookup import ZoneMatch, look_up_zone
from handlers.entry_text import NOT_WORDS, WORDS
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.place_choice import PLACE_NUMBERS, chosen_place, forget_places, place_question
from scheduler.plan import schedule_fields
from scheduler.timecalc import is_valid_zone, parse_local_time
from storage.models import Person

ZONE, TIME = range(2)

PROMPT_TIMES = ("07:00", "08:00", "09:00", "12:30", "18:00", "20:00", "21:30")
CB_TIME = "onb:time:"
CB_NO_PROMPTS = "onb:none"
TIME_BUTTON_PATTERN = rf"\A({CB_TIME}([01][0-9]|2[0-3]):[0-5][0-9]|{CB_NO_PROMPTS})\Z"
CB_PLACE_PREFIX = "onb"
PLACE_BUTTON_PATTERN = rf"\A{CB_PLACE_PREFIX}:place:{PLACE_NUMBERS}\Z"


def time_keyboard(no_prompts_label: str, locale: str) -> InlineKeyboardMarkup:
    """The suggested times, shown as the person's locale writes times (as /settings does)."""
    buttons = [
        InlineKeyboardButton(
            show_time(time.fromisoformat(t), locale), callback_data=f"{CB_TIME}{t}"
        )
        for t in PROMPT_TIMES
    ]
    rows = [buttons[:4], buttons[4:]]
    rows.append([InlineKeyboardButton(no_prompts_label, callback_data=CB_NO_PROMPTS)])
    return InlineKeyboardMarkup(rows)


def summary(person: Person, locale: str, ui: UiTexts) -> str:
    """One line on when reflections come, for welcome-backs and /settings."""
    if not person.time_zone:
        return ui("onboarding.summary_no_zone")
    if not is_valid_zone(person.time_zone):  # a name tzdata has since dropped: ask again
        return ui("reliability.zone_lost")
    zone = zone_label(person.time_zone)
    if person.prompts_enabled and person.prompt_time:
        return ui(
            "onboarding.summary_with_time", time=show_time(person.prompt_time, locale), zone=zone
        )
    return ui("onboarding.summary_without_time", zone=zone)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Welcome; ask where the person is, or welcome them back if they are set up."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    person = await svc.repo.ensure_person(chat_id, svc.clock.now())
    if not person.active:
        # Coming back after blocking the bot: nudges resume from now, with no backlog.
        person = await svc.repo.update_person(
            chat_id, active=True, **schedule_fields(replace(person, active=True), svc.clock.now())
        )
    message = update.effective_message
    assert message is not None
    locale = sender_locale(update)
    if person.onboarded:
        await message.reply_text(
            svc.ui("onboarding.welcome_back", summary=summary(person, locale, svc.ui))
        )
        return END
    await message.reply_text(svc.ui("onboarding.welcome"))
    await message.reply_text(svc.ui("onboarding.ask_zone"))
    return ZONE


async def receive_zone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Find a zone from a place name, a UTC offset, or the person's current clock."""
    svc = services(context)
    message = update.effective_message
    assert message is not None and message.text is not None
    now = svc.clock.now()
    # The city index is built on first use (a couple of seconds, about 70 MB, so not at
    # start-up): a thread keeps everyone else's replies flowing meanwhile.
    found = await asyncio.to_thread(look_up_zone, message.text, now)
    if found.match is ZoneMatch.AMBIGUOUS:
        await message.reply_text(svc.ui("onboarding.zone_ambiguous", country=escape(found.label)))
        return ZONE
    if found.match is ZoneMatch.CHOICES:
        text, keyboard = place_question(
            context, found.choices, CB_PLACE_PREFIX, svc.ui, sender_locale(update), now
        )
        await message.reply_text(text, reply_markup=keyboard)
        return ZONE
    if found.zone is None:
        await message.reply_text(svc.ui("onboarding.zone_not_found"))
        return ZONE
    place = found.label if found.match is ZoneMatch.PLACE else None
    return await zone_chosen(update, context, found.zone, found.country, place)


async def pick_place(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """One of several places of the same name, tapped."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen = chosen_place(context, query.data)
    if chosen is None:  # from an older question: its places are no longer the ones offered
        await query.answer(services(context).ui("common.expired_button_toast"))
        return ZONE
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    return await zone_chosen(update, context, chosen.zone, chosen.country, chosen.label)


async def zone_chosen(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    zone: str,
    country: str | None,
    place: str | None,
) -> int:
    """Keep the zone, say where it is and what time it is there, and ask for a prompt time."""
    svc = services(context)
    locale = sender_locale(update)
    local_time = show_time(local_now(zone, svc.clock.now()), locale)
    forget_places(context)
    if place is not None:
        reply = svc.ui("onboarding.zone_found", place=escape(place or zone), local_time=local_time)
    else:
        reply = svc.ui("onboarding.zone_from_clock", zone=zone_label(zone), local_time=local_time)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    await svc.repo.update_person(chat_id, time_zone=zone, country=country)
    await context.bot.send_message(chat_id, reply)
    await context.bot.send_message(
        chat_id,
        svc.ui("onboarding.ask_time"),
        reply_markup=time_keyboard(svc.ui("onboarding.no_prompts_button"), locale),
    )
    return TIME


async def zone_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker or photo where a place was asked for."""
    await update.effective_message.reply_text(services(context).ui("onboarding.zone_text_only"))  # type: ignore[union-attr]
    return ZONE


async def finish(update: Update, context: ContextTypes.DEFAULT_TYPE, at: time | None) -> int:
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    person = await svc.repo.get_person(chat_id)
    assert person is not None
    settled = replace(person, prompt_time=at or person.prompt_time, prompts_enabled=at is not None)
    person = await svc.repo.update_person(
        chat_id,
        prompt_time=settled.prompt_time,
        prompts_enabled=settled.prompts_enabled,
        onboarded=True,
        **schedule_fields(settled, svc.clock.now()),
    )
    locale = sender_locale(update)
    if at is not None and person.time_zone:
        text = svc.ui(
            "onboarding.done_with_time",
            time=show_time(at, locale),
            zone=zone_label(person.time_zone),
            recap_day=show_weekday(person.recap_weekday, locale),
            recap_time=show_time(person.recap_time, locale),
        )
    else:
        text = svc.ui("onboarding.done_without_time")
    await context.bot.send_message(chat_id, text)
    return END


async def time_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A prompt time picked from the buttons (or no prompts at all)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    if query.data == CB_NO_PROMPTS:
        return await finish(update, context, None)
    return await finish(update, context, time.fromisoformat(query.data.removeprefix(CB_TIME)))


async def typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A prompt time typed in words, such as 7:30 or 7.30pm."""
    message = update.effective_message
    assert message is not None and message.text is not None
    at = parse_local_time(message.text)
    if at is None:
        await message.reply_text(services(context).ui("onboarding.time_not_understood"))
        return TIME
    return await finish(update, context, at)


async def time_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sticker or photo where a time was asked for."""
    await update.effective_message.reply_text(services(context).ui("onboarding.time_text_only"))  # type: ignore[union-attr]
    return TIME


def register(application: Application) -> None:  # type: ignore[type-arg]
    flow = Flow(
        name="onboarding",
        entry_points=[CommandHandler("start", start)],
        states={
            ZONE: [
                CallbackQueryHandler(pick_place, pattern=PLACE_BUTTON_PATTERN),
                MessageHandler(WORDS, receive_zone),
                MessageHandler(NOT_WORDS, zone_not_text),
            ],
            TIME: [
                CallbackQueryHandler(time_button, pattern=TIME_BUTTON_PATTERN),
                MessageHandler(WORDS, typed_time),
                MessageHandler(NOT_WORDS, time_not_text),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.ONBOARDING)

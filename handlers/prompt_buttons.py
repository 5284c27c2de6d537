"""The two buttons under a daily prompt: "Later" and "Skip today".

    prompt ──"Later"──> "I'll bring it back around 10:00 PM"; the tick sends it once more, 2 h on
    prompt ──"Skip today"──> one kind line, and nothing more that day
    "Later" again (twice, or on the re-sent copy) ──> it stays where it is: never a third copy

A button carries ``prompt:<later|skip>:<local date>`` and is matched by an anchored pattern; the
date is then checked against the prompt actually sent to this person, so an old, forged or
foreign button changes nothing and gets the usual "expired" answer. The re-send itself is only
recorded here (``again_at`` on the prompt's delivery); ``scheduler.ticker`` sends it, so a
restart in between loses nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ContextTypes

from bot.content.ui import UiTexts
from bot.formatting import show_time
from bot.locales import sender_locale
from bot.services import services
from handlers.entry_text import close_keyboard
from handlers.groups import HandlerGroup
from scheduler.timecalc import is_valid_zone, local_date_of
from storage.models import Delivery, DeliveryKind, DeliveryStatus, Person

# "Later" brings the prompt back once, this long after the press.
PROMPT_AGAIN_AFTER = timedelta(hours=2)

CB_LATER = "prompt:later:"
CB_SKIP = "prompt:skip:"
_DATE = r"(\d{4}-\d{2}-\d{2})"
LATER_PATTERN = rf"^{CB_LATER}{_DATE}\Z"
SKIP_PATTERN = rf"^{CB_SKIP}{_DATE}\Z"

# Kept in the delivery's error column, so the record says why nothing was re-sent.
SKIPPED_BY_PERSON = "skipped_by_person"


def prompt_keyboard(ui: UiTexts, local_date: str) -> InlineKeyboardMarkup:
    """The buttons under the prompt of ``local_date`` (and under its one re-send)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ui("scheduler.later_button"), callback_data=f"{CB_LATER}{local_date}"
                ),
                InlineKeyboardButton(
                    ui("scheduler.skip_button"), callback_data=f"{CB_SKIP}{local_date}"
                ),
            ]
        ]
    )


async def _pressed_prompt(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Person, date, Delivery] | None:
    """The person and the local date of the prompt whose button this is, if it was really sent."""
    chat = update.effective_chat
    if chat is None or not context.matches:
        return None
    try:
        day = date.fromisoformat(context.matches[0].group(1))
    except ValueError:  # well-shaped but no such day, e.g. 2026-02-30
        return None
    # A tap the moment the prompt arrived may come before the prompt's record.
    await services(context).sends_in_flight.recorded(chat.id)
    repo = services(context).repo
    person = await repo.get_person(chat.id)
    if person is None or not person.time_zone or not is_valid_zone(person.time_zone):
        return None
    prompt = await repo.get_delivery(chat.id, DeliveryKind.PROMPT, day.isoformat())
    if prompt is None or prompt.status is not DeliveryStatus.SENT:
        return None
    return person, day, prompt


async def later(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Later" button: bring the prompt back once, two hours on, and say when."""
    svc = services(context)
    query = update.callback_query
    assert query is not None
    found = await _pressed_prompt(update, context)
    if found is None:
        await query.answer(svc.ui("common.expired_button_toast"))
        raise ApplicationHandlerStop
    person, day, prompt = found
    zone = ZoneInfo(person.time_zone or "UTC")
    again_at = svc.clock.now() + PROMPT_AGAIN_AFTER
    await query.answer()
    await close_keyboard(query)
    resent = await svc.repo.get_delivery(person.chat_id, DeliveryKind.PROMPT_AGAIN, day.isoformat())
    if prompt.again_at is not None or resent is not None:
        # Already coming back, already came back, or skipped: never a third copy.
        text = svc.ui("scheduler.later_once")
    elif local_date_of(again_at, zone) != day:
        # Past midnight it would be tomorrow's question at night: better left where it is.
        text = svc.ui("scheduler.later_too_late")
    elif await svc.repo.schedule_prompt_again(person.chat_id, day.isoformat(), again_at):
        text = svc.ui(
            "scheduler.later_ok",
            time=show_time(again_at.astimezone(zone).time(), sender_locale(update)),
        )
    else:
        text = svc.ui("scheduler.later_once")
    await context.bot.send_message(person.chat_id, text)
    raise ApplicationHandlerStop


async def skip_today(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Skip today" button: let the prompt go, with one kind line and no re-send."""
    svc = services(context)
    query = update.callback_query
    assert query is not None
    found = await _pressed_prompt(update, context)
    if found is None:
        await query.answer(svc.ui("common.expired_button_toast"))
        raise ApplicationHandlerStop
    person, day, _ = found
    now = svc.clock.now()
    await svc.repo.clear_prompt_again(person.chat_id, day.isoformat())
    # Recording the day's re-send as skipped closes the day: a later "Later" brings nothing back.
    if await svc.repo.claim_delivery(
        person.chat_id, DeliveryKind.PROMPT_AGAIN, day.isoformat(), now
    ):
        await svc.repo.finish_delivery(
            person.chat_id,
            DeliveryKind.PROMPT_AGAIN,
            day.isoformat(),
            DeliveryStatus.SKIPPED,
            now,
            error=SKIPPED_BY_PERSON,
        )
    await query.answer()
    await close_keyboard(query)
    await context.bot.send_message(person.chat_id, svc.ui("scheduler.skip_ok"))
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handlers(
        [
            CallbackQueryHandler(later, pattern=LATER_PATTERN),
            CallbackQueryHandler(skip_today, pattern=SKIP_PATTERN),
        ],
        group=HandlerGroup.PROMPT_BUTTONS,
    )

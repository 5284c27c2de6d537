"""The optional routines check: sleep, meals and movement, one tap each.

    /routines (or the scheduler, after the daily prompt) ──> "How was your sleep?"
        [Okay] [Not great] [Skip] ──> the same message asks about meals, then movement
        ──> "Thanks. Noted for today: sleep okay, meals not great, movement skipped."

Only for people who turned it on in /settings (``person.routines_enabled``). Every tap is kept at
once, so stopping half-way loses nothing; tapping again the same day replaces that answer. The
button data carries the local date the check was offered for, so a tap the next morning still
counts for the day it was about, and a check more than a day old is politely left alone.

Not a conversation: each tap stands on its own, so there is no state to keep or time out.
``offer_routines_check`` is what the scheduler calls after a daily prompt.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.content.ui import UiTexts
from bot.recap import local_today
from bot.services import Services, services
from handlers.entry_text import close_keyboard
from handlers.groups import HandlerGroup
from storage.models import ROUTINE_PARTS, Person, RoutineAnswer, RoutineCheck

log = logging.getLogger(__name__)

CB = "rtn"
_ANSWERS = {
    "okay": RoutineAnswer.OKAY,
    "bad": RoutineAnswer.NOT_GREAT,
    "skip": RoutineAnswer.SKIPPED,
}
_CODES = {answer: code for code, answer in _ANSWERS.items()}
PATTERN = rf"^{CB}:({'|'.join(ROUTINE_PARTS)}):({'|'.join(_ANSWERS)}):(\d{{8}})\Z"
# A check can be answered on its own day and the day after (a late-evening check answered in
# the morning); anything older is left as it was.
MAX_AGE_DAYS = 1


def _keyboard(ui: UiTexts, part: str, day: date) -> InlineKeyboardMarkup:
    stamp = day.strftime("%Y%m%d")
    labels = (("okay", "okay_button"), ("bad", "not_great_button"), ("skip", "skip_button"))
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ui(f"routines_check.{key}"), callback_data=f"{CB}:{part}:{code}:{stamp}"
                )
                for code, key in labels
            ]
        ]
    )


def _summary(ui: UiTexts, check: RoutineCheck) -> str:
    """ "sleep okay, meals not great, movement skipped" for the parts answered."""
    said = []
    for part in ROUTINE_PARTS:
        answer = check.answer(part)
        if answer is not None:
            said.append(
                ui(f"routines_check.answer_{answer}", part=ui(f"routines_check.part_{part}"))
            )
    return ", ".join(said)


def _fully_answered(check: RoutineCheck) -> bool:
    return all(check.answer(part) is not None for part in ROUTINE_PARTS)


async def send_check(bot: Bot, ui: UiTexts, chat_id: int, day: date) -> Message:
    """The first question of the check, with its three buttons."""
    return await bot.send_message(
        chat_id, ui("routines_check.ask_sleep"), reply_markup=_keyboard(ui, "sleep", day)
    )


async def offer_routines_check(bot: Bot, services: Services, person: Person) -> Message | None:
    """Offer today's check if the person turned it on and hasn't answered it all today.

    For the scheduler, right after the daily prompt. Returns the message sent, or None when
    nothing was offered. Send errors (a blocked bot, say) are the caller's to handle, as for
    the prompt itself.
    """
    if not (person.routines_enabled and person.active):
        return None
    day = local_today(person, services.clock.now())
    existing = await services.repo.list_routine_checks(person.chat_id, day, day)
    if existing and _fully_answered(existing[0]):
        return None
    return await send_check(bot, services.ui, person.chat_id, day)


async def routines_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/routines: today's check, or a pointer to /settings when it is off."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    person = await svc.repo.get_person(chat_id)
    if person is None or not person.routines_enabled:
        await update.effective_message.reply_text(svc.ui("routines_check.off"))  # type: ignore[union-attr]
        raise ApplicationHandlerStop
    await send_check(context.bot, svc.ui, chat_id, local_today(person, svc.clock.now()))
    raise ApplicationHandlerStop


async def answer_tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep one answer, then ask the next part in the same message (or say thanks)."""
    svc = services(context)
    query = update.callback_query
    assert query is not None and query.data is not None
    _, part, code, stamp = query.data.split(":")
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    person = await svc.repo.get_person(chat_id)
    try:
        day = date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    except ValueError:  # forged data: not a real date
        await query.answer(svc.ui("common.expired_button_toast"))
        raise ApplicationHandlerStop from None
    if person is None or not person.routines_enabled:
        await query.answer(svc.ui("routines_check.off_toast"))
        await close_keyboard(query)
        raise ApplicationHandlerStop
    today = local_today(person, svc.clock.now())
    if not today - timedelta(days=MAX_AGE_DAYS) <= day <= today:
        await query.answer(svc.ui("routines_check.expired_toast"))
        await close_keyboard(query)
        raise ApplicationHandlerStop
    check = await svc.repo.record_routine_answer(
        chat_id, day, part, _ANSWERS[code], svc.clock.now()
    )
    await query.answer()
    position = ROUTINE_PARTS.index(part)
    following = ROUTINE_PARTS[position + 1] if position + 1 < len(ROUTINE_PARTS) else None
    try:
        if following is None:
            await query.edit_message_text(
                svc.ui("routines_check.done", summary=_summary(svc.ui, check))
            )
        else:
            await query.edit_message_text(
                svc.ui(f"routines_check.ask_{following}"),
                reply_markup=_keyboard(svc.ui, following, day),
            )
    except BadRequest as exc:  # the message is gone or unchanged; the answer is kept anyway
        log.info("routines check not edited: %s", exc.message)
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    # A plain command and its buttons; they stop here so the catch-alls never answer on top.
    application.add_handlers(
        [
            CommandHandler("routines", routines_command),
            CallbackQueryHandler(answer_tapped, pattern=PATTERN),
        ],
        group=HandlerGroup.COMMANDS,
    )

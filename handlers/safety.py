"""The crisis check on every message, the "are you safe right now?" question, and /resume.

Crisis check (group -5, before every flow): each text or caption a person sends, in any
conversation or outside one, is read by ``bot.safety`` and answered by its level:

crisis (clear danger)
    end whatever flow the person was in (and any breathing timer)
    ──> one reply: care, the help lines for their country (abuse lines first when the danger
        comes from someone else), their trusted person, and the direct question "are you safe
        right now?" (safe / not safe / rather not say), a link to the helpline directory and
        "Ground with me"; never a reframe, a celebration or a prompt
    ──> if they were recording an entry (/win, /setback, /reflect, or answering today's daily
        prompt), keep what they wrote as that entry, tagged ``crisis_flagged`` (a hard moment
        everywhere); otherwise keep nothing
    ──> until their next local day nothing cheers (``handlers.tender``), and the next daily
        prompt is a gentle one

check (something a person in danger might say, or might not)
    hold the message, nothing ended and nothing stored
    ──> one message asking directly and gently whether they are safe right now, with the same
        buttons and help one tap away
    ──> "safe right now": thanks, and the held message goes on to where it was going (the
        flow continues, the entry stays what it was)
    ──> "not safe": the crisis answer, led by the emergency number
    ──> "rather not say", or no answer and another message: respected, no nagging; the held
        message goes on, and help stays one tap away

distress (hurting, not danger)
    outside a flow and an open daily prompt: warmth and /pause first; inside, nothing interrupts

Only the level is logged (``crisis_check level=check``), never the words.

/resume (group 50): nudges quieted through /pause or /settings come back now, with the next
prompt and recap computed from now, so nothing that fell due meanwhile piles up.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.locales import sender_locale
from bot.safety import Assessment, CrisisDetector, Level, load_crisis_detector
from bot.services import Services, services
from bot.update_keys import current_update_key
from handlers import pause
from handlers.entry_text import DRAFT_KEY, clip_entry_text, text_after_command
from handlers.flow import end_all_flows, flows
from handlers.groups import HandlerGroup
from handlers.prompt_reply import open_prompt
from handlers.settings import show_when
from handlers.tender import is_tender, mark_tender
from scheduler.plan import schedule_fields
from storage.models import CRISIS_TAG, EntryKind, NewEntry, Person

log = logging.getLogger(__name__)


CB = "safety"
ANSWERS = ("safe", "unsafe", "skip")
# A message held while the person is asked whether they are safe: its update, and what it was
# part of, in their persisted user_data (so a restart keeps it).
HELD_KEY = "safety_held"
# The update id of a held message sent on after the question: the check lets it through once.
RELEASED_KEY = "safety_released"

# Flows in which what a person types becomes an entry, and the kind of entry it becomes.
RECORDING_FLOWS: dict[str, EntryKind] = {
    "win": EntryKind.WIN,
    "setback": EntryKind.SETBACK,
    "reflect": EntryKind.SOCIAL,
}
# Commands whose words after them are the entry's first answer ("/win I waited").
RECORDING_COMMANDS: dict[str, EntryKind] = {
    "/win": EntryKind.WIN,
    "/setback": EntryKind.SETBACK,
}


@dataclass(frozen=True, slots=True)
class Recording:
    """The entry a crisis message was part of: its kind, the prompt it answered, its text."""

    kind: EntryKind
    text: str
    prompt_id: str | None = None


async def entry_being_recorded(
    svc: Services, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int, words: str
) -> Recording | None:
    """The entry the person was writing when they sent ``words``, if any.

    Read before their flow is ended: inside /win, /setback or /reflect it is that kind of entry
    (with what they wrote earlier in it, so nothing they typed is lost); "/win <words>" starts
    one; outside every flow, an open daily prompt means the words were its answer, as
    ``handlers.prompt_reply`` would have taken them.
    """
    active = [
        flow.name
        for flow in flows(context.application)
        if flow.active_state(chat_id, user_id) is not None
    ]
    if words.startswith("/"):
        command = words.split(maxsplit=1)[0].split("@", 1)[0].lower()
        after = text_after_command(words).strip()
        kind = RECORDING_COMMANDS.get(command)
        return Recording(kind, after) if kind is not None and after else None
    for name in active:
        if name in RECORDING_FLOWS:
            draft = (context.user_data or {}).get(DRAFT_KEY)
            earlier = (
                draft.get("text") if isinstance(draft, dict) and draft.get("flow") == name else None
            )
            if isinstance(earlier, str) and earlier.strip():
                return Recording(RECORDING_FLOWS[name], f"{earlier}\n\n{words}")
            return Recording(RECORDING_FLOWS[name], words)
    if active:
        return None
    delivery = await open_prompt(svc, chat_id)
    if delivery is not None:
        return Recording(EntryKind.REFLECTION, words, delivery.prompt_id)
    return None


async def crisis_check(
    update: Update, context: ContextTypes.DEFAULT_TYPE, detector: CrisisDetector
) -> None:
    """Answer each message by the level the detector reads in it (see the module's story)."""
    message = update.effective_message
    chat, user = update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    user_data = context.user_data if context.user_data is not None else {}
    if user_data.get(RELEASED_KEY) == update.update_id:
        user_data.pop(RELEASED_KEY, None)
        return  # held for the safety question, and now sent on where it was going
    words = message.text or message.caption
    if not words:
        return
    # A command's own name is not the person's words ("/week of the 3rd" is about a week).
    said = text_after_command(words) if words.startswith("/") else words
    assessment = detector.assess(said)
    if assessment.level is not Level.CRISIS and not words.startswith("/"):
        # Earlier today they got the crisis answer or the question: "tonight" is an answer.
        # Read without the database first, so only a reply that would change reads it.
        as_answer = detector.assess(said, after_alarm=True)
        if as_answer.level > assessment.level and await is_tender(services(context), chat.id):
            assessment = as_answer
    if assessment.level is not Level.NONE:
        log.info("crisis_check level=%s", assessment.level.name.lower())
    if assessment.level is Level.CRISIS:
        await answer_crisis(update, context, assessment, words)
    elif assessment.level is Level.CHECK and update.edited_message is None:
        await ask_if_safe(update, context, words)
    if HELD_KEY in user_data:
        # They wrote on instead of answering: respected. What was held goes first, then this.
        await release_held(context, chat.id)
    if assessment.level is Level.DISTRESS:
        await answer_distress(update, context, chat.id, user.id)


async def answer_crisis(
    update: Update, context: ContextTypes.DEFAULT_TYPE, assessment: Assessment, words: str
) -> None:
    """The crisis answer: care, help that fits, the safety question; and nothing else.

    The reply comes first and does not depend on the database: if storage fails, the person
    still gets the help lines (the default ones, when their country cannot be read).
    """
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    svc = services(context)
    person, recording = await person_and_recording(svc, context, update, words)
    context.user_data.pop(HELD_KEY, None)  # type: ignore[union-attr]
    await send_crisis_reply(context, chat.id, user.id, svc, person, assessment.about_others)
    try:
        await keep_what_was_written(svc, chat.id, recording)
    except Exception as error:  # the reply went out; a storage failure must not follow it
        log.error("crisis_check storage failed type=%s", type(error).__name__)
    raise ApplicationHandlerStop


async def send_crisis_reply(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    user_id: int,
    svc: Services,
    person: Person | None,
    about_others: bool,
    *,
    unsafe: bool = False,
) -> None:
    """End every flow, then one message with the help and the question; never a reframe."""
    end_all_flows(context.application, chat_id, user_id)
    context.user_data.pop(DRAFT_KEY, None)  # type: ignore[union-attr]
    # A breathing timer, if one runs, sees the pause flow has ended and stops by itself.
    await context.bot.send_message(
        chat_id,
        crisis_reply(svc, person, about_others=about_others, unsafe=unsafe),
        reply_markup=safety_keyboard(svc, person, ask=not unsafe),
        disable_web_page_preview=True,
    )


async def person_and_recording(
    svc: Services, context: ContextTypes.DEFAULT_TYPE, update: Update, words: str
) -> tuple[Person | None, Recording | None]:
    """Who is writing and what they were recording, read before any flow ends; a storage
    failure leaves either unknown rather than stopping the answer."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    person: Person | None = None
    recording: Recording | None = None
    try:
        if update.edited_message is None:  # an edit of an old message records nothing
            recording = await entry_being_recorded(svc, context, chat.id, user.id, words.strip())
        person = await svc.repo.get_person(chat.id)
    except Exception as error:
        log.error("crisis_check storage failed type=%s", type(error).__name__)
    return person, recording


def crisis_reply(
    svc: Services, person: Person | None, *, about_others: bool = False, unsafe: bool = False
) -> str:
    """Care first (the emergency number first when they are not safe), every help line, the
    trusted person, then the direct question."""
    emergency = svc.library.help_for(person.country if person else None).emergency
    lead = svc.ui("safety.unsafe_lead", emergency=emergency) if unsafe else svc.ui("safety.reply")
    parts = [pause.help_text(svc, person, lead, about_others=about_others)]
    parts.append(svc.ui("safety.ground_offer" if unsafe else "safety.are_you_safe"))
    return "\n\n".join(parts)


def safety_keyboard(svc: Services, person: Person | None, *, ask: bool) -> InlineKeyboardMarkup:
    """The three answers to "are you safe right now?", help near them, and grounding."""
    rows: list[list[InlineKeyboardButton]] = []
    if ask:
        rows.append(
            [
                InlineKeyboardButton(svc.ui(f"safety.{a}_button"), callback_data=f"{CB}:{a}")
                for a in ANSWERS[:2]
            ]
        )
        rows.append(
            [InlineKeyboardButton(svc.ui("safety.skip_button"), callback_data=f"{CB}:skip")]
        )
    rows.append(
        [
            InlineKeyboardButton(
                svc.ui("pause.directory_button"), url=pause.directory_url(svc, person)
            )
        ]
    )
    rows.append(list(pause.ground_keyboard(svc.ui).inline_keyboard[0]))
    return InlineKeyboardMarkup(rows)


# --- the check: one direct question, the message held until it is answered -----------------


@dataclass(frozen=True, slots=True)
class Held:
    """A message held while its writer is asked whether they are safe."""

    update: dict[str, Any]
    recording: dict[str, Any] | None


async def ask_if_safe(update: Update, context: ContextTypes.DEFAULT_TYPE, words: str) -> None:
    """Hold the message, ask once, directly and gently; nothing ended, nothing stored."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    svc = services(context)
    person, recording = await person_and_recording(svc, context, update, words)
    if HELD_KEY in context.user_data:  # type: ignore[operator]
        await release_held(context, chat.id)  # an earlier question left unanswered
    context.user_data[HELD_KEY] = asdict(  # type: ignore[index]
        Held(update.to_dict(), asdict(recording) if recording else None)
    )
    await message.reply_text(
        svc.ui("safety.check_question"),
        reply_markup=safety_keyboard(svc, person, ask=True),
        disable_web_page_preview=True,
    )
    try:
        await mark_tender(svc, chat.id)
    except Exception as error:
        log.error("crisis_check storage failed type=%s", type(error).__name__)
    raise ApplicationHandlerStop


async def release_held(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Send a held message on to where it was going, past the check, exactly as it was."""
    held = context.user_data.pop(HELD_KEY, None)  # type: ignore[union-attr]
    if not isinstance(held, dict) or not isinstance(held.get("update"), dict):
        return
    update = Update.de_json(held["update"], context.bot)
    if update is None:
        return
    context.user_data[RELEASED_KEY] = update.update_id  # type: ignore[index]
    await context.application.process_update(update)


async def safety_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One tap on "safe right now", "not safe" or "rather not say"."""
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    assert query is not None and query.data is not None and chat is not None and user is not None
    svc = services(context)
    answer = query.data.split(":", 1)[1]
    await query.answer()
    # Only the answers go; the help stays. A failed edit only leaves them on screen.
    with contextlib.suppress(TelegramError, AttributeError):
        await query.edit_message_reply_markup(
            InlineKeyboardMarkup(query.message.reply_markup.inline_keyboard[2:])  # type: ignore[union-attr]
        )
    person = await svc.repo.get_person(chat.id)
    held = context.user_data.get(HELD_KEY) if context.user_data is not None else None
    if answer == "unsafe":
        log.info("safety_answer unsafe=1")
        context.user_data.pop(HELD_KEY, None)  # type: ignore[union-attr]
        recording = _recording(held)
        await send_crisis_reply(context, chat.id, user.id, svc, person, False, unsafe=True)
        await keep_what_was_written(svc, chat.id, recording)  # which marks them tender too
    elif answer == "safe":
        await context.bot.send_message(
            chat.id, svc.ui("safety.safe_thanks_held" if held else "safety.safe_thanks")
        )
        await release_held(context, chat.id)
    else:
        await context.bot.send_message(chat.id, svc.ui("safety.skip_reply"))
        await release_held(context, chat.id)
    raise ApplicationHandlerStop


def _recording(held: object) -> Recording | None:
    if not isinstance(held, dict) or not isinstance(held.get("recording"), dict):
        return None
    raw = held["recording"]
    try:
        return Recording(EntryKind(raw["kind"]), str(raw["text"]), raw.get("prompt_id"))
    except (KeyError, ValueError):
        return None


# --- distress: warmth and /pause first, outside a practice ----------------------------------


async def answer_distress(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
) -> None:
    """Outside every flow and open prompt, warmth and /pause; inside one, nothing interrupts."""
    message = update.effective_message
    if message is None or update.edited_message is not None:
        return
    words = message.text or message.caption or ""
    if words.startswith("/"):
        return
    if any(f.active_state(chat_id, user_id) is not None for f in flows(context.application)):
        return
    svc = services(context)
    # The answer to today's prompt is kept and thanked without presuming; but in the day after
    # a crisis or a check, warmth comes first ("I can't call anyone, no one would understand").
    if not await is_tender(svc, chat_id) and await open_prompt(svc, chat_id) is not None:
        return
    await message.reply_text(
        svc.ui("safety.distress_reply"), reply_markup=pause.ground_keyboard(svc.ui)
    )
    raise ApplicationHandlerStop


async def keep_what_was_written(svc: Services, chat_id: int, recording: Recording | None) -> None:
    """Save the words only if the person was recording an entry; mark the next prompt gentle."""
    now = svc.clock.now()
    if recording is not None:
        text, _ = clip_entry_text(recording.text)
        await svc.repo.ensure_person(chat_id, now)
        await svc.repo.add_entry(
            NewEntry(
                chat_id=chat_id,
                kind=recording.kind,
                update_key=current_update_key(recording.kind),
                created_at=now,
                text=text,
                tags=[CRISIS_TAG],
                prompt_id=recording.prompt_id,
            )
        )
    await mark_tender(svc, chat_id)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Nudges back now; the next ones computed from now, so nothing piles up."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    message = update.effective_message
    assert message is not None
    now = svc.clock.now()
    person = await svc.repo.get_person(chat_id)
    if person is None or not person.is_quiet(now):
        await message.reply_text(svc.ui("resume.not_quiet"))
    else:
        person = await svc.repo.update_person(
            chat_id, quiet_until=None, **schedule_fields(replace(person, quiet_until=None), now)
        )
        if person.next_prompt_at is None:
            await message.reply_text(svc.ui("resume.resumed_no_prompt"))
        else:
            when = show_when(person.next_prompt_at, person, sender_locale(update), svc.ui)
            await message.reply_text(svc.ui("resume.resumed", when=when))
    raise ApplicationHandlerStop  # answered: the unknown-command catch-all stays quiet


def register(application: Application) -> None:  # type: ignore[type-arg]
    detector = load_crisis_detector()
    words = (filters.TEXT | filters.CAPTION) & filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(words, partial(crisis_check, detector=detector)), group=HandlerGroup.CRISIS
    )
    application.add_handler(
        CallbackQueryHandler(safety_answer, pattern=rf"^{CB}:({'|'.join(ANSWERS)})\Z"),
        group=HandlerGroup.CRISIS,
    )
    application.add_handler(CommandHandler("resume", resume), group=HandlerGroup.COMMANDS)

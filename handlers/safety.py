"""The crisis check on every message, and /resume.

Crisis check (group -5, before every flow): each text or caption a person sends, in any
conversation or outside one, is checked by ``bot.safety`` for words of suicidal thoughts,
self-harm or immediate danger. On a match:

    end whatever flow the person was in (and any breathing timer)
    ──> one reply: care, every help line for their country, their trusted person, and a
        "Ground with me" button; never a reframe, a celebration or a prompt
    ──> if they were recording an entry (/win, /setback, /reflect, or answering today's daily
        prompt), keep what they wrote as that entry, tagged ``crisis_flagged``; otherwise
        keep nothing
    ──> the next daily prompt will be a gentle one
    ──> no other handler answers

Only the fact of a match is logged (``crisis_check matched=1``), never the words.

/resume (group 50): nudges quieted through /pause or /settings come back now, with the next
prompt and recap computed from now, so nothing that fell due meanwhile piles up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import partial

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.formatting import locale_for
from bot.safety import CrisisDetector, load_crisis_detector
from bot.services import Services, services
from handlers import pause
from handlers.entry_text import DRAFT_KEY, clip_entry_text, text_after_command
from handlers.flow import end_all_flows, flows
from handlers.prompt_reply import open_prompt
from handlers.settings import show_when
from scheduler.plan import schedule_fields
from storage.models import CRISIS_TAG, EntryKind, NewEntry, Person

log = logging.getLogger(__name__)

GROUP_CRISIS = -5
GROUP_RESUME = 50

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
    """Answer a crisis message with care and help, and nothing else.

    The reply comes first and does not depend on the database: if storage fails, the person
    still gets the help lines (the default ones, when their country cannot be read).
    """
    message = update.effective_message
    chat, user = update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    words = message.text or message.caption
    if not words or not detector.matches(words):
        return
    log.info("crisis_check matched=1")
    svc = services(context)
    recording: Recording | None = None
    person: Person | None = None
    try:
        if update.edited_message is None:  # an edit of an old message records nothing
            recording = await entry_being_recorded(svc, context, chat.id, user.id, words.strip())
        person = await svc.repo.get_person(chat.id)
    except Exception as error:
        log.error("crisis_check storage failed type=%s", type(error).__name__)
    end_all_flows(context.application, chat.id, user.id)
    context.user_data.pop(DRAFT_KEY, None)  # type: ignore[union-attr]
    # A breathing timer, if one runs, sees the pause flow has ended and stops by itself.
    await message.reply_text(
        crisis_reply(svc, person),
        reply_markup=pause.ground_keyboard(svc.ui),
        disable_web_page_preview=True,
    )
    try:
        await keep_what_was_written(svc, chat.id, recording)
    except Exception as error:  # the reply went out; a storage failure must not follow it
        log.error("crisis_check storage failed type=%s", type(error).__name__)
    raise ApplicationHandlerStop


def crisis_reply(svc: Services, person: Person | None) -> str:
    """Care first, then every help line, the trusted person, and the offer to ground."""
    return "\n\n".join(
        [pause.help_text(svc, person, svc.ui("safety.reply")), svc.ui("safety.ground_offer")]
    )


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
                created_at=now,
                text=text,
                tags=[CRISIS_TAG],
                prompt_id=recording.prompt_id,
            )
        )
    await pause.mark_next_prompt_gentle(svc, chat_id)


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
            locale = locale_for(
                update.effective_user.language_code if update.effective_user else None
            )
            when = show_when(person.next_prompt_at, person, locale, svc.ui)
            await message.reply_text(svc.ui("resume.resumed", when=when))
    raise ApplicationHandlerStop  # answered: the unknown-command catch-all stays quiet


def register(application: Application) -> None:  # type: ignore[type-arg]
    detector = load_crisis_detector()
    words = (filters.TEXT | filters.CAPTION) & filters.ChatType.PRIVATE
    application.add_handler(
        MessageHandler(words, partial(crisis_check, detector=detector)), group=GROUP_CRISIS
    )
    application.add_handler(CommandHandler("resume", resume), group=GROUP_RESUME)

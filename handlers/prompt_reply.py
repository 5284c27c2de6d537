"""A free-text answer to today's daily reflection.

The scheduler sends the daily prompt and records it as a delivery (kind ``prompt`` or
``prompt_again``, status ``sent``, with its ``prompt_id``). A text that arrives outside every
flow within ``ANSWER_WINDOW`` of the latest sent prompt, while no reflection on that prompt has
been kept since it was sent, is that answer: it is saved as a ``reflection`` entry carrying the
prompt's id, and the bot replies with a short acknowledgement chosen for the prompt's theme.
An acknowledgement never presumes what the answer said (a reply of "Harsh" is not told it went
well): it names the question's theme and thanks the person. After a crisis, until the person's
next local day, it is plain thanks only (handlers/tender.py).

Anything else (no open prompt, already answered) passes on to the catch-all's gentle pointer.
A sticker or voice note while a prompt is open gets a kind word that typed answers work best.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot.services import Services, services
from bot.update_keys import current_update_key
from handlers.entry_text import (
    NOT_WORDS,
    WORDS,
    read_entry_text,
    recently_said,
    remember_said,
)
from handlers.groups import HandlerGroup
from storage.models import Delivery, EntryKind, NewEntry, Person

# A prompt stays open for an answer this long after it was sent: the evening of a morning
# prompt, or the next morning of an evening one, but not the day after that.
ANSWER_WINDOW = timedelta(hours=18)


async def open_prompt(svc: Services, chat_id: int) -> Delivery | None:
    """The prompt waiting for this person's answer, if there is one."""
    # An answer typed the moment the prompt arrived may come before the prompt's record.
    await svc.sends_in_flight.recorded(chat_id)
    delivery = await svc.repo.latest_sent_prompt(chat_id, svc.clock.now() - ANSWER_WINDOW)
    if delivery is None or delivery.prompt_id is None or delivery.sent_at is None:
        return None
    since_sent = await svc.repo.list_entries(
        chat_id, kinds=[EntryKind.REFLECTION], since=delivery.sent_at, limit=1000
    )
    if any(entry.prompt_id == delivery.prompt_id for entry in since_sent):
        return None
    return delivery


def acknowledgement(svc: Services, person: Person, prompt_id: str, recent: list[str]) -> str:
    """A reply fitting the prompt's theme, none of the ``recent`` ones while another is left;
    a plain one if the prompt left the library, and plain thanks while the person is tender."""
    if person.is_tender(svc.clock.now()):
        return svc.ui("prompt_answer.tender_acknowledgement")
    try:
        theme = svc.library.prompt(prompt_id).theme
        return svc.library.acknowledgement(theme, svc.rng, recent)
    except KeyError:
        return svc.ui("prompt_answer.plain_acknowledgement")


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep the text as the answer to the open prompt, if one is open."""
    svc = services(context)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    delivery = await open_prompt(svc, chat_id)
    if delivery is None:
        return  # not an answer: the catch-all replies
    assert delivery.prompt_id is not None
    text = await read_entry_text(update, context)
    now = svc.clock.now()
    person = await svc.repo.ensure_person(chat_id, now)
    await svc.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.REFLECTION,
            update_key=current_update_key(EntryKind.REFLECTION),
            created_at=now,
            text=text,
            prompt_id=delivery.prompt_id,
        )
    )
    said = acknowledgement(svc, person, delivery.prompt_id, recently_said(context))
    remember_said(context, said)
    await update.effective_message.reply_text(  # type: ignore[union-attr]
        svc.ui("prompt_answer.saved", acknowledgement=said)
    )
    raise ApplicationHandlerStop


async def answer_not_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo or voice note while a prompt is open: typed words work best."""
    svc = services(context)
    if await open_prompt(svc, update.effective_chat.id) is None:  # type: ignore[union-attr]
        return
    await update.effective_message.reply_text(svc.ui("prompt_answer.not_text"))  # type: ignore[union-attr]
    raise ApplicationHandlerStop


def register(application: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    application.add_handlers(
        [
            MessageHandler(private & WORDS, answer),
            MessageHandler(private & NOT_WORDS, answer_not_words),
        ],
        group=HandlerGroup.PROMPT_REPLY,
    )

"""Shared helpers for the daily-practice flows (/win, /setback, /reflect, prompt answers).

Reading a person's free text the same way everywhere: surrounding whitespace trimmed, kept up to
``MAX_ENTRY_CHARS`` as Telegram counts characters (the person is told when it was cut), text
after a command taken as the first answer, and a kind re-ask when a sticker, photo or voice note
arrives where words were asked for; and showing it back within one message (``fit_words``).
Plus the small chores every button step shares: closing a keyboard once it has been used,
refusing a button whose value is not one we offered, and the per-person draft.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes, filters

from bot.content.library import MESSAGE_MAX_UTF16, utf16_length
from bot.services import services

log = logging.getLogger(__name__)

# The most of one free text we keep, in characters as Telegram counts them (UTF-16 code units:
# an emoji is two): a whole Telegram message, so nothing a person sends in one message is lost.
# Where it is shown back, it is shortened in what is shown (``fit_words``) or paged (/journal),
# never in what is kept. Longer texts (words after a command, say) are kept up to the limit and
# the person is told.
MAX_ENTRY_CHARS = MESSAGE_MAX_UTF16

# Control characters (a NUL byte, say) carry nothing a person means, and Telegram may refuse to
# send them back in /journal: they are dropped from what is kept. Tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A text made only of these shows as nothing at all: spaces of any width, zero-width and
# direction marks, blank fillers, and the control characters above.
_INVISIBLE = (
    r"\s\x00-\x1f\x7f-\x9f\u00ad\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\u2800\u3164\ufeff"
)
_BLANK = re.compile(rf"[{_INVISIBLE}]*")
# A tag in the HTML the bot sends (Telegram shows what is between them, not the tags).
_TAG = re.compile(r"<[^>]*>")
BLANK = filters.Regex(re.compile(rf"\A[{_INVISIBLE}]*\Z"))

# What a step listens to. Each starts from UpdateType.MESSAGE on purpose: an inverted filter
# such as ~filters.TEXT alone also matches a button press (an update without a message), and
# the step would then swallow the press, unanswered, instead of the "expired" catch-all.
# A text with nothing visible in it is not words: it gets the same kind re-ask as a sticker.
WORDS = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & ~BLANK
NOT_WORDS = (
    filters.UpdateType.MESSAGE
    & (~filters.TEXT | BLANK)
    & ~filters.COMMAND
    & ~filters.StatusUpdate.ALL
)
ANY_MESSAGE = filters.UpdateType.MESSAGE & ~filters.COMMAND & ~filters.StatusUpdate.ALL

# Button patterns end in \Z rather than $ ($ also matches before a final newline, so forged
# "ref:heard:yes\n" would get through) and spell digits [0-9] (\d matches any Unicode digit).

# Where a flow keeps its answers between steps. Persisted as JSON: plain values only.
DRAFT_KEY = "draft"
# In a draft: the ids of the messages whose buttons the current step accepts (a few at most:
# the question and any re-asks of it).
LIVE_BUTTONS_KEY = "buttons_in"
MAX_LIVE_MESSAGES = 5
# In a draft: the questions already answered in one message (CARD_IN_KEY, the message that
# carries the live buttons), each with its answer (HTML), so the next edit of it keeps them.
CARD_KEY = "card"
CARD_IN_KEY = "card_in"
# In a person's user_data: the last few acknowledgements they read (a win's celebration, a
# prompt answer's thanks), so none repeats within that many. Kindling's words, not theirs.
RECENTLY_SAID_KEY = "recently_said"
RECENTLY_SAID_KEPT = 6


def visible_text(raw: str) -> str:
    """A person's text without control characters and trimmed; "" when nothing is visible."""
    text = _CONTROL.sub("", raw).strip()
    return "" if _BLANK.fullmatch(text) else text


def clip_entry_text(raw: str) -> tuple[str, bool]:
    """The text to keep (trimmed, at most ``MAX_ENTRY_CHARS``) and whether it was cut."""
    text = visible_text(raw)
    if utf16_length(text) <= MAX_ENTRY_CHARS:
        return text, False
    return _first_units(text, MAX_ENTRY_CHARS).rstrip(), True


def _first_units(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 units, never half a character (nor
    a joiner or variation selector left dangling at its end)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index].rstrip("\u200d\ufe0f")
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` as shown where at most ``limit`` UTF-16 units fit: whole, or cut with "…"."""
    if utf16_length(text) <= limit:
        return text
    return _first_units(text, max(0, limit - 1)).rstrip() + "…"


def in_parts(text: str, size: int) -> list[str]:
    """``text`` in parts of at most ``size`` UTF-16 units, each ending between words where a
    space comes in its second half; nothing but the spaces at the breaks is left out."""
    parts: list[str] = []
    rest = text
    while utf16_length(rest) > size:
        head = _first_units(rest, size)
        if not head:  # a single character wider than ``size``: nothing sensible to break
            break
        space = max(head.rfind(" "), head.rfind("\n"))
        if space > len(head) // 2:
            head = head[: space + 1]
        parts.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def shown_length(message_html: str) -> int:
    """How long Telegram counts a message we send as HTML: its text without the tags, with
    entities such as ``&lt;`` read as one character, in UTF-16 units."""
    return utf16_length(html.unescape(_TAG.sub("", message_html)))


def fit_words(render: Callable[[str], str], words: str) -> str:
    """The message ``render`` makes around a person's ``words``, fitted into one Telegram
    message: when the whole would be too long, the words are shortened in what is shown,
    never in what is kept. ``render`` escapes them itself."""
    message = render(words)
    limit = utf16_length(words)
    while shown_length(message) > MESSAGE_MAX_UTF16 and limit > 0:
        # Escaping may add a character or two (a direction override closed): measure again.
        limit = max(0, limit - (shown_length(message) - MESSAGE_MAX_UTF16))
        message = render(shorten(words, limit))
    return message


def text_after_command(text: str | None) -> str:
    """What follows "/win" on the same message ("/win I waited" -> "I waited"), or ""."""
    if not text or not text.startswith("/"):
        return ""
    parts = text.split(None, 1)
    return parts[1] if len(parts) > 1 and visible_text(parts[1]) else ""


async def keep_text(message: Message, context: ContextTypes.DEFAULT_TYPE, raw: str) -> str:
    """Clip a person's text to the limit, telling them when part of it could not be kept."""
    text, cut = clip_entry_text(raw)
    if cut:
        await message.reply_text(services(context).ui("common.text_trimmed", limit=MAX_ENTRY_CHARS))
    return text


async def open_with_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, flow: str, ask_key: str
) -> str | None:
    """Start ``flow``'s draft; return the words that came after the command (kept as its
    first answer), or None once the question ``ask_key`` was asked instead."""
    message = update.effective_message
    assert message is not None
    start_draft(context, flow)
    first_answer = text_after_command(message.text)
    if first_answer.strip():
        return await keep_text(message, context, first_answer)
    await message.reply_text(services(context).ui(ask_key))
    return None


async def read_entry_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The text of the person's message, ready to keep (see ``keep_text``)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await keep_text(message, context, message.text)


async def ask_for_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo or voice note where words were asked for: a kind re-ask."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(services(context).ui("common.not_text"))


async def close_keyboard(query: CallbackQuery) -> None:
    """Take the buttons off a message once one was used, so it cannot be pressed again.

    Failing to edit (the message is too old, or already has no buttons) changes nothing for
    the person, so it is logged and otherwise ignored.
    """
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:
        log.info("keyboard not closed: %s", exc.message)


async def send_with_buttons(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    draft: dict[str, Any],
    text: str,
    keyboard: InlineKeyboardMarkup,
    *,
    again: bool = False,
) -> None:
    """Ask with buttons, and remember which message carries the buttons that count now.

    A step accepts a press only from those messages (see ``from_live_message``), so a button
    left on an older message, from an earlier step or an earlier run of the flow, is refused
    instead of answering today's question. ``again`` re-offers the same buttons in a new
    message (after a sticker, say) while keeping the first one usable.
    """
    sent = await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    earlier = draft.get(LIVE_BUTTONS_KEY, []) if again else []
    draft[LIVE_BUTTONS_KEY] = [*earlier, sent.message_id][-MAX_LIVE_MESSAGES:]
    if not again:
        draft[CARD_KEY], draft[CARD_IN_KEY] = "", sent.message_id


async def answer_in_place(
    query: CallbackQuery,
    context: ContextTypes.DEFAULT_TYPE,
    draft: dict[str, Any],
    *,
    asked: str,
    chosen: str,
    then: str | None = None,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Write the tapped answer under its question, and go on in the same message.

    One edit does what taking the used buttons off and sending the next step did in two Bot
    API calls: the buttons that were used are gone (they cannot be pressed twice), every
    question stays on screen with the answer given under it, and ``then`` (the next question,
    with ``keyboard``, or the closing words) follows right below. ``asked`` is the question as
    first put (the tap may have come from a re-ask, whose wording differs); ``chosen`` is the
    tapped button's label, plain text. Should the edit fail, the answer and ``then`` come as a
    new message instead.
    """
    message = query.message
    assert message is not None
    chat_id = message.chat.id
    svc = services(context)
    # A tap on a re-ask starts that message's record afresh: the earlier answers are on screen
    # already, in the message that asked them.
    earlier = draft.get(CARD_KEY, "") if draft.get(CARD_IN_KEY) == message.message_id else ""
    answer = f"{asked}\n" + svc.ui("practice.chosen", choice=html.escape(chosen, quote=False))
    card = f"{earlier}{answer}"
    # A re-ask left the same buttons on another message too: they have nothing left to do.
    for message_id in draft.get(LIVE_BUTTONS_KEY, []):
        if message_id != message.message_id:
            await close_buttons(context, chat_id, message_id)
    try:
        await query.edit_message_text(
            card if then is None else f"{card}\n\n{then}", reply_markup=keyboard
        )
        carrier = message.message_id
    except BadRequest as exc:
        # Too old to edit, say: the answer and what follows come as a new message instead.
        log.info("answer not written in place: %s", exc.message)
        await close_buttons(context, chat_id, message.message_id)
        card = answer
        sent = await context.bot.send_message(
            chat_id, card if then is None else f"{card}\n\n{then}", reply_markup=keyboard
        )
        carrier = sent.message_id
    draft[CARD_KEY], draft[CARD_IN_KEY] = f"{card}\n\n", carrier
    draft[LIVE_BUTTONS_KEY] = [carrier] if keyboard is not None else []


async def close_buttons(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int) -> None:
    """``close_keyboard`` for a message known by its id rather than by a press on it."""
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as exc:
        log.info("keyboard not closed: %s", exc.message)


async def close_keyboards(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, draft: dict[str, Any]
) -> None:
    """Take the buttons off every message the current step offered (it was answered in words)."""
    for message_id in draft.pop(LIVE_BUTTONS_KEY, []):
        await close_buttons(context, chat_id, message_id)


def from_live_message(draft: dict[str, Any], query: CallbackQuery) -> bool:
    """Whether the pressed button sits on a message this step is waiting on."""
    message = query.message
    return message is not None and message.message_id in draft.get(LIVE_BUTTONS_KEY, [])


async def refuse_button(query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button whose value we never offered (forged or stale), changing nothing."""
    await query.answer(services(context).ui("common.expired_button_toast"))


def recently_said(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    """The acknowledgements this person read lately, oldest first (see ``remember_said``)."""
    said = (context.user_data or {}).get(RECENTLY_SAID_KEY)
    return list(said) if isinstance(said, list) else []


def remember_said(context: ContextTypes.DEFAULT_TYPE, line: str) -> None:
    """Note an acknowledgement this person read, so the next ones are different."""
    if context.user_data is not None:
        said = [*recently_said(context), line][-RECENTLY_SAID_KEPT:]
        context.user_data[RECENTLY_SAID_KEY] = said


def start_draft(context: ContextTypes.DEFAULT_TYPE, flow: str, **values: Any) -> dict[str, Any]:
    """A fresh draft for ``flow``, replacing whatever another flow left behind."""
    draft: dict[str, Any] = {"flow": flow, **values}
    context.user_data[DRAFT_KEY] = draft  # type: ignore[index]
    return draft


def get_draft(context: ContextTypes.DEFAULT_TYPE, flow: str) -> dict[str, Any] | None:
    """The draft of ``flow``, or None when it is missing or belongs to another flow."""
    draft = (context.user_data or {}).get(DRAFT_KEY)
    if isinstance(draft, dict) and draft.get("flow") == flow:
        return draft
    return None


def drop_draft(context: ContextTypes.DEFAULT_TYPE) -> None:
    context.user_data.pop(DRAFT_KEY, None)  # type: ignore[union-attr]


async def lost_track(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str) -> None:
    """The draft is gone (it should not be): say so plainly and offer the way back in."""
    message = update.effective_message
    if message is not None:
        await context.bot.send_message(
            message.chat_id, services(context).ui("practice.lost_track", command=command)
        )

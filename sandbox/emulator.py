"""An in-process emulator of the Telegram Bot API, served by aiohttp on loopback.

Why it exists: Kindling's end-to-end tests (and manual sandbox runs) must exercise the *real*
python-telegram-bot ``Application`` — its HTTP layer, long polling, handlers, error mapping and
rate limiter — without touching Telegram. Pointing the bot at
``ApplicationBuilder().base_url(emulator.base_url)`` makes every Bot API call arrive here as
``POST /bot<token>/<method>``, where it is validated the way Telegram validates it (same
``{"ok": false, "error_code", "description", "parameters"}`` shapes and description texts, HTML
and MarkdownV2 entity parsing, flood limits, blocked users), so bugs that would only show up in
production (an unescaped ``<`` from a person's own words, a 65-byte ``callback_data``, a
"message is not modified" edit, a 429 burst) fail the tests instead.

Tests drive the conversation from the person's side through :class:`EmulatedPerson`
(``send``, ``press``, ``block`` ...) and read what the bot did through :class:`SentMessage`
objects, ``next_message``/``expect`` cursors, ``calls`` and ``stats``. :class:`FaultPlan` injects
failures (error responses, slow responses, dropped connections). Live viewers (the sandbox's
web chat) ``subscribe`` to a chat and get every :class:`ChatEvent` (a message sent, edited or
deleted, the person's own messages, callback answers) as it happens.

Everything lives in memory and on the event loop that runs the server; person actions must be
awaited on that same loop. Waiting is event-driven through one ``asyncio.Condition`` that is
notified on every state change: there are no polling sleeps.

A bot run in the same process can tell the emulator when it has finished with each update it
was handed (``BotApiEmulator.watching_bot``; ``sandbox.runner.running_bot`` does this), so that
``EmulatedPerson.wait_until_quiet`` returns as soon as the bot is done instead of waiting for
half a second of silence. The emulator imports nothing of the bot's: the bot's side is handed in.

Where it knowingly differs from Telegram (so a green test means something):

* a bare ``&`` in HTML that is not a known entity is rejected (Telegram lets it through), so
  forgetting to escape a person's own words fails here rather than garbling text there;
* only chats created with :meth:`BotApiEmulator.person` exist (anything else: "chat not
  found"), and only private chats are modelled;
* of what Telegram finds by itself in the bot's text, only links are found (``url`` entities,
  for ``https://…`` and for bare addresses like ``988lifeline.org`` with a common ending):
  mentions, hashtags, e-mail addresses and phone numbers are not;
* callback queries expire ``callback_answer_timeout`` seconds (default 15) after the press,
  measured on the injectable clock;
* a webhook (``setWebhook``) may be plain ``http://`` (loopback, in tests), and a refused push
  is tried again after ``webhook_retry_seconds`` (0.1 s, doubling up to 2 s), far sooner than
  Telegram would; each chat's updates are pushed in order, one request per chat at a time, as
  Telegram does, and ``getUpdates`` answers 409 while a webhook is set.

Run it standalone with ``python -m sandbox.emulator --port 8081`` (with stdin on a terminal
you type the person's side of the chat).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import math
import mimetypes
import re
import struct
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Self

import aiohttp
from aiohttp import web

__all__ = [
    "ApiError",
    "BotApiEmulator",
    "ChatEvent",
    "EmulatedPerson",
    "EntityParseError",
    "FaultPlan",
    "SentMessage",
    "image_size",
    "render_text",
    "tiny_png",
    "utf16_len",
]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Telegram's limits and error texts (kept verbatim: bots and tests match on them)
# --------------------------------------------------------------------------------------------

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

ERR_UNAUTHORIZED = "Unauthorized"
ERR_NOT_FOUND = "Not Found"
ERR_TEXT_EMPTY = "Bad Request: message text is empty"
ERR_TEXT_TOO_LONG = "Bad Request: message is too long"
ERR_CAPTION_TOO_LONG = "Bad Request: message caption is too long"
ERR_BUTTON_DATA = "Bad Request: BUTTON_DATA_INVALID"
ERR_BUTTON_URL = "Bad Request: BUTTON_URL_INVALID"
ERR_TEXT_BUTTON = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
ERR_MARKUP_JSON = "Bad Request: can't parse reply keyboard markup JSON object"
ERR_PARSE_ENTITIES = "Bad Request: can't parse entities: "
ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
ERR_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
ERR_CANT_EDIT = "Bad Request: message can't be edited"
ERR_NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
ERR_NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
ERR_DELETE_NOT_FOUND = "Bad Request: message to delete not found"
ERR_REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
ERR_CHAT_NOT_FOUND = "Bad Request: chat not found"
ERR_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
ERR_MESSAGE_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
ERR_BLOCKED = "Forbidden: bot was blocked by the user"
ERR_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
ERR_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
# Telegram's rule for setWebhook's secret_token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# The header Telegram sends the secret_token back in, with every webhook request.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ERR_BAD_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
ERR_IMAGE_PROCESS = "Bad Request: IMAGE_PROCESS_FAILED"
ERR_PHOTO_DIMENSIONS = "Bad Request: PHOTO_INVALID_DIMENSIONS"
ERR_FILE_EMPTY = "Bad Request: file must be non-empty"
ERR_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
ERR_COMMAND_DESCRIPTION = "Bad Request: command description is empty"
ERR_PARSE_MODE = "Bad Request: unsupported parse_mode"

# Methods that cost flood-control tokens (Telegram throttles what lands in chats).
COUNTED_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)

# Default descriptions for FaultPlan.fail_next when the test does not give one.
_DEFAULT_FAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: ERR_UNAUTHORIZED,
    403: ERR_BLOCKED,
    404: ERR_NOT_FOUND,
    409: ERR_CONFLICT,
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Form values arrive as strings; these fields are coerced so handlers and ``calls`` see types.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "from_chat_id",
        "duration",
        "width",
        "height",
        "max_connections",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "revoke_messages",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "message_ids",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "media",
        "menu_button",
    }
)


class ApiError(Exception):
    """A Bot API error response; raised inside method handlers, rendered as Telegram does."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The exact JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> ApiError:
    return ApiError(400, description)


# Telegram's ~30 messages a second is for bulk notifications; a reply to someone who wrote or
# tapped this recently counts only against that chat's own limit.
REPLY_WINDOW_SECONDS = 60.0

# ``wait_until_quiet``: how long the bot must say nothing in the chat, when only silence can
# tell that it is done (no bot is watched: see ``BotApiEmulator.watching_bot``) ...
QUIET_SECONDS = 0.5
# ... and, when the bot itself says it has finished every update it was handed, how long to
# listen after that for what follows at once (a job the update scheduled to run straight away).
SETTLE_SECONDS = 0.05


def _sender_chat(body: dict[str, Any]) -> int | None:
    """The private chat an incoming update comes from, if it names one."""
    for kind in ("message", "edited_message", "callback_query"):
        item = body.get(kind)
        if isinstance(item, dict):
            sender = item.get("from") or {}
            if isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None


def _too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


# --------------------------------------------------------------------------------------------
# Text and entity parsing (HTML, MarkdownV2, legacy Markdown), modelled on TDLib's parsers
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: Telegram measures offsets, lengths and limits this way."""
    return len(text.encode("utf-16-le")) // 2


class EntityParseError(ValueError):
    """Formatted text Telegram would refuse; the message follows "can't parse entities: "."""


@dataclass
class _Entity:
    """An entity over the parsed output, in Python string indices (converted to UTF-16 later)."""

    type: str
    start: int
    end: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _OpenTag:
    """An entity whose closing marker has not been seen yet."""

    tag: str
    type: str
    start: int
    byte_offset: int
    extra: dict[str, Any] = field(default_factory=dict)


def _byte_offset(text: str, index: int) -> int:
    """Telegram reports parse errors at UTF-8 byte offsets of the raw text."""
    return len(text[:index].encode("utf-8"))


def _finish(chars: list[str], entities: list[_Entity]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace (as Telegram does) and express entities in UTF-16 units."""
    text = "".join(chars)
    lead = len(text) - len(text.lstrip())
    tail = len(text.rstrip())
    plain = text[lead:tail] if tail > lead else ""
    result: list[dict[str, Any]] = []
    for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
        start = max(entity.start, lead) - lead
        end = min(entity.end, tail) - lead
        if end <= start:
            continue
        result.append(
            {
                "type": entity.type,
                "offset": utf16_len(plain[:start]),
                "length": utf16_len(plain[start:end]),
                **entity.extra,
            }
        )
    return plain, result


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]{2,8});")


def _decode_html_entity(body: str) -> str | None:
    """The character an ``&...;`` reference stands for, or None if Telegram doesn't know it."""
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return _HTML_NAMED_ENTITIES.get(body)
    if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_html_attribute(value: str) -> str:
    """Attribute values may carry entity references (``href="a?b=1&amp;c=2"``)."""

    def replace(match: re.Match[str]) -> str:
        decoded = _decode_html_entity(match.group(1))
        return decoded if decoded is not None else match.group(0)

    return _HTML_ENTITY_RE.sub(replace, value)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text + entities, rejecting what Telegram rejects.

    Stricter than Telegram in one respect, on purpose: a bare ``&`` that does not start a
    known entity is an error here (Telegram tolerates it), so unescaped user text is caught.
    """
    out: list[str] = []
    stack: list[_OpenTag] = []
    entities: list[_Entity] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            match = _HTML_ENTITY_RE.match(text, i)
            decoded = _decode_html_entity(match.group(1)) if match else None
            if match is None or decoded is None:
                raise EntityParseError(
                    f"Character '&' at byte offset {_byte_offset(text, i)} is not a part of a "
                    "supported HTML entity; escape it as &amp;"
                )
            out.append(decoded)
            i = match.end()
            continue
        if c != "<":
            out.append(c)
            i += 1
            continue

        begin = i
        offset = _byte_offset(text, begin)
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
            j = i + 1
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            name = text[i + 1 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            top = stack.pop()
            if name and name != top.tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{top.tag}>", '
                    f'found "</{name}>"'
                )
            _close_html_tag(top, out, stack, entities)
            i = j + 1
            continue

        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        name = text[i:j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attributes: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            if text[j] == ">":
                j += 1
                break
            k = j
            while k < n and not text[k].isspace() and text[k] not in "=>":
                k += 1
            attribute = text[j:k].lower()
            if not attribute:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                )
            j = k
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] == "=":
                j += 1
                while j < n and text[j].isspace():
                    j += 1
                if j >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                if text[j] in "\"'":
                    close = text.find(text[j], j + 1)
                    if close == -1:
                        raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                    raw_value = text[j + 1 : close]
                    j = close + 1
                else:
                    k = j
                    while k < n and not text[k].isspace() and text[k] != ">":
                        k += 1
                    raw_value = text[j:k]
                    j = k
                attributes[attribute] = _unescape_html_attribute(raw_value)
            else:
                attributes[attribute] = ""

        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        if name == "tg-emoji" and not attributes.get("emoji-id"):
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        stack.append(_OpenTag(name, _HTML_TAGS[name], len(out), offset, dict(attributes)))
        i = j

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return _finish(out, entities)


def _close_html_tag(
    tag: _OpenTag, out: list[str], stack: list[_OpenTag], entities: list[_Entity]
) -> None:
    """Turn a closed HTML tag into its entity (with Telegram's per-tag extras)."""
    attributes = tag.extra
    end = len(out)
    extra: dict[str, Any] = {}
    entity_type = tag.type
    if tag.tag == "a":
        url = attributes.get("href") or "".join(out[tag.start : end])
        if not url:
            return
        extra["url"] = url
    elif tag.tag == "code":
        language_class = attributes.get("class", "")
        if stack and stack[-1].tag == "pre" and language_class.startswith("language-"):
            stack[-1].extra["__language"] = language_class.removeprefix("language-")
            return
    elif tag.tag == "pre":
        if "__language" in attributes:
            extra["language"] = attributes["__language"]
    elif tag.tag == "blockquote":
        if "expandable" in attributes:
            entity_type = "expandable_blockquote"
    elif tag.tag == "tg-emoji":
        extra["custom_emoji_id"] = attributes["emoji-id"]
    entities.append(_Entity(entity_type, tag.start, end, extra))


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 the way TDLib does: every reserved character outside a formatting
    marker must be backslash-escaped, markers must pair up, links are ``[text](url)``."""
    out: list[str] = []
    stack: list[_OpenTag] = []
    entities: list[_Entity] = []
    quote_start: int | None = None
    n = len(text)
    i = 0

    def at(k: int) -> str:
        return text[k] if k < n else ""

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].type in ("code", "pre")
        if not in_code and c == ">" and (i == 0 or text[i - 1] == "\n"):
            # A quote line; consecutive quote lines form one blockquote entity.
            if quote_start is None:
                quote_start = len(out)
            i += 1
            continue
        if c == "\n" and quote_start is not None and not in_code and at(i + 1) != ">":
            entities.append(_Entity("blockquote", quote_start, len(out)))
            quote_start = None
        if c not in ("`" if in_code else _MDV2_RESERVED):
            out.append(c)
            i += 1
            continue

        top = stack[-1].type if stack else None
        nxt = at(i + 1)
        is_end = (
            (top == "bold" and c == "*")
            or (top == "italic" and c == "_" and nxt != "_")
            or (top == "underline" and c == "_" and nxt == "_")
            or (top == "strikethrough" and c == "~")
            or (top == "spoiler" and c == "|" and nxt == "|")
            or (top == "code" and c == "`")
            or (top == "pre" and c == "`" and nxt == "`" and at(i + 2) == "`")
            or (top in ("text_link", "custom_emoji") and c == "]")
        )
        if not is_end:
            offset = _byte_offset(text, i)
            extra: dict[str, Any] = {}
            if c == "_" and nxt == "_":
                entity_type, i = "underline", i + 2
            elif c == "_":
                entity_type, i = "italic", i + 1
            elif c == "*":
                entity_type, i = "bold", i + 1
            elif c == "~":
                entity_type, i = "strikethrough", i + 1
            elif c == "|" and nxt == "|":
                entity_type, i = "spoiler", i + 2
            elif c == "[":
                entity_type, i = "text_link", i + 1
            elif c == "!" and nxt == "[":
                entity_type, i = "custom_emoji", i + 2
            elif c == "`" and nxt == "`" and at(i + 2) == "`":
                entity_type, i = "pre", i + 3
                k = i
                while k < n and not text[k].isspace() and text[k] != "`":
                    k += 1
                if k != i and k < n and text[k] != "`":
                    extra["language"] = text[i:k]
                    i = k
                if at(i) in ("\n", "\r"):
                    i += 2 if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1) else 1
            elif c == "`":
                entity_type, i = "code", i + 1
            else:
                raise EntityParseError(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append(_OpenTag(c, entity_type, len(out), offset, extra))
            continue

        tag = stack.pop()
        if tag.type in ("underline", "spoiler"):
            i += 2
        elif tag.type == "pre":
            i += 3
        elif tag.type in ("text_link", "custom_emoji"):
            i += 1
            if at(i) == "(":
                i += 1
                url_begin = i
                url_chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                        url_chars.append(text[i + 1])
                        i += 2
                        continue
                    url_chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                i += 1
                url = "".join(url_chars)
            else:
                url = "".join(out[tag.start :])
            if tag.type == "custom_emoji":
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if match is None:
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                tag.extra["custom_emoji_id"] = match.group(1)
            elif not url:
                continue
            else:
                tag.extra["url"] = url
        else:
            i += 1
        entities.append(_Entity(tag.type, tag.start, len(out), tag.extra))

    if stack:
        tag = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_TYPE_NAMES[tag.type]} entity at byte offset "
            f"{tag.byte_offset}"
        )
    if quote_start is not None:
        entities.append(_Entity("blockquote", quote_start, len(out)))
    return _finish(out, entities)


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy ``Markdown`` mode: ``*bold*``, ``_italic_``, `` `code` ``, fenced pre, links."""
    out: list[str] = []
    entities: list[_Entity] = []
    n = len(text)
    i = 0

    def at(k: int) -> str:
        return text[k] if k < n else ""

    while i < n:
        c = text[i]
        if c == "\\" and at(i + 1) in ("_", "*", "`", "["):
            out.append(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        i += 1
        is_pre = False
        extra: dict[str, Any] = {}
        if c == "`" and at(i) == "`" and at(i + 1) == "`":
            i += 2
            is_pre = True
            k = i
            while k < n and not text[k].isspace() and text[k] != "`":
                k += 1
            if k != i and k < n and text[k] != "`":
                extra["language"] = text[i:k]
                i = k
            if at(i) in ("\n", "\r"):
                i += 2 if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1) else 1
        start = len(out)
        while i < n and (
            text[i] != end_char or (is_pre and not (at(i + 1) == "`" and at(i + 2) == "`"))
        ):
            out.append(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        i += 3 if is_pre else 1
        entity_type = {"_": "italic", "*": "bold", "`": "pre" if is_pre else "code"}.get(
            c, "text_link"
        )
        if c == "[":
            url = "".join(out[start:])
            if at(i) == "(":
                close = text.find(")", i)
                close = n if close == -1 else close
                url = text[i + 1 : close]
                i = close + 1
            if not url:
                continue
            extra["url"] = url
        entities.append(_Entity(entity_type, start, len(out), extra))
    return _finish(out, entities)


def render_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Plain text + entities for ``text`` as Telegram would store it under ``parse_mode``,
    links it finds by itself included (``url_entities``).

    Raises EntityParseError for malformed markup and ApiError for an unknown parse mode.
    """
    mode = (parse_mode or "").strip().lower()
    if not mode:
        plain, entities = _finish(list(text), [])
    elif mode == "html":
        plain, entities = parse_html(text)
    elif mode == "markdownv2":
        plain, entities = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, entities = parse_markdown(text)
    else:
        raise _bad_request(ERR_PARSE_MODE)
    found = url_entities(plain, entities)
    if found:
        entities = sorted([*entities, *found], key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


# Endings Telegram links without "https://" in front (a common subset of its list).
_COMMON_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "info",
        "io",
        "app",
        "me",
        "co",
        "uk",
        "ie",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "be",
        "ch",
        "at",
        "se",
        "no",
        "dk",
        "fi",
        "pl",
        "pt",
        "ca",
        "us",
        "au",
        "nz",
        "in",
        "jp",
        "cn",
        "eu",
        "int",
        "health",
        "help",
    ]
)
_URL_RE = re.compile(
    r"(?<![\w@./:-])"
    r"(?:https?://[^\s<>\"]+"
    r"|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,24})(?::\d{1,5})?"
    r"(?:/[^\s<>\"]*)?)"
    r"(?<![.,;:!?'\")\]])",
    re.IGNORECASE,
)
# Where Telegram finds no links: inside code, and inside links already there.
_NO_LINKS_INSIDE = frozenset({"code", "pre", "text_link", "url", "email"})


def url_entities(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``url`` entities for the links in ``text`` that Telegram would find by itself: with
    ``http(s)://``, or a bare address whose ending is a common one ("988lifeline.org"), never
    inside code or another link, and without the full stop or bracket that follows it."""
    blocked = [
        (e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _NO_LINKS_INSIDE
    ]
    found: list[dict[str, Any]] = []
    for match in _URL_RE.finditer(text):
        tld = match.group("tld")
        if tld is not None and tld.lower() not in _COMMON_TLDS:
            continue
        start = utf16_len(text[: match.start()])
        length = utf16_len(match.group(0))
        if any(start < end and begin < start + length for begin, end in blocked):
            continue
        found.append({"type": "url", "offset": start, "length": length})
    return found


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def _with_entities(text: str) -> dict[str, Any]:
    """The ``entities`` field a text message carries, if it has any commands in it."""
    entities = command_entities(text)
    return {"entities": entities} if entities else {}


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities Telegram's client attaches to ``/cmd`` and ``/cmd@bot`` words."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        }
        for match in _COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG or GIF, read from its header; None if unrecognised.

    Telegram reports real dimensions in PhotoSize, and tests check the bot sent the image it
    meant to, so read them rather than invent them (no Pillow dependency at runtime).
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            (segment_length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + segment_length
        return None
    return None


def _looks_like_image(data: bytes) -> bool:
    return image_size(data) is not None or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def tiny_png(width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 200, 120)) -> bytes:
    """A valid solid-colour PNG built with zlib alone (for the person's photos)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------------------------
# Flood control and faults
# --------------------------------------------------------------------------------------------


class _TokenBucket:
    """Classic token bucket; time comes from the emulator's injectable clock."""

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = max(1.0, capacity)
        self.rate = max(rate, 1e-9)
        self.tokens = self.capacity
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


@dataclass
class _Fault:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Delay:
    method: str
    seconds: float
    then_accept: bool
    remaining: int


class FaultPlan:
    """Failure injection, so tests can prove the bot survives Telegram misbehaving."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._refusing = False
        self._on_change: Callable[[], None] = lambda: None
        # Seconds a long poll whose client vanished still counts as waiting (see linger_polls).
        self.poll_linger = 0.0

    def fail_next(
        self,
        method: str | None,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (None: any counted send method) fail.

        The call is not processed (nothing is recorded as sent). 429 faults carry
        ``parameters.retry_after`` (default 1), like real flood errors.
        """
        if status == 429:
            retry_after = max(1, retry_after or 1)
            text = description or f"Too Many Requests: retry after {retry_after}"
        else:
            text = description or _DEFAULT_FAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._faults.append(_Fault(method, status, text, retry_after, times))

    def delay_next(
        self, method: str, seconds: float, *, times: int = 1, then_accept: bool = True
    ) -> None:
        """Hold the response to the next ``times`` calls of ``method`` for ``seconds``.

        With ``then_accept`` (the interesting case: a client timeout after Telegram accepted
        the message) the call IS processed and recorded before the wait. Without it, the
        call is held and then rejected with 502 Bad Gateway, having changed nothing.
        """
        self._delays.append(_Delay(method, seconds, then_accept, times))

    def refuse_connections(self, on: bool) -> None:
        """While on, every request is answered by dropping its connection without a response
        (the client sees "server disconnected", PTB raises NetworkError); waiting long polls
        are cut too. Turning it off serves normally again, on the same port, state intact."""
        self._refusing = on
        self._on_change()

    def linger_polls(self, seconds: float) -> None:
        """From now on, a long poll whose client vanished (a process killed while polling)
        still counts as waiting for ``seconds``, as at Telegram, where it waits out its timeout:
        meanwhile another getUpdates is refused with 409 Conflict."""
        self.poll_linger = seconds

    @property
    def refusing(self) -> bool:
        return self._refusing

    def clear(self) -> None:
        """Forget all pending faults and delays and accept connections again."""
        self._faults.clear()
        self._delays.clear()
        self.refuse_connections(False)

    def _take_fault(self, method: str) -> ApiError | None:
        for fault in self._faults:
            matches = fault.method == method or (fault.method is None and method in COUNTED_METHODS)
            if matches and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                parameters = (
                    {"retry_after": fault.retry_after} if fault.retry_after is not None else None
                )
                return ApiError(fault.status, fault.description, parameters)
        return None

    def _take_delay(self, method: str) -> _Delay | None:
        for delay in self._delays:
            if delay.method == method and delay.remaining > 0:
                delay.remaining -= 1
                if delay.remaining <= 0:
                    self._delays.remove(delay)
                return delay
        return None


# --------------------------------------------------------------------------------------------
# What the bot sent
# --------------------------------------------------------------------------------------------


@dataclass
class SentMessage:
    """One message the bot sent; edits and deletion update it in place so tests holding a
    reference always see the message as the person would see it now."""

    chat_id: int
    message_id: int
    text: str | None
    raw_text: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    kind: str
    file_bytes: bytes | None
    file_name: str | None
    mime_type: str | None
    edits: int
    deleted: bool
    date: int
    entities: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, Any] | None = None
    edit_date: int | None = None
    reply_to_message: dict[str, Any] | None = field(default=None, repr=False)
    # The text after each edit, oldest first (the text as first sent is not in it).
    history: list[str | None] = field(default_factory=list, repr=False)

    def _inline_buttons(self) -> list[list[dict[str, Any]]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard")
        return rows if isinstance(rows, list) else []

    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Keyboard rows as (text, callback_data or url); reply-keyboard buttons have None."""
        markup = self.reply_markup or {}
        if "inline_keyboard" in markup:
            return [
                [
                    (
                        str(button.get("text", "")),
                        button.get("callback_data", button.get("url")),
                    )
                    for button in row
                ]
                for row in self._inline_buttons()
            ]
        rows = markup.get("keyboard") or []
        return [
            [
                (button if isinstance(button, str) else str(button.get("text", "")), None)
                for button in row
            ]
            for row in rows
        ]

    def button_texts(self) -> list[str]:
        return [text for row in self.buttons() for text, _ in row]

    def _find_button(self, label: str) -> dict[str, Any] | None:
        buttons = [button for row in self._inline_buttons() for button in row]
        for button in buttons:
            if button.get("text") == label:
                return button
        for button in buttons:
            if button.get("callback_data") == label:
                return button
        return None


# --------------------------------------------------------------------------------------------
# The person on the other side
# --------------------------------------------------------------------------------------------


class _CallableList(list[dict[str, Any]]):
    """A list that returns itself when called (see ``EmulatedPerson.answered_callbacks``)."""

    def __call__(self) -> _CallableList:
        return self


class EmulatedPerson:
    """A Telegram user in a private chat with the bot, scripted by a test."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        chat_id: int,
        first_name: str,
        username: str | None,
        language_code: str,
    ) -> None:
        self._em = emulator
        self.chat_id = chat_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self._cursor = 0

    def __repr__(self) -> str:
        return f"EmulatedPerson(chat_id={self.chat_id}, first_name={self.first_name!r})"

    @property
    def user(self) -> dict[str, Any]:
        """The Telegram User object for this person."""
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        """The private Chat object shared by the person and the bot."""
        chat: dict[str, Any] = {"id": self.chat_id, "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        chat["type"] = "private"
        return chat

    # -- acting -------------------------------------------------------------------------------

    def _ensure_not_blocked(self) -> None:
        if self.blocked:
            raise AssertionError(
                f"{self.first_name} has blocked the bot; call unblock() before writing to it"
            )

    async def send(self, text: str) -> dict[str, Any]:
        """The person writes ``text``; ``/commands`` get their ``bot_command`` entities."""
        self._ensure_not_blocked()
        return await self._em._person_message(
            self, {"text": text, **_with_entities(text)}, log_line=text
        )

    async def send_sticker(self) -> dict[str, Any]:
        self._ensure_not_blocked()
        file_id, unique_id = self._em._new_file_id("sticker")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
            "set_name": "KindlingTestStickers",
            "file_size": 20480,
        }
        return await self._em._person_message(self, {"sticker": sticker}, log_line="[sticker]")

    async def send_photo(self) -> dict[str, Any]:
        self._ensure_not_blocked()
        sizes = self._em._store_photo(tiny_png(64, 48), "photo.png", "image/png")
        return await self._em._person_message(self, {"photo": sizes}, log_line="[photo]")

    async def send_voice(self) -> dict[str, Any]:
        self._ensure_not_blocked()
        file_id, unique_id = self._em._new_file_id("voice")
        voice = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "duration": 3,
            "mime_type": "audio/ogg",
            "file_size": 4096,
        }
        return await self._em._person_message(self, {"voice": voice}, log_line="[voice]")

    async def send_location(self, lat: float = 52.5, lon: float = 13.4) -> dict[str, Any]:
        self._ensure_not_blocked()
        return await self._em._person_message(
            self,
            {"location": {"latitude": lat, "longitude": lon}},
            log_line=f"[location {lat}, {lon}]",
        )

    async def edit(self, message: dict[str, Any], new_text: str) -> dict[str, Any]:
        """The person edits one of their own text messages (an ``edited_message`` update)."""
        self._ensure_not_blocked()
        return await self._em._person_edit(self, message, new_text)

    async def press(self, button: str, message: SentMessage | None = None) -> str:
        """Press an inline button by its text (or callback_data); returns the query id.

        Without ``message`` the newest bot message in this chat offering such a button is used.
        """
        self._ensure_not_blocked()
        candidates = [message] if message is not None else list(reversed(self.messages))
        for candidate in candidates:
            found = candidate._find_button(button)
            if found is None:
                continue
            if candidate.deleted:
                raise AssertionError(f"message {candidate.message_id} was deleted")
            if "callback_data" not in found:
                raise AssertionError(
                    f"button {button!r} has no callback_data (url={found.get('url')!r}); "
                    "pressing it would open a link, not reach the bot"
                )
            return await self._em._press(self, candidate, str(found["callback_data"]), button)
        offered = [
            f"  message {m.message_id}: {m.button_texts()}" for m in candidates if m.buttons()
        ][:5]
        raise AssertionError(
            f"no inline button {button!r} for {self.first_name}. Buttons on offer:\n"
            + ("\n".join(offered) or "  (none)")
            + f"\nTranscript:\n{self.transcript()}"
        )

    async def press_data(self, data: str, message: SentMessage) -> str:
        """Send a callback query with arbitrary (possibly forged or stale) data."""
        self._ensure_not_blocked()
        return await self._em._press(self, message, data, f"<data {data!r}>")

    async def press_inline(self, data: str) -> str:
        """Press a button on a message sent in inline mode (through another chat, by way of
        the bot's inline queries): the press carries an ``inline_message_id`` and no message,
        so the bot cannot tell which chat it came from. Returns the query id."""
        self._ensure_not_blocked()
        return await self._em._press(self, None, data, f"<inline {data!r}>")

    async def send_without_sender(self, text: str) -> dict[str, Any]:
        """A message in this chat with no ``from`` (Telegram leaves it out of messages sent on
        behalf of a chat, which a private chat never has)."""
        self._ensure_not_blocked()
        return await self._em._person_message(
            self,
            {"text": text, **_with_entities(text)},
            log_line=f"(no sender) {text}",
            sender=False,
        )

    def block(self) -> None:
        """The person blocks the bot: further sends/edits to them fail with 403."""
        if not self.blocked:
            self.blocked = True
            self._em._chat_member_changed(self, "member", "kicked")

    def unblock(self) -> None:
        if self.blocked:
            self.blocked = False
            self._em._chat_member_changed(self, "kicked", "member")

    # -- observing ----------------------------------------------------------------------------

    @property
    def messages(self) -> list[SentMessage]:
        """Bot messages currently visible in this chat, oldest first."""
        return [m for m in self._em._sent_by_chat.get(self.chat_id, []) if not m.deleted]

    @property
    def last(self) -> SentMessage | None:
        visible = self.messages
        return visible[-1] if visible else None

    async def next_message(self, timeout: float = 5.0) -> SentMessage:
        """The next bot message to this chat not yet consumed by the test (waits for it)."""
        em = self._em

        def arrived() -> bool:
            return len(em._sent_by_chat.get(self.chat_id, [])) > self._cursor

        try:
            await em._wait_for(arrived, timeout)
        except TimeoutError:
            raise AssertionError(
                f"no new bot message to {self.first_name} (chat {self.chat_id}) within "
                f"{timeout}s.\nTranscript:\n{self.transcript()}"
            ) from None
        message = em._sent_by_chat[self.chat_id][self._cursor]
        self._cursor += 1
        return message

    async def expect(self, contains: str | None = None, timeout: float = 5.0) -> SentMessage:
        """``next_message`` plus a case-insensitive containment check on its text."""
        message = await self.next_message(timeout)
        if contains is not None and contains.lower() not in (message.text or "").lower():
            raise AssertionError(
                f"expected a bot message containing {contains!r}, got {message.text!r}.\n"
                f"Transcript:\n{self.transcript()}"
            )
        return message

    async def expect_edit(
        self,
        contains: str | None = None,
        message: SentMessage | None = None,
        timeout: float = 5.0,
    ) -> SentMessage:
        """Wait until the bot has edited ``message`` (by default the newest bot message here,
        as it is when this is called) and its text contains ``contains`` (case-insensitive).

        For a bot that answers a tap by editing the tapped message rather than sending a new
        one. The edit may already have happened by the time this is called: that counts."""
        target = message or self.last
        if target is None:
            raise AssertionError(f"no bot message to {self.first_name} to be edited")

        def edited() -> bool:
            return target.edits > 0 and (
                contains is None or contains.lower() in (target.text or "").lower()
            )

        try:
            await self._em._wait_for(edited, timeout)
        except TimeoutError:
            raise AssertionError(
                f"bot message {target.message_id} to {self.first_name} was not edited to "
                f"contain {contains!r} within {timeout}s; it reads {target.text!r}.\n"
                f"Transcript:\n{self.transcript()}"
            ) from None
        return target

    async def wait_until_quiet(
        self, quiet: float | None = None, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the bot is done in this chat; return and consume the messages not
        consumed yet.

        Done means: the bot has fetched everything sent to it, then (for a watched bot, see
        ``BotApiEmulator.watching_bot``: every bot the tests and the sandbox run in-process)
        says it has finished every update it was handed and has no call about this chat
        unanswered, and then it says (sends, edits or deletes) nothing here for
        ``SETTLE_SECONDS``. A bot that is not watched is done after ``QUIET_SECONDS`` of
        silence here instead. A ``quiet`` given is the silence listened for in both cases: a
        test that checks that nothing more comes (a timer that should have stopped) still
        listens that long."""
        em = self._em
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if em.stats.get("getUpdates", 0):  # only when a bot is polling at all
            await em.wait_delivered(timeout)
        while True:
            watched = em._watched_bot is not None
            listen = quiet if quiet is not None else SETTLE_SECONDS if watched else QUIET_SECONDS
            if watched:
                try:
                    await em._wait_for(
                        lambda: em._bot_done_with(self.chat_id), max(0.0, deadline - loop.time())
                    )
                except TimeoutError:
                    raise AssertionError(
                        f"the bot did not finish with what it was sent within {timeout}s "
                        f"(updates not done: {em._updates_not_done()}, calls about chat "
                        f"{self.chat_id} unanswered: {em._calls_in_flight[self.chat_id]}).\n"
                        f"Transcript:\n{self.transcript()}"
                    ) from None
            seen = em._activity[self.chat_id]
            remaining = deadline - loop.time()
            if remaining < listen:
                raise AssertionError(
                    f"bot kept talking to {self.first_name} for {timeout}s.\n"
                    f"Transcript:\n{self.transcript()}"
                )
            try:
                await em._wait_for(lambda seen=seen: em._activity[self.chat_id] != seen, listen)
            except TimeoutError:
                if em._bot_done_with(self.chat_id):
                    break
        sent = em._sent_by_chat.get(self.chat_id, [])
        fresh = sent[self._cursor :]
        self._cursor = len(sent)
        return fresh

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        """Wait until ``predicate()`` holds (rechecked on every emulator state change), e.g.
        for an edit: ``await alex.wait_for(lambda: msg.edits == 1)``."""
        try:
            await self._em._wait_for(predicate, timeout)
        except TimeoutError:
            raise AssertionError(
                f"{what} not met within {timeout}s.\nTranscript:\n{self.transcript()}"
            ) from None

    @property
    def answered_callbacks(self) -> _CallableList:
        """answerCallbackQuery parameters for this person's queries, in answer order.

        A property whose value can also be called (``person.answered_callbacks()``), because
        callers were written against both spellings of the contract.
        """
        return _CallableList(
            dict(answer)
            for query_id, answer in self._em._callback_answers
            if self._em._callbacks[query_id].chat_id == self.chat_id
        )

    def callback_answered(self, query_id: str) -> bool:
        query = self._em._callbacks.get(query_id)
        return query is not None and query.answered

    def unanswered_presses(self) -> list[str]:
        """The ids of this person's button presses the bot has not answered (its spinner still
        turning in Telegram)."""
        return [
            query_id
            for query_id, query in self._em._callbacks.items()
            if query.chat_id == self.chat_id and not query.answered
        ]

    def transcript(self, last: int = 40) -> str:
        """Human-readable log of the conversation, for assertion messages."""
        lines = self._em._transcripts.get(self.chat_id, [])
        shown = lines[-last:]
        prefix = [f"  ... ({len(lines) - last} earlier lines)"] if len(lines) > last else []
        return "\n".join([*prefix, *(f"  {line}" for line in shown)]) or "  (empty)"


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """Something that just happened in a chat, pushed to live listeners (the sandbox's web chat)
    as it happens rather than polled.

    ``kind`` is one of ``"sent"``, ``"edited"``, ``"deleted"`` (a bot message: ``message``),
    ``"person"``, ``"person_deleted"`` (the person's own message: ``person_message``),
    ``"answer"`` (an answerCallbackQuery: ``answer``) or ``"commands"`` (setMyCommands; no chat,
    ``chat_id`` is None). A ``message`` is the live ``SentMessage``: read it when handling the
    event to see the message as it is now.
    """

    kind: str
    chat_id: int | None
    message: SentMessage | None = None
    person_message: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None


class EmulatedGroup(EmulatedPerson):
    """A group chat with the bot in it; one member (``member_id``) types for the test."""

    def __init__(
        self, emulator: BotApiEmulator, chat_id: int, title: str, member_id: int, member_name: str
    ) -> None:
        super().__init__(emulator, chat_id, member_name, None, "en")
        self.title = title
        self.member_id = member_id

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.member_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": "group", "title": self.title}


@dataclass
class _CallbackQuery:
    chat_id: int
    message_id: int | None  # None: a press on a message sent in inline mode
    data: str
    created: float
    answered: bool = False


@dataclass
class _StoredFile:
    data: bytes | None
    file_name: str | None
    mime_type: str | None
    unique_id: str


@dataclass
class _Upload:
    """A multipart file part."""

    data: bytes
    filename: str | None
    content_type: str | None

    def describe(self) -> dict[str, Any]:
        return {"filename": self.filename, "mime_type": self.content_type, "size": len(self.data)}


@dataclass
class _Poller:
    """A getUpdates request currently long-polling."""

    request: web.Request
    superseded: bool = False

    def gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


@dataclass
class _Webhook:
    """What setWebhook registered."""

    url: str
    secret: str | None
    max_connections: int
    allowed_updates: list[str]
    # (unix time, Telegram's description) of the last push the bot did not take.
    last_error: tuple[int, str] | None = None


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of reply_markup that belongs to a message (Telegram keeps inline keyboards
    only), which is what "message is not modified" compares."""
    return markup if markup and "inline_keyboard" in markup else None


Params = dict[str, Any]
_Handler = Callable[[Params, web.Request], Awaitable[Any]]


class BotApiEmulator:
    """A loopback Telegram Bot API server plus the Python handles tests use to play the person.

    Use as ``async with BotApiEmulator() as em:`` and build the bot with
    ``ApplicationBuilder().token(em.token).base_url(em.base_url)``.
    """

    # The emulators serving in this process, by ``base_url`` (``serving_at``).
    _serving: ClassVar[dict[str, BotApiEmulator]] = {}

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        global_rate: float = 30.0,
        per_chat_burst: int = 20,
        per_chat_rate: float = 1.0,
        flood_limits: bool = True,
        bot_username: str = "KindlingTestBot",
        clock: Callable[[], float] = time.monotonic,
        callback_answer_timeout: float = 15.0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.global_rate = global_rate
        self.per_chat_burst = per_chat_burst
        self.per_chat_rate = per_chat_rate
        self.flood_limits = flood_limits
        self.bot_username = bot_username
        self.callback_answer_timeout = callback_answer_timeout
        self._clock = clock
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456

        self.calls: list[tuple[str, dict[str, Any]]] = []
        # (time.monotonic() when the call arrived, method, chat_id or None, HTTP status) of every
        # answered call, so tests can check how long a client waited after a 429.
        self.timeline: list[tuple[float, str, Any, int]] = []
        self.commands: list[dict[str, Any]] = []
        self.stats: Counter[str] = Counter()
        self.faults = FaultPlan()
        self.faults._on_change = self._notify_soon
        self.internal_errors: list[str] = []
        self._listeners: list[tuple[int | None, asyncio.Queue[ChatEvent]]] = []

        self._persons: dict[int, EmulatedPerson] = {}
        self._sent: list[SentMessage] = []
        self._sent_by_chat: dict[int, list[SentMessage]] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._person_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_message_id: Counter[int] = Counter()
        self._activity: Counter[int] = Counter()
        self._transcripts: dict[int, list[str]] = {}
        self._updates: list[dict[str, Any]] = []
        # Every update a person action queued, by update_id (for ``deliver_again``).
        self._queued: dict[int, dict[str, Any]] = {}
        self._next_update_id = 100_000_001
        # Nothing queued yet counts as all delivered (wait_delivered before any update).
        self._delivered_up_to = self._next_update_id - 1
        self._allowed_updates: list[str] = []
        self._poller: _Poller | None = None
        # Until when (monotonic) a vanished client's poll still counts (FaultPlan.linger_polls).
        self._lingering_until = 0.0
        # The webhook registered with setWebhook (None: updates wait for getUpdates), and the
        # chats whose updates are being pushed to it right now (one request per chat at once).
        self.webhook: _Webhook | None = None
        # Every push: (update_id, HTTP status, or the connection error's name).
        self.webhook_attempts: list[tuple[int, int | str]] = []
        # First pause before pushing a refused update again, doubling up to the second value
        # (Telegram waits longer; tests should not).
        self.webhook_retry_seconds = (0.1, 2.0)
        self._pushing: set[int | None] = set()
        self._pusher: asyncio.Task[None] | None = None
        self._push_session: aiohttp.ClientSession | None = None
        self._callbacks: dict[str, _CallbackQuery] = {}
        self._callback_answers: list[tuple[str, dict[str, Any]]] = []
        self._callback_ids = itertools.count(4_100_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._files: dict[str, _StoredFile] = {}
        self._command_sets: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._global_bucket: _TokenBucket | None = None
        self._chat_buckets: dict[int, _TokenBucket] = {}
        # When each chat last wrote or tapped: a message to it within REPLY_WINDOW_SECONDS is a
        # reply, which Telegram's bulk limit does not count.
        self._last_heard: dict[int, float] = {}
        self._cond = asyncio.Condition()
        # What the bot in this process says about the updates it was handed (``watching_bot``):
        # each watch's ``done_with``; only a lone watch is asked (two bots share the updates).
        self._watches: list[Callable[[int], bool]] = []
        # The updates handed out (by getUpdates) since the watch began.
        self._handed_while_watched: set[int] = set()
        # The bot's calls naming each chat that are not answered yet.
        self._calls_in_flight: Counter[int] = Counter()
        self._background: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getUpdates": self._get_updates,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "editMessageCaption": self._edit_message_caption,
                "answerCallbackQuery": self._answer_callback_query,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._true,
                "setMyShortDescription": self._true,
                "setMyName": self._true,
                "setChatMenuButton": self._true,
                "deleteMessage": self._delete_message,
                "deleteMessages": self._delete_messages,
                "getChat": self._get_chat,
                "getFile": self._get_file,
            }.items()
        }

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give ``ApplicationBuilder.base_url`` (PTB appends the token itself)."""
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> None:
        """Bind and serve. ``self.port`` holds the real port afterwards (0 picks a free one)."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a long poll whose client went away must stop waiting, or the
        # bot's next getUpdates would be refused as a conflict.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        self._closing = False
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        BotApiEmulator._serving[self.base_url] = self
        log.info("Bot API emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop serving; waiting long polls and held (delayed) responses are released first so
        shutdown is immediate rather than waiting out their timeouts."""
        self._closing = True
        if BotApiEmulator._serving.get(self.base_url) is self:
            del BotApiEmulator._serving[self.base_url]
        await self._notify()
        await self._stop_pushing()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in list(self._background):
            task.cancel()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- public helpers -----------------------------------------------------------------------

    def person(
        self,
        chat_id: int,
        first_name: str = "Alex",
        *,
        username: str | None = None,
        language_code: str = "en",
    ) -> EmulatedPerson:
        """The person with this private chat id (created on first use)."""
        existing = self._persons.get(chat_id)
        if existing is not None:
            return existing
        person = EmulatedPerson(self, chat_id, first_name, username, language_code)
        self._persons[chat_id] = person
        self._transcripts[chat_id] = []
        return person

    def group(
        self, chat_id: int, title: str = "Group", *, member_id: int = 9_000_001
    ) -> EmulatedGroup:
        """A group chat (negative id, as Telegram's) the bot was added to."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        existing = self._persons.get(chat_id)
        if isinstance(existing, EmulatedGroup):
            return existing
        group = EmulatedGroup(self, chat_id, title, member_id, "Member")
        self._persons[chat_id] = group
        self._transcripts[chat_id] = []
        return group

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Everything the bot sent (optionally to one chat), in order, deleted ones included."""
        if chat_id is None:
            return list(self._sent)
        return list(self._sent_by_chat.get(chat_id, []))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued for the bot and not confirmed yet."""
        return list(self._updates)

    @property
    def persons(self) -> list[EmulatedPerson]:
        """Every private-chat person created so far, in creation order."""
        return [p for p in self._persons.values() if not isinstance(p, EmulatedGroup)]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The bot's message ``message_id`` in this chat (deleted or not), if it exists."""
        return self._bot_messages.get((chat_id, message_id))

    def person_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The person's own messages still in this chat (as Message objects), oldest first."""
        found = [m for (chat, _), m in self._person_messages.items() if chat == chat_id]
        return sorted(found, key=lambda m: int(m["message_id"]))

    def file_info(self, file_id: str) -> tuple[bytes, str | None, str | None] | None:
        """Bytes, file name and MIME type stored for a file_id; None if unknown or bytes-less."""
        stored = self._files.get(file_id)
        if stored is None or stored.data is None:
            return None
        return stored.data, stored.file_name, stored.mime_type

    def subscribe(self, chat_id: int | None = None) -> asyncio.Queue[ChatEvent]:
        """A queue that receives every :class:`ChatEvent` of one chat (or of all chats) from
        now on, plus chat-less events such as ``"commands"``; ``unsubscribe`` it when done."""
        queue: asyncio.Queue[ChatEvent] = asyncio.Queue()
        self._listeners.append((chat_id, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[ChatEvent]) -> None:
        self._listeners = [(c, q) for c, q in self._listeners if q is not queue]

    def _publish(self, event: ChatEvent) -> None:
        for chat_id, queue in self._listeners:
            if chat_id is None or event.chat_id is None or chat_id == event.chat_id:
                queue.put_nowait(event)

    def file(self, file_id: str) -> bytes | None:
        """Bytes stored for a file_id (uploaded by the bot or made up for the person)."""
        stored = self._files.get(file_id)
        return stored.data if stored else None

    async def wait_for_poller(self, timeout: float = 5.0) -> None:
        """Return once a getUpdates long poll is waiting, i.e. the bot is polling."""
        try:
            await self._wait_for(lambda: self._poller is not None, timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not start long polling within {timeout}s") from None

    async def wait_delivered(self, timeout: float = 5.0) -> None:
        """Return once every queued update has been handed to the bot by getUpdates."""
        last = self._next_update_id - 1
        try:
            await self._wait_for(lambda: self._delivered_up_to >= last, timeout)
        except TimeoutError:
            raise AssertionError(f"updates up to {last} not fetched within {timeout}s") from None

    # -- knowing when the bot is done -----------------------------------------------------------

    @classmethod
    def serving_at(cls, base_url: str) -> BotApiEmulator | None:
        """The emulator in this process whose ``base_url`` this is, if one is serving."""
        return cls._serving.get(base_url)

    @contextlib.contextmanager
    def watching_bot(self, done_with: Callable[[int], bool]) -> Iterator[Callable[[], None]]:
        """While inside, ``wait_until_quiet`` asks the bot rather than listening for silence:
        ``done_with(update_id)`` says whether the bot has finished with an update it was handed
        (handled it, skipped it, or has no more to do for it). Yields the function the bot
        calls whenever that may have changed (it wakes the waiting tests).

        Begin before the bot first polls and end after it stops; a bot run in another process,
        or a second bot watched at the same time, leaves ``wait_until_quiet`` to silence. The
        emulator imports nothing of the bot's: the bot's side is handed in."""
        self._watches.append(done_with)
        self._handed_while_watched.clear()
        try:
            yield self._notify_soon
        finally:
            self._watches.remove(done_with)
            self._handed_while_watched.clear()
            self._notify_soon()

    @property
    def _watched_bot(self) -> Callable[[int], bool] | None:
        return self._watches[0] if len(self._watches) == 1 else None

    def _updates_not_done(self) -> list[int]:
        done_with = self._watched_bot
        if done_with is None:
            return []
        return sorted(i for i in self._handed_while_watched if not done_with(i))

    def _bot_done_with(self, chat_id: int) -> bool:
        """Whether the watched bot (if any) finished every update it was handed and has no call
        about ``chat_id`` unanswered."""
        done_with = self._watched_bot
        if done_with is None:
            return True
        if self._calls_in_flight[chat_id]:
            return False
        return all(done_with(update_id) for update_id in self._handed_while_watched)

    # -- waiting / waking ---------------------------------------------------------------------

    async def _wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Wait on the state-change condition until ``predicate`` holds; TimeoutError if not."""
        async with self._cond:
            async with asyncio.timeout(timeout):
                await self._cond.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def _notify_soon(self) -> None:
        """Wake waiters from synchronous code (block(), fault toggles)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._notify())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- HTTP ---------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route ``/bot<token>/<method>``, apply faults, run the method, shape the reply."""
        arrived = time.monotonic()
        if self.faults.refusing:
            return self._drop(request)
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return self._error_response(ApiError(404, ERR_NOT_FOUND))
        token, method_name = parts[0][3:], parts[1]
        if token != self.token:
            self.stats["401"] += 1
            return self._error_response(ApiError(401, ERR_UNAUTHORIZED))
        entry = self._methods.get(method_name.lower())
        if entry is None:
            self.stats["404"] += 1
            self.calls.append((method_name, {}))
            return self._error_response(ApiError(404, ERR_NOT_FOUND))
        method, handler = entry
        self.stats[method] += 1

        try:
            raw = await self._read_params(request)
        except ApiError as error:
            self.calls.append((method, {}))
            return self._count_error(error)
        try:
            params = self._coerce(raw)
        except ApiError as error:
            self.calls.append((method, raw))
            return self._count_error(error)
        self.calls.append((method, params))
        chat = params.get("chat_id")
        if not isinstance(chat, int):
            return await self._answer(request, method, handler, params, arrived)
        self._calls_in_flight[chat] += 1
        try:
            return await self._answer(request, method, handler, params, arrived)
        finally:
            self._calls_in_flight[chat] -= 1
            if not self._calls_in_flight[chat]:
                del self._calls_in_flight[chat]
            self._notify_soon()

    async def _answer(
        self,
        request: web.Request,
        method: str,
        handler: _Handler,
        params: Params,
        arrived: float,
    ) -> web.StreamResponse:
        """Run a method whose parameters were read: its faults, its handler, its reply."""
        delay = self.faults._take_delay(method)
        try:
            fault = self.faults._take_fault(method)
            if fault is not None:
                raise fault
            if delay is not None and not delay.then_accept:
                await self._hold(delay.seconds)
                raise ApiError(502, "Bad Gateway")
            result = await handler(params, request)
        except ApiError as error:
            response = self._count_error(error)
        except Exception:
            log.exception("emulator bug while handling %s", method)
            self.internal_errors.append(method)
            response = self._error_response(ApiError(500, "Internal Server Error"))
        else:
            if method in COUNTED_METHODS:
                self.stats["sent"] += 1
            response = web.json_response({"ok": True, "result": result})
        if self.faults.refusing:
            return self._drop(request)
        self.timeline.append((arrived, method, params.get("chat_id"), response.status))
        await self._notify()
        if delay is not None and delay.then_accept:
            await self._hold(delay.seconds)
        return response

    async def _hold(self, seconds: float) -> None:
        """Sleep for a delay fault, but end early when the emulator stops."""
        with contextlib.suppress(TimeoutError):
            await self._wait_for(lambda: self._closing, seconds)

    def _drop(self, request: web.Request) -> web.StreamResponse:
        """Close the connection without answering (a network failure, as the client sees it)."""
        self.stats["dropped"] += 1
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=503)

    def _count_error(self, error: ApiError) -> web.Response:
        self.stats[str(error.error_code)] += 1
        return self._error_response(error)

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        return web.json_response(error.payload(), status=error.error_code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Query string + JSON, urlencoded or multipart body; uploads become ``_Upload``s."""
        params: dict[str, Any] = dict(request.query)
        if not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad_request("Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad_request("Bad Request: can't parse JSON object")
            params.update(body)
            return params
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    params[name] = _Upload(
                        value.file.read(), value.filename, value.content_type or None
                    )
                else:
                    params[name] = value
        return params

    @staticmethod
    def _coerce(raw: dict[str, Any]) -> dict[str, Any]:
        """Give form strings their JSON types so handlers (and ``calls``) see real values."""
        params: dict[str, Any] = {}
        for name, value in raw.items():
            if isinstance(value, str):
                if name in _JSON_FIELDS:
                    try:
                        value = json.loads(value)
                    except ValueError:
                        if name == "reply_markup":
                            raise _bad_request(ERR_MARKUP_JSON) from None
                        raise _bad_request(f"Bad Request: can't parse {name} JSON object") from None
                elif name in _INT_FIELDS:
                    with contextlib.suppress(ValueError):
                        value = int(value)
                elif name in _BOOL_FIELDS:
                    value = value.strip().lower() in ("true", "1")
            params[name] = value
        return params

    # -- shapes -------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Kindling",
            "username": self.bot_username,
        }

    def _message_dict(self, sent: SentMessage) -> dict[str, Any]:
        """The Message object Telegram returns for (and attaches to callbacks of) a bot message."""
        person = self._persons[sent.chat_id]
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "from": self._bot_user(),
            "chat": person.chat,
            "date": sent.date,
        }
        if sent.edit_date is not None:
            message["edit_date"] = sent.edit_date
        if sent.reply_to_message is not None:
            message["reply_to_message"] = sent.reply_to_message
        if sent.kind == "text":
            message["text"] = sent.text
            if sent.entities:
                message["entities"] = sent.entities
        else:
            message.update(sent.media or {})
            if sent.text:
                message["caption"] = sent.text
                if sent.entities:
                    message["caption_entities"] = sent.entities
        # Telegram echoes inline keyboards only; reply keyboards are not part of the message.
        if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    def _log(self, chat_id: int, line: str) -> None:
        self._transcripts.setdefault(chat_id, []).append(line)

    def _log_bot(self, sent: SentMessage, verb: str = "bot") -> None:
        shown = sent.text if sent.text is not None else ""
        if sent.kind != "text":
            shown = f"[{sent.kind} {sent.file_name or ''}] {shown}".rstrip()
        buttons = sent.button_texts()
        suffix = f"  [{' | '.join(buttons)}]" if buttons else ""
        self._log(sent.chat_id, f"{verb}: {shown}{suffix}")

    # -- updates ------------------------------------------------------------------------------

    async def _enqueue(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        sender = _sender_chat(body)
        if sender is not None:
            self._last_heard[sender] = self._clock()
        self._updates.append(update)
        self._queued[update["update_id"]] = update
        await self._notify()
        return update

    async def deliver_raw(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update with exactly this payload (``update_id`` is added), unchecked: what
        no person action here makes, such as an object shaped by an older Bot API server."""
        return await self._enqueue(body)

    async def deliver_again(self, update_id: int | None = None) -> dict[str, Any]:
        """Hand the bot an update it already had, once more (default: the newest one).

        Telegram does this when a bot stops before confirming what it fetched. The copy keeps
        the payload (same message, same callback query id) and takes the next update_id, since
        the bot's offset has already moved past the original one.
        """
        original = self._queued[update_id if update_id is not None else max(self._queued)]
        body = {key: value for key, value in original.items() if key != "update_id"}
        return await self._enqueue(body)

    def _new_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] += 1
        return self._next_message_id[chat_id]

    async def _person_message(
        self, person: EmulatedPerson, body: dict[str, Any], *, log_line: str, sender: bool = True
    ) -> dict[str, Any]:
        message = {
            "message_id": self._new_message_id(person.chat_id),
            **({"from": person.user} if sender else {}),
            "chat": person.chat,
            "date": int(time.time()),
            **body,
        }
        self._person_messages[(person.chat_id, message["message_id"])] = message
        self._log(person.chat_id, f"{person.first_name}: {log_line}")
        self._publish(ChatEvent("person", person.chat_id, person_message=message))
        await self._enqueue({"message": message})
        return message

    async def _person_edit(
        self, person: EmulatedPerson, message: dict[str, Any], new_text: str
    ) -> dict[str, Any]:
        key = (person.chat_id, int(message["message_id"]))
        stored = self._person_messages.get(key)
        if stored is None or "text" not in stored:
            raise AssertionError(f"{person.first_name} has no text message {key[1]} to edit")
        edited = {k: v for k, v in stored.items() if k != "entities"}
        edited["text"] = new_text
        edited["edit_date"] = int(time.time())
        entities = command_entities(new_text)
        if entities:
            edited["entities"] = entities
        self._person_messages[key] = edited
        self._log(person.chat_id, f"{person.first_name} (edited #{key[1]}): {new_text}")
        self._publish(ChatEvent("person", person.chat_id, person_message=edited))
        await self._enqueue({"edited_message": edited})
        return edited

    async def _press(
        self, person: EmulatedPerson, message: SentMessage | None, data: str, label: str
    ) -> str:
        """A press on ``message``'s button, or (None) on a message sent in inline mode."""
        query_id = str(next(self._callback_ids))
        self._callbacks[query_id] = _CallbackQuery(
            person.chat_id, message.message_id if message else None, data, self._clock()
        )
        self._log(person.chat_id, f"{person.first_name} pressed [{label}]")
        where = (
            {"message": self._message_dict(message)}
            if message is not None
            else {"inline_message_id": f"AQAAA{query_id[-8:]}"}
        )
        await self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": person.user,
                    **where,
                    "chat_instance": str(-(abs(person.chat_id) * 7919 + self.bot_id)),
                    "data": data,
                }
            }
        )
        return query_id

    def _chat_member_changed(self, person: EmulatedPerson, old: str, new: str) -> None:
        """Block/unblock produce ``my_chat_member`` updates, as on Telegram."""
        self._log(
            person.chat_id,
            f"{person.first_name} {'blocked' if new == 'kicked' else 'unblocked'} the bot",
        )
        now = int(time.time())
        member: dict[str, Any] = {"user": self._bot_user()}
        old_member = {**member, "status": old}
        new_member = {**member, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        if old == "kicked":
            old_member["until_date"] = 0
        update = {
            "update_id": self._next_update_id,
            "my_chat_member": {
                "chat": person.chat,
                "from": person.user,
                "date": now,
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        }
        self._next_update_id += 1
        self._updates.append(update)
        self._notify_soon()

    # -- validation helpers -------------------------------------------------------------------

    def _person_for(self, params: Params, *, for_write: bool = True) -> EmulatedPerson:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("Bad Request: chat_id is empty")
        person = self._persons.get(chat_id) if isinstance(chat_id, int) else None
        if person is None and isinstance(chat_id, str) and chat_id.startswith("@"):
            person = next((p for p in self._persons.values() if p.username == chat_id[1:]), None)
        if person is None:
            raise _bad_request(ERR_CHAT_NOT_FOUND)
        if for_write and person.blocked:
            raise ApiError(403, ERR_BLOCKED)
        return person

    def _check_flood(self, chat_id: int) -> None:
        """Take a token from the per-chat bucket, and from the global (bulk) one unless the
        message answers someone who just wrote, or refuse with a 429."""
        if not self.flood_limits:
            return
        now = self._clock()
        if self._global_bucket is None:
            self._global_bucket = _TokenBucket(self.global_rate, self.global_rate, now)
        chat_bucket = self._chat_buckets.get(chat_id)
        if chat_bucket is None:
            chat_bucket = _TokenBucket(self.per_chat_burst, self.per_chat_rate, now)
            self._chat_buckets[chat_id] = chat_bucket
        heard = self._last_heard.get(chat_id)
        bulk = heard is None or now - heard > REPLY_WINDOW_SECONDS
        wait = chat_bucket.wait_time(now)
        if bulk:
            wait = max(wait, self._global_bucket.wait_time(now))
        if wait > 0:
            raise _too_many_requests(max(1, math.ceil(wait)))
        if bulk:
            self._global_bucket.take()
        chat_bucket.take()

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup the way Telegram does for inline keyboards."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request(ERR_MARKUP_JSON)
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('Bad Request: field "inline_keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or "text" not in button:
                    raise _bad_request(
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String'
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(str(data).encode("utf-8"))
                    if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request(ERR_BUTTON_DATA)
                elif "url" in button:
                    url = str(button["url"])
                    if not re.match(r"^(https?|tg)://\S+$", url):
                        raise _bad_request(ERR_BUTTON_URL)
                elif not (set(button) - {"text"}):
                    raise _bad_request(ERR_TEXT_BUTTON)
        return markup

    @staticmethod
    def _render(text: str, parse_mode: Any) -> tuple[str, list[dict[str, Any]]]:
        try:
            return render_text(text, parse_mode if isinstance(parse_mode, str) else None)
        except EntityParseError as error:
            raise _bad_request(ERR_PARSE_ENTITIES + str(error)) from None

    def _render_message_text(self, params: Params) -> tuple[str, str, list[dict[str, Any]]]:
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            raise _bad_request(ERR_TEXT_EMPTY)
        plain, entities = self._render(raw, params.get("parse_mode"))
        if not plain:
            raise _bad_request(ERR_TEXT_EMPTY)
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request(ERR_TEXT_TOO_LONG)
        return raw, plain, entities

    def _render_caption(
        self, params: Params
    ) -> tuple[str | None, str | None, list[dict[str, Any]]]:
        raw = params.get("caption")
        if not isinstance(raw, str) or not raw:
            return None, None, []
        plain, entities = self._render(raw, params.get("parse_mode"))
        if utf16_len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request(ERR_CAPTION_TOO_LONG)
        return raw, plain or None, entities

    def _reply_target(self, params: Params, chat_id: int) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            target_id = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        else:
            target_id = params.get("reply_to_message_id")
        if target_id is None:
            return None
        with contextlib.suppress(TypeError, ValueError):
            key = (chat_id, int(target_id))
            if key in self._person_messages:
                return dict(self._person_messages[key])
            if key in self._bot_messages and not self._bot_messages[key].deleted:
                return self._message_dict(self._bot_messages[key])
        if allow_missing:
            return None
        raise _bad_request(ERR_REPLY_NOT_FOUND)

    def _record(self, sent: SentMessage) -> dict[str, Any]:
        self._sent.append(sent)
        self._sent_by_chat.setdefault(sent.chat_id, []).append(sent)
        self._bot_messages[(sent.chat_id, sent.message_id)] = sent
        self._activity[sent.chat_id] += 1
        self._log_bot(sent)
        self._publish(ChatEvent("sent", sent.chat_id, message=sent))
        return self._message_dict(sent)

    def _editable(self, params: Params) -> SentMessage:
        if "inline_message_id" in params and "chat_id" not in params:
            raise _bad_request("Bad Request: MESSAGE_ID_INVALID")
        person = self._person_for(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad_request(ERR_EDIT_NOT_FOUND)
        key = (person.chat_id, message_id)
        if key in self._person_messages:
            raise _bad_request(ERR_CANT_EDIT)
        sent = self._bot_messages.get(key)
        if sent is None or sent.deleted:
            raise _bad_request(ERR_EDIT_NOT_FOUND)
        return sent

    def _apply_edit(self, sent: SentMessage) -> dict[str, Any]:
        sent.edits += 1
        sent.edit_date = int(time.time())
        sent.history.append(sent.text)
        self._activity[sent.chat_id] += 1
        self._log_bot(sent, verb=f"bot (edited #{sent.message_id})")
        self._publish(ChatEvent("edited", sent.chat_id, message=sent))
        return self._message_dict(sent)

    # -- files --------------------------------------------------------------------------------

    def _new_file_id(self, kind: str) -> tuple[str, str]:
        number = next(self._file_ids)
        return (
            f"{kind[:2].upper()}ACAgIAAxkBAAI{number:06d}{self.bot_id:x}",
            f"AQAD{number:06d}{kind[:1]}",
        )

    def _store_photo(
        self, data: bytes | None, file_name: str | None, mime_type: str | None
    ) -> list[dict[str, Any]]:
        """Store an image and describe it as Telegram's ladder of PhotoSize thumbnails."""
        size = image_size(data) if data else None
        width, height = size or (800, 600)
        longest = max(width, height, 1)
        sizes: list[dict[str, Any]] = []
        targets = [t for t in (90, 320, 800) if t < longest] + [min(longest, 1280)]
        for target in targets:
            scale = target / longest
            file_id, unique_id = self._new_file_id("photo")
            is_full = target == targets[-1]
            self._files[file_id] = _StoredFile(
                data if is_full else None, file_name, mime_type, unique_id
            )
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": unique_id,
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": len(data) if data and is_full else max(1, int(target * 12)),
                }
            )
        return sizes

    def _file_param(self, params: Params, name: str) -> tuple[bytes | None, str | None, str | None]:
        """The bytes, name and MIME type behind a file parameter (upload, attach:// or file_id)."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, _Upload):
            if not value.data:
                raise _bad_request(ERR_FILE_EMPTY)
            if len(value.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                guessed = mimetypes.guess_type(value.filename or "")[0]
                mime = guessed or mime or "application/octet-stream"
            return value.data, value.filename, mime
        if isinstance(value, str) and value:
            if value.startswith(("http://", "https://")):
                return None, value.rsplit("/", 1)[-1] or None, None
            stored = self._files.get(value)
            if stored is None:
                raise _bad_request(ERR_BAD_FILE_ID)
            return stored.data, stored.file_name, stored.mime_type
        raise _bad_request(f"Bad Request: there is no {name} in the request")

    # -- methods ------------------------------------------------------------------------------

    async def _true(self, params: Params, request: web.Request) -> bool:
        return True

    async def _get_me(self, params: Params, request: web.Request) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_webhook(self, params: Params, request: web.Request) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            return await self._delete_webhook(params, request)
        if not re.match(r"^https?://", url):
            raise _bad_request(
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not (isinstance(secret, str) and _SECRET_TOKEN.match(secret)):
            raise _bad_request("Bad Request: secret token contains unallowed characters")
        connections = params.get("max_connections", 40)
        if not isinstance(connections, int) or not 1 <= connections <= 100:
            connections = 40
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = _Webhook(url, secret, connections, list(self._allowed_updates))
        # A long poll waiting now is ended, as Telegram ends it.
        if self._poller is not None:
            self._poller.superseded = True
        self._start_pushing()
        await self._notify()
        return True

    async def _delete_webhook(self, params: Params, request: web.Request) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        await self._notify()
        return True

    async def _get_webhook_info(self, params: Params, request: web.Request) -> dict[str, Any]:
        self._has_pending()
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
            if self.webhook.last_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook.last_error
        return info

    # -- pushing to a webhook -----------------------------------------------------------------

    def _start_pushing(self) -> None:
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_loop())

    async def _stop_pushing(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._push_session is not None:
            await self._push_session.close()
            self._push_session = None

    def _unpushed_lane(self) -> bool:
        """Whether some chat has an update waiting and no push in flight."""
        self._has_pending()
        return any(_sender_chat(u) not in self._pushing for u in self._updates)

    async def _push_loop(self) -> None:
        """While a webhook is set: each chat's updates pushed in order, one request per chat at
        a time, chats side by side up to the webhook's max_connections."""
        self._push_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        while not self._closing:
            async with self._cond:
                await self._cond.wait_for(
                    lambda: (
                        self._closing
                        or (
                            self.webhook is not None
                            and len(self._pushing) < self.webhook.max_connections
                            and self._unpushed_lane()
                        )
                    )
                )
            if self._closing or self.webhook is None:
                continue
            lanes = []
            for update in self._updates:
                lane = _sender_chat(update)
                if lane not in self._pushing and lane not in lanes:
                    lanes.append(lane)
            for lane in lanes[: self.webhook.max_connections - len(self._pushing)]:
                self._pushing.add(lane)
                task = asyncio.get_running_loop().create_task(self._push_lane(lane))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def _push_lane(self, lane: int | None) -> None:
        """Push this chat's waiting updates one by one, each retried until taken."""
        try:
            while (webhook := self.webhook) is not None and not self._closing:
                update = next((u for u in self._updates if _sender_chat(u) == lane), None)
                if update is None:
                    return
                pause = self.webhook_retry_seconds[0]
                while not await self._push_one(webhook, update):
                    if self.webhook is not webhook or self._closing:
                        return
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, self.webhook_retry_seconds[1])
                self._updates = [u for u in self._updates if u is not update]
                self._delivered_up_to = max(self._delivered_up_to, update["update_id"])
                await self._notify()
        finally:
            self._pushing.discard(lane)
            await self._notify()

    async def _push_one(self, webhook: _Webhook, update: dict[str, Any]) -> bool:
        """One POST of the update; True once the bot answered 2xx."""
        headers = {SECRET_HEADER: webhook.secret} if webhook.secret else {}
        assert self._push_session is not None
        try:
            async with self._push_session.post(webhook.url, json=update, headers=headers) as resp:
                await resp.read()
                outcome: int | str = resp.status
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            outcome = type(error).__name__
        self.webhook_attempts.append((update["update_id"], outcome))
        if isinstance(outcome, int) and 200 <= outcome < 300:
            self.stats["webhook_delivered"] += 1
            return True
        self.stats["webhook_failed"] += 1
        reason = f"Wrong response from the webhook: {outcome}"
        if not isinstance(outcome, int):
            reason = "Connection refused"
        webhook.last_error = (int(time.time()), reason)
        return False

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:
            del self._updates[: max(0, len(self._updates) + offset)]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _has_pending(self) -> bool:
        """Whether a poll would get something (updates of unwanted kinds are dropped here, as
        Telegram never queues them)."""
        if self._allowed_updates:
            allowed = set(self._allowed_updates)
            self._updates = [u for u in self._updates if (set(u) - {"update_id"}) & allowed]
        return bool(self._updates)

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        self._has_pending()
        batch = self._updates[:limit]
        if batch:
            self._delivered_up_to = max(self._delivered_up_to, batch[-1]["update_id"])
            if self._watches:
                self._handed_while_watched.update(update["update_id"] for update in batch)
        return batch

    async def _get_updates(self, params: Params, request: web.Request) -> list[dict[str, Any]]:
        """Long polling; a second concurrent poll is refused with 409 like Telegram does, and
        so is any while a webhook is set."""
        if self.webhook is not None:
            raise ApiError(409, ERR_WEBHOOK_ACTIVE)
        limit = params.get("limit", 100)
        limit = min(100, max(1, limit)) if isinstance(limit, int) else 100
        try:
            timeout = max(0.0, float(params.get("timeout", 0)))
        except (TypeError, ValueError):
            timeout = 0.0
        previous = self._poller
        if previous is not None:
            # The waiting poll may belong to a client that just hung up (PTB cancels its
            # request on shutdown, then confirms offsets); give its disconnect a moment to be
            # noticed before calling this a second bot instance.
            for _ in range(10):
                if self._poller is not previous or previous.gone():
                    break
                await asyncio.sleep(0.005)
            if self._poller is previous and not previous.gone():
                raise ApiError(409, ERR_CONFLICT)
            previous.superseded = True
            if self._poller is previous:
                self._poller = None

        if time.monotonic() < self._lingering_until:
            raise ApiError(409, ERR_CONFLICT)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]]
        self._confirm(params.get("offset"))
        batch = self._deliverable(limit)
        if batch or timeout == 0:
            return batch

        poller = _Poller(request)
        try:
            async with self._cond:
                self._poller = poller
                self._cond.notify_all()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await self._cond.wait_for(
                            lambda: (
                                poller.superseded
                                or self._closing
                                or self.faults.refusing
                                or self._has_pending()
                            )
                        )
        finally:
            if self._poller is poller:
                self._poller = None
            if poller.gone() and self.faults.poll_linger > 0:
                self._lingering_until = time.monotonic() + self.faults.poll_linger
        if self.faults.refusing or poller.superseded:
            return []
        return self._deliverable(limit)

    async def _send_message(self, params: Params, request: web.Request) -> dict[str, Any]:
        person = self._person_for(params)
        raw, plain, entities = self._render_message_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, person.chat_id)
        self._check_flood(person.chat_id)
        sent = SentMessage(
            chat_id=person.chat_id,
            message_id=self._new_message_id(person.chat_id),
            text=plain,
            raw_text=raw,
            parse_mode=params.get("parse_mode") or None,
            reply_markup=markup,
            kind="text",
            file_bytes=None,
            file_name=None,
            mime_type=None,
            edits=0,
            deleted=False,
            date=int(time.time()),
            entities=entities,
            reply_to_message=reply_to,
        )
        return self._record(sent)

    async def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        person = self._person_for(params)
        data, file_name, mime_type = self._file_param(params, kind)
        raw, plain, entities = self._render_caption(params)
        markup = self._check_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, person.chat_id)
        if kind == "photo":
            if data is not None:
                if not _looks_like_image(data):
                    raise _bad_request(ERR_IMAGE_PROCESS)
                size = image_size(data)
                if size and (sum(size) > 10000 or max(size) > 20 * max(1, min(size))):
                    raise _bad_request(ERR_PHOTO_DIMENSIONS)
            self._check_flood(person.chat_id)
            media: dict[str, Any] = {"photo": self._store_photo(data, file_name, mime_type)}
        else:
            if isinstance(params.get("file_name"), str):
                file_name = params["file_name"]
            self._check_flood(person.chat_id)
            file_id, unique_id = self._new_file_id("document")
            self._files[file_id] = _StoredFile(data, file_name, mime_type, unique_id)
            document: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id}
            if file_name:
                document["file_name"] = file_name
            if mime_type:
                document["mime_type"] = mime_type
            document["file_size"] = len(data) if data else 0
            media = {"document": document}
        sent = SentMessage(
            chat_id=person.chat_id,
            message_id=self._new_message_id(person.chat_id),
            text=plain,
            raw_text=raw,
            parse_mode=(params.get("parse_mode") or None) if raw else None,
            reply_markup=markup,
            kind=kind,
            file_bytes=data,
            file_name=file_name,
            mime_type=mime_type,
            edits=0,
            deleted=False,
            date=int(time.time()),
            entities=entities,
            media=media,
            reply_to_message=reply_to,
        )
        return self._record(sent)

    async def _send_photo(self, params: Params, request: web.Request) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def _send_document(self, params: Params, request: web.Request) -> dict[str, Any]:
        return await self._send_media(params, "document")

    async def _edit_message_text(self, params: Params, request: web.Request) -> dict[str, Any]:
        sent = self._editable(params)
        if sent.kind != "text":
            raise _bad_request(ERR_NO_TEXT_TO_EDIT)
        raw, plain, entities = self._render_message_text(params)
        return self._edit_content(sent, params, raw, plain, entities, params.get("parse_mode"))

    async def _edit_message_caption(self, params: Params, request: web.Request) -> dict[str, Any]:
        sent = self._editable(params)
        if sent.kind == "text":
            raise _bad_request(ERR_NO_CAPTION_TO_EDIT)
        raw, plain, entities = self._render_caption(params)
        parse_mode = params.get("parse_mode") if raw else None
        return self._edit_content(sent, params, raw, plain, entities, parse_mode)

    def _edit_content(
        self,
        sent: SentMessage,
        params: Params,
        raw: str | None,
        plain: str | None,
        entities: list[dict[str, Any]],
        parse_mode: Any,
    ) -> dict[str, Any]:
        """Replace a message's text or caption (and keyboard), as editMessageText/Caption do."""
        # Omitting reply_markup in an edit removes the inline keyboard, as on Telegram.
        markup = self._check_markup(params.get("reply_markup"))
        if (plain, entities, _inline(markup)) == (
            sent.text,
            sent.entities,
            _inline(sent.reply_markup),
        ):
            raise _bad_request(ERR_NOT_MODIFIED)
        self._check_flood(sent.chat_id)
        sent.text, sent.raw_text, sent.entities = plain, raw, entities
        sent.parse_mode = parse_mode or None
        sent.reply_markup = markup
        return self._apply_edit(sent)

    async def _edit_message_reply_markup(
        self, params: Params, request: web.Request
    ) -> dict[str, Any]:
        sent = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if _inline(markup) == _inline(sent.reply_markup):
            raise _bad_request(ERR_NOT_MODIFIED)
        self._check_flood(sent.chat_id)
        sent.reply_markup = markup
        return self._apply_edit(sent)

    async def _answer_callback_query(self, params: Params, request: web.Request) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        query = self._callbacks.get(query_id)
        if query is None or query.answered:
            raise _bad_request(ERR_QUERY_TOO_OLD)
        if self._clock() - query.created > self.callback_answer_timeout:
            raise _bad_request(ERR_QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request(ERR_MESSAGE_TOO_LONG)
        query.answered = True
        answer = {k: v for k, v in params.items() if k != "callback_query_id"}
        answer["callback_query_id"] = query_id
        self._callback_answers.append((query_id, answer))
        if text:
            alert = "alert" if params.get("show_alert") else "toast"
            self._log(query.chat_id, f"bot ({alert}): {text}")
        self._publish(ChatEvent("answer", query.chat_id, answer=dict(answer)))
        return True

    async def _send_chat_action(self, params: Params, request: web.Request) -> bool:
        self._person_for(params)
        if not params.get("action"):
            raise _bad_request("Bad Request: action is empty")
        return True

    @staticmethod
    def _command_key(params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: Params, request: web.Request) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command", ""))
            ):
                raise _bad_request(ERR_COMMAND_INVALID)
            if not str(command.get("description", "")).strip():
                raise _bad_request(ERR_COMMAND_DESCRIPTION)
        self._command_sets[self._command_key(params)] = commands
        self.commands = commands
        self._publish(ChatEvent("commands", None))
        return True

    async def _get_my_commands(self, params: Params, request: web.Request) -> list[Any]:
        return self._command_sets.get(self._command_key(params), [])

    async def _delete_my_commands(self, params: Params, request: web.Request) -> bool:
        self._command_sets.pop(self._command_key(params), None)
        return True

    async def _delete_message(self, params: Params, request: web.Request) -> bool:
        person = self._person_for(params, for_write=False)
        message_id = params.get("message_id")
        key = (person.chat_id, message_id if isinstance(message_id, int) else -1)
        if key in self._person_messages:
            removed = self._person_messages.pop(key)
            self._publish(ChatEvent("person_deleted", person.chat_id, person_message=removed))
            return True
        sent = self._bot_messages.get(key)
        if sent is None or sent.deleted:
            raise _bad_request(ERR_DELETE_NOT_FOUND)
        sent.deleted = True
        self._activity[sent.chat_id] += 1
        self._log(sent.chat_id, f"bot deleted #{sent.message_id}")
        self._publish(ChatEvent("deleted", sent.chat_id, message=sent))
        return True

    async def _delete_messages(self, params: Params, request: web.Request) -> bool:
        """deleteMessages: 1 to 100 ids; as Telegram does, ids that cannot be found (or were
        deleted already) are skipped rather than refused."""
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad_request("Bad Request: message identifiers are not specified")
        for message_id in ids:
            with contextlib.suppress(ApiError):
                await self._delete_message({**params, "message_id": message_id}, request)
        return True

    async def _get_chat(self, params: Params, request: web.Request) -> dict[str, Any]:
        person = self._person_for(params, for_write=False)
        return {**person.chat, "accent_color_id": 0, "max_reaction_count": 11}

    async def _get_file(self, params: Params, request: web.Request) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad_request("Bad Request: invalid file_id")
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": stored.unique_id}
        if stored.data is not None:
            result["file_size"] = len(stored.data)
        result["file_path"] = f"files/{stored.unique_id}"
        return result


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


_CLI_HELP = """Type a message to send it as the person. Other commands:
  :press <button>      press an inline button on the newest message offering it
  :photo  :sticker  :voice  :location [lat lon]
  :block  :unblock     block / unblock the bot
  :quit                stop the emulator"""


async def _print_transcript(emulator: BotApiEmulator, person: EmulatedPerson) -> None:
    """Echo what the bot does in the person's chat to stdout as it happens."""
    lines = emulator._transcripts[person.chat_id]
    shown = 0
    while True:
        with contextlib.suppress(TimeoutError):
            await emulator._wait_for(lambda shown=shown: len(lines) > shown, 3600)
        for line in lines[shown:]:
            if not line.startswith(person.first_name):
                print(f"  {line}", flush=True)
        shown = len(lines)


def _start_stdin_reader(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Read stdin on a daemon thread (so a pending read never blocks interpreter exit)."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="emulator-stdin", daemon=True).start()
    return queue


async def _act(person: EmulatedPerson, line: str) -> bool:
    """Carry out one line of CLI input as the person; False means quit."""
    command, _, rest = line.partition(" ")
    actions: dict[str, Callable[[], Awaitable[Any]]] = {
        ":photo": person.send_photo,
        ":sticker": person.send_sticker,
        ":voice": person.send_voice,
    }
    if command == ":quit":
        return False
    if command == ":press":
        await person.press(rest.strip())
    elif command == ":location":
        coordinates = [float(value) for value in rest.split()] or [52.5, 13.4]
        await person.send_location(*coordinates[:2])
    elif command == ":block":
        person.block()
    elif command == ":unblock":
        person.unblock()
    elif command in actions:
        await actions[command]()
    elif command.startswith(":"):
        print(_CLI_HELP, flush=True)
    elif line.strip():
        await person.send(line)
    return True


async def _serve(args: argparse.Namespace) -> None:
    emulator = BotApiEmulator(
        args.token, host=args.host, port=args.port, flood_limits=not args.no_flood_limits
    )
    async with emulator:
        person = emulator.person(args.chat_id, args.name)
        print(f"Telegram Bot API emulator: base_url={emulator.base_url} token={emulator.token}")
        print(f"Person: {person.first_name} (chat_id {person.chat_id}). Ctrl+C stops.", flush=True)
        printer = asyncio.create_task(_print_transcript(emulator, person))
        try:
            if args.interactive:
                print(_CLI_HELP, flush=True)
                queue = _start_stdin_reader(asyncio.get_running_loop())
                while (line := await queue.get()) is not None:
                    try:
                        if not await _act(person, line):
                            return
                    except (AssertionError, ValueError) as problem:
                        print(f"! {problem}", flush=True)
            await asyncio.Event().wait()
        finally:
            printer.cancel()


def main(argv: Iterable[str] | None = None) -> None:
    """``python -m sandbox.emulator --port 8081``: serve the emulator until interrupted, with
    one person whose side of the chat is typed on stdin when it is a terminal."""
    parser = argparse.ArgumentParser(description="Serve the Telegram Bot API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--no-flood-limits", action="store_true")
    parser.add_argument("--chat-id", type=int, default=1001, help="the person's chat id")
    parser.add_argument("--name", default="Alex", help="the person's first name")
    parser.add_argument(
        "--interactive",
        action=argparse.BooleanOptionalAction,
        default=sys.stdin.isatty(),
        help="type the person's messages on stdin (default: when stdin is a terminal)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()

"""Tests for the Bot API emulator: its HTTP contract (shapes, error texts, long polling, flood
control) and that a real python-telegram-bot Application runs against it unchanged.

The emulator is the ground the end-to-end tests stand on, so these tests pin down the exact
behaviour the bot will meet on Telegram rather than the emulator's internals.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox.emulator import (
    ERR_BLOCKED,
    ERR_BUTTON_DATA,
    ERR_CHAT_NOT_FOUND,
    ERR_CONFLICT,
    ERR_EDIT_NOT_FOUND,
    ERR_NOT_MODIFIED,
    ERR_QUERY_TOO_OLD,
    ERR_TEXT_EMPTY,
    ERR_TEXT_TOO_LONG,
    REPLY_WINDOW_SECONDS,
    BotApiEmulator,
    EmulatedPerson,
    EntityParseError,
    command_entities,
    image_size,
    render_text,
    tiny_png,
)

App = Application[Any, Any, Any, Any, Any, Any]
ROOT = Path(__file__).resolve().parents[2]
CHAT = 4242


class FakeClock:
    """A hand-driven monotonic clock, so flood-control tests need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Api:
    """A bare HTTP client for the emulator, to check wire-level shapes without PTB."""

    def __init__(self, session: aiohttp.ClientSession, emulator: BotApiEmulator) -> None:
        self.session = session
        self.emulator = emulator

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.emulator.base_url}{token or self.emulator.token}/{method}"

    async def form(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        """POST form-encoded, the way PTB sends calls without files."""
        data = {k: v if isinstance(v, str) else _json(v) for k, v in params.items()}
        async with self.session.post(self.url(method), data=data) as response:
            return response.status, await response.json()

    async def json(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.url(method), json=params) as response:
            return response.status, await response.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.form(method, **params)
        assert status == 200 and body["ok"] is True, body
        return body["result"]


def _json(value: Any) -> str:
    return json.dumps(value)


def png_bytes(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def em() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def api(em: BotApiEmulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, em)


@pytest.fixture
def alex(em: BotApiEmulator) -> EmulatedPerson:
    return em.person(CHAT, "Alex", username="alex")


# --- a minimal real bot ----------------------------------------------------------------------

CHOICES = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ]
    ]
)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "Welcome, <b>friend</b> &amp; all!", parse_mode=ParseMode.HTML, reply_markup=CHOICES
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.edited_message is not None
    await update.edited_message.reply_text(f"edited: {update.edited_message.text}")


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    assert message is not None
    if message.sticker:
        kind = f"sticker {message.sticker.width}x{message.sticker.height}"
    elif message.photo:
        kind = f"photo {message.photo[-1].width}x{message.photo[-1].height}"
    elif message.voice:
        kind = f"voice {message.voice.duration}s"
    else:
        assert message.location is not None
        kind = f"location {message.location.latitude},{message.location.longitude}"
    await message.reply_text(f"got {kind}")


async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data}")


def build_bot(emulator: BotApiEmulator) -> App:
    app = ApplicationBuilder().token(emulator.token).base_url(emulator.base_url).build()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, on_edit))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(
        MessageHandler(
            filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.LOCATION, on_media
        )
    )
    app.add_handler(CallbackQueryHandler(on_choice))
    return app


async def start_bot(app: App) -> None:
    """Start the way ``run_polling`` does."""
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    await app.start()


async def stop_bot(app: App) -> None:
    assert app.updater is not None
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


@pytest.fixture
async def bot(em: BotApiEmulator) -> AsyncIterator[App]:
    app = build_bot(em)
    await start_bot(app)
    await em.wait_for_poller()
    yield app
    await stop_bot(app)


# --- wire format ---------------------------------------------------------------------------


async def test_get_me_envelope_and_routing(em: BotApiEmulator, api: Api) -> None:
    status, body = await api.form("getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["id"] == 123456
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "KindlingTestBot"

    async with api.session.post(api.url("getMe", token="999:WRONG")) as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with api.session.post(api.url("sendCarrierPigeon")) as response:
        assert response.status == 404
        assert (await response.json())["description"] == "Not Found"
    # GET with query parameters works too, and method names are case-insensitive.
    em.person(CHAT)
    async with api.session.get(api.url("sendmessage"), params={"chat_id": CHAT, "text": "hi"}) as r:
        assert (await r.json())["result"]["text"] == "hi"
    assert em.calls[-1] == ("sendMessage", {"chat_id": CHAT, "text": "hi"})


async def test_json_body_and_message_shape(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    status, body = await api.json(
        "sendMessage", chat_id=CHAT, text="  Hello  ", reply_markup=markup
    )
    assert status == 200, body
    message = body["result"]
    assert message["message_id"] == 1
    assert message["from"]["is_bot"] is True and message["from"]["id"] == 123456
    assert message["chat"] == {
        "id": CHAT,
        "first_name": "Alex",
        "username": "alex",
        "type": "private",
    }
    assert isinstance(message["date"], int)
    assert message["text"] == "Hello"  # Telegram trims surrounding whitespace
    assert message["reply_markup"] == markup
    assert alex.last is not None and alex.last.buttons() == [[("Go", "go")]]
    assert em.stats["sent"] == 1 and em.stats["sendMessage"] == 1


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": ""}, ERR_TEXT_EMPTY),
        ({"text": " \n "}, ERR_TEXT_EMPTY),
        ({"text": "<b> </b>", "parse_mode": "HTML"}, ERR_TEXT_EMPTY),
        ({"text": "x" * 4097}, ERR_TEXT_TOO_LONG),
        ({"text": "😀" * 2049}, ERR_TEXT_TOO_LONG),  # 4098 UTF-16 code units
        (
            {
                "text": "a",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            ERR_BUTTON_DATA,
        ),
        (
            {
                "text": "a",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "é" * 33}]]},
            },
            ERR_BUTTON_DATA,
        ),
        (
            {
                "text": "a",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": ""}]]},
            },
            ERR_BUTTON_DATA,
        ),
        ({"chat_id": 999, "text": "a"}, ERR_CHAT_NOT_FOUND),
        (
            {"text": "<b>bold", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: "
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            {"text": "Hello!", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: "
            "Character '!' is reserved and must be escaped with the preceding '\\'",
        ),
    ],
)
async def test_send_message_errors(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson, params: dict[str, Any], description: str
) -> None:
    status, body = await api.form("sendMessage", **{"chat_id": CHAT, **params})
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": description}
    assert em.sent() == []
    assert em.stats["400"] == 1


async def test_length_limit_is_exactly_4096(api: Api, alex: EmulatedPerson) -> None:
    await api.ok("sendMessage", chat_id=CHAT, text="x" * 4096)
    await api.ok("sendMessage", chat_id=CHAT, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")


async def test_edits_and_not_modified(em: BotApiEmulator, api: Api, alex: EmulatedPerson) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    sent = await api.ok("sendMessage", chat_id=CHAT, text="one", reply_markup=markup)
    mid = sent["message_id"]

    status, body = await api.form(
        "editMessageText", chat_id=CHAT, message_id=mid, text="one", reply_markup=markup
    )
    assert (status, body["description"]) == (400, ERR_NOT_MODIFIED)

    edited = await api.ok(
        "editMessageText",
        chat_id=CHAT,
        message_id=mid,
        text="<i>two</i>",
        parse_mode="HTML",
        reply_markup=markup,
    )
    assert edited["text"] == "two" and "edit_date" in edited
    record = em.sent(CHAT)[0]
    assert (record.text, record.raw_text, record.parse_mode, record.edits) == (
        "two",
        "<i>two</i>",
        "HTML",
        1,
    )

    # Omitting reply_markup removes the keyboard: that *is* a modification.
    edited = await api.ok(
        "editMessageText", chat_id=CHAT, message_id=mid, text="two", parse_mode="HTML"
    )
    assert "reply_markup" not in edited and record.reply_markup is None

    status, body = await api.form("editMessageReplyMarkup", chat_id=CHAT, message_id=mid)
    assert (status, body["description"]) == (400, ERR_NOT_MODIFIED)
    await api.ok("editMessageReplyMarkup", chat_id=CHAT, message_id=mid, reply_markup=markup)
    assert record.button_texts() == ["A"] and record.edits == 3

    status, body = await api.form("editMessageText", chat_id=CHAT, message_id=999, text="x")
    assert (status, body["description"]) == (400, ERR_EDIT_NOT_FOUND)


async def test_delete_message_and_chat_helpers(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    first = await api.ok("sendMessage", chat_id=CHAT, text="first")
    await api.ok("sendMessage", chat_id=CHAT, text="second")
    assert await api.ok("deleteMessage", chat_id=CHAT, message_id=first["message_id"]) is True
    status, body = await api.form("deleteMessage", chat_id=CHAT, message_id=first["message_id"])
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    assert [m.text for m in alex.messages] == ["second"]
    assert [(m.text, m.deleted) for m in em.sent(CHAT)] == [("first", True), ("second", False)]

    assert await api.ok("sendChatAction", chat_id=CHAT, action="typing") is True
    chat = await api.ok("getChat", chat_id=CHAT)
    assert chat["id"] == CHAT and chat["type"] == "private"
    status, body = await api.form("getChat", chat_id=1)
    assert (status, body["description"]) == (400, ERR_CHAT_NOT_FOUND)
    assert await api.ok("close") is True and await api.ok("logOut") is True


async def test_delete_messages_skips_what_it_cannot_find(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    """deleteMessages, as Telegram has it: up to 100 ids, missing ones skipped, not refused."""
    ids = [(await api.ok("sendMessage", chat_id=CHAT, text=t))["message_id"] for t in "abc"]
    await api.ok("deleteMessage", chat_id=CHAT, message_id=ids[0])
    assert await api.ok("deleteMessages", chat_id=CHAT, message_ids=[ids[0], ids[2], 999]) is True
    assert [(m.text, m.deleted) for m in em.sent(CHAT)] == [
        ("a", True),
        ("b", False),
        ("c", True),
    ]
    for wrong in ([], list(range(101))):
        status, _ = await api.form("deleteMessages", chat_id=CHAT, message_ids=wrong)
        assert status == 400


async def test_blocked_person_gets_403(em: BotApiEmulator, api: Api, alex: EmulatedPerson) -> None:
    sent = await api.ok("sendMessage", chat_id=CHAT, text="before")
    alex.block()
    status, body = await api.form("sendMessage", chat_id=CHAT, text="after")
    assert status == 403
    assert body == {"ok": False, "error_code": 403, "description": ERR_BLOCKED}
    status, body = await api.form(
        "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="changed"
    )
    assert (status, body["description"]) == (403, ERR_BLOCKED)
    assert em.stats["403"] == 2
    updates = await api.ok("getUpdates")
    assert updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"

    alex.unblock()
    await api.ok("sendMessage", chat_id=CHAT, text="welcome back")


# --- flood control ---------------------------------------------------------------------------


async def test_global_flood_limit_returns_429_with_retry_after() -> None:
    clock = FakeClock()
    async with (
        BotApiEmulator(global_rate=3, per_chat_burst=100, clock=clock) as emulator,
        aiohttp.ClientSession() as session,
    ):
        api = Api(session, emulator)
        for chat_id in (1, 2, 3, 4):
            emulator.person(chat_id)
        for chat_id in (1, 2, 3):
            await api.ok("sendMessage", chat_id=chat_id, text="hi")
        status, body = await api.form("sendMessage", chat_id=4, text="hi")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        assert emulator.stats["429"] == 1 and emulator.stats["sent"] == 3
        clock.now += 1.0
        await api.ok("sendMessage", chat_id=4, text="hi")


async def test_replies_to_someone_who_just_wrote_are_not_bulk() -> None:
    clock = FakeClock()
    async with (
        BotApiEmulator(global_rate=3, per_chat_burst=100, clock=clock) as emulator,
        aiohttp.ClientSession() as session,
    ):
        api = Api(session, emulator)
        quiet = [emulator.person(chat_id) for chat_id in (1, 2, 3, 4)]
        writer = emulator.person(9)
        for person in quiet[:3]:
            await api.ok("sendMessage", chat_id=person.chat_id, text="a nudge")
        status, _ = await api.form("sendMessage", chat_id=4, text="a nudge")
        assert status == 429  # the bulk budget is spent
        await writer.send("hello")
        for _ in range(5):  # a reply is bound only by its own chat's limit
            await api.ok("sendMessage", chat_id=9, text="an answer")
        clock.now += REPLY_WINDOW_SECONDS + 1  # long after: a message to them is bulk again
        status, _ = await api.form("sendMessage", chat_id=9, text="a nudge")
        assert status == 200  # the bulk budget refilled meanwhile
        for person in quiet[:2]:
            await api.ok("sendMessage", chat_id=person.chat_id, text="a nudge")
        status, _ = await api.form("sendMessage", chat_id=9, text="a nudge")
        assert status == 429


async def test_per_chat_flood_limit_and_switch_off() -> None:
    clock = FakeClock()
    async with (
        BotApiEmulator(per_chat_burst=2, per_chat_rate=0.25, clock=clock) as emulator,
        aiohttp.ClientSession() as session,
    ):
        api = Api(session, emulator)
        emulator.person(1)
        emulator.person(2)
        await api.ok("sendMessage", chat_id=1, text="a")
        await api.ok("sendMessage", chat_id=1, text="b")
        status, body = await api.form("sendMessage", chat_id=1, text="c")
        assert status == 429 and body["parameters"] == {"retry_after": 4}
        await api.ok("sendMessage", chat_id=2, text="other chats are unaffected")
        emulator.flood_limits = False
        for _ in range(40):
            await api.ok("sendMessage", chat_id=1, text="unlimited")


# --- long polling ----------------------------------------------------------------------------


async def test_long_poll_wakes_on_update_and_offset_confirms(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    started = time.perf_counter()
    poll = asyncio.create_task(api.ok("getUpdates", timeout=5))
    await em.wait_for_poller()
    sent = await alex.send("hello")
    updates = await poll
    assert time.perf_counter() - started < 2
    assert [u["message"] for u in updates] == [sent]

    again = await api.ok("getUpdates", timeout=0)
    assert again == updates  # not confirmed yet
    assert await api.ok("getUpdates", offset=updates[-1]["update_id"] + 1) == []
    assert em.pending_updates == []

    started = time.perf_counter()
    assert await api.ok("getUpdates", timeout=1) == []  # waits the whole timeout
    assert time.perf_counter() - started >= 0.9


async def test_allowed_updates_filter(em: BotApiEmulator, api: Api, alex: EmulatedPerson) -> None:
    await alex.send("hi")
    await alex.send_location()
    await api.ok(
        "sendMessage",
        chat_id=CHAT,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "Pick", "callback_data": "p"}]]},
    )
    await alex.press("Pick")
    updates = await api.ok("getUpdates", allowed_updates=["callback_query"])
    assert [list(u)[1] for u in updates] == ["callback_query"]


async def test_concurrent_get_updates_conflict(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    first = asyncio.create_task(api.form("getUpdates", timeout=5))
    await em.wait_for_poller()
    status, body = await api.form("getUpdates", timeout=5)
    assert status == 409
    assert body == {"ok": False, "error_code": 409, "description": ERR_CONFLICT}
    await alex.send("still served")
    status, body = await first
    assert status == 200 and body["result"][0]["message"]["text"] == "still served"


async def test_bot_restarts_without_conflicts(em: BotApiEmulator, alex: EmulatedPerson) -> None:
    for round_ in range(2):
        app = build_bot(em)
        await start_bot(app)
        await em.wait_for_poller()
        await alex.send(f"round {round_}")
        await alex.expect(f"round {round_}")
        await stop_bot(app)
    assert em.stats["409"] == 0
    assert em.pending_updates == []  # the shutdown poll confirmed everything


# --- a real python-telegram-bot Application --------------------------------------------------


async def test_echo_round_trip(em: BotApiEmulator, bot: App, alex: EmulatedPerson) -> None:
    await alex.send("hello there")
    reply = await alex.expect("HELLO THERE")
    assert reply.text == "hello there" and reply.kind == "text"
    assert any(method == "getUpdates" for method, _ in em.calls)


async def test_command_entity_and_html_reply(bot: App, alex: EmulatedPerson) -> None:
    sent = await alex.send("/start@KindlingTestBot now")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    welcome = await alex.expect("welcome")
    assert welcome.text == "Welcome, friend & all!"
    assert welcome.raw_text == "Welcome, <b>friend</b> &amp; all!"
    assert welcome.parse_mode == "HTML"
    assert welcome.entities == [{"type": "bold", "offset": 9, "length": 6}]
    assert welcome.buttons() == [[("Yes", "yes"), ("No", "no")]]


def test_command_entities_are_measured_in_utf16() -> None:
    assert command_entities("/start") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("😀 /help me") == [{"type": "bot_command", "offset": 3, "length": 5}]
    assert command_entities("no/command here") == []


def test_links_in_the_bots_text_are_found_as_telegram_finds_them() -> None:
    text, entities = render_text(
        "Chat at 988lifeline.org. Or see https://findahelpline.com/countries/gb, any time "
        "(samaritans.org). Not e.g. 7 p.m., 14.30 or <code>x.com</code> or "
        '<a href="https://a.org">this</a>.',
        "HTML",
    )
    links = [
        (text[e["offset"] : e["offset"] + e["length"]], e["type"])
        for e in entities
        if e["type"] in ("url", "text_link")
    ]
    assert links == [
        ("988lifeline.org", "url"),
        ("https://findahelpline.com/countries/gb", "url"),
        ("samaritans.org", "url"),
        ("this", "text_link"),
    ]
    # Offsets in UTF-16 units, after an emoji that takes two of them.
    text, entities = render_text("🌱 see samaritans.org", None)
    assert entities == [{"type": "url", "offset": 7, "length": 14}]


async def test_inline_button_press_and_answer(bot: App, alex: EmulatedPerson) -> None:
    await alex.send("/start")
    welcome = await alex.expect("welcome")
    query_id = await alex.press("Yes")
    await alex.wait_for(lambda: welcome.edits == 1, what="the choice edit")
    assert welcome.text == "You chose yes"
    assert welcome.reply_markup is None  # edit without reply_markup drops the keyboard
    assert alex.callback_answered(query_id)
    assert alex.answered_callbacks == [{"text": "Noted", "callback_query_id": query_id}]
    assert alex.answered_callbacks() == alex.answered_callbacks  # callable spelling works too

    await alex.send("/start")
    await alex.expect("welcome")
    with pytest.raises(AssertionError, match=r"no inline button 'Maybe'(.|\n)*\['Yes', 'No'\]"):
        await alex.press("Maybe")
    with pytest.raises(AssertionError, match="no inline button 'Yes'"):
        await alex.press("Yes", welcome)  # the keyboard is gone now


async def test_forged_and_stale_callback_queries(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    sent = await api.ok(
        "sendMessage",
        chat_id=CHAT,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
    )
    query_id = await alex.press_data("forged:../../etc", em.sent(CHAT)[0])
    update = (await api.ok("getUpdates"))[-1]["callback_query"]
    assert update["id"] == query_id and update["data"] == "forged:../../etc"
    assert update["message"]["message_id"] == sent["message_id"]
    assert update["message"]["reply_markup"] == sent["reply_markup"]
    assert update["from"]["id"] == CHAT and update["chat_instance"]

    assert await api.ok("answerCallbackQuery", callback_query_id=query_id) is True
    for bad_id in (query_id, "123"):  # answered twice / never existed
        status, body = await api.form("answerCallbackQuery", callback_query_id=bad_id)
        assert (status, body["description"]) == (400, ERR_QUERY_TOO_OLD)


async def test_presses_from_inline_messages_sender_less_messages_and_raw_updates(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    query_id = await alex.press_inline("jr:page:0")
    await alex.send_without_sender("/journal")
    await em.deliver_raw({"message": {"message_id": 77, "chat": alex.chat, "date": 1}})
    inline, sender_less, raw = await api.ok("getUpdates")

    press = inline["callback_query"]
    assert press["id"] == query_id and press["data"] == "jr:page:0"
    assert press["inline_message_id"] and "message" not in press
    assert press["from"]["id"] == CHAT and press["chat_instance"]
    assert sender_less["message"]["text"] == "/journal" and "from" not in sender_less["message"]
    assert sender_less["message"]["entities"][0]["type"] == "bot_command"
    assert raw == {
        "update_id": sender_less["update_id"] + 1,
        "message": {"message_id": 77, "chat": alex.chat, "date": 1},
    }

    # The inline press can be answered once, as any other.
    assert await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Old") is True
    assert alex.answered_callbacks == [{"text": "Old", "callback_query_id": query_id}]
    status, body = await api.form("answerCallbackQuery", callback_query_id=query_id)
    assert (status, body["description"]) == (400, ERR_QUERY_TOO_OLD)


async def test_person_media_and_edits_parse_in_ptb(bot: App, alex: EmulatedPerson) -> None:
    await alex.send_sticker()
    await alex.expect("got sticker 512x512")
    await alex.send_photo()
    await alex.expect("got photo 64x48")
    await alex.send_voice()
    await alex.expect("got voice 3s")
    await alex.send_location(1.5, 2.5)
    await alex.expect("got location 1.5,2.5")
    original = await alex.send("typo")
    await alex.expect("typo")
    await alex.edit(original, "fixed")
    await alex.expect("edited: fixed")
    assert "Alex: [sticker]" in alex.transcript()


async def test_ptb_sees_telegram_errors(em: BotApiEmulator, bot: App, alex: EmulatedPerson) -> None:
    message = await bot.bot.send_message(CHAT, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await message.edit_text("same")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: character '!' is reserved"):
        await bot.bot.send_message(CHAT, "Hi!", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.bot.send_message(CHAT, "a<br>b", parse_mode=ParseMode.HTML)
    alex.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.bot.send_message(CHAT, "anyone there?")
    alex.unblock()
    em.faults.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.bot.send_message(CHAT, "too fast")
    assert "7" in str(caught.value)
    await bot.bot.send_message(CHAT, "fine again")
    assert [m.text for m in em.sent(CHAT)] == ["same", "fine again"]


async def test_set_and_get_my_commands(em: BotApiEmulator, bot: App, api: Api) -> None:
    await bot.bot.set_my_commands([("start", "Begin"), ("help", "What I can do")])
    assert em.commands == [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "What I can do"},
    ]
    assert [c.command for c in await bot.bot.get_my_commands()] == ["start", "help"]
    assert any(method == "setMyCommands" for method, _ in em.calls)
    status, body = await api.form(
        "setMyCommands", commands=[{"command": "Start", "description": "x"}]
    )
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")


# --- files -----------------------------------------------------------------------------------


async def test_send_photo_multipart_png(em: BotApiEmulator, bot: App, alex: EmulatedPerson) -> None:
    image = png_bytes(1600, 900)
    message = await bot.bot.send_photo(
        CHAT,
        photo=image,
        caption="<i>Sunset</i> &lt;3",
        parse_mode=ParseMode.HTML,
        filename="sun.png",
    )
    assert (message.photo[-1].width, message.photo[-1].height) == (1280, 720)
    assert [p.width for p in message.photo] == [90, 320, 800, 1280]
    assert message.caption == "Sunset <3"
    record = await alex.next_message()
    assert record.kind == "photo" and record.file_bytes == image
    assert (record.text, record.raw_text) == ("Sunset <3", "<i>Sunset</i> &lt;3")
    assert record.mime_type == "image/png"

    # Re-sending by file_id reuses the stored bytes.
    again = await bot.bot.send_photo(CHAT, photo=message.photo[-1].file_id)
    assert em.sent(CHAT)[-1].file_bytes == image and again.caption is None


async def test_send_photo_raw_multipart_and_errors(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(CHAT))
    form.add_field("photo", png_bytes(40, 30), filename="small.png", content_type="image/png")
    async with api.session.post(api.url("sendPhoto"), data=form) as response:
        body = await response.json()
    assert body["ok"] is True, body
    assert body["result"]["photo"] == [
        {
            "file_id": body["result"]["photo"][0]["file_id"],
            "file_unique_id": body["result"]["photo"][0]["file_unique_id"],
            "width": 40,
            "height": 30,
            "file_size": len(png_bytes(40, 30)),
        }
    ]

    form = aiohttp.FormData()
    form.add_field("chat_id", str(CHAT))
    form.add_field("photo", b"definitely not an image", filename="x.png")
    async with api.session.post(api.url("sendPhoto"), data=form) as response:
        assert (await response.json())["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    status, body = await api.form("sendPhoto", chat_id=CHAT, photo="no-such-file-id")
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


async def test_send_document(em: BotApiEmulator, bot: App, alex: EmulatedPerson) -> None:
    content = b"date,entry\n2024-01-01,a small win\n"
    message = await bot.bot.send_document(
        CHAT, document=content, filename="journal.csv", caption="Your journal"
    )
    assert message.document is not None
    assert message.document.file_name == "journal.csv"
    assert message.document.mime_type == "text/csv"
    assert message.document.file_size == len(content)
    record = await alex.expect("your journal")
    assert (record.kind, record.file_bytes, record.file_name) == (
        "document",
        content,
        "journal.csv",
    )


def test_image_helpers() -> None:
    assert image_size(tiny_png(7, 3)) == (7, 3)
    assert image_size(png_bytes(12, 34)) == (12, 34)
    jpeg = io.BytesIO()
    Image.new("RGB", (21, 13)).save(jpeg, format="JPEG")
    assert image_size(jpeg.getvalue()) == (21, 13)
    assert image_size(b"nope") is None


# --- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "plain", "entities"),
    [
        ("<b>bold</b> &amp; <i>it</i>", "bold & it", [("bold", 0, 4), ("italic", 7, 2)]),
        ("<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><del>f</del>", "abcdef", None),
        ('<a href="https://x.org/?a=1&amp;b=2">link</a>', "link", [("text_link", 0, 4)]),
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st", None),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("&lt;3 &gt; &quot;q&quot; &#x1F600; &#65;", '<3 > "q" 😀 A', []),
        ("<blockquote expandable>quote</blockquote>", "quote", [("expandable_blockquote", 0, 5)]),
        ("1 > 0 and <B>caps</B>", "1 > 0 and caps", [("bold", 10, 4)]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", [("custom_emoji", 0, 2)]),
    ],
)
def test_html_valid(raw: str, plain: str, entities: list[tuple[str, int, int]] | None) -> None:
    text, parsed = render_text(raw, "HTML")
    assert text == plain
    if entities is not None:
        assert [(e["type"], e["offset"], e["length"]) for e in parsed] == entities


def test_html_entity_extras() -> None:
    _, parsed = render_text('<pre><code class="language-python">x</code></pre>', "HTML")
    assert parsed == [{"type": "pre", "offset": 0, "length": 1, "language": "python"}]
    _, parsed = render_text('<a href="https://x.org/?a=1&amp;b=2">l</a>', "HTML")
    assert parsed[0]["url"] == "https://x.org/?a=1&b=2"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("é<b", "Unclosed start tag at byte offset 2"),
        ("Tom & Jerry", "Character '&' at byte offset 4"),
        ("&nbsp;", "Character '&' at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_html_invalid(raw: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        render_text(raw, "HTML")
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("raw", "plain", "types"),
    [
        (
            "*bold* _it_ __under__ ~gone~ ||secret||",
            "bold it under gone secret",
            ["bold", "italic", "underline", "strikethrough", "spoiler"],
        ),
        ("Price: 1\\.50\\! \\(approx\\) \\#1 a\\-b \\= c", "Price: 1.50! (approx) #1 a-b = c", []),
        ("[site](https://x.org/a_\\(b\\)) `c_o*d.e`", "site c_o*d.e", ["text_link", "code"]),
        ("```python\nprint(1)\n```", "print(1)", ["pre"]),
        (">quoted\n>more\nafter\\.", "quoted\nmore\nafter.", ["blockquote"]),
        ("*bold _nested_ still*", "bold nested still", ["bold", "italic"]),
        ("![👍](tg://emoji?id=5368324170671202286)", "👍", ["custom_emoji"]),
    ],
)
def test_markdown_v2_valid(raw: str, plain: str, types: list[str]) -> None:
    text, parsed = render_text(raw, "MarkdownV2")
    assert text == plain
    assert [e["type"] for e in parsed] == types


def test_markdown_v2_link_url_and_language() -> None:
    _, parsed = render_text("[site](https://x.org/a_\\(b\\))", "MarkdownV2")
    assert parsed == [{"type": "text_link", "offset": 0, "length": 4, "url": "https://x.org/a_(b)"}]
    _, parsed = render_text("```python\nx\n```", "MarkdownV2")
    assert parsed[0]["language"] == "python"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Hello!", "Character '!' is reserved and must be escaped with the preceding '\\'"),
        ("1.5", "Character '.' is reserved"),
        ("a-b", "Character '-' is reserved"),
        ("(x)", "Character '(' is reserved"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("é _it", "Can't find end of Italic entity at byte offset 3"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
        ("[x](http://a", "Can't find end of a URL at byte offset 4"),
        ("a|b", "Character '|' is reserved"),
    ],
)
def test_markdown_v2_invalid(raw: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        render_text(raw, "MarkdownV2")
    assert str(caught.value).startswith(message)


def test_legacy_markdown_and_unknown_mode() -> None:
    assert render_text("*b* _i_ [l](https://x.org) `c`", "Markdown")[0] == "b i l c"
    with pytest.raises(
        EntityParseError, match="Can't find end of the entity starting at byte offset 0"
    ):
        render_text("*open", "Markdown")
    assert render_text("  plain <b>  ", None) == ("plain <b>", [])


# --- faults and waiting ----------------------------------------------------------------------


async def test_fail_next_any_counted_method(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    em.faults.fail_next(None, status=502, times=2)
    assert await api.ok("getMe")  # not a counted send: unaffected
    for _ in range(2):
        status, body = await api.form("sendMessage", chat_id=CHAT, text="x")
        assert (status, body["description"]) == (502, "Bad Gateway")
    await api.ok("sendMessage", chat_id=CHAT, text="x")
    em.faults.fail_next("answerCallbackQuery", status=400, description="Bad Request: nope")
    status, body = await api.form("answerCallbackQuery", callback_query_id="1")
    assert (status, body["description"]) == (400, "Bad Request: nope")
    assert len(em.sent(CHAT)) == 1 and em.stats["502"] == 2


async def test_delay_next_records_before_answering(
    em: BotApiEmulator, api: Api, alex: EmulatedPerson
) -> None:
    em.faults.delay_next("sendMessage", 0.3)
    started = time.perf_counter()
    call = asyncio.create_task(api.ok("sendMessage", chat_id=CHAT, text="slow"))
    record = await alex.next_message(timeout=1)
    assert record.text == "slow" and not call.done()
    await call
    assert time.perf_counter() - started >= 0.29

    em.faults.delay_next("sendMessage", 0.05, then_accept=False)
    status, _ = await api.form("sendMessage", chat_id=CHAT, text="lost")
    assert status == 502 and len(em.sent(CHAT)) == 1


async def test_refuse_connections_with_ptb(
    em: BotApiEmulator, bot: App, alex: EmulatedPerson
) -> None:
    em.faults.refuse_connections(True)
    with pytest.raises(NetworkError):
        await bot.bot.send_message(CHAT, "into the void")
    assert em.sent(CHAT) == []
    em.faults.clear()
    await bot.bot.send_message(CHAT, "back online")
    assert (await alex.next_message()).text == "back online"


async def test_waiting_helpers(em: BotApiEmulator, api: Api, alex: EmulatedPerson) -> None:
    with pytest.raises(AssertionError, match="no new bot message to Alex") as caught:
        await alex.next_message(timeout=0.05)
    await alex.send("is anyone there?")
    await api.ok("sendMessage", chat_id=CHAT, text="one")
    await api.ok("sendMessage", chat_id=CHAT, text="two")
    quiet = await alex.wait_until_quiet(quiet=0.05, timeout=1)
    assert [m.text for m in quiet] == ["one", "two"]
    with pytest.raises(AssertionError, match="expected a bot message containing 'three'") as caught:
        await api.ok("sendMessage", chat_id=CHAT, text="four")
        await alex.expect("three", timeout=1)
    assert "Alex: is anyone there?" in str(caught.value) and "bot: four" in str(caught.value)
    with pytest.raises(AssertionError, match="blocked the bot"):
        alex.block()
        await alex.send("hi")


async def test_stop_releases_waiting_requests() -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    async with aiohttp.ClientSession() as session:
        api = Api(session, emulator)
        poll = asyncio.create_task(api.form("getUpdates", timeout=30))
        await emulator.wait_for_poller()
        emulator.faults.delay_next("getMe", 30)
        held = asyncio.create_task(api.form("getMe"))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        await emulator.stop()
        assert time.perf_counter() - started < 2
        assert (await poll) == (200, {"ok": True, "result": []})
        assert (await held)[0] == 200


def test_cli_prints_base_url() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.emulator", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Telegram Bot API emulator: base_url=http://127.0.0.1:")
        assert "token=123456:TEST-TOKEN" in line
    finally:
        process.terminate()
        process.wait(timeout=5)

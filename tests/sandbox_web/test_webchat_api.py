"""The web chat's HTTP and WebSocket API, without a browser: a page's requests go in through
aiohttp's test client, the real bot answers through the emulator, and the test reads the frames
the page would draw and what was stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import time, timedelta
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient, TestServer
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.recap import local_today
from sandbox.emulator import BotApiEmulator, tiny_png
from sandbox.webchat import STATIC_DIR, WebChat
from storage.models import DeliveryKind, DeliveryStatus, EntryKind, NewEntry

Frame = dict[str, Any]


@pytest.fixture
async def webchat(emulator: BotApiEmulator, bot: KindlingApplication) -> WebChat:
    chat = WebChat(emulator, bot)
    chat.add_person()  # Alex, 1001, as the sandbox starts
    return chat


@pytest.fixture
async def client(webchat: WebChat) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(webchat.app())) as test_client:
        yield test_client


async def frames_until(
    socket: ClientWebSocketResponse, done: Callable[[Frame], bool], timeout: float = 10.0
) -> list[Frame]:
    """Frames as they arrive, up to and including the first one ``done`` accepts."""
    seen: list[Frame] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                frame = await socket.receive_json()
                seen.append(frame)
                if done(frame):
                    return seen
    except TimeoutError:
        raise AssertionError(f"no such frame within {timeout}s; got {seen}") from None


def says(text: str) -> Callable[[Frame], bool]:
    """A bot message frame whose text contains ``text``."""

    def match(frame: Frame) -> bool:
        message = frame.get("message") or {}
        return (
            frame["type"] == "message"
            and message.get("from") == "bot"
            and text.lower() in message["text"].lower()
        )

    return match


async def post(client: TestClient, path: str, body: Any) -> tuple[int, Frame]:  # type: ignore[type-arg]
    response = await client.post(path, json=body)
    return response.status, await response.json()


async def test_the_page_and_its_files_are_served(client: TestClient) -> None:  # type: ignore[type-arg]
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert 'role="log"' in html and 'aria-live="polite"' in html
    assert "Send my daily prompt now" in html and "Send my weekly recap now" in html
    for name in ("app.js", "style.css"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200, name
    script = (STATIC_DIR / "app.js").read_text()
    # The bot's words are drawn as text nodes only: raw text never becomes markup.
    assert ".innerHTML" not in script and "insertAdjacentHTML" not in script


async def test_people_are_listed_and_created_on_demand(client: TestClient) -> None:  # type: ignore[type-arg]
    listed = await (await client.get("/api/persons")).json()
    assert listed["persons"] == [{"id": 1001, "name": "Alex"}]
    assert "start" in {c["command"] for c in listed["commands"]}  # from setMyCommands

    assert await post(client, "/api/persons", {}) == (201, {"id": 1002, "name": "Sam"})
    assert await post(client, "/api/persons", {"id": 1001}) == (200, {"id": 1001, "name": "Alex"})
    assert await post(client, "/api/persons", {"id": 4242, "name": " Jo "}) == (
        201,
        {"id": 4242, "name": "Jo"},
    )
    assert await post(client, "/api/persons", {"name": ""}) == (
        400,
        {"ok": False, "reason": "bad_name"},
    )
    assert (await post(client, "/api/persons", {"id": -5}))[0] == 400
    assert (await post(client, "/api/persons", {"id": True}))[0] == 400
    missing = await client.get("/api/chat/999")
    assert missing.status == 404
    assert await missing.json() == {"ok": False, "reason": "no_such_person"}
    ids = [p["id"] for p in (await (await client.get("/api/persons")).json())["persons"]]
    assert ids == [1001, 1002, 4242]


async def test_onboarding_through_the_web_chat(
    client: TestClient,  # type: ignore[type-arg]
    bot: KindlingApplication,
) -> None:
    async with client.ws_connect("/ws?person=1001") as socket:
        hello = await socket.receive_json()
        assert hello["type"] == "hello" and hello["messages"] == []
        assert hello["person"] == {"id": 1001, "name": "Alex"}

        assert (await post(client, "/api/chat/1001/send", {"text": "/start"}))[0] == 200
        frames = await frames_until(socket, says("where are you"))
        mine = frames[0]["message"]
        assert (mine["from"], mine["text"]) == ("person", "/start")
        assert mine["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        ask = frames[-1]["message"]
        # Formatting arrives as plain text + entities (<i>Berlin</i> is an italic entity).
        italic = [e for e in ask["entities"] if e["type"] == "italic"]
        assert [ask["text"][e["offset"] : e["offset"] + e["length"]] for e in italic] == [
            "Berlin",
            "New York",
        ]

        await post(client, "/api/chat/1001/send", {"text": "Berlin"})
        frames = await frames_until(socket, says("daily reflection"))
        question = frames[-1]["message"]
        labels = [b["text"] for row in question["buttons"] for b in row]
        assert "8:00 PM" in labels and "No daily prompts for now" in labels

        status, body = await post(
            client,
            "/api/chat/1001/press",
            {"message_id": question["id"], "data": "onb:time:20:00"},
        )
        assert (status, body) == (200, {"ok": True})
        frames = await frames_until(socket, says("All set"))
        edits = [f["message"] for f in frames if f.get("message", {}).get("id") == question["id"]]
        assert edits and edits[-1]["edited"] and "buttons" not in edits[-1]

    person = await bot.services.repo.get_person(1001)
    assert person is not None and person.onboarded
    assert (person.time_zone, person.prompt_time) == ("Europe/Berlin", time(20, 0))

    # Reloading the page shows the same conversation, in order, as the sockets drew it.
    snapshot = await (await client.get("/api/chat/1001")).json()
    ids = [m["id"] for m in snapshot["messages"]]
    assert ids == sorted(ids) and len(ids) == 7
    assert [m["from"] for m in snapshot["messages"]][:3] == ["person", "bot", "bot"]


async def test_only_buttons_on_the_message_can_be_pressed(
    client: TestClient,  # type: ignore[type-arg]
    emulator: BotApiEmulator,
    bot: KindlingApplication,
) -> None:
    sent = await bot.bot.send_message(
        1001,
        "Pick one",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Old", callback_data="zz:old")]]),
    )
    forged = {"message_id": sent.message_id, "data": "onb:time:03:00"}
    assert await post(client, "/api/chat/1001/press", forged) == (
        400,
        {"ok": False, "reason": "no_such_button"},
    )
    gone = {"message_id": 999, "data": "zz:old"}
    assert (await post(client, "/api/chat/1001/press", gone))[0] == 404
    assert emulator.pending_updates == []

    # A real button no flow is waiting for: the bot answers it, and the page shows a notice.
    async with client.ws_connect("/ws?person=1001") as socket:
        await socket.receive_json()
        pressed = {"message_id": sent.message_id, "data": "zz:old"}
        assert (await post(client, "/api/chat/1001/press", pressed))[0] == 200
        frames = await frames_until(socket, lambda f: f["type"] == "toast")
        assert frames[-1]["text"] and frames[-1]["alert"] is False


async def test_what_a_person_writes_is_checked(client: TestClient) -> None:  # type: ignore[type-arg]
    assert await post(client, "/api/chat/1001/send", {"text": "   "}) == (
        400,
        {"ok": False, "reason": "empty_text"},
    )
    assert await post(client, "/api/chat/1001/send", {"text": "x" * 4097}) == (
        400,
        {"ok": False, "reason": "text_too_long"},
    )
    broken = await client.post("/api/chat/1001/send", data="{not json")
    assert (broken.status, await broken.json()) == (400, {"ok": False, "reason": "bad_json"})
    assert (await post(client, "/api/chat/77/send", {"text": "hi"}))[0] == 404


async def test_pictures_documents_edits_and_deletions_reach_the_page(
    client: TestClient,  # type: ignore[type-arg]
    bot: KindlingApplication,
) -> None:
    picture = tiny_png(40, 30)
    async with client.ws_connect("/ws?person=1001") as socket:
        await socket.receive_json()
        await bot.bot.send_photo(1001, picture, caption="<b>Your week</b> in a picture")
        photo = (await frames_until(socket, lambda f: f["type"] == "message"))[-1]["message"]
        assert photo["kind"] == "photo" and photo["text"] == "Your week in a picture"
        assert photo["entities"] == [{"type": "bold", "offset": 0, "length": 9}]
        assert (photo["file"]["width"], photo["file"]["height"]) == (40, 30)
        image = await client.get(photo["file"]["url"])
        assert image.status == 200 and image.content_type == "image/png"
        assert await image.read() == picture
        assert "Content-Disposition" not in image.headers

        await bot.bot.send_document(1001, b'{"entries": []}', filename="kindling-export.json")
        document = (await frames_until(socket, lambda f: f["type"] == "message"))[-1]["message"]
        assert document["file"]["name"] == "kindling-export.json"
        download = await client.get(document["file"]["url"])
        assert await download.read() == b'{"entries": []}'
        assert download.headers["Content-Disposition"] == (
            'attachment; filename="kindling-export.json"'
        )

        sent = await bot.bot.send_message(1001, "Breathe in")
        await frames_until(socket, says("Breathe in"))
        await bot.bot.edit_message_text("Breathe out", chat_id=1001, message_id=sent.message_id)
        edit = (await frames_until(socket, says("Breathe out")))[-1]["message"]
        assert (edit["id"], edit["edited"]) == (sent.message_id, True)

        await bot.bot.delete_message(1001, sent.message_id)
        frames = await frames_until(socket, lambda f: f["type"] == "delete")
        assert frames[-1] == {"type": "delete", "id": sent.message_id}

    assert (await client.get("/files/nope")).status == 404


async def test_send_it_now_goes_through_the_scheduler(
    client: TestClient,  # type: ignore[type-arg]
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
) -> None:
    # Before /start: an answer the page words ("Finish /start first"), not an HTTP error that
    # a browser would log in its console.
    assert await post(client, "/api/chat/1001/nudge", {"which": "prompt"}) == (
        200,
        {"ok": True, "status": "not_set_up", "detail": None, "sent": 0},
    )
    alex = emulator.person(1001)
    await alex.send("/start")
    await alex.wait_until_quiet()
    await alex.send("Lisbon")
    await alex.wait_until_quiet()
    await alex.press("9:00 AM")
    await alex.expect("All set")
    repo = bot.services.repo
    # Two days with a win this week: enough for the full recap with its picture.
    for when in (clock.now() - timedelta(days=1), clock.now()):
        await repo.add_entry(NewEntry(1001, EntryKind.WIN, when, text="Listened to my sister"))

    async with client.ws_connect("/ws?person=1001") as socket:
        await socket.receive_json()
        status, body = await post(client, "/api/chat/1001/nudge", {"which": "prompt"})
        assert (status, body) == (200, {"ok": True, "status": "sent", "detail": None, "sent": 1})
        prompt = (await frames_until(socket, lambda f: f["type"] == "message"))[-1]["message"]
        assert "write back" in prompt["text"] and prompt["buttons"]

        person = await repo.get_person(1001)
        assert person is not None and person.next_prompt_at is not None
        assert person.next_prompt_at > clock.now()
        today = local_today(person, clock.now()).isoformat()
        delivery = await repo.get_delivery(1001, DeliveryKind.PROMPT, today)
        assert delivery is not None and delivery.status is DeliveryStatus.SENT

        # At most one a day: asking again today sends nothing, and says so.
        again = await post(client, "/api/chat/1001/nudge", {"which": "prompt"})
        assert again == (200, {"ok": True, "status": "taken", "detail": None, "sent": 0})

        status, body = await post(client, "/api/chat/1001/nudge", {"which": "recap"})
        assert (status, body["status"], body["sent"]) == (200, "sent", 2)
        frames = await frames_until(socket, lambda f: f.get("message", {}).get("kind") == "text")
        picture = next(f["message"] for f in frames if f["message"]["kind"] == "photo")
        image = await client.get(picture["file"]["url"])
        assert image.content_type == "image/png" and (await image.read()).startswith(b"\x89PNG")

    assert (await post(client, "/api/chat/1001/nudge", {"which": "soon"}))[0] == 400


async def test_send_it_now_respects_prompts_turned_off(
    client: TestClient,  # type: ignore[type-arg]
    emulator: BotApiEmulator,
    bot: KindlingApplication,
) -> None:
    alex = emulator.person(1001)
    await alex.send("/start")
    await alex.wait_until_quiet()
    await alex.send("Lisbon")
    await alex.wait_until_quiet()
    await alex.press("No daily prompts for now")
    await alex.expect("won't send daily reflections")

    held = await post(client, "/api/chat/1001/nudge", {"which": "prompt"})
    assert held == (200, {"ok": True, "status": "skipped", "detail": "prompts_off", "sent": 0})
    assert await alex.wait_until_quiet() == []

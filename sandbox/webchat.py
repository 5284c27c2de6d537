"""The sandbox's web chat: Kindling in a browser tab, with no Telegram account and no token.

A page (``sandbox/static/``) shows one simulated person's private chat with the real bot. What
the person does goes in through :class:`~sandbox.emulator.EmulatedPerson` exactly as a test
drives it (``send``, ``press``), so the bot sees ordinary Telegram updates over HTTP; what the
bot does comes back as :class:`~sandbox.emulator.ChatEvent`\\ s the emulator pushes as they
happen, and reaches the page over a WebSocket without reloading.

HTTP API (JSON; actions are POSTs, the live feed is the WebSocket):

    GET  /                            the page
    GET  /api/persons                 simulated people and the bot's command menu
    POST /api/persons                 {"name"?, "id"?} -> a new (or the existing) person
    GET  /api/chat/<id>               the chat so far
    POST /api/chat/<id>/send          {"text"} the person writes
    POST /api/chat/<id>/press         {"message_id", "data"} the person presses an inline button
    POST /api/chat/<id>/nudge         {"which": "prompt" | "recap"} send it now, via the scheduler
    GET  /files/<file_id>             bytes the bot uploaded (?download=1 to save a document)
    GET  /ws?person=<id>              {"type": "hello"} then every change as it happens

Errors are ``{"ok": false, "reason": <code>}`` with a 4xx status; the page words each reason
itself, so every sentence a sandbox visitor reads lives in ``static/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, web

from sandbox.emulator import (
    MAX_TEXT_LENGTH,
    BotApiEmulator,
    ChatEvent,
    EmulatedPerson,
    SentMessage,
    utf16_len,
)
from scheduler.ticker import tick
from storage.models import DeliveryKind

if TYPE_CHECKING:
    from bot.app import KindlingApplication

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")

# Names for people added with "New person", in order; numbered once they run out.
PERSON_NAMES = ("Alex", "Sam", "Robin", "Jules", "Kim", "Noor", "Ash", "Rae", "Ty", "Mika")
FIRST_CHAT_ID = 1001
MAX_NAME_LENGTH = 64
# Telegram's private chat ids are positive and fit in 52 bits (JavaScript numbers are exact).
MAX_CHAT_ID = 2**52

NUDGE_FIELDS = {"prompt": "next_prompt_at", "recap": "next_recap_at"}


class Problem(Exception):
    """A request the web chat turns down: an HTTP status and a reason code the page words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class NudgeResult:
    """What one "send it now" did, as the scheduler's tick reported it for this person:
    ``status`` is a delivery status ("sent", "skipped", "failed"), "taken" (already handled
    today: at most one a day), "not_set_up" (no time zone yet: /start comes first) or "none";
    ``detail`` says why it was skipped or how it failed; ``sent`` counts the messages that
    reached the chat."""

    status: str
    detail: str | None
    sent: int


# --------------------------------------------------------------------------------------------
# Shapes the page reads
# --------------------------------------------------------------------------------------------


def _button_json(button: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"text": str(button.get("text", ""))}
    if "callback_data" in button:
        shaped["data"] = str(button["callback_data"])
    elif isinstance(button.get("url"), str):
        shaped["url"] = button["url"]
    return shaped


def _file_json(emulator: BotApiEmulator, message: SentMessage) -> dict[str, Any] | None:
    """The downloadable file behind a photo or document, with the address that serves it."""
    media = message.media or {}
    if message.kind == "photo":
        sizes = [s for s in media.get("photo", []) if emulator.file_info(s["file_id"])]
        if not sizes:
            return None
        largest = sizes[-1]
        return {
            "id": largest["file_id"],
            "url": f"/files/{largest['file_id']}",
            "width": largest.get("width"),
            "height": largest.get("height"),
            "mime": message.mime_type,
        }
    document = media.get("document")
    if not document:
        return None
    return {
        "id": document["file_id"],
        "url": f"/files/{document['file_id']}?download=1",
        "name": document.get("file_name") or "file",
        "mime": document.get("mime_type"),
        "size": document.get("file_size", 0),
    }


def bot_message_json(emulator: BotApiEmulator, message: SentMessage) -> dict[str, Any]:
    """A bot message as the page draws it: plain text + Telegram entities (never HTML),
    buttons, and the file it carries."""
    shaped: dict[str, Any] = {
        "id": message.message_id,
        "from": "bot",
        "kind": message.kind,
        "text": message.text or "",
        "entities": message.entities,
        "date": message.date,
        "edited": message.edits > 0,
    }
    markup = message.reply_markup or {}
    if isinstance(markup.get("inline_keyboard"), list):
        shaped["buttons"] = [[_button_json(b) for b in row] for row in markup["inline_keyboard"]]
    elif isinstance(markup.get("keyboard"), list):
        shaped["reply_keyboard"] = {
            "rows": [
                [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
                for row in markup["keyboard"]
            ],
            "one_time": bool(markup.get("one_time_keyboard")),
        }
    elif markup.get("remove_keyboard"):
        shaped["remove_keyboard"] = True
    if message.kind in ("photo", "document"):
        shaped["file"] = _file_json(emulator, message)
    return shaped


_PERSON_KINDS = ("text", "sticker", "photo", "voice", "location")


def person_message_json(message: dict[str, Any]) -> dict[str, Any]:
    """One of the person's own messages (the page only writes text; the rest is labelled)."""
    kind = next((k for k in _PERSON_KINDS if k in message), "text")
    return {
        "id": int(message["message_id"]),
        "from": "person",
        "kind": kind,
        "text": str(message.get("text", "")),
        "entities": message.get("entities", []),
        "date": message.get("date", 0),
        "edited": "edit_date" in message,
    }


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    """The picture type the bytes really are (uploads often say only octet-stream), or None:
    only real pictures are shown in the page, whatever type the upload claimed."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def person_json(person: EmulatedPerson) -> dict[str, Any]:
    return {"id": person.chat_id, "name": person.first_name}


# --------------------------------------------------------------------------------------------
# The web chat
# --------------------------------------------------------------------------------------------


class WebChat:
    """The web chat's aiohttp application, bound to one emulator and the bot running on it."""

    def __init__(
        self, emulator: BotApiEmulator, application: KindlingApplication | None = None
    ) -> None:
        self.emulator = emulator
        # Attached once the bot is running (the page can be served a moment before that).
        self.application = application
        self._sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # -- people and chats ---------------------------------------------------------------------

    def add_person(self, name: str | None = None, chat_id: int | None = None) -> EmulatedPerson:
        """A simulated person: the existing one with ``chat_id``, or a new one."""
        if chat_id is not None and chat_id in {p.chat_id for p in self.emulator.persons}:
            return self.emulator.person(chat_id)
        taken = {p.chat_id for p in self.emulator.persons}
        if chat_id is None:
            chat_id = max(taken, default=FIRST_CHAT_ID - 1) + 1
        if not name:
            count = len(taken)
            name = PERSON_NAMES[count % len(PERSON_NAMES)]
            if count >= len(PERSON_NAMES):
                name = f"{name} {count // len(PERSON_NAMES) + 1}"
        return self.emulator.person(chat_id, name)

    def _person(self, chat_id: int) -> EmulatedPerson:
        for person in self.emulator.persons:
            if person.chat_id == chat_id:
                return person
        raise Problem(404, "no_such_person")

    def snapshot(self, person: EmulatedPerson) -> dict[str, Any]:
        """Everything in this person's chat so far, oldest first, plus the command menu."""
        shaped = [
            bot_message_json(self.emulator, m)
            for m in self.emulator.sent(person.chat_id)
            if not m.deleted
        ]
        shaped += [person_message_json(m) for m in self.emulator.person_messages(person.chat_id)]
        shaped.sort(key=lambda m: m["id"])
        return {
            "person": person_json(person),
            "commands": self.emulator.commands,
            "messages": shaped,
        }

    def event_json(self, event: ChatEvent) -> dict[str, Any] | None:
        """The WebSocket frame for one emulator event (None: nothing the page shows)."""
        if event.kind in ("sent", "edited") and event.message is not None:
            if event.message.deleted:
                return {"type": "delete", "id": event.message.message_id}
            return {"type": "message", "message": bot_message_json(self.emulator, event.message)}
        if event.kind == "deleted" and event.message is not None:
            return {"type": "delete", "id": event.message.message_id}
        if event.kind == "person" and event.person_message is not None:
            return {"type": "message", "message": person_message_json(event.person_message)}
        if event.kind == "person_deleted" and event.person_message is not None:
            return {"type": "delete", "id": int(event.person_message["message_id"])}
        if event.kind == "answer" and event.answer and event.answer.get("text"):
            return {
                "type": "toast",
                "text": str(event.answer["text"]),
                "alert": bool(event.answer.get("show_alert")),
            }
        if event.kind == "commands":
            return {"type": "commands", "commands": self.emulator.commands}
        return None

    # -- what a person can do -----------------------------------------------------------------

    async def send(self, chat_id: int, text: str) -> dict[str, Any]:
        person = self._person(chat_id)
        if not text.strip():
            raise Problem(400, "empty_text")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise Problem(400, "text_too_long")
        return await person.send(text)

    async def press(self, chat_id: int, message_id: int, data: str) -> str:
        """Press the inline button carrying ``data`` on one of the bot's messages."""
        person = self._person(chat_id)
        message = self.emulator.message(chat_id, message_id)
        if message is None or message.deleted:
            raise Problem(404, "no_such_message")
        rows = (message.reply_markup or {}).get("inline_keyboard") or []
        offered = {b.get("callback_data") for row in rows for b in row if "callback_data" in b}
        if data not in offered:
            raise Problem(400, "no_such_button")
        return await person.press_data(data, message)

    async def nudge(self, chat_id: int, which: str) -> NudgeResult:
        """Send the person's daily prompt or weekly recap now, through the real scheduler: mark
        it due now in the database and run one scheduler tick, as the job queue would."""
        self._person(chat_id)
        column = NUDGE_FIELDS.get(which)
        if column is None:
            raise Problem(400, "unknown_nudge")
        if self.application is None:
            raise Problem(503, "bot_starting")
        services = self.application.services
        stored = await services.repo.get_person(chat_id)
        if stored is None or not stored.onboarded or not stored.time_zone:
            # An answer, not an error: pressing it before /start is an ordinary thing to do.
            return NudgeResult("not_set_up", None, 0)
        before = len(self.emulator.sent(chat_id))
        await services.repo.update_person(chat_id, **{column: services.clock.now()})
        report = await tick(self.application)
        kinds = {"prompt": DeliveryKind.PROMPT, "recap": DeliveryKind.RECAP}
        mine = [h for h in report.handled if h.chat_id == chat_id and h.kind is kinds[which]]
        status, detail = (str(mine[-1].status), mine[-1].detail) if mine else ("none", None)
        return NudgeResult(status, detail, len(self.emulator.sent(chat_id)) - before)

    # -- HTTP ---------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_problems])
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC_DIR, append_version=False)
        app.router.add_get("/api/persons", self._list_persons)
        app.router.add_post("/api/persons", self._create_person)
        app.router.add_get("/api/chat/{chat_id}", self._chat)
        app.router.add_post("/api/chat/{chat_id}/send", self._send)
        app.router.add_post("/api/chat/{chat_id}/press", self._press)
        app.router.add_post("/api/chat/{chat_id}/nudge", self._nudge)
        app.router.add_get("/files/{file_id}", self._file)
        app.router.add_get("/ws", self._websocket)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        """Serve on ``host:port`` (0 picks a free port; ``self.port`` holds the real one)."""
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        self.host = host
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-store"})

    async def _list_persons(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "persons": [person_json(p) for p in self.emulator.persons],
                "commands": self.emulator.commands,
            }
        )

    async def _create_person(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        name = body.get("name")
        chat_id = body.get("id")
        if name is not None and (
            not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH
        ):
            raise Problem(400, "bad_name")
        if chat_id is not None and (
            not isinstance(chat_id, int)
            or isinstance(chat_id, bool)
            or not 0 < chat_id < MAX_CHAT_ID
        ):
            raise Problem(400, "bad_person_id")
        existed = chat_id is not None and any(p.chat_id == chat_id for p in self.emulator.persons)
        person = self.add_person(name.strip() if name else None, chat_id)
        return web.json_response(person_json(person), status=200 if existed else 201)

    async def _chat(self, request: web.Request) -> web.Response:
        person = self._person(_chat_id(request))
        return web.json_response(self.snapshot(person))

    async def _send(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str):
            raise Problem(400, "empty_text")
        message = await self.send(_chat_id(request), text)
        return web.json_response({"ok": True, "message_id": message["message_id"]})

    async def _press(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        message_id, data = body.get("message_id"), body.get("data")
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise Problem(400, "no_such_button")
        await self.press(_chat_id(request), message_id, data)
        return web.json_response({"ok": True})

    async def _nudge(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        result = await self.nudge(_chat_id(request), str(body.get("which", "")))
        return web.json_response(
            {"ok": True, "status": result.status, "detail": result.detail, "sent": result.sent}
        )

    async def _file(self, request: web.Request) -> web.Response:
        found = self.emulator.file_info(request.match_info["file_id"])
        if found is None:
            raise Problem(404, "no_such_file")
        data, name, mime = found
        headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
        picture = image_type(data)
        if picture is not None and "download" not in request.query:
            return web.Response(body=data, content_type=picture, headers=headers)
        # Anything that is not a picture is only ever downloaded, never rendered in the page.
        safe = "".join(c for c in (name or "file") if c.isalnum() or c in "._- ") or "file"
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
        return web.Response(
            body=data, content_type=mime or "application/octet-stream", headers=headers
        )

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        try:
            person = self._person(int(request.query.get("person", "")))
        except ValueError:
            raise Problem(404, "no_such_person") from None
        socket = web.WebSocketResponse(heartbeat=25)
        await socket.prepare(request)
        self._sockets.add(socket)
        # Subscribe and take the snapshot with no await in between, so no event falls between.
        queue = self.emulator.subscribe(person.chat_id)
        hello = {"type": "hello", **self.snapshot(person)}
        reader = asyncio.ensure_future(_drain(socket))
        try:
            await socket.send_json(hello)
            while not socket.closed:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                frame = self.event_json(getter.result())
                if frame is not None:
                    await socket.send_json(frame)
        except (ConnectionResetError, RuntimeError):
            log.debug("web chat socket for %s went away", person.chat_id)
        finally:
            self.emulator.unsubscribe(queue)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await socket.close()
        return socket

    async def _close_sockets(self, app: web.Application) -> None:
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"sandbox stopping")


async def _drain(socket: web.WebSocketResponse) -> None:
    """Read (and ignore) what the page sends, so pings are answered and a close is noticed."""
    async for _ in socket:
        pass


def _chat_id(request: web.Request) -> int:
    try:
        return int(request.match_info["chat_id"])
    except ValueError:
        raise Problem(404, "no_such_person") from None


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise Problem(400, "bad_json") from None
    if not isinstance(body, dict):
        raise Problem(400, "bad_json")
    return body


@web.middleware
async def _problems(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn a :class:`Problem` into a small JSON error the page can word."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Problem as problem:
        return web.json_response({"ok": False, "reason": problem.reason}, status=problem.status)

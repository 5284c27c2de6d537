"""Webhook mode with real processes: the emulator pushes each update to the registered webhook
as Telegram does (the secret header, retries while the answer is not 2xx, each chat's updates in
order), every process stores what it receives in the inbox before answering 200, and the
active one answers people. A request without the right secret is refused and not stored; a body
that is not an update is a 400."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiohttp
import psycopg
from aiohttp import web

from sandbox.emulator import SECRET_HEADER, BotApiEmulator, EmulatedPerson, command_entities
from storage.target import Backend, DatabaseTarget
from tests.faults.processes import Kindling, free_port, start_kindling
from tests.faults.support import wait_until
from tests.faults.test_standby import entries_of, wait_for_stored_state

SECRET = "kindling-test-secret_0123456789"
PATH = "/telegram/updates"


def stored_ids(database: DatabaseTarget) -> list[int]:
    """Every update id the inbox holds, done or not, read as an operator would."""
    sql = "SELECT update_id FROM inbox ORDER BY update_id"
    if database.backend is Backend.SQLITE:
        assert database.path is not None
        with sqlite3.connect(database.path) as db:
            return [row[0] for row in db.execute(sql)]
    assert database.conninfo is not None
    with psycopg.connect(database.conninfo) as conn:
        return [row[0] for row in conn.execute(sql)]


def webhook_env(url: str, port: int) -> dict[str, str]:
    return {
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN_PORT": str(port),
        "WEBHOOK_MAX_CONNECTIONS": "7",
    }


async def post(port: int, body: bytes, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}{PATH}", data=body, headers=headers) as response,
    ):
        return response.status


@asynccontextmanager
async def balancer(backends: Sequence[int]) -> AsyncIterator[str]:
    """A load balancer in front of the processes' listeners: each request goes to the first
    that takes the connection, as a health-checked proxy would; 502 when none does. Yields the
    URL to register."""

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        async with aiohttp.ClientSession() as session:
            for port in backends:
                try:
                    async with session.post(
                        f"http://127.0.0.1:{port}{request.path}",
                        data=body,
                        headers={k: v for k, v in request.headers.items() if k != "Host"},
                    ) as response:
                        return web.Response(status=response.status)
                except aiohttp.ClientConnectorError:
                    continue
        return web.Response(status=502)

    app = web.Application()
    app.router.add_post(PATH, forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}{PATH}"
    finally:
        await runner.cleanup()


async def test_a_standby_stores_what_it_receives_and_the_active_one_answers(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    active_port, standby_port = free_port(), free_port()
    # Telegram sends everything to the standby (as a load balancer may): the active process
    # only registers the webhook and answers from the inbox.
    url = f"http://127.0.0.1:{standby_port}{PATH}"
    first = await start_kindling(emulator, database, "first", **webhook_env(url, active_port))
    second: Kindling | None = None
    try:
        await first.wait_for_line("webhook registered")
        assert emulator.webhook is not None
        assert (emulator.webhook.url, emulator.webhook.secret) == (url, SECRET)
        assert emulator.webhook.max_connections == 7
        assert emulator.webhook.allowed_updates == ["message", "edited_message", "callback_query"]
        standby_env = webhook_env(url, standby_port)
        second = await start_kindling(emulator, database, "second", **standby_env)
        await second.wait_for_line("role=standby how=started")
        await second.wait_for_line("webhook listening")

        ivy = emulator.person(7701, "Ivy")
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=30)
        [(update_id, status)] = emulator.webhook_attempts
        assert status == 200 and stored_ids(database) == [update_id]
        # While the webhook is set, nobody may poll.
        assert emulator.stats["getUpdates"] == 0

        # Without the secret, or with a wrong one: refused, nothing stored, no reply.
        seen = len(ivy.messages)
        forged = json.dumps({"update_id": 999_000_001, **forged_message(ivy, "/start")})
        assert await post(standby_port, forged.encode(), None) == 401
        assert await post(standby_port, forged.encode(), SECRET[:-1] + "x") == 401
        assert await post(active_port, forged.encode(), "") == 401
        # Not an update: 400, not a traceback.
        assert await post(standby_port, b"{not json", SECRET) == 400
        assert await post(standby_port, b'{"message": {}}', SECRET) == 400
        assert await post(standby_port, b"[1, 2]", SECRET) == 400
        assert await post(standby_port, "\udcff".encode(errors="surrogatepass"), SECRET) == 400
        assert stored_ids(database) == [update_id]
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=30)
        assert await ivy.wait_until_quiet() == []
        assert len(ivy.messages) == seen + 1  # the /help, and no welcome for the forged /start
        assert len(stored_ids(database)) == 2 and 999_000_001 not in stored_ids(database)
    finally:
        await first.stop()
        if second is not None:
            await second.stop()
            assert "Traceback" not in second.text, second.text
    assert "Traceback" not in first.text, first.text


def forged_message(person: EmulatedPerson, text: str) -> dict[str, object]:
    """The body of a message from ``person`` that Telegram never sent."""
    return {
        "message": {
            "message_id": 424242,
            "from": person.user,
            "chat": person.chat,
            "date": int(time.time()),
            "text": text,
            "entities": command_entities(text),
        }
    }


async def test_pushes_are_retried_until_stored_and_a_takeover_carries_on(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    """Behind a load balancer: the active process is SIGKILLed in the middle of a /win; the
    push meanwhile goes to the standby, which stores it and, having taken over, answers it. The
    time from the kill to the reply is measured."""
    ports = [free_port(), free_port()]
    async with balancer(ports) as url:
        first = await start_kindling(emulator, database, "first", **webhook_env(url, ports[0]))
        second: Kindling | None = None
        try:
            await first.wait_for_line("webhook registered")
            second = await start_kindling(
                emulator, database, "second", **webhook_env(url, ports[1])
            )
            await second.wait_for_line("role=standby how=started")
            await second.wait_for_line("webhook listening")
            ivy = emulator.person(7702, "Ivy")
            await ivy.send("/win")
            await ivy.expect("What happened?", timeout=30)
            # Done, with the flow's state, in the inbox (a kill before that would hand /win
            # out again, and the question would rightly come twice).
            await wait_for_stored_state(database, "win", 7702)

            await first.kill()
            killed_at = time.monotonic()
            await ivy.send("I listened without fixing")
            question = await ivy.expect("Which of these fits", timeout=30)
            takeover = time.monotonic() - killed_at
            print(f"\nwebhook takeover on {database.backend}: {takeover:.2f} s to the reply")
            assert takeover < 5.0, takeover
            await second.wait_for_line("role=active how=took_over")
            await second.wait_for_line("webhook registered")
            await ivy.press("I reached out to someone")
            await ivy.expect_edit("connected", question, timeout=10)
            await ivy.press("4")
            await ivy.expect_edit("journal", question, timeout=10)
            assert await entries_of(database, 7702) == ["I listened without fixing"]

            # The balancer has no one to send to for a moment: Telegram keeps the update and
            # tries again, in order, until it is taken.
            await second.stop()
            await ivy.send("/help")
            await wait_until(lambda: emulator.stats["webhook_failed"] >= 2, 20, "failed pushes")
            third = await start_kindling(emulator, database, "third", **webhook_env(url, ports[0]))
            try:
                await ivy.expect("/journal", timeout=30)
            finally:
                await third.stop()
            assert "Traceback" not in third.text, third.text
        finally:
            await first.kill()
            if second is not None:
                await second.stop()
    assert second is not None and "Traceback" not in second.text, second.text

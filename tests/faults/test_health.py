"""What an operator's monitoring reads from each process, active or standing by: ``/healthz``
(role, inbox backlog) and ``/metrics`` (Prometheus' text format). Never a person's data."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import aiohttp

from bot.health import HealthServer, ProcessState, Role
from sandbox.emulator import BotApiEmulator
from storage.models import InboxUpdate
from storage.target import DatabaseTarget
from tests.faults.processes import free_port, start_kindling
from tests.harness import open_repository

BOT_ID = 123456  # the emulator's token, 123456:TEST-TOKEN
IVY = 7601


async def get(port: int, path: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET on loopback."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


def metric(page: str, name: str) -> float:
    """One sample's value from a Prometheus text page (``name`` with its labels, if any)."""
    found = re.search(rf"^{re.escape(name)} (\S+)$", page, re.MULTILINE)
    assert found, f"{name} not in\n{page}"
    return float(found.group(1))


async def test_every_process_reports_its_role_and_what_it_did(
    emulator: BotApiEmulator, database: DatabaseTarget
) -> None:
    active_port, standby_port = free_port(), free_port()
    first = await start_kindling(emulator, database, "first", HEALTH_PORT=str(active_port))
    await first.wait_for_line("role=active how=first")
    await emulator.wait_for_poller(timeout=30)
    second = await start_kindling(emulator, database, "second", HEALTH_PORT=str(standby_port))
    try:
        await second.wait_for_line("role=standby how=started")
        ivy = emulator.person(IVY, "Ivy Moonfield")
        # One 429 on the way: waited out, the reply still arrives.
        emulator.faults.fail_next("sendMessage", status=429, retry_after=1)
        await ivy.send("/help")
        await ivy.expect("/journal", timeout=30)

        # The update is marked done just after its reply went out (with the state it left).
        async with asyncio.timeout(10):
            while True:
                status, kind, body = await get(active_port, "/healthz")
                health = json.loads(body)
                if health["inbox"]["backlog"] == 0:
                    break
                await asyncio.sleep(0.05)
        assert (status, kind.split(";")[0]) == (200, "application/json")
        assert health["status"] == "ok" and health["role"] == "active"
        assert health["inbox"]["oldest_age_seconds"] == 0
        status, _, body = await get(standby_port, "/healthz")
        assert status == 200 and json.loads(body)["role"] == "standby"

        status, kind, active_page = await get(active_port, "/metrics")
        assert status == 200 and kind.startswith("text/plain; version=")
        assert metric(active_page, "kindling_active") == 1
        assert metric(active_page, 'kindling_role_changes_total{role="active"}') == 1
        assert metric(active_page, "kindling_updates_handled_total") >= 1
        assert metric(active_page, 'kindling_sends_total{method="sendMessage"}') >= 1
        assert metric(active_page, "kindling_rate_limited_total") == 1
        assert metric(active_page, "kindling_inbox_backlog") == 0
        _, _, standby_page = await get(standby_port, "/metrics")
        assert metric(standby_page, "kindling_active") == 0
        assert metric(standby_page, 'kindling_role_changes_total{role="standby"}') == 1
        assert metric(standby_page, "kindling_updates_handled_total") == 0

        # Nobody's data on any page: no chat id, no name, no words.
        for page in (active_page, standby_page, body):
            # (The chat id as a number of its own: prometheus-client's creation timestamps
            # are long numbers that may hold the same digits.)
            assert not re.search(rf"(?<!\d){IVY}(?!\d)", page)
            assert "Ivy" not in page and "/help" not in page
        # Nothing but the health pages on those ports.
        assert (await get(active_port, "/"))[0] == 404
    finally:
        await first.stop()
        await second.stop()
    assert "Traceback" not in first.text + second.text


async def test_the_backlog_and_its_age_and_a_database_out_of_reach(
    database: DatabaseTarget,
) -> None:
    """Updates waiting in the inbox are counted with the age of the oldest; a database that
    does not answer is a 503, so a load balancer stops sending webhooks there."""
    state = ProcessState()
    state.become(Role.STANDBY, "started")
    async with open_repository(database) as repo:
        long_ago = datetime.now(UTC) - timedelta(seconds=90)
        await repo.inbox.add(
            BOT_ID,
            [
                InboxUpdate(1001, IVY, json.dumps({"update_id": 1001, "words": "secret words"})),
                InboxUpdate(1002, IVY, json.dumps({"update_id": 1002})),
            ],
            long_ago,
        )
        healthy = True

        async def backlog():  # type: ignore[no-untyped-def]
            if not healthy:
                raise OSError("server closed the connection")
            return await repo.inbox.backlog(BOT_ID)

        server = HealthServer(state, backlog)
        await server.start("127.0.0.1", 0)
        assert server.port is not None
        try:
            status, _, body = await get(server.port, "/healthz")
            assert status == 200
            health = json.loads(body)
            assert health["role"] == "standby" and health["inbox"]["backlog"] == 2
            assert 90 <= health["inbox"]["oldest_age_seconds"] < 120
            _, _, page = await get(server.port, "/metrics")
            assert metric(page, "kindling_inbox_backlog") == 2
            assert 90 <= metric(page, "kindling_inbox_oldest_age_seconds") < 120
            assert "secret words" not in page + body and str(IVY) not in page + body

            healthy = False
            status, _, body = await get(server.port, "/healthz")
            assert status == 503
            assert json.loads(body)["status"] == "database_unreachable"
        finally:
            await server.stop()

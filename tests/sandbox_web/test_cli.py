"""``python -m bot sandbox`` as an operator runs it: one process serves the web chat with the
real bot behind it, needs no token or network, keeps the database it was given, and stops
cleanly on SIGTERM; a busy port ends in one plain line, not a traceback."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


async def start_sandbox(*args: str) -> asyncio.subprocess.Process:
    # No token, no Telegram address: the sandbox must not need them.
    env = {
        k: v
        for k, v in os.environ.items()
        if k.upper() not in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_PATH")
    }
    env["LOG_LEVEL"] = "WARNING"
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_sandbox_serves_the_real_bot_and_stops_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "kept.db"
    process = await start_sandbox("--port", "0", "--db", str(database))
    try:
        assert process.stdout is not None and process.stderr is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        found = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert found, f"no address in {first!r}"
        url = found.group(0)
        async with aiohttp.ClientSession() as session:
            page = await session.get(url)
            assert page.status == 200 and "Kindling" in await page.text()
            listed = await (await session.get(f"{url}/api/persons")).json()
            assert listed["persons"] == [{"id": 1001, "name": "Alex"}]
            async with session.ws_connect(f"{url}/ws?person=1001") as chat:
                assert (await chat.receive_json(timeout=10))["type"] == "hello"
                sent = await session.post(f"{url}/api/chat/1001/send", json={"text": "/start"})
                assert sent.status == 200
                frames = [await chat.receive_json(timeout=10) for _ in range(2)]
                assert [f["message"]["from"] for f in frames] == ["person", "bot"]
                assert "Kindling" in frames[1]["message"]["text"]
        process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), 15)
        rest = (await process.stdout.read()).decode()
        errors = (await process.stderr.read()).decode()
        assert status == 0, errors
        assert "stopped" in rest and "Traceback" not in errors
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT chat_id FROM people").fetchall() == [(1001,)]


async def test_a_busy_port_is_one_plain_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await start_sandbox("--port", str(port))
        _, errors = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert errors.decode().strip() == (
        f"kindling: port {port} is already in use; try another, "
        f"such as `kindling sandbox --port {port + 1}`."
    )

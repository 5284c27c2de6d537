"""Starting against a Bot API that says no: a token it refuses, an address where nothing
answers, an address that is not a Bot API. ``python -m bot`` with default settings ends each in
one line on stderr that names the setting and the fix, with exit status 2: no traceback, and
never the token. Whatever still escapes unforeseen is printed with the token blanked out.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from sandbox.emulator import BotApiEmulator
from tests.faults.support import ROOT
from tests.harness import start_bot_process

REFUSED = "987654:Refused-token-Kindling-7719"


async def start_and_wait(emulator: BotApiEmulator, db_path: Path, **env: str) -> tuple[int, str]:
    """``python -m bot`` with the default LOG_LEVEL (INFO): its exit status and its stderr."""
    process = await start_bot_process(emulator, db_path, LOG_LEVEL="INFO", **env)
    async with asyncio.timeout(60):
        _, errors = await process.communicate()
    assert process.returncode is not None
    return process.returncode, errors.decode()


def the_one_line(errors: str, *secrets: str) -> str:
    """The line the process ended with, after checking nothing else it wrote was more than an
    INFO log line, and that no traceback and no secret was written."""
    lines = errors.strip().splitlines()
    assert lines and lines[-1].startswith("kindling: "), errors
    assert all(" INFO " in line for line in lines[:-1]), errors
    assert "Traceback" not in errors
    for secret in secrets:
        assert secret not in errors
        assert secret.split(":", 1)[1] not in errors
    return lines[-1]


async def test_a_token_the_bot_api_refuses(emulator: BotApiEmulator, db_path: Path) -> None:
    status, errors = await start_and_wait(emulator, db_path, TELEGRAM_BOT_TOKEN=REFUSED)
    assert status == 2
    line = the_one_line(errors, REFUSED, emulator.token)
    assert "refused TELEGRAM_BOT_TOKEN (401 Unauthorized)" in line
    assert "the token BotFather gave you" in line
    assert emulator.stats["401"] == 1  # asked once, not again and again


async def test_a_bot_api_that_cannot_be_reached(emulator: BotApiEmulator, db_path: Path) -> None:
    emulator.faults.refuse_connections(True)
    status, errors = await start_and_wait(emulator, db_path)
    assert status == 2
    line = the_one_line(errors, emulator.token)
    assert f"the Bot API at {emulator.base_url} could not be reached" in line
    assert "check TELEGRAM_API_BASE_URL" in line


async def test_an_address_that_is_not_a_bot_api(emulator: BotApiEmulator, db_path: Path) -> None:
    # A local Bot API server's address without the /bot its methods live under: 404 Not Found.
    elsewhere = emulator.base_url.removesuffix("/bot") + "/api"
    status, errors = await start_and_wait(emulator, db_path, TELEGRAM_API_BASE_URL=elsewhere)
    assert status == 2
    line = the_one_line(errors, emulator.token)
    assert f"the Bot API at {elsewhere} answered 404 Not Found" in line
    assert "TELEGRAM_API_BASE_URL" in line and "ending in /bot" in line


async def test_a_bot_api_failing_at_start_up(emulator: BotApiEmulator, db_path: Path) -> None:
    # The token is fine; setting the command menu fails (a 500 from the Bot API's side).
    emulator.faults.fail_next("setMyCommands", status=500)
    status, errors = await start_and_wait(emulator, db_path)
    assert status == 2
    line = the_one_line(errors, emulator.token)
    assert f"the Bot API at {emulator.base_url} answered NetworkError" in line
    assert "(Internal Server Error) at start-up" in line and "start Kindling again" in line


@pytest.mark.parametrize("where", ["main thread", "another thread"])
async def test_what_escapes_unforeseen_is_printed_without_the_token(
    emulator: BotApiEmulator, db_path: Path, where: str
) -> None:
    """A fault nobody planned for, carrying the token in its message, after the settings are
    read: the traceback is printed (it is unforeseen), the token in it is not."""
    fault = (
        "import bot.__main__, bot.roles, sys, threading\n"
        "def broken(settings, **options):\n"
        "    token = settings.telegram_bot_token.get_secret_value()\n"
        "    def fail():\n"
        "        raise RuntimeError(f'unforeseen, with {token} in it')\n"
        f"    if {where == 'another thread'}:\n"
        "        thread = threading.Thread(target=fail)\n"
        "        thread.start()\n"
        "        thread.join()\n"
        "        raise SystemExit(3)\n"
        "    fail()\n"
        "bot.roles.build_application = broken\n"
        "sys.exit(bot.__main__.main([]))\n"
    )
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": REFUSED,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_PATH": str(db_path),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", fault, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(60):
        _, raw = await process.communicate()
    errors = raw.decode()
    assert process.returncode == (3 if where == "another thread" else 1)
    assert "RuntimeError: unforeseen, with [secret] in it" in errors, errors
    assert "Traceback" in errors
    assert REFUSED not in errors and REFUSED.split(":", 1)[1] not in errors

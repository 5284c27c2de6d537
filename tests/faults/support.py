"""Shared steps for the fault suite: counting what each person received, and the bot as a
separate process that can be killed. (People are set up straight through the repository with
``tests.harness.seed_person``: a broadcast needs dozens of them.)"""

from __future__ import annotations

import asyncio
import functools
import signal
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.content.library import load_library
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage

ROOT = Path(__file__).resolve().parents[2]

# 20:00 in Berlin on the evening of the conftest's START (Wednesday 25 November 2026, 09:00 UTC).
BERLIN_EIGHT_PM = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)


@functools.cache
def _prompt_texts() -> tuple[str, ...]:
    return tuple(prompt.text for prompt in load_library().prompts)


def prompts_in(messages: list[SentMessage]) -> list[SentMessage]:
    """The daily prompts among ``messages`` (the ones carrying a prompt's text)."""
    texts = _prompt_texts()
    return [m for m in messages if any(text in (m.raw_text or "") for text in texts)]


def send_attempts(emulator: BotApiEmulator, chat_id: int, method: str = "sendMessage") -> int:
    """How often the bot asked Telegram to send ``method`` to this chat (refused ones included)."""
    return sum(
        1 for name, params in emulator.calls if name == method and params.get("chat_id") == chat_id
    )


async def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Wait for something a separate process does (its database writes, its API calls)."""
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {timeout}s: {what or predicate}") from None


def read_db(db_path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows read with plain sqlite3, as an operator would see the file."""
    with sqlite3.connect(db_path) as db:
        return list(db.execute(sql, params).fetchall())


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: no clean-up, no flush, exactly like a power cut for the process."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()


async def stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM and wait; returns what the process wrote on stderr."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(20):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
    return (await process.stderr.read()).decode() if process.stderr else ""


def poll_from_an_older_server(person: EmulatedPerson, words: str) -> dict[str, Any]:
    """A message carrying a poll (with ``words`` in it), as a Bot API server older than 9.6
    sends it: without ``allows_revoting`` and the options' ``persistent_id``, which
    python-telegram-bot 22.8 requires."""
    return {
        "message": {
            "message_id": 9001,
            "from": person.user,
            "chat": person.chat,
            "date": 1_790_000_000,
            "poll": {
                "id": "5120000000000000001",
                "question": f"{words} in a poll?",
                "options": [
                    {"text": f"{words} yes", "voter_count": 0},
                    {"text": "no", "voter_count": 0},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
            },
        }
    }

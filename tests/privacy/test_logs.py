"""Logs never carry what people write, their names or usernames, or the bot token, at any
level: a marker goes through every flow with LOG_LEVEL=DEBUG and is looked for in every line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import time, timedelta
from typing import Any

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.logs import PRIVATE_DEBUG_LOGGERS, QUIET_LOGGERS, configure_logging
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from scheduler.ticker import tick
from storage.models import EntryKind, NewEntry
from tests.harness import running_bot

MARKER = "Pangolin-words-5521"
FIRST_NAME = "Pangolin-first-5522"
USERNAME = "pangolin_user_5523"
ALL_MARKERS = (MARKER, FIRST_NAME, USERNAME)

# Every command a person can start something with; a flow added later belongs here too.
OPENINGS = (
    "/help",
    f"/win {MARKER}",
    "/win",
    "/setback",
    "/reflect",
    "/journal",
    "/settings",
    "/week",
    "/share",
    "/routines",
    "/pause",
    f"/frobnicate {MARKER}",
)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    # Many replies in one chat: without a larger burst, Telegram's per-chat limit would hold
    # some back a second, and a quiet moment would not mean the bot had finished.
    async with BotApiEmulator(per_chat_burst=500) as em:
        yield em


@pytest.fixture
def debug_logging(
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    emulator: BotApiEmulator,
) -> Iterator[None]:
    """LOG_LEVEL=DEBUG as the bot sets it up, with pytest's capture kept on the root logger."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    names = ("telegram", *PRIVATE_DEBUG_LOGGERS, *QUIET_LOGGERS, "apscheduler")
    saved_levels = {name: logging.getLogger(name).level for name in names}
    configure_logging("DEBUG", secrets=[emulator.token])
    root.addHandler(caplog.handler)  # basicConfig(force=True) took pytest's handlers off
    caplog.set_level(logging.DEBUG)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


def inline_buttons(message: SentMessage) -> list[dict[str, Any]]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row if "callback_data" in button]


STRAY = "I'm here. If you'd like"  # the catch-all's pointer: no flow took the message


async def settle(person: EmulatedPerson) -> list[SentMessage]:
    """The bot's answer to what the person just did, once it has finished answering."""
    return await person.wait_until_quiet(quiet=0.25)


async def drive(person: EmulatedPerson, opening: str, clock: ManualClock, rounds: int = 5) -> None:
    """Open a flow and go through it: press the first button offered, or type the marker."""
    clock.advance(timedelta(minutes=2))  # far apart, so the flood guard never steps in
    await person.send(opening)
    for _ in range(rounds):
        answer = await settle(person)
        if not answer or (answer[-1].text or "").startswith(STRAY):
            return
        buttons = inline_buttons(answer[-1])
        if buttons:
            await person.press(str(buttons[0]["callback_data"]), answer[-1])
        else:
            await person.send(f"It was {MARKER} today")
    await person.send("/cancel")
    await settle(person)


async def every_flow_with_markers(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    """Onboarding, a daily prompt answered, every other flow, /export and /delete."""
    alex = emulator.person(8001, FIRST_NAME, username=USERNAME)
    # Onboarding, with the marker where a place and a time are asked for.
    await alex.send("/start")
    await alex.expect("Kindling")
    await alex.expect("where are you")
    await alex.send(MARKER)
    await alex.expect("couldn't find", timeout=30)  # the first look-up loads the place index
    await alex.send("UTC+1")
    await alex.expect("UTC+1")
    await alex.expect("daily reflection")
    await alex.send(f"{MARKER} 7pm")
    await alex.expect("didn't quite catch")
    await alex.press("20:00")
    await alex.expect("All set")

    # The daily prompt at 20:00 local time, and an answer to it.
    clock.set(clock.now().replace(hour=19, minute=0))
    await tick(bot)
    await alex.next_message()
    await alex.send(f"My answer: {MARKER}")
    await settle(alex)
    [answer] = await bot.services.repo.list_entries(8001)
    assert answer.text == f"My answer: {MARKER}" and answer.prompt_id

    # Every other flow, each with its own person (set up like Alex) so they run side by side.
    people = [
        emulator.person(8100 + n, FIRST_NAME, username=USERNAME) for n in range(len(OPENINGS))
    ]
    for person in people:
        await bot.services.repo.ensure_person(person.chat_id, clock.now())
        await bot.services.repo.update_person(
            person.chat_id, time_zone="Etc/GMT-1", prompt_time=time(20, 0), onboarded=True
        )
        await bot.services.repo.add_entry(  # so /journal, /week and /share show the marker
            NewEntry(person.chat_id, EntryKind.WIN, clock.now(), text=f"Kept: {MARKER}")
        )
    await asyncio.gather(
        *(drive(person, opening, clock) for person, opening in zip(people, OPENINGS, strict=True))
    )

    clock.advance(timedelta(minutes=2))
    await alex.send("/export")
    await alex.expect("everything you've kept")
    await alex.next_message()
    await alex.next_message()
    await alex.send("/delete")
    ask = await alex.expect("erase everything you've kept")
    await alex.press("Yes, erase everything")
    await alex.wait_for(lambda: ask.edits == 1)
    await alex.press("Erase for good")
    await alex.wait_for(lambda: ask.edits == 2)
    assert await bot.services.repo.get_person(8001) is None
    await bot.update_persistence()


async def test_no_words_names_or_token_in_any_log_line(
    emulator: BotApiEmulator,
    settings: Settings,
    clock: ManualClock,
    debug_logging: None,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Started and stopped inside the test, so start-up and shutdown lines are checked too.
    async with running_bot(settings, clock) as bot:
        await every_flow_with_markers(emulator, bot, clock)
    logging.getLogger("bot").debug("probe at debug")
    stream = capsys.readouterr().err
    # The bot's start-up (setup) and everything since, as pytest captured it and as the
    # configured handler printed it.
    records = [*caplog.get_records("setup"), *caplog.records]
    lines = [caplog.text, stream]
    for record in records:  # exception texts and tracebacks too
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    everything = "\n".join(lines)
    # The capture really was on, at DEBUG: the bot's own lines, and the library's INFO ones.
    assert "export sent entries=" in caplog.text and "export sent entries=" in stream
    assert "person erased" in caplog.text
    assert "probe at debug" in caplog.text and "probe at debug" in stream
    assert any(r.getMessage() == "Application started" for r in records)
    for secret in (*ALL_MARKERS, emulator.token, emulator.token.split(":", 1)[1]):
        assert secret not in everything, secret
    # The bot really handled the markers (so their absence above means something): it showed
    # them back, and the flows kept what was typed.
    seen = "\n".join(m.text or "" for m in emulator.sent())
    assert MARKER in seen

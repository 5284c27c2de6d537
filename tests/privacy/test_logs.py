"""Logs never carry what people write, their names or usernames, or the bot token, at any
level: a marker goes through every flow with LOG_LEVEL=DEBUG and is looked for in every line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from telegram import Bot, Update

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from scheduler.ticker import tick
from storage.models import EntryKind, NewEntry
from tests.faults.support import poll_from_an_older_server
from tests.harness import logging_as_the_bot_sets_it_up, running_bot

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
    with logging_as_the_bot_sets_it_up("DEBUG", secrets=[emulator.token]):
        # basicConfig(force=True) took pytest's handlers off
        logging.getLogger().addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG)
        yield


def inline_buttons(message: SentMessage) -> list[dict[str, Any]]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row if "callback_data" in button]


STRAY = "I'm here. Whenever you want"  # the catch-all's pointer: no flow took the message


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
    await alex.press("8:00 PM")
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


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
async def test_library_lines_keep_their_words_and_lose_their_arguments_at_every_level(
    level: str, emulator: BotApiEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """A library may log what it was handed at any level, not only at DEBUG: python-telegram-bot
    logs a whole getUpdates answer it could not read at CRITICAL. Kindling reads updates its
    own way (tests/faults/test_telegram_faults.py), so here the library's own Bot meets one."""
    alex = emulator.person(8201, FIRST_NAME, username=USERNAME)
    message = await alex.send(f"/win {MARKER}")
    await emulator.deliver_raw(poll_from_an_older_server(alex, MARKER))
    update = Update.de_json({"update_id": 1, "message": message}, None)
    with logging_as_the_bot_sets_it_up(level, secrets=[emulator.token]):
        async with Bot(emulator.token, base_url=emulator.base_url) as library_bot:
            with pytest.raises(TypeError, match="required argument"):
                await library_bot.get_updates()
        # What python-telegram-bot logs at DEBUG, as if at any level.
        for record_level in (logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
            logging.getLogger("telegram.ext.Application").log(
                record_level, "Processing update %s (%d of %d)", update, 1, 1
            )
        logging.getLogger("bot").error("probe own=%s", "shown as written")
    logged = capsys.readouterr().err
    for secret in (*ALL_MARKERS, emulator.token):
        assert secret not in logged, secret
    # The lines are there, their own words kept: only what they were handed is withheld.
    assert "Error while parsing updates! Received data was [withheld]" in logged
    shown = [line for line in logged.splitlines() if "Processing update" in line]
    assert len(shown) == (4 if level in ("DEBUG", "INFO") else 3 if level == "WARNING" else 2)
    withheld = "Processing update [withheld] ([withheld] of [withheld])"
    assert all(line.endswith(withheld) for line in shown)
    assert "probe own=shown as written" in logged

"""The emulator's live feed, which the web chat is built on: a subscriber to one chat gets every
change there as it happens, in order, and nothing from other chats."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator, ChatEvent


def drain(queue: asyncio.Queue[ChatEvent]) -> list[ChatEvent]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


async def test_a_subscriber_sees_one_chat_as_it_changes(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    alex = emulator.person(1001, "Alex")
    sam = emulator.person(1002, "Sam")
    alex_feed = emulator.subscribe(1001)
    everything = emulator.subscribe()

    await alex.send("/help")
    await alex.wait_until_quiet()
    await sam.send("/help")
    await sam.wait_until_quiet()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tap", callback_data="zz:tap")]])
    sent = await bot.bot.send_message(1001, "<b>One</b>", reply_markup=keyboard)
    await bot.bot.edit_message_text("Two", chat_id=1001, message_id=sent.message_id)
    await bot.bot.delete_message(1001, sent.message_id)

    events = drain(alex_feed)
    kinds = [e.kind for e in events]
    assert kinds[0] == "person" and events[0].person_message is not None
    assert events[0].person_message["text"] == "/help"
    assert kinds[-3:] == ["sent", "edited", "deleted"]
    assert all(e.chat_id == 1001 for e in events)
    # The live message: read when handled, it shows the message as it is now.
    assert events[-3].message is events[-1].message and events[-1].message.deleted
    assert emulator.message(1001, sent.message_id) is events[-1].message
    assert {e.chat_id for e in drain(everything)} == {1001, 1002}

    emulator.unsubscribe(alex_feed)
    await sam.send("/help")
    await sam.wait_until_quiet()
    await bot.bot.send_message(1001, "After")
    assert drain(alex_feed) == []
    assert [p.chat_id for p in emulator.persons] == [1001, 1002]
    assert [m["text"] for m in emulator.person_messages(1002)] == ["/help", "/help"]


async def test_callback_answers_and_the_command_menu_are_published(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    alex = emulator.person(1001, "Alex")
    feed = emulator.subscribe(1001)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Old", callback_data="zz:old")]])
    sent = await bot.bot.send_message(1001, "Pick", reply_markup=keyboard)
    query_id = await alex.press("Old")
    await alex.wait_for(lambda: alex.callback_answered(query_id), what="the press answered")
    answer = next(e for e in drain(feed) if e.kind == "answer")
    assert answer.answer is not None and answer.answer["text"]  # the expired-button notice
    assert emulator.message(1001, sent.message_id) is not None

    await bot.bot.set_my_commands([("win", "Keep a small moment that went well")])
    commands = drain(feed)
    assert [(e.kind, e.chat_id) for e in commands] == [("commands", None)]
    assert emulator.commands == [
        {"command": "win", "description": "Keep a small moment that went well"}
    ]

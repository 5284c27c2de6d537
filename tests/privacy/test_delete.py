"""/delete: two chances to stop, then every trace of the person is gone, on disk and in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.settings import Settings
from handlers.flow import flows
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import DeliveryKind, EntryKind, NewEntry, RoutineAnswer
from tests.harness import running_bot
from tests.privacy.support import rows_about, stored_bytes

PROMPT_REPLY_MARKER = "Zebracorn-reply-71"
DRAFT_MARKER = "Zebracorn-draft-72"
STORED_MARKER = "Zebracorn-stored-73"
NAME_MARKER = "Zebracorn-name-74"
MARKERS = (PROMPT_REPLY_MARKER, DRAFT_MARKER, STORED_MARKER, NAME_MARKER)


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = 5.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.02)  # persistence flushes every 0.1 s in tests


async def test_erasing_everything_leaves_no_trace_and_start_begins_fresh(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    alex = emulator.person(4001, "Alex")
    async with running_bot(settings, clock) as bot:
        repo = bot.services.repo
        # Onboarding: UTC+1, a daily reflection at 12:30.
        await alex.send("/start")
        await alex.wait_until_quiet()
        await alex.send("UTC+1")
        await alex.expect("UTC+1", timeout=30)  # the first look-up loads the place index
        await alex.wait_until_quiet()
        await alex.press("12:30 PM")
        await alex.expect("All set")

        # The daily prompt comes at 12:30 local time, and Alex answers it.
        clock.set(datetime(2026, 11, 25, 11, 30, tzinfo=UTC))
        await tick(bot)
        await alex.wait_until_quiet()
        await alex.send(f"I noticed {PROMPT_REPLY_MARKER} today")
        await alex.wait_until_quiet()
        entries = await repo.list_entries(4001)
        assert [e.text for e in entries] == [f"I noticed {PROMPT_REPLY_MARKER} today"]

        # Words kept directly, and a /win left half-way (its words wait in the persisted draft).
        await repo.add_entry(
            NewEntry(4001, EntryKind.WIN, clock.now(), text=STORED_MARKER, extra={"n": NAME_MARKER})
        )
        await repo.update_person(4001, trusted_name=NAME_MARKER, trusted_contact=NAME_MARKER)
        await repo.record_routine_answer(
            4001, clock.now().date(), "meals", RoutineAnswer.NOT_GREAT, clock.now()
        )
        await alex.send("/win")
        await alex.wait_until_quiet()
        await alex.send(f"I waited {DRAFT_MARKER}")
        await alex.wait_until_quiet()

        async def draft_saved() -> bool:
            return DRAFT_MARKER in (await repo.conversations.load_blobs("user_data")).get(4001, "")

        await wait_until(draft_saved, "the draft being persisted")
        before = stored_bytes(settings.database)
        for marker in MARKERS:
            assert marker.encode() in before, marker  # the check below can fail

        # First chance to stop (the /win left half-way says first that its words are not kept).
        await alex.send("/delete")
        await alex.expect("hasn't been kept")
        ask = await alex.expect("erase everything you've kept")
        assert "/export" in ask.text
        assert ask.button_texts() == ["Yes, erase everything", "Keep my data"]
        await alex.press("Keep my data")
        await alex.wait_for(lambda: ask.edits == 1)
        assert "nothing was erased" in (ask.text or "") and ask.reply_markup is None
        assert await repo.count_entries(4001) == 2

        # Second chance to stop.
        await alex.send("/delete")
        ask = await alex.expect("erase everything you've kept")
        await alex.press("Yes, erase everything")
        await alex.wait_for(lambda: ask.edits == 1)
        assert ask.text == "Are you sure? This can't be undone."
        assert ask.button_texts() == ["Erase for good", "Keep my data"]
        await alex.press("Keep my data")
        await alex.wait_for(lambda: ask.edits == 2)
        assert "nothing was erased" in (ask.text or "")
        assert (await repo.get_person(4001)) is not None

        # Erased for good.
        await alex.send("/delete")
        ask = await alex.expect("erase everything you've kept")
        await alex.press("Yes, erase everything")
        await alex.wait_for(lambda: ask.edits == 1)
        await alex.press("Erase for good")
        await alex.wait_for(lambda: ask.edits == 2)
        assert ask.text is not None and "Everything I kept is erased" in ask.text
        assert ask.button_texts() == ["Remove my recent messages"]
        assert await alex.wait_until_quiet() == []
        assert alex.unanswered_presses() == []

        assert await repo.get_person(4001) is None
        assert await repo.count_entries(4001) == 0
        assert await repo.list_deliveries(4001) == []
        assert 4001 not in await repo.conversations.load_blobs("user_data")
        assert 4001 not in await repo.conversations.load_blobs("chat_data")
        for flow in flows(bot):
            assert flow.active_state(4001, 4001) is None, flow.name
            stored = await repo.conversations.load_conversations(flow.name)  # type: ignore[arg-type]
            assert all(chat != 4001 for chat, _ in stored.values()), flow.name
        assert not bot.user_data.get(4001) and not bot.chat_data.get(4001)
        assert 4001 not in bot.services.flood_windows
        assert 4001 not in bot.services.locales_kept

        # Nudges stop: nothing is due for Alex any more, however far time moves.
        clock.advance(timedelta(days=8))
        report = await tick(bot)
        assert report.handled == []
        assert await repo.due_people(DeliveryKind.PROMPT, clock.now(), 10) == []
        assert await alex.wait_until_quiet() == []

        # A button from before the erasure is only an expired button now.
        query_id = await alex.press_data("del:erase", ask)
        await alex.wait_for(lambda: alex.callback_answered(query_id))
        [answer] = [a for a in alex.answered_callbacks if a["callback_query_id"] == query_id]
        assert "expired" in answer["text"]

    after = stored_bytes(settings.database)
    for marker in MARKERS:
        assert marker.encode() not in after, marker
    # No row about Alex in any table, including tables added after this test was written.
    assert rows_about(settings.database, 4001) == {}

    # A later /start begins from the very beginning.
    async with running_bot(settings, clock) as bot:
        await alex.send("/start")
        welcome = await alex.expect("Kindling")
        assert "Welcome back" not in welcome.text
        await alex.expect("where are you")
        person = await bot.services.repo.get_person(4001)
        assert person is not None and not person.onboarded and person.time_zone is None


async def test_delete_with_nothing_stored(emulator: BotApiEmulator, settings: Settings) -> None:
    async with running_bot(settings, ManualClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))) as bot:
        kim = emulator.person(4002, "Kim")
        await kim.send("/delete")
        await kim.expect("nothing stored")
        assert await kim.wait_until_quiet() == []
        assert await bot.services.repo.get_person(4002) is None


async def test_words_typed_during_the_question_are_not_swallowed(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    async with running_bot(settings, clock) as bot:
        lee = emulator.person(4003, "Lee")
        await bot.services.repo.ensure_person(4003, clock.now())
        await lee.send("/delete")
        ask = await lee.expect("erase everything you've kept")
        await lee.send("hello?")
        await lee.expect("I'm here")  # the usual gentle pointer, not silence
        await lee.press("Yes, erase everything")
        await lee.wait_for(lambda: ask.edits == 1)
        await lee.send("/help")  # another command leaves the question without erasing
        await lee.expect("What I can do")
        await lee.press_data("del:erase", ask)
        await lee.wait_until_quiet()
        assert await bot.services.repo.get_person(4003) is not None


async def test_after_erasing_kindlings_recent_messages_can_be_removed_from_the_chat(
    emulator: BotApiEmulator, settings: Settings, clock: ManualClock
) -> None:
    """The exported files stay in the chat after /delete unless removed: Kindling says that
    Telegram keeps the chat until it is cleared, and how, and removes its own recent messages
    at one tap. The person's own messages are theirs to clear; Kindling leaves them."""
    async with running_bot(settings, clock) as bot:
        ivy = emulator.person(4004, "Ivy")
        await bot.services.repo.ensure_person(4004, clock.now())
        await bot.services.repo.add_entry(
            NewEntry(4004, EntryKind.WIN, clock.now(), text="I waited", tags=["paused"])
        )
        await ivy.send("/export")
        await ivy.wait_until_quiet()
        files = [m for m in emulator.sent(4004) if m.media is not None]
        assert len(files) == 2  # the JSON and the CSV

        await ivy.send("/delete")
        ask = await ivy.expect("erase everything you've kept")
        assert "Telegram" in ask.text and "until you clear it" in ask.text
        await ivy.press("Yes, erase everything")
        await ivy.wait_for(lambda: ask.edits == 1)
        await ivy.press("Erase for good")
        await ivy.wait_for(lambda: ask.edits == 2)
        assert "Clear history" in (ask.text or "")
        assert all(not m.deleted for m in emulator.sent(4004))

        await ivy.press("Remove my recent messages")
        await ivy.wait_for(lambda: ask.edits == 3)
        assert "I've removed my messages" in (ask.text or "") and ask.reply_markup is None
        assert all(m.deleted for m in files)
        # Everything Kindling sent is gone but the message saying how to clear the rest.
        assert [m.message_id for m in emulator.sent(4004) if not m.deleted] == [ask.message_id]
        assert [m["text"] for m in emulator.person_messages(4004)] == [
            "/export",
            "/delete",
        ]
        assert await ivy.wait_until_quiet() == []

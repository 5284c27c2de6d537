"""What the bot remembers of the messages it sent, for /delete's "remove my recent messages":
only what Telegram still lets it delete, in memory that follows the messages of the last two
days (bot/sent_log.py)."""

from __future__ import annotations

import pytest

from bot import bot_api
from bot.bot_api import KindlingBot
from bot.sent_log import DELETABLE_SECONDS, SentLog


def sent(chat_id: int, message_id: int) -> dict[str, object]:
    return {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}}


def test_only_messages_still_deletable_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(bot_api.time, "monotonic", lambda: now[0])
    bot = KindlingBot("123456:TEST-token")
    bot._note_sent(sent(1, 10))
    bot._note_sent(sent(2, 20))
    bot._note_sent({"ok": True})  # not a message: nothing to remember
    now[0] += DELETABLE_SECONDS / 2
    bot._note_sent(sent(1, 11))
    assert bot.recently_sent(1) == [10, 11]
    assert bot.recently_sent(2) == [20]
    now[0] += DELETABLE_SECONDS / 2 + 1
    bot._note_sent(sent(1, 12))
    assert bot.recently_sent(1) == [11, 12]
    assert bot.recently_sent(2) == []


def test_removed_messages_are_not_offered_again_but_new_ones_are() -> None:
    log = SentLog()
    log.note(1, 10, now=5.0)
    log.note(1, 11, now=6.0)
    log.forget(1, now=7.0)
    assert log.recent(1, now=8.0) == []
    log.note(1, 12, now=9.0)
    assert log.recent(1, now=9.0) == [12]


def test_memory_follows_the_last_two_days_not_everyone_ever_written_to() -> None:
    log = SentLog()
    day = 24 * 60 * 60.0
    # A daily prompt to 10,000 people, five days running.
    for n in range(5):
        for chat in range(10_000):
            log.note(chat, n * 10_000 + chat, now=n * day + chat / 1000)
    assert len(log) <= 2 * 10_000 + 10_000  # at most the last two days and a bit
    assert len(log._at) < 4 * 10_000  # the expired part is compacted away, not only skipped
    assert log.recent(42, now=4 * day + 20) == [3 * 10_000 + 42, 4 * 10_000 + 42]

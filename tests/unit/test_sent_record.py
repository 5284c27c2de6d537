"""What the bot remembers of the messages it sent, for /delete's "remove my recent messages":
only what Telegram still lets it delete, so memory follows the people written to lately."""

from __future__ import annotations

import pytest

from bot import bot_api
from bot.bot_api import DELETABLE_SECONDS, SWEEP_SECONDS, KindlingBot


def sent(chat_id: int, message_id: int) -> dict[str, object]:
    return {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}}


def test_only_messages_still_deletable_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(bot_api.time, "monotonic", lambda: now[0])
    bot = KindlingBot("123456:TEST-token")
    bot._note_sent(sent(1, 10))
    bot._note_sent(sent(2, 20))
    now[0] += DELETABLE_SECONDS / 2
    bot._note_sent(sent(1, 11))
    assert bot.recently_sent(1) == [10, 11]
    now[0] += DELETABLE_SECONDS / 2 + 1
    bot._note_sent(sent(1, 12))
    assert bot.recently_sent(1) == [11, 12]
    # Chat 2 heard nothing for two days: it is forgotten at the next sweep.
    now[0] += SWEEP_SECONDS + 1
    bot._note_sent(sent(3, 30))
    assert bot._sent is not None and set(bot._sent) == {1, 3}

"""The messages Kindling sent lately, remembered compactly, for /delete's "remove my recent
messages".

Telegram lets a bot delete a message for 48 hours and offers no way to list what it sent, so the
bot keeps, in memory only, the chat and message id of each message for that long (no words, no
dates beyond that). A daily prompt to a million people is two million messages in two days:
kept as three flat arrays (24 bytes a message) rather than a dict per chat (several hundred).
Looking one chat up scans them all, which only /delete does.
"""

from __future__ import annotations

from array import array

# Telegram lets a bot delete a message for 48 hours; an hour less leaves room for a slow press.
DELETABLE_SECONDS = 47 * 60 * 60


class SentLog:
    """Messages in the order they were sent: when (monotonic seconds), to which chat, which id."""

    def __init__(self) -> None:
        self._at = array("d")
        self._chat = array("q")
        self._message = array("q")
        self._start = 0  # entries before this one are too old to delete; dropped in batches
        # Chats whose messages were removed, with when: what was sent before that is skipped.
        self._forgotten: dict[int, float] = {}

    def note(self, chat_id: int, message_id: int, now: float) -> None:
        self._at.append(now)
        self._chat.append(chat_id)
        self._message.append(message_id)
        self._drop_old(now)

    def recent(self, chat_id: int, now: float) -> list[int]:
        """Ids of the messages sent to ``chat_id`` that can still be deleted, oldest first."""
        since = now - DELETABLE_SECONDS
        forgotten = self._forgotten.get(chat_id)
        return sorted(
            self._message[i]
            for i in range(self._start, len(self._at))
            if self._chat[i] == chat_id
            and self._at[i] >= since
            and (forgotten is None or self._at[i] > forgotten)
        )

    def forget(self, chat_id: int, now: float) -> None:
        """What was sent to ``chat_id`` until now is no longer offered."""
        self._forgotten[chat_id] = now

    def __len__(self) -> int:
        return len(self._at) - self._start

    def _drop_old(self, now: float) -> None:
        since = now - DELETABLE_SECONDS
        while self._start < len(self._at) and self._at[self._start] < since:
            self._start += 1
        if self._start > 4096 and self._start * 2 > len(self._at):
            # Compacted once the expired part outweighs the live one: amortised O(1) a note.
            del self._at[: self._start]
            del self._chat[: self._start]
            del self._message[: self._start]
            self._start = 0
            self._forgotten = {c: at for c, at in self._forgotten.items() if at >= since}

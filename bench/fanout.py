"""Fan-out: 10,000 people whose daily prompt is due in the same minute.

``python -m bench fanout`` (or ``python -m bench.fanout``; ``--people 1000`` for a quick run).

The people are written to a fresh SQLite file (plain sqlite3, one transaction), then each one's
``next_prompt_at`` is set through the repository (``Repository.update_person``, as onboarding
and /settings do), all within the same minute. Then the scheduler's own entry point,
``scheduler.ticker.tick``, runs against the real Application (its AIORateLimiter at
``--rate``, 29 a second by default: see bench/README.md on why one message a second below
Telegram's limit) and the Bot API emulator with Telegram's flood limits on (30 messages a second
overall). Ticks run until nobody is due.

The floor is people / 30 s: nothing can deliver faster. The figure is the floor's speed over the
achieved speed (target >= 0.95), with the 429 responses Telegram sent (target 0), people who got
the prompt twice (0), and people who got none or whose delivery is not recorded as sent (0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.state_scale import create_population
from bench.throughput import load_average, machine
from bot.app import build_application
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import DeliveryStatus

FIRST_CHAT_ID = 40_000_000
TARGET = 0.95
DEFAULT_RATE = 29.0


def settings_for(emulator: BotApiEmulator, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": emulator.token,
        "telegram_api_base_url": emulator.base_url,
        "database_path": database,
        "log_level": "WARNING",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def run(args: argparse.Namespace) -> bool:
    print(f"Kindling fan-out benchmark: {machine()}; load average {load_average()}")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="kindling-fanout-") as tmp:
        path = Path(tmp) / "fanout.db"
        chats = await create_population(
            path, args.people, args.people, now, first_chat_id=FIRST_CHAT_ID, set_due=False
        )
        async with BotApiEmulator() as emulator:
            for chat in chats:
                emulator.person(chat, "P")
            application = build_application(
                settings_for(emulator, path, telegram_rate_limit=args.rate)
            )
            await application.initialize()  # no polling: the ticks are called directly
            repo = application.services.repo
            try:
                setting = time.perf_counter()
                for n, chat in enumerate(chats):  # all due within the same minute
                    await repo.update_person(chat, next_prompt_at=now + timedelta(seconds=n % 60))
                setting = time.perf_counter() - setting
                clock_now = now + timedelta(minutes=1)
                application.services.clock = _Fixed(clock_now)
                started = time.perf_counter()
                ticks = 0
                while True:
                    report = await tick(application)
                    ticks += 1
                    if not report.handled:
                        break
                finished = time.perf_counter()
                last_sent = max(
                    (
                        arrived
                        for arrived, method, _, status in emulator.timeline
                        if method == "sendMessage" and status == 200
                    ),
                    default=finished,
                )
                rows = {chat: await repo.list_deliveries(chat) for chat in chats}
            finally:
                await application.shutdown()
        too_many = emulator.stats["429"]
        per_chat = Counter(message.chat_id for message in emulator.sent())
    # The timeline is time.monotonic(); perf_counter shares its clock on Linux.
    seconds = last_sent - started
    floor = args.people / emulator.global_rate
    ratio = floor / seconds
    duplicates = sum(1 for count in per_chat.values() if count > 1)
    missed = sum(1 for chat in chats if per_chat[chat] == 0)
    unrecorded = sum(1 for chat in chats if [r.status for r in rows[chat]] != [DeliveryStatus.SENT])
    print(
        f"   {args.people:,} people due within one minute (next_prompt_at set through the "
        f"repository in {setting:.1f} s); emulator flood limit {emulator.global_rate:g}/s, "
        f"TELEGRAM_RATE_LIMIT {args.rate:g}/s; {ticks - 1} tick(s) with work"
    )
    print(
        f"   all delivered in {seconds:.1f} s; floor {floor:.1f} s; speed "
        f"{args.people / seconds:.2f} messages/s = {ratio:.3f} of the floor's (target >= {TARGET})"
    )
    print(
        f"   429 responses {too_many}, people with a duplicate {duplicates}, people missed "
        f"{missed}, deliveries not recorded as sent {unrecorded}"
    )
    ok = ratio >= TARGET and too_many == duplicates == missed == unrecorded == 0
    print(f"   {'ok' if ok else 'BELOW TARGET'}")
    return ok


class _Fixed:
    """The scheduler's "now": the minute after they all fell due, for every tick."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="TELEGRAM_RATE_LIMIT")
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Weekly recaps: 1,000 of them, each with its picture, composed and sent.

``python -m bench recap`` (or ``python -m bench.recap_bench``; ``--people 200`` for a quick run).

1,000 people, each with something kept on every day of this week (wins, moments with people,
a hard moment, a reflection: the week ``bench/render_bench.py`` draws), all with their weekly
recap due now. Measured, in this process:

1. Composing: ``bot.recap.compose_weekly_recap`` for each person (the week's entries read from
   SQLite, the facts, the words, the 1080x1080 PNG and its description): per recap, median and
   95th percentile.
2. Sending: the scheduler's tick (``scheduler.ticker.tick``) delivering all of them, picture then
   text, through the real Application to the Bot API emulator with its flood limits off and
   Kindling's settings at their defaults, as people run it: ``TELEGRAM_RATE_LIMIT`` (25 a
   second, the bulk budget scheduled sends go through) paces the 2,000 messages (80 s for
   1,000 people, whatever the bot does), so the seconds per recap show that pace; composing
   (1.) is what the bot itself costs.

Peak memory is the process's high-water mark (``ru_maxrss``; Pillow's image buffers are not
Python allocations, so tracemalloc would not see them) before composing, after composing all,
and after sending all: what 1,000 recaps add to a running bot.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.fanout import settings_for
from bench.population import ZONES, create_population
from bench.throughput import load_average, machine
from bot.app import build_application
from bot.recap import compose_weekly_recap, local_today
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import DeliveryKind, DeliveryStatus

FIRST_CHAT_ID = 50_000_000
# One day's entries, turned a little each day: (kind, tags, rating).
DAY = [
    ("win", '["listened"]', 4),
    ("win", '["paused"]', 3),
    ("reflection", "[]", None),
    ("social", '["heard:yes", "interest:yes", "steady:partly", "connected"]', 5),
    ("social", '["heard:no", "interest:partly", "steady:no", "out_of_sync"]', 2),
    ("setback", '["frustrated"]', None),
]


def week_rows(chat_id: int, zone: str, now: datetime, rng: random.Random) -> list[tuple]:
    """Entries on every day of the local week that contains ``now`` (some may lie ahead)."""
    local = now.astimezone(ZoneInfo(zone))
    monday = (local - timedelta(days=local.weekday())).replace(hour=8, minute=0, second=0)
    rows = []
    for day in range(7):
        for n in range(day % 4 + 2):
            kind, tags, rating = DAY[(day + n) % len(DAY)]
            at = monday + timedelta(days=day, hours=n, minutes=rng.randint(0, 50))
            text = f"Day {day + 1}: a moment worth keeping, number {n + 1}."
            rows.append((chat_id, kind, text, tags, rating, int(at.timestamp())))
    return rows


async def population(path: Path, people: int, now: datetime) -> list[int]:
    chats = await create_population(path, people, 0, now, first_chat_id=FIRST_CHAT_ID)
    chats = [FIRST_CHAT_ID + n for n in range(people)]
    rng = random.Random(11)
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO entries (chat_id, kind, text, tags, rating, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                row
                for n, chat in enumerate(chats)
                for row in week_rows(chat, ZONES[n % len(ZONES)], now, rng)
            ),
        )
        # Everyone's recap is due now; prompts are not (they would only add messages).
        db.execute(
            "UPDATE people SET next_recap_at = ?, next_prompt_at = NULL, active = 1",
            (int(now.timestamp()) - 30,),
        )
    db.close()
    return chats


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(args: argparse.Namespace) -> bool:
    print(f"Kindling weekly recap benchmark: {machine()}; load average {load_average()}")
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="kindling-recap-") as tmp:
        path = Path(tmp) / "recap.db"
        chats = await population(path, args.people, now)
        async with BotApiEmulator(flood_limits=False) as emulator:
            for chat in chats:
                emulator.person(chat, "P")
            application = build_application(settings_for(emulator, path))
            await application.initialize()
            services = application.services
            try:
                # 1. composing
                rss_start = peak_rss_mb()
                people = [await services.repo.get_person(chat) for chat in chats]
                await compose_weekly_recap(services, people[0], local_today(people[0], now))  # type: ignore[arg-type]
                timings, sizes = [], []
                for person in people:
                    assert person is not None
                    start = time.perf_counter()
                    recap = await compose_weekly_recap(services, person, local_today(person, now))
                    timings.append(time.perf_counter() - start)
                    sizes.append(len(recap.chart_png or b""))
                rss_composed = peak_rss_mb()

                # 2. sending
                started = time.perf_counter()
                report = await tick(application)
                seconds = time.perf_counter() - started
                rss_after = peak_rss_mb()
                rows = {chat: await services.repo.list_deliveries(chat) for chat in chats}
            finally:
                await application.shutdown()
        kinds = Counter((m.chat_id, m.kind) for m in emulator.sent())
    ordered = sorted(timings)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    with_picture = sum(1 for size in sizes if size)
    print(
        f"   {args.people:,} people, each with a full week kept ({len(DAY)} kinds of entry, "
        f"2 to 5 a day); {with_picture:,} recaps with a picture, median PNG "
        f"{statistics.median(sizes) / 1024:.0f} KiB"
    )
    print(
        f"   1. composing one recap (read, facts, words, picture): median "
        f"{statistics.median(timings) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )
    sent_once = sum(
        1
        for chat in chats
        if kinds[(chat, "photo")] == 1
        and kinds[(chat, "text")] == 1
        and [(r.kind, r.status) for r in rows[chat]] == [(DeliveryKind.RECAP, DeliveryStatus.SENT)]
    )
    print(
        f"   2. sending all through one tick: {seconds:.1f} s = {seconds / args.people * 1000:.1f} "
        f"ms a recap (picture and text); sent once and recorded: {sent_once:,}/{args.people:,}; "
        f"tick outcomes {report.count(DeliveryStatus.SENT):,} sent"
    )
    print(
        f"   peak memory (ru_maxrss of this process, emulator included): {rss_start:.0f} MB "
        f"before composing, {rss_composed:.0f} MB after composing all, {rss_after:.0f} MB after "
        "sending all"
    )
    return sent_once == args.people


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench recap", description=__doc__)
    parser.add_argument("--people", type=int, default=1000)
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())

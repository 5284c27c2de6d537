"""Scheduler benchmark, run by hand: ``python -m bench.scheduler_bench``.

Prints three sets of figures (see bench/README.md for what was measured, where and when):

1. the due query: with ``--big`` people (100,000) in a SQLite file and ``--due`` of them due, the
   cost of one tick's due query, and SQLite's EXPLAIN QUERY PLAN for it (it should search the
   partial index ``people_prompt_due``, not scan the table);
2. start-up: wall time until a fresh bot process has started and finished its first tick, and
   its peak RSS (``ru_maxrss``), with ``--small`` (1,000) and ``--big`` people;
3. fan-out: ``--people`` (5,000) people due in the same minute, sent through the real
   Application (its rate limiter's bulk budget at TELEGRAM_RATE_LIMIT, the bot's default unless
   ``--rate`` is given) to the Bot API emulator with Telegram's flood limits (30 messages/s
   overall): messages/s achieved over the bulk pace, 429 responses, duplicates, losses, and
   when the last prompt went out compared with N / TELEGRAM_RATE_LIMIT.

The fixture rows are written with plain sqlite3 in one transaction (the repository's one-row
methods would take minutes for 100,000 people); the schema itself comes from the migrations.
Use ``--people 1500`` for a shorter fan-out run; the defaults are the issue's numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.due_query import millis
from bench.population import create_population
from bot.app import build_application
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import BATCH_SIZE, tick
from storage.models import DeliveryKind, DeliveryStatus
from storage.sqlite import SqliteRepository

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAT_ID = 10_000_000
QUERY_REPEATS = 200
# The bot's own default bulk pace (bot/settings.py: 25 a second, under Telegram's 30 so that
# replies keep headroom): the fan-out measures what people run unless --rate is given.
FANOUT_RATE = float(Settings.model_fields["telegram_rate_limit"].default)


def settings_for(emulator: BotApiEmulator, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": emulator.token,
        "telegram_api_base_url": emulator.base_url,
        "database_path": database,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# -- 1. the due query -------------------------------------------------------------------------
async def bench_due_query(path: Path, people: int, due: int) -> None:
    now = datetime.now(UTC)
    await create_population(path, people, due, now, first_chat_id=FIRST_CHAT_ID)
    repo = SqliteRepository(path)
    await repo.open()
    try:
        statements: list[str] = []
        await repo.db.set_trace_callback(statements.append)
        found = await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
        await repo.db.set_trace_callback(None)  # type: ignore[arg-type]  # None stops it
        timings = []
        for _ in range(QUERY_REPEATS):
            start = time.perf_counter()
            await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
            timings.append(time.perf_counter() - start)
    finally:
        await repo.close()
    query = next(s for s in reversed(statements) if "FROM people" in s)
    with sqlite3.connect(path) as db:
        plan = [row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {query}")]
        raw, scan = [], []
        unindexed = query.replace("FROM people", "FROM people NOT INDEXED", 1)
        for _ in range(QUERY_REPEATS // 4):
            start = time.perf_counter()
            db.execute(query).fetchall()
            raw.append(time.perf_counter() - start)
            start = time.perf_counter()
            db.execute(unindexed).fetchall()
            scan.append(time.perf_counter() - start)
    db.close()
    print(f"\n1. Due query, {people:,} people, {len(found)} due (batch {BATCH_SIZE})")
    print(f"   repo.due_people (aiosqlite, rows to Person): {millis(timings)}")
    print(f"   the same SQL on plain sqlite3:               {millis(raw)}")
    print(f"   the same SQL forced to scan the table:       {millis(scan)}")
    print("   EXPLAIN QUERY PLAN: " + " | ".join(plan))


# -- 2. start-up and memory -------------------------------------------------------------------
async def child_startup() -> None:
    """In the child process: start the bot as run_polling does, tick once, report, stop."""
    application = build_application(Settings(_env_file=None))  # type: ignore[call-arg]
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    report = await tick(application)
    ready = time.time()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"ready": ready, "maxrss_kb": usage.ru_maxrss, "due": len(report.handled)}))


async def bench_startup(folder: Path, sizes: Sequence[int]) -> None:
    print("\n2. Start-up to the end of the first tick, and peak RSS of the bot process")
    async with BotApiEmulator(flood_limits=False) as emulator:
        for people in sizes:
            path = folder / f"startup_{people}.db"
            await create_population(path, people, 0, datetime.now(UTC), first_chat_id=FIRST_CHAT_ID)
            spawned = time.time()
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.scheduler_bench",
                "--child-startup",
                cwd=ROOT,
                env={
                    **os.environ,
                    "TELEGRAM_BOT_TOKEN": emulator.token,
                    "TELEGRAM_API_BASE_URL": emulator.base_url,
                    "DATABASE_PATH": str(path),
                    "LOG_LEVEL": "WARNING",
                },
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await child.communicate()
            result = json.loads(out.decode().strip().splitlines()[-1])
            print(
                f"   {people:>7,} people: ready in {result['ready'] - spawned:.2f} s "
                f"(interpreter and imports included), peak RSS "
                f"{result['maxrss_kb'] / 1024:.1f} MB"
            )


# -- 3. fan-out -------------------------------------------------------------------------------
async def bench_fanout(folder: Path, people: int, rate: float) -> None:
    path = folder / "fanout.db"
    now = datetime.now(UTC)
    await create_population(path, people, people, now, first_chat_id=FIRST_CHAT_ID)
    async with BotApiEmulator() as emulator:
        chats = [FIRST_CHAT_ID + n for n in range(people)]
        for chat in chats:
            emulator.person(chat, "P")
        settings = settings_for(emulator, path, telegram_rate_limit=rate)
        application = build_application(settings)
        await application.initialize()  # no polling and no job: the tick is called directly
        samples: list[tuple[float, int]] = []

        async def sample() -> None:
            while True:
                samples.append((time.perf_counter(), emulator.stats["sent"]))
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        try:
            report = await tick(application)
        finally:
            finished = time.perf_counter()
            sampler.cancel()
            rows = {chat: await application.services.repo.list_deliveries(chat) for chat in chats}
            await application.shutdown()
        too_many = emulator.stats["429"]
        per_chat = Counter(message.chat_id for message in emulator.sent())
        samples.append((finished, emulator.stats["sent"]))
    first = next(t for t, sent in samples if sent > 0)
    last = next(t for t, sent in samples if sent >= people)
    duplicates = sum(count - 1 for count in per_chat.values() if count > 1)
    losses = sum(1 for chat in chats if per_chat[chat] == 0)
    not_sent = sum(1 for chat in chats if [r.status for r in rows[chat]] != [DeliveryStatus.SENT])
    limit = settings.telegram_rate_limit  # the bulk pace, under the emulator's flood limit
    overall = people / (last - started)
    steady = (people - limit) / (last - first) if people > limit else overall
    ideal = people / limit
    print(
        f"\n3. Fan-out: {people:,} people due in the same minute, flood limit "
        f"{emulator.global_rate:.0f}/s, TELEGRAM_RATE_LIMIT {limit:g}/s"
    )
    print(
        f"   messages/s achieved: {overall:.2f} overall ({overall / limit:.3f} of "
        "TELEGRAM_RATE_LIMIT, target >= 0.95),"
    )
    print(f"                        {steady:.2f} after the first burst ({steady / limit:.3f})")
    print(f"   429 responses: {too_many}, duplicates: {duplicates}, losses: {losses}, ")
    print(f"   deliveries not recorded as sent: {not_sent}, tick outcomes: {len(report.handled)}")
    print(
        f"   last prompt out {last - started:.1f} s after the tick began; N/limit = {ideal:.1f} s "
        f"(ratio {(last - started) / ideal:.3f})"
    )


async def run(args: argparse.Namespace) -> None:
    print(
        f"Kindling scheduler benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory(prefix="kindling-bench-") as tmp:
        folder = Path(tmp)
        if not args.skip_query:
            await bench_due_query(folder / "query.db", args.big, args.due)
        if not args.skip_startup:
            await bench_startup(folder, (args.small, args.big))
        if not args.skip_fanout:
            await bench_fanout(folder, args.people, args.rate)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler_bench", description=__doc__)
    parser.add_argument("--people", type=int, default=5000, help="fan-out size (5000)")
    parser.add_argument("--big", type=int, default=100_000, help="large population (100000)")
    parser.add_argument("--small", type=int, default=1000, help="small population (1000)")
    parser.add_argument("--due", type=int, default=20, help="people due in the query test (20)")
    parser.add_argument(
        "--rate",
        type=float,
        default=FANOUT_RATE,
        help=f"TELEGRAM_RATE_LIMIT for the fan-out ({FANOUT_RATE:g}; see bench/README.md)",
    )
    parser.add_argument("--skip-query", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true")
    # The start-up measurement's child process (settings come from its environment).
    parser.add_argument("--child-startup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_startup:
        asyncio.run(child_startup())
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

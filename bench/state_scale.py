"""Scale of state: Kindling with 100,000 people in its database.

``python -m bench scale`` (or ``python -m bench.state_scale``) measures:

1. The due query a scheduler tick runs (``repo.due_people``, one batch) with 1,000, 10,000 and
   100,000 people stored and the same 20 of them due: its cost must follow the people due, not the
   people stored. Printed with SQLite's EXPLAIN QUERY PLAN for the exact statement the repository
   runs (captured with a trace callback), which must search the partial index
   ``people_prompt_due``; and, for comparison, the same statement forced to scan the table.
2. Start-up: ``python -m bot`` spawned on the 1,000 and on the 100,000 people file (each person
   with ``--entries`` entries), with its settings at their defaults: seconds until it polls,
   seconds until its first tick (one ``TICK_SECONDS``, 30 s by default, after start) has sent
   the 20 due prompts, and its resident memory then (VmRSS and the peak VmHWM). The integrity
   check at start-up (``PRAGMA quick_check``, storage/sqlite.py) is timed on its own too.

The population is written with plain sqlite3 in one transaction (the repository's one-row methods
would take minutes for 100,000 people); the schema comes from the migrations.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.throughput import ROOT, load_average, machine
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import BATCH_SIZE
from storage.models import DeliveryKind
from storage.sqlite import SqliteRepository

FIRST_CHAT_ID = 30_000_000
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Asia/Tokyo",
    "Europe/London",
)
QUERY_REPEATS = 200
ENTRY_TEXT = "I let them finish their sentence before I answered, and it changed the conversation."


async def create_population(
    path: Path,
    people: int,
    due: int,
    now: datetime,
    *,
    entries_per_person: int = 0,
    first_chat_id: int = FIRST_CHAT_ID,
    set_due: bool = True,
) -> list[int]:
    """``people`` onboarded people; the first ``due`` are due within the last minute (unless
    ``set_due`` is False: then nobody has a next prompt yet), the rest later today, a few of them
    inactive or with prompts off, as in a real population. Returns the chat ids of the due."""
    repo = SqliteRepository(path)
    await repo.open()  # the schema, through the migrations
    await repo.close()
    rng = random.Random(7)
    epoch = int(now.timestamp())
    rows = []
    for n in range(people):
        is_due = n < due
        next_prompt: int | None
        if is_due:
            next_prompt = epoch - rng.randint(1, 59) if set_due else None
        else:
            next_prompt = epoch + 120 + rng.randint(0, 86_400)
        active = is_due or n % 50 != 0
        prompts_on = is_due or n % 40 != 0
        rows.append(
            (
                first_chat_id + n,
                epoch - 86_400 * 30,
                ZONES[n % len(ZONES)],
                f"{rng.randint(6, 22):02d}:{rng.choice((0, 15, 30, 45)):02d}",
                int(prompts_on),
                int(active),
                next_prompt if prompts_on else None,
                epoch + 120 + rng.randint(0, 7 * 86_400),
            )
        )
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO people (chat_id, first_seen, time_zone, prompt_time, prompts_enabled, "
            "active, onboarded, next_prompt_at, next_recap_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            rows,
        )
        if entries_per_person:
            db.executemany(
                "INSERT INTO entries (chat_id, kind, text, tags, rating, created_at) "
                "VALUES (?, 'win', ?, '[\"listened\"]', 4, ?)",
                (
                    (first_chat_id + n, ENTRY_TEXT, epoch - 3_600 * (k + 1))
                    for n in range(people)
                    for k in range(entries_per_person)
                ),
            )
    db.close()
    return [first_chat_id + n for n in range(due)]


def millis(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


# -- 1. the due query -------------------------------------------------------------------------
async def due_query(path: Path, people: int, due: int) -> tuple[list[float], str, list[str]]:
    """Timings of the repository's due query, the SQL it ran, and that SQL's query plan."""
    now = datetime.now(UTC)
    await create_population(path, people, due, now)
    repo = SqliteRepository(path)
    await repo.open()
    try:
        statements: list[str] = []
        await repo.db.set_trace_callback(statements.append)
        found = await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
        await repo.db.set_trace_callback(None)  # type: ignore[arg-type]
        assert len(found) == due, (len(found), due)
        timings = []
        for _ in range(QUERY_REPEATS):
            start = time.perf_counter()
            await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
            timings.append(time.perf_counter() - start)
    finally:
        await repo.close()
    query = next(s for s in reversed(statements) if "FROM people" in s)
    with sqlite3.connect(path) as db:
        plan = [str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {query}")]
    db.close()
    return timings, query, plan


def scan_timings(path: Path, query: str) -> list[float]:
    """The same statement made to read every row (no index), for comparison."""
    unindexed = query.replace("FROM people", "FROM people NOT INDEXED", 1)
    samples = []
    with sqlite3.connect(path) as db:
        for _ in range(QUERY_REPEATS // 4):
            start = time.perf_counter()
            db.execute(unindexed).fetchall()
            samples.append(time.perf_counter() - start)
    db.close()
    return samples


# -- 2. start-up and memory -------------------------------------------------------------------
def memory_of(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount, _unit = line.split()
            values[name] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def quick_check_seconds(path: Path) -> float:
    with sqlite3.connect(path) as db:
        start = time.perf_counter()
        db.execute("PRAGMA quick_check").fetchall()
        seconds = time.perf_counter() - start
    db.close()
    return seconds


async def start_up(path: Path, due_chats: list[int]) -> dict[str, float]:
    async with BotApiEmulator() as emulator:
        for chat in due_chats:
            emulator.person(chat, "P")
        spawned = time.perf_counter()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=ROOT,
            env={
                **os.environ,
                "TELEGRAM_BOT_TOKEN": emulator.token,
                "TELEGRAM_API_BASE_URL": emulator.base_url,
                "DATABASE_PATH": str(path),
                "LOG_LEVEL": "WARNING",
            },
            stdin=asyncio.subprocess.DEVNULL,
        )
        try:
            await emulator.wait_for_poller(timeout=120)
            polling = time.perf_counter() - spawned
            async with asyncio.timeout(120):
                while emulator.stats["sendMessage"] < len(due_chats):
                    await asyncio.sleep(0.01)
            ticked = time.perf_counter() - spawned
            await asyncio.sleep(2.0)  # the warm-up of the city index finishes meanwhile
            rss, peak = memory_of(child.pid)
        finally:
            child.send_signal(signal.SIGTERM)
            await child.wait()
    return {"polling": polling, "ticked": ticked, "rss": rss, "peak": peak}


async def run(args: argparse.Namespace) -> None:
    print(f"Kindling scale-of-state benchmark: {machine()}; load average {load_average()}")
    sizes = sorted({int(size) for size in args.sizes.split(",")} | {args.people})
    with tempfile.TemporaryDirectory(prefix="kindling-scale-") as tmp:
        folder = Path(tmp)
        print(f"\n1. The tick's due query, {args.due} people due, batch {BATCH_SIZE}")
        plan: list[str] = []
        query = ""
        for people in sizes:
            timings, query, plan = await due_query(folder / f"query_{people}.db", people, args.due)
            print(f"   {people:>9,} people stored: repo.due_people {millis(timings)}")
        print(
            f"   the same SQL forced to scan {sizes[-1]:,} rows: "
            f"{millis(scan_timings(folder / f'query_{sizes[-1]}.db', query))}"
        )
        print(f"   SQL: {' '.join(query.split())}")
        print("   EXPLAIN QUERY PLAN: " + " | ".join(plan))

        print(
            f"\n2. Start-up of python -m bot ({args.entries} entries a person), until it polls and "
            f"until its first tick has sent the {args.due} due prompts; its memory then"
        )
        for people in (min(sizes), args.people):
            path = folder / f"startup_{people}.db"
            due_chats = await create_population(
                path, people, args.due, datetime.now(UTC), entries_per_person=args.entries
            )
            size_mb = path.stat().st_size / 1e6
            check = quick_check_seconds(path)
            result = await start_up(path, due_chats)
            print(
                f"   {people:>9,} people ({size_mb:5.1f} MB file, quick_check {check:4.2f} s): "
                f"polling after {result['polling']:5.2f} s, due prompts sent after "
                f"{result['ticked']:5.2f} s; VmRSS {result['rss']:6.1f} MB, "
                f"peak {result['peak']:6.1f} MB"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--people", type=int, default=100_000, help="the large population")
    parser.add_argument(
        "--sizes", default="1000,10000", help="smaller populations, comma-separated"
    )
    parser.add_argument("--due", type=int, default=20, help="people due (20)")
    parser.add_argument("--entries", type=int, default=3, help="entries per person (3)")
    args = parser.parse_args(argv)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

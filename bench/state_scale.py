"""Scale of state: Kindling with 100,000 people in its database, on SQLite and on PostgreSQL.

``python -m bench scale`` (or ``python -m bench.state_scale``; ``--backend sqlite|postgres|both``,
both by default, side by side) measures:

1. The due query a scheduler tick runs (``repo.due_people``, one batch) with 1,000, 10,000 and
   100,000 people stored and the same 20 of them due: its cost must follow the people due, not the
   people stored (target: under 20 ms, median, at 100,000). Printed with the plan the database
   chose for the exact statement the repository runs, which must use the partial index
   ``people_prompt_due`` (SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN ANALYZE, and its
   generic plan, which a prepared statement may keep); and, for comparison, the same statement
   forced to scan the table. bench/due_query.py has the details.
2. Start-up: ``python -m bot`` spawned on 1,000 and on 100,000 people (each person with
   ``--entries`` entries), with its settings at their defaults: seconds until it polls (target:
   under 5 s), seconds until its first tick has sent the 20 due prompts, and its resident memory
   then (VmRSS and the peak VmHWM; target: under 150 MB). On SQLite the integrity check at
   start-up (``PRAGMA quick_check``, storage/sqlite.py) is timed on its own too.

The population is written with the driver in one transaction (bench/population.py); the schema
comes from the migrations. PostgreSQL runs on a throwaway durable server (bench/backends.py).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import due_query
from bench.backends import NAMES, Databases, add_backend_option, bot_env, chosen, size_mb
from bench.population import create_population
from bench.throughput import ROOT, load_average, machine
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import BATCH_SIZE
from storage.target import Backend, DatabaseTarget

QUERY_TARGET_MS = 20.0
START_TARGET_SECONDS = 5.0
MEMORY_TARGET_MB = 150.0


# -- 2. start-up and memory -------------------------------------------------------------------
def memory_of(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount, _unit = line.split()
            values[name] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def quick_check(target: DatabaseTarget) -> str:
    """SQLite's start-up integrity check alone; PostgreSQL's server keeps its own checksums."""
    if target.backend is not Backend.SQLITE:
        return "no quick_check"
    assert target.path is not None
    db = sqlite3.connect(target.path)
    try:
        start = time.perf_counter()
        db.execute("PRAGMA quick_check").fetchall()
        seconds = time.perf_counter() - start
    finally:
        db.close()
    return f"quick_check {seconds:4.2f} s"


async def start_up(target: DatabaseTarget, due_chats: list[int]) -> dict[str, float]:
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
                **bot_env(target),
                "TELEGRAM_BOT_TOKEN": emulator.token,
                "TELEGRAM_API_BASE_URL": emulator.base_url,
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


# -- the run ----------------------------------------------------------------------------------
async def queries(args: argparse.Namespace, databases: Databases, sizes: list[int]) -> bool:
    print(f"\n1. The tick's due query, {args.due} people due, batch {BATCH_SIZE}")
    timings: dict[tuple[Backend, int], list[float]] = {}
    last: dict[Backend, tuple[DatabaseTarget, due_query.DueQuery]] = {}
    for backend in databases.backends:
        for people in sizes:
            target = databases.fresh(backend, f"query_{people}")
            result = await due_query.measure(target, people, args.due)
            timings[backend, people] = result.timings
            last[backend] = (target, result)
    for backend, (target, result) in last.items():
        query = (target, result.statement, result.params)
        timings[backend, -1] = due_query.driver_timings(*query)
        timings[backend, 0] = due_query.driver_timings(*query, index=False)

    columns = databases.backends
    print(f"   {'repo.due_people':<28}" + "".join(f"{NAMES[b]:>36}" for b in columns))
    labels = {-1: "same SQL, driver, no commit", 0: f"same, forced to scan {sizes[-1]:,}"}
    for people in (*sizes, -1, 0):
        label = labels.get(people, f"{people:,} people stored")
        cells = "".join(f"{due_query.millis(timings[b, people]):>36}" for b in columns)
        print(f"   {label:<28}{cells}")
    met = True
    verdicts = []
    for backend in columns:
        median_ms = 1000 * statistics.median(timings[backend, sizes[-1]])
        ok = median_ms < QUERY_TARGET_MS
        met = met and ok
        verdicts.append(f"{NAMES[backend]} {median_ms:.2f} ms {'ok' if ok else 'BELOW TARGET'}")
    print(
        f"   median at {sizes[-1]:,} people, target < {QUERY_TARGET_MS:g} ms: "
        + "; ".join(verdicts)
    )
    for backend, (target, result) in last.items():
        name = NAMES[backend]
        print(f"   {name} SQL: {' '.join(result.statement.split())}")
        print(f"   {name} plan: " + " | ".join(result.plan))
        if backend is Backend.POSTGRES:
            generic = due_query.generic_plan(target, result.statement, result.params)
            print(f"   {name} generic plan: " + " | ".join(generic))
    return met


async def start_ups(args: argparse.Namespace, databases: Databases, sizes: list[int]) -> bool:
    print(
        f"\n2. Start-up of python -m bot ({args.entries} entries a person), until it polls and "
        f"until its first tick has sent the {args.due} due prompts; its memory then"
    )
    met = True
    for people in (min(sizes), args.people):
        # Side by side: the backends one after the other on the same population size.
        for backend in databases.backends:
            target = databases.fresh(backend, f"startup_{people}")
            due_chats = await create_population(
                target, people, args.due, datetime.now(UTC), entries_per_person=args.entries
            )
            stored = f"{size_mb(target):5.1f} MB, {quick_check(target)}"
            result = await start_up(target, due_chats)
            fast = result["polling"] < START_TARGET_SECONDS
            small = result["peak"] < MEMORY_TARGET_MB
            met = met and fast and small
            print(
                f"   {NAMES[backend]:<10} {people:>9,} people ({stored}): polling after "
                f"{result['polling']:5.2f} s ({'ok' if fast else 'SLOWER THAN TARGET'}), due "
                f"prompts sent after {result['ticked']:5.2f} s; VmRSS {result['rss']:6.1f} MB, "
                f"peak {result['peak']:6.1f} MB ({'ok' if small else 'ABOVE TARGET'})"
            )
    print(
        f"   targets: polling within {START_TARGET_SECONDS:g} s, peak memory under "
        f"{MEMORY_TARGET_MB:g} MB, whatever the number of people; the first tick runs one "
        "TICK_SECONDS (30 s by default) after start"
    )
    return met


async def run(args: argparse.Namespace) -> bool:
    print(f"Kindling scale-of-state benchmark: {machine()}; load average {load_average()}")
    sizes = sorted({int(size) for size in args.sizes.split(",")} | {args.people})
    with (
        tempfile.TemporaryDirectory(prefix="kindling-scale-") as tmp,
        Databases(Path(tmp), chosen(args.backend)) as databases,
    ):
        print(f"   {databases.describe()}")
        met = await queries(args, databases, sizes)
        met = await start_ups(args, databases, sizes) and met
    print(f"\n   load average {load_average()} at the end; {'ok' if met else 'BELOW TARGET'}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--people", type=int, default=100_000, help="the large population")
    parser.add_argument(
        "--sizes", default="1000,10000", help="smaller populations, comma-separated"
    )
    parser.add_argument("--due", type=int, default=20, help="people due (20)")
    parser.add_argument("--entries", type=int, default=3, help="entries per person (3)")
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())

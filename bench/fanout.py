"""Fan-out: 10,000 people whose daily prompt is due in the same minute, on SQLite and PostgreSQL.

``python -m bench fanout`` (or ``python -m bench.fanout``; ``--people 1000`` for a quick run;
``--backend sqlite|postgres|both``, both by default: one after the other, then side by side).

The people are written to a fresh database (the driver, one transaction: bench/population.py),
then each one's ``next_prompt_at`` is set through the repository (``Repository.update_person``,
as onboarding and /settings do), all within the same minute. Then the scheduler's own entry point,
``scheduler.ticker.tick``, runs against the real Application (its rate limiter's bulk budget at
``TELEGRAM_RATE_LIMIT``, the bot's default unless ``--rate`` is given: bot/rate_limits.py) and the
Bot API emulator with Telegram's flood limits on (30 messages a second overall). Ticks run until
nobody is due.

The bot's floor is people / ``TELEGRAM_RATE_LIMIT`` seconds (25 a second by default: the bulk
budget scheduled sends go through, set under Telegram's 30 to leave headroom for replies):
the bot sends no faster on purpose. The figure is the achieved speed over that pace (target >=
0.95), with the 429 responses Telegram sent (target 0), people who got the prompt twice (0),
and people who got none or whose delivery is not recorded as sent (0). The speed is also shown
against Telegram's 30 a second, which the default caps at 25 / 30 = 0.83. PostgreSQL runs on
a throwaway durable server (bench/backends.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.backends import NAMES, Databases, add_backend_option, chosen
from bench.population import create_population
from bench.throughput import load_average, machine
from bot.app import build_application
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from scheduler.ticker import tick
from storage.models import DeliveryStatus
from storage.postgres import PostgresRepository
from storage.target import Backend, DatabaseTarget

FIRST_CHAT_ID = 40_000_000
TARGET = 0.95


def settings_for(
    emulator: BotApiEmulator, database: Path | DatabaseTarget, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": emulator.token,
        "telegram_api_base_url": emulator.base_url,
        "log_level": "WARNING",
        **overrides,
    }
    if isinstance(database, Path):
        values["database_path"] = database
    elif database.backend is Backend.SQLITE:
        values["database_path"] = database.path
    else:
        values["database_url"] = database.conninfo
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass(slots=True)
class FanOut:
    backend: Backend
    people: int
    setting: float  # seconds to set everyone's next_prompt_at through the repository
    ticks: int
    seconds: float  # from the first tick until the last prompt was taken
    floor: float  # people / Telegram's 30 a second
    too_many: int
    duplicates: int
    missed: int
    unrecorded: int
    rate: float  # TELEGRAM_RATE_LIMIT, the bulk budget
    pool: dict[str, int] | None = None  # PostgreSQL: psycopg_pool's counters for the whole run

    @property
    def of_telegram(self) -> float:
        """The speed over Telegram's bulk limit's (30 a second)."""
        return self.floor / self.seconds

    @property
    def of_own_pace(self) -> float:
        """The speed over the bot's own bulk budget's: the target's figure."""
        return (self.people / self.rate) / self.seconds

    @property
    def ok(self) -> bool:
        zeros = self.too_many == self.duplicates == self.missed == self.unrecorded == 0
        return self.of_own_pace >= TARGET and zeros


async def fan_out(target: DatabaseTarget, people: int, rate: float | None) -> FanOut:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    chats = await create_population(
        target, people, people, now, first_chat_id=FIRST_CHAT_ID, set_due=False
    )
    async with BotApiEmulator() as emulator:
        for chat in chats:
            emulator.person(chat, "P")
        # The bot's own default unless asked: benchmarks measure what people run.
        overrides = {} if rate is None else {"telegram_rate_limit": rate}
        settings = settings_for(emulator, target, **overrides)
        application = build_application(settings)
        await application.initialize()  # no polling: the ticks are called directly
        repo = application.services.repo
        try:
            setting = time.perf_counter()
            for n, chat in enumerate(chats):  # all due within the same minute
                await repo.update_person(chat, next_prompt_at=now + timedelta(seconds=n % 60))
            setting = time.perf_counter() - setting
            application.services.clock = _Fixed(now + timedelta(minutes=1))
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
            # Whether sends waited for a connection: the pool's size at work.
            pool = repo.pool.get_stats() if isinstance(repo, PostgresRepository) else None
        finally:
            await application.shutdown()
    per_chat = Counter(message.chat_id for message in emulator.sent())
    # The timeline is time.monotonic(); perf_counter shares its clock on Linux.
    return FanOut(
        backend=target.backend,
        people=people,
        setting=setting,
        ticks=ticks - 1,
        seconds=last_sent - started,
        floor=people / emulator.global_rate,
        too_many=emulator.stats["429"],
        duplicates=sum(1 for count in per_chat.values() if count > 1),
        missed=sum(1 for chat in chats if per_chat[chat] == 0),
        unrecorded=sum(
            1 for chat in chats if [r.status for r in rows[chat]] != [DeliveryStatus.SENT]
        ),
        rate=settings.telegram_rate_limit,
        pool=pool,
    )


def show(result: FanOut) -> None:
    name = NAMES[result.backend]
    print(
        f"   {name}: {result.people:,} people due within one minute (next_prompt_at set through "
        f"the repository in {result.setting:.1f} s); TELEGRAM_RATE_LIMIT {result.rate:g}/s; "
        f"{result.ticks} tick(s) with work"
    )
    print(
        f"   {name}: all delivered in {result.seconds:.1f} s; speed "
        f"{result.people / result.seconds:.2f} messages/s = {result.of_own_pace:.3f} of "
        f"TELEGRAM_RATE_LIMIT's {result.rate:g}/s (target >= {TARGET}), "
        f"{result.of_telegram:.3f} of Telegram's {result.people / result.floor:g}/s"
    )
    print(
        f"   {name}: 429 responses {result.too_many}, people with a duplicate "
        f"{result.duplicates}, people missed {result.missed}, deliveries not recorded as sent "
        f"{result.unrecorded}; {'ok' if result.ok else 'BELOW TARGET'}"
    )
    if result.pool is not None:
        stats = result.pool
        print(
            f"   {name}: connection pool (max {stats.get('pool_max', '?')}): "
            f"{stats.get('requests_num', 0):,} connections lent, "
            f"{stats.get('requests_waiting', 0)} waiting now, "
            f"{stats.get('requests_queued', 0):,} had to queue, "
            f"{stats.get('requests_wait_ms', 0):,} ms spent queuing in all"
        )


def side_by_side(results: list[FanOut]) -> None:
    names = "".join(f"{NAMES[r.backend]:>14}" for r in results)
    print(f"\n   {'':<36}{names}")
    rows: list[tuple[str, list[str]]] = [
        ("setting next_prompt_at, s", [f"{r.setting:.1f}" for r in results]),
        ("all delivered, s", [f"{r.seconds:.1f}" for r in results]),
        ("of TELEGRAM_RATE_LIMIT's (>= 0.95)", [f"{r.of_own_pace:.3f}" for r in results]),
        ("of Telegram's 30/s", [f"{r.of_telegram:.3f}" for r in results]),
        (
            "429s / duplicates / missed / unrec.",
            [f"{r.too_many}/{r.duplicates}/{r.missed}/{r.unrecorded}" for r in results],
        ),
        ("verdict", ["ok" if r.ok else "BELOW TARGET" for r in results]),
    ]
    for label, values in rows:
        print(f"   {label:<36}" + "".join(f"{value:>14}" for value in values))
    by = {r.backend: r for r in results}
    if len(by) == 2:
        lite, pg = by[Backend.SQLITE], by[Backend.POSTGRES]
        print(
            f"   PostgreSQL / SQLite, delivery speed: {lite.seconds / pg.seconds:.3f}; setting "
            f"next_prompt_at one by one took {pg.setting / lite.setting:.2f} times as long"
        )


async def run(args: argparse.Namespace) -> bool:
    print(f"Kindling fan-out benchmark: {machine()}; load average {load_average()}")
    backends = chosen(args.backend)
    with (
        tempfile.TemporaryDirectory(prefix="kindling-fanout-") as tmp,
        Databases(Path(tmp), backends) as databases,
    ):
        print(f"   {databases.describe()}; emulator flood limit 30/s")
        results = []
        for backend in backends:
            results.append(
                await fan_out(databases.fresh(backend, "fanout"), args.people, args.rate)
            )
            show(results[-1])
    side_by_side(results)
    if results and results[0].rate < 30:
        print(
            f"   TELEGRAM_RATE_LIMIT {results[0].rate:g}/s is under Telegram's 30/s on purpose "
            f"(headroom for replies): the speed over 30/s cannot pass {results[0].rate / 30:.3f}"
        )
    print(f"   load average {load_average()} at the end")
    return all(result.ok for result in results)


class _Fixed:
    """The scheduler's "now": the minute after they all fell due, for every tick."""

    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument(
        "--rate", type=float, default=None, help="TELEGRAM_RATE_LIMIT (the bot's default if unset)"
    )
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())

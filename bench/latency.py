"""Reply latency under a fan-out: how long people wait for an answer while the morning prompt
goes out to everyone, on SQLite and on PostgreSQL.

``python -m bench latency`` (``--people 1000 --answering 100`` for a quick run; ``--backend
sqlite|postgres|both``, both by default: one after the other, then side by side).

``--people`` (10,000) people are written to a fresh database (bench/population.py), every one
of them with a daily prompt that fell due within the last minute. Then Kindling starts as
``./scripts/run`` starts it: ``python -m bot`` in its own process, every setting at its default
(only the token, the Bot API's address and the database are given), against the Bot API
emulator with Telegram's flood limits on (30 bulk messages a second, and each chat's own
limit). Its first scheduler tick (``TICK_SECONDS`` after start-up) finds them all due and sends
the prompts at ``TELEGRAM_RATE_LIMIT`` (25) a second, its bulk budget.

``--answering`` (1,000) of them, chosen at random, answer the moment their prompt arrives, each
waiting for the bot's answer before the next step, as someone typing quickly would:

    every fourth taps "Later" on the prompt ──> "I'll bring it back around ..."
    a line answering the prompt ──> the acknowledgement (a reflection is stored)
    /win ──> "<a line>" ──> tap a kind ──> tap a rating (the win is stored)

A reply's latency runs from the moment the person's update is queued in the emulator to the
moment the emulator receives the bot's answer (a new message, or for a tap on a /win question
an edit of the tapped message). Printed: p50, p95, p99 and the longest (targets: p95 < 1 s,
p99 < 2 s); the 429 responses Telegram would have sent (0); people whose prompt came twice (0)
or never (0); answers missing (0; a wait gives up after 60 s); and the fan-out's time from the
first prompt to the last over its floor, people / TELEGRAM_RATE_LIMIT (target within 1.1x).
The answers and wins stored are counted in the database itself.

The emulator and the people run in this process, the bot in its own, as in throughput.py.
Measured figures: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.answers import AnswerWatch
from bench.backends import NAMES, Databases, add_backend_option, chosen, count_rows
from bench.population import create_population
from bench.throughput import (
    KIND_DATA,
    RATING_DATA,
    kindling_env,
    load_average,
    machine,
    stop_bot,
)
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator, ChatEvent, EmulatedPerson, SentMessage
from storage.target import Backend, DatabaseTarget

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAT_ID = 50_000_000
ANSWER_TIMEOUT = 60.0
TARGET_P95 = 1.0
TARGET_P99 = 2.0
TARGET_FLOOR = 1.1


class Stopwatch(AnswerWatch):
    """The emulator, counting each chat's prompts and when the first and last came."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.prompts: Counter[int] = Counter()  # prompts received, per chat
        self.first_prompt: float | None = None
        self.last_prompt: float | None = None
        self.floor = 0.0  # people / the bulk rate: the fan-out's shortest possible time

    def seen(self, event: ChatEvent, at: float) -> None:
        if event.kind == "sent" and event.message is not None and _is_prompt(event.message):
            assert event.chat_id is not None
            self.prompts[event.chat_id] += 1
            self.first_prompt = self.first_prompt or at
            self.last_prompt = at


def _is_prompt(message: SentMessage) -> bool:
    return any(
        (data or "").startswith("prompt:later:") for row in message.buttons() for _, data in row
    )


@dataclass(slots=True)
class Answers:
    """Every reply's latency, in seconds, by what it answered; and the answers that never came."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    missing: int = 0

    def all(self) -> list[float]:
        return [s for each in self.seconds.values() for s in each]


async def answer_prompt(
    emulator: Stopwatch, person: EmulatedPerson, later: bool, answers: Answers
) -> None:
    """Wait for the prompt, then answer it at once, step by step, each after the bot's answer."""
    chat = person.chat_id
    arrived = emulator.expect(chat)
    try:
        await emulator.answer(arrived, chat, 120 + 2 * emulator.floor)
        prompt = person.last
        assert prompt is not None

        async def step(what: str, act: Any, edits_too: bool = False) -> None:
            answered = emulator.expect(chat, edits_too=edits_too)
            started = time.monotonic()
            await act
            try:
                at = await emulator.answer(answered, chat, ANSWER_TIMEOUT)
            except TimeoutError:
                answers.missing += 1
                raise
            answers.seconds.setdefault(what, []).append(at - started)

        if later:
            later_data = prompt.buttons()[0][0][1]
            assert later_data is not None
            await step("tap Later", person.press_data(later_data, prompt))
        await step("answer the prompt", person.send("I noticed I slowed down before I spoke"))
        await step("/win", person.send("/win"))
        await step("the win's line", person.send("I let them finish before I answered"))
        for data in (KIND_DATA, RATING_DATA):
            pressed = person.last
            assert pressed is not None
            await step("a /win tap", person.press_data(data, pressed), edits_too=True)
    except TimeoutError:
        return  # counted; the rest of this person's steps are not taken


@dataclass(slots=True)
class Result:
    backend: Backend
    people: int
    answering: int
    rate: float  # TELEGRAM_RATE_LIMIT, the bulk budget (the bot's default)
    answers: Answers
    too_many: int
    duplicates: int
    missed: int
    fan_out: float  # seconds from the first prompt to the last
    sent_recorded: int
    reflections: int
    wins: int

    @property
    def floor(self) -> float:
        return self.people / self.rate

    @property
    def over_floor(self) -> float:
        return self.fan_out / self.floor

    def percentile(self, q: float) -> float:
        values = sorted(self.answers.all())
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))]

    @property
    def ok(self) -> bool:
        return (
            self.percentile(0.95) < TARGET_P95
            and self.percentile(0.99) < TARGET_P99
            and self.too_many == self.duplicates == self.missed == self.answers.missing == 0
            and self.over_floor <= TARGET_FLOOR
            and self.sent_recorded == self.people
            and self.reflections == self.wins == self.answering
        )


async def start_kindling(
    emulator: BotApiEmulator, target: DatabaseTarget, log: Path
) -> asyncio.subprocess.Process:
    """``python -m bot``, as ./scripts/run starts it: only the token, the address and the
    database given; its output (INFO, the default level) goes to ``log``."""
    env = kindling_env(target)
    env |= {"TELEGRAM_BOT_TOKEN": emulator.token, "TELEGRAM_API_BASE_URL": emulator.base_url}
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )


async def measure(target: DatabaseTarget, people: int, answering: int, log: Path) -> Result:
    chats = await create_population(
        target, people, people, datetime.now(UTC), first_chat_id=FIRST_CHAT_ID
    )
    chosen_ones = random.Random(15).sample(chats, answering)
    answers = Answers()
    rate = float(Settings.model_fields["telegram_rate_limit"].default)
    async with Stopwatch() as emulator:
        emulator.floor = people / rate
        persons = {chat: emulator.person(chat, f"P{chat % 10_000}") for chat in chats}
        bot = await start_kindling(emulator, target, log)
        try:
            await emulator.wait_for_poller(timeout=60)
            floor = people / rate
            async with asyncio.timeout(120 + 2 * floor):
                people_done = asyncio.gather(
                    *(
                        answer_prompt(emulator, persons[chat], n % 4 == 0, answers)
                        for n, chat in enumerate(chosen_ones)
                    )
                )
                await emulator._wait_for(lambda: len(emulator.prompts) >= people, 120 + 2 * floor)
                await people_done
            await asyncio.sleep(1.0)  # the last steps' writes land before the stop
        finally:
            await stop_bot(bot)
        fan_out = (emulator.last_prompt or 0.0) - (emulator.first_prompt or 0.0)
        too_many = emulator.stats["429"]
        duplicates = sum(1 for count in emulator.prompts.values() if count > 1)
        missed = sum(1 for chat in chats if emulator.prompts[chat] == 0)
    return Result(
        backend=target.backend,
        people=people,
        answering=answering,
        rate=rate,
        answers=answers,
        too_many=too_many,
        duplicates=duplicates,
        missed=missed,
        fan_out=fan_out,
        sent_recorded=count_rows(
            target, "SELECT count(*) FROM deliveries WHERE kind = 'prompt' AND status = 'sent'"
        ),
        reflections=count_rows(target, "SELECT count(*) FROM entries WHERE kind = 'reflection'"),
        wins=count_rows(target, "SELECT count(*) FROM entries WHERE kind = 'win'"),
    )


def show(result: Result) -> None:
    name = NAMES[result.backend]
    values = result.answers.all()
    print(
        f"   {name}: {result.people:,} prompts due, {result.answering:,} people answering; "
        f"{len(values):,} replies timed, {result.answers.missing} never came"
    )
    for what, seconds in result.answers.seconds.items():
        ordered = sorted(seconds)
        print(
            f"   {name}:    {what:<18} {len(ordered):>6,}  p50 {_q(ordered, 0.5):6.3f} s  "
            f"p95 {_q(ordered, 0.95):6.3f} s  max {ordered[-1]:6.3f} s"
        )
    print(
        f"   {name}: fan-out {result.fan_out:.1f} s from the first prompt to the last, floor "
        f"{result.floor:.1f} s ({result.people:,} / {result.rate:g} a second): "
        f"{result.over_floor:.3f}x (target <= {TARGET_FLOOR}); 429s {result.too_many}, "
        f"duplicates {result.duplicates}, missed {result.missed}; stored: prompts sent "
        f"{result.sent_recorded:,}, answers {result.reflections:,}, wins {result.wins:,}"
    )


def _q(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def side_by_side(results: list[Result]) -> None:
    names = "".join(f"{NAMES[r.backend]:>14}" for r in results)
    print(f"\n   {'':<40}{names}")
    rows: list[tuple[str, list[str]]] = [
        ("replies timed", [f"{len(r.answers.all()):,}" for r in results]),
        ("reply p50, s", [f"{r.percentile(0.5):.3f}" for r in results]),
        (f"reply p95, s (< {TARGET_P95:g})", [f"{r.percentile(0.95):.3f}" for r in results]),
        (f"reply p99, s (< {TARGET_P99:g})", [f"{r.percentile(0.99):.3f}" for r in results]),
        ("reply max, s", [f"{max(r.answers.all(), default=0.0):.3f}" for r in results]),
        ("mean, s", [f"{statistics.fmean(r.answers.all() or [0.0]):.3f}" for r in results]),
        ("answers missing", [f"{r.answers.missing}" for r in results]),
        (
            "429s / duplicates / missed",
            [f"{r.too_many}/{r.duplicates}/{r.missed}" for r in results],
        ),
        ("fan-out over its floor (<= 1.1)", [f"{r.over_floor:.3f}" for r in results]),
        ("verdict", ["ok" if r.ok else "BELOW TARGET" for r in results]),
    ]
    for label, cells in rows:
        print(f"   {label:<40}" + "".join(f"{cell:>14}" for cell in cells))


async def run(args: argparse.Namespace) -> bool:
    print(f"Kindling reply latency benchmark: {machine()}; load average {load_average()}")
    backends = chosen(args.backend)
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="kindling-latency-") as tmp,
        Databases(Path(tmp), backends) as databases,
    ):
        print(
            f"   {databases.describe()}; emulator flood limits on (30/s bulk, each chat "
            "20 then 1/s); Kindling: python -m bot, every setting at its default"
        )
        for backend in backends:
            log = Path(tmp) / f"bot-{backend}.log"
            try:
                result = await measure(
                    databases.fresh(backend, "latency"), args.people, args.answering, log
                )
            except BaseException:
                print(f"   the bot's last lines ({log}):", file=sys.stderr)
                lines = log.read_text(errors="replace").splitlines() if log.exists() else []
                print("\n".join(lines[-30:]), file=sys.stderr)
                raise
            results.append(result)
            show(result)
            print(f"   load average {load_average()}")
    side_by_side(results)
    return all(result.ok for result in results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench latency", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000, help="prompts due (10,000)")
    parser.add_argument(
        "--answering", type=int, default=1_000, help="of them, people who answer (1,000)"
    )
    add_backend_option(parser)
    args = parser.parse_args(argv)
    if not 0 < args.answering <= args.people:
        parser.error("--answering must be between 1 and --people")
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())

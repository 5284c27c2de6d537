"""Throughput: how many updates a second Kindling handles, on SQLite and on PostgreSQL, against a
bare echo bot.

``python -m bench throughput`` (or ``python -m bench.throughput``; ``--backend
sqlite|postgres|both``, both by default) starts the project's Bot API emulator in this process,
with its flood limits off (``flood_limits=False``: Telegram's 30 messages a second would cap
both bots and hide what each costs), then runs each bot in its own process against it, one after
the other: first the echo bot (``bench/echo_bot.py``, the baseline), then Kindling on a fresh
SQLite file and Kindling on a fresh PostgreSQL database (a throwaway durable server:
bench/backends.py; the child gets ``DATABASE_URL`` instead of ``DATABASE_PATH``). Kindling is the
real Application from ``bot.app.build_application``, with its database, persistence, flood guard,
crisis check and rate limiter, exactly as ``./scripts/run`` runs it: every setting at its
default (none is passed on from the caller's shell; its log, at INFO, goes to
``$TMPDIR/kindling-bench-bot.log``).

Three workloads (``--workload``, comma-separated; ``help,mixed`` by default, the issue's two;
``all`` adds ``wins``), each about ``--updates`` (2,000) updates. Each person, like someone
tapping through the app, sends the next update only once the bot has answered the previous one:

    help   400 people, each sending /help five times
    mixed  200 people, twice each: /win ──> "<a line about a small moment>" (text in a flow)
           ──> tap a kind ──> tap a rating (the win is saved) ──> /journal
    wins   50 people, ten wins each: /win ──> a line ──> tap a kind ──> tap a rating

The figure is updates per second from the first update to the last answer; the ratio is
Kindling's over the echo bot's (target >= 0.8). Every update must be answered (each press
answered too): by a new message, or, for a press, by an edit of the pressed message (Kindling
writes the answer under its question and asks the next one there, where the echo bot sends a
new message). Kindling must have stored every win: the entries are counted in its database
(sqlite3 or psycopg, not through the bot).

Replies pass only their chat's limiter (bot/rate_limits.py: a burst of 20, then one a second).
``help`` and ``mixed`` give each person 5 and 10 answers, within that burst; ``wins`` gives each
of its 50 people 40, past it, so there the limiter, on both backends alike, caps Kindling at
about 100 updates a second (the report says how far for the sizes given): it shows that cap
rather than measuring a configuration nobody runs; ``--workload wins --people 250`` (2 wins
each, within the burst) measures the bot without it.

This shared 2-core machine's speed drifts by 15% or more within minutes, so the bots run back
to back ``--rounds`` times (5; the two backends swap places every round; each round runs every
workload) and the verdicts are on the medians of the rounds' ratios: Kindling / echo on each
backend (target >= 0.8) and PostgreSQL / SQLite (target >= 0.9); each round's figures are
printed too (bench/throughput_report.py), then the workloads side by side. The bot's CPU while
the people tap (all its threads, from /proc) is printed per update: it moves less than the
rates do. The people wait for answers through bench/answers.py, so that this process's own cost
stays small next to the bots'.

Kindling's clock (the one its handlers read; ``build_application(clock=...)``) runs ``--speed``
(60) times faster than the wall clock. The flood guard slows anyone sending more than 20 updates
in 10 seconds; at 60x, 40 updates a person read as 40 minutes of human pace, so the guard does its
work on every update without ever holding one back, as with real people.

``--profile FILE`` profiles Kindling (in round 1, on the first workload and backend):
``FILE.prof`` with cProfile (its busiest functions are
printed), ``FILE.txt`` or ``FILE.html`` with pyinstrument. Both slow Kindling down a lot; read
them for where the time goes, not for the rate. Measured figures: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import resource
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.answers import AnswerWatch
from bench.backends import NAMES, Databases, add_backend_option, bot_env, chosen, count_wins
from bench.throughput_report import Round, report, side_by_side
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.target import Backend, DatabaseTarget

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAT_ID = 20_000_000
UPDATES_PER_WIN = 4
KIND_DATA = "win:kind:paused"
ANSWER_TIMEOUT = 60.0
# Where Kindling's own log lines go (INFO, its default level), kept out of the report.
BOT_LOG = Path(tempfile.gettempdir()) / "kindling-bench-bot.log"
RATING_DATA = "win:rate:4"


# -- machine ----------------------------------------------------------------------------------
def machine() -> str:
    """One line: date, cores, CPU model, Python; every bench prints it first."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores (nproc), {model}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# -- the bots, each in its own process --------------------------------------------------------
class FastClock:
    """Wall time that runs ``speed`` times faster from the moment it is made."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.start = datetime.now(UTC)
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.started) * self.speed)


def serve_kindling(speed: float, profile: str | None, durable: bool = True) -> None:
    """In the child: Kindling as ``python -m bot`` runs it, on a faster clock (``durable=False``:
    without its inbox, only for bench/inbox_cost.py's comparison)."""
    from bot.app import POLL_INTERVAL_SECONDS, build_application
    from bot.bot_api import ALLOWED_UPDATES
    from bot.logs import configure_logging
    from bot.places import place_index
    from bot.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level, secrets=[settings.telegram_bot_token.get_secret_value()])
    place_index()  # the start-up warm-up, done before polling so it is not measured
    application = build_application(settings, clock=FastClock(speed), durable=durable)
    if profile is None:
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_INTERVAL_SECONDS
        )
        return
    if profile.endswith(".html") or profile.endswith(".txt"):
        # pyinstrument, a sampling profiler (not a dependency: pip install pyinstrument)
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.002, async_mode="disabled")
        sampler.start()
        try:
            application.run_polling(
                allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_INTERVAL_SECONDS
            )
        finally:
            sampler.stop()
            if profile.endswith(".html"):
                Path(profile).write_text(sampler.output_html())
            else:
                Path(profile).write_text(
                    sampler.output_text(unicode=False, show_all=False, short_mode=False)
                )
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        application.run_polling(
            allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_INTERVAL_SECONDS
        )
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


async def start_bot(
    emulator: BotApiEmulator,
    target: DatabaseTarget | None,
    speed: float,
    profile: str | None,
    durable: bool = True,
) -> asyncio.subprocess.Process:
    """The echo bot when ``target`` is None, else Kindling on that database, every setting at
    its default (``LOG_LEVEL`` INFO included: its lines go to ``BOT_LOG``)."""
    given = {"TELEGRAM_BOT_TOKEN": emulator.token, "TELEGRAM_API_BASE_URL": emulator.base_url}
    if target is None:
        env = {**os.environ, **given, "LOG_LEVEL": "WARNING"}
        command = ["-m", "bench.echo_bot"]
    else:
        env = {**kindling_env(target), **given}
        command = ["-m", "bench.throughput", "--serve-kindling", "--speed", str(speed)]
        if profile:
            command += ["--profile", profile]
        if not durable:
            command += ["--without-inbox"]
    with BOT_LOG.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log if target is not None else None,
            stderr=log if target is not None else None,
        )


def kindling_env(target: DatabaseTarget) -> dict[str, str]:
    """This environment without any of Kindling's settings (a caller's shell must not change
    one), with the database ``target``."""
    settings = {name.upper() for name in Settings.model_fields}
    return {
        name: value
        for name, value in bot_env(target).items()
        if name not in settings or name in {"DATABASE_PATH", "DATABASE_URL"}
    }


async def stop_bot(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(60):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()


# -- the people ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Workload:
    """What every person does, ``repeats`` times over, each update after the bot's answer to
    the one before: ``steps`` updates a time, ``wins`` of them saving a win."""

    name: str
    people: int
    repeats: int
    steps: int
    wins: int

    @property
    def updates(self) -> int:
        return self.people * self.repeats * self.steps

    @property
    def wins_stored(self) -> int:
        return self.people * self.repeats * self.wins

    @property
    def answers_each(self) -> int:
        """Answers (a new message or an edit) each person gets: one an update."""
        return self.repeats * self.steps

    def describe(self) -> str:
        shown = {
            "wins": f"{self.repeats} wins x {self.steps} updates (/win, a line, two taps)",
            "help": f"/help {self.repeats} times",
            "mixed": f"{self.repeats} x (/win, a line, two taps, /journal)",
        }[self.name]
        return f"{self.name}: {self.people} people x {shown} = {self.updates:,} updates"


# Each workload: people by default, updates each time through, wins saved each time through.
WORKLOADS: dict[str, tuple[int, int, int]] = {
    "wins": (50, UPDATES_PER_WIN, 1),
    "help": (400, 1, 0),
    "mixed": (200, UPDATES_PER_WIN + 1, 1),
}


def workload(name: str, people: int | None = None, updates: int = 2000) -> Workload:
    """A workload of about ``updates`` updates (its own number of people unless given)."""
    default_people, steps, wins = WORKLOADS[name]
    people = people or default_people
    return Workload(name, people, max(1, updates // (people * steps)), steps, wins)


@dataclass(slots=True)
class Run:
    bot: str
    updates: int
    seconds: float
    answered: int
    presses_answered: int
    bot_cpu: float  # seconds of CPU the bot's process used, start-up included
    run_cpu: float  # seconds of CPU the bot's process used while the people tapped (all threads)
    calls: Counter[str]  # Bot API calls the bot made while the people tapped, by method
    emulator_cpu: float  # seconds of CPU this process (emulator and people) used meanwhile
    stored: int | None = None

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_per_update(self) -> float:
        """Milliseconds of the bot's CPU an update: steadier than the rate on a shared machine,
        and not hidden by the rate limiter."""
        return 1000 * self.run_cpu / self.updates


async def play(work: Workload, emulator: AnswerWatch, person: EmulatedPerson) -> None:
    for n in range(work.repeats):
        if work.name == "help":
            await say(emulator, person, "/help")
            continue
        await tap_through_win(emulator, person, n)
        if work.name == "mixed":
            await say(emulator, person, "/journal")


async def say(emulator: AnswerWatch, person: EmulatedPerson, text: str) -> None:
    """Send ``text``, then wait for the bot's next message."""
    answered = emulator.expect(person.chat_id)
    await person.send(text)
    await emulator.answer(answered, person.chat_id, ANSWER_TIMEOUT)


async def tap_through_win(emulator: AnswerWatch, person: EmulatedPerson, n: int) -> None:
    """One win: /win, a line about it, a tap for its kind, a tap for its rating."""
    await say(emulator, person, "/win")
    await say(emulator, person, f"Win {n + 1}: I let {person.first_name} finish before I answered")
    for data in (KIND_DATA, RATING_DATA):
        await press_and_wait(emulator, person, data)


async def press_and_wait(emulator: AnswerWatch, person: EmulatedPerson, data: str) -> None:
    """Press a button on the newest bot message, then wait for the bot's answer to it: a new
    message (the echo bot's way) or an edit of the pressed message (Kindling's, which writes
    the answer under the question and asks the next one in the same message)."""
    pressed = person.last
    assert pressed is not None
    answered = emulator.expect(person.chat_id, edits_too=True)
    await person.press_data(data, pressed)
    await emulator.answer(answered, person.chat_id, ANSWER_TIMEOUT)


def answers_seen(emulator: BotApiEmulator, persons: list[EmulatedPerson]) -> int:
    """Every new message and every edit the bot made in these chats so far."""
    return sum(1 + message.edits for person in persons for message in emulator.sent(person.chat_id))


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user and system, every thread) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    emulator: AnswerWatch,
    target: DatabaseTarget | None,
    work: Workload,
    speed: float,
    profile: str | None = None,
    durable: bool = True,
) -> Run:
    """One bot's run: the echo bot when ``target`` is None, else Kindling on that database."""
    persons = [emulator.person(FIRST_CHAT_ID + n, f"P{n}") for n in range(work.people)]
    answers_before = answers_seen(emulator, persons)
    presses_before = {p.chat_id: len(p.answered_callbacks) for p in persons}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    bot = await start_bot(emulator, target, speed, profile, durable)
    try:
        await emulator.wait_for_poller(timeout=60)
        await asyncio.sleep(1.0)  # the first poll answered, start-up requests done
        started, cpu_started = time.perf_counter(), time.process_time()
        bot_started = process_cpu(bot.pid)
        calls_before = Counter(emulator.stats)
        await asyncio.gather(*(play(work, emulator, person) for person in persons))
        seconds = time.perf_counter() - started
        run_cpu = process_cpu(bot.pid) - bot_started
        emulator_cpu = time.process_time() - cpu_started
        calls = Counter(emulator.stats) - calls_before
        await asyncio.sleep(1.0)  # anything still being written lands before the stop
    finally:
        await stop_bot(bot)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    bot_cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    answered = answers_seen(emulator, persons) - answers_before
    presses = sum(len(p.answered_callbacks) - presses_before[p.chat_id] for p in persons)
    stored = None if target is None else count_wins(target)
    name = "echo" if target is None else NAMES[target.backend]
    return Run(
        name,
        work.updates,
        seconds,
        answered,
        presses,
        bot_cpu,
        run_cpu,
        calls,
        emulator_cpu,
        stored,
    )


def show(run: Run, work: Workload) -> None:
    presses = work.people * work.repeats * (2 if work.wins else 0)
    line = (
        f"   {run.bot:<10} {run.updates:,} updates in {run.seconds:6.2f} s = {run.rate:7.1f} "
        f"updates/s; answered {run.answered:,}/{work.updates:,}, presses answered "
        f"{run.presses_answered:,}/{presses:,}"
    )
    if run.stored is not None:
        line += f"; wins stored {run.stored:,}/{work.wins_stored:,}"
    print(line)
    print(
        f"              CPU: bot process {run.run_cpu:.1f} s while tapping "
        f"({run.cpu_per_update:.1f} ms an update; {run.bot_cpu:.1f} s in its "
        f"whole life), emulator and people {run.emulator_cpu:.1f} s"
    )
    api = {m: c for m, c in run.calls.items() if m[0].islower() and m not in {"sent", "dropped"}}
    listed = ", ".join(f"{m} {c}" for m, c in sorted(api.items(), key=lambda mc: -mc[1]))
    print(f"              Bot API calls: {sum(api.values()):,} ({listed})")


def print_profile(path: str, top: int = 30) -> None:
    print(f"\n   Kindling's busiest functions (cProfile, {path}):")
    stats = pstats.Stats(path, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)


async def run(args: argparse.Namespace) -> bool:
    works = [workload(name, args.people, args.updates) for name in args.workload]
    backends = chosen(args.backend)
    print(f"Kindling throughput benchmark: {machine()}; load average {load_average()}")
    print(
        "   emulator flood_limits=False, Kindling's settings at their defaults, "
        f"Kindling's clock x{args.speed:g}; workloads: "
        + "; ".join(work.describe() for work in works)
    )
    rounds: dict[str, list[Round]] = {work.name: [] for work in works}
    with (
        tempfile.TemporaryDirectory(prefix="kindling-throughput-") as tmp,
        Databases(Path(tmp), backends) as databases,
    ):
        print(f"   {databases.describe()}")
        for round_no in range(1, args.rounds + 1):
            # Back to back in each round, so all meet the same load on the machine; each on a
            # fresh emulator and a fresh database, so none pays for another's history. The two
            # backends swap places every round, so neither always runs second.
            order = backends if round_no % 2 else backends[::-1]
            for work in works:
                print(f"   round {round_no} of {args.rounds}, {work.name}")
                async with AnswerWatch(flood_limits=False) as emulator:
                    echo = await measure(emulator, None, work, args.speed)
                show(echo, work)
                kindling: dict[Backend, Run] = {}
                for backend in order:
                    name = f"throughput_{work.name}_{round_no}_{backend}"
                    target = databases.fresh(backend, name)
                    first = round_no == 1 and backend is order[0] and work is works[0]
                    profile = args.profile if first else None
                    async with AnswerWatch(flood_limits=False) as emulator:
                        kindling[backend] = await measure(
                            emulator, target, work, args.speed, profile
                        )
                    show(kindling[backend], work)
                rounds[work.name].append(Round(echo, kindling))
                print(f"   round {round_no}, {work.name}: {rounds[work.name][-1].summary()}")
    met = True
    for work in works:
        print(f"\n   {work.describe()}")
        met = report(rounds[work.name], work) and met
    if len(works) > 1:
        side_by_side(works, rounds)
    if args.profile and args.profile.endswith(".prof"):
        print_profile(args.profile)
    elif args.profile:
        print(
            f"   Kindling's profile (round 1, {works[0].name}, {NAMES[backends[0]]}): "
            f"{args.profile}"
        )
    print(f"   load average {load_average()} at the end")
    return met


def _workloads(value: str) -> list[str]:
    names = list(WORKLOADS) if value == "all" else [n.strip() for n in value.split(",")]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"not a workload: {', '.join(unknown) or value}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench throughput", description=__doc__)
    parser.add_argument(
        "--workload",
        type=_workloads,
        default=["help", "mixed"],
        help="comma-separated, of wins, help, mixed (default help,mixed; all: the three)",
    )
    parser.add_argument(
        "--people", type=int, default=None, help="people (default: each workload's own)"
    )
    parser.add_argument("--updates", type=int, default=2000, help="about this many a workload")
    parser.add_argument("--speed", type=float, default=60.0, help="Kindling's clock speed-up")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="echo then Kindling (on each backend), this many times; the verdict is on the "
        "median ratios",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="profile Kindling into FILE: .prof with cProfile, .txt or .html with pyinstrument",
    )
    add_backend_option(parser)
    parser.add_argument("--serve-kindling", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--without-inbox", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_kindling:
        serve_kindling(args.speed, args.profile, durable=not args.without_inbox)
        return 0
    return 0 if asyncio.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The throughput benchmark's figures side by side: each round's, then the medians, and the
verdicts (Kindling over the echo bot on each backend; PostgreSQL over SQLite)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.backends import NAMES
from bot.rate_limits import CHAT_BURST, CHAT_RATE_PER_SECOND
from storage.target import Backend

if TYPE_CHECKING:
    from bench.throughput import Run, Workload

ORDER = (Backend.SQLITE, Backend.POSTGRES)  # the columns, left to right
TARGET_RATIO = 0.8  # Kindling / echo, on each backend
TARGET_POSTGRES = 0.9  # PostgreSQL / SQLite, measured in the same run


def chat_cap_note(work: Workload) -> str:
    """Replies pass only their chat's limiter (bot/rate_limits.py: a burst, then about one a
    second, on the wall clock, not Kindling's faster one). These people tap as fast as the bot
    answers, so past the burst that limiter, not the bot, can set Kindling's pace; say how far."""
    people, answers = work.people, work.answers_each  # a new message or an edit an update
    beyond = answers - CHAT_BURST
    if beyond <= 0:
        return (
            f"each person gets {answers} answers, within their chat's burst of {CHAT_BURST}: "
            "the per-chat limiter does not hold Kindling back here"
        )
    fastest = people * answers / (beyond / CHAT_RATE_PER_SECOND)
    return (
        f"each person gets {answers} answers, {beyond} past their chat's burst of {CHAT_BURST}, "
        f"then {CHAT_RATE_PER_SECOND:g} a second (bot/rate_limits.py, on both backends alike; "
        f"the echo bot has no limiter): Kindling cannot pass about {fastest:.0f} updates/s "
        "here, and CPU an update is the figure that limit hides. Fewer updates a person (e.g. "
        "--people 250) stay within the burst"
    )


@dataclass(slots=True)
class Round:
    echo: Run
    kindling: dict[Backend, Run]

    @property
    def backends(self) -> list[Backend]:
        return [backend for backend in ORDER if backend in self.kindling]

    def over_echo(self, backend: Backend) -> float:
        return self.kindling[backend].rate / self.echo.rate

    def postgres_over_sqlite(self) -> float | None:
        if not {Backend.SQLITE, Backend.POSTGRES} <= set(self.kindling):
            return None
        return self.kindling[Backend.POSTGRES].rate / self.kindling[Backend.SQLITE].rate

    def summary(self) -> str:
        parts = [f"echo {self.echo.rate:.1f} updates/s"]
        for backend in self.backends:
            parts.append(
                f"{NAMES[backend]} {self.kindling[backend].rate:.1f} "
                f"(Kindling / echo {self.over_echo(backend):.2f})"
            )
        ratio = self.postgres_over_sqlite()
        if ratio is not None:
            parts.append(f"PostgreSQL / SQLite {ratio:.2f}")
        return "; ".join(parts)

    def complete(self, work: Workload) -> bool:
        runs = [self.echo, *self.kindling.values()]
        return all(run.answered == work.updates for run in runs) and all(
            run.stored == work.wins_stored for run in self.kindling.values()
        )


def report(rounds: list[Round], work: Workload) -> bool:
    """Print the table and the verdicts; True when every target is met and nothing is missing."""
    backends = rounds[0].backends
    header = ["round", "echo/s"]
    for backend in backends:
        header += [f"{NAMES[backend]}/s", "K/echo"]
    header += ["PG/SQLite"] if len(backends) == 2 else []
    header += ["CPU ms/update: " + " / ".join(["echo", *(NAMES[b] for b in backends)])]
    print("\n   " + "  ".join(f"{h:>12}" for h in header))
    for n, each in enumerate(rounds, 1):
        print("   " + "  ".join(f"{cell:>12}" for cell in _cells(str(n), [each], backends)))
    print("   " + "  ".join(f"{cell:>12}" for cell in _cells("median", rounds, backends)))

    complete = all(each.complete(work) for each in rounds)
    met = complete
    print(f"   every update answered and every win stored, in every round: {complete}")
    for backend in backends:
        ratio = statistics.median(each.over_echo(backend) for each in rounds)
        ok = ratio >= TARGET_RATIO
        met = met and ok
        print(
            f"   Kindling / echo on {NAMES[backend]}, median of {len(rounds)} rounds: {ratio:.2f} "
            f"(target >= {TARGET_RATIO}): {'ok' if ok else 'BELOW TARGET'}"
        )
    if len(backends) == 2:
        ratios = [r for r in (each.postgres_over_sqlite() for each in rounds) if r is not None]
        ratio = statistics.median(ratios)
        ok = ratio >= TARGET_POSTGRES
        met = met and ok
        cpu = statistics.median(
            each.kindling[Backend.POSTGRES].cpu_per_update
            / each.kindling[Backend.SQLITE].cpu_per_update
            for each in rounds
        )
        print(
            f"   PostgreSQL / SQLite, updates/s, median of {len(rounds)} rounds: {ratio:.2f} "
            f"(target >= {TARGET_POSTGRES}): {'ok' if ok else 'BELOW TARGET'}; CPU an update "
            f"PostgreSQL / SQLite {cpu:.2f}"
        )
    print(f"   Note: {chat_cap_note(work)}.")
    return met


def side_by_side(works: list[Workload], rounds: dict[str, list[Round]]) -> None:
    """One line a workload: the medians of the rounds, Kindling / echo on each backend."""
    backends = rounds[works[0].name][0].backends
    header = ["workload", "echo/s", *(f"{NAMES[b]} K/echo" for b in backends)]
    print("\n   " + "  ".join(f"{h:>16}" for h in header))
    for work in works:
        each = rounds[work.name]
        cells = [work.name, f"{statistics.median(r.echo.rate for r in each):.1f}"]
        for backend in backends:
            rate = statistics.median(r.kindling[backend].rate for r in each)
            ratio = statistics.median(r.over_echo(backend) for r in each)
            cells.append(f"{rate:.1f} ({ratio:.2f})")
        print("   " + "  ".join(f"{cell:>16}" for cell in cells))
    print(
        f"   (updates/s, medians of {len(rounds[works[0].name])} rounds; target >= {TARGET_RATIO})"
    )


def _cells(label: str, rounds: list[Round], backends: list[Backend]) -> list[str]:
    """One row: for one round, its figures; for several, the median of each column."""

    def median(values: list[float]) -> float:
        return statistics.median(values)

    cells = [label, f"{median([r.echo.rate for r in rounds]):.1f}"]
    for backend in backends:
        cells.append(f"{median([r.kindling[backend].rate for r in rounds]):.1f}")
        cells.append(f"{median([r.over_echo(backend) for r in rounds]):.2f}")
    if len(backends) == 2:
        cells.append(f"{median([r.postgres_over_sqlite() or 0.0 for r in rounds]):.2f}")
    cpu = [median([r.echo.cpu_per_update for r in rounds])]
    cpu += [median([r.kindling[b].cpu_per_update for r in rounds]) for b in backends]
    cells.append(" / ".join(f"{c:.1f}" for c in cpu))
    return cells

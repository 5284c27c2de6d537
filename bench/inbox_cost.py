"""What the durable inbox costs: Kindling's update throughput with it, over the same build
without it (target >= 0.9).

``python -m bench inbox`` (``--backend sqlite|postgres|both``, SQLite by default) runs
bench/throughput.py's workload (people tapping through /win, each waiting for the answer before
the next update) against Kindling twice per round, back to back on fresh databases and fresh
emulators: as ``./scripts/run`` runs it (the inbox: every fetched batch committed before it is
handed out, every update settled with its chat's state), and built with
``build_application(durable=False)`` (conversation state on python-telegram-bot's timer, as
before the inbox). The order swaps every round; the verdict is on the median of the rounds'
ratios, since this shared machine's speed drifts within minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.answers import AnswerWatch
from bench.backends import Databases, add_backend_option, chosen
from bench.throughput import load_average, machine, measure, show, workload

TARGET = 0.9


async def run(args: argparse.Namespace) -> bool:
    work = workload("wins", args.people, args.updates)
    backends = chosen(args.backend)
    print(f"Kindling inbox cost benchmark: {machine()}; load average {load_average()}")
    print(f"   {work.describe()}, emulator flood off")
    met = True
    with (
        tempfile.TemporaryDirectory(prefix="kindling-inbox-") as tmp,
        Databases(Path(tmp), backends) as databases,
    ):
        for backend in backends:
            ratios: list[float] = []
            for round_no in range(1, args.rounds + 1):
                order = (True, False) if round_no % 2 else (False, True)
                rates: dict[bool, float] = {}
                for durable in order:
                    target = databases.fresh(backend, f"inbox_{round_no}_{int(durable)}")
                    async with AnswerWatch(flood_limits=False) as emulator:
                        result = await measure(emulator, target, work, args.speed, durable=durable)
                    print(
                        f"   {backend} round {round_no}, {'with' if durable else 'without'} inbox:"
                    )
                    show(result, work)
                    rates[durable] = result.rate
                ratios.append(rates[True] / rates[False])
                print(f"   {backend} round {round_no}: with / without = {ratios[-1]:.2f}")
            median = statistics.median(ratios)
            ok = median >= TARGET
            met = met and ok
            print(
                f"   {backend}: median with / without inbox {median:.2f} over {len(ratios)} "
                f"rounds ({', '.join(f'{r:.2f}' for r in ratios)}); target >= {TARGET}: "
                f"{'met' if ok else 'NOT met'}"
            )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench inbox", description=__doc__)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--speed", type=float, default=60.0, help="Kindling's clock speed-up")
    parser.add_argument("--rounds", type=int, default=3)
    add_backend_option(parser, default="sqlite")
    return 0 if asyncio.run(run(parser.parse_args(argv))) else 1


if __name__ == "__main__":
    sys.exit(main())

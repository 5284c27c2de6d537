"""``python -m bench throughput|fanout|latency|scale|recap|inbox|all [options]``: Kindling's
benchmarks.

Each prints what it measured, on which machine and when, with its target; ``--help`` after a
name lists that benchmark's options (for a quick run: ``fanout --people 1000``, ``latency
--people 2000 --answering 200``, ``recap --people 200``, ``scale --people 20000``, ``throughput
--updates 400``; throughput, fanout, latency and scale take ``--backend sqlite|postgres|both``,
both by default). ``all`` runs them all with their full defaults, one after the other (about an
hour on both backends, most of it the four 10,000-person fan-outs of ``fanout`` and
``latency``, which the 25 scheduled messages a second make last 6.7 minutes each). Figures
measured so far are in ``bench/RESULTS.md``. The scheduler's and the weekly picture's own
benchmarks are ``python -m bench.scheduler_bench`` and ``python -m bench.render_bench`` (see
bench/README.md).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from bench import fanout, inbox_cost, latency, recap_bench, state_scale, throughput

BENCHMARKS: dict[str, Callable[[Sequence[str] | None], int]] = {
    "throughput": throughput.main,
    "fanout": fanout.main,
    "latency": latency.main,
    "scale": state_scale.main,
    "recap": recap_bench.main,
    "inbox": inbox_cost.main,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in (*BENCHMARKS, "all"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    name, rest = args[0], args[1:]
    if name != "all":
        return BENCHMARKS[name](rest)
    failed = [each for each, run in BENCHMARKS.items() if run([]) != 0]
    if failed:
        print(f"\nbelow target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

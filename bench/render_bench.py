"""How long the weekly picture takes to draw: ``python -m bench.render_bench``.

Renders the chart of a full, busy week (every day with wins, reflections, hard moments, moments
with people and ratings) a couple of hundred times and prints the median and 95th percentile
against the 20 ms target. Exits with status 1 when the median misses the target, so it can
guard a change in CI if wanted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.library import load_library
from bot.recap.chart import chart_caption, render_week_chart
from bot.recap.phrases import recap_phrases
from bot.recap.story import WeekFacts, week_facts
from storage.models import Entry, EntryKind, RoutineAnswer, RoutineCheck

TARGET_MS = 20.0
DEFAULT_RUNS = 200
WARM_UP_RUNS = 5
MONDAY = date(2026, 11, 23)
ZONE = ZoneInfo("Europe/Berlin")

_WEEK_PATTERN: list[tuple[EntryKind, list[str], int | None]] = [
    (EntryKind.WIN, ["listened"], 4),
    (EntryKind.WIN, ["paused"], 3),
    (EntryKind.REFLECTION, [], None),
    (EntryKind.SOCIAL, ["heard:yes", "interest:yes", "steady:partly", "connected"], 5),
    (EntryKind.SOCIAL, ["heard:no", "interest:partly", "steady:no", "out_of_sync"], 2),
    (EntryKind.SETBACK, ["frustrated"], None),
]


def full_week() -> WeekFacts:
    """A week with something on every day, a different mix each day."""
    library = load_library()
    entries: list[Entry] = []
    routines: list[RoutineCheck] = []
    for day in range(7):
        local_day = MONDAY + timedelta(days=day)
        for n in range(day % 4 + 2):
            kind, tags, rating = _WEEK_PATTERN[(day + n) % len(_WEEK_PATTERN)]
            local = datetime(local_day.year, local_day.month, local_day.day, 8 + n, tzinfo=ZONE)
            entries.append(
                Entry(
                    id=len(entries) + 1,
                    chat_id=1,
                    kind=kind,
                    created_at=local.astimezone(UTC),
                    text=None,
                    tags=tags,
                    rating=rating,
                    prompt_id=None,
                    extra={},
                )
            )
        answer = RoutineAnswer.OKAY if day % 2 else RoutineAnswer.NOT_GREAT
        routines.append(RoutineCheck(1, local_day, datetime.now(UTC), answer, answer, answer))
    return week_facts(entries, routines, ZONE, MONDAY, library)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    args = parser.parse_args(argv)
    facts = full_week()
    phrases = recap_phrases()
    for _ in range(WARM_UP_RUNS):  # fonts load and caches fill once per process
        render_week_chart(facts, phrases, locale="en")
    timings: list[float] = []
    size = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        png = render_week_chart(facts, phrases, locale="en")
        chart_caption(facts, phrases, locale="en")
        timings.append((time.perf_counter() - start) * 1000)
        size = len(png)
    median = statistics.median(timings)
    p95 = percentile(timings, 0.95)
    verdict = "met" if median < TARGET_MS else "NOT met"
    print(f"weekly picture: {args.runs} renders of a full week, 1080x1080 PNG ({size // 1024} KiB)")
    print(f"median {median:.2f} ms, p95 {p95:.2f} ms")
    print(f"target: median under {TARGET_MS:.0f} ms ({verdict})")
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())

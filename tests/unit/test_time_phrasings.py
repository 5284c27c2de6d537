"""parse_local_time on tables of phrasings: one it was built against, and one held out.

The first held-out table was written (and committed) before the word grammar existed, the second
after it was finished but before it was ever run; neither is used to tune it, so their figures are
the honest ones (printed with ``-s``). Misses there are left as they are, not fixed one by one.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from scheduler.timecalc import parse_local_time

TABLES = Path(__file__).parent / "time_phrasings"
# The held-out table measures the grammar; this is the share it must keep getting right.
HELD_OUT_FLOOR = 0.9


def table(name: str) -> list[tuple[str, time | None]]:
    rows: list[tuple[str, time | None]] = []
    for line in (TABLES / name).read_text("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        text, expected = line.split("\t")
        rows.append((text, None if expected == "none" else time.fromisoformat(expected)))
    return rows


def score(rows: list[tuple[str, time | None]]) -> tuple[int, list[str]]:
    wrong = [
        f"{text!r}: {parse_local_time(text)} != {want}"
        for text, want in rows
        if parse_local_time(text) != want
    ]
    return len(rows) - len(wrong), wrong


@pytest.mark.parametrize(("text", "expected"), table("development.tsv"))
def test_development_phrasings(text: str, expected: time | None) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("name", ["held_out.tsv", "held_out_second.tsv"])
def test_held_out_phrasings(name: str) -> None:
    rows = table(name)
    right, wrong = score(rows)
    print(f"\n{name}: {right}/{len(rows)} right; wrong: {wrong}")
    assert right / len(rows) >= HELD_OUT_FLOOR, wrong

"""The crisis detector over its phrase sets: tuned on the development set, judged on held-out.

The development sets (``safety_sets/dev_*.toml``, and the CRISIS and ORDINARY lists in
test_crisis.py) must meet the safety net's targets. The held-out sets were written blind and
are never tuned on: their figures are printed for docs/safety.md as they come out, and the
floors asserted here only catch a change that makes them worse than the figures reported there
(they are not the targets, which held-out phrasings do not meet yet).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety import CrisisDetector, Level, load_crisis_detector
from tests.unit.crisis_sets import SETS, measure

# The targets, met on the development set.
RECALL_TARGET = 0.98
HELP_LINES_CEILING = 0.05
QUESTION_CEILING = 0.15
# Held-out: the figures reported in docs/safety.md, less a margin for small wording changes
# (each batch: lowest 90.7% caught, highest 5.0% given help lines; all together: 96.6% caught,
# 2.3% given help lines, 12.4% asked).
HELD_OUT_RECALL_FLOOR = 0.88
HELD_OUT_HELP_LINES_CEILING = 0.08
HELD_OUT_POOLED_RECALL_FLOOR = 0.95


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_crisis_detector()


def test_the_sets_are_there_and_big_enough() -> None:
    assert len(list(SETS.glob("dev_*.toml"))) >= 1
    assert len(list(SETS.glob("heldout_*.toml"))) >= 2


def test_the_development_sets_meet_the_targets(detector: CrisisDetector) -> None:
    """Pooled over every development set: a few bare fragments ("tonight") are only read as
    danger after an alarm (see test_a_short_reply_after_an_alarm_is_read_as_the_answer)."""
    caught = total = help_lines = asked = ordinary = 0
    for path in sorted(SETS.glob("dev_*.toml")):
        figures = measure(detector, path)
        print("\n" + figures.summary())
        if figures.crisis_total:  # the everyday set has no crisis phrasings
            assert figures.crisis_caught / figures.crisis_total >= 0.95, figures.missed
        assert figures.distress_alarmed == 0
        caught, total = caught + figures.crisis_caught, total + figures.crisis_total
        help_lines += figures.ordinary_help
        asked += figures.ordinary_question
        ordinary += figures.ordinary_total
    assert total >= 400 and ordinary >= 300
    assert caught / total >= RECALL_TARGET
    assert help_lines / ordinary <= HELP_LINES_CEILING
    assert asked / ordinary <= QUESTION_CEILING


def test_a_short_reply_after_an_alarm_is_read_as_the_answer(detector: CrisisDetector) -> None:
    rules = load_crisis_detector(with_model=False)
    for reply in ("tonight", "in like an hour", "before my parents get home tonight"):
        assert rules.assess(reply).level is Level.NONE  # on its own, a time is not a crisis
        assert detector.assess(reply, after_alarm=True).level is Level.CRISIS
    for reply in ("ok thanks", "yes", "I'm safe now, thank you", "my sister is here with me"):
        assert rules.assess(reply, after_alarm=True).level < Level.CHECK


@pytest.mark.parametrize("path", sorted(SETS.glob("heldout_*.toml")), ids=lambda p: p.stem)
def test_held_out_figures_are_reported_and_do_not_fall(
    detector: CrisisDetector, path: Path
) -> None:
    figures = measure(detector, path)
    print("\n" + figures.summary())
    assert figures.crisis_total >= 100 and figures.ordinary_total >= 90
    assert figures.crisis_caught / figures.crisis_total >= HELD_OUT_RECALL_FLOOR
    assert figures.ordinary_help / figures.ordinary_total <= HELD_OUT_HELP_LINES_CEILING


def test_all_held_out_sets_together_do_not_fall(detector: CrisisDetector) -> None:
    """Pooled, the false-alarm targets are met on held-out phrasings and must stay met; recall
    must not fall below what docs/safety.md reports, less a margin (the target is 98%)."""
    caught = total = help_lines = asked = ordinary = 0
    for path in sorted(SETS.glob("heldout_*.toml")):
        figures = measure(detector, path)
        caught, total = caught + figures.crisis_caught, total + figures.crisis_total
        help_lines += figures.ordinary_help
        asked += figures.ordinary_question
        ordinary += figures.ordinary_total
    print(
        f"\nall held-out: caught {caught}/{total} ({caught / total:.1%}); ordinary given help"
        f" lines {help_lines}/{ordinary} ({help_lines / ordinary:.1%}),"
        f" asked {asked}/{ordinary} ({asked / ordinary:.1%})"
    )
    assert caught / total >= HELD_OUT_POOLED_RECALL_FLOOR
    assert help_lines / ordinary <= HELP_LINES_CEILING
    assert asked / ordinary <= QUESTION_CEILING

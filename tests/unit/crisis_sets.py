"""The crisis detector's phrase sets and the figures reported for them in docs/safety.md.

``safety_sets/dev*.toml`` is the development set: tune on it freely. ``safety_sets/heldout_*.toml``
were written blind (see each file's header) and are never tuned on: a change to the phrase file
is judged on them only after it is made, and their figures are reported as they come out.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.safety import CrisisDetector, Level

SETS = Path(__file__).resolve().parent / "safety_sets"


@dataclass
class Figures:
    """How one phrase set fared: counts by signal or category, and what went wrong."""

    name: str
    crisis_total: int = 0
    crisis_caught: int = 0  # crisis answer or the direct question
    crisis_answered: int = 0  # the crisis answer itself
    ordinary_total: int = 0
    ordinary_help: int = 0  # help lines shown: the crisis answer
    ordinary_question: int = 0  # the direct question
    distress_total: int = 0
    distress_warm: int = 0  # at least met with warmth
    distress_alarmed: int = 0  # given help lines
    by_signal: dict[str, tuple[int, int]] = field(default_factory=dict)
    by_category: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def rate(self, part: int, whole: int) -> str:
        return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"

    def summary(self) -> str:
        lines = [
            f"{self.name}: crisis caught {self.rate(self.crisis_caught, self.crisis_total)}"
            f" (crisis answer {self.rate(self.crisis_answered, self.crisis_total)});"
            f" ordinary given help lines {self.rate(self.ordinary_help, self.ordinary_total)},"
            f" asked {self.rate(self.ordinary_question, self.ordinary_total)};"
            f" distress met with warmth {self.rate(self.distress_warm, self.distress_total)},"
            f" given help lines {self.rate(self.distress_alarmed, self.distress_total)}"
        ]
        for signal, (caught, total) in sorted(self.by_signal.items()):
            lines.append(f"  crisis/{signal}: {self.rate(caught, total)}")
        for category, (help_lines, asked, total) in sorted(self.by_category.items()):
            lines.append(
                f"  ordinary/{category}: help lines {self.rate(help_lines, total)},"
                f" asked {self.rate(asked, total)}"
            )
        return "\n".join(lines)


def load_set(path: Path) -> dict[str, dict[str, list[str]]]:
    doc = tomllib.loads(path.read_text("utf-8"))
    return {part: doc.get(part, {}) for part in ("crisis", "ordinary", "distress")}


def measure(detector: CrisisDetector, path: Path) -> Figures:
    data = load_set(path)
    figures = Figures(path.stem)
    for signal, texts in data["crisis"].items():
        caught = 0
        for text in texts:
            level = detector.assess(text).level
            figures.crisis_total += 1
            if level >= Level.CHECK:
                caught += 1
                figures.crisis_caught += 1
                figures.crisis_answered += level == Level.CRISIS
            else:
                figures.missed.append(f"[{signal}] {text}")
        figures.by_signal[signal] = (caught, len(texts))
    for category, texts in data["ordinary"].items():
        help_lines = asked = 0
        for text in texts:
            level = detector.assess(text).level
            figures.ordinary_total += 1
            if level == Level.CRISIS:
                help_lines += 1
                figures.false_alarms.append(f"[{category}: crisis] {text}")
            elif level == Level.CHECK:
                asked += 1
                figures.false_alarms.append(f"[{category}: check] {text}")
        figures.ordinary_help += help_lines
        figures.ordinary_question += asked
        figures.by_category[category] = (help_lines, asked, len(texts))
    for text in data["distress"].get("texts", []):
        level = detector.assess(text).level
        figures.distress_total += 1
        figures.distress_warm += level >= Level.DISTRESS
        figures.distress_alarmed += level == Level.CRISIS
    return figures

"""The crisis detector: every way of saying it we know of is caught; ordinary heavy words mostly
are not.

Recall must be complete: each phrasing in CRISIS is caught. Precision is measured, not demanded:
the false-alarm rate over ORDINARY is printed and kept under a ceiling, because a false alarm
costs a kind message with a helpline, while a miss could cost far more.

Both lists grew in rounds: phrasings written before the patterns were, then batches written
without looking at the patterns. The later crisis batches were each missed in part at first
(about half, then a third), so the list is a floor, not proof of coverage: when a real message
is missed, add it here and a pattern to crisis_phrases.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.safety import CrisisDetector, CrisisPhrasesError, Level, load_crisis_detector, normalise
from bot.safety.crisis import PHRASES_FILE
from tests.unit.crisis_sets import SETS

# The first development lists (direct and indirect, with typos, missing or curly apostrophes,
# capitals, extra words; and ordinary sentences with heavy words, the classic idioms first).
_LISTS = tomllib.loads((SETS / "dev_0.toml").read_text("utf-8"))
CRISIS: list[str] = _LISTS["crisis"]["lists"]
ORDINARY: list[str] = _LISTS["ordinary"]["lists"]

MAX_FALSE_ALARM_RATE = 0.15


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return load_crisis_detector()


def test_the_lists_are_big_enough() -> None:
    assert len(CRISIS) >= 60
    assert len(ORDINARY) >= 60
    assert not set(CRISIS) & set(ORDINARY)


@pytest.mark.parametrize("text", CRISIS)
def test_every_crisis_phrasing_is_caught(detector: CrisisDetector, text: str) -> None:
    assert detector.check(text) is not None, f"missed: {text!r} -> {detector.prepare(text)!r}"


def test_false_alarm_rate_on_ordinary_sentences(detector: CrisisDetector) -> None:
    flagged = [text for text in ORDINARY if detector.matches(text)]
    rate = len(flagged) / len(ORDINARY)
    print(f"\ncrisis false alarms: {len(flagged)}/{len(ORDINARY)} = {rate:.0%}")
    for text in flagged:
        print(f"  flagged: {text}")
    assert rate < MAX_FALSE_ALARM_RATE


def test_clearly_ordinary_sentences_are_never_flagged(detector: CrisisDetector) -> None:
    """The classic idioms a person could say after a good day must never get a crisis reply."""
    for text in ORDINARY[:20]:
        assert not detector.matches(text), text


def test_normalising_handles_apostrophes_contractions_and_punctuation() -> None:
    for text in ("I can't", "i cant", "I can’t", "I CANNOT", "i can‘t!!!", "I can`t"):
        assert normalise(text) == ["i", "can", "not"], text
    assert normalise("I'm... fine; really?") == ["i", "am", "fine", "really"]
    assert normalise("don’t  WANNA") == ["do", "not", "want", "to"]
    assert normalise("she'll they've we’re he'd") == [
        "she", "will", "they", "have", "we", "are", "he", "would"
    ]  # fmt: skip
    assert normalise("🙂 ok 🙂") == ["ok"]
    assert normalise("") == []


def test_a_match_names_the_rule_never_the_text(detector: CrisisDetector) -> None:
    assessment = detector.assess("everyone would be better off without me")
    assert assessment.level is Level.CRISIS
    assert assessment.signals == {"ideation"}
    assert "everyone would" not in repr(assessment)


def test_empty_and_odd_input_is_not_a_crisis(detector: CrisisDetector) -> None:
    for text in ("", "   ", "!!!", "🙂", "12:30", "a" * 4000):
        assert detector.check(text) is None


def test_a_line_at_the_end_of_a_long_message_is_still_heard(detector: CrisisDetector) -> None:
    # A full-length Telegram message of ordinary words, then one line at the very end. (How
    # long the check takes is for a benchmark, not a timed test that flakes on a busy machine.)
    filler = " ".join(f"word{i} and some ordinary text about my day" for i in range(400))
    assert not detector.matches(filler[:3900])
    assert detector.matches(filler[:3900] + " I can't do this anymore")


def test_every_example_in_the_file_is_caught(detector: CrisisDetector) -> None:
    doc = tomllib.loads(PHRASES_FILE.read_text("utf-8"))
    levels = {"crisis": Level.CRISIS, "check": Level.CHECK, "distress": Level.DISTRESS}
    examples = [
        (e, levels[p["level"]], p.get("after_alarm", False))
        for p in doc["signal"]
        for e in p["examples"]
    ]
    assert len(examples) >= 40
    assert all(detector.assess(e, after_alarm=a).level >= level for e, level, a in examples)
    idioms = [e for p in doc["idiom"] for e in p["examples"]]
    assert idioms and not any(detector.matches(e) for e in idioms)


RULE = 'id = "x"\nsignal = "ideation"\nlevel = "crisis"\n'


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        (f'[[signal]]\n{RULE}match = ["{{nope}} die"]\nexamples = ["x"]', "nope"),
        (
            '[[signal]]\nid = "x"\nsignal = "sad"\nlevel = "crisis"\n'
            'match = ["die"]\nexamples = ["die"]',
            "signal",
        ),
        (
            '[[signal]]\nid = "x"\nsignal = "ideation"\nlevel = "loud"\n'
            'match = ["die"]\nexamples = ["die"]',
            "level",
        ),
        (f'[[signal]]\n{RULE}match = ["(die"]\nexamples = ["die"]', "("),
        (f'[[signal]]\n{RULE}match = ["Can\'t"]\nexamples = ["x"]', "plain"),
        (f'[[signal]]\n{RULE}match = ["... die"]\nexamples = ["die"]', "..."),
        (f'[[signal]]\n{RULE}match = ["zebra"]\nexamples = ["a cat"]', "cat"),
        (
            f'[words]\na = ["{{a}}"]\n[[signal]]\n{RULE}match = ["{{a}}"]\nexamples = ["x"]',
            "itself",
        ),
        (
            f'[[signal]]\n{RULE}match = ["zebra"]\nexamples = ["zebra"]\n'
            '[[idiom]]\nid = "y"\nmatch = ["zebra crossing"]\nexamples = ["a zebra"]',
            "zebra",
        ),
        ("[[signal]]\nid = 3", "id"),
        ('[[pattern]]\nid = "x"', "unknown sections"),
        ("not toml [", "crisis"),
    ],
)
def test_a_broken_phrase_file_is_refused_with_a_clear_message(
    tmp_path: Path, broken: str, problem: str
) -> None:
    path = tmp_path / "crisis.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CrisisPhrasesError) as caught:
        load_crisis_detector(path)
    assert problem in str(caught.value)

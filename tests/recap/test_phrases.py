"""recap.toml: the shipped words load; a broken edit is refused with the text it broke named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content.library import ContentError, load_library
from bot.recap.phrases import CONTENT_DIR, RECAP_FILE, load_recap_phrases, recap_phrases


def test_shipped_phrases_load_and_cover_every_win_kind() -> None:
    phrases = recap_phrases()
    for kind in load_library().win_kinds:
        assert phrases(f"win_did.{kind.id}")
    assert phrases.count(1, "day") == "one day"
    assert phrases.count(4, "day") == "four days"
    assert phrases.count(40, "moment") == "40 moments"
    assert [phrases.times(n) for n in (1, 2, 3)] == ["once", "twice", "three times"]
    assert phrases.join(["a", "b", "c"]) == "a, b and c"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copy(CONTENT_DIR / RECAP_FILE, tmp_path / RECAP_FILE)
    return tmp_path


def edit(directory: Path, old: str, new: str) -> None:
    path = directory / RECAP_FILE
    text = path.read_text("utf-8")
    assert old in text, f"test setup: {old!r} not in {RECAP_FILE}"
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize(
    ("old", "new", "item", "problem"),
    [
        (
            'showed_up = "You came here on {days} this week."',
            'showed_up = "You came here on {day} this week."',
            "recap.showed_up",
            "{days}",
        ),
        (
            "quiet = \"This was a quiet week here, and that's okay.",
            'quiet = "This was a quiet week, you missed a few days.',
            "recap.quiet",
            "banned",
        ),
        ('title = "Your week"', 'title = "<b>Your week</b>"', "chart.title", "plain text"),
        (
            'title = "<b>Your week</b>, {first} to {last}"',
            'title = "<b>Your week, {first} to {last}"',
            "recap.title",
            "never closed",
        ),
        (
            'suggestion_heading = "<b>For next week</b>"',
            'suggestion_heading = "For next week!"',
            "recap.suggestion_heading",
            "exclamation",
        ),
        (
            'days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]',
            'days = ["Mon", "Tue"]',
            "chart.days",
            "7 items",
        ),
        ('and = "and"', 'andd = "and"', "recap.andd", "typo"),
        (
            'footer = "Made with',
            'footer = ""\nfooter_old = "Made with',
            "share.footer",
            "non-empty",
        ),
    ],
)
def test_broken_phrases_are_refused(
    copy: Path, old: str, new: str, item: str, problem: str
) -> None:
    edit(copy, old, new)
    with pytest.raises(ContentError) as caught:
        load_recap_phrases(copy)
    assert caught.value.file == RECAP_FILE
    assert caught.value.item == item or item in caught.value.problem
    assert problem in str(caught.value)


def test_a_missing_text_is_named(copy: Path) -> None:
    edit(
        copy,
        'routine_hint = "One week is a small window, so this is a hint rather than a rule."\n',
        "",
    )
    with pytest.raises(ContentError, match=r"missing: recap\.routine_hint"):
        load_recap_phrases(copy)

"""Kindling's voice across many messages: openings that vary, an invitation that stays fresh.

Read one at a time every line is gentle; read as a sitting, the same opening again and again
("If you'd like", "That's okay." twice in a row, three "Thank you for..." in a week) reads as a
form letter. These count openings over the content as shipped.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot import content
from bot.content.library import Library, load_library
from bot.content.ui import UiTexts, load_ui

CONTENT_DIR = Path(content.__file__).parent
# Words for the crisis detector to find, never shown to anyone.
NOT_SHOWN = {"crisis_phrases.toml"}
INVITATION = "if you'd like"
# "If you'd like" is a good invitation, and like any phrase it wears out: at most this many of
# the texts a person may read use it.
MAX_INVITATIONS = 6


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def ui() -> UiTexts:
    return load_ui()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def shown_texts() -> list[str]:
    """Every text in the content files a person may read."""
    return [
        text
        for path in sorted(CONTENT_DIR.glob("*.toml"))
        if path.name not in NOT_SHOWN
        for text in _strings(tomllib.loads(path.read_text("utf-8")))
    ]


def opening(text: str) -> str:
    """The first two words, as a reader meets them: no tags, case or trailing punctuation."""
    words = re.sub(r"<[^>]+>", "", text).split()[:2]
    return " ".join(words).lower().strip(".,!:;")


def test_if_youd_like_stays_one_invitation_among_several() -> None:
    using = [text for text in shown_texts() if INVITATION in text.lower()]
    assert len(using) <= MAX_INVITATIONS, using


def _pools(lib: Library) -> dict[str, Sequence[str]]:
    """Lines picked at random for the same moment: any two may come one after the other."""
    pools: dict[str, Sequence[str]] = {
        f"acknowledgements of {name}": theme.acknowledgements for name, theme in lib.themes.items()
    }
    pools |= {f"celebrations of {kind.id}": kind.celebrations for kind in lib.win_kinds}
    return pools


def test_lines_for_the_same_moment_each_open_differently(lib: Library) -> None:
    for name, lines in _pools(lib).items():
        openings = Counter(opening(line) for line in lines)
        assert max(openings.values()) == 1, (name, openings)


def test_no_opening_carries_a_kind_of_reply(lib: Library) -> None:
    """Across every theme (and every kind of win), no opening starts more than a third of the
    lines: a week of answers on different themes still reads as more than one sentence."""
    for which in ("acknowledgements", "celebrations"):
        pools = _pools(lib).items()
        lines = [line for name, pool in pools if name.startswith(which) for line in pool]
        openings = Counter(opening(line) for line in lines)
        most, count = openings.most_common(1)[0]
        assert count <= len(lines) // 3, (which, most, count, len(lines))


def test_a_reply_never_opens_like_the_message_just_before_it(lib: Library, ui: UiTexts) -> None:
    """Messages that come one right after the other start with different words."""
    after_stopping = [ui("pause.grounding_stopped"), ui("pause.breathing_stopped")]
    follow_ups = [answer.reply for answer in lib.check_in.answers]
    pairs = [(first, then) for first in after_stopping for then in follow_ups]
    for reframe in lib.reframes:
        parts = [reframe.noticing, reframe.common_humanity, reframe.kindness]
        pairs += list(zip(parts, [*parts[1:], ui("setback.ask_friend")], strict=True))
    for first, then in pairs:
        assert opening(first) != opening(then), (first, then)

"""Replies to a person's words never presume what those words said.

An answer to the daily prompt can be "Harsh" or "nobody cares" as easily as a happy one, so
its acknowledgement thanks the person and names the question, never the answer. The words sent
while a person is tender (after a crisis, handlers/tender.py) hold no cheer at all.
"""

from __future__ import annotations

import re

import pytest

from bot.content.library import Library, load_library
from bot.content.ui import UiTexts, load_ui

# Words and phrases that read the answer as good news, praise it, or claim what the person did
# or felt (the old "You spoke to yourself a little more softly just now. That counts." told a
# reply of "Harsh" that it went well). Matched as whole words, any case.
PRESUMING = (
    "went well",
    "go well",
    "goes well",
    "going well",
    "well done",
    "glad",
    "lovely",
    "great",
    "proud",
    "nice",
    "wonderful",
    "amazing",
    "progress",
    "win",
    "wins",
    "counts",
    "good",
    "better",
    "easier",
    "steadier",
    "softly",
    "kind thing",
    "honest",
    "honestly",
    "caught",
    "deserves",
    "you noticed",
    "you spoke",
    "you made",
    "you treated",
    "you named",
    "you put",
    "you paid",
    "you slowed",
    "you checked",
    "you looked",
    "you spent",
    "you set",
    "you listened",
    "you paused",
    "real connection",
)
_PATTERNS = tuple(
    (phrase, re.compile(r"\b" + re.escape(phrase).replace(r"\ ", r"\s+") + r"\b", re.IGNORECASE))
    for phrase in PRESUMING
)
# The words sent in place of celebrations while a person is tender.
TENDER_KEYS = (
    "win.saved_tender",
    "setback.saved_tender",
    "reflect.saved_tender",
    "prompt_answer.tender_acknowledgement",
)


def presuming(text: str) -> list[str]:
    """The presuming words and phrases found in ``text``."""
    flat = text.replace("\u2019", "'")
    return [phrase for phrase, pattern in _PATTERNS if pattern.search(flat)]


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def ui() -> UiTexts:
    return load_ui()


def test_the_check_catches_what_the_old_acknowledgements_said() -> None:
    # The lines that once answered a prompt: each would be caught now.
    for old in (
        "You spoke to yourself a little more softly just now. That counts.",
        "You noticed something that went well. Small wins are easy to overlook.",
        "You named a change in yourself. Progress often looks like this: quiet and real.",
        "It sounds like there was some real connection there.",
    ):
        assert presuming(old), old
    assert presuming("I\u2019m glad to hear it.") == ["glad"]
    assert presuming("Thank you for writing that down.") == []


def test_no_prompt_acknowledgement_presumes_the_answer(lib: Library, ui: UiTexts) -> None:
    lines = {
        f"themes.{theme.id} #{number}": line
        for theme in lib.themes.values()
        for number, line in enumerate(theme.acknowledgements, start=1)
    }
    lines["prompt_answer.plain_acknowledgement"] = ui("prompt_answer.plain_acknowledgement")
    assert len(lines) >= 3 * len(lib.themes)
    found = {f"{where}: {line}": presuming(line) for where, line in lines.items()}
    assert {where: words for where, words in found.items() if words} == {}


@pytest.mark.parametrize("key", TENDER_KEYS)
def test_tender_words_hold_no_cheer(ui: UiTexts, key: str) -> None:
    text = ui(key)
    assert presuming(text) == []
    assert "!" not in text
    assert "/journal" in text or key == "prompt_answer.tender_acknowledgement"


def test_tender_setback_close_still_offers_pause(ui: UiTexts) -> None:
    assert "/pause" in ui("setback.saved_tender")

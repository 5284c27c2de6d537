"""The words of the weekly look back, loaded from ``bot/content/recap.toml`` and checked.

The checks mirror the content library's (see ``bot/content/library.py``): a broken file stops the
bot at start-up with a message naming the file and the text, rather than sending someone a recap
with a hole in it. The loader refuses unknown or missing texts, texts whose ``{names}`` differ
from the shipped ones, markup Telegram would reject, markup in the plain-text sections, banned
phrases (clichés, guilt words, praise that judges), and exclamation marks.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content.library import (
    BANNED_PHRASES,
    REQUIRED_WIN_KINDS,
    ContentError,
    html_problem,
)
from storage.models import ROUTINE_PARTS

RECAP_FILE = "recap.toml"
CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

# Every text and the {names} it is filled with. A text missing here is unknown (a typo), a
# text missing from the file is an error, and a text with other {names} would fail at send time.
TEMPLATES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "numbers.once": frozenset(),
        "numbers.twice": frozenset(),
        "numbers.times": frozenset({"count"}),
        "recap.title": frozenset({"first", "last"}),
        "recap.quiet": frozenset(),
        "recap.quiet_kept": frozenset(),
        "recap.quiet_closing": frozenset(),
        "recap.showed_up": frozenset({"days"}),
        "recap.showed_up_one_day": frozenset({"day"}),
        "recap.wins_heading": frozenset(),
        "recap.win_line": frozenset({"label", "times"}),
        "recap.reflections": frozenset({"times"}),
        "recap.people_heading": frozenset(),
        "recap.balance_both": frozenset({"connected", "out_of_sync"}),
        "recap.balance_connected": frozenset({"moments"}),
        "recap.balance_out_of_sync": frozenset({"moments"}),
        "recap.connected_answers": frozenset({"answers"}),
        "recap.connected_wins": frozenset({"wins"}),
        "recap.routine_hint": frozenset(),
        "recap.setbacks_heading": frozenset(),
        "recap.setbacks": frozenset({"hard_moments"}),
        "recap.setbacks_one": frozenset(),
        "recap.feeling": frozenset({"feeling"}),
        "recap.setbacks_feeling": frozenset({"feeling"}),
        "recap.setbacks_feeling_named": frozenset({"feeling"}),
        "recap.setbacks_feelings_named": frozenset({"feelings"}),
        "recap.reframe_intro": frozenset(),
        "recap.crisis_heard": frozenset(),
        "recap.crisis_help": frozenset({"name", "contact", "emergency"}),
        "recap.suggestion_heading": frozenset(),
        "recap.and": frozenset(),
        **{f"win_did.{kind}": frozenset() for kind in REQUIRED_WIN_KINDS},
        **{f"connected_answer.{q}": frozenset() for q in ("heard", "interest", "steady")},
        **{
            f"routine_pattern.{part}_{answer}": frozenset()
            for part in ROUTINE_PARTS
            for answer in ("okay", "not_great")
        },
        "chart.title": frozenset(),
        "chart.dates": frozenset({"first", "last"}),
        "chart.wins": frozenset(),
        "chart.reflections": frozenset(),
        "chart.setbacks": frozenset(),
        "chart.connected": frozenset(),
        "chart.out_of_sync": frozenset(),
        "chart.rating": frozenset(),
        "caption.intro": frozenset({"first", "last", "parts"}),
        "caption.wins": frozenset(),
        "caption.reflections": frozenset(),
        "caption.setbacks": frozenset(),
        "caption.people": frozenset(),
        "caption.rating": frozenset(),
        "share.title": frozenset(),
        "share.intro": frozenset({"weeks", "first", "last"}),
        "share.week_heading": frozenset({"first", "last"}),
        "share.quiet": frozenset(),
        "share.days": frozenset({"count"}),
        "share.wins": frozenset({"count"}),
        "share.win_line": frozenset({"label", "count"}),
        "share.setbacks": frozenset({"count"}),
        "share.feelings": frozenset({"feelings"}),
        "share.reflections": frozenset({"count"}),
        "share.people": frozenset({"connected", "out_of_sync"}),
        "share.people_connected": frozenset({"connected"}),
        "share.people_out_of_sync": frozenset({"out_of_sync"}),
        "share.look_backs": frozenset(),
        "share.look_back_line": frozenset({"date", "answers"}),
        "share.reflect_answers": frozenset({"heard", "interest", "steady"}),
        "share.answer_yes": frozenset(),
        "share.answer_partly": frozenset(),
        "share.answer_no": frozenset(),
        "share.words_heading": frozenset(),
        "share.word_question": frozenset({"question"}),
        "share.word_line": frozenset({"date", "kind"}),
        "share.word_when": frozenset({"date", "time"}),
        "share.kind_win": frozenset(),
        "share.kind_setback": frozenset(),
        "share.kind_reflection": frozenset(),
        "share.kind_social": frozenset(),
        "share.footer": frozenset(),
    }
)

# Lists and how many items each needs (None: at least one).
LISTS: Mapping[str, int | None] = MappingProxyType(
    {
        "numbers.words": None,
        "units.day": 2,
        "units.moment": 2,
        "units.hard_moment": 2,
        "units.reflection": 2,
        "units.small_win": 2,
        "units.week": 2,
        "chart.days": 7,
        "caption.day_names": 7,
    }
)

# Drawn on the picture, read by screen readers (the caption is sent as HTML, but holds no
# markup) or printed in the PDF: no tags or entities belong there.
PLAIN_SECTIONS = ("numbers", "units", "chart", "caption", "share", "win_did", "connected_answer")

_BANNED = tuple(
    (phrase, re.compile(r"\b" + re.escape(phrase).replace(r"\ ", r"\s+")))
    for phrase in BANNED_PHRASES
)


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _banned(text: str) -> str | None:
    plain = re.sub(r"<[^>]*>", "", text).replace("\u2019", "'").replace("\u2018", "'")
    plain = " ".join(plain.lower().split())
    for phrase, pattern in _BANNED:
        if pattern.search(plain):
            return phrase
    return None


def _flatten(doc: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True, eq=False)
class RecapPhrases:
    """The recap's words: ``phrases("recap.title", first=..., last=...)`` and small helpers for
    counts written as words."""

    texts: Mapping[str, str]
    lists: Mapping[str, tuple[str, ...]]

    def __call__(self, key: str, **values: object) -> str:
        template = self.texts[key]
        return template.format(**values) if values else template

    def items(self, key: str) -> tuple[str, ...]:
        return self.lists[key]

    def number(self, count: int) -> str:
        """A small count as a word ("three"), a bigger one as digits."""
        words = self.lists["numbers.words"]
        return words[count] if 0 <= count < len(words) else str(count)

    def count(self, count: int, unit: str) -> str:
        """ "one day", "four days"."""
        one, more = self.lists[f"units.{unit}"]
        return f"{self.number(count)} {one if count == 1 else more}"

    def digits(self, count: int, unit: str) -> str:
        """ "1 small win", "4 small wins": for the picture's description and the PDF."""
        one, more = self.lists[f"units.{unit}"]
        return f"{count} {one if count == 1 else more}"

    def times(self, count: int) -> str:
        """ "once", "twice", "three times"."""
        if count == 1:
            return self("numbers.once")
        if count == 2:
            return self("numbers.twice")
        return self("numbers.times", count=self.number(count))

    def join(self, parts: Iterable[str]) -> str:
        """ "a", "a and b", "a, b and c"."""
        items = list(parts)
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self('recap.and')} {items[-1]}"


def load_recap_phrases(directory: Path | None = None) -> RecapPhrases:
    """Read and check recap.toml; raise ContentError naming the text at the first problem."""
    path = (directory or CONTENT_DIR) / RECAP_FILE
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ContentError(RECAP_FILE, f"file not found in {path.parent}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(RECAP_FILE, f"not valid TOML: {exc}") from None
    flat = _flatten(doc)
    texts: dict[str, str] = {}
    lists: dict[str, tuple[str, ...]] = {}
    for key, value in flat.items():
        section = key.split(".", 1)[0]
        if key in TEMPLATES:
            if not isinstance(value, str) or not value.strip():
                raise ContentError(RECAP_FILE, "needs to be a non-empty text", key)
            text = value.strip()
            expected = TEMPLATES[key]
            if _names(text) != expected:
                shown = ", ".join(f"{{{n}}}" for n in sorted(expected)) or "no {names}"
                raise ContentError(RECAP_FILE, f"needs exactly {shown}", key)
            texts[key] = text
            candidates: list[str] = [text]
        elif key in LISTS:
            if not isinstance(value, list) or not all(
                isinstance(item, str) and item.strip() for item in value
            ):
                raise ContentError(RECAP_FILE, "needs to be a list of non-empty texts", key)
            size = LISTS[key]
            if (size is not None and len(value) != size) or not value:
                raise ContentError(RECAP_FILE, f"needs {size or 'at least 1'} items", key)
            lists[key] = tuple(item.strip() for item in value)
            candidates = list(lists[key])
        else:
            raise ContentError(RECAP_FILE, "is not a text the recap uses (a typo?)", key)
        for text in candidates:
            if section in PLAIN_SECTIONS and ("<" in text or "&" in text or ">" in text):
                raise ContentError(RECAP_FILE, "is plain text: no tags and no &amp;", key)
            problem = html_problem(text)
            if problem:
                raise ContentError(RECAP_FILE, problem, key)
            phrase = _banned(text)
            if phrase:
                raise ContentError(RECAP_FILE, f"uses the banned phrase {phrase!r}", key)
            if "!" in text:
                raise ContentError(RECAP_FILE, "no exclamation marks in the recap", key)
    missing = sorted((set(TEMPLATES) - set(texts)) | (set(LISTS) - set(lists)))
    if missing:
        raise ContentError(RECAP_FILE, f"missing: {', '.join(missing)}")
    return RecapPhrases(MappingProxyType(texts), MappingProxyType(lists))


@cache
def recap_phrases() -> RecapPhrases:
    """The shipped phrases, loaded once per process."""
    return load_recap_phrases()

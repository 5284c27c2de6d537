"""Clock times said in words: "half past seven", "quarter to eight", "7 in the evening".

A small grammar of how people tell the time in English, for ``timecalc.parse_local_time`` to fall
back on when the text is not written in digits. Pure: no I/O.

    time      := [filler] core [o'clock] [day part]   |   [day part] [filler] core ...
    core      := named | hour | hour minutes | minutes (past|to|after|before) hour
                 | half [past] hour | [a] quarter (past|to) hour
    day part  := am | pm | in the morning | in the afternoon | in the evening | at night | tonight

An hour with no day part keeps the digits' convention (a bare "7" is 07:00); a day part turns
hours 1 to 12 into the morning or the evening, and refuses anything it contradicts
("14 in the morning", "thirteen pm").
"""

from __future__ import annotations

import re
from datetime import time

__all__ = ["parse_time_words"]

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}

# Words said before or after a time that do not change it ("at 8", "around 9pm", "7ish").
_FILLER = frozenset({"at", "around", "about", "approximately", "roughly", "by", "ish", "maybe"})

_MORNING = "am"
_AFTERNOON = "pm"
# Said after (or before) a time; longest first so "in the evening" wins over "evening".
_DAY_PARTS = (
    ("in the morning", _MORNING),
    ("in the afternoon", _AFTERNOON),
    ("in the evening", _AFTERNOON),
    ("at night", "night"),
    ("tonight", "night"),
    ("this evening", _AFTERNOON),
    ("this morning", _MORNING),
    ("this afternoon", _AFTERNOON),
    ("morning", _MORNING),
    ("afternoon", _AFTERNOON),
    ("evening", _AFTERNOON),
    ("night", "night"),
    ("a m", _MORNING),
    ("p m", _AFTERNOON),
    ("am", _MORNING),
    ("pm", _AFTERNOON),
)


def _number(words: list[str]) -> int | None:
    """'seven' -> 7, 'twenty five' -> 25, '25' -> 25, 'oh five' -> 5; None if not a number."""
    if not words:
        return None
    if len(words) == 1 and words[0].isdigit() and len(words[0]) <= 2:
        return int(words[0])
    if len(words) == 2 and words[0] in ("oh", "o") and words[1] in _UNITS[1:10]:
        return _UNITS.index(words[1])
    if len(words) == 1 and words[0] in _UNITS:
        return _UNITS.index(words[0])
    if len(words) == 1 and words[0] in _TENS:
        return _TENS[words[0]]
    if len(words) == 2 and words[0] in _TENS and words[1] in _UNITS[1:10]:
        return _TENS[words[0]] + _UNITS.index(words[1])
    return None


def _hour(words: list[str]) -> int | None:
    """An hour as said: a number up to 23, or noon and midnight."""
    if words in (["noon"], ["midday"]):
        return 12
    if words == ["midnight"]:
        return 0
    value = _number(words)
    return value if value is not None and value <= 23 else None


def _split_minutes_hour(words: list[str]) -> tuple[int, int] | None:
    """'seven thirty' or 'seven oh five' or 'nine forty five' -> (hour, minute)."""
    for cut in (1, 2):
        hour, minute = _hour(words[:cut]), _number(words[cut:])
        if hour is not None and minute is not None and 0 <= minute <= 59 and words[cut:]:
            return hour, minute
    return None


def _day_part(words: list[str]) -> tuple[list[str], str | None]:
    """The words without the day part said before or after them, and that day part."""
    text = " ".join(words)
    for phrase, part in _DAY_PARTS:
        if text.endswith(" " + phrase) or text == phrase:
            return text[: -len(phrase)].split(), part
        if text.startswith(phrase + " "):
            return text[len(phrase) :].split(), part
    return words, None


def _with_day_part(hour: int, part: str | None, midnight_said: bool) -> int | None:
    if part is None or midnight_said:
        return hour
    if not 1 <= hour <= 12:
        return None  # "14 in the morning", "0 pm": a contradiction, not a guess
    if part == _MORNING:
        return hour % 12
    if part == "night":
        # "10 at night" is 22:00, "12 at night" midnight, "2 at night" the small hours.
        return hour % 12 if hour == 12 or hour < 5 else hour + 12
    return hour if hour == 12 else hour + 12


def _words(text: str) -> list[str]:
    text = text.casefold().replace("’", "'")
    text = re.sub(r"o'?\s?clock", " oclock ", text)
    text = re.sub(r"(\d)(am|pm|a\.m\.?|p\.m\.?)\b", r"\1 \2", text)
    text = re.sub(r"(\d)ish\b", r"\1 ish", text)
    text = re.sub(r"\b(\d{1,2})[:.](\d{2})\b", r"\1 \2", text)  # "7:30 in the evening"
    if ":" in text:
        return []  # "7:3" or "7:30:99": digits that are not a time
    return re.sub(r"[^a-z0-9]+", " ", text).split()


def parse_time_words(text: str) -> time | None:
    """The clock time ``text`` says in words, or None when it says none (or two at once)."""
    # Words only: "-1" or "12345" are digits that the digit parser already refused.
    if len(text) > 60 or not re.search(r"[a-z]", text.casefold()):
        return None
    words = [word for word in _words(text) if word not in _FILLER]
    words, part = _day_part(words)
    words = [word for word in words if word not in _FILLER]
    if words and words[-1] == "oclock":
        words = words[:-1]
    if words and words[0] == "twelve" and words[1:] in (["noon"], ["midnight"]):
        words = words[1:]
    if words and words[0] == "12" and words[1:] in (["noon"], ["midnight"]):
        words = words[1:]
    if not words:
        return None
    midnight_said = words[-1] in ("noon", "midday", "midnight")
    if words[0] == "a":
        words = words[1:]
    minute_offset: int
    if len(words) >= 2 and words[0] == "half":
        rest = words[2:] if words[1] == "past" else words[1:]  # "half seven" is 07:30
        hour, minute_offset = _hour(rest), 30
    elif len(words) >= 3 and words[0] == "quarter" and words[1] in ("past", "after", "to"):
        hour = _hour(words[2:])
        minute_offset = 15 if words[1] != "to" else -15
    elif any(word in ("past", "after", "to", "before") for word in words):
        joint = next(i for i, word in enumerate(words) if word in ("past", "after", "to", "before"))
        said = [word for word in words[:joint] if word not in ("minutes", "minute")]
        minutes, hour = _number(said), _hour(words[joint + 1 :])
        if minutes is None or not 1 <= minutes <= 59:
            return None
        minute_offset = minutes if words[joint] in ("past", "after") else -minutes
    else:
        single = _hour(words)
        if single is not None:
            hour, minute_offset = single, 0
        else:
            pair = _split_minutes_hour(words)
            if pair is None:
                return None
            hour, minute_offset = pair
    if hour is None:
        return None
    hour = _with_day_part(hour, part, midnight_said)
    if hour is None:
        return None
    total = (hour * 60 + minute_offset) % (24 * 60)
    return time(total // 60, total % 60)

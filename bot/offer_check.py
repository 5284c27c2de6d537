"""The content check on a sentence offered to others (pure: no Telegram, no storage).

A sentence offered after a win is shown, once an operator has read it, to strangers on the same
path, with nothing about who wrote it. So it must not carry anything that could point to a
person: a name, a number (an age, a date, a house number), a link, an @handle, an email
address or a phone number. ``check_offer`` says which of those it finds, each once, in the
order a reply names them; an empty answer means the sentence may go to review.

The check is deliberately careful rather than clever: a capitalised word in the middle of a
sentence reads as a name unless it is one of a few everyday words ("I", "Mom", "Monday"), and
any digit is a number. A refusal only asks the person to write it again without that, and an
operator still reads every sentence before anyone sees it.
"""

from __future__ import annotations

import re
from enum import StrEnum

# One short sentence: what a person on a hard day can take in at a glance.
MAX_OFFER_CHARS = 200


class Problem(StrEnum):
    """Something an offered sentence must leave out (the order replies name them in)."""

    NAME = "name"
    NUMBER = "number"
    PHONE = "phone"
    EMAIL = "email"
    LINK = "link"
    HANDLE = "handle"


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WEB_ADDRESS = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|\bt\.me/\S*"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|info|biz|io|me|ly|co|app|dev|"
    r"xyz|site|online|link|page|gg|tv|ru|de|uk|ca|au|fr|es|nl|br|ch|se|pl)\b"
    r"(?:/\S*)?)"
)
_HANDLE = re.compile(r"(?<![\w@])@[\w](?:[\w.]*\w)?")
# Digits with the separators phone numbers are written with; seven digits or more is a phone.
_DIGIT_RUN = re.compile(r"\+?\d[\d\s().\-/]*\d|\d")
PHONE_MIN_DIGITS = 7
# A word: letters first (any script), then letters, digits, apostrophes or hyphens.
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Where a new sentence starts: the text's start, or after . ! ? … or a line break, with any
# quotes, brackets or spaces between.
_SENTENCE_END = re.compile(r"[.!?…:\n]")
# Capitalised words that are not names: "I" and its contractions, the everyday ways of
# addressing family, days and months, and a few words people capitalise out of habit.
EVERYDAY_CAPITALS = frozenset(
    {
        "i",
        "i'm",
        "i'd",
        "i'll",
        "i've",
        "mom",
        "mum",
        "mommy",
        "mummy",
        "mother",
        "dad",
        "daddy",
        "father",
        "mama",
        "papa",
        "grandma",
        "grandpa",
        "granny",
        "gran",
        "nan",
        "nana",
        "grandmother",
        "grandfather",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "christmas",
        "god",
        "ok",
        "okay",
        "kindling",
    }
)


def tidy_offer(text: str) -> str:
    """The sentence as it would be shown: trimmed, every run of spaces or line breaks one
    space (it is one sentence, quoted on its own)."""
    return " ".join(text.split())


def too_long(text: str) -> bool:
    return len(text) > MAX_OFFER_CHARS


def check_offer(text: str) -> tuple[Problem, ...]:
    """What ``text`` must leave out before it can be offered; () when nothing."""
    found: set[Problem] = set()
    rest = text
    if _EMAIL.search(rest):
        found.add(Problem.EMAIL)
        rest = _EMAIL.sub(" ", rest)
    if _WEB_ADDRESS.search(rest):
        found.add(Problem.LINK)
        rest = _WEB_ADDRESS.sub(" ", rest)
    if _HANDLE.search(rest):
        found.add(Problem.HANDLE)
        rest = _HANDLE.sub(" ", rest)
    for run in _DIGIT_RUN.finditer(rest):
        digits = sum(char.isdigit() for char in run.group())
        found.add(Problem.PHONE if digits >= PHONE_MIN_DIGITS else Problem.NUMBER)
    if any(char.isdigit() for char in _DIGIT_RUN.sub(" ", rest)):  # digits of other scripts
        found.add(Problem.NUMBER)
    if _names_someone(rest):
        found.add(Problem.NAME)
    return tuple(problem for problem in Problem if problem in found)


def _names_someone(text: str) -> bool:
    """Whether a capitalised word stands in the middle of a sentence (see the module)."""
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper() or _starts_sentence(text, match.start()):
            continue
        if len(word) > 1 and word.isupper():  # "NOT", "CBT": emphasis or an abbreviation
            continue
        if word.replace("’", "'").casefold() in EVERYDAY_CAPITALS:
            continue
        return True
    return False


def _starts_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\"'“”‘’«»()[]-–—")
    return not before or _SENTENCE_END.fullmatch(before[-1]) is not None

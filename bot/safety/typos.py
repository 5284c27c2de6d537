"""Typo forgiveness for the crisis check, that never turns one real word into another.

A word that is not one the rules use is compared with theirs, so "suicde", "myslef" and "wnat"
still read as meant: letters typed over and over ("diiiie") are squeezed, a word of five or more
letters may be one edit away (a letter missing, added, changed, or two swapped), a four-letter
word may have two letters swapped. A word found in an English dictionary (pyspellchecker's
frequency list) is never corrected: "where" is not a typo of "there", nor "right" of "fight".
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

from bot.safety.normalise import REPEATS, is_swap, squeeze_variants

# Words at least this long may be one edit away from a rule's word and still match it.
FUZZY_MIN_LENGTH = 5
# Four-letter words may only have two neighbouring letters swapped ("wnat" for "want").
SWAP_MIN_LENGTH = 4


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every word in pyspellchecker's English list (about 160,000; read once per process)."""
    data = (resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes()
    return frozenset(json.loads(gzip.decompress(data)))


class TypoCorrector:
    """Maps a word to the rule word it was probably meant to be, or leaves it alone."""

    def __init__(self, vocabulary: Iterable[str], never_correct: Iterable[str]) -> None:
        self._vocabulary = frozenset(vocabulary)
        self._known = english_words() | frozenset(never_correct)
        self._fuzzy_choices = sorted(w for w in self._vocabulary if len(w) >= FUZZY_MIN_LENGTH)
        self._swap_choices = [w for w in self._vocabulary if len(w) == SWAP_MIN_LENGTH]
        # Caches the correction of each distinct word; bounded so a flood of random words
        # cannot grow it without end.
        self.correct = lru_cache(maxsize=20_000)(self._correct)

    def _correct(self, token: str) -> str:
        if token in self._vocabulary or token.isdigit():
            return token
        for variant in squeeze_variants(token):
            if variant in self._vocabulary:
                return variant
        candidate = squeeze_variants(token)[0] if REPEATS.search(token) else token
        if candidate in self._known:
            return candidate
        if len(candidate) >= FUZZY_MIN_LENGTH:
            best = extractOne(
                candidate, self._fuzzy_choices, scorer=DamerauLevenshtein.distance, score_cutoff=1
            )
            if best is not None:
                return str(best[0])
        elif len(candidate) == SWAP_MIN_LENGTH:
            for word in self._swap_choices:
                if is_swap(candidate, word):
                    return word
        return candidate

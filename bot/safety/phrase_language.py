"""The small phrase language crisis_phrases.toml is written in, compiled to regular expressions.

A phrase is a sequence of slots separated by single spaces; the file's header explains them to
its reviewers. Each word in the compiled expression is followed by exactly one space, and the
text matched against is the normalised words joined by single spaces with one before and after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# "..." in a phrase: this many other words may stand in between.
GAP_WORDS = 3
# Endings tried for a word written with a trailing * ("hurt*"), so typos of them match too.
STEM_ENDINGS = ("", "s", "ed", "ing", "er")

_WORD = re.compile(r"^[a-z0-9]+\*?$")


class CrisisPhrasesError(Exception):
    """crisis_phrases.toml is broken; the message names the entry and what is wrong."""


@dataclass
class Compiler:
    """Turns the file's small pattern language into regular expressions."""

    macros: Mapping[str, Sequence[str]]
    vocabulary: set[str] = field(default_factory=set)
    _compiled_macros: dict[str, str] = field(default_factory=dict)
    _compiling: set[str] = field(default_factory=set)

    def word(self, word: str, where: str) -> str:
        if not _WORD.match(word):
            raise CrisisPhrasesError(
                f"{where}: {word!r} is not a plain lowercase word (letters, digits, an optional "
                "trailing *; write contractions out, like 'can not')"
            )
        if word.endswith("*"):
            stem = word[:-1]
            self.vocabulary.update(stem + ending for ending in STEM_ENDINGS)
            return re.escape(stem) + r"\w*"
        self.vocabulary.add(word)
        return re.escape(word)

    def macro(self, name: str, where: str) -> str:
        if name not in self.macros:
            raise CrisisPhrasesError(f"{where}: {{{name}}} is not defined under [words]")
        if name in self._compiled_macros:
            return self._compiled_macros[name]
        if name in self._compiling:
            raise CrisisPhrasesError(f"[words] {name}: refers back to itself")
        self._compiling.add(name)
        phrases = [self.phrase(p, f"[words] {name}") for p in self.macros[name]]
        self._compiling.discard(name)
        compiled = "(?:" + "|".join(phrases) + ")"
        self._compiled_macros[name] = compiled
        return compiled

    def slot(self, slot: str, where: str) -> str:
        """One slot: a gap, a (group|of phrases), a {macro} or a|word|list, maybe optional."""
        if slot == "...":
            return rf"(?:\S+ ){{0,{GAP_WORDS}}}"
        if slot == "$":
            return "$"
        if slot == "#":
            # A number of two digits or more ("took 30", "40 pills"): amounts, not "2 pills".
            return r"\d{2,} "
        if slot.startswith("!"):
            # Not followed by this: takes up no word itself ("cutting !down|back").
            if slot.endswith("?") or slot == "!":
                raise CrisisPhrasesError(f"{where}: cannot read {slot!r}")
            return "(?!" + self.slot(slot[1:], where) + ")"
        optional = slot.endswith("?")
        body = slot[:-1] if optional else slot
        if body.startswith("(") and body.endswith(")"):
            alternatives = split_top_level(body[1:-1], "|", where)
            if any(a.strip() == "..." for a in alternatives):
                raise CrisisPhrasesError(f"{where}: ... cannot be an alternative on its own")
            regex = "(?:" + "|".join(self.phrase(a, where) for a in alternatives) + ")"
        elif body.startswith("{") and body.endswith("}"):
            regex = self.macro(body[1:-1], where)
        elif "(" in body or ")" in body or "{" in body or "}" in body:
            raise CrisisPhrasesError(f"{where}: cannot read {slot!r} (a bracket out of place?)")
        else:
            words = body.split("|")
            regex = "(?:" + "|".join(self.word(w, where) + " " for w in words) + ")"
        return f"(?:{regex})?" if optional else regex

    def phrase(self, phrase: str, where: str) -> str:
        """A regex for one pattern: each word is followed by exactly one space."""
        if phrase != phrase.strip() or not phrase or "  " in phrase:
            raise CrisisPhrasesError(f"{where}: {phrase!r} has stray spaces or is empty")
        slots = split_top_level(phrase, " ", where)
        if slots[0] == "..." or slots[-1] == "...":
            raise CrisisPhrasesError(f"{where}: {phrase!r} cannot start or end with ...")
        if "$" in slots[:-1]:
            raise CrisisPhrasesError(f"{where}: $ can only end a pattern, in {phrase!r}")
        return "".join(self.slot(slot, where) for slot in slots)


def split_top_level(text: str, separator: str, where: str) -> list[str]:
    """Split on ``separator`` outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise CrisisPhrasesError(f"{where}: a ) without its ( in {text!r}")
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise CrisisPhrasesError(f"{where}: a ( without its ) in {text!r}")
    parts.append("".join(current))
    if any(not p.strip() for p in parts):
        raise CrisisPhrasesError(f"{where}: an empty alternative or slot in {text!r}")
    return [p.strip() for p in parts]

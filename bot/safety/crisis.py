"""Recognises messages that may express suicidal thoughts, self-harm or immediate danger.

Pure and synchronous: text in, a yes or no out (never the text itself in any log or error). The
phrases live in ``bot/content/crisis_phrases.toml`` so they can be reviewed and extended without
reading Python; this module only knows how to read that file and match against it.

How a message is checked:

1. It is normalised: Unicode compatibility forms folded, case folded, curly apostrophes
   straightened, contractions written out ("can't", "cant" and "cannot" all become "can not"),
   text-speak expanded ("wanna", "kms"), punctuation and emoji dropped, spaces collapsed.
2. Each word that is not one of the words the patterns use is compared with them, so common
   typos still match: letters typed over and over ("diiiie") are squeezed, a word of five or
   more letters may be one edit away (a letter missing, added, changed, or two swapped), a
   four-letter word may have two letters swapped ("wnat"). Short words are left alone, because
   one edit turns too many ordinary short words into alarming ones.
3. The patterns (small token patterns, see the file's header) are compiled to regular
   expressions over the normalised words and tried in turn.

The list leans towards catching too much rather than too little: a false alarm costs someone a
kind message with a helpline in it, a miss could cost far more.
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extractOne

PHRASES_FILE = Path(__file__).resolve().parent.parent / "content" / "crisis_phrases.toml"

KINDS = frozenset({"suicide", "self_harm", "danger"})

# Words at least this long may be one edit away from a pattern's word and still match it.
FUZZY_MIN_LENGTH = 5
# Four-letter words may only have two neighbouring letters swapped ("wnat" for "want").
SWAP_MIN_LENGTH = 4
# "..." in a pattern: this many other words may stand in between.
GAP_WORDS = 3
# Endings tried for a word written with a trailing * ("hurt*"), so typos of them match too.
STEM_ENDINGS = ("", "s", "ed", "ing", "er")

_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u00b4`\u2032\uff07"})
_WORD_WITH_S = re.compile(r"\b(\w+)'s\b")
_NOT_CONTRACTION = re.compile(r"\b(\w+)n't\b")
_WORD_CONTRACTIONS = {
    "can't": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "am not",
    "i'm": "i am",
    "i've": "i have",
    "i'll": "i will",
    "i'd": "i would",
    "you're": "you are",
    "they're": "they are",
    "we're": "we are",
    "they'd": "they would",
    "they'll": "they will",
    "you'd": "you would",
    "it'd": "it would",
    "would've": "would have",
    "should've": "should have",
    "could've": "could have",
}
# "she'll", "they've", "we're", "he'd": after the fixed forms above, any word can take these.
_OTHER_CONTRACTIONS = (
    (re.compile(r"\b(\w+)'ll\b"), r"\1 will"),
    (re.compile(r"\b(\w+)'ve\b"), r"\1 have"),
    (re.compile(r"\b(\w+)'re\b"), r"\1 are"),
    (re.compile(r"\b(\w+)'d\b"), r"\1 would"),
)
_IS_CONTRACTIONS = frozenset(
    {
        "it", "that", "there", "what", "he", "she", "everyone", "everybody", "nobody",
        "someone", "somebody", "life", "everything", "nothing", "who", "this",
    }
)  # fmt: skip
# Words written without their apostrophe, and common text-speak, as the words they stand for.
_TOKEN_EXPANSIONS = {
    "cant": "can not",
    "cannot": "can not",
    "cnt": "can not",
    "wont": "will not",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "aint": "am not",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
    "theyre": "they are",
    "theyd": "they would",
    "its": "it is",
    "thats": "that is",
    "theres": "there is",
    "whats": "what is",
    "everyones": "everyone is",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "tryna": "trying to",
    "u": "you",
    "ur": "your",
    "ppl": "people",
    "rn": "right now",
    "kms": "kill myself",
    "ded": "dead",
}
_NOT_WORD = re.compile(r"[^\w]+|_+")
_SENTENCE_END = re.compile(r"[.,!?;:\n\u2026]+")
_REPEATS = re.compile(r"(\w)\1{2,}")

_WORD = re.compile(r"^[a-z0-9]+\*?$")


class CrisisPhrasesError(Exception):
    """crisis_phrases.toml is broken; the message names the entry and what is wrong."""


@dataclass(frozen=True, slots=True)
class CrisisMatch:
    """Which pattern matched (its id and kind): never the person's words."""

    pattern_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class _Pattern:
    id: str
    kind: str
    regex: re.Pattern[str]


def _squeeze_variants(token: str) -> list[str]:
    """A word with letters typed three or more times, with each such run cut to one or two."""
    runs = list(_REPEATS.finditer(token))[:3]
    if not runs:
        return []
    variants = []
    for lengths in itertools.product((2, 1), repeat=len(runs)):
        pieces, last = [], 0
        for run, length in zip(runs, lengths, strict=True):
            pieces.append(token[last : run.start()] + run.group(1) * length)
            last = run.end()
        pieces.append(token[last:])
        variants.append("".join(pieces))
    return variants


def _is_swap(a: str, b: str) -> bool:
    """True when b is a with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and a[diffs[0]] == b[diffs[1]]
        and (a[diffs[1]] == b[diffs[0]])
    )


def normalise(text: str) -> list[str]:
    """The words of ``text`` in the plain form the patterns are written in (step 1 above)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    for contraction, expansion in _WORD_CONTRACTIONS.items():
        if contraction in text:
            text = re.sub(rf"\b{re.escape(contraction)}\b", expansion, text)
    text = _NOT_CONTRACTION.sub(r"\1 not", text)
    for ending, expansion in _OTHER_CONTRACTIONS:
        text = ending.sub(expansion, text)
    text = _WORD_WITH_S.sub(
        lambda m: f"{m.group(1)} is" if m.group(1) in _IS_CONTRACTIONS else m.group(1), text
    )
    text = text.replace("'", "")
    words: list[str] = []
    for token in _NOT_WORD.sub(" ", text).split():
        words.extend(_TOKEN_EXPANSIONS.get(token, token).split())
    return words


class CrisisDetector:
    """Checks texts against the compiled patterns of one crisis_phrases file."""

    def __init__(
        self, patterns: Sequence[_Pattern], vocabulary: Iterable[str], never_correct: Iterable[str]
    ) -> None:
        self._patterns = tuple(patterns)
        # Every pattern as one alternation: a text that matches none of them, nearly every text,
        # is ruled out in one search instead of one per pattern (about 170).
        self._any = re.compile("|".join(f"(?:{p.regex.pattern})" for p in self._patterns))
        self._vocabulary = frozenset(vocabulary)
        self._never_correct = frozenset(never_correct)
        self._fuzzy_choices = sorted(w for w in self._vocabulary if len(w) >= FUZZY_MIN_LENGTH)
        self._swap_choices = [w for w in self._vocabulary if len(w) == SWAP_MIN_LENGTH]
        # Caches the correction of each distinct word; bounded so a flood of random words
        # cannot grow it without end.
        self._correct = lru_cache(maxsize=20_000)(self._correct_uncached)

    @property
    def pattern_count(self) -> int:
        return len(self._patterns)

    def _correct_uncached(self, token: str) -> str:
        """The pattern word this word was probably meant to be, or the word itself."""
        if token in self._vocabulary or token in self._never_correct or token.isdigit():
            return token
        for variant in _squeeze_variants(token):
            if variant in self._vocabulary:
                return variant
        candidate = _squeeze_variants(token)[0] if _REPEATS.search(token) else token
        if len(candidate) >= FUZZY_MIN_LENGTH:
            best = extractOne(
                candidate,
                self._fuzzy_choices,
                scorer=DamerauLevenshtein.distance,
                score_cutoff=1,
            )
            if best is not None:
                return str(best[0])
        elif len(candidate) == SWAP_MIN_LENGTH:
            for word in self._swap_choices:
                if _is_swap(candidate, word):
                    return word
        return candidate

    def prepare(self, text: str) -> str:
        """The normalised, typo-corrected text the patterns are matched against."""
        words = [self._correct(token) for token in normalise(text)]
        return " " + " ".join(words) + " "

    def check(self, text: str) -> CrisisMatch | None:
        """The first pattern the text matches, or None.

        The whole message is tried (so "I want to... die" still reads as one phrase), and so is
        each sentence on its own, where ``$`` in a pattern marks the sentence's end.
        """
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
        texts = [text, *sentences] if len(sentences) > 1 else [text]
        for piece in texts:
            prepared = self.prepare(piece)
            if not prepared.strip() or not self._any.search(prepared):
                continue
            for pattern in self._patterns:
                if pattern.regex.search(prepared):
                    return CrisisMatch(pattern.id, pattern.kind)
        return None

    def matches(self, text: str) -> bool:
        return self.check(text) is not None


# --- reading the file ------------------------------------------------------------------------


@dataclass
class _Compiler:
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
        if slot.startswith("!"):
            # Not followed by this: takes up no word itself ("cutting !down|back").
            if slot.endswith("?") or slot == "!":
                raise CrisisPhrasesError(f"{where}: cannot read {slot!r}")
            return "(?!" + self.slot(slot[1:], where) + ")"
        optional = slot.endswith("?")
        body = slot[:-1] if optional else slot
        if body.startswith("(") and body.endswith(")"):
            alternatives = _split_top_level(body[1:-1], "|", where)
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
        slots = _split_top_level(phrase, " ", where)
        if slots[0] == "..." or slots[-1] == "...":
            raise CrisisPhrasesError(f"{where}: {phrase!r} cannot start or end with ...")
        if "$" in slots[:-1]:
            raise CrisisPhrasesError(f"{where}: $ can only end a pattern, in {phrase!r}")
        return "".join(self.slot(slot, where) for slot in slots)


def _split_top_level(text: str, separator: str, where: str) -> list[str]:
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


def _strings(value: Any, where: str) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise CrisisPhrasesError(f"{where}: needs a list of one or more texts")
    return list(value)


@lru_cache(maxsize=8)
def load_crisis_detector(path: Path = PHRASES_FILE) -> CrisisDetector:
    """Read and compile the phrase file, checking each pattern's own examples match it.

    Cached: the flood guard and the crisis check share one detector per file (it holds no
    per-person state), and starting several bots in one process reads the file once.
    """
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CrisisPhrasesError(f"{path.name}: {exc}") from None
    unknown = set(doc) - {"words", "never_correct", "pattern"}
    if unknown:
        raise CrisisPhrasesError(f"{path.name}: unknown sections {', '.join(sorted(unknown))}")
    raw_macros = doc.get("words", {})
    macros = {name: _strings(value, f"[words] {name}") for name, value in raw_macros.items()}
    compiler = _Compiler(macros)
    patterns: list[_Pattern] = []
    examples: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, entry in enumerate(doc.get("pattern", []), start=1):
        where = f"pattern #{index}"
        if not isinstance(entry, dict):
            raise CrisisPhrasesError(f"{where}: needs to be a [[pattern]] table")
        extra = set(entry) - {"id", "kind", "match", "examples"}
        if extra:
            raise CrisisPhrasesError(f"{where}: unknown fields {', '.join(sorted(extra))}")
        pattern_id, kind = entry.get("id"), entry.get("kind")
        if not isinstance(pattern_id, str) or not re.fullmatch(r"[a-z0-9_]+", pattern_id):
            raise CrisisPhrasesError(f"{where}: needs an id of lowercase letters, digits and _")
        where = f"pattern {pattern_id!r}"
        if pattern_id in seen:
            raise CrisisPhrasesError(f"{where}: the id is used twice")
        seen.add(pattern_id)
        if kind not in KINDS:
            raise CrisisPhrasesError(f"{where}: kind needs to be one of {', '.join(sorted(KINDS))}")
        for phrase in _strings(entry.get("match"), f"{where} match"):
            regex = re.compile(" " + compiler.phrase(phrase, where))
            patterns.append(_Pattern(pattern_id, kind, regex))
        examples.extend((pattern_id, e) for e in _strings(entry.get("examples"), where))
    if not patterns:
        raise CrisisPhrasesError(f"{path.name}: there are no [[pattern]] entries")
    for name in macros:
        compiler.macro(name, f"[words] {name}")  # unused macros are still checked
    never_table = doc.get("never_correct", {"words": ["-"]})
    if not isinstance(never_table, dict):
        raise CrisisPhrasesError("[never_correct]: needs to be a table with a words list")
    never_correct = _strings(never_table.get("words"), "[never_correct] words")
    detector = CrisisDetector(patterns, compiler.vocabulary, never_correct)
    for pattern_id, example in examples:
        if detector.check(example) is None:
            raise CrisisPhrasesError(
                f"pattern {pattern_id!r}: its example {example!r} is not caught any more"
            )
    return detector

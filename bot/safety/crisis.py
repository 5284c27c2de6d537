"""Reads a message for the signals clinicians listen for, and says how worried to be.

Pure and synchronous: text in, an ``Assessment`` out (never the text itself in any log or error).
The signals live in ``bot/content/crisis_phrases.toml`` so a clinician can review them without
reading Python; this module only reads that file and weighs what matches.

How a message is read:

1. Its words are normalised (``bot.safety.normalise``) and typos forgiven (``bot.safety.typos``:
   only a word that is not a real English word is ever corrected).
2. Idioms ("dying to see it", "this exam is killing me") are blanked out.
3. Each signal rule (ideation, intent, plan, means, an act already done, preparation, a time
   frame, self-harm, danger from someone else, a mention of the topic, distress) is tried on
   the whole message and on each sentence. A rule has a level: crisis, check or distress.
4. Context lowers a match, never raises it: someone else's story, study, work or a film, a past
   that is over, or a negation. Context is weighed differently by signal: what a person is
   doing or about to do to themselves now (intent, plan, means, an act, preparation, a time
   frame, self-harm) keeps its level whatever else the message says, unless it is told as the
   past or about someone else.

The result is the highest level any match keeps. Leaning towards asking is deliberate: a
"check" costs one gentle question, a miss could cost far more.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.safety.model import TextModel, load_model
from bot.safety.normalise import SENTENCE_END, normalise
from bot.safety.phrase_language import Compiler, CrisisPhrasesError
from bot.safety.typos import TypoCorrector

PHRASES_FILE = Path(__file__).resolve().parent.parent / "content" / "crisis_phrases.toml"


class Level(IntEnum):
    """How worried to be, lowest first: each level's answer is described in handlers.safety."""

    NONE = 0
    DISTRESS = 1
    CHECK = 2
    CRISIS = 3


LEVELS = {"crisis": Level.CRISIS, "check": Level.CHECK, "distress": Level.DISTRESS}
SIGNALS = frozenset(
    {
        "ideation", "intent", "plan", "means", "act", "preparation", "timeframe",
        "self_harm", "danger", "topic", "distress",
    }
)  # fmt: skip
# What a person is doing, or about to do, to themselves: study, work, a film or a negation
# never lowers these when they are about oneself now.
HARD_SIGNALS = frozenset(
    {"intent", "plan", "means", "act", "preparation", "timeframe", "self_harm"}
)
CONTEXT_EFFECTS = frozenset(
    {
        "frame",
        "fiction",
        "reported",
        "past",
        "past_tense",
        "recovered",
        "present",
        "negation",
        "hyperbole",
    }
)

# How far back (in words) the subject of a matched phrase is looked for.
SUBJECT_LOOKBACK = 8
# The learned reader is only asked about messages of at least this many words: on two or three
# words ("I don't know") one weight decides alone. Shorter crisis words are the rules' to catch.
MODEL_MIN_WORDS = 4
# A reply up to this many words, after an alarm, is also read by the ``after_alarm`` rules.
SHORT_REPLY_WORDS = 10
# A message up to this many words is also read as one window for rules with ``together``.
WHOLE_MESSAGE_WORDS = 40
_FIRST_PERSON = frozenset({"i", "we"})
_SELF_WORDS = frozenset({"me", "my", "myself", "mine", "us", "our", "ourselves"})
_COORDINATING = frozenset({"and", "then", "but", "so", "because", "or"})
_CLAUSE_BREAKS = _COORDINATING | frozenset(
    {"once", "when", "after", "until", "till", "before", "while", "if", "who", "where", "which"}
)
_PRONOUNS = frozenset({"he", "she", "they", "someone", "somebody", "people", "everyone"})
_MODIFIERS = frozenset(
    {"best", "old", "little", "big", "older", "younger", "main", "poor", "random", "new", "ex"}
)


def _names_someone(word: str) -> bool:
    """A word that can stand before a person's name: "my", "the", "best", "mate's"."""
    return word in _POSSESSIVES or word in _MODIFIERS or word.endswith("s")


_PREPOSITIONS = frozenset(
    {"on", "in", "at", "to", "from", "with", "for", "of", "by", "into", "onto", "under", "near"}
)
_POSSESSIVES = frozenset({"my", "his", "her", "their", "our", "your", "the", "a"})
_MASK = "xx"


@dataclass(frozen=True, slots=True)
class Assessment:
    """The level a message reached, and why (signal and rule names, never the words)."""

    level: Level
    signals: frozenset[str] = frozenset()
    about_others: bool = False  # danger from someone else: abuse and violence lines first
    rule_ids: tuple[str, ...] = ()


NOTHING = Assessment(Level.NONE)


@dataclass(frozen=True, slots=True)
class CrisisMatch:
    """Which rule matched (its id and signal): never the person's words."""

    pattern_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    signal: str
    level: Level
    about_others: bool
    any_of: tuple[re.Pattern[str], ...]
    together: tuple[tuple[re.Pattern[str], ...], ...]
    # Whoever is named, the risk is the writer's: "my dad keeps a gun in his nightstand".
    any_subject: bool = False
    # Only for a short reply after the crisis answer or the question ("tonight").
    after_alarm: bool = False


@dataclass(frozen=True, slots=True)
class ContextRule:
    id: str
    effect: str
    regexes: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class _Window:
    """One piece of the message as the rules see it, with the context found in it."""

    text: str
    effects: frozenset[str]
    negations: tuple[tuple[int, int], ...]
    # A long message as a whole is only read for "together" rules when it is short; phrases
    # are read in its sentences, so that one sentence's past does not lower another's present.
    phrases: bool = True
    together: bool = True


class CrisisDetector:
    """Weighs texts against the compiled rules of one crisis_phrases file."""

    def __init__(
        self,
        rules: Sequence[Rule],
        contexts: Sequence[ContextRule],
        idioms: Sequence[re.Pattern[str]],
        corrector: TypoCorrector,
        other_subjects: Iterable[str],
        model: TextModel | None = None,
    ) -> None:
        self._model = model
        self._rules = tuple(rules)
        self._contexts = tuple(contexts)
        self._idioms = tuple(idioms)
        self._corrector = corrector
        self._other_subjects = frozenset(other_subjects)
        # Nearly every message matches no rule at all: one search over all of them rules it out.
        every = [r.pattern for rule in self._rules for r in rule.any_of]
        # A group matches only when all its parts do, so any one part rules it out: the first
        # that everyday words do not match ("i", "my" alone would let most messages through).
        every += [_rarest(group).pattern for rule in self._rules for group in rule.together]
        # Every phrase starts at a space: saying so first spares the engine trying each of
        # them at every other character (a third of the search's time on a line of ten words).
        if not all(p.startswith(" ") for p in every):
            raise ValueError("every crisis phrase starts at a space")
        self._any = re.compile("(?= )(?:" + "|".join(f"(?:{p})" for p in every) + ")")
        # Each effect's phrases in one search: whether any of them is there is all it asks.
        by_effect: dict[str, list[str]] = {}
        for ctx in self._contexts:
            if ctx.effect != "negation":
                by_effect.setdefault(ctx.effect, []).extend(r.pattern for r in ctx.regexes)
        self._effect_searches = tuple(
            (effect, re.compile("|".join(f"(?:{p})" for p in patterns)))
            for effect, patterns in by_effect.items()
        )

    def use_model(self, model: TextModel | None) -> None:
        self._model = model

    @property
    def pattern_count(self) -> int:
        return len(self._rules)

    def prepare(self, text: str) -> str:
        """The normalised, typo-corrected text with idioms blanked, as the rules see it."""
        words = [self._corrector.correct(token) for token in normalise(text)]
        prepared = " " + " ".join(words) + " "
        for idiom in self._idioms:
            prepared = idiom.sub(
                lambda m: " " + " ".join(_MASK for _ in m.group(0).split()) + " ", prepared
            )
        return prepared

    def assess(self, text: str, *, after_alarm: bool = False) -> Assessment:
        """The highest level any signal in ``text`` keeps once its context is weighed.

        ``after_alarm``: the person was answered with the crisis answer or the question
        earlier today, so a short reply like "tonight" or "in like an hour" is read as the
        answer it probably is (the rules marked ``after_alarm``).
        """
        if not text or not text.strip():
            return NOTHING
        whole = self.prepare(text)
        message_effects = self._effects(whole)
        short_reply = after_alarm and len(whole.split()) <= SHORT_REPLY_WORDS
        best: list[tuple[Level, Rule]] = []
        for window in self._windows(text, whole, message_effects):
            # Every rule's phrases are in it, the after-alarm rules' too: a short reply that
            # none of them could match needs no rule read one by one.
            if not self._any.search(window.text):
                continue
            for rule in self._rules:
                if rule.after_alarm and not short_reply:
                    continue
                level = self._level_of(rule, window, message_effects)
                if level is not Level.NONE:
                    best.append((level, rule))
        top = max((level for level, _ in best), default=Level.NONE)
        words = whole.split()
        if (
            top < Level.CHECK
            and self._model is not None
            and len(words) >= MODEL_MIN_WORDS
            and self._model.flags(words)
        ):
            # The rules let it through, but it reads like the crisis phrasings the model
            # learned from: ask, never more (docs/safety.md).
            return Assessment(Level.CHECK, frozenset({"model"}), False, ("model",))
        if top is Level.NONE:
            return NOTHING
        at_top = [rule for level, rule in best if level == top]
        return Assessment(
            level=top,
            signals=frozenset(rule.signal for rule in at_top),
            about_others=any(rule.about_others for rule in at_top),
            rule_ids=tuple(dict.fromkeys(rule.id for rule in at_top)),
        )

    def check(self, text: str) -> CrisisMatch | None:
        """The first rule that asks for help lines or the direct question, or None."""
        assessment = self.assess(text)
        if assessment.level < Level.CHECK:
            return None
        return CrisisMatch(assessment.rule_ids[0], sorted(assessment.signals)[0])

    def matches(self, text: str) -> bool:
        """True when a message needs at least the direct question (the flood guard lets it in)."""
        return self.assess(text).level >= Level.CHECK

    # --- weighing -------------------------------------------------------------------------

    def _windows(self, text: str, whole: str, message_effects: frozenset[str]) -> list[_Window]:
        sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
        if len(sentences) <= 1:
            return [self._window(whole, effects=message_effects)]
        pieces = [self.prepare(s) for s in sentences]
        short = len(whole.split()) <= WHOLE_MESSAGE_WORDS
        windows = [self._window(whole, effects=message_effects, phrases=False, together=short)]
        previous: frozenset[str] = frozenset()
        for piece in pieces:
            window = self._window(piece)
            # "Last month was rough, I had thoughts of ending it": the past carries over.
            if "past" in previous and "present" not in window.effects:
                window = replace(window, effects=window.effects | {"past"})
            windows.append(window)
            previous = window.effects
        # "I wrote a goodbye note once, years ago.": the past can come just after, too.
        for index in range(len(windows) - 2, 0, -1):
            here, after = windows[index], windows[index + 1]
            if "past" in after.effects and not {"present", "past"} & here.effects:
                windows[index] = replace(here, effects=here.effects | {"past"})
        # Two neighbouring sentences together: "I want to... die", "I have the pills. Tonight."
        # Each keeps what its sentences carried ("last month ..., I had thoughts ...").
        for first, second in itertools.pairwise(windows[1:]):
            pair = self._window(first.text + second.text[1:])
            effects = pair.effects | first.effects | second.effects
            if "present" in second.effects:
                effects -= {"past"}
            windows.append(replace(pair, effects=effects))
        return windows

    def _window(
        self,
        prepared: str,
        *,
        effects: frozenset[str] | None = None,
        phrases: bool = True,
        together: bool = True,
    ) -> _Window:
        """A window over ``prepared``; ``effects`` when they are already known (the whole
        message's), so its context is not searched for twice."""
        negations = tuple(
            m.span()
            for ctx in self._contexts
            if ctx.effect == "negation"
            for regex in ctx.regexes
            for m in regex.finditer(prepared)
        )
        if effects is None:
            effects = self._effects(prepared)
        return _Window(prepared, effects, negations, phrases, together)

    def _effects(self, prepared: str) -> frozenset[str]:
        return frozenset(
            effect for effect, search in self._effect_searches if search.search(prepared)
        )

    def _level_of(self, rule: Rule, window: _Window, message_effects: frozenset[str]) -> Level:
        span = _match(rule, window)
        if span is None:
            return Level.NONE
        level = rule.level
        effects = window.effects
        # "I was suicidal after my divorce ... I'm doing well": told in the past tense, and over.
        past = "past" in effects or ("past_tense" in effects and "recovered" in message_effects)
        past = past and "present" not in effects
        recovered = "recovered" in message_effects
        if rule.about_others:
            # Danger from someone else: only a past that is over, or a story, lowers it (not
            # work: "a patient hit me" is still danger).
            if "fiction" in effects and "present" not in effects:
                return Level.NONE
            if past:
                return Level.NONE if recovered else min(level, Level.CHECK)
            if "hyperbole" in effects:
                return min(level, Level.CHECK)
            return level
        if "reported" in effects:
            return Level.NONE  # "someone in my discord said they were gonna kms"
        about_self = rule.any_subject or _about_self(
            window.text, span, self._other_subjects, hard=rule.signal in HARD_SIGNALS
        )
        if not about_self:
            return Level.NONE
        if past:
            return Level.NONE if recovered or rule.signal == "topic" else min(level, Level.CHECK)
        if rule.signal in HARD_SIGNALS and "hyperbole" in effects | message_effects:
            # "if I lose one more match I'm jumping off a cliff", "...off a bridge. Kidding.":
            # a question, not an alarm.
            level = min(level, Level.CHECK)
        if (
            rule.signal in HARD_SIGNALS
            and "frame" in message_effects
            and not (_SELF_WORDS | _FIRST_PERSON) & set(window.text[span[0] : span[1]].split())
        ):
            # "the customer was buying 64 tablets" at a pharmacist's counter: study, work or a
            # song lowers a plan or a means that does not say "I" or "my" to the question,
            # never below it.
            level = min(level, Level.CHECK)
        if "fiction" in effects:
            # "in minecraft i jumped off a cliff": a question at most, and nothing for a joke.
            if rule.signal not in HARD_SIGNALS or "hyperbole" in effects:
                return Level.NONE
            return min(level, Level.CHECK)
        if rule.signal in HARD_SIGNALS:
            return level
        if any(a <= span[0] < b or span[0] <= a < span[1] for a, b in window.negations):
            # "I'm not suicidal, just tired": taken at their word, but still met with warmth.
            return min(level, Level.DISTRESS)
        if "frame" in message_effects:
            if rule.signal == "topic":
                return Level.NONE
            level = min(level, Level.CHECK)
        if "hyperbole" in effects | message_effects:
            level = min(level, Level.CHECK)
        return level


# Words nearly every message has, as ``prepare`` leaves them.
_EVERYDAY = " i im me my you it its the a an to and is was of in on for at that this with be "


def _rarest(group: Sequence[re.Pattern[str]]) -> re.Pattern[str]:
    """The first part of a together group that everyday words alone do not match (else the
    first part): one part every match of the group has, and that few messages have."""
    return next((part for part in group if not part.search(_EVERYDAY)), group[0])


def _match(rule: Rule, window: _Window) -> tuple[int, int] | None:
    """Where the rule matched in the window (its first phrase), or None."""
    if window.phrases:
        for regex in rule.any_of:
            found = regex.search(window.text)
            if found:
                return found.span()
    if rule.together and window.together:
        for group in rule.together:
            spans = [regex.search(window.text) for regex in group]
            if all(spans):
                # The last of the parts says whose it is: "a shotgun in his room, and I know
                # where the key is".
                last = max((s for s in spans if s is not None), key=lambda s: s.start())
                return last.span()
    return None


def _about_self(
    text: str, span: tuple[int, int], other_subjects: frozenset[str], *, hard: bool
) -> bool:
    """Whether the matched words are about the writer: "I", not "she" or "the film".

    A match holding "i", "me", "my" or "myself" is about the writer; otherwise the nearest subject
    before it decides; with neither, a message with no one else in it is (people leave out "I":
    "took the whole bottle").

    What a person is doing or about to do (``hard``) is read more narrowly, within its clause:
    only "he", "she", "they" or a named person starting the clause ("my grandma took too many")
    make it someone else's. A person named as an object or in another clause does not ("I've
    sent my brother the passwords", "once the kids are in bed, that's it"), and with no subject
    at all it is the writer's ("gonna cut as soon as my mom goes to sleep").
    """
    matched = text[span[0] : span[1]].split()
    if (_SELF_WORDS | _FIRST_PERSON) & set(matched):
        return True
    if hard and matched and matched[0] in _COORDINATING:
        return True  # "... until my husband leaves, and then do it": the writer's own "and then"
    before = text[: span[0]].split()[-SUBJECT_LOOKBACK:]
    for index in range(len(before) - 1, -1, -1):
        word = before[index]
        if word in _FIRST_PERSON:
            return True
        if (
            index == len(before) - 1
            and word in other_subjects
            and hard
            and matched[0].endswith("ing")
        ):
            return False  # "the hero jumping off a cliff", "a guy jumping"
        if word == "who" and index > 0 and before[index - 1] in other_subjects:
            return False  # "a guy who survived jumping off a bridge"
        if hard and word in _CLAUSE_BREAKS:
            break
        if word not in other_subjects:
            continue
        if not hard or word in _PRONOUNS:
            return False
        start = index
        while start > 0 and before[start - 1] not in _COORDINATING:
            start -= 1
        # "my best mate's brother jumped": nothing but who they are before the name.
        if all(_names_someone(w) for w in before[start:index]):
            return False
    if hard:
        return True
    words = set(text[: span[0]].split()) | set(text[span[1] :].split())
    return bool(words & _FIRST_PERSON) or not (words & other_subjects)


# --- reading the file ------------------------------------------------------------------------


def _strings(value: Any, where: str) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise CrisisPhrasesError(f"{where}: needs a list of one or more texts")
    return list(value)


def _id(entry: Any, where: str, seen: set[str]) -> str:
    if not isinstance(entry, dict):
        raise CrisisPhrasesError(f"{where}: needs to be a table")
    entry_id = entry.get("id")
    if not isinstance(entry_id, str) or not re.fullmatch(r"[a-z0-9_]+", entry_id):
        raise CrisisPhrasesError(f"{where}: needs an id of lowercase letters, digits and _")
    if entry_id in seen:
        raise CrisisPhrasesError(f"{where} {entry_id!r}: the id is used twice")
    seen.add(entry_id)
    return entry_id


def _fields(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = set(entry) - allowed
    if extra:
        raise CrisisPhrasesError(f"{where}: unknown fields {', '.join(sorted(extra))}")


def _compile(compiler: Compiler, phrase: str, where: str) -> re.Pattern[str]:
    return re.compile(" " + compiler.phrase(phrase, where))


def _read_rule(compiler: Compiler, entry: dict[str, Any], rule_id: str) -> Rule:
    where = f"signal {rule_id!r}"
    allowed = {"id", "signal", "level", "about", "after_alarm", "match", "together", "examples"}
    _fields(entry, allowed, where)
    after_alarm = entry.get("after_alarm", False)
    if not isinstance(after_alarm, bool):
        raise CrisisPhrasesError(f"{where}: after_alarm needs to be true or false")
    signal, level = entry.get("signal"), entry.get("level")
    if signal not in SIGNALS:
        raise CrisisPhrasesError(f"{where}: signal needs to be one of {', '.join(sorted(SIGNALS))}")
    if level not in LEVELS:
        raise CrisisPhrasesError(f"{where}: level needs to be one of {', '.join(LEVELS)}")
    about = entry.get("about", "self")
    if about not in ("self", "others", "any"):
        raise CrisisPhrasesError(f"{where}: about needs to be self, others or any")
    if "match" not in entry and "together" not in entry:
        raise CrisisPhrasesError(f"{where}: needs match, together, or both")
    any_of = tuple(
        _compile(compiler, p, where)
        for p in _strings(entry.get("match", ["-"]), where)
        if "match" in entry and p != "-"
    )
    groups = entry.get("together", [])
    if not isinstance(groups, list):
        raise CrisisPhrasesError(f"{where}: together needs a list of lists of phrases")
    together = tuple(
        tuple(_compile(compiler, p, where) for p in _strings(group, f"{where} together"))
        for group in groups
    )
    return Rule(
        rule_id,
        signal,
        LEVELS[level],
        about == "others",
        any_of,
        together,
        about == "any",
        after_alarm,
    )


def _read(
    doc: dict[str, Any], name: str
) -> tuple[CrisisDetector, list[tuple[str, str, str, bool]]]:
    unknown = set(doc) - {"words", "never_correct", "other_subjects", "signal", "context", "idiom"}
    if unknown:
        raise CrisisPhrasesError(f"{name}: unknown sections {', '.join(sorted(unknown))}")
    macros = {n: _strings(v, f"[words] {n}") for n, v in doc.get("words", {}).items()}
    compiler = Compiler(macros)
    seen: set[str] = set()
    rules: list[Rule] = []
    examples: list[tuple[str, str, str, bool]] = []  # (where, wanted, example, after_alarm)
    for index, entry in enumerate(doc.get("signal", []), start=1):
        rule_id = _id(entry, f"signal #{index}", seen)
        rules.append(_read_rule(compiler, entry, rule_id))
        for example in _strings(entry.get("examples"), f"signal {rule_id!r} examples"):
            examples.append((f"signal {rule_id!r}", entry["level"], example, rules[-1].after_alarm))
    if not rules:
        raise CrisisPhrasesError(f"{name}: there are no [[signal]] entries")
    contexts: list[ContextRule] = []
    for index, entry in enumerate(doc.get("context", []), start=1):
        ctx_id = _id(entry, f"context #{index}", seen)
        where = f"context {ctx_id!r}"
        _fields(entry, {"id", "effect", "match"}, where)
        effect = entry.get("effect")
        if effect not in CONTEXT_EFFECTS:
            raise CrisisPhrasesError(
                f"{where}: effect needs to be one of {', '.join(sorted(CONTEXT_EFFECTS))}"
            )
        regexes = tuple(_compile(compiler, p, where) for p in _strings(entry.get("match"), where))
        contexts.append(ContextRule(ctx_id, effect, regexes))
    idioms: list[re.Pattern[str]] = []
    for index, entry in enumerate(doc.get("idiom", []), start=1):
        idiom_id = _id(entry, f"idiom #{index}", seen)
        where = f"idiom {idiom_id!r}"
        _fields(entry, {"id", "match", "examples"}, where)
        idioms.extend(_compile(compiler, p, where) for p in _strings(entry.get("match"), where))
        examples.extend((where, "none", e, False) for e in _strings(entry.get("examples"), where))
    for macro in macros:
        compiler.macro(macro, f"[words] {macro}")  # unused macros are still checked
    never = doc.get("never_correct", {"words": ["-"]})
    if not isinstance(never, dict):
        raise CrisisPhrasesError("[never_correct]: needs to be a table with a words list")
    others = doc.get("other_subjects", {"words": ["-"]})
    if not isinstance(others, dict):
        raise CrisisPhrasesError("[other_subjects]: needs to be a table with a words list")
    corrector = TypoCorrector(compiler.vocabulary, _strings(never.get("words"), "[never_correct]"))
    other_subjects = _strings(others.get("words"), "[other_subjects] words")
    detector = CrisisDetector(rules, contexts, idioms, corrector, other_subjects)
    return detector, examples


@lru_cache(maxsize=8)
def load_crisis_detector(path: Path = PHRASES_FILE, *, with_model: bool = True) -> CrisisDetector:
    """Read and compile the phrase file, checking each rule's own examples reach its level;
    with the learned reader (``bot.safety.model``) when ``with_model`` and it is shipped.

    Cached: the flood guard and the crisis check share one detector per file (it holds no
    per-person state), and starting several bots in one process reads the file once.
    """
    try:
        doc = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CrisisPhrasesError(f"{path.name}: {exc}") from None
    detector, examples = _read(doc, path.name)
    for where, wanted, example, after_alarm in examples:
        got = detector.assess(example, after_alarm=after_alarm).level
        if wanted == "none" and got >= Level.CHECK:
            raise CrisisPhrasesError(
                f"{where}: its example {example!r} is read as {got.name.lower()}"
            )
        if wanted != "none" and got < LEVELS[wanted]:
            raise CrisisPhrasesError(
                f"{where}: its example {example!r} is not caught at {wanted} any more"
            )
    # The rules' own examples are the rules' promise; the learned reader joins after them.
    if with_model and path == PHRASES_FILE:
        detector.use_model(load_model())
    return detector

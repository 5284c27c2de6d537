"""Kindling's content library: the reviewable TOML files, loaded into typed objects and checked.

Every line a person reads during a practice (daily prompts, self-compassion breaks, win
celebrations, grounding and breathing scripts, crisis lines) lives in TOML files next to this
module, so a clinician can review and edit them without reading Python. `load_library()` reads
those files into small frozen dataclasses and checks them all at once.

The checks are strict on purpose. A broken file should stop the bot at startup with a message
that names the file, the item and what is wrong, instead of sending a garbled or hurtful message
to someone in a hard moment. So the loader refuses: TOML syntax errors, unknown or missing fields,
duplicate or malformed ids, empty texts, texts too long for Telegram, markup Telegram's HTML
parse mode would reject, phrases from the banned list (clichés and guilt words), references to
themes or feelings that do not exist, and content below the minimum counts.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from random import Random
from types import MappingProxyType
from typing import Any, NoReturn
from urllib.parse import urlsplit

# --- the files -----------------------------------------------------------------------------

PROMPTS_FILE = "prompts.toml"
REFRAMES_FILE = "reframes.toml"
WINS_SETBACKS_FILE = "wins_setbacks.toml"
HELP_FILE = "help_resources.toml"
GROUNDING_FILE = "grounding.toml"
CONTENT_FILES = (PROMPTS_FILE, REFRAMES_FILE, WINS_SETBACKS_FILE, HELP_FILE, GROUNDING_FILE)

# Files read in hard moments: the style guide asks for calm there, so no exclamation marks and
# no emoji at all. Elsewhere one exclamation mark per file is tolerated (one per conversation).
HARD_MOMENT_FILES = frozenset({REFRAMES_FILE, HELP_FILE, GROUNDING_FILE})
MAX_EXCLAMATIONS_PER_FILE = 1

# --- the limits ----------------------------------------------------------------------------

# Ids travel inside Telegram callback data (64 bytes in all), so they stay short and plain.
ID_PATTERN = re.compile(r"[a-z0-9_]{1,24}")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
# Telegram counts a message's length in UTF-16 code units; counting the raw text (tags
# included) over-counts what Telegram sees, which errs on the safe side.
MESSAGE_MAX_UTF16 = 4096
# Button labels: long ones get cut off on small phones, so we keep them well under the limit.
LABEL_MAX_CHARS = 40
WIN_LABEL_MAX_CHARS = 30

MIN_PROMPTS = 60
MIN_GENTLE_PROMPTS = 10
MIN_PROMPTS_PER_THEME = 1
MIN_REFRAMES = 20
MIN_ACKNOWLEDGEMENTS = 3
MIN_CELEBRATIONS = 3
MIN_NEXT_STEPS = 8
GROUNDING_STEP_COUNT = 5  # the 5-4-3-2-1 exercise has exactly five steps

REQUIRED_WIN_KINDS = (
    "paused",
    "listened",
    "no_judgment",
    "reached_out",
    "boundary",
    "self_kindness",
    "grounded",
    "other",
)
# The social ladder is shown in this order, gentlest first.
SOCIAL_LADDER = (
    "message_trusted",
    "one_to_one",
    "share_experience",
    "small_gathering",
    "volunteering",
)
CHECK_IN_ANSWERS = ("better", "same", "worse")

# Clichés and guilt words from the style guide, plus praise that judges instead of naming what
# the person did. Matched case-insensitively at the start of a word, so "streaks" is caught too.
BANNED_PHRASES = (
    "stay positive",
    "everything happens for a reason",
    "just breathe",
    "time heals",
    "others have it worse",
    "you should",
    "you must",
    "don't forget",
    "streak",
    "you failed",
    "back on track",
    "you missed",
    "great job",
    "good job",
    "well done",
)
_BANNED_PATTERNS = tuple(
    (phrase, re.compile(r"\b" + re.escape(phrase).replace(r"\ ", r"\s+")))
    for phrase in BANNED_PHRASES
)

# Telegram's HTML mode: only these tags, and only these named entities (plus numeric ones).
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code", "a"})
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:", "tel:")
_TAG = re.compile(r"<[^>]*>")


class ContentError(Exception):
    """A content file is broken; the message names the file, the item and what is wrong."""

    def __init__(self, file: str, problem: str, item: str | None = None) -> None:
        self.file = file
        self.item = item
        self.problem = problem
        where = f"{file}, {item}" if item else file
        super().__init__(f"{where}: {problem}")


# --- the models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """One daily reflective question."""

    id: str
    theme: str
    text: str
    gentle: bool  # the softest prompts, asking little: for the day after a hard moment


@dataclass(frozen=True)
class Theme:
    """A group of prompts, with the short replies sent after someone answers one of them."""

    id: str
    label: str
    acknowledgements: tuple[str, ...]


@dataclass(frozen=True)
class Reframe:
    """A self-compassion break in three parts, sent after a setback."""

    id: str
    feelings: tuple[str, ...]  # feeling ids it fits; empty means it fits any feeling
    noticing: str
    common_humanity: str
    kindness: str

    @property
    def parts(self) -> tuple[str, str, str]:
        return (self.noticing, self.common_humanity, self.kindness)

    @property
    def message(self) -> str:
        """The three parts as one message, a blank line between them."""
        return "\n\n".join(self.parts)


@dataclass(frozen=True)
class WinKind:
    """A kind of small win, a button label and the lines that name it back to the person."""

    id: str
    label: str
    celebrations: tuple[str, ...]


@dataclass(frozen=True)
class Feeling:
    """A feeling someone can pick after a setback."""

    id: str
    label: str


@dataclass(frozen=True)
class NextStep:
    """A small thing to try next time, offered after a setback."""

    text: str


@dataclass(frozen=True)
class SocialStep:
    """One rung of the gentle social ladder, with an invitation for the weekly recap."""

    id: str
    label: str
    suggestion: str


@dataclass(frozen=True)
class HelpLine:
    """A crisis, support or abuse line."""

    name: str
    contact: str
    note: str


@dataclass(frozen=True)
class HelpResources:
    """Where to find help in one country, or (country None) anywhere else."""

    country: str | None  # ISO 3166 alpha-2 code; None for the default entry
    name: str
    emergency: str
    lines: tuple[HelpLine, ...]  # crisis and emotional support lines; never empty
    abuse: tuple[HelpLine, ...]  # domestic violence and child abuse lines; may be empty
    directory: str  # an https:// helpline directory page for the country
    # True when no national crisis line could be confirmed: `lines` then point to `directory`.
    fallback: bool

    @property
    def is_default(self) -> bool:
        return self.country is None


@dataclass(frozen=True)
class Grounding:
    """The 5-4-3-2-1 senses exercise: an intro, five steps, a closing line."""

    intro: str
    steps: tuple[str, ...]
    closing: str


@dataclass(frozen=True)
class BreathPhase:
    """One side of the breathing box, for example "Breathe in" for 4 seconds."""

    id: str
    label: str
    seconds: int


@dataclass(frozen=True)
class Breathing:
    """Paced (box) breathing: phases repeated for a number of rounds."""

    intro: str
    phases: tuple[BreathPhase, ...]
    rounds: int
    closing: str


@dataclass(frozen=True)
class CheckInAnswer:
    id: str
    label: str
    reply: str


@dataclass(frozen=True)
class CheckIn:
    """The "how are you now?" question asked after grounding or breathing."""

    question: str
    answers: tuple[CheckInAnswer, ...]

    def answer(self, id: str) -> CheckInAnswer:
        for answer in self.answers:
            if answer.id == id:
                return answer
        raise KeyError(f"no check-in answer {id!r}")


# eq=False: two loads are different libraries, and the dict fields would not hash anyway.
@dataclass(frozen=True, eq=False)
class Library:
    """All the content, checked. Build it with `load_library()`."""

    prompts: tuple[Prompt, ...]
    themes: Mapping[str, Theme]
    reframes: tuple[Reframe, ...]
    win_kinds: tuple[WinKind, ...]
    feelings: tuple[Feeling, ...]
    next_steps: tuple[NextStep, ...]
    social_steps: tuple[SocialStep, ...]
    help: Mapping[str, HelpResources]  # by country code; see also help_default
    help_default: HelpResources
    grounding: Grounding
    breathing: Breathing
    check_in: CheckIn
    _prompts_by_id: Mapping[str, Prompt] = field(init=False, repr=False, compare=False)
    _win_kinds_by_id: Mapping[str, WinKind] = field(init=False, repr=False, compare=False)
    _feelings_by_id: Mapping[str, Feeling] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen dataclass: indexes are set once here, through object.__setattr__.
        object.__setattr__(self, "_prompts_by_id", {p.id: p for p in self.prompts})
        object.__setattr__(self, "_win_kinds_by_id", {w.id: w for w in self.win_kinds})
        object.__setattr__(self, "_feelings_by_id", {f.id: f for f in self.feelings})

    def prompt(self, id: str) -> Prompt:
        """The prompt with this id (KeyError if there is none)."""
        return self._prompts_by_id[id]

    def pick_prompt(
        self,
        rng: Random,
        *,
        gentle: bool = False,
        exclude: AbstractSet[str] = frozenset(),
        theme: str | None = None,
    ) -> Prompt:
        """A random prompt: only gentle ones if `gentle`, avoiding ids in `exclude` if possible.

        When every candidate has been excluded (someone has seen them all), repeats are allowed
        rather than sending nothing.
        """
        pool = [
            p
            for p in self.prompts
            if (p.gentle or not gentle) and (theme is None or p.theme == theme)
        ]
        if not pool:
            raise KeyError(f"no prompts for theme {theme!r}")
        fresh = [p for p in pool if p.id not in exclude]
        return rng.choice(fresh or pool)

    def acknowledgement(self, theme: str, rng: Random, recent: Sequence[str] = ()) -> str:
        """A short reply fitting the theme, sent after someone answers a prompt; never one of
        the lines in ``recent`` (what this person read lately) while another is left."""
        return fresh_choice(self.themes[theme].acknowledgements, rng, recent)

    def win_kind(self, id: str) -> WinKind:
        return self._win_kinds_by_id[id]

    def feeling(self, id: str) -> Feeling:
        return self._feelings_by_id[id]

    def celebration(self, win_kind: str, rng: Random, recent: Sequence[str] = ()) -> str:
        """A line naming this kind of win; an unknown kind (say, a stale button) gets "other".
        Never one of the lines in ``recent`` while another is left (see ``fresh_choice``)."""
        kind = self._win_kinds_by_id.get(win_kind) or self._win_kinds_by_id["other"]
        return fresh_choice(kind.celebrations, rng, recent)

    def reframe_for(self, feeling: str | None, rng: Random) -> Reframe:
        """A self-compassion break that fits the feeling, or a general one.

        General means a reframe with no `feelings` listed. An unknown feeling id is treated like
        no feeling: a stale button should still get a kind reply, not an error.
        """
        fitting = [r for r in self.reframes if feeling is not None and feeling in r.feelings]
        if not fitting:
            fitting = [r for r in self.reframes if not r.feelings] or list(self.reframes)
        return rng.choice(fitting)

    def help_for(self, country: str | None) -> HelpResources:
        """Help for a country code (any case), or the default entry for unknown or missing."""
        if country:
            return self.help.get(country.strip().upper(), self.help_default)
        return self.help_default


# --- Telegram HTML -------------------------------------------------------------------------


def fresh_choice(options: Sequence[str], rng: Random, recent: Sequence[str]) -> str:
    """One of ``options`` at random, but not one in ``recent`` (oldest first) while another is
    left: the same warm line twice in a few messages reads as a form letter. When every option
    was said lately, the one said longest ago."""
    fresh = [option for option in options if option not in recent]
    if fresh:
        return rng.choice(fresh)
    last_said = {line: index for index, line in enumerate(recent)}
    return min(options, key=lambda option: last_said[option])


class _TelegramHtmlChecker(HTMLParser):
    """Records the first thing Telegram's HTML parse mode would reject."""

    def __init__(self, allowed_tags: frozenset[str] = ALLOWED_TAGS) -> None:
        # convert_charrefs=False keeps '&' visible to us; entities are checked separately.
        super().__init__(convert_charrefs=False)
        self.allowed_tags = allowed_tags
        self.open_tags: list[str] = []
        self.problem: str | None = None

    def _fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.allowed_tags:
            allowed = ", ".join(f"<{t}>" for t in sorted(self.allowed_tags))
            self._fail(f"tag <{tag}> is not allowed (only {allowed})")
        elif tag == "a":
            names = [name for name, _ in attrs]
            href = dict(attrs).get("href")
            if names != ["href"] or not href:
                self._fail('<a> needs exactly one attribute: href="..."')
            elif not href.startswith(_LINK_SCHEMES):
                self._fail(f"link {href!r} needs to start with https:// (or tg://, mailto:, tel:)")
        elif attrs:
            self._fail(f"tag <{tag}> takes no attributes")
        if "code" in self.open_tags:
            self._fail("nothing can go inside <code>")
        elif tag in self.open_tags:
            self._fail(f"<{tag}> is opened again inside itself")
        self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f"self-closing tag <{tag}/> is not allowed")

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            self._fail(f"</{tag}> does not close the tag opened before it")
        else:
            self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        # html.parser passes a stray '<' (as in "<3") through as text; Telegram rejects it.
        if "<" in data or ">" in data:
            self._fail("a bare < or > needs writing as &lt; or &gt;")

    def handle_comment(self, data: str) -> None:
        self._fail("HTML comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        self._fail("<!...> declarations are not allowed")

    def unknown_decl(self, data: str) -> None:
        self._fail("<![...]> sections are not allowed")

    def handle_pi(self, data: str) -> None:
        self._fail("<?...> instructions are not allowed")


def html_problem(text: str, allowed_tags: frozenset[str] = ALLOWED_TAGS) -> str | None:
    """What Telegram's HTML parse mode would reject in `text` (using only `allowed_tags`), or
    None if it is fine."""
    for match in re.finditer("&", text):
        if not _ENTITY.match(text, match.start()):
            return "a bare & needs writing as &amp; (or use a valid entity like &lt;)"
    checker = _TelegramHtmlChecker(allowed_tags)
    checker.feed(text)
    checker.close()
    if checker.problem is None and checker.open_tags:
        return f"<{checker.open_tags[-1]}> is never closed"
    return checker.problem


# --- checks on every string ----------------------------------------------------------------


def _normalise_for_phrases(text: str) -> str:
    """Lowercase, tags stripped, curly apostrophes straightened, whitespace collapsed."""
    text = _TAG.sub("", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.lower().split())


def banned_phrase(text: str) -> str | None:
    """The first banned phrase `text` uses (tags and case aside), or None."""
    normal = _normalise_for_phrases(text)
    for phrase, pattern in _BANNED_PATTERNS:
        if pattern.search(normal):
            return phrase
    return None


def is_emoji(char: str) -> bool:
    # "So" (other symbol) covers emoji pictographs; U+FE0F asks for emoji presentation.
    return unicodedata.category(char) == "So" or char == "\ufe0f"


def utf16_length(text: str) -> int:
    """How long Telegram counts ``text``: in UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


class _StringChecks:
    """Walks one parsed file and checks every string in it, wherever it sits.

    Doing this generically means a new field added by an editor gets the same checks (banned
    phrases, markup, length) without anyone remembering to add them.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.hard_moment = file in HARD_MOMENT_FILES
        self.exclamations = 0

    def walk(self, node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                self.walk(value, [*path, str(key)])
        elif isinstance(node, list):
            for index, value in enumerate(node, start=1):
                self.walk(value, self._element_path(path, value, index))
        elif isinstance(node, str):
            self.check(node, path)

    @staticmethod
    def _element_path(path: list[str], value: Any, index: int) -> list[str]:
        # Name list items by their id when they have one: "prompt 'kind_note'", not "prompt #12".
        if isinstance(value, dict) and isinstance(value.get("id"), str) and path:
            return [*path[:-1], f"{path[-1]} '{value['id']}'"]
        if path:
            return [*path[:-1], f"{path[-1]} #{index}"]
        return [f"#{index}"]

    def fail(self, path: list[str], problem: str) -> NoReturn:
        raise ContentError(self.file, problem, " > ".join(path) or None)

    def check(self, text: str, path: list[str]) -> None:
        if not text.strip():
            self.fail(path, "text is empty")
        length = utf16_length(text)
        if length > MESSAGE_MAX_UTF16:
            self.fail(path, f"text is {length} characters, over Telegram's {MESSAGE_MAX_UTF16}")
        is_label = bool(path) and path[-1] == "label"
        if is_label:
            if len(text) > LABEL_MAX_CHARS:
                self.fail(path, f"label is {len(text)} characters, over {LABEL_MAX_CHARS}")
            # Labels go on buttons, where markup would show up literally.
            if any(char in text for char in "<>&"):
                self.fail(path, "labels are plain text: no <, > or & (write 'and')")
        problem = html_problem(text)
        if problem:
            self.fail(path, f"not valid Telegram HTML: {problem}")
        phrase = banned_phrase(text)
        if phrase:
            self.fail(path, f'uses the banned phrase "{phrase}" (see the style guide)')
        self.exclamations += text.count("!")
        if self.hard_moment:
            if "!" in text:
                self.fail(path, "no exclamation marks in hard-moment content")
            if any(is_emoji(char) for char in text):
                self.fail(path, "no emoji in hard-moment content")
        elif self.exclamations > MAX_EXCLAMATIONS_PER_FILE:
            self.fail(path, f"more than {MAX_EXCLAMATIONS_PER_FILE} exclamation mark in this file")


# --- strict table reading ------------------------------------------------------------------


class _Fields:
    """Reads one TOML table strictly: each field present with the right type, nothing unknown.

    Refusing unknown fields catches typos such as `txet = "..."`, which TOML itself would
    accept and the bot would then silently ignore.
    """

    def __init__(
        self, file: str, item: str, table: Any, expected: Sequence[str] | None = None
    ) -> None:
        self.file = file
        self.item = item
        if not isinstance(table, dict):
            self.fail(f"expected a table of fields, found {type(table).__name__}")
        self.table: dict[str, Any] = table
        # Unknown fields are reported before missing ones, so `txet` reads as the typo it is
        # rather than as "missing field 'text'".
        if expected is not None:
            unknown = sorted(set(table) - set(expected))
            if unknown:
                self.fail(f"unknown field '{unknown[0]}' (expected: {', '.join(expected)})")

    def fail(self, problem: str) -> NoReturn:
        raise ContentError(self.file, problem, self.item)

    def _get(self, key: str, kind: type | tuple[type, ...], kind_name: str) -> Any:
        if key not in self.table:
            self.fail(f"missing field '{key}'")
        value = self.table[key]
        # bool is a subclass of int in Python; keep `rounds = true` from passing as 1.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            self.fail(f"field '{key}' needs to be {kind_name}")
        return value

    def text(self, key: str) -> str:
        return self._get(key, str, "text in quotes")

    def flag(self, key: str) -> bool:
        return self._get(key, bool, "true or false")

    def number(self, key: str, *, low: int, high: int) -> int:
        value = self._get(key, int, "a whole number")
        if not low <= value <= high:
            self.fail(f"field '{key}' needs to be between {low} and {high}")
        return value

    def ident(self, key: str = "id") -> str:
        value = self.text(key)
        _check_id(self.file, self.item, value)
        return value

    def texts(self, key: str, *, minimum: int = 0, optional: bool = False) -> tuple[str, ...]:
        if optional and key not in self.table:
            return ()
        values = self._get(key, list, 'a list of texts in quotes, like ["...", "..."]')
        if not all(isinstance(v, str) for v in values):
            self.fail(f"field '{key}' needs to hold only texts in quotes")
        if len(values) < minimum:
            self.fail(f"field '{key}' needs at least {minimum} entries, found {len(values)}")
        return tuple(values)

    def tables(self, key: str) -> list[Any]:
        return self._get(key, list, f"a list of [[...{key}]] entries")

    def section(self, key: str) -> dict[str, Any]:
        return self._get(key, dict, f"a [{key}] table")


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _check_id(file: str, item: str | None, value: str) -> None:
    if not ID_PATTERN.fullmatch(value):
        raise ContentError(
            file,
            f"id {value!r} needs to be 1 to 24 of: lowercase a-z, digits 0-9, underscore",
            item,
        )


def _check_unique(file: str, kind: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for id_ in ids:
        if id_ in seen:
            raise ContentError(file, f"id '{id_}' is used more than once", f"{kind} '{id_}'")
        seen.add(id_)


def _entries(doc: dict[str, Any], file: str, key: str) -> list[Any]:
    """The `[[key]]` entries of a file (an error if there are none or it is not a list)."""
    entries = doc.get(key)
    if not isinstance(entries, list) or not entries:
        raise ContentError(file, f"no [[{key}]] entries found")
    return entries


def _item(kind: str, entry: Any, index: int) -> str:
    """How an entry is named in error messages: by id when it has a usable one."""
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"].strip():
        return f"{kind} '{entry['id']}'"
    return f"{kind} #{index}"


def _top_level(file: str, doc: dict[str, Any], expected: Sequence[str]) -> None:
    unknown = sorted(set(doc) - set(expected))
    if unknown:
        raise ContentError(
            file, f"unknown section '{unknown[0]}' (expected: {', '.join(expected)})"
        )


# --- one reader per file -------------------------------------------------------------------


def _read_prompts(doc: dict[str, Any]) -> tuple[tuple[Prompt, ...], dict[str, Theme]]:
    file = PROMPTS_FILE
    _top_level(file, doc, ("prompt", "themes"))

    themes: dict[str, Theme] = {}
    themes_table = _Fields(file, "[themes]", doc).section("themes")
    if not themes_table:
        raise ContentError(file, "no [themes.<id>] tables found")
    for theme_id, body in themes_table.items():
        item = f"theme '{theme_id}'"
        _check_id(file, item, theme_id)
        fields = _Fields(file, item, body, ("label", "acknowledgements"))
        themes[theme_id] = Theme(
            id=theme_id,
            label=fields.text("label"),
            acknowledgements=fields.texts("acknowledgements", minimum=MIN_ACKNOWLEDGEMENTS),
        )

    prompts: list[Prompt] = []
    for index, entry in enumerate(_entries(doc, file, "prompt"), start=1):
        fields = _Fields(
            file, _item("prompt", entry, index), entry, ("id", "theme", "text", "gentle")
        )
        prompt = Prompt(
            id=fields.ident(),
            theme=fields.text("theme"),
            text=fields.text("text"),
            gentle=fields.flag("gentle"),
        )
        if prompt.theme not in themes:
            fields.fail(f"theme '{prompt.theme}' is not one of the [themes.<id>] tables")
        prompts.append(prompt)
    _check_unique(file, "prompt", (p.id for p in prompts))

    if len(prompts) < MIN_PROMPTS:
        raise ContentError(file, f"needs at least {MIN_PROMPTS} prompts, found {len(prompts)}")
    gentle = sum(p.gentle for p in prompts)
    if gentle < MIN_GENTLE_PROMPTS:
        raise ContentError(
            file, f"needs at least {MIN_GENTLE_PROMPTS} prompts with gentle = true, found {gentle}"
        )
    for theme_id in themes:
        count = sum(p.theme == theme_id for p in prompts)
        if count < MIN_PROMPTS_PER_THEME:
            raise ContentError(file, "no prompts use this theme", f"theme '{theme_id}'")
    return tuple(prompts), themes


def _read_wins_setbacks(
    doc: dict[str, Any],
) -> tuple[tuple[WinKind, ...], tuple[Feeling, ...], tuple[NextStep, ...], tuple[SocialStep, ...]]:
    file = WINS_SETBACKS_FILE
    _top_level(file, doc, ("win_kind", "feeling", "next_step", "social_step"))

    win_kinds: list[WinKind] = []
    for index, entry in enumerate(_entries(doc, file, "win_kind"), start=1):
        fields = _Fields(
            file, _item("win_kind", entry, index), entry, ("id", "label", "celebrations")
        )
        kind = WinKind(
            id=fields.ident(),
            label=fields.text("label"),
            celebrations=fields.texts("celebrations", minimum=MIN_CELEBRATIONS),
        )
        if len(kind.label) > WIN_LABEL_MAX_CHARS:
            fields.fail(f"label is {len(kind.label)} characters, over {WIN_LABEL_MAX_CHARS}")
        win_kinds.append(kind)
    _check_unique(file, "win_kind", (w.id for w in win_kinds))
    present = {w.id for w in win_kinds}
    for required in REQUIRED_WIN_KINDS:
        if required not in present:
            raise ContentError(file, f"the win kind '{required}' is missing", "[[win_kind]]")

    feelings: list[Feeling] = []
    for index, entry in enumerate(_entries(doc, file, "feeling"), start=1):
        fields = _Fields(file, _item("feeling", entry, index), entry, ("id", "label"))
        feelings.append(Feeling(id=fields.ident(), label=fields.text("label")))
    _check_unique(file, "feeling", (f.id for f in feelings))

    next_steps: list[NextStep] = []
    for index, entry in enumerate(_entries(doc, file, "next_step"), start=1):
        fields = _Fields(file, f"next_step #{index}", entry, ("text",))
        next_steps.append(NextStep(text=fields.text("text")))
    if len(next_steps) < MIN_NEXT_STEPS:
        raise ContentError(
            file, f"needs at least {MIN_NEXT_STEPS} [[next_step]] ideas, found {len(next_steps)}"
        )

    social_steps: list[SocialStep] = []
    for index, entry in enumerate(_entries(doc, file, "social_step"), start=1):
        fields = _Fields(
            file, _item("social_step", entry, index), entry, ("id", "label", "suggestion")
        )
        social_steps.append(
            SocialStep(
                id=fields.ident(), label=fields.text("label"), suggestion=fields.text("suggestion")
            )
        )
    ladder = tuple(s.id for s in social_steps)
    if ladder != SOCIAL_LADDER:
        raise ContentError(
            file,
            f"the social ladder needs exactly these ids in this order: {', '.join(SOCIAL_LADDER)}"
            f" (found: {', '.join(ladder) or 'none'})",
            "[[social_step]]",
        )
    return tuple(win_kinds), tuple(feelings), tuple(next_steps), tuple(social_steps)


_REFRAME_FIELDS = ("id", "feelings", "noticing", "common_humanity", "kindness")


def _read_reframes(doc: dict[str, Any], feeling_ids: AbstractSet[str]) -> tuple[Reframe, ...]:
    file = REFRAMES_FILE
    _top_level(file, doc, ("reframe",))
    reframes: list[Reframe] = []
    for index, entry in enumerate(_entries(doc, file, "reframe"), start=1):
        fields = _Fields(file, _item("reframe", entry, index), entry, _REFRAME_FIELDS)
        reframe = Reframe(
            id=fields.ident(),
            feelings=fields.texts("feelings", optional=True),
            noticing=fields.text("noticing"),
            common_humanity=fields.text("common_humanity"),
            kindness=fields.text("kindness"),
        )
        for feeling in reframe.feelings:
            if feeling not in feeling_ids:
                fields.fail(
                    f"feeling '{feeling}' is not a [[feeling]] id in {WINS_SETBACKS_FILE}"
                    f" (known: {', '.join(sorted(feeling_ids))})"
                )
        if utf16_length(reframe.message) > MESSAGE_MAX_UTF16:
            fields.fail(f"the three parts together are over Telegram's {MESSAGE_MAX_UTF16}")
        reframes.append(reframe)
    _check_unique(file, "reframe", (r.id for r in reframes))
    if len(reframes) < MIN_REFRAMES:
        raise ContentError(file, f"needs at least {MIN_REFRAMES} reframes, found {len(reframes)}")
    return tuple(reframes)


_HELP_FIELDS = ("name", "emergency", "directory", "fallback", "lines", "abuse")
_HELP_LINE_FIELDS = ("name", "contact", "note")


def _read_help_lines(file: str, item: str, fields: _Fields, key: str) -> tuple[HelpLine, ...]:
    """The `[[...<key>]]` entries of one help entry, each read strictly."""
    label = "line" if key == "lines" else f"{key} line"
    lines: list[HelpLine] = []
    for index, line in enumerate(fields.tables(key), start=1):
        line_fields = _Fields(file, f"{item} > {label} #{index}", line, _HELP_LINE_FIELDS)
        lines.append(
            HelpLine(
                name=line_fields.text("name"),
                contact=line_fields.text("contact"),
                note=line_fields.text("note"),
            )
        )
    return tuple(lines)


def _is_https_address(text: str) -> bool:
    if any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
        return parts.scheme == "https" and bool(parts.hostname)
    except ValueError:  # e.g. a broken [IPv6] host
        return False


def _read_help_entry(file: str, item: str, body: Any, country: str | None) -> HelpResources:
    fields = _Fields(file, item, body, _HELP_FIELDS)
    name = fields.text("name")
    emergency = fields.text("emergency")
    directory = fields.text("directory")
    if not _is_https_address(directory):
        fields.fail(
            f"field 'directory' needs to be a web address starting with https://, like "
            f"https://findahelpline.com/countries/gb (found {directory!r})"
        )
    fallback = fields.flag("fallback") if "fallback" in fields.table else False
    lines = _read_help_lines(file, item, fields, "lines")
    if not lines:
        fields.fail("needs at least one line in 'lines'")
    abuse: tuple[HelpLine, ...] = ()
    if "abuse" in fields.table:
        abuse = _read_help_lines(file, item, fields, "abuse")
        if not abuse:
            fields.fail("'abuse' has no entries: add a [[...abuse]] line or leave 'abuse' out")
    if fallback and not any(line.contact == directory for line in lines):
        fields.fail(
            "with fallback = true, one line's contact needs to be the directory address "
            f"({directory}), so the person is sent somewhere"
        )
    return HelpResources(
        country=country,
        name=name,
        emergency=emergency,
        lines=lines,
        abuse=abuse,
        directory=directory,
        fallback=fallback,
    )


def _read_help(doc: dict[str, Any]) -> tuple[dict[str, HelpResources], HelpResources]:
    file = HELP_FILE
    _top_level(file, doc, ("country", "default"))
    help_by_country: dict[str, HelpResources] = {}
    for code, body in _Fields(file, "[country]", doc).section("country").items():
        item = f"country '{code}'"
        if not COUNTRY_PATTERN.fullmatch(code):
            raise ContentError(file, "country codes are two capital letters, like US", item)
        help_by_country[code] = _read_help_entry(file, item, body, code)
    default_body = _Fields(file, "[default]", doc).section("default")
    default = _read_help_entry(file, "[default]", default_body, None)
    return help_by_country, default


def _read_grounding(doc: dict[str, Any]) -> tuple[Grounding, Breathing, CheckIn]:
    file = GROUNDING_FILE
    _top_level(file, doc, ("grounding", "breathing", "check_in"))
    top = _Fields(file, "top level", doc)

    fields = _Fields(file, "[grounding]", top.section("grounding"), ("intro", "steps", "closing"))
    grounding = Grounding(
        intro=fields.text("intro"),
        steps=fields.texts("steps", minimum=GROUNDING_STEP_COUNT),
        closing=fields.text("closing"),
    )
    if len(grounding.steps) != GROUNDING_STEP_COUNT:
        fields.fail(f"'steps' needs exactly {GROUNDING_STEP_COUNT} entries (5, 4, 3, 2, 1)")

    fields = _Fields(
        file, "[breathing]", top.section("breathing"), ("intro", "rounds", "closing", "phase")
    )
    intro = fields.text("intro")
    rounds = fields.number("rounds", low=1, high=10)
    closing = fields.text("closing")
    phases: list[BreathPhase] = []
    for index, entry in enumerate(fields.tables("phase"), start=1):
        phase_fields = _Fields(
            file, _item("breathing phase", entry, index), entry, ("id", "label", "seconds")
        )
        phases.append(
            BreathPhase(
                id=phase_fields.ident(),
                label=phase_fields.text("label"),
                seconds=phase_fields.number("seconds", low=1, high=10),
            )
        )
    if not phases:
        fields.fail("needs at least one [[breathing.phase]]")
    _check_unique(file, "breathing phase", (p.id for p in phases))
    breathing = Breathing(intro=intro, phases=tuple(phases), rounds=rounds, closing=closing)

    fields = _Fields(file, "[check_in]", top.section("check_in"), ("question", "answer"))
    question = fields.text("question")
    answers: list[CheckInAnswer] = []
    for index, entry in enumerate(fields.tables("answer"), start=1):
        answer_fields = _Fields(
            file, _item("check_in answer", entry, index), entry, ("id", "label", "reply")
        )
        answers.append(
            CheckInAnswer(
                id=answer_fields.ident(),
                label=answer_fields.text("label"),
                reply=answer_fields.text("reply"),
            )
        )
    found = tuple(a.id for a in answers)
    if found != CHECK_IN_ANSWERS:
        fields.fail(
            f"answers need exactly these ids in this order: {', '.join(CHECK_IN_ANSWERS)}"
            f" (found: {', '.join(found) or 'none'})"
        )
    return grounding, breathing, CheckIn(question=question, answers=tuple(answers))


# --- loading -------------------------------------------------------------------------------


def _parse(directory: Path, file: str) -> dict[str, Any]:
    path = directory / file
    try:
        with path.open("rb") as handle:
            doc = tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(file, f"file not found in {directory}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(file, f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ContentError(file, f"not valid UTF-8 text: {exc}") from None
    _StringChecks(file).walk(doc, [])
    return doc


def load_library(directory: Path | None = None) -> Library:
    """Load and check every content file; raise ContentError at the first problem found.

    `directory` defaults to the folder of this module, where the shipped files live.
    """
    directory = Path(__file__).parent if directory is None else Path(directory)
    docs = {file: _parse(directory, file) for file in CONTENT_FILES}

    prompts, themes = _read_prompts(docs[PROMPTS_FILE])
    win_kinds, feelings, next_steps, social_steps = _read_wins_setbacks(docs[WINS_SETBACKS_FILE])
    reframes = _read_reframes(docs[REFRAMES_FILE], {f.id for f in feelings})
    help_by_country, help_default = _read_help(docs[HELP_FILE])
    grounding, breathing, check_in = _read_grounding(docs[GROUNDING_FILE])

    return Library(
        prompts=prompts,
        themes=MappingProxyType(themes),
        reframes=reframes,
        win_kinds=win_kinds,
        feelings=feelings,
        next_steps=next_steps,
        social_steps=social_steps,
        help=MappingProxyType(help_by_country),
        help_default=help_default,
        grounding=grounding,
        breathing=breathing,
        check_in=check_in,
    )

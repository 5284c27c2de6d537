"""The content library: the shipped files load and meet the counts; broken files are refused.

Each validation test copies the shipped content to a temporary folder, breaks one file in one way
(the way an editor might by accident), and checks that loading fails with a message naming that
file, so whoever made the edit knows where to look.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content import library as content
from bot.content.library import ContentError, Library, html_problem, load_library

CONTENT_DIR = Path(content.__file__).parent


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped content files, safe to break."""
    for name in content.CONTENT_FILES:
        shutil.copy(CONTENT_DIR / name, tmp_path / name)
    return tmp_path


def append(directory: Path, file: str, toml: str) -> None:
    with (directory / file).open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml + "\n")


def replace_once(directory: Path, file: str, old: str, new: str) -> None:
    path = directory / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not found in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def load_error(directory: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_library(directory)
    return caught.value


def new_prompt(
    id: str = "new_prompt", theme: str = "grounding", text: str = "What is here?"
) -> str:
    return f'[[prompt]]\nid = "{id}"\ntheme = "{theme}"\ntext = "{text}"\ngentle = false'


def new_reframe(
    id: str = "new_reframe", feelings: str = '["sad"]', kindness: str = "Go slow."
) -> str:
    return (
        f'[[reframe]]\nid = "{id}"\nfeelings = {feelings}\n'
        f'noticing = "This is hard."\ncommon_humanity = "Others feel this too."\n'
        f'kindness = "{kindness}"'
    )


# --- the shipped library -------------------------------------------------------------------


def test_shipped_library_meets_the_counts(lib: Library) -> None:
    assert len(lib.prompts) >= 66
    assert sum(p.gentle for p in lib.prompts) >= 10
    assert len(lib.reframes) >= 24
    assert len(lib.next_steps) >= 8
    assert len(lib.feelings) >= 8
    assert [w.id for w in lib.win_kinds] == list(content.REQUIRED_WIN_KINDS)
    assert [s.id for s in lib.social_steps] == list(content.SOCIAL_LADDER)
    for kind in lib.win_kinds:
        assert len(kind.celebrations) >= 3
        assert len(kind.label) <= 30


def test_every_theme_has_prompts_and_acknowledgements(lib: Library) -> None:
    expected = {
        "grounding",
        "active_listening",
        "self_kindness",
        "boundaries",
        "social_steps",
        "routines",
        "connected_moments",
        "meaning_values",
        "small_victories",
    }
    assert set(lib.themes) == expected
    for theme in expected:
        assert sum(p.theme == theme for p in lib.prompts) >= 5, theme
        assert len(lib.themes[theme].acknowledgements) >= 3, theme


def test_every_feeling_has_a_fitting_reframe(lib: Library) -> None:
    # Not enforced by the loader (a general reframe is a fine fallback), but shipped content
    # answers every feeling someone can pick with something made for it.
    for feeling in lib.feelings:
        assert any(feeling.id in r.feelings for r in lib.reframes), feeling.id


def test_grounding_and_breathing_scripts(lib: Library) -> None:
    assert len(lib.grounding.steps) == 5
    assert lib.breathing.rounds == 4
    assert [p.seconds for p in lib.breathing.phases] == [4, 4, 4, 4]
    assert [a.id for a in lib.check_in.answers] == ["better", "same", "worse"]
    hard_moment_texts = [
        lib.grounding.intro,
        *lib.grounding.steps,
        lib.grounding.closing,
        lib.breathing.intro,
        lib.breathing.closing,
        lib.check_in.question,
        *(a.reply for a in lib.check_in.answers),
    ]
    assert all("!" not in text for text in hard_moment_texts)


def test_pick_prompt_gentle_returns_only_gentle(lib: Library) -> None:
    rng = random.Random(7)
    picks = {lib.pick_prompt(rng, gentle=True).id for _ in range(300)}
    assert all(lib.prompt(id).gentle for id in picks)
    assert len(picks) > 1  # it really picks among them


def test_pick_prompt_avoids_excluded_until_none_are_left(lib: Library) -> None:
    rng = random.Random(3)
    gentle_ids = {p.id for p in lib.prompts if p.gentle}
    keep = sorted(gentle_ids)[0]
    for _ in range(50):
        assert lib.pick_prompt(rng, gentle=True, exclude=gentle_ids - {keep}).id == keep
    # Seen them all: a repeat is better than nothing.
    assert lib.pick_prompt(rng, gentle=True, exclude=gentle_ids).id in gentle_ids


def test_acknowledgement_and_celebration_fit(lib: Library) -> None:
    rng = random.Random(1)
    assert lib.acknowledgement("routines", rng) in lib.themes["routines"].acknowledgements
    assert lib.celebration("paused", rng) in lib.win_kind("paused").celebrations
    # A stale button with a kind that no longer exists still gets a kind reply.
    assert lib.celebration("gone_kind", rng) in lib.win_kind("other").celebrations


def test_reframe_for_matches_the_feeling_or_falls_back_to_general(lib: Library) -> None:
    rng = random.Random(5)
    for _ in range(30):
        assert "lonely" in lib.reframe_for("lonely", rng).feelings
        assert lib.reframe_for(None, rng).feelings == ()
        assert lib.reframe_for("no_such_feeling", rng).feelings == ()
    reframe = lib.reframe_for("sad", rng)
    assert reframe.message == "\n\n".join(
        [reframe.noticing, reframe.common_humanity, reframe.kindness]
    )


def test_help_for_a_listed_country(lib: Library) -> None:
    us = lib.help_for("US")
    assert us.country == "US"
    assert any("988" in line.contact for line in us.lines)
    assert us.emergency == "911"
    assert lib.help_for("us") == us  # codes are accepted in any case
    assert "116 123" in lib.help_for("GB").lines[0].contact


@pytest.mark.parametrize("country", ["ZZ", None, ""])
def test_help_for_anywhere_else_is_the_default(lib: Library, country: str | None) -> None:
    help_ = lib.help_for(country)
    assert help_.is_default
    assert any("findahelpline.com" in line.contact for line in help_.lines)
    assert "112" in help_.emergency
    assert help_.directory == "https://findahelpline.com"


def test_help_abuse_lines_and_directory(lib: Library) -> None:
    gb = lib.help_for("GB")
    assert gb.directory == "https://findahelpline.com/countries/gb"
    assert "0808 2000 247" in gb.abuse[0].contact
    assert not gb.fallback
    assert lib.help_for("CA").abuse == ()  # abuse lines are optional


def test_help_for_a_country_with_no_confirmed_line(lib: Library) -> None:
    ng = lib.help_for("NG")
    assert ng.fallback
    assert ng.emergency == "112"
    assert [line.contact for line in ng.lines] == ["https://findahelpline.com/countries/ng"]


# --- the help file's checks ----------------------------------------------------------------


@pytest.mark.parametrize(
    "directory",
    [
        "http://findahelpline.com/countries/gb",
        "findahelpline.com/countries/gb",
        "https://",
        "https://findahelpline.com/countries/ g b",
    ],
)
def test_help_directory_needs_to_be_an_https_address(content_copy: Path, directory: str) -> None:
    replace_once(
        content_copy,
        content.HELP_FILE,
        'directory = "https://findahelpline.com/countries/gb"',
        f'directory = "{directory}"',
    )
    error = load_error(content_copy)
    assert content.HELP_FILE in str(error)
    assert "country 'GB'" in str(error)
    assert "https://" in str(error)


def test_help_directory_is_required(content_copy: Path) -> None:
    replace_once(
        content_copy,
        content.HELP_FILE,
        'directory = "https://findahelpline.com/countries/gb"\n',
        "",
    )
    error = load_error(content_copy)
    assert "country 'GB'" in str(error)
    assert "missing field 'directory'" in str(error)


def test_help_default_needs_a_directory_too(content_copy: Path) -> None:
    replace_once(content_copy, content.HELP_FILE, 'directory = "https://findahelpline.com"\n', "")
    error = load_error(content_copy)
    assert "[default]" in str(error)
    assert "directory" in str(error)


def test_help_fallback_needs_a_line_to_the_directory(content_copy: Path) -> None:
    replace_once(
        content_copy,
        content.HELP_FILE,
        'contact = "https://findahelpline.com/countries/ng"',
        'contact = "https://findahelpline.com"',
    )
    error = load_error(content_copy)
    assert "country 'NG'" in str(error)
    assert "fallback = true" in str(error)


def test_help_abuse_line_typo_is_named(content_copy: Path) -> None:
    replace_once(
        content_copy,
        content.HELP_FILE,
        'contact = "Call 0808 2000 247"',
        'contcat = "Call 0808 2000 247"',
    )
    error = load_error(content_copy)
    assert "country 'GB' > abuse line #1" in str(error)
    assert "contcat" in str(error)


def test_help_abuse_lines_follow_the_hard_moment_rules(content_copy: Path) -> None:
    replace_once(
        content_copy,
        content.HELP_FILE,
        'contact = "Call 0808 2000 247"',
        'contact = "Call 0808 2000 247 now!"',
    )
    error = load_error(content_copy)
    assert content.HELP_FILE in str(error)
    assert "exclamation" in str(error)


def test_help_country_without_lines_is_refused(content_copy: Path) -> None:
    append(
        content_copy,
        content.HELP_FILE,
        '[country.ZZ]\nname = "Nowhere"\nemergency = "112"\n'
        'directory = "https://findahelpline.com/countries/zz"\nlines = []',
    )
    error = load_error(content_copy)
    assert "country 'ZZ'" in str(error)
    assert "at least one line" in str(error)


# --- the HTML checker ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        "<b>bold</b> and <i>italic</i>, <u>u</u>, <s>s</s>, <code>x</code>",
        '<a href="https://findahelpline.com">Find a helpline</a>',
        "Sam &amp; Alex, 3 &lt; 4, &gt;, &quot;, &#128578;, &#x1F642;",
        "<b><i>nested</i></b>",
    ],
)
def test_valid_telegram_html_passes(text: str) -> None:
    assert html_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "<b>unclosed",
        "<b>crossed <i>tags</b></i>",
        "</b>",
        "I <3 you",
        "a > b",
        "Sam & Alex",
        "&nbsp;",
        "&amp without semicolon",
        "<p>paragraph</p>",
        "<br/>",
        '<b class="x">attr</b>',
        "<a>no href</a>",
        '<a href="javascript:alert(1)">x</a>',
        "<code><b>inside code</b></code>",
        "<!-- comment -->",
    ],
)
def test_invalid_telegram_html_is_caught(text: str) -> None:
    assert html_problem(text) is not None


# --- each validation rule, one broken file at a time ---------------------------------------


@pytest.mark.parametrize("file", content.CONTENT_FILES)
def test_broken_toml_syntax_names_the_file(content_copy: Path, file: str) -> None:
    append(content_copy, file, '[[oops\ntext = "unclosed')
    error = load_error(content_copy)
    assert error.file == file
    assert file in str(error)
    assert "TOML" in str(error)


def test_missing_file_names_the_file(content_copy: Path) -> None:
    (content_copy / content.GROUNDING_FILE).unlink()
    assert content.GROUNDING_FILE in str(load_error(content_copy))


def test_duplicate_prompt_id(content_copy: Path, lib: Library) -> None:
    first = lib.prompts[0].id
    append(content_copy, content.PROMPTS_FILE, new_prompt(id=first))
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert first in str(error)
    assert "more than once" in str(error)


def test_duplicate_feeling_id(content_copy: Path) -> None:
    append(content_copy, content.WINS_SETBACKS_FILE, '[[feeling]]\nid = "sad"\nlabel = "Blue"')
    error = load_error(content_copy)
    assert content.WINS_SETBACKS_FILE in str(error)
    assert "'sad'" in str(error)


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        (content.PROMPTS_FILE, 'label = "Small wins"', 'label = "   "'),
        (content.REFRAMES_FILE, 'noticing = "This is a hard moment."', 'noticing = ""'),
        (content.WINS_SETBACKS_FILE, 'label = "Numb"', 'label = " "'),
        (content.HELP_FILE, 'contact = "Call 3114"', 'contact = ""'),
        (content.GROUNDING_FILE, 'question = "How are you now?"', 'question = "\\n"'),
    ],
)
def test_empty_string_anywhere(content_copy: Path, file: str, old: str, new: str) -> None:
    replace_once(content_copy, file, old, new)
    error = load_error(content_copy)
    assert error.file == file
    assert "empty" in str(error)


def test_empty_string_names_the_item(content_copy: Path) -> None:
    append(content_copy, content.REFRAMES_FILE, new_reframe(id="blank_one", kindness="   "))
    error = load_error(content_copy)
    assert content.REFRAMES_FILE in str(error)
    assert "blank_one" in str(error)
    assert "kindness" in str(error)


def test_unknown_theme(content_copy: Path) -> None:
    append(content_copy, content.PROMPTS_FILE, new_prompt(id="lost_prompt", theme="astrology"))
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert "lost_prompt" in str(error)
    assert "astrology" in str(error)


def test_theme_without_prompts(content_copy: Path) -> None:
    append(
        content_copy,
        content.PROMPTS_FILE,
        '[themes.empty_theme]\nlabel = "Nothing yet"\nacknowledgements = ["a", "b", "c"]',
    )
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert "empty_theme" in str(error)


def test_unknown_feeling(content_copy: Path) -> None:
    append(content_copy, content.REFRAMES_FILE, new_reframe(id="odd_one", feelings='["bored"]'))
    error = load_error(content_copy)
    assert content.REFRAMES_FILE in str(error)
    assert "odd_one" in str(error)
    assert "bored" in str(error)


def test_overlong_text(content_copy: Path) -> None:
    append(content_copy, content.PROMPTS_FILE, new_prompt(id="long_one", text="a" * 4097))
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert "long_one" in str(error)
    assert "4096" in str(error)


def test_overlong_label(content_copy: Path) -> None:
    replace_once(content_copy, content.WINS_SETBACKS_FILE, 'label = "Sad"', f'label = "{"S" * 41}"')
    error = load_error(content_copy)
    assert content.WINS_SETBACKS_FILE in str(error)
    assert "sad" in str(error)


def test_win_label_over_30(content_copy: Path) -> None:
    replace_once(
        content_copy,
        content.WINS_SETBACKS_FILE,
        'label = "I kept a boundary"',
        'label = "I kept a boundary with my family"',
    )
    error = load_error(content_copy)
    assert content.WINS_SETBACKS_FILE in str(error)
    assert "boundary" in str(error)


@pytest.mark.parametrize("bad", ["<b>unclosed", "Sam & Alex", "I <3 you", "<p>para</p>"])
def test_bad_html(content_copy: Path, bad: str) -> None:
    append(content_copy, content.PROMPTS_FILE, new_prompt(id="html_one", text=bad))
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert "html_one" in str(error)
    assert "HTML" in str(error)


@pytest.mark.parametrize(
    "phrase",
    [
        "Stay positive.",
        "Just  breathe.",
        "You should rest.",
        "Don’t forget to rest.",
        "Streaks help.",
    ],
)
def test_banned_phrase(content_copy: Path, phrase: str) -> None:
    append(content_copy, content.REFRAMES_FILE, new_reframe(id="cliche", kindness=phrase))
    error = load_error(content_copy)
    assert content.REFRAMES_FILE in str(error)
    assert "cliche" in str(error)
    assert "banned phrase" in str(error)


def test_banned_phrase_in_help_file(content_copy: Path) -> None:
    replace_once(
        content_copy, content.HELP_FILE, 'note = "Free, any time', 'note = "Time heals. Free'
    )
    error = load_error(content_copy)
    assert content.HELP_FILE in str(error)
    assert "time heals" in str(error)


@pytest.mark.parametrize("bad_id", ["Has-Caps", "much_too_long_for_callback_data", "with space"])
def test_bad_id(content_copy: Path, bad_id: str) -> None:
    append(content_copy, content.PROMPTS_FILE, new_prompt(id=bad_id))
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert bad_id in str(error)


def test_missing_win_kind(content_copy: Path) -> None:
    replace_once(content_copy, content.WINS_SETBACKS_FILE, 'id = "grounded"', 'id = "steadied"')
    error = load_error(content_copy)
    assert content.WINS_SETBACKS_FILE in str(error)
    assert "grounded" in str(error)


def test_unknown_field_is_a_typo(content_copy: Path) -> None:
    append(
        content_copy,
        content.PROMPTS_FILE,
        '[[prompt]]\nid = "typo"\ntheme = "grounding"\ntxet = "Hi"\ngentle = false',
    )
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert "typo" in str(error)
    assert "text" in str(error)


def test_exclamation_mark_in_hard_moment_content(content_copy: Path) -> None:
    replace_once(
        content_copy,
        content.GROUNDING_FILE,
        'question = "How are you now?"',
        'question = "How are you now!"',
    )
    error = load_error(content_copy)
    assert content.GROUNDING_FILE in str(error)
    assert "exclamation" in str(error)


def test_too_few_prompts(content_copy: Path) -> None:
    path = content_copy / content.PROMPTS_FILE
    text = path.read_text(encoding="utf-8")
    # Keep the themes, drop most prompts: the file parses but falls below the minimum.
    themes_start = text.index("\n[themes.grounding]")
    first_prompts = text.split("[[prompt]]")[:20]
    path.write_text("[[prompt]]".join(first_prompts) + "\n" + text[themes_start:], "utf-8")
    error = load_error(content_copy)
    assert content.PROMPTS_FILE in str(error)
    assert "at least" in str(error)


@pytest.mark.parametrize(
    ("file", "breakage"),
    [
        (content.REFRAMES_FILE, lambda text: text.split("# --- numb")[0]),
        (
            content.GROUNDING_FILE,
            lambda text: text.replace('    "Two things you can smell.', "#", 1),
        ),
    ],
)
def test_counts_are_enforced(content_copy: Path, file: str, breakage: Callable[[str], str]) -> None:
    path = content_copy / file
    path.write_text(breakage(path.read_text(encoding="utf-8")), encoding="utf-8")
    error = load_error(content_copy)
    assert error.file == file

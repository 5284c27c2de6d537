"""Every interface text (bot/content/ui*.toml) follows the content rules, and the loader refuses
one that does not, naming its file and key.

The rules: valid Telegram HTML, none of the banned phrases, no exclamation marks, no emoji, short
plain button labels and toasts, and exactly the placeholders the code fills in (read from every
``ui("key", name=...)`` call in the code that names its key outright; a key the code builds or
picks through a variable gets the load's check that its placeholders are plain names).
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content.library import BANNED_PHRASES, LABEL_MAX_CHARS, html_problem
from bot.content.ui import UiTextError, load_ui
from bot.content.ui_checks import TOAST_MAX_CHARS, UI_ALLOWED_TAGS, placeholders

ROOT = Path(__file__).resolve().parents[2]
CODE_FOLDERS = ("bot", "handlers", "scheduler", "sandbox")
TEXTS = load_ui().texts

# Placeholders named by the tests this one replaced (kept as they were, on top of the code scan).
KNOWN_PLACEHOLDERS = {
    "scheduler.prompt": {"prompt"},
    "scheduler.prompt_again": {"prompt"},
    "scheduler.later_ok": {"time"},
    "share.caption": {"weeks"},
    "routines_check.done": {"summary"},
    "routines_check.answer_okay": {"part"},
    "routines_check.answer_not_great": {"part"},
    "routines_check.answer_skipped": {"part"},
    "pause.breath_phase": {"label", "seconds", "round", "rounds"},
    "pause.quiet_saved": {"when", "zone"},
    "pause.quiet_longer_kept": {"when", "zone"},
    "pause.help_line": {"name", "contact", "note"},
    "pause.help_emergency": {"emergency"},
    "pause.trusted_with_contact": {"name", "contact"},
    "pause.trusted_name_only": {"name"},
    "resume.resumed": {"when"},
    "safety.unsafe_lead": {"emergency"},
}


def _key_pattern(node: ast.expr) -> str | None:
    """A regex for the keys a ``ui(...)`` call's first argument names outright, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.IfExp):
        body, orelse = _key_pattern(node.body), _key_pattern(node.orelse)
        return f"(?:{body}|{orelse})" if body and orelse else None
    return None


def ui_calls() -> Iterator[tuple[str, str, set[str]]]:
    """(where, key pattern, names filled in) for every ``ui(...)`` call whose key and names the
    code spells out."""
    for folder in CODE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                pattern = _key_pattern(node.args[0]) if name == "ui" else None
                if pattern is None or any(kw.arg is None for kw in node.keywords):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                yield where, pattern, {kw.arg for kw in node.keywords if kw.arg}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_interface_text_follows_the_content_rules(key: str) -> None:
    text = TEXTS[key]
    assert html_problem(text, UI_ALLOWED_TAGS) is None
    lowered = text.lower().replace("\u2019", "'")
    assert not [phrase for phrase in BANNED_PHRASES if phrase in lowered]
    assert "!" not in text
    assert not any(unicodedata.category(char) == "So" for char in text)
    if key.endswith(("_button", "_toast")):
        assert "<" not in text and "&" not in text
    if key.endswith("_button"):
        assert len(text) <= LABEL_MAX_CHARS
    if key.endswith("_toast"):
        assert len(text) <= TOAST_MAX_CHARS


def test_every_text_has_exactly_the_placeholders_the_code_fills_in() -> None:
    checked: set[str] = set()
    wrong: list[str] = []
    for where, pattern, names in ui_calls():
        keys = [key for key in TEXTS if re.fullmatch(pattern, key)]
        assert keys, f"{where}: no interface text matches {pattern!r}"
        for key in keys:
            checked.add(key)
            if placeholders(TEXTS[key]) != names:
                wrong.append(f"{where}: {key} has {placeholders(TEXTS[key])}, code fills {names}")
    assert not wrong, "\n".join(wrong)
    for key, names in KNOWN_PLACEHOLDERS.items():
        assert placeholders(TEXTS[key]) == names, key
    # Most keys are named outright in the code; the rest are picked through a variable.
    assert len(checked) > 0.7 * len(TEXTS)


def test_the_texts_features_rely_on_are_there() -> None:
    assert "week.not_set_up" in TEXTS and "routines_check.ask_sleep" in TEXTS
    assert {"scheduler.later_button", "scheduler.skip_button"} <= set(TEXTS)
    reliability = {key: text for key, text in TEXTS.items() if key.startswith("reliability.")}
    assert set(reliability) == {"reliability.zone_lost", "reliability.settings_zone_lost"}
    for key, text in reliability.items():
        assert "{" not in text, key
        assert "/settings" in text or "Time zone" in text, key  # always the way back


BROKEN = {
    "html": ('unclosed = "<b>Hello"', "<b> is never closed"),
    "tag": ('quote = "<h1>Hello</h1>"', "tag <h1> is not allowed"),
    "banned": ('nudge = "Keep your streak going."', 'banned phrase "streak"'),
    "placeholder": ('count = "You wrote {0} times."', "placeholder {0} needs to be a plain name"),
    "brace": ('brace = "A { alone."', "a brace that is not a placeholder"),
    "exclamation": ('cheer = "Lovely!"', "no exclamation marks"),
    "emoji": ('sparkle = "Lovely \u2728"', "no emoji"),
    "label": (f'long_button = "{"a" * (LABEL_MAX_CHARS + 1)}"', "over 40"),
    "markup": ('bold_toast = "<b>Kept</b>"', "plain text"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_text_stops_loading_with_its_file_and_key(tmp_path: Path, case: str) -> None:
    line, problem = BROKEN[case]
    (tmp_path / "ui_broken.toml").write_text(f"[feature]\n{line}\n", encoding="utf-8")
    key = line.split(" =", 1)[0]
    with pytest.raises(UiTextError, match=f"ui_broken.toml: feature.{key}: ") as raised:
        load_ui(tmp_path)
    assert problem in str(raised.value)

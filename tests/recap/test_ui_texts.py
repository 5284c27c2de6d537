"""The words of /week, /share and /routines (ui_recap.toml) follow the content rules."""

from __future__ import annotations

import re

from bot.content.library import BANNED_PHRASES, LABEL_MAX_CHARS, html_problem
from bot.content.ui import load_ui

SECTIONS = ("week.", "share.", "routines_check.")
PLACEHOLDERS = {
    "share.caption": {"weeks"},
    "routines_check.done": {"summary"},
    "routines_check.answer_okay": {"part"},
    "routines_check.answer_not_great": {"part"},
    "routines_check.answer_skipped": {"part"},
}
TOAST_MAX_CHARS = 200  # answerCallbackQuery's limit


def test_recap_interface_texts_follow_the_content_rules() -> None:
    texts = {k: v for k, v in load_ui().texts.items() if k.startswith(SECTIONS)}
    assert set(PLACEHOLDERS) <= set(texts)
    assert "week.not_set_up" in texts and "routines_check.ask_sleep" in texts
    for key, text in texts.items():
        assert html_problem(text) is None, key
        lowered = text.lower().replace("\u2019", "'")
        assert not [p for p in BANNED_PHRASES if p in lowered], key
        assert "!" not in text, key
        assert set(re.findall(r"\{(\w+)\}", text)) == PLACEHOLDERS.get(key, set()), key
        if key.endswith(("_button", "_toast")):
            assert "<" not in text and "&" not in text, key
        if key.endswith("_button"):
            assert len(text) <= LABEL_MAX_CHARS, key
        if key.endswith("_toast"):
            assert len(text) <= TOAST_MAX_CHARS, key

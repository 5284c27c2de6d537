"""The scheduler's words follow the content rules: valid Telegram HTML, none of the banned
phrases, short button labels, and every placeholder the code fills in."""

from __future__ import annotations

import re

from bot.content.library import BANNED_PHRASES, LABEL_MAX_CHARS, html_problem
from bot.content.ui import load_ui

PLACEHOLDERS = {
    "scheduler.prompt": {"prompt"},
    "scheduler.prompt_again": {"prompt"},
    "scheduler.later_ok": {"time"},
}


def test_scheduler_texts_follow_the_content_rules() -> None:
    texts = {k: v for k, v in load_ui().texts.items() if k.startswith("scheduler.")}
    assert set(PLACEHOLDERS) <= set(texts)
    for key, text in texts.items():
        assert html_problem(text) is None, key
        lowered = text.lower()
        assert not [p for p in BANNED_PHRASES if p in lowered], key
        assert text.count("!") == 0, key
        assert set(re.findall(r"\{(\w+)\}", text)) == PLACEHOLDERS.get(key, set()), key
    for key in ("scheduler.later_button", "scheduler.skip_button"):
        assert len(texts[key]) <= LABEL_MAX_CHARS

"""The words this suite's fixes added (bot/content/ui_reliability.toml) follow the content rules:
valid Telegram HTML, none of the banned phrases, no exclamation marks, no placeholders."""

from __future__ import annotations

from bot.content.library import BANNED_PHRASES, html_problem
from bot.content.ui import load_ui


def test_reliability_texts_follow_the_content_rules() -> None:
    texts = {k: v for k, v in load_ui().texts.items() if k.startswith("reliability.")}
    assert set(texts) == {"reliability.zone_lost", "reliability.settings_zone_lost"}
    for key, text in texts.items():
        assert html_problem(text) is None, key
        assert not [p for p in BANNED_PHRASES if p in text.lower()], key
        assert "!" not in text and "{" not in text, key
        assert "/settings" in text or "Time zone" in text, key  # always the way back

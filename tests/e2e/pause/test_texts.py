"""The words of /pause, /resume and the crisis reply follow the content rules for hard moments:
valid Telegram HTML, none of the banned phrases, no exclamation marks, no emoji, short labels,
and exactly the placeholders the code fills in. Every country's help message fits one message."""

from __future__ import annotations

import re
import unicodedata

from bot.content.library import BANNED_PHRASES, LABEL_MAX_CHARS, html_problem, load_library
from bot.content.ui import load_ui
from bot.services import Services
from handlers.pause import help_text
from handlers.safety import crisis_reply
from storage.models import Person
from tests.conftest import START

PLACEHOLDERS = {
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


def test_pause_resume_and_safety_texts_follow_the_rules() -> None:
    texts = {
        k: v
        for k, v in load_ui().texts.items()
        if k.split(".", 1)[0] in {"pause", "resume", "safety"}
    }
    assert set(PLACEHOLDERS) <= set(texts)
    for key, text in texts.items():
        assert html_problem(text) is None, key
        assert not [p for p in BANNED_PHRASES if p in text.lower()], key
        assert "!" not in text, key
        assert not any(unicodedata.category(c) == "So" for c in text), key
        assert set(re.findall(r"\{(\w+)\}", text)) == PLACEHOLDERS.get(key, set()), key
        if key.endswith("_button"):
            assert len(text) <= LABEL_MAX_CHARS, key


def test_every_countrys_help_fits_one_valid_message() -> None:
    library = load_library()
    services = Services(settings=None, repo=None, clock=None, ui=load_ui(), library=library)  # type: ignore[arg-type]
    for country in [*library.help, None]:
        person = Person(
            chat_id=1,
            first_seen=START,
            country=country,
            trusted_name="A very long name " * 5,
            trusted_contact="+1 555 0100",
        )
        for text in (help_text(services, person, "Lead."), crisis_reply(services, person)):
            assert html_problem(text) is None, country
            assert len(text.encode("utf-16-le")) // 2 < 4096, country

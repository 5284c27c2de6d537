"""Every country's help message, as /pause and the crisis reply build it, fits one valid message.
(The rules every interface text follows are checked in tests/unit/test_ui_texts.py.)"""

from __future__ import annotations

from bot.content.library import html_problem, load_library
from bot.content.ui import load_ui
from bot.services import Services
from handlers.pause import help_text
from handlers.safety import crisis_reply
from storage.models import Person
from tests.conftest import START


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

"""Help that fits: the shipped help lines, and how "I need help now" puts them together.

Every listed country names itself, its emergency number and a directory page, and has a crisis
line or says plainly (``fallback = true``, with a comment) that it has none we could confirm.
When someone is worried about another person, the abuse lines come first.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import library as content
from bot.content.library import HelpResources, Library, html_problem, load_library
from bot.content.ui import load_ui
from bot.services import Services
from handlers.pause import directory_url, help_text
from storage.models import Person

HELP_PATH = Path(content.__file__).parent / content.HELP_FILE
FIRST_SEEN = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def svc(lib: Library) -> Services:
    return Services(settings=None, repo=None, clock=None, ui=load_ui(), library=lib)  # type: ignore[arg-type]


def person_in(country: str | None, **fields: object) -> Person:
    return Person(chat_id=1, first_seen=FIRST_SEEN, country=country, **fields)  # type: ignore[arg-type]


def all_entries(lib: Library) -> list[HelpResources]:
    return [*lib.help.values(), lib.help_default]


# --- what the file holds -------------------------------------------------------------------


def test_the_most_used_countries_are_listed(lib: Library) -> None:
    assert len(lib.help) >= 30
    for code in ("IN", "RU", "ID", "US", "BR", "MX", "UA", "DE", "GB", "FR", "NL", "IT", "ES"):
        assert code in lib.help, code


def test_every_country_names_itself_its_emergency_number_and_a_line(lib: Library) -> None:
    for code, entry in lib.help.items():
        assert entry.country == code
        assert entry.name.strip() and entry.name != "your country", code
        assert re.search(r"\d", entry.emergency), code  # a number, not only words
        assert entry.lines, code
        for line in (*entry.lines, *entry.abuse):
            assert line.name.strip() and line.contact.strip() and line.note.strip(), code


def test_every_directory_is_an_https_page_for_its_country(lib: Library) -> None:
    for code, entry in lib.help.items():
        assert entry.directory == f"https://findahelpline.com/countries/{code.lower()}", code
    assert lib.help_default.directory == "https://findahelpline.com"


def test_a_country_without_a_confirmed_line_sends_people_to_its_directory(lib: Library) -> None:
    fallbacks = {code: entry for code, entry in lib.help.items() if entry.fallback}
    assert fallbacks  # some countries have no national line we could confirm
    for code, entry in fallbacks.items():
        assert any(line.contact == entry.directory for line in entry.lines), code
        assert not any(line.contact.startswith("Call") for line in entry.lines), code


def test_every_country_names_its_source_and_each_fallback_says_so() -> None:
    """Reviewers read the comments: each country's table is introduced by a "# Source:"
    comment, and a fallback entry's comment says why it has no line."""
    comment: list[str] = []
    seen = 0
    lines = HELP_PATH.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        header = re.fullmatch(r"\[country\.([A-Z]{2})\]", line)
        if header:
            seen += 1
            code = header.group(1)
            block = "\n".join(comment)
            assert "# Source:" in block, code
            table = "\n".join(lines[index : index + 6])
            if "fallback = true" in table:
                assert "Fallback" in block, code
        comment = [*comment, line] if line.startswith("#") else []
    assert seen >= 30


def test_netherlands_113_is_free(lib: Library) -> None:
    line = lib.help_for("NL").lines[0]
    assert line.name == "113 Zelfmoordpreventie"
    assert "113" in line.contact and "0800-0113" in line.contact
    assert "Free" in line.note
    assert "for free" not in line.contact  # 113 itself is free too, not only 0800-0113


def test_some_well_known_abuse_lines(lib: Library) -> None:
    assert any("1-800-799-7233" in a.contact for a in lib.help_for("US").abuse)
    assert any("0808 2000 247" in a.contact for a in lib.help_for("GB").abuse)
    assert any("116 016" in a.contact for a in lib.help_for("DE").abuse)
    assert any("3919" in a.contact for a in lib.help_for("FR").abuse)
    assert any("1800 737 732" in a.contact for a in lib.help_for("AU").abuse)
    assert lib.help_for("CA").abuse == ()  # provincial lines: the directory lists them


def test_the_default_names_an_emergency_number_and_the_directory(lib: Library) -> None:
    default = lib.help_for("ZZ")
    assert default.is_default
    assert "112" in default.emergency
    assert default.directory == "https://findahelpline.com"
    assert any(line.contact == default.directory for line in default.lines)
    assert default.abuse == ()


# --- what the person reads -----------------------------------------------------------------


@pytest.mark.parametrize("country", ["GB", "US"])
def test_about_others_puts_an_abuse_line_before_the_crisis_lines(
    svc: Services, lib: Library, country: str
) -> None:
    entry = lib.help_for(country)
    text = help_text(svc, person_in(country), "Lead.", about_others=True)
    assert text.startswith("Lead.")
    first_abuse = text.index(entry.abuse[0].name)
    first_crisis = min(text.index(line.name) for line in entry.lines)
    assert first_abuse < first_crisis
    for line in (*entry.abuse, *entry.lines):
        assert line.contact in text
    assert f"please call {entry.emergency}." in text
    assert text.index(entry.lines[-1].note) < text.index("please call")


@pytest.mark.parametrize("country", ["GB", "US", "DE", None])
def test_without_about_others_the_message_is_as_before(
    svc: Services, lib: Library, country: str | None
) -> None:
    entry = lib.help_for(country)
    text = help_text(svc, person_in(country), "Lead.")
    assert text == "\n\n".join(
        [
            "Lead.",
            *(f"<b>{line.name}</b>\n{line.contact}\n{line.note}" for line in entry.lines),
            f"If you might be in danger right now, please call {entry.emergency}.",
        ]
    )
    for line in entry.abuse:
        assert line.contact not in text


def test_a_line_in_both_lists_is_shown_once(svc: Services, lib: Library) -> None:
    both = [
        code
        for code, entry in lib.help.items()
        if {(a.name, a.contact) for a in entry.abuse} & {(c.name, c.contact) for c in entry.lines}
    ]
    assert both  # Iran and Kazakhstan list one service for both
    for code in both:
        text = help_text(svc, person_in(code), "Lead.", about_others=True)
        shared = lib.help_for(code).abuse[0]
        assert text.count(f"<b>{shared.name}</b>") == 1, code


def test_about_others_with_no_abuse_lines_shows_the_crisis_lines(svc: Services) -> None:
    assert help_text(svc, person_in("CA"), "Lead.", about_others=True) == help_text(
        svc, person_in("CA"), "Lead."
    )
    assert help_text(svc, None, "Lead.", about_others=True) == help_text(svc, None, "Lead.")


def test_every_country_fits_one_valid_message_about_others_too(svc: Services, lib: Library) -> None:
    for country in [*lib.help, None]:
        person = person_in(country, trusted_name="A very long name " * 5, trusted_contact="+1 5")
        for about_others in (False, True):
            text = help_text(svc, person, "Lead.", about_others=about_others)
            assert html_problem(text) is None, country
            assert len(text.encode("utf-16-le")) // 2 < 4096, country
            assert "!" not in text, country


@pytest.mark.parametrize(
    ("country", "url"),
    [
        ("GB", "https://findahelpline.com/countries/gb"),
        ("br", "https://findahelpline.com/countries/br"),  # any case, as help_for
        ("ZZ", "https://findahelpline.com"),
        (None, "https://findahelpline.com"),
    ],
)
def test_directory_url(svc: Services, country: str | None, url: str) -> None:
    assert directory_url(svc, person_in(country)) == url


def test_directory_url_for_someone_unknown(svc: Services) -> None:
    assert directory_url(svc, None) == "https://findahelpline.com"


def test_the_directory_button_is_calm_and_short() -> None:
    label = load_ui()("pause.directory_button")
    assert label == "Find help lines near you"
    assert len(label) <= content.LABEL_MAX_CHARS
    assert "!" not in label

"""Words that read as a crisis are kept, but everywhere a person reads them they are a hard
moment: never counted or celebrated as a win or a connected moment, and the recap of their week
answers them with the person's help line instead of a reframe."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.content.library import Library, load_library
from bot.recap.chart import chart_caption
from bot.recap.labels import is_crisis_flagged, shown_kind
from bot.recap.phrases import RecapPhrases, recap_phrases
from bot.recap.share import build_share_pdf
from bot.recap.story import recap_text, week_facts
from storage.models import CRISIS_TAG, Entry, EntryKind
from tests.recap.helpers import pdf_text

MONDAY = date(2026, 11, 23)
ZONE = ZoneInfo("Europe/Berlin")
# What the recap must never say after a week that held a crisis, beyond the reframes themselves
# (checked against the library): an invitation to try again or to take the next step.
PUSHING = ("try again", "when you're ready", "when you feel ready", "for next week")


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def phrases() -> RecapPhrases:
    return recap_phrases()


def entry(
    entry_id: int,
    kind: EntryKind,
    tags: list[str],
    *,
    day: int = 1,
    text: str | None = "words",
    rating: int | None = None,
) -> Entry:
    return Entry(
        id=entry_id,
        chat_id=1,
        kind=kind,
        created_at=datetime(2026, 11, 23, 12, 0, tzinfo=UTC) + timedelta(days=day),
        text=text,
        tags=tags,
        rating=rating,
        prompt_id=None,
        extra={},
    )


def reframe_parts(library: Library) -> list[str]:
    return [part for reframe in library.reframes for part in reframe.parts]


def assert_no_reframe_and_no_push(text: str, library: Library) -> None:
    assert [part for part in reframe_parts(library) if part in text] == []
    lowered = text.lower().replace("\u2019", "'")
    assert [phrase for phrase in PUSHING if phrase in lowered] == []


def test_a_crisis_flagged_entry_is_shown_as_a_hard_moment_whatever_its_kind() -> None:
    for kind in EntryKind:
        flagged = entry(1, kind, [CRISIS_TAG])
        assert is_crisis_flagged(flagged)
        assert shown_kind(flagged) is EntryKind.SETBACK
        plain = entry(2, kind, ["listened"])
        assert not is_crisis_flagged(plain) and shown_kind(plain) is kind


def test_a_crisis_flagged_entry_is_a_hard_moment_not_a_win(library: Library) -> None:
    entries = [
        entry(1, EntryKind.WIN, ["reached_out", CRISIS_TAG], rating=5),
        entry(2, EntryKind.SOCIAL, ["heard:yes", "connected", CRISIS_TAG], rating=5),
        entry(3, EntryKind.WIN, ["listened"]),
    ]
    facts = week_facts(entries, [], ZONE, MONDAY, library)
    assert facts.wins == 1
    assert dict(facts.wins_by_kind) == {"listened": 1}
    assert facts.setbacks == 2 and facts.crisis_moments == 2
    assert facts.connected == 0
    assert facts.practised_rung is None
    # "How connected it felt" is not read from words that read as a crisis.
    assert all(day.ratings == () for day in facts.days)
    # Their words, as kept for the /share PDF, are hard moments too.
    assert [w.kind for w in facts.words] == [EntryKind.SETBACK, EntryKind.SETBACK, EntryKind.WIN]


def test_the_recap_of_a_full_week_with_a_crisis_repeats_the_help_line(
    library: Library, phrases: RecapPhrases
) -> None:
    entries = [
        entry(1, EntryKind.WIN, ["listened"], day=0),
        entry(2, EntryKind.WIN, ["reached_out", CRISIS_TAG], day=1),
        entry(3, EntryKind.SETBACK, ["sad"], day=2),
        entry(4, EntryKind.SOCIAL, ["heard:yes", "connected"], day=3),
    ]
    facts = week_facts(entries, [], ZONE, MONDAY, library)
    assert not facts.is_quiet
    help_here = library.help_for("GB")
    for seed in range(20):  # whatever the random choice would have been
        text = recap_text(facts, library, phrases, random.Random(seed), locale="en", country="GB")
        assert phrases("recap.crisis_heard") in text
        assert help_here.lines[0].contact in text and help_here.lines[0].name in text
        assert help_here.emergency in text
        assert_no_reframe_and_no_push(text, library)
        assert phrases("recap.reframe_intro") not in text
        assert phrases("recap.suggestion_heading") not in text
        assert "reached out" not in text.lower()  # the flagged win is not listed as a win
        assert "two hard moments" in text


def test_the_recap_of_a_week_that_held_only_a_crisis_is_short(
    library: Library, phrases: RecapPhrases
) -> None:
    facts = week_facts([entry(1, EntryKind.REFLECTION, [CRISIS_TAG])], [], ZONE, MONDAY, library)
    assert facts.only_crisis and not facts.is_quiet
    text = recap_text(facts, library, phrases, random.Random(1), locale="en")
    # Someone with no country (or one not listed) gets the general help line.
    help_here = library.help_for(None)
    assert help_here.lines[0].contact in text and help_here.emergency in text
    assert phrases("recap.crisis_heard") in text
    assert phrases("recap.quiet") not in text and phrases("recap.quiet_closing") not in text
    assert "/win" not in text
    assert_no_reframe_and_no_push(text, library)


def test_a_week_without_a_crisis_keeps_its_reframe(library: Library, phrases: RecapPhrases) -> None:
    facts = week_facts(
        [entry(1, EntryKind.SETBACK, ["sad"], day=0), entry(2, EntryKind.WIN, ["paused"])],
        [],
        ZONE,
        MONDAY,
        library,
    )
    text = recap_text(facts, library, phrases, random.Random(3), locale="en", country="GB")
    assert phrases("recap.reframe_intro") in text
    assert phrases("recap.crisis_heard") not in text
    assert library.help_for("GB").lines[0].contact not in text


def test_the_picture_and_the_pdf_name_it_a_hard_moment(
    library: Library, phrases: RecapPhrases
) -> None:
    entries = [
        entry(1, EntryKind.WIN, ["listened"], day=0, text="Let Mia finish"),
        entry(2, EntryKind.WIN, [CRISIS_TAG], day=1, text="I can't do this any more"),
    ]
    facts = week_facts(entries, [], ZONE, MONDAY, library)
    caption = chart_caption(facts, phrases, locale="en")
    assert ": small wins and hard moments, day by day." in caption
    assert facts.days[1].setbacks == 1 and facts.days[1].wins == 0  # drawn as a hard moment

    pdf = pdf_text(
        build_share_pdf(
            [facts],
            include_words=True,
            library=library,
            phrases=phrases,
            locale="en",
            compress=False,
        )
    )
    assert "Small wins: 1" in pdf and "Hard moments: 1" in pdf
    lines = pdf.splitlines()
    said = lines.index("I can't do this any more")
    assert lines[said - 1].endswith(", " + phrases("share.kind_setback"))
    assert lines[lines.index("Let Mia finish") - 1].endswith(", " + phrases("share.kind_win"))

"""The picture of the week, its words for screen readers, and the /share PDF (pure functions)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.content.library import Library, load_library
from bot.recap import chart
from bot.recap.chart import CAPTION_MAX_CHARS, chart_caption, render_week_chart
from bot.recap.phrases import RecapPhrases, recap_phrases
from bot.recap.share import build_share_pdf, latin1
from bot.recap.story import WeekFacts, week_facts
from storage.models import Entry, EntryKind
from tests.recap.helpers import MONDAY, pdf_pages, pdf_text, png_size

ZONE = ZoneInfo("Europe/Lisbon")


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def phrases() -> RecapPhrases:
    return recap_phrases()


def entry(n: int, kind: EntryKind, day: int, hour: int, tags: list[str], **more: object) -> Entry:
    """An entry on day ``day`` of the week (0 is Monday) at ``hour`` (minutes: ``n`` % 60)."""
    local = datetime(MONDAY.year, MONDAY.month, MONDAY.day, hour, tzinfo=ZONE) + timedelta(days=day)
    return Entry(
        id=n,
        chat_id=1,
        kind=kind,
        created_at=local.astimezone(UTC),
        text=more.get("text"),  # type: ignore[arg-type]
        tags=tags,
        rating=more.get("rating"),  # type: ignore[arg-type]
        prompt_id=more.get("prompt_id"),  # type: ignore[arg-type]
        extra={},
    )


def facts_of(entries: list[Entry], library: Library) -> WeekFacts:
    return week_facts(entries, [], ZONE, MONDAY, library)


def test_the_picture_is_a_phone_sized_png_in_palette_colours(
    library: Library, phrases: RecapPhrases
) -> None:
    facts = facts_of(
        [
            entry(1, EntryKind.WIN, 0, 9, ["listened"], rating=4),
            entry(2, EntryKind.SETBACK, 2, 9, ["sad"]),
            entry(3, EntryKind.SOCIAL, 4, 9, ["connected"]),
            entry(4, EntryKind.SOCIAL, 4, 10, ["out_of_sync"]),
        ],
        library,
    )
    png = render_week_chart(facts, phrases, locale="en")
    assert png_size(png) == (1080, 1080)
    with Image.open(io.BytesIO(png)) as image:
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=1 << 16) or []}
    # Okabe-Ito blue (wins), orange (hard moments), reddish purple (connection) are all drawn;
    # bluish green (reflections) too, for the two looks back.
    for rgb in ((0, 114, 178), (230, 159, 0), (204, 121, 167), (0, 158, 115)):
        assert rgb in colours
    assert (255, 255, 255) in colours


def test_a_crowded_week_still_has_a_short_caption_without_numbers(
    library: Library, phrases: RecapPhrases
) -> None:
    crowded = [
        entry(n, kind, day, 8 + n % 12, tags, rating=1 + n % 5)
        for n, (kind, tags) in enumerate(
            [
                (EntryKind.WIN, ["paused"]),
                (EntryKind.SETBACK, ["angry"]),
                (EntryKind.SOCIAL, ["connected"]),
                (EntryKind.SOCIAL, ["out_of_sync"]),
                (EntryKind.REFLECTION, []),
            ]
            * 40
        )
        for day in range(7)
    ]
    facts = facts_of(crowded, library)
    caption = chart_caption(facts, phrases, locale="en")
    assert caption == (
        "A picture of your week, November 23 to November 29: small wins, reflections, hard "
        "moments, time with people and how connected it felt, day by day."
    )
    assert len(caption) <= CAPTION_MAX_CHARS
    assert png_size(render_week_chart(facts, phrases, locale="en")) == (1080, 1080)


PHONE_WIDTH = 300  # the picture's width in a chat on a 390 px phone


def test_the_picture_reads_at_phone_width(library: Library, phrases: RecapPhrases) -> None:
    """No count drawn over the bars (it read as a tally), rows labelled, 1 to 5 dots that are
    still dots when a phone shows the picture 300 px wide."""
    facts = facts_of(
        [entry(n, EntryKind.WIN, 0, 9 + n, ["listened"], rating=5) for n in range(3)], library
    )
    with Image.open(io.BytesIO(render_week_chart(facts, phrases, locale="en"))) as image:
        full = image.convert("RGB")
    monday = round(chart.MARGIN + chart.COLUMN / 2)
    bar_top = chart.BARS_BOTTOM - (chart.BARS_BOTTOM - chart.BARS_TOP)  # three entries fill it
    # Between the legend and the bars, above Monday's bar, nothing is drawn.
    above = {
        full.getpixel((x, y))
        for x in range(monday - 40, monday + 40)
        for y in range(chart.LEGEND_Y + 50, bar_top - 2)
    }
    assert above == {(255, 255, 255)}

    phone = full.resize((PHONE_WIDTH, PHONE_WIDTH), Image.Resampling.LANCZOS)
    scale = PHONE_WIDTH / 1080
    x = round(monday * scale)
    top_dot = round((chart.RATING_TOP + chart.RATING_DOT / 2) * scale)
    purple = [
        y
        for y in range(top_dot - 8, top_dot + 8)
        if phone.getpixel((x, y))[1] < 160 and phone.getpixel((x, y))[0] > 150
    ]
    assert len(purple) >= 8, purple  # a dot at least 8 px tall on the phone
    assert chart.LABEL_SIZE * scale >= 11  # row labels and legend: 11 px type or more


def test_rows_with_nothing_in_them_are_left_out(library: Library, phrases: RecapPhrases) -> None:
    """A first week of wins and hard moments: no empty "time with people" or "how connected"
    rows under the bars, labels and all; they appear once the week has something for them."""

    def below_the_days(entries: list[Entry]) -> set[tuple[int, int, int]]:
        png = render_week_chart(facts_of(entries, library), phrases, locale="en")
        with Image.open(io.BytesIO(png)) as image:
            rgb = image.convert("RGB")
        return {
            rgb.getpixel((x, y))  # type: ignore[misc]
            for x in range(0, 1080, 3)
            for y in range(chart.PEOPLE_LABEL_Y - 4, 1080, 3)
        }

    plain = [entry(1, EntryKind.WIN, 2, 9, ["paused"]), entry(2, EntryKind.SETBACK, 2, 10, ["sad"])]
    assert below_the_days(plain) == {(255, 255, 255)}
    rated = [entry(1, EntryKind.WIN, 2, 9, ["paused"], rating=3)]
    assert (204, 121, 167) in below_the_days(rated)  # the 1 to 5 dots, under their label
    people = [entry(1, EntryKind.SOCIAL, 2, 9, ["connected"])]
    assert (204, 121, 167) in below_the_days(people)


def test_latin1_keeps_what_it_can_and_drops_emoji() -> None:
    assert latin1("“Café” – naïve… 💛 Øre") == '"Café" - naïve...  Øre'
    assert latin1("Łódź, Œuvre, ğ") == "Lódz, OEuvre, g"
    assert latin1("Привет") == "??????"
    assert latin1("line one\nline two\u0007") == "line one\nline two"
    latin1("any text at all \U0010ffff").encode("latin-1")


def test_share_pdf_holds_the_weeks_and_words_only_when_asked(
    library: Library, phrases: RecapPhrases
) -> None:
    busy = facts_of(
        [
            entry(1, EntryKind.WIN, 0, 9, ["boundary"], text="Said no to (extra) shifts \\ kindly"),
            entry(2, EntryKind.SETBACK, 1, 9, ["overwhelmed"], text="Too much at once"),
            entry(3, EntryKind.REFLECTION, 1, 21, []),
        ],
        library,
    )
    quiet = week_facts([], [], ZONE, MONDAY - timedelta(days=7), library)
    with_words = build_share_pdf(
        [busy, quiet],
        include_words=True,
        library=library,
        phrases=phrases,
        locale="en",
        compress=False,
    )
    assert with_words.startswith(b"%PDF")
    text = pdf_text(with_words)
    assert text.index("Week of November 16 to November 22") < text.index(
        "Week of November 23 to November 29"
    )
    assert "A quiet week." in text
    assert "I kept a boundary: 1" in text and "Feelings named: overwhelmed" in text
    assert "Said no to (extra) shifts \\ kindly" in text
    assert "November 23 at 9:00 AM, small win" in text
    assert with_words.count(b"/Subtype /Image") == 1

    without = pdf_text(
        build_share_pdf([busy], include_words=False, library=library, phrases=phrases, locale="en")
    )
    assert "I kept a boundary: 1" in without
    assert "Time with people" not in without  # none this week: not a line of zeros
    assert "Said no" not in without and "Too much" not in without


def test_share_pdf_keeps_every_script_and_leaves_emoji_out(
    library: Library, phrases: RecapPhrases
) -> None:
    """Read back as a PDF reader reads it: the words as written, in the embedded font."""
    words = {
        "Greek": "Μίλησα ήρεμα με τη μητέρα μου",
        "Cyrillic": "Я выслушал друга и не перебивал",
        "Arabic": "استمعت إلى أختي دون مقاطعة",
        "Chinese": "我听朋友说完了他的话",
        "Japanese": "友だちの話を最後まで聞いた",
        "Latin": "Łukasz made me laugh, “really”, naïve café – œuvre",
    }
    facts = facts_of(
        [
            entry(n, EntryKind.WIN, 0, 8 + n, ["listened"], text=text)
            for n, text in enumerate(words.values())
        ]
        + [entry(9, EntryKind.WIN, 1, 9, ["paused"], text="Hugged my dad 💛🫶🏽 today 👨‍👩‍👧")],
        library,
    )
    pdf = build_share_pdf(
        [facts], include_words=True, library=library, phrases=phrases, locale="en"
    )
    text = pdf_text(pdf)
    for script, written in words.items():
        assert written in text, script
    # Emoji no font here draws are left out, with no "?" or empty box in their place.
    assert "Hugged my dad  today" in text
    assert "?" not in text and "\ufffd" not in text
    assert b"/FontFile2" in pdf  # fonts embedded, not the reader's own


def test_share_pdf_never_leaves_a_header_at_the_foot_of_a_page(
    library: Library, phrases: RecapPhrases
) -> None:
    """Forty entries of every length: every page that ends with an entry's header would have
    its words on the next page; none does."""
    sentence = "We talked for a while and I stayed with what they said. "
    facts = facts_of(
        [
            entry(n, EntryKind.SETBACK, n % 7, 8 + n % 12, ["sad"], text=sentence * (1 + n % 7))
            for n in range(40)
        ],
        library,
    )
    pages = pdf_pages(
        build_share_pdf([facts], include_words=True, library=library, phrases=phrases, locale="en")
    )
    assert len(pages) > 3
    header = re.compile(r"^November \d+ at \d+:\d\d [AP]M, hard moment$")
    for number, page in enumerate(pages):
        lines = [line for line in page.splitlines() if line.strip()]
        body = lines[:-1]  # the footer closes every page
        assert not header.match(body[-1]), f"page {number + 1} ends with a header: {body[-1]}"
    assert sum(1 for p in pages for line in p.splitlines() if header.match(line)) == 40


def test_share_pdf_holds_looks_back_and_the_questions_answered(
    library: Library, phrases: RecapPhrases
) -> None:
    question = library.prompt("ground_sounds").text
    facts = facts_of(
        [
            entry(
                1,
                EntryKind.SOCIAL,
                0,
                19,
                ["heard:yes", "interest:partly", "steady:no", "connected"],
            ),
            entry(
                2,
                EntryKind.SOCIAL,
                2,
                19,
                ["heard:no", "interest:no", "steady:partly", "out_of_sync"],
                text="Dinner was tense",
            ),
            entry(
                3,
                EntryKind.REFLECTION,
                3,
                9,
                [],
                text="Rain on the roof",
                prompt_id="ground_sounds",
            ),
        ],
        library,
    )
    without_words = pdf_text(
        build_share_pdf([facts], include_words=False, library=library, phrases=phrases, locale="en")
    )
    assert "Time with people: 1 felt connected, 1 felt out of sync" in without_words
    # Each look back and its answers are in the summary, a note or not.
    assert "Looking back on time with someone:" in without_words
    assert (
        "November 23: felt heard: yes, showed interest: partly, stayed steady: not really"
        in without_words
    )
    assert (
        "November 25: felt heard: not really, showed interest: not really, stayed steady: partly"
        in without_words
    )
    assert "Dinner was tense" not in without_words and "Rain on the roof" not in without_words

    with_words = pdf_text(
        build_share_pdf([facts], include_words=True, library=library, phrases=phrases, locale="en")
    )
    lines = with_words.splitlines()
    rain = lines.index("Rain on the roof")
    assert lines[rain - 1] == "Answering: " + question
    assert lines[rain - 2] == "November 26 at 9:00 AM, reflection"
    tense = lines.index("Dinner was tense")
    assert lines[tense - 1].startswith("felt heard: not really")

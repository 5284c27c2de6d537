"""A picture of the week (PNG, Pillow, no display) and the same facts in words.

Monday to Sunday, one column a day: a stacked bar of small wins, reflections and hard moments
(no numbers on it: heights compare the days, they are not a tally); below it, time with people
(a filled dot on a day with a moment that felt connected, a ring on a day with one that felt out
of sync) and how connected it felt (five dots stacked like a meter, filled from the bottom to the
day's mean rating). Every row is labelled, in type that stays readable when a phone shows the
picture 300 px wide. Words instead of axes, and the Okabe-Ito palette, which stays distinct for
the common kinds of colour blindness; shapes (dot, ring) carry meaning too, never colour alone.

Speed: the image is drawn in palette mode ("P", one byte a pixel), which makes PNG encoding
several times faster than RGB. Anti-aliased text still works because palette entries 0..15 are
a straight ramp from the white background to the ink colour: Pillow blends glyph edges by index,
which on this ramp is blending by colour. Text is therefore only drawn on the white background.
"""

from __future__ import annotations

import io
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

from bot.recap.phrases import RecapPhrases
from bot.recap.story import WeekFacts, show_date

WIDTH = HEIGHT = 1080
MARGIN = 60
INNER = WIDTH - 2 * MARGIN
COLUMN = INNER / 7
CAPTION_MAX_CHARS = 1024  # Telegram's limit for a photo caption

# Palette indexes. 0..15: white to ink, for text and its anti-aliased edges.
RAMP_STEPS = 16
WHITE, INK, SOFT_INK = 0, RAMP_STEPS - 1, 10
WIN, REFLECTION, SETBACK, CONNECTION, EMPTY = 16, 17, 18, 19, 20
_BACKGROUND = (255, 255, 255)
_INK_RGB = (34, 34, 34)
# Okabe-Ito: blue, bluish green, orange, reddish purple; then a light grey for empty dots.
_COLOURS = {
    WIN: (0, 114, 178),
    REFLECTION: (0, 158, 115),
    SETBACK: (230, 159, 0),
    CONNECTION: (204, 121, 167),
    EMPTY: (222, 222, 222),
}

# Sized for a phone: the picture is shown about 300 px wide in a 390 px chat, a scale of about
# 0.28, so the smallest type here (40) reads as about 11 px and the smallest dot as 10 px.
TITLE_SIZE, DATES_SIZE, DAY_SIZE, LABEL_SIZE = 72, 44, 46, 40

LEGEND_Y = 198
BARS_TOP, BARS_BOTTOM = 280, 590
BAR_WIDTH = 96
SEGMENT_GAP = 4
MIN_SCALE = 3  # a single entry never fills a whole column
DAYS_Y = 602
# Time with people: its label (which is also its legend), then one mark a day for each way it
# felt, never a count.
PEOPLE_LABEL_Y, PEOPLE_Y = 672, 746
DOT = 46
# How connected it felt: its label, then five dots a day stacked like a small meter, filled
# from the bottom to the day's mean rating.
RATING_LABEL_Y, RATING_TOP = 796, 856
RATING_DOT, RATING_GAP = 34, 6
# zlib level 3: about a third of level 6's encoding time for a file under twice the size (still
# only a few tens of kilobytes); encoding is most of the render time.
PNG_COMPRESS_LEVEL = 3


def _palette() -> list[int]:
    colours: list[tuple[int, int, int]] = []
    for step in range(RAMP_STEPS):
        share = step / (RAMP_STEPS - 1)
        colours.append(
            tuple(round(b + (i - b) * share) for b, i in zip(_BACKGROUND, _INK_RGB, strict=True))  # type: ignore[arg-type]
        )
    colours += [_COLOURS[index] for index in sorted(_COLOURS)]
    flat = [channel for colour in colours for channel in colour]
    return flat + [0] * (768 - len(flat))


_PALETTE = _palette()


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled scalable font (Pillow >= 10.1): no system fonts, nothing downloaded.
    return ImageFont.load_default(size=size)


def _fitting_font(
    text: str, size: int, max_width: float
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font up to ``size`` that fits the text in ``max_width`` (edited words may be
    longer than the shipped ones)."""
    while size > 18 and _font(size).getlength(text) > max_width:
        size -= 2
    return _font(size)


def _centred(
    draw: ImageDraw.ImageDraw, x: float, y: float, text: str, size: int, width: float
) -> None:
    font = _fitting_font(text, size, width)
    draw.text((x - font.getlength(text) / 2, y), text, font=font, fill=INK)


def _dot(draw: ImageDraw.ImageDraw, cx: float, cy: float, d: float, filled: bool) -> None:
    box = (cx - d / 2, cy - d / 2, cx + d / 2, cy + d / 2)
    if filled:
        draw.ellipse(box, fill=CONNECTION)
    else:
        draw.ellipse(box, outline=CONNECTION, width=6)


@lru_cache(maxsize=16)
def _template(phrases: RecapPhrases, people: bool, rating: bool) -> Image.Image:
    """Everything that is the same every week: title, day names, legend, and the labels of the
    rows the week has (a row with nothing in it is left out, label and all).

    Drawn once per set of phrases and copied for each week, which saves most of the text
    rendering (the slowest drawing step) on every render.
    """
    p = phrases
    image = Image.new("P", (WIDTH, HEIGHT), WHITE)
    image.putpalette(_PALETTE)
    draw = ImageDraw.Draw(image)
    title = p("chart.title")
    draw.text((MARGIN, 36), title, font=_fitting_font(title, TITLE_SIZE, INNER), fill=INK)
    draw.rectangle((MARGIN, BARS_BOTTOM + 1, WIDTH - MARGIN, BARS_BOTTOM + 4), fill=EMPTY)
    for i, name in enumerate(p.items("chart.days")):
        _centred(draw, _centre_of(i), DAYS_Y, name, DAY_SIZE, COLUMN - 4)
    _legend_row(
        draw,
        LEGEND_Y,
        [
            ("square", WIN, p("chart.wins")),
            ("square", REFLECTION, p("chart.reflections")),
            ("square", SETBACK, p("chart.setbacks")),
        ],
    )
    if people:
        _legend_row(
            draw,
            PEOPLE_LABEL_Y,
            [
                ("dot", CONNECTION, p("chart.connected")),
                ("ring", CONNECTION, p("chart.out_of_sync")),
            ],
        )
    if not rating:
        return image
    text = p("chart.rating")
    draw.text((MARGIN, RATING_LABEL_Y), text, font=_fitting_font(text, LABEL_SIZE, INNER), fill=INK)
    return image


def _centre_of(day_index: int) -> float:
    return MARGIN + COLUMN * day_index + COLUMN / 2


def render_week_chart(facts: WeekFacts, phrases: RecapPhrases, *, locale: str) -> bytes:
    """The week as a 1080x1080 PNG, its dates in ``locale``."""
    p = phrases
    people = any(d.connected or d.out_of_sync for d in facts.days)
    rating = any(d.rating is not None for d in facts.days)
    image = _template(phrases, people, rating).copy()
    draw = ImageDraw.Draw(image)
    dates = p(
        "chart.dates",
        first=show_date(facts.monday, locale),
        last=show_date(facts.sunday, locale),
    )
    draw.text((MARGIN, 120), dates, font=_fitting_font(dates, DATES_SIZE, INNER), fill=SOFT_INK)

    # Bar heights compare the days; no number is written on them (they would read as a tally).
    scale = max(MIN_SCALE, *(d.entries for d in facts.days))
    unit = (BARS_BOTTOM - BARS_TOP) / scale
    for i, day in enumerate(facts.days):
        cx = _centre_of(i)
        left, right = cx - BAR_WIDTH / 2, cx + BAR_WIDTH / 2
        top = float(BARS_BOTTOM)
        for count, colour in (
            (day.wins, WIN),
            (day.reflections, REFLECTION),
            (day.setbacks, SETBACK),
        ):
            if count:
                height = count * unit
                draw.rectangle((left, top - height + SEGMENT_GAP, right, top), fill=colour)
                top -= height
        if day.connected:
            _dot(draw, cx - DOT / 2 - 6, PEOPLE_Y, DOT, filled=True)
        if day.out_of_sync:
            _dot(draw, cx + DOT / 2 + 6, PEOPLE_Y, DOT, filled=False)
        if day.rating is not None:
            filled_dots = max(1, round(day.rating))
            for n in range(5):  # from the bottom up
                top = RATING_TOP + (4 - n) * (RATING_DOT + RATING_GAP)
                box = (cx - RATING_DOT / 2, top, cx + RATING_DOT / 2, top + RATING_DOT)
                draw.ellipse(box, fill=CONNECTION if n < filled_dots else EMPTY)

    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _legend_row(draw: ImageDraw.ImageDraw, y: int, row: list[tuple[str, int, str]]) -> None:
    """One line of marks and their words; the type shrinks only if edited words are too long."""
    mark, gap = 38, 34
    size = LABEL_SIZE
    while size > 24:
        font = _font(size)
        width = sum(mark + 12 + font.getlength(text) + gap for _, _, text in row) - gap
        if width <= INNER:
            break
        size -= 2
    font = _font(size)
    x = float(MARGIN)
    for shape, colour, text in row:
        box = (x, y + 4, x + mark, y + 4 + mark)
        if shape == "square":
            draw.rectangle(box, fill=colour)
        else:
            _dot(draw, x + mark / 2, y + 4 + mark / 2, mark, filled=shape == "dot")
        x += mark + 12
        draw.text((x, y), text, font=font, fill=INK)
        x += font.getlength(text) + gap


def chart_caption(facts: WeekFacts, phrases: RecapPhrases, *, locale: str) -> str:
    """The picture in a sentence, for screen readers: what it shows, with no numbers (the
    recap message right after it tells the story); its dates in ``locale``."""
    p = phrases
    shown = [
        key
        for key, present in (
            ("caption.wins", facts.wins),
            ("caption.reflections", facts.reflections),
            ("caption.setbacks", facts.setbacks),
            ("caption.people", facts.connected or facts.out_of_sync),
            ("caption.rating", any(d.rating is not None for d in facts.days)),
        )
        if present
    ]
    return p(
        "caption.intro",
        first=show_date(facts.monday, locale),
        last=show_date(facts.sunday, locale),
        parts=p.join(p(key) for key in shown),
    )[:CAPTION_MAX_CHARS]

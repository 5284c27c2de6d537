"""A picture of the week (PNG, Pillow, no display) and the same facts in words.

Monday to Sunday, one column a day: a stacked bar of small wins, reflections and hard moments;
below it, time with people (a filled dot for a moment that felt connected, a ring for one that
felt out of sync) and how connected it felt (five dots, filled to the day's mean rating). Large
type for a phone, words instead of axes, and the Okabe-Ito palette, which stays distinct for the
common kinds of colour blindness; shapes (dot, ring) carry meaning too, never colour alone.

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

TITLE_SIZE, DATES_SIZE, DAY_SIZE, LABEL_SIZE, COUNT_SIZE = 64, 40, 40, 34, 36

BARS_TOP, BARS_BOTTOM = 230, 600
BAR_WIDTH = 84
SEGMENT_GAP = 4
MIN_SCALE = 3  # a single entry never fills a whole column
PEOPLE_LABEL_Y, CONNECTED_Y, OUT_OF_SYNC_Y = 690, 760, 815
RATING_LABEL_Y, RATING_Y = 855, 915
LEGEND_Y = 975
DOT = 34
RATING_DOT, RATING_GAP = 18, 4
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


@lru_cache(maxsize=4)
def _template(phrases: RecapPhrases) -> Image.Image:
    """Everything that is the same every week: title, day names, row labels, legend.

    Drawn once per set of phrases and copied for each week, which saves most of the text
    rendering (the slowest drawing step) on every render.
    """
    p = phrases
    image = Image.new("P", (WIDTH, HEIGHT), WHITE)
    image.putpalette(_PALETTE)
    draw = ImageDraw.Draw(image)
    title = p("chart.title")
    draw.text((MARGIN, 48), title, font=_fitting_font(title, TITLE_SIZE, INNER), fill=INK)
    draw.rectangle((MARGIN, BARS_BOTTOM + 1, WIDTH - MARGIN, BARS_BOTTOM + 4), fill=EMPTY)
    for i, name in enumerate(p.items("chart.days")):
        _centred(draw, _centre_of(i), BARS_BOTTOM + 16, name, DAY_SIZE, COLUMN - 4)
    for y, key in ((PEOPLE_LABEL_Y, "chart.people"), (RATING_LABEL_Y, "chart.rating")):
        text = p(key)
        draw.text((MARGIN, y), text, font=_fitting_font(text, LABEL_SIZE, INNER), fill=SOFT_INK)
    _legend(draw, phrases, INNER)
    return image


def _centre_of(day_index: int) -> float:
    return MARGIN + COLUMN * day_index + COLUMN / 2


def render_week_chart(facts: WeekFacts, phrases: RecapPhrases) -> bytes:
    """The week as a 1080x1080 PNG."""
    p = phrases
    image = _template(phrases).copy()
    draw = ImageDraw.Draw(image)
    dates = p("chart.dates", first=show_date(facts.monday), last=show_date(facts.sunday))
    draw.text((MARGIN, 130), dates, font=_fitting_font(dates, DATES_SIZE, INNER), fill=SOFT_INK)

    scale = max(MIN_SCALE, *(d.entries for d in facts.days))
    unit = (BARS_BOTTOM - BARS_TOP - COUNT_SIZE - 14) / scale
    count_font = _font(COUNT_SIZE)
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
        if day.entries:
            label = str(day.entries)
            draw.text(
                (cx - count_font.getlength(label) / 2, top - COUNT_SIZE - 8),
                label,
                font=count_font,
                fill=INK,
            )
        for count, cy, filled in (
            (day.connected, CONNECTED_Y, True),
            (day.out_of_sync, OUT_OF_SYNC_Y, False),
        ):
            if count:
                _dot(draw, cx - 20, cy, DOT, filled)
                draw.text((cx + 6, cy - COUNT_SIZE / 2 - 4), str(count), font=count_font, fill=INK)
        if day.rating is not None:
            filled_dots = max(1, round(day.rating))
            span = 5 * RATING_DOT + 4 * RATING_GAP
            x = cx - span / 2
            for n in range(5):
                box = (x, RATING_Y - RATING_DOT / 2, x + RATING_DOT, RATING_Y + RATING_DOT / 2)
                draw.ellipse(box, fill=CONNECTION if n < filled_dots else EMPTY)
                x += RATING_DOT + RATING_GAP

    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _legend(draw: ImageDraw.ImageDraw, p: RecapPhrases, inner: float) -> None:
    """Two lines of words: the bar colours, then the dot and the ring."""
    rows = [
        [
            ("square", WIN, p("chart.wins")),
            ("square", REFLECTION, p("chart.reflections")),
            ("square", SETBACK, p("chart.setbacks")),
        ],
        [("dot", CONNECTION, p("chart.connected")), ("ring", CONNECTION, p("chart.out_of_sync"))],
    ]
    for r, row in enumerate(rows):
        y = LEGEND_Y + r * 50
        size = LABEL_SIZE
        # Shrink the row's type until it fits the width.
        while size > 18:
            font = _font(size)
            width = sum(30 + 12 + font.getlength(text) + 36 for _, _, text in row) - 36
            if width <= inner:
                break
            size -= 2
        font = _font(size)
        x = float(MARGIN)
        for shape, colour, text in row:
            box = (x, y + 4, x + 30, y + 34)
            if shape == "square":
                draw.rectangle(box, fill=colour)
            else:
                _dot(draw, x + 15, y + 19, 30, filled=shape == "dot")
            x += 42
            draw.text((x, y), text, font=font, fill=INK)
            x += font.getlength(text) + 36


def chart_caption(facts: WeekFacts, phrases: RecapPhrases) -> str:
    """The picture in words, for screen readers: at most Telegram's 1024 characters."""
    p = phrases
    names = p.items("caption.day_names")
    sentences = [p("caption.intro", first=show_date(facts.monday), last=show_date(facts.sunday))]
    quiet_days = 0
    for i, day in enumerate(facts.days):
        parts = []
        if day.wins:
            parts.append(p.digits(day.wins, "small_win"))
        if day.reflections:
            parts.append(p.digits(day.reflections, "reflection"))
        if day.setbacks:
            parts.append(p.digits(day.setbacks, "hard_moment"))
        if day.connected:
            parts.append(p("caption.connected", moments=p.digits(day.connected, "moment")))
        if day.out_of_sync:
            parts.append(p("caption.out_of_sync", moments=p.digits(day.out_of_sync, "moment")))
        if parts:
            sentences.append(p("caption.day", day=names[i], parts=", ".join(parts)))
        else:
            quiet_days += 1
    if quiet_days and quiet_days < 7:
        sentences.append(p("caption.other_days"))
    rated = [
        p("caption.rating_day", day=names[i], rating=round(day.rating))
        for i, day in enumerate(facts.days)
        if day.rating is not None
    ]
    if rated:
        sentences.append(p("caption.rating", days=", ".join(rated)))
    caption = ""
    for sentence in sentences:
        candidate = f"{caption} {sentence}".strip()
        if len(candidate) > CAPTION_MAX_CHARS:
            break
        caption = candidate
    return caption

"""The /share summary: one to four weeks as a short PDF, to keep or to give someone trusted.

Pure: weeks of facts in, PDF bytes out. Each week gets its heading, the week's picture (the same
PNG as the weekly recap), small wins by kind, hard moments and the feelings named, reflections,
each look back at time with someone with its three answers and, only when the person chose to
include them, their own words: each under its date and kind (and the daily question it
answered), which never stay behind at the foot of a page while the words go on to the next.

Fonts: DejaVu Sans (Debian's fonts-dejavu-core, a free licence) is embedded, so Latin, Greek,
Cyrillic, Hebrew and Arabic survive as written; HarfBuzz (the uharfbuzz dependency) joins Arabic
letters and lays right-to-left text out as it is read. Chinese, Japanese and Korean come from
Droid Sans Fallback (fonts-droid-fallback, Apache 2.0), embedded only in a PDF that needs it.
Only the glyphs used are embedded. A character none of these fonts has is left out when it is
an emoji or another symbol, and shown as "?" otherwise: the PDF is a summary, and /journal and
/export keep every character. .ci/run installs both font packages and docs/deploy.md asks an
operator to; on a machine without DejaVu Sans the PDF falls back to the core font Helvetica,
which covers Latin-1 only, and every text then passes through ``latin1``.
"""

from __future__ import annotations

import html
import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from bot.content.library import Library
from bot.formatting import show_time
from bot.recap.chart import render_week_chart
from bot.recap.phrases import RecapPhrases
from bot.recap.story import KeptWords, WeekFacts, show_date, win_label
from storage.models import EntryKind

log = logging.getLogger(__name__)

PAGE_MARGIN_MM = 18
CHART_WIDTH_MM = 105
# An entry's header moves to the next page unless it fits on this one together with the first
# lines of the words under it (all of them, when there are no more than this).
LINES_KEPT_WITH_HEADER = 3

FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian and Ubuntu
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/share/fonts/truetype/droid"),  # Debian and Ubuntu
    Path("/usr/share/fonts/google-droid-sans-fonts"),  # Fedora
)
BODY_FONT, BODY_BOLD_FONT = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
FALLBACK_FONT = "DroidSansFallbackFull.ttf"
CORE_FONT = "Helvetica"


def find_font(name: str) -> Path | None:
    """The installed font file of this name, if there is one."""
    return next((folder / name for folder in FONT_FOLDERS if (folder / name).is_file()), None)


@cache
def _glyphs(path: Path) -> frozenset[int]:
    """The characters a font file can draw."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _needs_shaping(text: str) -> bool:
    """Right-to-left letters (Arabic, Hebrew), or the scripts of India and South-East Asia."""
    return any(
        unicodedata.bidirectional(char) in ("R", "AL") or 0x0900 <= ord(char) <= 0x0FFF
        for char in text
    )


def _is_left_out(char: str) -> bool:
    """Emoji, other symbols, joiners, variation selectors and controls: left out when no font
    here can draw them, rather than shown as "?"."""
    category = unicodedata.category(char)
    return category.startswith(("C", "M")) or category in ("So", "Sk")


_PLAIN_FORMS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2039": "<",
        "\u203a": ">",
        "\u2192": "->",
        "\u20ac": "EUR",
        "\t": " ",
        # Latin letters that Unicode does not decompose into a base letter and an accent.
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0126": "H",
        "\u0127": "h",
        "\u0131": "i",
        "\u0152": "OE",
        "\u0153": "oe",
        "\u0166": "T",
        "\u0167": "t",
    }
)


def latin1(text: str) -> str:
    """The text in characters the PDF core fonts can draw (see the module docstring)."""
    out: list[str] = []
    for char in text.translate(_PLAIN_FORMS):
        if char == "\n" or (char.isprintable() and ord(char) < 256):
            out.append(char)
            continue
        category = unicodedata.category(char)
        if category.startswith(("C", "M")) or category in ("So", "Sk"):
            continue  # controls, joiners, variation selectors, combining marks, emoji
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def plain_text(markup: str) -> str:
    """Content written as Telegram HTML (a daily question), as plain text for the PDF."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@dataclass(frozen=True, slots=True)
class PdfSection:
    """A section the caller words itself (from bot/content): a heading, an optional line under
    it, and items, each a small line (a date, say) over the person's own words (or, with no
    words, the line alone)."""

    heading: str
    items: tuple[tuple[str, str], ...]
    intro: str | None = None


def _section(pdf: _SummaryPdf, section: PdfSection) -> None:
    _line(pdf, section.heading, size=13, style="B", gap=1.5)
    if section.intro:
        _line(pdf, section.intro, size=10, gap=2)
    for label, words in section.items:
        _line(pdf, label, size=9 if words else 11, gap=0.5 if words else 2)
        if words:
            _line(pdf, words, size=11, gap=2.5)
    pdf.ln(2)


class _SummaryPdf(FPDF):
    """The PDF, with the fonts that draw what it holds and the footer on every page."""

    footer_text = ""

    def __init__(self) -> None:
        super().__init__(format="A4")
        body, bold = find_font(BODY_FONT), find_font(BODY_BOLD_FONT)
        self.glyphs: frozenset[int] = frozenset()
        self.fallback_added = False
        if body is None or bold is None:
            log.warning("DejaVu Sans is not installed: /share PDFs cover Latin-1 only")
            self.family = CORE_FONT
            return
        self.family = "body"
        self.add_font(self.family, "", body)
        self.add_font(self.family, "B", bold)
        self.glyphs = _glyphs(body) & _glyphs(bold)
        self.can_shape = True

    def shape_if_needed(self, text: str) -> None:
        """Shaping (HarfBuzz) for text that needs it, right-to-left or joined scripts, and
        only there: it makes laying out a line about ten times slower."""
        if self.family == CORE_FONT or not self.can_shape:
            return
        try:
            self.set_text_shaping(_needs_shaping(text))
        except Exception:  # uharfbuzz missing: every script still shows, Arabic unjoined
            log.warning("uharfbuzz is not installed: /share PDFs do not shape Arabic")
            self.can_shape = False

    def printable(self, text: str) -> str:
        """The text in characters the PDF's fonts can draw (see the module docstring)."""
        text = text.replace("\t", " ")
        if self.family == CORE_FONT:
            return latin1(text)
        out: list[str] = []
        for char in text:
            if char == "\n" or ord(char) in self.glyphs or self._fall_back_for(char):
                out.append(char)
            elif not _is_left_out(char):
                out.append("?")
        return "".join(out)

    def _fall_back_for(self, char: str) -> bool:
        """Whether the fallback font draws this character (embedding it the first time)."""
        fallback = find_font(FALLBACK_FONT)
        if fallback is None or ord(char) not in _glyphs(fallback):
            return False
        if not self.fallback_added:
            self.add_font("fallback", "", fallback)
            self.set_fallback_fonts(["fallback"], exact_match=False)
            self.fallback_added = True
        return True

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, self.footer_text, align="C")


def _line(
    pdf: _SummaryPdf, text: str, *, size: float = 11, style: str = "", gap: float = 1.5
) -> None:
    pdf.set_font(pdf.family, style=style, size=size)
    pdf.shape_if_needed(text)
    pdf.multi_cell(0, size * 0.5, pdf.printable(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)


def _height(pdf: _SummaryPdf, text: str, *, size: float, style: str = "", most: int = 0) -> float:
    """How tall ``_line`` draws the text (its first ``most`` lines only, when given)."""
    pdf.set_font(pdf.family, style=style, size=size)
    pdf.shape_if_needed(text)
    lines = pdf.multi_cell(0, size * 0.5, pdf.printable(text), dry_run=True, output="LINES")
    count = min(len(lines), most) if most else len(lines)
    return count * size * 0.5


def _answers(p: RecapPhrases, kept: KeptWords) -> str:
    values = {question: p(f"share.answer_{answer}") for question, answer in kept.answers}
    return p("share.reflect_answers", **values)


def _kept_words(
    pdf: _SummaryPdf,
    p: RecapPhrases,
    library: Library,
    kept: KeptWords,
    kinds: dict[str, str],
    locale: str,
) -> None:
    """One entry under "In your own words": its header, what it answered, then the words, with
    the header kept on the page where the words begin."""
    when = p(
        "share.word_when",
        date=show_date(kept.at.date(), locale),
        time=show_time(kept.at.time().replace(second=0, microsecond=0), locale),
    )
    header = p("share.word_line", date=when, kind=kinds[kept.kind])
    context: list[str] = []
    if kept.prompt_id:
        try:
            question = plain_text(library.prompt(kept.prompt_id).text)
            context.append(p("share.word_question", question=question))
        except KeyError:  # a question no longer in the library: the words stand alone
            pass
    if len(kept.answers) == 3:
        context.append(_answers(p, kept))
    needed = _height(pdf, header, size=9) + 0.5
    needed += sum(_height(pdf, line, size=9) + 0.5 for line in context)
    if kept.text:
        # The first lines are all that is measured: a prefix is enough, and far quicker.
        start = kept.text[: 200 * LINES_KEPT_WITH_HEADER]
        needed += _height(pdf, start, size=11, most=LINES_KEPT_WITH_HEADER)
    if pdf.will_page_break(needed):
        pdf.add_page()
    _line(pdf, header, size=9, gap=0.5)
    for line in context:
        _line(pdf, line, size=9, gap=0.5)
    if kept.text:
        _line(pdf, kept.text, size=11, gap=2.5)
    else:
        pdf.ln(2)


def build_share_pdf(
    weeks: Sequence[WeekFacts],
    *,
    include_words: bool,
    library: Library,
    phrases: RecapPhrases,
    locale: str,
    compress: bool = True,
    opening: Sequence[PdfSection] = (),
    closing: Sequence[PdfSection] = (),
) -> bytes:
    """A PDF of the given weeks, oldest first, its dates and times in ``locale``; ``opening``
    sections come before the first week, ``closing`` ones after the last."""
    p = phrases
    ordered = sorted(weeks, key=lambda w: w.monday)
    pdf = _SummaryPdf()
    pdf.footer_text = pdf.printable(p("share.footer"))
    pdf.set_compression(compress)
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(p("share.title"))
    pdf.set_creator("Kindling")
    pdf.add_page()
    pdf.set_text_color(34, 34, 34)
    _line(pdf, p("share.title"), size=20, style="B", gap=2)
    _line(
        pdf,
        p(
            "share.intro",
            weeks=p.count(len(ordered), "week"),
            first=show_date(ordered[0].monday, locale),
            last=show_date(ordered[-1].sunday, locale),
        ),
        gap=4,
    )
    for section in opening:
        _section(pdf, section)
    kinds = {
        EntryKind.WIN: p("share.kind_win"),
        EntryKind.SETBACK: p("share.kind_setback"),
        EntryKind.REFLECTION: p("share.kind_reflection"),
        EntryKind.SOCIAL: p("share.kind_social"),
    }
    for number, facts in enumerate(ordered):
        if number:
            pdf.add_page()
        heading = p(
            "share.week_heading",
            first=show_date(facts.monday, locale),
            last=show_date(facts.sunday, locale),
        )
        _line(pdf, heading, size=15, style="B", gap=2)
        if facts.is_quiet:
            _line(pdf, p("share.quiet"))
        else:
            png = render_week_chart(facts, phrases, locale=locale)
            pdf.image(io.BytesIO(png), w=CHART_WIDTH_MM, h=CHART_WIDTH_MM)
            pdf.ln(3)
            _line(pdf, p("share.days", count=facts.days_showed_up))
            if facts.wins:
                _line(pdf, p("share.wins", count=facts.wins), gap=0.5)
                for kind, count in facts.wins_by_kind:
                    label = win_label(library, kind)
                    _line(pdf, "    " + p("share.win_line", label=label, count=count), gap=0.5)
                pdf.ln(1)
            if facts.setbacks:
                _line(pdf, p("share.setbacks", count=facts.setbacks), gap=0.5)
                if facts.feelings:
                    named = ", ".join(library.feeling(f).label.lower() for f, _ in facts.feelings)
                    _line(pdf, "    " + p("share.feelings", feelings=named), gap=1.5)
            if facts.reflections:
                _line(pdf, p("share.reflections", count=facts.reflections))
            if facts.connected or facts.out_of_sync:
                # Only what happened: never "0 felt out of sync".
                if facts.connected and facts.out_of_sync:
                    people = p(
                        "share.people", connected=facts.connected, out_of_sync=facts.out_of_sync
                    )
                elif facts.connected:
                    people = p("share.people_connected", connected=facts.connected)
                else:
                    people = p("share.people_out_of_sync", out_of_sync=facts.out_of_sync)
                _line(pdf, people)
            look_backs = [
                w for w in facts.words if w.kind is EntryKind.SOCIAL and len(w.answers) == 3
            ]
            if look_backs:
                _line(pdf, p("share.look_backs"), gap=0.5)
                for kept in look_backs:
                    day = show_date(kept.at.date(), locale)
                    line = p("share.look_back_line", date=day, answers=_answers(p, kept))
                    _line(pdf, "    " + line, gap=0.5)
                pdf.ln(1)
        written = [w for w in facts.words if w.text or w.prompt_id]
        if include_words and written:
            pdf.ln(2)
            _line(pdf, p("share.words_heading"), size=13, style="B", gap=1.5)
            for kept in written:
                _kept_words(pdf, p, library, kept, kinds, locale)
    if closing:
        pdf.ln(2)
    for section in closing:
        _section(pdf, section)
    return bytes(pdf.output())

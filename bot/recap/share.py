"""The /share summary: one to four weeks as a short PDF, to keep or to give someone trusted.

Pure: weeks of facts in, PDF bytes out. Each week gets its heading, the week's picture (the same
PNG as the weekly recap), small wins by kind, hard moments and the feelings named, reflections,
the balance of time with people and, only when the person chose to include them, their own words.

Fonts: fpdf2's core font (Helvetica) is built into every PDF reader, so nothing is downloaded and
no system font is needed on the server. Core fonts only cover Latin-1, so every text passes
through ``latin1`` first: typographic quotes and dashes become their plain forms, accented
letters outside Latin-1 lose the accent, emoji are left out, and any other character (for
example from a non-Latin script) becomes "?". The person's words stay intact in /journal and
/export; the PDF is a summary.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from bot.content.library import Library
from bot.formatting import show_time
from bot.recap.chart import render_week_chart
from bot.recap.phrases import RecapPhrases
from bot.recap.story import LOCALE, WeekFacts, show_date, win_label
from storage.models import EntryKind

PAGE_MARGIN_MM = 18
CHART_WIDTH_MM = 105

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


@dataclass(frozen=True, slots=True)
class PdfSection:
    """A section the caller words itself (from bot/content): a heading, an optional line under
    it, and items, each a small line (a date, say) over the person's own words (or, with no
    words, the line alone)."""

    heading: str
    items: tuple[tuple[str, str], ...]
    intro: str | None = None


def _section(pdf: FPDF, section: PdfSection) -> None:
    _line(pdf, section.heading, size=13, style="B", gap=1.5)
    if section.intro:
        _line(pdf, section.intro, size=10, gap=2)
    for label, words in section.items:
        _line(pdf, label, size=9 if words else 11, gap=0.5 if words else 2)
        if words:
            _line(pdf, words, size=11, gap=2.5)
    pdf.ln(2)


class _SummaryPdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, self.footer_text, align="C")


def _line(pdf: FPDF, text: str, *, size: float = 11, style: str = "", gap: float = 1.5) -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)


def build_share_pdf(
    weeks: Sequence[WeekFacts],
    *,
    include_words: bool,
    library: Library,
    phrases: RecapPhrases,
    compress: bool = True,
    opening: Sequence[PdfSection] = (),
    closing: Sequence[PdfSection] = (),
) -> bytes:
    """A PDF of the given weeks, oldest first; ``opening`` sections come before the first
    week, ``closing`` ones after the last."""
    p = phrases
    ordered = sorted(weeks, key=lambda w: w.monday)
    pdf = _SummaryPdf(format="A4")
    pdf.footer_text = latin1(p("share.footer"))
    pdf.set_compression(compress)
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(latin1(p("share.title")))
    pdf.set_creator("Kindling")
    pdf.add_page()
    pdf.set_text_color(34, 34, 34)
    _line(pdf, p("share.title"), size=20, style="B", gap=2)
    _line(
        pdf,
        p(
            "share.intro",
            weeks=p.count(len(ordered), "week"),
            first=show_date(ordered[0].monday),
            last=show_date(ordered[-1].sunday),
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
            "share.week_heading", first=show_date(facts.monday), last=show_date(facts.sunday)
        )
        _line(pdf, heading, size=15, style="B", gap=2)
        if facts.is_quiet:
            _line(pdf, p("share.quiet"))
        else:
            png = render_week_chart(facts, phrases)
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
                _line(
                    pdf,
                    p("share.people", connected=facts.connected, out_of_sync=facts.out_of_sync),
                )
        if include_words and facts.words:
            pdf.ln(2)
            _line(pdf, p("share.words_heading"), size=13, style="B", gap=1.5)
            for kept in facts.words:
                when = p(
                    "share.word_when",
                    date=show_date(kept.at.date()),
                    time=show_time(kept.at.time().replace(second=0, microsecond=0), LOCALE),
                )
                _line(pdf, p("share.word_line", date=when, kind=kinds[kept.kind]), size=9, gap=0.5)
                _line(pdf, kept.text, size=11, gap=2.5)
    if closing:
        pdf.ln(2)
    for section in closing:
        _section(pdf, section)
    return bytes(pdf.output())

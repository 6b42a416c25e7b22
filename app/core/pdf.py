"""PDF documents for people: Swedish text, and anything else a comment may hold.

A thin layer over fpdf2 (pure Python, maintained, embeds and subsets TrueType fonts). The
font is DejaVu Sans, shipped in ``app/core/fonts`` (Bitstream Vera licence, see LICENSE
there), so a document looks the same on every machine and covers Swedish, most European
scripts and many symbols.

Text is laid out here rather than with fpdf2's ``multi_cell``: its line breaking measures
each line again for every character and costs milliseconds per paragraph, which makes a
10,000-item document take most of a minute. Widths come from the font's own table.

Comment text is hostile. In a PDF it cannot run code, but it can hide: control and
formatting characters (a right-to-left override turns "gpj.exe" around) and characters the
font has no glyph for are shown as U+FFFD (�), so a reader sees that something was there.
The exact text belongs in a CSV or XML file beside the PDF.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Self

from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
REPLACEMENT = "\ufffd"
LINE_FACTOR = 1.35  # line height / font size
PAGE_COUNT = "{pages}"  # replaced by the number of pages; room for five digits
_SHOWN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})  # never shown as they are


@cache
def _glyphs() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(FONT_DIR / f"{FONT}.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


def displayable(text: str) -> str:
    """The text as it can be shown: NFC, tabs as spaces, lines kept; every control,
    formatting, private or unassigned character and every character without a glyph in the
    font becomes U+FFFD."""
    glyphs = _glyphs()
    out = []
    for ch in unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\t", "    ")):
        if ch == "\n":
            out.append(ch)
        elif (ord(ch) not in glyphs and ch != " ") or unicodedata.category(ch) in _SHOWN_CATEGORIES:
            out.append(REPLACEMENT)
        else:
            out.append(ch)
    return "".join(out)


class _Pdf(FPDF):
    def __init__(self, title: str, compliance: str | None = None) -> None:
        super().__init__(format="A4", enforce_compliance=compliance)
        self.running_title = title
        self.alias_nb_pages(PAGE_COUNT)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(90)
        self.cell(self.epw / 2, 5, self.running_title[:90], align="L")
        self.cell(self.epw / 2, 5, f"Sida {self.page_no()} av {PAGE_COUNT}", align="R")
        self.set_text_color(0)


class PdfDocument:
    """A document written top to bottom: headings, paragraphs, label–value lists. Use it
    as a context manager (``with PdfDocument(...) as doc``) so its font files are closed."""

    def __init__(self, *, title: str, subject: str = "", author: str = "Uppsikt",
                 created_at: datetime | None = None, compliance: str | None = None) -> None:
        """``compliance="PDF/A-2B"`` makes an archival PDF (fpdf2 adds the XMP
        identification and the sRGB output intent; the fonts are embedded anyway)."""
        pdf = _Pdf(displayable(title), compliance)
        pdf.add_font(FONT, "", str(FONT_DIR / f"{FONT}.ttf"))
        pdf.add_font(FONT, "B", str(FONT_DIR / f"{FONT}-Bold.ttf"))
        pdf.set_title(displayable(title))
        pdf.set_subject(displayable(subject))
        pdf.set_author(author)
        pdf.set_creator("Uppsikt")
        pdf.set_lang("sv-SE")
        pdf.set_creation_date(created_at or datetime.now(UTC))
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_page()
        self.pdf = pdf
        self._widths: dict[tuple[str, str], dict[int, int]] = {}

    # Layout -------------------------------------------------------------------------------

    def heading(self, text: str, *, size: float = 14) -> None:
        if self.pdf.get_y() > self.pdf.h - 40:  # no heading alone at the foot of a page
            self.pdf.add_page()
        self.pdf.ln(size * 0.25)
        self.paragraph(text, size=size, bold=True)
        self.pdf.ln(size * 0.15)

    def paragraph(self, text: str, *, size: float = 10, bold: bool = False,
                  indent: float = 0, grey: bool = False) -> None:
        style = "B" if bold else ""
        self.pdf.set_font(FONT, style, size)
        if grey:
            self.pdf.set_text_color(80)
        height = size * LINE_FACTOR / self.pdf.k
        x = self.pdf.l_margin + indent
        for line in self.wrap(displayable(text.rstrip()), self.pdf.epw - indent, style=style,
                              size=size):
            self._line(height, (x, line))
        if grey:
            self.pdf.set_text_color(0)

    def fields(self, rows: Iterable[tuple[str, str]], *, size: float = 9.5,
               label_width: float = 45) -> None:
        """Label: value lines, the value wrapped beside its label."""
        height = size * LINE_FACTOR / self.pdf.k
        x = self.pdf.l_margin
        for label, value in rows:
            lines = self.wrap(displayable(value), self.pdf.epw - label_width, style="",
                              size=size) or [""]
            if self.pdf.will_page_break(height * len(lines)) and len(lines) < 20:
                self.pdf.add_page()
            self.pdf.set_font(FONT, "B", size)
            self._line(0, (x, displayable(label)))
            self.pdf.set_font(FONT, "", size)
            for line in lines:
                self._line(height, (x + label_width, line))

    def _line(self, height: float, *parts: tuple[float, str]) -> None:
        """Text at the current line, then down by ``height`` (0: stay on the line). Drawn
        with fpdf2's ``text``: a quarter of the cost of a ``cell``, which matters at
        thousands of lines."""
        pdf = self.pdf
        if height and pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        line_height = height or pdf.font_size_pt * LINE_FACTOR / pdf.k
        baseline = pdf.get_y() + line_height / 2 + 0.3 * pdf.font_size
        for x, text in parts:
            if text:
                pdf.text(x, baseline, text)
        if height:
            pdf.set_y(pdf.get_y() + height)

    def space(self, mm: float = 3) -> None:
        self.pdf.ln(mm)

    def rule(self) -> None:
        y = self.pdf.get_y() + 1
        self.pdf.set_draw_color(180)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.ln(3)

    def new_page(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def close(self) -> None:
        """Close the font files (fpdf2 reads them lazily and keeps them open)."""
        for font in self.pdf.fonts.values():
            if hasattr(font, "close"):
                font.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Line breaking --------------------------------------------------------------------------

    def wrap(self, text: str, width: float, *, style: str, size: float) -> list[str]:
        """Lines of at most ``width`` mm: broken at spaces, a word longer than a line broken
        where it must be; the text's own line breaks kept. Text must be ``displayable``."""
        widths = self._char_widths(style)
        scale = size / 1000 / self.pdf.k
        limit = width / scale  # in font units

        def measure(s: str) -> int:
            return sum(widths.get(ord(c), 600) for c in s)

        space = widths.get(32, 600)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, used = "", 0
            for word in paragraph.split(" "):
                w = measure(word)
                if line and used + space + w <= limit:
                    line, used = f"{line} {word}", used + space + w
                    continue
                if line:
                    lines.append(line)
                while w > limit:  # a word (or link) wider than the line
                    cut, cut_w = 0, 0
                    for ch in word:
                        cw = widths.get(ord(ch), 600)
                        if cut and cut_w + cw > limit:
                            break
                        cut, cut_w = cut + 1, cut_w + cw
                    lines.append(word[:cut])
                    word = word[cut:]
                    w = measure(word)
                line, used = word, w
            lines.append(line)
        return lines

    def _char_widths(self, style: str) -> dict[int, int]:
        key = (FONT, style)
        if key not in self._widths:
            current = (self.pdf.font_family, self.pdf.font_style, self.pdf.font_size_pt)
            self.pdf.set_font(FONT, style)
            self._widths[key] = dict(self.pdf.current_font.cw)
            if current[0]:
                self.pdf.set_font(current[0], current[1], current[2])
        return self._widths[key]

"""The yearly report as a PDF: a summary, two bar charts (drawn as rectangles), a table per
unit and the year's snapshots with their checksums."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.core.pdf import FONT, PdfDocument, displayable
from app.reports.figures import STOCKHOLM, Counts, YearFigures
from app.rules.wordlists import CATEGORIES
from app.ui.rule_texts import CATEGORY_NAMES

MONTH_ABBR = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov",
              "dec")
BAR = (11, 83, 148)  # the UI's accent colour
HEADER_FILL = 235
# Per unit: the page, then (header, width mm, value) for the main figures.
TABLE = (
    ("Poster", 13, lambda c: str(c.items)),
    ("Dolda", 12, lambda c: str(c.hidden)),
    ("Raderade", 15, lambda c: str(c.deleted)),
    ("Återställda", 18, lambda c: str(c.restored)),
    ("Diarieförda", 18, lambda c: str(c.registered)),
    ("Granskning", 18, lambda c: percent(c.coverage)),
    ("Svar i tid", 16, lambda c: percent(c.in_time_share)),
    ("Median svar", 18, lambda c: hours(c.median_answer_hours)),
)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def hours(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} h".replace(".", ",")


def report_pdf(figures: YearFigures, *, created_at: datetime | None = None,
               made_by: str = "Uppsikt") -> bytes:
    title = f"Årsrapport sociala medier {figures.year}"
    with PdfDocument(title=title, subject="Rapport till informationschefen",
                     created_at=created_at) as doc:
        doc.heading(title, size=18)
        period = (f"Hela året {figures.year}" if figures.complete else
                  f"Året hittills: 1 januari – {figures.through.isoformat()}")
        made = f" {created_at.astimezone(STOCKHOLM):%Y-%m-%d %H:%M}" if created_at else ""
        doc.paragraph(f"{period}. Gjord{made} av {made_by}.", grey=True)
        _summary(doc, figures)
        doc.heading("Beslut per kategori", size=12)
        doc.paragraph("Poster vars senaste beslut nämner kategorin (en post kan ha flera).",
                      size=8.5, grey=True)
        codes = list(CATEGORIES) + sorted(set(figures.total.categories) - set(CATEGORIES))
        _hbars(doc, [(CATEGORY_NAMES.get(c, c), figures.total.categories.get(c, 0))
                     for c in codes])
        doc.heading("Poster per månad", size=12)
        _vbars(doc, list(zip(MONTH_ABBR, figures.total.monthly, strict=True)))
        for unit in figures.units:
            if doc.pdf.will_page_break(35):  # the heading with at least two table rows
                doc.new_page()
            doc.heading(f"Förvaltning: {unit.unit}", size=12)
            _table(doc, [(p.name, p.counts) for p in unit.pages]
                   + [("Summa förvaltningen", unit.counts)])
        doc.heading("Årets skärmdumpar", size=12)
        _snapshots(doc, figures)
        return doc.output()


def _summary(doc: PdfDocument, figures: YearFigures) -> None:
    t = figures.total
    doc.heading("Sammanfattning", size=12)
    doc.fields([
        ("Sidor", f"{len(figures.pages)} i {len(figures.units)} förvaltningar"),
        ("Poster", (f"{t.items} (inlägg {t.kinds.get('post', 0)}, kommentarer "
                   f"{t.kinds.get('comment', 0)}, svar {t.kinds.get('reply', 0)}, "
                   f"direktmeddelanden {t.kinds.get('message', 0)}; av sidorna själva "
                   f"{t.by_page})")),
        ("Reglernas beslut", (f"tillåt {t.decisions.get('allow', 0)}, granska "
                             f"{t.decisions.get('review', 0)}, dölj {t.decisions.get('hide', 0)},"
                             f" radera {t.decisions.get('delete', 0)}")),
        ("Åtgärder på Facebook", (f"dolda {t.hidden}, visade igen {t.unhidden}, raderade "
                                 f"{t.deleted}, misslyckade {t.actions_failed}")),
        ("Återställda", (f"{t.restored} efter granskning, varav {t.false_positives} "
                        "felaktiga träffar")),
        ("Registrering", (f"{t.cases} till registrator: diarieförda {t.registered}, ej "
                         f"diarieföring {t.not_required}, väntar {t.pending}; sekretess "
                         f"{t.secret}")),
        ("Daglig granskning", (f"{percent(t.coverage)} ({t.signed_days} av {t.working_days} "
                              "arbetsdagar, summerat över sidorna)")),
        ("Frågor", (f"{t.questions}: besvarade {t.answered}, i tid {t.answered_in_time} "
                   f"({percent(t.in_time_share)}), obesvarade efter sista dag {t.overdue}; "
                   f"mediantid till svar {hours(t.median_answer_hours)}")),
        ("Skärmdumpar", str(len(figures.snapshots))),
    ], label_width=50)


def _hbars(doc: PdfDocument, bars: Sequence[tuple[str, int]]) -> None:
    pdf = doc.pdf
    label_w, value_w, row_h = 58, 14, 5.5
    bar_max = pdf.epw - label_w - value_w
    top = max((v for _, v in bars), default=0) or 1
    if pdf.will_page_break(row_h * len(bars)):
        pdf.add_page()
    pdf.set_font(FONT, "", 8.5)
    for label, value in bars:
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        pdf.cell(label_w, row_h, displayable(label)[:40])
        width = bar_max * value / top
        if width > 0:
            pdf.set_fill_color(*BAR)
            pdf.rect(pdf.l_margin + label_w, y + 1, max(width, 0.4), row_h - 2, style="F")
        pdf.set_xy(pdf.l_margin + label_w + width + 1.5, y)
        pdf.cell(value_w, row_h, str(value))
        pdf.set_xy(pdf.l_margin, y + row_h)


def _vbars(doc: PdfDocument, bars: Sequence[tuple[str, int]]) -> None:
    pdf = doc.pdf
    chart_h, label_h = 40, 5
    if pdf.will_page_break(chart_h + 2 * label_h + 4):
        pdf.add_page()
    top = max((v for _, v in bars), default=0) or 1
    slot = pdf.epw / len(bars)
    base = pdf.get_y() + label_h + chart_h
    pdf.set_font(FONT, "", 7.5)
    pdf.set_draw_color(150)
    pdf.line(pdf.l_margin, base, pdf.l_margin + pdf.epw, base)
    for index, (label, value) in enumerate(bars):
        x = pdf.l_margin + index * slot
        height = chart_h * value / top
        if height > 0:
            pdf.set_fill_color(*BAR)
            pdf.rect(x + slot * 0.2, base - height, slot * 0.6, height, style="F")
        pdf.set_xy(x, base - height - label_h)
        pdf.cell(slot, label_h, str(value), align="C")
        pdf.set_xy(x, base + 0.5)
        pdf.cell(slot, label_h, label, align="C")
    pdf.set_xy(pdf.l_margin, base + label_h + 3)


def _table(doc: PdfDocument, rows: Sequence[tuple[str, Counts]]) -> None:
    pdf = doc.pdf
    row_h = 5.5
    name_w = pdf.epw - sum(w for _, w, _ in TABLE)

    def header() -> None:
        pdf.set_font(FONT, "B", 7)
        pdf.set_fill_color(HEADER_FILL)
        pdf.set_x(pdf.l_margin)
        pdf.cell(name_w, row_h, "Sida", border="B", fill=True)
        for name, width, _ in TABLE:
            pdf.cell(width, row_h, name, border="B", align="R", fill=True)
        pdf.ln(row_h)

    if pdf.will_page_break(row_h * 3):
        pdf.add_page()
    header()
    for index, (name, counts) in enumerate(rows):
        if pdf.will_page_break(row_h):
            pdf.add_page()
            header()
        last = index == len(rows) - 1
        pdf.set_font(FONT, "B" if last else "", 7.5)
        lines = doc.wrap(displayable(name), name_w - 1, style="B" if last else "", size=7.5)
        shown = lines[0] + ("…" if len(lines) > 1 else "") if lines else ""
        pdf.set_x(pdf.l_margin)
        pdf.cell(name_w, row_h, shown, border="B")
        for _, width, value in TABLE:
            pdf.cell(width, row_h, value(counts), border="B", align="R")
        pdf.ln(row_h)
    pdf.ln(2)


def _snapshots(doc: PdfDocument, figures: YearFigures) -> None:
    if not figures.snapshots:
        doc.paragraph("Inga skärmdumpar av årets perioder.", size=9)
        return
    for snap in figures.snapshots:
        doc.paragraph(f"{snap.page_name} ({snap.unit}), {snap.period_start.isoformat()} – "
                      f"{snap.period_end.isoformat()}", size=9, bold=True)
        doc.paragraph(f"PDF SHA-256 {snap.pdf_sha256}", size=7.5, indent=4)
        doc.paragraph(f"HTML SHA-256 {snap.html_sha256}", size=7.5, indent=4)

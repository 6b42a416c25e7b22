"""The yearly report to the head of communications (informationschef): the year's figures
per page and unit as a PDF for people and a CSV for spreadsheets, stored in the archive
with their SHA-256 (guidelines: "årlig rapport till informationschefen").

The files go under ``UPPSIKT_ARCHIVE_DIR`` as ``reports/<year>/uppsikt-arsrapport-<year>-
<id>.pdf|.csv``; each is written to a temporary file, synced, then linked into place, so a
crash leaves no half-written report and no stored file is ever overwritten.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.core.config import Settings
from app.core.csvsafe import spreadsheet_cell
from app.core.db import Database, utcnow
from app.core.files import write_new
from app.core.logging import get_logger
from app.pages.models import Page
from app.reports.figures import (
    Counts,
    YearFigures,
    local_day,
    year_start,
    yearly_figures,
)
from app.reports.pdf import report_pdf
from app.rules.wordlists import CATEGORIES
from app.snapshots.models import YearlyReport
from app.ui.rule_texts import CATEGORY_NAMES

__all__ = ["YearFigures", "final_report", "make_report", "report_csv", "report_pdf",
           "yearly_figures", "yearly_report_job"]

log = get_logger("uppsikt.reports")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december")


# CSV ----------------------------------------------------------------------------------------

def _percent(value: float | None) -> str:
    """A share as a Swedish percentage ("97,3"): the decimal comma Swedish Excel reads."""
    return "" if value is None else f"{value * 100:.1f}".replace(".", ",")


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def csv_columns(figures: YearFigures) -> list[tuple[str, Callable[[Counts], Any]]]:
    """The CSV's number columns: (header, value of a row's counts). docs/REPORTS.md
    describes each."""
    codes = list(CATEGORIES) + sorted(set(figures.total.categories) - set(CATEGORIES))
    columns: list[tuple[str, Callable[[Counts], Any]]] = [
        ("Poster", lambda c: c.items),
        ("Inlägg", lambda c: c.kinds.get("post", 0)),
        ("Kommentarer", lambda c: c.kinds.get("comment", 0)),
        ("Svar", lambda c: c.kinds.get("reply", 0)),
        ("Direktmeddelanden", lambda c: c.kinds.get("message", 0)),
        ("Skrivna av sidan", lambda c: c.by_page),
        ("Beslut: tillåt", lambda c: c.decisions.get("allow", 0)),
        ("Beslut: granska", lambda c: c.decisions.get("review", 0)),
        ("Beslut: dölj", lambda c: c.decisions.get("hide", 0)),
        ("Beslut: radera", lambda c: c.decisions.get("delete", 0)),
    ]
    for code in codes:
        columns.append((f"Kategori: {CATEGORY_NAMES.get(code, code)}",
                        lambda c, code=code: c.categories.get(code, 0)))
    columns += [
        ("Dolda på Facebook", lambda c: c.hidden),
        ("Visade igen", lambda c: c.unhidden),
        ("Raderade från Facebook", lambda c: c.deleted),
        ("Misslyckade åtgärder", lambda c: c.actions_failed),
        ("Återställda efter granskning", lambda c: c.restored),
        ("varav felaktiga träffar", lambda c: c.false_positives),
        ("Till registrator", lambda c: c.cases),
        ("Diarieförda", lambda c: c.registered),
        ("Ej diarieföring", lambda c: c.not_required),
        ("Väntar på registrator", lambda c: c.pending),
        ("Sekretess", lambda c: c.secret),
        ("Arbetsdagar", lambda c: c.working_days),
        ("Granskade arbetsdagar", lambda c: c.signed_days),
        ("Granskning (%)", lambda c: _percent(c.coverage)),
        ("Frågor", lambda c: c.questions),
        ("Besvarade", lambda c: c.answered),
        ("Besvarade i tid", lambda c: c.answered_in_time),
        ("Obesvarade efter sista dag", lambda c: c.overdue),
        ("Avslutade utan svar", lambda c: c.closed),
        ("Svar i tid (%)", lambda c: _percent(c.in_time_share)),
        ("Mediantid till svar (timmar)", lambda c: _decimal(c.median_answer_hours)),
        ("Skärmdumpar", lambda c: c.snapshots),
    ]
    for index, month in enumerate(MONTHS):
        columns.append((f"Poster {month}", lambda c, i=index: c.monthly[i]))
    return columns


def report_csv(figures: YearFigures) -> bytes:
    """One row per page, then one per unit and one for the total; ``;``-separated UTF-8
    with a byte order mark, as Swedish Excel opens it without asking."""
    columns = csv_columns(figures)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["År", "Till och med", "Nivå", "Förvaltning", "Sida", "Facebook-id",
                     *(name for name, _ in columns)])

    def row(level: str, unit: str, name: str, page_id: str, counts: Counts) -> None:
        values = [figures.year, figures.through.isoformat(), level, unit, name, page_id,
                  *(value(counts) for _, value in columns)]
        writer.writerow([spreadsheet_cell(v) for v in values])

    for page in figures.pages:
        row("sida", page.unit, page.name, page.platform_id, page.counts)
    for unit in figures.units:
        row("förvaltning", unit.unit, "", "", unit.counts)
    row("totalt", "", "", "", figures.total)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# Storing ------------------------------------------------------------------------------------

def final_report(session: Session, year: int) -> YearlyReport | None:
    """The first report of ``year`` made after the year ended (one made during the year
    counts only the year so far)."""
    return session.scalar(
        select(YearlyReport).where(YearlyReport.year == year,
                                   YearlyReport.created_at >= year_start(year + 1))
        .order_by(YearlyReport.id).limit(1))


def _store(archive: Path, stem: str, suffix: str, data: bytes) -> tuple[str, str, int]:
    """Store a file; returns (path relative to the archive, sha256, size). A file left at
    the same name by a transaction that never committed is kept: the new one gets a
    random suffix instead."""
    relative = f"{stem}.{suffix}"
    try:
        write_new(archive / relative, data)
    except FileExistsError:
        relative = f"{stem}-{secrets.token_hex(4)}.{suffix}"
        write_new(archive / relative, data)
    return relative, hashlib.sha256(data).hexdigest(), len(data)


def make_report(db: Database, settings: Settings, year: int, *, trigger: str, by: str,
                now: datetime | None = None, only_if_missing: bool = False,
                ) -> YearlyReport | None:
    """Compute the figures, store the PDF and the CSV, record the report. The figures are
    computed in a read transaction and the files written in a short write transaction
    after, so a large archive's counting never holds SQLite's write lock.

    ``only_if_missing``: do nothing (None) when the year's final report exists."""
    now = now or utcnow()
    today = local_day(now)
    with db.transaction() as session:
        figures = yearly_figures(session, year, today)
    csv_bytes = report_csv(figures)
    pdf_bytes = report_pdf(figures, created_at=now, made_by=by)
    with db.transaction(immediate=True) as session:
        if only_if_missing and final_report(session, year) is not None:
            return None
        report = YearlyReport(year=year, trigger=trigger, created_at=now, created_by=by,
                              pdf_path="", pdf_sha256="", pdf_bytes=0,
                              csv_path="", csv_sha256="", csv_bytes=0)
        session.add(report)
        session.flush()
        stem = f"reports/{year}/uppsikt-arsrapport-{year}-{report.id}"
        archive = Path(settings.archive_dir)
        report.pdf_path, report.pdf_sha256, report.pdf_bytes = _store(
            archive, stem, "pdf", pdf_bytes)
        report.csv_path, report.csv_sha256, report.csv_bytes = _store(
            archive, stem, "csv", csv_bytes)
        record(session, actor=by, act="report.made", subject_type="yearly_report",
               subject_id=report.id, at=now,
               detail={"year": year, "trigger": trigger, "through": figures.through.isoformat(),
                       "pages": len(figures.pages), "pdf_sha256": report.pdf_sha256,
                       "csv_sha256": report.csv_sha256})
    log.info("report.made", report_id=report.id, year=year, trigger=trigger)
    return report


def report_file(settings: Settings, report: YearlyReport, kind: str) -> tuple[Path, str]:
    """The stored file of a report (``kind`` pdf or csv) and its recorded SHA-256; the path
    is checked to stay inside the archive."""
    relative, sha = ((report.pdf_path, report.pdf_sha256) if kind == "pdf"
                     else (report.csv_path, report.csv_sha256))
    archive = Path(settings.archive_dir).resolve()
    path = (archive / relative).resolve()
    if not path.is_relative_to(archive):
        raise ValueError("the stored path leaves the archive")
    return path, sha


# The scheduled job -------------------------------------------------------------------------

def yearly_report_job(ctx: Any) -> dict[str, Any]:
    """After a year has ended, its report, once: a run finds the year's report made after
    the year ended and does nothing, so a second run, a run by hand or a missed day is
    harmless (in January this is the report of the year just ended)."""
    year = ctx.local_now.year - 1
    with ctx.db.transaction() as session:
        existing = final_report(session, year)
        if existing is not None:
            return {"year": year, "made": False, "report_id": existing.id}
        start, end = year_start(year), year_start(year + 1)
        had_pages = session.scalar(select(Page.id).where(
            Page.created_at < end, (Page.removed_at.is_(None)) | (Page.removed_at >= start),
        ).limit(1))
    if had_pages is None:
        return {"year": year, "made": False, "reason": "no page existed in the year"}
    if ctx.dry_run:
        return {"year": year, "made": False, "dry_run": True}
    report = make_report(ctx.db, ctx.settings, year, trigger="schedule", by="system",
                         now=ctx.now, only_if_missing=True)
    if report is None:
        return {"year": year, "made": False}
    return {"year": year, "made": True, "report_id": report.id, "pdf": report.pdf_path,
            "csv": report.csv_path}

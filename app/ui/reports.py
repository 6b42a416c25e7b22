"""The yearly report in the UI: a year's figures (the current year so far) as tables and
bar charts, the stored reports with their files, and making a report now.

The charts are SVG drawn on the server: no JavaScript, and no inline styles (the CSP
forbids them); the bars' sizes are SVG attributes, their colours classes in ui.css. Each
chart has a title and description for screen readers, and its numbers are in a table too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from app.accounts.models import Role
from app.api.deps import SessionDep
from app.pages.models import Page
from app.reports.figures import FIRST_YEAR, check_year, local_day, yearly_figures
from app.reports.service import MONTHS, make_report, report_file
from app.rules.wordlists import CATEGORIES
from app.snapshots.models import YearlyReport
from app.ui.auth import Principal
from app.ui.i18n import language
from app.ui.rule_texts import CATEGORY_NAMES
from app.ui.web import CsrfUser, UiError, redirect, render, require, today

router = APIRouter(prefix="/ui", include_in_schema=False)

READERS = (Role.information_officer, Role.auditor)
Reader = Annotated[Principal, require(*READERS)]
MONTH_ABBR = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov",
              "dec")


def _(text: str) -> str:
    """Marks a text for the translation check; templates translate it when shown."""
    return text


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float | None = None


def category_chart(values: list[tuple[str, int]]) -> Chart:
    """Horizontal bars: a label, its bar and its number on each row."""
    width, label_w, value_w, row = 640, 210, 50, 26
    room = width - label_w - value_w
    top = max((v for _, v in values), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(values):
        y = index * row
        w = round(room * value / top, 1)
        bars.append(Bar(label, value, label_w, y + 5, w, row - 10, label_w - 8, y + row * 0.65,
                        label_w + w + 6, y + row * 0.65))
    return Chart(width, row * len(values), bars)


def month_chart(values: list[tuple[str, int]]) -> Chart:
    """Vertical bars, one per month, the number above each."""
    width, height, top_room, label_h = 640, 200, 20, 22
    slot = width / len(values)
    plot = height - top_room - label_h
    top = max((v for _, v in values), default=0) or 1
    baseline = height - label_h
    bars = []
    for index, (label, value) in enumerate(values):
        h = round(plot * value / top, 1)
        x = index * slot
        bars.append(Bar(label, value, round(x + slot * 0.2, 1), baseline - h,
                        round(slot * 0.6, 1), h, round(x + slot / 2, 1), height - 6,
                        round(x + slot / 2, 1), baseline - h - 5))
    return Chart(width, height, bars, baseline)


def _year(value: str | None, *, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        year = int(value.strip())
        check_year(year, today())
    except ValueError:
        raise UiError(422, _("Ogiltigt år: välj ett år från listan.")) from None
    return year


def _formatters(request: Request) -> tuple[Callable[[float | None], str],
                                           Callable[[float | None], str]]:
    """Shares and hours with the language's decimal sign."""
    comma = language(request) == "sv"

    def number(value: float, suffix: str) -> str:
        text = f"{value:.1f}"
        return (text.replace(".", ",") if comma else text) + suffix

    def pct(value: float | None) -> str:
        return "–" if value is None else number(value * 100, " %")

    def hrs(value: float | None) -> str:
        return "–" if value is None else number(value, " h")

    return pct, hrs


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, principal: Reader, session: SessionDep,
                 year: str | None = None, gjord: str | None = None) -> HTMLResponse:
    now = today()
    chosen = _year(year, default=now.year)
    figures = yearly_figures(session, chosen, now)
    first = session.scalar(select(func.min(Page.created_at)))
    oldest = max(FIRST_YEAR, min(local_day(first).year if first else now.year, chosen))
    reports = list(session.scalars(select(YearlyReport).order_by(
        YearlyReport.year.desc(), YearlyReport.id.desc())))
    codes = list(CATEGORIES) + sorted(set(figures.total.categories) - set(CATEGORIES))
    categories = [(CATEGORY_NAMES.get(c, c), figures.total.categories.get(c, 0))
                  for c in codes]
    months = list(zip(MONTH_ABBR, figures.total.monthly, strict=True))
    pct, hrs = _formatters(request)
    made = next((r for r in reports if gjord is not None and str(r.id) == gjord), None)
    return render(request, "reports/index.html", principal, figures=figures, year=chosen,
                  years=list(range(now.year, oldest - 1, -1)), reports=reports,
                  categories=categories, category_chart=category_chart(categories),
                  months=months, month_names=MONTHS, month_chart=month_chart(months),
                  pct=pct, hrs=hrs, made=made,
                  may_make=principal.role == Role.information_officer)


@router.post("/reports/make")
def make(request: Request, principal: CsrfUser,
         year: Annotated[str, Form(max_length=10)] = "") -> Response:
    if principal.role != Role.information_officer:
        raise UiError(403, "Din roll får inte göra detta.")
    if not year.strip():
        raise UiError(422, _("Ogiltigt år: välj ett år från listan."))
    chosen = _year(year, default=0)
    report = make_report(request.app.state.db, request.app.state.settings, chosen,
                         trigger="on_demand", by=principal.username)
    assert report is not None
    return redirect(f"/ui/reports?year={chosen}&gjord={report.id}")


@router.get("/reports/{report_id}/{kind}")
def download(report_id: int, kind: str, request: Request, principal: Reader,
             session: SessionDep) -> Response:
    if kind not in ("pdf", "csv"):
        raise UiError(404, "Sidan finns inte.")
    report = session.get(YearlyReport, report_id)
    if report is None:
        raise UiError(404, _("Rapporten finns inte."))
    try:
        path, sha = report_file(request.app.state.settings, report, kind)
        data = path.read_bytes()
    except (OSError, ValueError):
        raise UiError(404, _("Rapportens fil saknas i arkivet.")) from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise UiError(409, _("Rapportens fil har ändrats sedan den gjordes: kontrollsumman "
                             "stämmer inte. Kontakta den som ansvarar för arkivet."))
    media = "application/pdf" if kind == "pdf" else "text/csv; charset=utf-8"
    name = f"uppsikt-arsrapport-{report.year}-{report.id}.{kind}"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


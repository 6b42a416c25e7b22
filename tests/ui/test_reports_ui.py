"""The yearly report in the UI: figures and SVG charts, the roles, making a report (CSRF,
the year checked) and downloading its files."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.snapshots.models import YearlyReport
from app.ui.web import today
from tests.test_reports import EVIL_NAME, build_year
from tests.ui.conftest import csrf_of, login, ui_user


def _officer(ui, db) -> str:
    login(ui, ui_user(db, "information_officer"))
    return csrf_of(ui.get("/ui/reports?year=2025").text)


def test_the_figures_and_charts_of_a_year(ui, db):
    build_year(db)
    login(ui, ui_user(db, "auditor"))
    r = ui.get("/ui/reports?year=2025")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Årsrapport 2025" in html and "Hela året." in html
    assert "Kommunstyrelsen" in html and "Kultur- och fritidsnämnden" in html
    # Hostile page names are escaped, never markup.
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;klicka&#34;)" in html
    assert EVIL_NAME not in html
    # Two charts, each with a title for screen readers; a bar per category and month.
    charts = re.findall(r'<svg role="img" aria-labelledby="([^"]+)"', html)
    assert charts == ["categories-title categories-desc", "months-title"]
    assert html.count('<rect class="bar"') == 9 + 12
    assert "<title>Hets och trakasserier: 1</title>" in html
    assert "<title>januari: 3</title>" in html
    assert " style=" not in html and "<script>" not in html  # the CSP allows neither
    # The numbers are in tables too: page E's oversight, A's median answer time.
    assert "10,5 %" in html and "37,5 h" in html
    # No making for auditors.
    assert 'action="/ui/reports/make"' not in html


def test_the_current_year_by_default_and_english(ui, db):
    build_year(db)
    login(ui, ui_user(db, "auditor"))
    html = ui.get("/ui/reports").text
    assert f"Årsrapport {today().year}" in html and "Året hittills" in html
    html = ui.get("/ui/reports?year=2025", headers={"Accept-Language": "en-GB"}).text
    assert "Yearly report 2025" in html and "Decisions by category" in html
    assert "37.5 h" in html


@pytest.mark.parametrize("role", ["moderator", "registrar"])
def test_other_roles_may_not(ui, db, role):
    login(ui, ui_user(db, role, unit="Kommunstyrelsen" if role == "moderator" else None))
    assert ui.get("/ui/reports").status_code == 403
    csrf = csrf_of(ui.get("/ui/").text)
    r = ui.post("/ui/reports/make", data={"csrf": csrf, "year": "2025"})
    assert r.status_code == 403


@pytest.mark.parametrize("year", ["2999", "abc", "1999", "-1", "2025.5", ""])
def test_a_bad_year_is_refused(ui, db, year):
    csrf = _officer(ui, db)
    assert ui.post("/ui/reports/make", data={"csrf": csrf, "year": year}).status_code == 422
    if year:
        assert ui.get(f"/ui/reports?year={year}").status_code == 422
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(YearlyReport)) == 0


def test_making_needs_the_csrf_token(ui, db):
    _officer(ui, db)
    r = ui.post("/ui/reports/make", data={"csrf": "wrong", "year": "2025"})
    assert r.status_code == 403
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(YearlyReport)) == 0


def test_an_officer_makes_a_report_and_downloads_it(ui, db, settings):
    build_year(db)
    csrf = _officer(ui, db)
    r = ui.post("/ui/reports/make", data={"csrf": csrf, "year": "2025"})
    assert r.status_code == 303
    with db.transaction() as session:
        report = session.scalar(select(YearlyReport))
        audit = session.scalar(select(AuditEntry).where(AuditEntry.act == "report.made"))
    assert r.headers["location"] == f"/ui/reports?year=2025&gjord={report.id}"
    assert audit.actor == "information_officer-alla"
    page = ui.get(r.headers["location"]).text
    assert "Rapporten för 2025 är gjord och sparad." in page and report.pdf_sha256 in page
    pdf = ui.get(f"/ui/reports/{report.id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == report.pdf_sha256
    csv_file = ui.get(f"/ui/reports/{report.id}/csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert hashlib.sha256(csv_file.content).hexdigest() == report.csv_sha256
    assert ui.get(f"/ui/reports/{report.id}/exe").status_code == 404
    assert ui.get(f"/ui/reports/{report.id + 99}/pdf").status_code == 404
    # A file changed in the archive is not handed out as the report.
    (Path(settings.archive_dir) / report.csv_path).write_bytes(b"changed")
    assert ui.get(f"/ui/reports/{report.id}/csv").status_code == 409

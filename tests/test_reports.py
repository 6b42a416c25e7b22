"""The yearly report: its figures for a year built by hand, its CSV and PDF, the stored
files, the job and the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.content.models import Item, ItemVersion
from app.core.db import Database
from app.jobs.runner import run_job
from app.moderation.models import Action, RegistrationCase, Snapshot
from app.oversight.models import OversightSignoff
from app.pages.models import Page
from app.questions.models import ServiceQuestion
from app.reports.service import make_report, report_csv, report_pdf, yearly_figures
from app.review.models import FalsePositive, ReviewOutcome
from app.rules.models import ItemDecision
from app.snapshots.models import PageSnapshot, YearlyReport
from tests.conftest import SECRET_KEY, UPPSIKT

SE = ZoneInfo("Europe/Stockholm")
TODAY = date(2026, 11, 26)
EVIL_NAME = '=HYPERLINK("http://evil.example","klicka")'


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def se(*args: int) -> datetime:
    return datetime(*args, tzinfo=SE).astimezone(UTC)


class Builder:
    """Typed factories for the rows a yearly report counts."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self.n = 0

    def page(self, name: str, unit: str, created: datetime) -> Page:
        self.n += 1
        page = Page(platform_id=f"99000{self.n}", name=name, unit=unit, created_at=created)
        self.s.add(page)
        self.s.flush()
        return page

    def item(self, page: Page, kind: str = "comment", *, created: datetime | None,
             seen: datetime | None = None, by_page: bool = False) -> Item:
        self.n += 1
        item = Item(platform_id=f"{page.platform_id}_{self.n}", page_id=page.id, kind=kind,
                    platform_type=kind, by_page=by_page, created_time=created,
                    first_seen_at=seen or created)
        self.s.add(item)
        self.s.flush()
        return item

    def decision(self, item: Item, decision: str, categories: list[str]) -> ItemDecision:
        self.n += 1
        version = ItemVersion(item_id=item.id, seq=self.n, text="x", content_sha256="0" * 64,
                              observed_at=item.first_seen_at, verb="add")
        self.s.add(version)
        self.s.flush()
        row = ItemDecision(item_id=item.id, item_version_id=version.id, decision=decision,
                           register=False, observe=False, categories=categories,
                           explanation={}, engine_version="1", policy_version="1")
        self.s.add(row)
        self.s.flush()
        return row

    def snapshot(self, item: Item) -> Snapshot:
        version = self.s.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
        if version is None:
            self.decision(item, "allow", [])
            version = self.s.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
        snap = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                        taken_by="system", item_platform_id=item.platform_id,
                        page_platform_id="p", observed_at=item.first_seen_at, sha256="1" * 64)
        self.s.add(snap)
        self.s.flush()
        return snap

    def action(self, item: Item, kind: str, status: str, created: datetime) -> None:
        self.s.add(Action(snapshot_id=self.snapshot(item).id, item_id=item.id,
                          page_id=item.page_id, kind=kind, status=status,
                          requested_by="system", reason="test", created_at=created))

    def outcome(self, item: Item, outcome: str, at: datetime) -> None:
        self.s.add(ReviewOutcome(item_id=item.id, outcome=outcome, handled_by="mod",
                                 handled_at=at))

    def case(self, item: Item, status: str, created: datetime, *, secret: bool = False) -> None:
        self.s.add(RegistrationCase(item_id=item.id, snapshot_id=self.snapshot(item).id,
                                    status=status, secret=secret, reason="test",
                                    created_at=created))

    def signoff(self, page: Page, day: date, by: str = "mod") -> None:
        self.s.add(OversightSignoff(page_id=page.id, day=day, signed_by=by))

    def question(self, page: Page, asked: datetime, due: date, *,
                 answered: datetime | None = None, status: str = "open") -> None:
        item = self.item(page, created=utc(2023, 5, 5))  # an old item: not a 2025 item
        self.s.add(ServiceQuestion(item_id=item.id, page_id=page.id, asked_at=asked,
                                   due_on=due, status=status, answered_at=answered))

    def page_snapshot(self, page: Page, start: date, end: date) -> None:
        self.n += 1
        self.s.add(PageSnapshot(
            page_id=page.id, period_start=start, period_end=end, trigger="schedule",
            created_by="system", pdf_path=f"s/{self.n}.pdf", pdf_sha256=f"{self.n:064x}",
            pdf_bytes=1, html_path=f"s/{self.n}.html", html_sha256=f"{self.n + 500:064x}",
            html_bytes=1))


def build_year(db: Database) -> dict[str, Page]:
    """Two pages in two units with rows in 2024, 2025 and 2026; the expected 2025 figures
    are worked out by hand in the tests."""
    with db.transaction() as session:
        b = Builder(session)
        a = b.page("Falu kommun", "Kommunstyrelsen", utc(2024, 6, 1, 10))
        e = b.page(EVIL_NAME, "Kultur- och fritidsnämnden", se(2025, 12, 1, 9))
        b.page("Ny sida 2026", "Kommunstyrelsen", utc(2026, 2, 1))  # not in 2025

        # Items of page A in 2025: 1 post by the page, 3 comments, 1 reply.
        b.item(a, "post", created=se(2025, 1, 15, 12), by_page=True)
        c1 = b.item(a, created=se(2025, 1, 20, 12))
        c2 = b.item(a, created=None, seen=se(2025, 3, 10, 12))  # Meta gave no time
        reply = b.item(a, "reply", created=se(2025, 12, 31, 23, 30))
        early = b.item(a, created=utc(2024, 12, 31, 23, 30))  # 00:30 on 1 Jan in Sweden
        late = b.item(a, created=utc(2025, 12, 31, 23, 30))  # 00:30 on 1 Jan 2026
        old = b.item(a, created=se(2024, 7, 1, 12))
        # Page E: a direct message and a comment in December.
        msg = b.item(e, "message", created=se(2025, 12, 5, 12))
        ce = b.item(e, created=se(2025, 12, 6, 12))

        b.decision(c1, "hide", ["profanity"])
        d1 = b.decision(c1, "allow", [])  # the latest decision counts
        b.decision(c2, "hide", ["hate", "defamation"])
        b.decision(reply, "delete", ["spam"])
        b.decision(early, "review", ["personal_data"])
        b.decision(late, "hide", ["hate"])  # 2026
        b.decision(old, "hide", ["hate"])  # 2024
        b.decision(ce, "hide", ["secret"])

        b.action(c2, "hide", "done", se(2025, 3, 10, 12))
        b.action(reply, "delete", "done", se(2025, 12, 31, 23, 40))
        b.action(c1, "hide", "failed", se(2025, 1, 20, 12))
        b.action(c1, "unhide", "done", se(2025, 1, 21, 12))
        b.action(c1, "hide", "pending", se(2025, 5, 1, 12))
        b.action(late, "hide", "done", se(2026, 1, 1, 1))
        b.action(ce, "hide", "done", se(2025, 12, 6, 12))

        b.outcome(c1, "false_positive", se(2025, 1, 21, 12))
        session.add(FalsePositive(item_id=c1.id, item_decision_id=d1.id, category="profanity",
                                  source="wordlist", rule="r", term="t", marked_by="mod",
                                  marked_at=se(2025, 1, 21, 12)))
        b.outcome(c2, "restored", se(2025, 4, 1, 12))
        b.outcome(reply, "kept", se(2025, 4, 1, 12))
        b.outcome(late, "restored", se(2026, 1, 2, 12))

        b.case(ce, "registered", se(2025, 12, 6, 13), secret=True)
        b.case(msg, "pending", se(2025, 12, 5, 13))
        b.case(c2, "not_required", se(2025, 3, 10, 13))
        b.case(old, "registered", se(2024, 7, 1, 13))

        # Page A: 2 Jan is a working day; 6 Jan (trettondedag jul) and midsommarafton
        # are not; the other years do not count.
        for day in (date(2025, 1, 2), date(2025, 1, 6), date(2025, 6, 20),
                    date(2024, 12, 30), date(2026, 1, 2)):
            b.signoff(a, day)
        # Page E (from 1 Dec): 1 and 29 Dec count (29 Dec twice, once), 24 and 31 Dec not.
        for day, by in ((date(2025, 12, 1), "mod"), (date(2025, 12, 24), "mod"),
                        (date(2025, 12, 29), "mod"), (date(2025, 12, 29), "other"),
                        (date(2025, 12, 31), "mod")):
            b.signoff(e, day, by)

        b.question(a, utc(2025, 2, 3, 9), date(2025, 2, 4), answered=utc(2025, 2, 3, 11),
                   status="answered")  # 2 h, in time
        b.question(a, utc(2025, 2, 5, 8), date(2025, 2, 6), answered=utc(2025, 2, 7, 8),
                   status="answered")  # 48 h, late
        b.question(a, utc(2025, 12, 30, 10), date(2025, 12, 31),
                   answered=utc(2025, 12, 31, 23, 30), status="answered")  # 37.5 h, but
        # 1 January in Sweden: late
        b.question(a, utc(2025, 10, 1, 8), date(2025, 10, 2))  # overdue
        b.question(a, utc(2025, 10, 1, 9), date(2025, 10, 2), status="closed")
        b.question(a, utc(2024, 10, 1, 8), date(2024, 10, 2))  # 2024

        b.page_snapshot(a, date(2025, 1, 1), date(2025, 6, 30))
        b.page_snapshot(a, date(2025, 7, 1), date(2025, 12, 31))
        b.page_snapshot(a, date(2024, 7, 1), date(2024, 12, 31))
        return {"a": a, "e": e}


def test_figures_of_a_built_year(db):
    pages = build_year(db)
    with db.transaction() as session:
        f = yearly_figures(session, 2025, TODAY)
    assert f.complete and f.through == date(2025, 12, 31)
    assert [p.name for p in f.pages] == ["Falu kommun", EVIL_NAME]
    assert [u.unit for u in f.units] == ["Kommunstyrelsen", "Kultur- och fritidsnämnden"]
    a = next(p for p in f.pages if p.page_id == pages["a"].id).counts
    e = next(p for p in f.pages if p.page_id == pages["e"].id).counts

    assert a.items == 5 and a.by_page == 1
    assert a.kinds == {"post": 1, "comment": 3, "reply": 1, "message": 0}
    assert a.monthly == [3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert a.decisions == {"allow": 1, "review": 1, "hide": 1, "delete": 1}
    assert {k: v for k, v in a.categories.items() if v} == {
        "hate": 1, "defamation": 1, "spam": 1, "personal_data": 1}
    assert (a.hidden, a.unhidden, a.deleted, a.actions_failed) == (1, 1, 1, 1)
    assert (a.restored, a.false_positives) == (2, 1)
    assert (a.cases, a.registered, a.not_required, a.pending, a.secret) == (1, 0, 1, 0, 0)
    # 2025: 261 weekdays less 12 weekday holidays and eves = 249 working days.
    assert (a.working_days, a.signed_days) == (249, 1)
    assert (a.questions, a.answered, a.answered_in_time, a.overdue, a.closed) == (5, 3, 1, 1, 1)
    assert a.median_answer_hours == pytest.approx(37.5)
    assert a.in_time_share == pytest.approx(1 / 4)
    assert a.snapshots == 2

    assert e.items == 2 and e.kinds["message"] == 1 and e.monthly[11] == 2
    assert e.decisions["hide"] == 1 and e.categories["secret"] == 1
    assert (e.cases, e.registered, e.pending, e.secret) == (2, 1, 1, 1)
    # December 2025: 23 weekdays less 24, 25, 26 and 31 December = 19 working days.
    assert (e.working_days, e.signed_days) == (19, 2)
    assert e.coverage == pytest.approx(2 / 19)
    assert e.median_answer_hours is None and e.in_time_share is None

    t = f.total
    assert t.items == 7 and t.hidden == 2 and t.registered == 1 and t.cases == 3
    assert (t.working_days, t.signed_days) == (268, 3)
    assert t.coverage == pytest.approx(3 / 268)
    assert [(s.period_start, s.page_name) for s in f.snapshots] == [
        (date(2025, 1, 1), "Falu kommun"), (date(2025, 7, 1), "Falu kommun")]


def test_the_current_year_counts_so_far(db):
    with db.transaction() as session:
        b = Builder(session)
        page = b.page("Falu kommun", "Kommunstyrelsen", se(2026, 11, 23, 8))  # a Monday
        b.item(page, created=se(2026, 11, 24, 8))
        b.signoff(page, date(2026, 11, 24))
        b.signoff(page, date(2026, 11, 26))  # today: not over, not counted
    with db.transaction() as session:
        f = yearly_figures(session, 2026, TODAY)
        with pytest.raises(ValueError):
            yearly_figures(session, 2027, TODAY)
    assert not f.complete and f.through == TODAY
    # Monday 23 to Wednesday 25 November: three working days, one signed off.
    assert (f.total.working_days, f.total.signed_days, f.total.items) == (3, 1, 1)


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_parses_back_with_the_numbers(db):
    build_year(db)
    with db.transaction() as session:
        rows = _csv_rows(report_csv(yearly_figures(session, 2025, TODAY)))
    assert [r["Nivå"] for r in rows] == ["sida", "sida", "förvaltning", "förvaltning", "totalt"]
    a, e, _, unit_e, total = rows
    assert a["Sida"] == "Falu kommun" and a["Förvaltning"] == "Kommunstyrelsen"
    assert a["Poster"] == "5" and a["Kategori: Hets och trakasserier"] == "1"
    assert a["Beslut: radera"] == "1" and a["varav felaktiga träffar"] == "1"
    assert a["Mediantid till svar (timmar)"] == "37,5" and a["Svar i tid (%)"] == "25,0"
    assert a["Poster januari"] == "3" and a["Poster december"] == "1"
    assert e["Sida"] == "'" + EVIL_NAME  # a spreadsheet shows it, never runs it
    assert e["Granskning (%)"] == "10,5" and unit_e["Diarieförda"] == "1"
    assert total["Poster"] == "7" and total["Granskade arbetsdagar"] == "3"
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:")))


def test_pdf_opens_and_holds_the_figures(db, tmp_path):
    build_year(db)
    with db.transaction() as session:
        figures = yearly_figures(session, 2025, TODAY)
    path = tmp_path / "r.pdf"
    path.write_bytes(report_pdf(figures, created_at=utc(2026, 1, 1, 4), made_by="system"))
    assert _pdf_pages(path) >= 1
    text = _pdf_text(path)
    assert "Årsrapport sociala medier 2025" in text
    assert "Kommunstyrelsen" in text and "Kultur- och fritidsnämnden" in text
    assert "10,5 %" in text and "37,5 h" in text  # page E's oversight; A's median
    assert "Hets och trakasserier" in text and "Summa förvaltningen" in text
    assert figures.snapshots[0].pdf_sha256 in text  # a snapshot's checksum


def test_make_report_stores_files_with_their_checksums(db, settings):
    build_year(db)
    report = make_report(db, settings, 2025, trigger="on_demand", by="anna",
                         now=utc(2026, 3, 1, 9))
    assert report is not None
    assert report.pdf_path == f"reports/2025/uppsikt-arsrapport-2025-{report.id}.pdf"
    for rel, sha, size in ((report.pdf_path, report.pdf_sha256, report.pdf_bytes),
                           (report.csv_path, report.csv_sha256, report.csv_bytes)):
        data = (Path(settings.archive_dir) / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha and len(data) == size
    assert not list(Path(settings.archive_dir).rglob(".part-*"))
    with db.transaction() as session:
        stored = session.get(YearlyReport, report.id)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.act == "report.made")).all()
    assert stored.pdf_sha256 == report.pdf_sha256 and stored.created_by == "anna"
    assert len(audit) == 1 and audit[0].detail["year"] == 2025


def test_a_leftover_file_is_never_overwritten(db, settings):
    """A file at the next report's name (left by a transaction that never committed) is
    kept as it was; the new report takes another name."""
    with db.transaction() as session:
        Builder(session).page("Falu kommun", "KS", utc(2024, 1, 1))
        next_id = (session.scalar(select(func.max(YearlyReport.id))) or 0) + 1
    leftover = Path(settings.archive_dir) / f"reports/2025/uppsikt-arsrapport-2025-{next_id}.pdf"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"keep me")
    report = make_report(db, settings, 2025, trigger="on_demand", by="anna")
    assert leftover.read_bytes() == b"keep me"
    if report.id == next_id:  # PostgreSQL's sequence may have moved on
        assert report.pdf_path != f"reports/2025/uppsikt-arsrapport-2025-{next_id}.pdf"
    assert (Path(settings.archive_dir) / report.pdf_path).read_bytes().startswith(b"%PDF")


def test_the_job_makes_last_years_report_once(db, job_env):
    build_year(db)
    # A report made during 2025 covers only part of the year: the job still makes one.
    make_report(db, job_env.settings, 2025, trigger="on_demand", by="anna",
                now=se(2025, 12, 1, 9))
    at = se(2026, 1, 1, 5)
    first = run_job(job_env, "yearly-report", now=at)
    second = run_job(job_env, "yearly-report", now=at + timedelta(hours=1))
    assert first.status == second.status == "ok"
    assert first.summary["made"] is True and first.summary["year"] == 2025
    assert second.summary == {"year": 2025, "made": False,
                              "report_id": first.summary["report_id"]}
    with db.transaction() as session:
        reports = session.scalars(select(YearlyReport).where(
            YearlyReport.trigger == "schedule")).all()
    assert len(reports) == 1 and reports[0].year == 2025
    data = (Path(job_env.settings.archive_dir) / reports[0].csv_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == reports[0].csv_sha256
    assert _csv_rows(data)[-1]["Poster"] == "7"


def test_the_job_skips_a_year_without_pages(db, job_env):
    with db.transaction() as session:
        Builder(session).page("Falu kommun", "KS", utc(2026, 3, 1))
    outcome = run_job(job_env, "yearly-report", now=se(2026, 6, 1, 5))
    assert outcome.summary["made"] is False and outcome.summary["year"] == 2025
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(YearlyReport)) == 0


def test_cli_show_make_list(run, db, settings, database_url):
    build_year(db)
    shown = json.loads(run("reports", "show", "--year", "2025", "--json").stdout)
    assert shown["total"]["items"] == 7 and shown["complete"] is True
    assert shown["units"][1]["unit"] == "Kultur- och fritidsnämnden"
    assert "Falu kommun" in run("reports", "show", "--year", "2025").stdout
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(YearlyReport)) == 0
    bad = run("reports", "show", "--year", "2999", ok=False)
    assert bad.returncode == 2 and "error:" in bad.stderr
    env = {**os.environ, "UPPSIKT_DATABASE_URL": database_url, "UPPSIKT_SECRET_KEY": SECRET_KEY,
           "UPPSIKT_ARCHIVE_DIR": str(settings.archive_dir)}
    result = subprocess.run([*UPPSIKT, "reports", "make", "--year", "2025"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    made = result.stdout
    assert str(settings.archive_dir) in made
    listed = json.loads(run("reports", "list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["pdf_sha256"] in made

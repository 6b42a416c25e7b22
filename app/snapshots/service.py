"""Half-yearly snapshots of each page (skärmdump varje halvår, the guidelines' Bilaga 1
p. 8): a PDF and an HTML file of the page's posts and comments of the period as they stood
at its end, stored under the archive directory with the SHA-256 of each file recorded.

Files are written once and never replaced: a temporary file in the target directory,
flushed to disk, then hard-linked to its final name (which fails if the name is taken)
and the directory flushed. The row that lists the files is committed only after both
files are on disk, so a listed file always exists; a crash in between leaves at most
an unlisted file, which ``verify`` reports.

The scheduled job makes, for every page that existed during the last finished
half-year, that half-year's snapshot if it has none yet: a missed night is made good the
next, and a second run does nothing. A page with nothing posted still gets a snapshot
saying so; a page added to Uppsikt after the half-year ended gets none for it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.alerts.service import raise_alert, resolve_alert
from app.audit.service import record
from app.content.models import Item, ItemKind
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.files import write_new
from app.core.logging import get_logger
from app.jobs.registry import JobContext
from app.pages.models import Page, PageRegister
from app.snapshots.content import STOCKHOLM, bounds, page_content
from app.snapshots.models import PageSnapshot
from app.snapshots.render import Made, render_html, render_pdf

log = get_logger("uppsikt.snapshots")

SUBDIR = "snapshots"
ALERT_KIND = "snapshot.failed"
_SAFE = re.compile(r"[^A-Za-z0-9_-]")
_READ = 1024 * 1024


class Trigger(StrEnum):
    schedule = "schedule"
    on_demand = "on_demand"


class SnapshotError(ValueError):
    """A snapshot that cannot be made as asked (a bad period, a file name taken)."""


# Periods -----------------------------------------------------------------------------------

def half_year_of(day: date) -> tuple[date, date]:
    """The half-year holding ``day``: 1 January–30 June or 1 July–31 December."""
    if day.month <= 6:
        return date(day.year, 1, 1), date(day.year, 6, 30)
    return date(day.year, 7, 1), date(day.year, 12, 31)


SETTLE_DAYS = 2


def due_period(today: date) -> tuple[date, date]:
    """The half-year the scheduled job snapshots on ``today``. Meta retries a webhook for
    up to 36 hours and reconciliation catches up on what it missed, so a half-year is
    snapshotted once that has settled: from the third day after it ended."""
    return last_finished_half_year(today - timedelta(days=SETTLE_DAYS))


def last_finished_half_year(today: date) -> tuple[date, date]:
    """The latest half-year that ended before ``today``."""
    start, _ = half_year_of(today)
    return half_year_of(start - timedelta(days=1))


def period_problem(period_start: date, period_end: date, today: date) -> str | None:
    """Why a period asked for cannot be snapshotted, or None: it must not be reversed,
    end in the future, or span more than a year."""
    if period_start > period_end:
        return "the first day is after the last day"
    if period_end > today:
        return f"the period ends after today ({today.isoformat()})"
    try:
        a_year_on = period_start.replace(year=period_start.year + 1)
    except ValueError:  # 29 February
        a_year_on = date(period_start.year + 1, 3, 1)
    if period_end >= a_year_on:
        return "the period is longer than one year"
    return None


# Files ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str  # relative to the archive directory
    sha256: str
    size: int


def _write_once(archive_dir: Path, relative: str, data: bytes) -> StoredFile:
    """Write ``data`` at ``relative`` atomically; never replace an existing file."""
    try:
        write_new(archive_dir / relative, data)
    except FileExistsError:
        raise SnapshotError(f"{relative} exists already; not replaced") from None
    return StoredFile(relative, hashlib.sha256(data).hexdigest(), len(data))


def _base_name(page: Page, period_start: date, period_end: date, trigger: str,
               at: datetime) -> str:
    folder = _SAFE.sub("_", page.platform_id)[:100] or f"page-{page.id}"
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kind = "halvar" if trigger == Trigger.schedule else "begaran"
    return (f"{SUBDIR}/{folder}/{period_start.isoformat()}_{period_end.isoformat()}-{kind}-"
            f"{stamp}-{secrets.token_hex(3)}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_READ):
            digest.update(chunk)
    return digest.hexdigest()


# Making a snapshot ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Built:
    """A snapshot's files, written, not yet listed."""

    page_id: int
    period_start: date
    period_end: date
    trigger: str
    made_at: datetime
    made_by: str
    items: int
    pdf: StoredFile
    pdfa: bool
    html: StoredFile


def build(session: Session, settings: Settings, page: Page, period_start: date,
          period_end: date, trigger: str, by: str, *, now: datetime | None = None) -> Built:
    """Read the page's content for the period and write both files (no database writes)."""
    made = Made(at=now or utcnow(), by=by, trigger=trigger)
    content = page_content(session, page, period_start, period_end)
    pdf_bytes, pdfa = render_pdf(content, made)
    html_bytes = render_html(content, made, settings.media_dir)
    base = _base_name(page, period_start, period_end, trigger, made.at)
    pdf = _write_once(settings.archive_dir, f"{base}.pdf", pdf_bytes)
    html = _write_once(settings.archive_dir, f"{base}.html", html_bytes)
    return Built(page_id=page.id, period_start=period_start, period_end=period_end,
                 trigger=trigger, made_at=made.at, made_by=by, items=content.items,
                 pdf=pdf, pdfa=pdfa, html=html)


def store(session: Session, built: Built, *, page_platform_id: str) -> PageSnapshot:
    """List the written files (in the caller's transaction) and audit it."""
    snap = PageSnapshot(
        page_id=built.page_id, period_start=built.period_start, period_end=built.period_end,
        trigger=built.trigger, created_at=built.made_at, created_by=built.made_by,
        items=built.items, pdf_path=built.pdf.path, pdf_sha256=built.pdf.sha256,
        pdf_bytes=built.pdf.size, pdfa=built.pdfa, html_path=built.html.path,
        html_sha256=built.html.sha256, html_bytes=built.html.size)
    session.add(snap)
    session.flush()
    record(session, actor=built.made_by, act="snapshot.made", subject_type="page",
           subject_id=page_platform_id,
           detail={"snapshot": snap.id, "period_start": built.period_start.isoformat(),
                   "period_end": built.period_end.isoformat(), "trigger": built.trigger,
                   "items": built.items, "pdf_sha256": built.pdf.sha256,
                   "html_sha256": built.html.sha256, "pdfa": built.pdfa})
    log.info("snapshot.made", page=page_platform_id, snapshot=snap.id, trigger=built.trigger,
             period_start=built.period_start.isoformat(), items=built.items)
    return snap


def make_snapshot(session: Session, settings: Settings, page: Page, period_start: date,
                  period_end: date, trigger: str, by: str, *,
                  now: datetime | None = None) -> PageSnapshot:
    """Make and list one snapshot in the caller's (writing) transaction."""
    built = build(session, settings, page, period_start, period_end, trigger, by, now=now)
    return store(session, built, page_platform_id=page.platform_id)


def make_on_demand(db: Database, settings: Settings, page_id: int, period_start: date,
                   period_end: date, by: str, *, today: date | None = None) -> PageSnapshot:
    """A snapshot asked for by a person. The content is read and the files written in a
    reading transaction; only listing them takes the write lock (on SQLite, the lock
    would otherwise hold back webhook intake while the documents are laid out)."""
    problem = period_problem(period_start, period_end,
                             today or datetime.now(STOCKHOLM).date())
    if problem:
        raise SnapshotError(problem)
    with db.transaction() as session:
        page = session.get(Page, page_id)
        if page is None:
            raise SnapshotError("no such page")
        platform_id = page.platform_id
        built = build(session, settings, page, period_start, period_end, Trigger.on_demand,
                      by)
    with db.transaction(immediate=True) as session:
        snap = store(session, built, page_platform_id=platform_id)
        session.expunge(snap)
    return snap


# The job ----------------------------------------------------------------------------------

def pages_due(session: Session, period_start: date, period_end: date) -> list[Page]:
    """Pages that existed during the period and have no scheduled snapshot of it.

    A page existed if it was added to Uppsikt before the period ended, its register entry
    says it started by then, or the archive holds something of it dated in the period;
    and it was not removed from Uppsikt before the period began."""
    start, end = bounds(period_start, period_end)
    made = select(PageSnapshot.page_id).where(PageSnapshot.period_start == period_start,
                                              PageSnapshot.period_end == period_end,
                                              PageSnapshot.trigger == Trigger.schedule)
    started = select(PageRegister.page_id).where(PageRegister.started_on <= period_end)
    when = func.coalesce(Item.created_time, Item.first_seen_at)
    had_items = select(Item.page_id).where(when >= start, when < end,
                                           Item.kind != ItemKind.message)
    return list(session.scalars(
        select(Page).where(or_(Page.created_at < end, Page.id.in_(started),
                               Page.id.in_(had_items)),
                           or_(Page.removed_at.is_(None), Page.removed_at >= start),
                           Page.id.not_in(made))
        .order_by(Page.id)))


def snapshot_job(ctx: JobContext) -> dict[str, Any]:
    period_start, period_end = due_period(ctx.local_now.date())
    with ctx.db.transaction() as session:
        due = [(p.id, p.platform_id) for p in pages_due(session, period_start, period_end)]
    summary: dict[str, Any] = {"period": f"{period_start.isoformat()}/{period_end.isoformat()}",
                               "due": len(due), "made": 0, "failed": []}
    if ctx.dry_run:
        return summary
    for page_id, platform_id in due:
        try:
            made = _scheduled(ctx, page_id, period_start, period_end)
        except Exception as exc:
            log.exception("snapshot.failed", page=platform_id)
            summary["failed"].append(platform_id)
            with ctx.db.transaction(immediate=True) as session:
                raise_alert(session, ALERT_KIND, platform_id,
                            f"The half-yearly snapshot of page {platform_id} for "
                            f"{period_start}–{period_end} failed: {type(exc).__name__}",
                            page_id=page_id)
            continue
        summary["made"] += int(made)
    if summary["failed"]:
        # The run is recorded as failed; the next one tries the missing pages again.
        raise RuntimeError(f"snapshots failed for {len(summary['failed'])} page(s): "
                           + ", ".join(summary["failed"][:20]))
    return summary


def _scheduled(ctx: JobContext, page_id: int, period_start: date, period_end: date) -> bool:
    with ctx.db.transaction() as session:
        page = session.get(Page, page_id)
        assert page is not None
        platform_id = page.platform_id
        built = build(session, ctx.settings, page, period_start, period_end,
                      Trigger.schedule, "system", now=ctx.now)
    with ctx.db.transaction(immediate=True) as session:
        exists = session.scalar(select(PageSnapshot.id).where(
            PageSnapshot.page_id == page_id, PageSnapshot.period_start == period_start,
            PageSnapshot.period_end == period_end, PageSnapshot.trigger == Trigger.schedule))
        if exists is not None:  # made meanwhile (a run by hand): ours is not listed
            _discard(ctx.settings.archive_dir, built)
            return False
        store(session, built, page_platform_id=platform_id)
        resolve_alert(session, ALERT_KIND, platform_id)
    return True


def _discard(archive_dir: Path, built: Built) -> None:
    """Remove files written but never listed (no record refers to them)."""
    for stored in (built.pdf, built.html):
        (archive_dir / stored.path).unlink(missing_ok=True)


# Checking ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Problem:
    snapshot_id: int
    kind: str  # pdf | html
    path: str
    problem: str  # missing | changed


def check_file(settings: Settings, path: str, sha256: str) -> str | None:
    """None if the stored file is there with its recorded checksum; else what is wrong."""
    full = _inside(settings.archive_dir, path)
    if full is None or not full.is_file():
        return "missing"
    return None if file_sha256(full) == sha256 else "changed"


def _inside(archive_dir: Path, relative: str) -> Path | None:
    root = archive_dir.resolve()
    full = (root / relative).resolve()
    return full if full.is_relative_to(root) else None


def verify(session: Session, settings: Settings) -> tuple[int, list[Problem]]:
    """Recompute every listed file's SHA-256: (files checked, problems)."""
    checked, problems = 0, []
    for snap in session.scalars(select(PageSnapshot).order_by(PageSnapshot.id)):
        for kind, path, digest in (("pdf", snap.pdf_path, snap.pdf_sha256),
                                   ("html", snap.html_path, snap.html_sha256)):
            checked += 1
            problem = check_file(settings, path, digest)
            if problem:
                problems.append(Problem(snap.id, kind, path, problem))
    return checked, problems


def read_verified(settings: Settings, snap: PageSnapshot, kind: str) -> bytes | None:
    """The file's bytes if they still match the recorded SHA-256; None if missing or
    changed (a download must not hand out a document that is not the one recorded)."""
    path, digest = ((snap.pdf_path, snap.pdf_sha256) if kind == "pdf"
                    else (snap.html_path, snap.html_sha256))
    full = _inside(settings.archive_dir, path)
    if full is None or not full.is_file():
        return None
    data = full.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == digest else None

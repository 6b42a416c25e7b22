"""The pages' half-yearly snapshots in the UI: each page's snapshots with their checksums,
downloads of the PDF and HTML (the file's SHA-256 checked first), and a form that makes
one on demand.

Moderators see and make snapshots of their unit's pages; information officers of every
page; auditors see all and make none. A page of another unit is "not found" (404).
Secret content never reaches a snapshot, so every role that sees the page may have it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.api.deps import SessionDep
from app.audit.service import record
from app.core.logging import get_logger
from app.pages.models import Page
from app.snapshots.models import PageSnapshot
from app.snapshots.service import (
    SnapshotError,
    last_finished_half_year,
    make_on_demand,
    period_problem,
    read_verified,
)
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.web import (
    CsrfUser,
    UiError,
    UiUser,
    may_act,
    may_see,
    redirect,
    render,
    today,
    visible_units,
)

router = APIRouter(prefix="/ui", include_in_schema=False)
log = get_logger("uppsikt.ui.snapshots")

VIEWERS = (Role.moderator, Role.information_officer, Role.auditor)
MAKERS = (Role.moderator, Role.information_officer)
HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

NO_ROLE = "Din roll får inte göra detta."
NO_PAGE = "Sidan finns inte."
NO_SNAPSHOT = "Skärmdumpen finns inte."
NEED_DATES = "Ange både första och sista dagen."
BAD_DATE = "Ange datumen som ÅÅÅÅ-MM-DD."
PROBLEMS = {
    "the first day is after the last day": "Första dagen är efter den sista.",
    "the period is longer than one year": "Perioden får vara högst ett år.",
}
IN_FUTURE = "Perioden får inte sluta efter i dag."
NOT_MADE = "Skärmdumpen kunde inte göras. Försök igen om en stund."
FILE_CHANGED = ("Filen stämmer inte längre med kontrollsumman som registrerades när "
                "skärmdumpen gjordes (den är ändrad eller saknas), och lämnas därför inte ut. "
                "Kontakta den som sköter Uppsikt.")


def _viewer(principal: Principal) -> None:
    if principal.role not in VIEWERS:
        raise UiError(403, NO_ROLE)


def _pages(session: Session, principal: Principal) -> list[Page]:
    query = select(Page).order_by(Page.removed_at.is_not(None), Page.unit, Page.name)
    units = visible_units(principal)
    if units is not None:
        query = query.where(Page.unit.in_(units))
    return list(session.scalars(query))


def _list(request: Request, principal: Principal, session: Session, *, status: int = 200,
          form: dict[str, str] | None = None, error: str | None = None,
          flash: str | None = None) -> HTMLResponse:
    pages = _pages(session, principal)
    by_page: dict[int, list[PageSnapshot]] = {p.id: [] for p in pages}
    if pages:
        for snap in session.scalars(
                select(PageSnapshot).where(PageSnapshot.page_id.in_(list(by_page)))
                .order_by(PageSnapshot.period_start.desc(), PageSnapshot.id.desc())):
            by_page[snap.page_id].append(snap)
    start, end = last_finished_half_year(today())
    makeable = [p for p in pages if may_act(principal, p)] \
        if principal.role in MAKERS else []
    form = form or {"page_id": "", "date_from": start.isoformat(),
                    "date_to": end.isoformat()}
    return render(request, "snapshots/list.html", principal, status=status, pages=pages,
                  by_page=by_page, makeable=makeable, form=form, error=error, flash=flash,
                  today=today().isoformat())


@router.get("/snapshots", response_class=HTMLResponse)
def snapshot_list(request: Request, principal: UiUser, session: SessionDep,
                  gjord: int | None = None) -> HTMLResponse:
    _viewer(principal)
    flash = None
    if gjord is not None:
        flash = translator(language(request))("Skärmdumpen är gjord och sparad.")
    return _list(request, principal, session, flash=flash)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _period_message(problem: str) -> str:
    if problem in PROBLEMS:
        return PROBLEMS[problem]
    return IN_FUTURE if "after today" in problem else NOT_MADE


@router.post("/snapshots", response_class=HTMLResponse)
def snapshot_make(request: Request, principal: CsrfUser, session: SessionDep,
                  page_id: Annotated[str, Form()] = "", date_from: Annotated[str, Form()] = "",
                  date_to: Annotated[str, Form()] = "") -> Response:
    """A snapshot on demand. The page and role are checked first; the snapshot is made in
    its own transactions (files written while reading, listed in a short write)."""
    if principal.role not in MAKERS:
        raise UiError(403, NO_ROLE)
    typed = {"page_id": page_id.strip()[:128], "date_from": date_from.strip()[:20],
             "date_to": date_to.strip()[:20]}
    page = session.scalar(select(Page).where(Page.platform_id == typed["page_id"]))
    if page is None or not may_see(principal, page) or not may_act(principal, page):
        raise UiError(404, NO_PAGE)

    def again(message: str) -> HTMLResponse:
        return _list(request, principal, session, status=422, form=typed, error=message)

    if not typed["date_from"] or not typed["date_to"]:
        return again(NEED_DATES)
    first, last = _day(typed["date_from"]), _day(typed["date_to"])
    if first is None or last is None:
        return again(BAD_DATE)
    problem = period_problem(first, last, today())
    if problem is not None:
        return again(_period_message(problem))
    page_key = page.id
    session.rollback()  # no read snapshot held while the snapshot is made
    try:
        snap = make_on_demand(request.app.state.db, request.app.state.settings, page_key,
                              first, last, principal.username, today=today())
    except SnapshotError as exc:
        return again(_period_message(str(exc)))
    return redirect(f"/ui/snapshots?gjord={snap.id}#sida-{typed['page_id']}")


@router.get("/snapshots/{snapshot_id}/{kind}")
def snapshot_file(request: Request, snapshot_id: int, kind: str, principal: UiUser,
                  session: SessionDep) -> Response:
    _viewer(principal)
    if kind not in ("pdf", "html"):
        raise UiError(404, NO_SNAPSHOT)
    snap = session.get(PageSnapshot, snapshot_id)
    page = session.get(Page, snap.page_id) if snap is not None else None
    if snap is None or page is None or not may_see(principal, page):
        raise UiError(404, NO_SNAPSHOT)
    data = read_verified(request.app.state.settings, snap, kind)
    digest = snap.pdf_sha256 if kind == "pdf" else snap.html_sha256
    page_platform_id = page.platform_id
    name = re.sub(r"[^A-Za-z0-9_.-]", "_",
                  f"skarmdump-{page_platform_id}-{snap.period_start}-{snap.period_end}-"
                  f"{snap.id}.{kind}")
    session.rollback()  # the read is done; the audit entry gets a short write of its own
    with request.app.state.db.transaction(immediate=True) as audit:
        record(audit, actor=principal.username, act="snapshot.downloaded",
               subject_type="page", subject_id=page_platform_id,
               detail={"snapshot": snapshot_id, "kind": kind, "sha256": digest,
                       "verified": data is not None})
    if data is None:
        log.warning("snapshot.file_changed", snapshot=snapshot_id, kind=kind)
        raise UiError(409, FILE_CHANGED)
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "X-Content-SHA256": digest}  # nosniff: every UI response has it
    if kind == "html":
        headers["Content-Security-Policy"] = HTML_CSP
        return Response(data, media_type="text/html; charset=utf-8", headers=headers)
    return Response(data, media_type="application/pdf", headers=headers)

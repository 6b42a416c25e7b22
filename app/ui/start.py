"""The start page: the daily oversight of every page the user sees, what waits, and the
"Granskat" button that signs a page off for today."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.alerts.service import open_alerts
from app.api.deps import SessionDep, WriteSessionDep
from app.content.models import Item
from app.moderation.models import CaseStatus, RegistrationCase
from app.oversight import service as oversight
from app.pages.models import Page
from app.questions.service import overdue_counts
from app.review.service import queue_counts
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.jobs import ALERT_TITLES
from app.ui.web import CsrfUser, UiError, UiUser, may_act, redirect, render, today, visible_units

router = APIRouter(prefix="/ui", include_in_schema=False)

SEES_REVIEW = (Role.moderator, Role.information_officer, Role.auditor)
SEES_REGISTRATION = (Role.registrar, Role.information_officer)


def pages_for(session: Session, principal: Principal) -> list[Page]:
    """The managed pages this user sees, by unit and name."""
    query = select(Page).where(Page.removed_at.is_(None)).order_by(Page.unit, Page.name)
    units = visible_units(principal)
    if units is not None:
        query = query.where(Page.unit.in_(units))
    return list(session.scalars(query))


def visible_page(session: Session, principal: Principal, platform_id: str) -> Page:
    """A managed page the user sees; 404 as for one that does not exist otherwise."""
    for page in pages_for(session, principal):
        if page.platform_id == platform_id:
            return page
    raise UiError(404, "Sidan finns inte.")


def pending_cases(session: Session, page_ids: list[int]) -> dict[int, int]:
    """Registration cases waiting for the registrar, per page."""
    if not page_ids:
        return {}
    # From the few pending cases to their items, not from every item of the pages.
    pending = select(RegistrationCase.item_id).where(
        RegistrationCase.status == CaseStatus.pending)
    rows = session.execute(
        select(Item.page_id, func.count())
        .where(Item.id.in_(pending), Item.page_id.in_(page_ids))
        .group_by(Item.page_id))
    return {page_id: n for page_id, n in rows}


@router.get("/", response_class=HTMLResponse)
def start(request: Request, principal: UiUser, session: SessionDep,
          granskat: str | None = None) -> HTMLResponse:
    pages = pages_for(session, principal)
    day = today()
    rows = oversight.overview(session, pages, today=day, username=principal.username)
    ids = [p.id for p in pages]
    review = queue_counts(session, ids) if principal.role in SEES_REVIEW else {}
    cases = pending_cases(session, ids) if principal.role in SEES_REGISTRATION else {}
    questions = overdue_counts(session, ids, today=day) if principal.role in SEES_REVIEW else {}
    alerts = open_alerts(session, units=visible_units(principal)) \
        if principal.role != Role.registrar else []
    flash = None
    signed = next((r for r in rows if r.page.platform_id == granskat and r.signed_by_me), None)
    if signed is not None:
        _ = translator(language(request))
        flash = _("Sidan {name} är markerad som granskad för idag.", name=signed.page.name)
    return render(
        request, "start.html", principal, rows=rows, today=day,
        working_day=oversight.is_working_day(day),
        previous_day=oversight.previous_working_day(day),
        waiting_signoff=sum(not r.signed_today for r in rows),
        missing=[r for r in rows if r.missing_previous],
        review=review, review_total=sum(review.values()),
        cases=cases, cases_total=sum(cases.values()),
        sees_review=principal.role in SEES_REVIEW,
        sees_registration=principal.role in SEES_REGISTRATION,
        may_sign={r.page.id for r in rows if may_act(principal, r.page)},
        alerts=alerts, alert_titles=ALERT_TITLES, questions=questions,
        sees_operations=principal.role in (Role.information_officer, Role.auditor),
        flash=flash)


@router.post("/oversight/{platform_id}/signoff")
def sign_off(platform_id: str, principal: CsrfUser, session: WriteSessionDep,
             note: Annotated[str, Form(max_length=5000)] = "") -> object:
    page = visible_page(session, principal, platform_id)
    if not may_act(principal, page):
        raise UiError(403, "Din roll får inte göra detta.")
    if len(note.strip()) > oversight.NOTE_MAX:
        raise UiError(422, "Anteckningen får vara högst 1000 tecken.")
    oversight.sign_off(session, page, username=principal.username, day=today(), note=note)
    return redirect(f"/ui/?granskat={page.platform_id}#sida-{page.platform_id}")

"""The account register (förteckning) in the UI: the list of pages, each page's entry
with its plan (Bilaga 1-2 of the guidelines), the form that edits it, and the exports.

Information officers edit every entry; moderators edit their own unit's entries except the
day the report reached the head of communications, which the communications department
records. Exports are for information officers, auditors and moderators (their unit).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.models import Role
from app.api.deps import SessionDep, WriteSessionDep
from app.audit.service import record
from app.core.db import utcnow
from app.oversight.service import display_names, history
from app.pages import register
from app.pages.models import Page
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.web import (
    CsrfUser,
    UiError,
    UiUser,
    may_see,
    redirect,
    render,
    today,
    visible_units,
)

router = APIRouter(prefix="/ui", include_in_schema=False)

EXPORTERS = (Role.information_officer, Role.auditor, Role.moderator)
SEES_REVIEW = (Role.moderator, Role.information_officer, Role.auditor)


def register_pages(session: Session, principal: Principal) -> list[Page]:
    """Every page the user sees, also those Uppsikt no longer manages: the register keeps
    presences that have ended."""
    query = select(Page).order_by(Page.removed_at.is_not(None), Page.unit, Page.name)
    units = visible_units(principal)
    if units is not None:
        query = query.where(Page.unit.in_(units))
    return list(session.scalars(query))


def page_for(session: Session, principal: Principal, platform_id: str) -> Page:
    page = session.scalar(select(Page).where(Page.platform_id == platform_id))
    if page is None or not may_see(principal, page):
        raise UiError(404, "Sidan finns inte.")
    return page


def editable(principal: Principal, page: Page) -> set[str]:
    """The fields this user may change in the page's entry (empty: none)."""
    if principal.role == Role.information_officer:
        return set(register.FIELDS)
    if principal.role == Role.moderator and may_see(principal, page):
        return set(register.FIELDS) - register.OFFICER_ONLY
    return set()


@router.get("/pages", response_class=HTMLResponse)
def register_list(request: Request, principal: UiUser, session: SessionDep) -> HTMLResponse:
    rows = register.entries(session, register_pages(session, principal))
    return render(request, "pages/list.html", principal, rows=rows,
                  progress={p.id: register.plan_progress(e) for p, e in rows},
                  may_export=principal.role in EXPORTERS)


def _exported(session: Session, principal: Principal, fmt: str, count: int) -> None:
    if principal.role not in EXPORTERS:
        raise UiError(403, "Din roll får inte göra detta.")
    record(session, actor=principal.username, act="register.exported", subject_type="register",
           subject_id=fmt, detail={"pages": count})


@router.get("/pages/register.csv")
def register_csv(principal: UiUser, session: WriteSessionDep) -> Response:
    rows = register.entries(session, register_pages(session, principal))
    _exported(session, principal, "csv", len(rows))
    return Response(register.register_csv(rows), media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"forteckning-{today().isoformat()}.csv"))


@router.get("/pages/register.pdf")
def register_pdf(principal: UiUser, session: WriteSessionDep) -> Response:
    rows = register.entries(session, register_pages(session, principal))
    _exported(session, principal, "pdf", len(rows))
    made_by = principal.display_name or principal.username
    return Response(register.register_pdf(rows, created_at=utcnow(), made_by=made_by),
                    media_type="application/pdf",
                    headers=_attachment(f"forteckning-{today().isoformat()}.pdf"))


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/pages/{platform_id}", response_class=HTMLResponse)
def register_entry(request: Request, platform_id: str, principal: UiUser,
                   session: SessionDep, sparad: str | None = None) -> HTMLResponse:
    page = page_for(session, principal, platform_id)
    entry = register.entry_of(session, page)
    flash = None
    if sparad is not None:
        _ = translator(language(request))
        flash = _("Uppgifterna är sparade.")
    updated_by = display_names(session, [entry.updated_by or ""])[entry.updated_by or ""] \
        if entry else ""
    return render(request, "pages/entry.html", principal, page=page, entry=entry,
                  updated_by=updated_by,
                  sections=register.SECTIONS, values=register.values_of(entry),
                  progress=register.plan_progress(entry), signoffs=history(session, page),
                  may_edit=bool(editable(principal, page)),
                  sees_review=principal.role in SEES_REVIEW, flash=flash)


def _form(request: Request, principal: Principal, page: Page, values: dict[str, Any],
          problems: list[register.Problem], *, status: int = 200) -> HTMLResponse:
    shown = {name: v.isoformat() if hasattr(v, "isoformat") else (v or "")
             for name, v in values.items()}
    by_field: dict[str, list[register.Problem]] = {}
    for problem in problems:
        by_field.setdefault(problem.field, []).append(problem)
    return render(request, "pages/edit.html", principal, status=status, page=page,
                  sections=register.SECTIONS, fields=register.FIELDS, values=shown,
                  problems=problems, by_field=by_field, editable=editable(principal, page))


@router.get("/pages/{platform_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, platform_id: str, principal: UiUser,
              session: SessionDep) -> HTMLResponse:
    page = page_for(session, principal, platform_id)
    if not editable(principal, page):
        raise UiError(403, "Din roll får inte göra detta.")
    entry = register.entry_of(session, page)
    return _form(request, principal, page, register.values_of(entry), [])


async def form_data(request: Request) -> FormData:
    return await request.form()  # read once by Starlette and kept on the request


@router.post("/pages/{platform_id}/edit", response_class=HTMLResponse)
def edit_save(request: Request, platform_id: str, principal: CsrfUser,
              session: WriteSessionDep, form: Annotated[FormData, Depends(form_data)]
              ) -> Response:
    page = page_for(session, principal, platform_id)
    fields = editable(principal, page)
    if not fields:
        raise UiError(403, "Din roll får inte göra detta.")
    values, problems = register.parse(form, fields=sorted(fields), today=today())
    if problems:
        shown = {**register.values_of(register.entry_of(session, page)), **values}
        return _form(request, principal, page, shown, problems, status=422)
    register.update(session, page, values, username=principal.username)
    return redirect(f"/ui/pages/{page.platform_id}?sparad=1")

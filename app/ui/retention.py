"""Retention (gallring) in the UI: the rules from the authority's retention decisions, the
legal holds, what the retention job would cull now, and the culling record.

Information officers add and retire rules and place and release holds; auditors see
everything and change nothing. The culling itself is the scheduled job (docs/RETENTION.md).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.models import Role
from app.api.deps import SessionDep, WriteSessionDep
from app.core.db import utcnow
from app.pages.models import Page
from app.retention import service
from app.retention.models import CullingRecord, LegalHold, RetentionRule
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.web import CsrfUser, UiError, UiUser, redirect, render, today

router = APIRouter(prefix="/ui", include_in_schema=False)

READERS = (Role.information_officer, Role.auditor)
PER_PAGE = 50
PREVIEW_ITEMS = 200


def _(text: str) -> str:
    """Marks a text for translation; it is translated where it is shown."""
    return text


# What the service's error codes mean, for the person at the form.
MESSAGES = {
    "kind": _("Välj vilket slags innehåll regeln gäller."),
    "keep_days": _("Antal dagar ska vara ett heltal från 1 till 36 600."),
    "decision_ref": _("Ange gallringsbeslutet (högst 200 tecken)."),
    "decision_date": _("Beslutsdagen kan inte ligga i framtiden."),
    "note": _("Anteckningen får vara högst 2 000 tecken."),
    "page_unknown": _("Sidan finns inte."),
    "rule_exists": _("Det finns redan en gällande regel för samma sida och slag av innehåll. "
                     "Upphäv den först."),
    "rule_unknown": _("Regeln finns inte."),
    "rule_retired": _("Regeln är redan upphävd."),
    "scope": _("Välj vad spärren gäller: ett inlägg eller en kommentar, ett inlägg med allt "
               "under det, eller en hel sida."),
    "target": _("Ange Facebook-id för det som ska spärras."),
    "reason": _("Ange skälet till spärren."),
    "item_unknown": _("Det finns inget sådant i arkivet."),
    "not_a_post": _("Det är inte ett inlägg. Spärra det som enskilt objekt i stället."),
    "culled": _("Det är redan gallrat."),
    "hold_exists": _("Det finns redan en sådan spärr."),
    "hold_unknown": _("Spärren finns inte."),
    "hold_released": _("Spärren är redan hävd."),
    "actor": _("Din roll får inte göra detta."),
}
KIND_NAMES = {"post": _("Inlägg"), "comment": _("Kommentar"), "reply": _("Svar"),
              "message": _("Meddelande")}
SCOPE_NAMES = {"item": _("Enskilt objekt"), "post": _("Inlägg med kommentarer"),
               "page": _("Hela sidan")}


def _reader(principal: Principal) -> None:
    if principal.role not in READERS:
        raise UiError(403, "Din roll får inte göra detta.")


def _officer(principal: Principal) -> None:
    if principal.role != Role.information_officer:
        raise UiError(403, "Din roll får inte göra detta.")


def _overview(session: Session, page_no: int) -> dict[str, Any]:
    pages = {p.id: p for p in session.scalars(select(Page).order_by(Page.name))}
    rules = list(session.scalars(select(RetentionRule).order_by(
        RetentionRule.retired_at.is_not(None), RetentionRule.kind, RetentionRule.id)))
    holds = [(h, service.hold_target(session, h)) for h in session.scalars(
        select(LegalHold).order_by(LegalHold.released_at.is_not(None), LegalHold.id.desc()))]
    due = service.candidates(session, utcnow())
    total = session.scalar(select(func.count()).select_from(CullingRecord)) or 0
    culled = list(session.execute(
        select(CullingRecord, Page.platform_id).join(Page, Page.id == CullingRecord.page_id)
        .order_by(CullingRecord.culled_at.desc(), CullingRecord.id.desc())
        .offset((page_no - 1) * PER_PAGE).limit(PER_PAGE)))
    return {"pages": pages, "rules": rules, "holds": holds, "due_total": len(due),
            "groups": service.summarise(due), "due": due[:PREVIEW_ITEMS],
            "preview_max": PREVIEW_ITEMS, "culled": culled, "culled_total": total,
            "page_no": page_no, "has_next": page_no * PER_PAGE < total,
            "kind_names": KIND_NAMES, "scope_names": SCOPE_NAMES}


def _show(request: Request, principal: Principal, session: Session, *, page_no: int = 1,
          status: int = 200, problem: str | None = None, flash: str | None = None,
          form: dict[str, str] | None = None) -> HTMLResponse:
    _t = translator(language(request))
    return render(request, "retention/index.html", principal, status=status,
                  may_change=principal.role == Role.information_officer,
                  problem=_t(problem) if problem else None,
                  flash=_t(flash) if flash else None, form=form or {},
                  **_overview(session, page_no))


@router.get("/retention", response_class=HTMLResponse)
def overview(request: Request, principal: UiUser, session: SessionDep, sida: int = 1,
             klart: str | None = None) -> HTMLResponse:
    _reader(principal)
    if not 1 <= sida <= 100000:
        raise UiError(422, "Felaktiga uppgifter i formuläret.")
    flash = {"regel": _("Regeln är sparad."), "upphavd": _("Regeln är upphävd."),
             "sparr": _("Spärren är lagd."), "havd": _("Spärren är hävd.")}.get(klart or "")
    return _show(request, principal, session, page_no=sida, flash=flash)


async def form_data(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(form_data)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _refused(request: Request, principal: Principal, session: Session,
             exc: service.RetentionError, form: dict[str, str]) -> HTMLResponse:
    session.rollback()
    message = MESSAGES.get(exc.code or "", "Felaktiga uppgifter i formuläret.")
    return _show(request, principal, session, status=exc.status, problem=message, form=form)


@router.post("/retention/rules", response_class=HTMLResponse)
def rule_add(request: Request, principal: CsrfUser, session: WriteSessionDep,
             form: Form) -> Response:
    _officer(principal)
    values = {k: _text(form, k).strip() for k in
              ("page", "kind", "keep_days", "decision_ref", "decision_date", "note")}
    try:
        keep = int(values["keep_days"]) if values["keep_days"].isdigit() else -1
        decided = _date(values["decision_date"])
        service.add_rule(session, page=values["page"] or None, kind=values["kind"],
                         keep_days=keep, decision_ref=values["decision_ref"],
                         decision_date=decided, note=values["note"] or None,
                         by=principal.username, today=today())
    except service.RetentionError as exc:
        return _refused(request, principal, session, exc, values)
    return redirect("/ui/retention?klart=regel")


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise service.RetentionError(422, "decision_date: YYYY-MM-DD",
                                     code="decision_date") from None


@router.post("/retention/rules/{rule_id}/retire", response_class=HTMLResponse)
def rule_retire(request: Request, rule_id: int, principal: CsrfUser,
                session: WriteSessionDep) -> Response:
    _officer(principal)
    try:
        service.retire_rule(session, rule_id, by=principal.username)
    except service.RetentionError as exc:
        return _refused(request, principal, session, exc, {})
    return redirect("/ui/retention?klart=upphavd")


@router.post("/retention/holds", response_class=HTMLResponse)
def hold_place(request: Request, principal: CsrfUser, session: WriteSessionDep,
               form: Form) -> Response:
    _officer(principal)
    values = {k: _text(form, k).strip() for k in ("scope", "target", "reason")}
    try:
        service.place_hold(session, scope=values["scope"], target=values["target"],
                           reason=values["reason"], by=principal.username)
    except service.RetentionError as exc:
        return _refused(request, principal, session, exc, values)
    return redirect("/ui/retention?klart=sparr")


@router.post("/retention/holds/{hold_id}/release", response_class=HTMLResponse)
def hold_release(request: Request, hold_id: int, principal: CsrfUser,
                 session: WriteSessionDep) -> Response:
    _officer(principal)
    try:
        service.release_hold(session, hold_id, by=principal.username)
    except service.RetentionError as exc:
        return _refused(request, principal, session, exc, {})
    return redirect("/ui/retention?klart=havd")

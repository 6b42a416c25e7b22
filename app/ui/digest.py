"""Web UI: the daily oversight digest (dagsrapport) of each unit the user sees, for today
or an earlier day, and who receives it by e-mail.

A digest is shown as it was made (and sent) that morning. Today's, before the job has made
it (or on a day that is no working day), is shown as a preview built now and not kept.
Moderators see their own unit's; information officers and auditors every unit's, and
information officers manage the recipients.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.api.deps import SessionDep, WriteSessionDep
from app.digest import recipients as recipient_service
from app.digest import service
from app.digest.mail import Links
from app.digest.models import DigestRecipient
from app.oversight.service import is_working_day
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.rule_texts import CATEGORY_NAMES
from app.ui.web import CsrfUser, UiError, redirect, render, require, today, visible_units

router = APIRouter(prefix="/ui", include_in_schema=False)

Reader = Annotated[Principal, require(Role.moderator, Role.information_officer, Role.auditor)]
SEES_RECIPIENTS = (Role.information_officer, Role.auditor)


def _(text: str) -> str:
    """Marks a text for translation (it is translated where it is shown)."""
    return text


KIND_NAMES = {"post": _("Inlägg"), "comment": _("Kommentar"), "reply": _("Svar"),
              "message": _("Meddelande")}
STATE_NAMES = {"hidden": _("Dold"), "removed": _("Borttagen")}
BY_NAMES = {"uppsikt": _("av Uppsikt"), "facebook": _("på Facebook")}
FLASH = {"tillagd": _("Mottagaren är tillagd."), "borttagen": _("Mottagaren är borttagen.")}
REFUSALS = (_("Ange en giltig e-postadress."), _("Enhetens namn är för långt."),
            _("Adressen får redan dagsrapporten."), _("Mottagaren finns inte."))


def _units(session: Session, principal: Principal) -> list[str]:
    units = visible_units(principal)
    found = service.units(session)
    return found if units is None else [u for u in found if u in units]


def _day(value: str | None) -> date:
    if not value:
        return today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UiError(422, "Ange dagen som ÅÅÅÅ-MM-DD.") from None
    if day > today() or day.year < 2000:
        raise UiError(422, "Ange dagen som ÅÅÅÅ-MM-DD.")
    return day


@router.get("/digest", response_class=HTMLResponse)
def digest(request: Request, principal: Reader, session: SessionDep,
           day: str | None = None, klart: str | None = None) -> HTMLResponse:
    wanted = _day(day)
    unit_names = _units(session, principal)
    made = service.digests_for(session, unit_names, wanted)
    shown: list[dict[str, Any]] = []
    for unit in unit_names:
        stored = made.get(unit)
        if stored is not None:
            shown.append({"unit": unit, "content": stored.content, "digest": stored,
                          "preview": False})
        elif wanted == today():
            shown.append({"unit": unit, "content": service.build_digest(session, unit, wanted),
                          "digest": None, "preview": True})
        else:
            shown.append({"unit": unit, "content": None, "digest": None, "preview": False})
    recipients = []
    if principal.role in SEES_RECIPIENTS:
        recipients = list(session.scalars(select(DigestRecipient).order_by(
            DigestRecipient.unit.is_not(None), DigestRecipient.unit, DigestRecipient.email)))
    flash = translator(language(request))(FLASH[klart]) if klart in FLASH else None
    return render(
        request, "digest/page.html", principal, day=wanted, today=today(),
        working_day=is_working_day(wanted), shown=shown,
        days=[d for d in service.recent_days(session, unit_names) if d != wanted],
        recipients=recipients,
        all_units=service.units(session),
        may_manage=principal.role == Role.information_officer,
        sees_recipients=principal.role in SEES_RECIPIENTS,
        links=Links(""), kind_names=KIND_NAMES, state_names=STATE_NAMES, by_names=BY_NAMES,
        category_names=CATEGORY_NAMES, flash=flash)


def _manager(principal: Principal) -> None:
    if principal.role != Role.information_officer:
        raise UiError(403, "Din roll får inte göra detta.")


@router.post("/digest/recipients")
def add_recipient(principal: CsrfUser, session: WriteSessionDep,
                  email: Annotated[str, Form(max_length=1000)] = "",
                  unit: Annotated[str, Form(max_length=1000)] = "") -> Response:
    _manager(principal)
    if unit and unit not in service.units(session):
        raise UiError(422, "Välj en förvaltning med sidor i Uppsikt.")
    try:
        recipient_service.add(session, email=email, unit=unit or None, by=principal.username)
    except recipient_service.RecipientError as exc:
        raise UiError(422, str(exc)) from None
    return redirect("/ui/digest?klart=tillagd#mottagare")


@router.post("/digest/recipients/{recipient_id}/remove")
def remove_recipient(recipient_id: int, principal: CsrfUser,
                     session: WriteSessionDep) -> Response:
    _manager(principal)
    try:
        recipient_service.remove(session, recipient_id, by=principal.username)
    except recipient_service.RecipientError:
        raise UiError(404, "Mottagaren finns inte.") from None
    return redirect("/ui/digest?klart=borttagen#mottagare")

"""Web UI: the service obligation. Open questions from the public with their answer
deadline (overdue first), the ones answered or closed lately, and the "Kräver inget svar"
form that closes a question with a reason (audited).

Moderators see and close their own unit's questions, information officers every unit's;
auditors look on. A question of another unit answers 404, as one that does not exist.
Secret content (a secret registration case) is not shown to moderators.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.models import Role
from app.api.deps import SessionDep, WriteSessionDep
from app.core.db import utcnow
from app.questions import service
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.web import (
    CsrfUser,
    UiError,
    may_act,
    redirect,
    render,
    require,
    today,
    visible_units,
)

router = APIRouter(prefix="/ui", include_in_schema=False)

READERS = (Role.moderator, Role.information_officer, Role.auditor)
Reader = Annotated[Principal, require(*READERS)]
RECENT = timedelta(days=7)
NOT_FOUND = "Frågan finns inte."


def _(text: str) -> str:
    """Marks a text for translation (it is translated where it is shown)."""
    return text


KIND_NAMES = {"post": _("Inlägg"), "comment": _("Kommentar"), "reply": _("Svar"),
              "message": _("Meddelande")}
# The service's refusals and the reasons the job closes with, shown as they are: listed
# here so that the check of translations sees them.
REFUSALS = (_("Ange varför frågan inte kräver något svar."),
            _("Skälet får vara högst 300 tecken."), _("Ange vem som stänger frågan."),
            _("Frågan är inte öppen."), _("Dold vid moderering"), _("Borttagen från Facebook"),
            _("Avsändaren blockerad"))


@router.get("/questions", response_class=HTMLResponse)
def questions(request: Request, session: SessionDep, principal: Reader,
              stangd: str | None = None) -> HTMLResponse:
    units = visible_units(principal)
    since = utcnow() - RECENT
    open_rows = service.question_views(session, units=units)
    flash = None
    if stangd is not None:
        flash = translator(language(request))("Frågan är stängd: den kräver inget svar.")
    return render(
        request, "questions/list.html", principal, today=today(), open_rows=open_rows,
        overdue=sum(1 for v in open_rows if v.question.due_on < today()),
        answered=service.question_views(session, units=units, status="answered",
                                        since=since, limit=100),
        closed=service.question_views(session, units=units, status="closed", since=since,
                                      limit=100),
        may_close={v.item.id for v in open_rows if may_act(principal, v.page)},
        withheld=principal.role == Role.moderator, kind_names=KIND_NAMES,
        reason_max=service.REASON_MAX, flash=flash)


@router.post("/questions/{platform_id}/close")
def close(platform_id: str, principal: CsrfUser, session: WriteSessionDep,
          reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    found = service.find_question(session, platform_id)
    units = visible_units(principal)
    if found is None or (units is not None and found[2].unit not in units):
        raise UiError(404, NOT_FOUND)
    question, _item, page = found
    if not may_act(principal, page):
        raise UiError(403, "Din roll får inte göra detta.")
    if question.status != "open":
        raise UiError(409, "Frågan är inte öppen.")
    try:
        service.close_question(session, question, by=principal.username, reason=reason)
    except service.QuestionError as exc:
        raise UiError(422, str(exc)) from None
    return redirect("/ui/questions?stangd=1#fragor")

"""Web UI: the registrar's queue, one case with its preserved content and the forms that
decide it, the preserved media as downloads, and the two packages a registrar hands on:
the e-archive export (ERMS) and a records request.

Deciding a case goes through app/registration/service.py, as the API does: the same
diarienummer again changes nothing, another one is refused (409) and the refusal stays in
the audit log, since the page is answered without rolling the transaction back.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select

from app.accounts.models import Role, User
from app.api.deps import SessionDep, WriteSessionDep
from app.audit.service import record
from app.content.models import Item
from app.core.errors import AppError
from app.core.logging import get_logger
from app.moderation.models import (
    CaseSource,
    CaseStatus,
    MediaBlob,
    MediaStatus,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.pages.models import Page
from app.records.endpoints import RecordsRequestIn, make_package
from app.records.service import SecretItems
from app.registration.endpoints import NotRequiredIn, RegisterIn
from app.registration.erms import NothingToExport, parse_day, write_erms
from app.registration.service import ChangeRefused, Registration, mark_not_required, register
from app.search.service import decode_cursor, encode_cursor
from app.ui.auth import Principal
from app.ui.rule_texts import ACTION_NAMES, CATEGORY_NAMES
from app.ui.search import (
    BAD_DATE,
    BAD_PAGE,
    DATES_REVERSED,
    KIND_NAMES,
    STATE_NAMES,
    YES_NO,
    Filters,
    FormProblem,
    refusal,
    visible_pages,
)
from app.ui.web import CsrfUser, UiError, redirect, render, require

router = APIRouter(prefix="/ui", include_in_schema=False)
log = get_logger("uppsikt.ui.registration")

Reader = Annotated[Principal, require(Role.registrar, Role.information_officer, Role.auditor)]
Registrar = Annotated[Principal, require(Role.registrar)]
Exporter = Annotated[Principal, require(Role.registrar, Role.information_officer)]
PER_PAGE = 50
EXCERPT = 120
Status = Literal["pending", "registered", "not_required"]


def _(text: str) -> str:
    """Marks a text for the translation check; templates translate it when shown."""
    return text


STATUS_NAMES = {CaseStatus.pending: _("Väntar"), CaseStatus.registered: _("Registrerad"),
                CaseStatus.not_required: _("Behöver inte registreras")}
TAB_NAMES = {CaseStatus.pending: _("Väntar"), CaseStatus.registered: _("Registrerade"),
             CaseStatus.not_required: _("Behöver inte registreras")}
SOURCE_NAMES = {CaseSource.rules: _("Reglerna"), CaseSource.moderator: _("Moderator"),
                CaseSource.message: _("Direktmeddelande")}
MEDIA_STATUS_NAMES = {MediaStatus.pending: _("Hämtas"), MediaStatus.stored: _("Sparad"),
                      MediaStatus.not_media: _("Länk, ingen fil"),
                      MediaStatus.failed: _("Kunde inte hämtas")}
DONE = {
    "registered": _("Ärendet är registrerat."),
    "same": _("Ärendet var redan registrerat med samma diarienummer. Ingenting ändrades."),
    "not_required": _("Ärendet är avslutat: det behöver inte registreras."),
}
REFUSED_REGISTERED = _("Ärendet är redan registrerat med diarienummer {number}. En "
                       "registrering ändras inte; rättelser görs i diariet. Försöket har "
                       "loggats.")
REFUSED_CLOSED = _("Ärendet är redan avslutat som att det inte behöver registreras. Beslutet "
                   "ändras inte. Försöket har loggats.")
FIELD_PROBLEMS = {
    "diarienummer": _("Skriv diarienumret, högst 64 tecken, till exempel KS 2026/0123."),
    "description": _("Skriv kort vad ärendet gäller, högst 1 000 tecken."),
    "sender": _("Avsändaren får vara högst 300 tecken."),
    "secrecy_provision": _("Sekretessbestämmelsen får vara högst 200 tecken."),
    "reason": _("Skriv varför ärendet inte behöver registreras, högst 500 tecken."),
    "reference": _("Begärans beteckning får vara högst 100 tecken, utan styrtecken."),
    "secret_items": _("Välj ett av alternativen i listan."),
}
FORM_PROBLEM = _("Formuläret har fel. Rätta det som är markerat och skicka igen.")
NEED_DATES = _("Fyll i både från- och till-datum.")
NOTHING_TO_EXPORT = _("Inga ärenden registrerades under perioden.")
# Reasons the system writes (in English, in the database) in the user's words.
REASON_MESSAGE = "direct message: incoming mail"
REASON_RULES = re.compile(r"secret content \(([^)]*)\)")
MESSAGE_REASON = _("Direktmeddelande: inkommande post")
RULES_REASON = _("Sekretessbelagt innehåll enligt reglerna")


@dataclass(frozen=True)
class Reason:
    """Why a case is in the queue, for display: a text of ours to translate with the
    categories' codes, or the moderator's own words as written."""

    text: str | None = None
    categories: list[str] = field(default_factory=list)
    own_words: str | None = None


def reason_of(case: RegistrationCase) -> Reason:
    if case.reason == REASON_MESSAGE:
        return Reason(text=MESSAGE_REASON)
    found = REASON_RULES.fullmatch(case.reason)
    if found and case.source == CaseSource.rules:
        codes = [c.strip() for c in found.group(1).split(",") if c.strip()]
        return Reason(text=RULES_REASON, categories=codes)
    return Reason(own_words=case.reason)


def _excerpt(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT else flat[:EXCERPT].rstrip() + "…"


def _labels() -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "source_names": SOURCE_NAMES,
            "category_names": CATEGORY_NAMES, "decision_names": ACTION_NAMES,
            "media_status_names": MEDIA_STATUS_NAMES, "kind_names": KIND_NAMES,
            "state_names": STATE_NAMES}


# -- the queue ---------------------------------------------------------------------------

@router.get("/registration", response_class=HTMLResponse)
def queue(request: Request, principal: Reader, session: SessionDep,
          status: Status = "pending", page_id: str | None = None,
          cursor: str | None = None) -> HTMLResponse:
    """Pending cases oldest first (the registrar works from the oldest); decided ones
    newest first. ``page_id`` (a page's Facebook id) narrows the queue to that page."""
    page = session.scalar(select(Page).where(Page.platform_id == page_id)) if page_id else None
    if page_id and page is None:
        raise UiError(404, "Sidan finns inte.")
    oldest_first = status == CaseStatus.pending
    at, ident = RegistrationCase.created_at, RegistrationCase.id
    stmt = (select(RegistrationCase, Item.platform_id, Page.name,
                   func.substr(Snapshot.text, 1, EXCERPT * 2))
            .join(Item, Item.id == RegistrationCase.item_id)
            .join(Page, Page.id == Item.page_id)
            .join(Snapshot, Snapshot.id == RegistrationCase.snapshot_id)
            .where(RegistrationCase.status == status)
            .order_by(*((at, ident) if oldest_first else (at.desc(), ident.desc())))
            .limit(PER_PAGE + 1))
    counting = (select(RegistrationCase.status, func.count())
                .group_by(RegistrationCase.status))
    if page is not None:
        stmt = stmt.where(Page.id == page.id)
        counting = counting.join(Item, Item.id == RegistrationCase.item_id).where(
            Item.page_id == page.id)
    if cursor:
        try:
            after, after_id = decode_cursor(cursor)
        except AppError:
            raise UiError(422, "Sidan i kön gick inte att visa. Börja om från första "
                               "sidan.") from None
        later = (at > after) if oldest_first else (at < after)
        beyond = (ident > after_id) if oldest_first else (ident < after_id)
        stmt = stmt.where(or_(later, and_(at == after, beyond)))
    rows = session.execute(stmt).all()
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    cases = [{"case": case, "item_id": item_id, "page_name": page_name,
              "excerpt": _excerpt(text), "reason": reason_of(case)}
             for case, item_id, page_name, text in rows]
    here = {"page_id": page.platform_id} if page is not None else {}
    next_url = None
    if more:
        last = rows[-1][0]
        next_url = "/ui/registration?" + urlencode(
            {"status": status, **here, "cursor": encode_cursor(last.created_at, last.id)})
    return render(request, "registration/queue.html", principal, status=200,
                  tab=status, tabs=TAB_NAMES, counts=dict(session.execute(counting).all()),
                  cases=cases, next_url=next_url, page=page,
                  tab_urls={value: "/ui/registration?" + urlencode({"status": value, **here})
                            for value in TAB_NAMES},
                  first_url="/ui/registration?" + urlencode({"status": status, **here})
                  if cursor else None,
                  exporter=principal.role in (Role.registrar, Role.information_officer),
                  **_labels())


# -- downloads: ERMS and records requests ---------------------------------------------------
# (before /registration/{case_id}, so that these paths are not taken for a case number)

def _downloads(request: Request, principal: Principal, session: SessionDep, *,
               status: int = 200, filters: Filters | None = None, erms: dict[str, str] | None
               = None, records: dict[str, str] | None = None, erms_error: str | None = None,
               records_error: str | None = None, records_problems: dict[str, str] | None
               = None) -> HTMLResponse:
    return render(request, "registration/downloads.html", principal, status=status,
                  pages=visible_pages(session, principal), filters=filters or Filters(),
                  erms=erms or {"date_from": "", "date_to": "", "page_id": ""},
                  records=records or {"reference": "", "secret_items": SecretItems.mask},
                  erms_error=erms_error, records_error=records_error,
                  records_problems=records_problems or {}, kinds=KIND_NAMES,
                  states=STATE_NAMES, categories=CATEGORY_NAMES, yes_no=YES_NO)


@router.get("/registration/downloads", response_class=HTMLResponse)
def downloads(request: Request, principal: Exporter, session: SessionDep) -> HTMLResponse:
    """The forms; the records request's search comes filled in from the search page."""
    return _downloads(request, principal, session, filters=Filters.read(request.query_params))


@router.post("/registration/downloads/erms", response_class=Response)
def download_erms(request: Request, principal: CsrfUser, _role: Exporter,
                  session: SessionDep,
                  date_from: Annotated[str, Form()] = "", date_to: Annotated[str, Form()] = "",
                  page_id: Annotated[str, Form()] = "") -> Response:
    """The cases registered in the period as one ERMS document, the export's own code.

    The document is built in a read transaction and the export audited in a short write
    transaction afterwards, so a long export does not hold SQLite's write lock."""
    typed = {"date_from": date_from.strip(), "date_to": date_to.strip(),
             "page_id": page_id.strip()}

    def again(message: str, status: int = 422) -> HTMLResponse:
        return _downloads(request, principal, session, status=status, erms=typed,
                          erms_error=message)

    if not typed["date_from"] or not typed["date_to"]:
        return again(NEED_DATES)
    try:
        first, last = parse_day(typed["date_from"]), parse_day(typed["date_to"])
    except ValueError:
        return again(BAD_DATE)
    if first > last:
        return again(DATES_REVERSED)
    page = typed["page_id"] or None
    buffer = io.BytesIO()
    try:
        result = write_erms(session, buffer, date_from=first, date_to=last,
                            page_platform_id=page,
                            media_dir=Path(request.app.state.settings.media_dir))
    except NothingToExport:
        return again(NOTHING_TO_EXPORT, 404)
    except AppError as exc:
        if exc.status == 404:  # an unknown page
            return again(BAD_PAGE, 404)
        raise
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    with request.app.state.db.transaction(immediate=True) as audit:
        record(audit, actor=principal.username, act="registration.exported",
               subject_type="erms_export", subject_id=f"{first}/{last}",
               detail={"from": str(first), "to": str(last), "page": page,
                       "cases": result.cases, "media": len(result.media), "sha256": digest,
                       "via": "ui"})
    log.info("registration.exported", user=principal.username, date_from=str(first),
             date_to=str(last), page=page, cases=result.cases, media=len(result.media))
    name = f"erms-{first}-{last}"
    if page is not None:
        name += "-" + re.sub(r"[^A-Za-z0-9_.-]", "_", page)
    return Response(data, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{name}.xml"',
        "Cache-Control": "no-store", "X-Content-SHA256": digest})


@router.post("/registration/downloads/records", response_class=Response)
def download_records(
    request: Request, principal: CsrfUser, _role: Exporter, session: WriteSessionDep,
    q: Annotated[str, Form()] = "", page_id: Annotated[str, Form()] = "",
    date_from: Annotated[str, Form()] = "", date_to: Annotated[str, Form()] = "",
    author: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "", state: Annotated[str, Form()] = "",
    registered: Annotated[str, Form()] = "", secret: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    secret_items: Annotated[str, Form()] = SecretItems.mask,
) -> Response:
    """A records-request package, made and audited by the API's own code."""
    filters = Filters.read({"q": q, "page_id": page_id, "date_from": date_from,
                            "date_to": date_to, "author": author, "kind": kind,
                            "category": category, "state": state, "registered": registered,
                            "secret": secret})
    typed = {"reference": reference.strip(), "secret_items": secret_items}
    return _records_package(request, principal, session, filters, typed)


def _records_package(request: Request, principal: Principal, session: Any, filters: Filters,
                     typed: dict[str, str]) -> Response:
    def again(message: str, problems: dict[str, str] | None = None) -> HTMLResponse:
        return _downloads(request, principal, session, status=422, filters=filters,
                          records=typed, records_error=message, records_problems=problems)

    try:
        arguments = filters.arguments()
    except FormProblem as problem:
        return again(problem.message)
    try:
        body = RecordsRequestIn(
            reference=typed["reference"] or None, secret_items=typed["secret_items"],
            q=arguments["q"], page_id=arguments["page_ids"],
            date_from=arguments["date_from"], date_to=arguments["date_to"],
            author=arguments["author"], kind=arguments["kind"],
            category=arguments["category"], state=arguments["state"],
            registered=arguments["registered"], secret=arguments["secret"])
    except ValidationError as exc:
        problems = _problems(exc)
        return again(FORM_PROBLEM, problems)
    user = session.get(User, principal.user_id)
    if user is None:  # removed while signed in
        raise UiError(403, "Din roll får inte göra detta.")
    try:
        return make_package(body, session, user)
    except AppError as exc:
        if exc.status != 422:
            raise
        return again(refusal(exc))


def _problems(exc: ValidationError) -> dict[str, str]:
    """A message for each field a form model refused."""
    out: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        out.setdefault(name, FIELD_PROBLEMS.get(name, FORM_PROBLEM))
    return out


# -- one case ------------------------------------------------------------------------------

def _load(session: Any, case_id: int) -> tuple[RegistrationCase, Item, Page]:
    case = session.get(RegistrationCase, case_id)
    item = session.get(Item, case.item_id) if case is not None else None
    page = session.get(Page, item.page_id) if item is not None else None
    if case is None or item is None or page is None:
        raise UiError(404, "Ärendet finns inte.")
    return case, item, page


def _case_page(request: Request, principal: Principal, session: Any, case_id: int, *,
               status: int = 200, flash: str | None = None,
               refused: tuple[str, dict[str, str]] | None = None,
               form: dict[str, Any] | None = None, problems: dict[str, str] | None = None,
               closing: dict[str, str] | None = None) -> HTMLResponse:
    case, item, page = _load(session, case_id)
    snap = session.get(Snapshot, case.snapshot_id)
    media = session.execute(
        select(SnapshotMedia, MediaBlob)
        .join(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256, isouter=True)
        .where(SnapshotMedia.snapshot_id == case.snapshot_id)
        .order_by(SnapshotMedia.position)).all()
    decision = (snap.decision if snap is not None else None) or {}
    permalink = snap.permalink if snap is not None else None
    if form is None:  # the registration form, as first shown
        form = {"diarienummer": "", "description": "", "secrecy_provision": "",
                "sender": (snap.sender_name or "") if snap is not None else "",
                "withhold_sender": case.secret, "withhold_description": False}
    return render(
        request, "registration/case.html", principal, status=status, case=case, item=item,
        page=page, snap=snap, media=media, decision=decision,
        categories=list(decision.get("categories") or []),
        matches=[m for m in decision.get("matches") or [] if isinstance(m, dict)],
        link=permalink if permalink and permalink.startswith("https://") else None,
        reason=reason_of(case), may_decide=principal.role == Role.registrar,
        flash=flash, refused=refused, form=form, problems=problems or {},
        closing=closing or {"reason": ""}, **_labels())


@router.get("/registration/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, principal: Reader, session: SessionDep,
              done: str | None = None) -> HTMLResponse:
    return _case_page(request, principal, session, case_id, flash=DONE.get(done or ""))


def _refusal(case: RegistrationCase) -> tuple[str, dict[str, str]]:
    if case.status == CaseStatus.registered:
        return REFUSED_REGISTERED, {"number": case.diarienummer or ""}
    return REFUSED_CLOSED, {}


@router.post("/registration/{case_id}/register", response_class=HTMLResponse)
def register_case(
    request: Request, case_id: int, principal: CsrfUser, _role: Registrar,
    session: WriteSessionDep,
    diarienummer: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
    sender: Annotated[str, Form()] = "", secrecy_provision: Annotated[str, Form()] = "",
    withhold_sender: Annotated[str, Form()] = "",
    withhold_description: Annotated[str, Form()] = "",
) -> Response:
    """Record the registration; the form again with its problems (422), or the case's
    refusal (409), nothing changed."""
    typed = {"diarienummer": diarienummer, "description": description, "sender": sender,
             "secrecy_provision": secrecy_provision,
             "withhold_sender": bool(withhold_sender),
             "withhold_description": bool(withhold_description)}
    problems = {name: FIELD_PROBLEMS[name] for name, value in typed.items()
                if isinstance(value, str) and "\x00" in value}
    body = None
    if not problems:
        try:
            body = RegisterIn(
                diarienummer=diarienummer, description=description,
                sender=sender.strip() or None, secrecy_provision=secrecy_provision.strip()
                or None, withhold_sender=bool(withhold_sender),
                withhold_description=bool(withhold_description))
        except ValidationError as exc:
            problems = _problems(exc)
    case, _item, _page = _load(session, case_id)
    if body is None:
        return _case_page(request, principal, session, case_id, status=422, form=typed,
                          problems=problems)
    already = case.status == CaseStatus.registered
    try:
        register(session, case, Registration(
            diarienummer=body.diarienummer, description=body.description,
            sender=body.sender, secrecy_provision=body.secrecy_provision,
            withhold_sender=body.withhold_sender,
            withhold_description=body.withhold_description), by=principal.username)
    except ChangeRefused:
        # Answered, not raised: the audit entry of the attempt is committed.
        return _case_page(request, principal, session, case_id, status=409,
                          refused=_refusal(case), form=typed)
    done = "same" if already else "registered"
    return redirect(f"/ui/registration/{case_id}?done={done}")


@router.post("/registration/{case_id}/not-required", response_class=HTMLResponse)
def close_case(request: Request, case_id: int, principal: CsrfUser, _role: Registrar,
               session: WriteSessionDep, reason: Annotated[str, Form()] = "") -> Response:
    """Close the case as not requiring registration, with the reason."""
    reason = reason.strip()
    case, _item, _page = _load(session, case_id)
    try:
        if "\x00" in reason:
            raise ValueError("NUL")
        body = NotRequiredIn(reason=reason)
    except (ValidationError, ValueError):
        return _case_page(request, principal, session, case_id, status=422,
                          closing={"reason": reason},
                          problems={"reason": FIELD_PROBLEMS["reason"]})
    try:
        mark_not_required(session, case, reason=body.reason, by=principal.username)
    except ChangeRefused:
        return _case_page(request, principal, session, case_id, status=409,
                          refused=_refusal(case), closing={"reason": reason})
    return redirect(f"/ui/registration/{case_id}?done=not_required")


@router.get("/registration/{case_id}/media/{position}", response_class=FileResponse)
def media_file(request: Request, case_id: int, position: int, principal: Reader,
               session: SessionDep) -> FileResponse:
    """A preserved file, always as a download (never shown in the browser: it came from
    whoever wrote the comment)."""
    case, _item, _page = _load(session, case_id)
    row = session.execute(
        select(MediaBlob)
        .join(SnapshotMedia, SnapshotMedia.blob_sha256 == MediaBlob.sha256)
        .where(SnapshotMedia.snapshot_id == case.snapshot_id,
               SnapshotMedia.position == position)).first()
    if row is None:
        raise UiError(404, "Filen finns inte.")
    blob: MediaBlob = row[0]
    path = Path(request.app.state.settings.media_dir) / blob.path
    if not path.is_file():
        raise UiError(404, "Filen saknas i lagringen.")
    extension = mimetypes.guess_extension(blob.mime or "") or ".bin"
    return FileResponse(path, media_type="application/octet-stream",
                        filename=f"arende-{case.id}-fil-{position + 1}{extension}",
                        content_disposition_type="attachment",
                        headers={"X-Content-SHA256": blob.sha256})

"""The registrar's API: the queue, one case with its preserved content, the registration,
and closing a case as not requiring registration. Moderators send items to the queue."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import and_, or_, select

from app.accounts.models import Role, User
from app.api.deps import SessionDep, WriteSessionDep, may_see_unit, require_roles
from app.content.models import Item
from app.core.csvsafe import csv_text
from app.core.errors import AppError
from app.moderation.models import (
    ActionKind,
    CaseSource,
    MediaBlob,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.moderation.service import REMOVING, current_intent, moderator_action
from app.pages.models import Page
from app.registration.service import (
    ChangeRefused,
    Registration,
    mark_not_required,
    queue_case,
    register,
)

router = APIRouter(prefix="/api/v1", tags=["registration"])
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
READERS = (Role.registrar, Role.information_officer, Role.auditor)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad token"}, 403: {"description": "role may not do this"},
    404: {"description": "unknown case"}, 409: {"description": "the case is already decided"},
    422: {"description": "bad request"}}


class MediaOut(BaseModel):
    position: int
    kind: str | None
    status: str
    sha256: str | None
    size: int | None
    mime: str | None


class SnapshotOut(BaseModel):
    id: int
    sha256: str
    taken_at: datetime
    taken_by: str
    reason: str
    text: str | None
    sender_id: str | None
    sender_name: str | None
    sender_missing: str | None
    permalink: str | None
    created_time: datetime | None
    decision: dict[str, Any] | None
    media: list[MediaOut]


class CaseOut(BaseModel):
    id: int
    status: str
    source: str
    secret: bool
    reason: str
    requested_by: str
    created_at: datetime
    item_id: str
    page_id: str
    received_at: datetime | None
    diarienummer: str | None
    description: str | None
    sender: str | None
    secrecy_provision: str | None
    withhold_sender: bool
    withhold_description: bool
    decided_by: str | None
    decided_at: datetime | None
    not_required_reason: str | None
    snapshot: SnapshotOut | None = None


class CasePage(BaseModel):
    cases: list[CaseOut]
    next_cursor: str | None


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    diarienummer: str = Field(min_length=1, max_length=64, examples=["KS 2026/0123"])
    description: str = Field(min_length=1, max_length=1000)
    sender: str | None = Field(default=None, max_length=300)
    secrecy_provision: str | None = Field(default=None, max_length=200,
                                          examples=["OSL 26 kap. 1 §"])
    withhold_sender: bool = False
    withhold_description: bool = False

    @field_validator("diarienummer", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class NotRequiredIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    secret: bool = False  # secret content: also hidden at once


def _out(case: RegistrationCase, item: Item, page: Page,
         snapshot: SnapshotOut | None = None) -> CaseOut:
    return CaseOut(
        id=case.id, status=case.status, source=case.source, secret=case.secret,
        reason=case.reason, requested_by=case.requested_by, created_at=case.created_at,
        item_id=item.platform_id, page_id=page.platform_id, received_at=case.received_at,
        diarienummer=case.diarienummer, description=case.description, sender=case.sender,
        secrecy_provision=case.secrecy_provision, withhold_sender=case.withhold_sender,
        withhold_description=case.withhold_description, decided_by=case.decided_by,
        decided_at=case.decided_at, not_required_reason=case.not_required_reason,
        snapshot=snapshot)


def _cursor(case: RegistrationCase) -> str:
    return base64.urlsafe_b64encode(f"{case.created_at.isoformat()}|{case.id}".encode()).decode()


def _read_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        if not 0 <= int(ident) <= MAX_ID:
            raise ValueError(ident)
        return datetime.fromisoformat(stamp), int(ident)
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise AppError(422, "bad cursor: use next_cursor from the previous page") from exc


def _case(session: SessionDep, case_id: int) -> tuple[RegistrationCase, Item, Page]:
    # Past the column's range PostgreSQL refuses the query: no such case either way.
    case = session.get(RegistrationCase, case_id) if 0 < case_id <= MAX_ID else None
    if case is None:
        raise AppError(404, f"no case {case_id}")
    item = session.get(Item, case.item_id)
    page = session.get(Page, item.page_id) if item else None
    assert item is not None and page is not None  # foreign keys
    return case, item, page


@router.get("/registration/cases", response_model=CasePage, responses={
    200: {"content": {"text/csv": {}}}, **ERRORS})
def list_cases(
    session: SessionDep, user: User = require_roles(*READERS),
    status: Literal["pending", "registered", "not_required"] = "pending",
    since: Annotated[datetime | None, Query(description="cases queued at or after")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Cases in the queue, oldest first, a page at a time (``next_cursor``)."""
    query = (select(RegistrationCase, Item, Page)
             .join(Item, Item.id == RegistrationCase.item_id)
             .join(Page, Page.id == Item.page_id)
             .where(RegistrationCase.status == status)
             .order_by(RegistrationCase.created_at, RegistrationCase.id).limit(limit + 1))
    if since is not None:
        if since.tzinfo is None:
            raise AppError(422, "since needs a time zone, e.g. 2026-11-25T08:00:00+01:00")
        query = query.where(RegistrationCase.created_at >= since)
    if cursor:
        at, ident = _read_cursor(cursor)
        query = query.where(or_(RegistrationCase.created_at > at,
                                and_(RegistrationCase.created_at == at,
                                     RegistrationCase.id > ident)))
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cases = [_out(c, i, p) for c, i, p in rows]
    next_cursor = _cursor(rows[-1][0]) if more else None
    if format == "csv":
        return Response(_csv(cases), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="registration-cases.csv"',
            **({"X-Next-Cursor": next_cursor} if next_cursor else {})})
    return CasePage(cases=cases, next_cursor=next_cursor)


_CSV_FIELDS = ("id", "status", "source", "secret", "item_id", "page_id", "received_at",
               "created_at", "reason", "diarienummer", "secrecy_provision", "decided_by",
               "decided_at", "not_required_reason")


def _csv(cases: list[CaseOut]) -> str:
    return csv_text(_CSV_FIELDS, ([getattr(case, f) for f in _CSV_FIELDS] for case in cases))


@router.get("/registration/cases/{case_id}", response_model=CaseOut, responses=ERRORS)
def get_case(case_id: int, session: SessionDep,
             user: User = require_roles(*READERS)) -> CaseOut:
    """One case with the snapshot it was queued with, its media and the decision."""
    case, item, page = _case(session, case_id)
    snap = session.get(Snapshot, case.snapshot_id)
    assert snap is not None
    media = session.execute(
        select(SnapshotMedia, MediaBlob)
        .join(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256, isouter=True)
        .where(SnapshotMedia.snapshot_id == snap.id).order_by(SnapshotMedia.position)).all()
    return _out(case, item, page, SnapshotOut(
        id=snap.id, sha256=snap.sha256, taken_at=snap.taken_at, taken_by=snap.taken_by,
        reason=snap.reason, text=snap.text, sender_id=snap.sender_platform_id,
        sender_name=snap.sender_name, sender_missing=snap.sender_missing,
        permalink=snap.permalink, created_time=snap.created_time, decision=snap.decision,
        media=[MediaOut(position=m.position, kind=m.kind, status=m.status,
                        sha256=m.blob_sha256, size=b.size if b else None,
                        mime=b.mime if b else None) for m, b in media]))


@router.get("/registration/cases/{case_id}/media/{position}", responses={
    200: {"content": {"application/octet-stream": {}}}, **ERRORS})
def get_media(case_id: int, position: int, request: Request, session: SessionDep,
              user: User = require_roles(*READERS)) -> FileResponse:
    """A preserved media file of the case's snapshot, as downloaded when it was taken."""
    case, _, _ = _case(session, case_id)
    row = session.execute(
        select(SnapshotMedia, MediaBlob)
        .join(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256)
        .where(SnapshotMedia.snapshot_id == case.snapshot_id,
               SnapshotMedia.position == position)).first()
    if row is None:
        raise AppError(404, f"no stored media at position {position} of case {case_id}")
    blob: MediaBlob = row[1]
    path = Path(request.app.state.settings.media_dir) / blob.path
    if not path.is_file():
        raise AppError(404, "the media file is missing from the media directory")
    return FileResponse(path, media_type=blob.mime or "application/octet-stream",
                        filename=blob.sha256, headers={"X-Content-SHA256": blob.sha256})


@router.post("/registration/cases/{case_id}/register", response_model=CaseOut,
             responses=ERRORS)
def register_case(case_id: int, body: RegisterIn, session: WriteSessionDep,
                  user: User = require_roles(Role.registrar)) -> Any:
    """Record the registration. The same diarienummer again is fine; another is 409."""
    case, item, page = _case(session, case_id)
    try:
        register(session, case, Registration(
            diarienummer=body.diarienummer, description=body.description,
            sender=body.sender, secrecy_provision=body.secrecy_provision,
            withhold_sender=body.withhold_sender,
            withhold_description=body.withhold_description,
        ), by=user.username)
    except ChangeRefused as exc:
        return _refused(exc)  # answered without raising: the audit entry is committed
    return _out(case, item, page)


def _refused(exc: ChangeRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)


@router.post("/registration/cases/{case_id}/not-required", response_model=CaseOut,
             responses=ERRORS)
def close_case(case_id: int, body: NotRequiredIn, session: WriteSessionDep,
               user: User = require_roles(Role.registrar)) -> Any:
    """Close the case as not requiring registration, with the reason."""
    case, item, page = _case(session, case_id)
    try:
        mark_not_required(session, case, reason=body.reason, by=user.username)
    except ChangeRefused as exc:
        return _refused(exc)
    return _out(case, item, page)


@router.post("/items/{platform_id}/registration", response_model=CaseOut, status_code=201,
             responses={**ERRORS, 404: {"description": "unknown item"}})
def send_to_registrar(platform_id: str, body: QueueIn, session: WriteSessionDep,
                      user: User = require_roles(Role.moderator, Role.information_officer)
                      ) -> CaseOut:
    """A moderator sends an item to the registrar; secret content is also hidden at once."""
    item = session.scalar(select(Item).where(Item.platform_id == platform_id))
    page = session.get(Page, item.page_id) if item is not None else None
    if item is None or page is None or not may_see_unit(user, page.unit):
        raise AppError(404, f"no item {platform_id}")
    case = queue_case(session, page, item, source=CaseSource.moderator, secret=body.secret,
                      reason=body.reason, by=user.username)
    if body.secret and item.kind != "message" and not item.by_page \
            and current_intent(session, item) not in REMOVING:
        moderator_action(session, page, item, ActionKind.hide, by=user.username,
                         reason=f"secret: {body.reason}")
    return _out(case, item, page)


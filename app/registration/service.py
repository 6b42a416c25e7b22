"""The registrar's queue: cases for secret content, direct messages and what moderators
send, and the registration records made from them (OSL 5 kap. 2 §).

A registered record is final: registering the same case again with the same diarienummer
changes nothing, a different one is refused (409) and the attempt is audited; corrections
belong in the diarium and the audit log, not in this record.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.content.models import Item
from app.core.db import utcnow
from app.core.errors import AppError
from app.moderation.models import CaseSource, CaseStatus, RegistrationCase
from app.moderation.service import snapshot_latest
from app.pages.models import Page


def queue_case(session: Session, page: Page, item: Item, *, source: CaseSource, secret: bool,
               reason: str, by: str) -> RegistrationCase:
    """The item's case, created with a snapshot of its latest version if there is none."""
    case = session.scalar(select(RegistrationCase).where(RegistrationCase.item_id == item.id))
    if case is not None:
        if secret and not case.secret and case.status == CaseStatus.pending:
            case.secret = True
            record(session, actor=by, act="registration.marked_secret",
                   subject_type="registration_case", subject_id=case.id,
                   detail={"reason": reason[:500]})
        return case
    snap = snapshot_latest(session, page, item, reason="registration", by=by)
    case = RegistrationCase(item_id=item.id, snapshot_id=snap.id, status=CaseStatus.pending,
                            source=source, secret=secret, reason=reason[:500],
                            requested_by=by, received_at=item.created_time or item.first_seen_at)
    session.add(case)
    session.flush()
    record(session, actor=by, act="registration.queued", subject_type="item",
           subject_id=item.platform_id,
           detail={"case": case.id, "snapshot": snap.id, "source": str(source),
                   "secret": secret})
    return case


class ChangeRefused(AppError):
    """A decided case asked to change. The refusal is already in the audit log: the caller
    answers 409 and keeps its transaction, so that the record of the attempt stays."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message, code="registration_final")


@dataclass(frozen=True)
class Registration:
    diarienummer: str
    description: str
    sender: str | None
    secrecy_provision: str | None
    withhold_sender: bool
    withhold_description: bool


def register(session: Session, case: RegistrationCase, reg: Registration, *,
             by: str) -> RegistrationCase:
    if case.status == CaseStatus.registered:
        if case.diarienummer == reg.diarienummer:
            return case  # the same registration sent again
        record(session, actor=by, act="registration.change_refused",
               subject_type="registration_case", subject_id=case.id,
               detail={"registered": case.diarienummer, "attempted": reg.diarienummer})
        raise ChangeRefused(f"case {case.id} is registered as {case.diarienummer}; a "
                            "registration is not changed")
    if case.status == CaseStatus.not_required:
        record(session, actor=by, act="registration.change_refused",
               subject_type="registration_case", subject_id=case.id,
               detail={"status": case.status, "attempted": reg.diarienummer})
        raise ChangeRefused(f"case {case.id} was closed as not requiring registration")
    case.status, case.diarienummer = CaseStatus.registered, reg.diarienummer
    case.description, case.sender = reg.description, reg.sender
    case.secrecy_provision = reg.secrecy_provision
    case.withhold_sender, case.withhold_description = reg.withhold_sender, \
        reg.withhold_description
    case.decided_by, case.decided_at = by, utcnow()
    record(session, actor=by, act="registration.registered", subject_type="registration_case",
           subject_id=case.id,
           detail={"diarienummer": reg.diarienummer, "secrecy": reg.secrecy_provision,
                   "snapshot": case.snapshot_id})
    return case


def mark_not_required(session: Session, case: RegistrationCase, *, reason: str,
                      by: str) -> RegistrationCase:
    if case.status == CaseStatus.not_required and case.not_required_reason == reason:
        return case
    if case.status != CaseStatus.pending:
        record(session, actor=by, act="registration.change_refused",
               subject_type="registration_case", subject_id=case.id,
               detail={"status": case.status, "attempted": "not_required"})
        raise ChangeRefused(f"case {case.id} is already {case.status}")
    case.status, case.not_required_reason = CaseStatus.not_required, reason
    case.decided_by, case.decided_at = by, utcnow()
    record(session, actor=by, act="registration.not_required",
           subject_type="registration_case", subject_id=case.id, detail={"reason": reason})
    return case

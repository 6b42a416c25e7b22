"""Who receives the digest: addresses per unit, or for every unit (unit NULL)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.digest.models import DigestRecipient

EMAIL_MAX = 300  # the column's length
UNIT_MAX = 200
# A plain address: no display name, no comments, nothing a header could be bent with.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*"
                    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


class RecipientError(ValueError):
    """Bad input for a recipient (shown to the person)."""


def valid_email(value: str) -> bool:
    return len(value) <= EMAIL_MAX and _EMAIL.fullmatch(value) is not None


def add(session: Session, *, email: str, unit: str | None, by: str) -> DigestRecipient:
    email = email.strip()
    unit = (unit or "").strip() or None
    if not valid_email(email):
        raise RecipientError("Ange en giltig e-postadress.")
    if unit is not None and len(unit) > UNIT_MAX:
        raise RecipientError("Enhetens namn är för långt.")
    existing = session.scalar(select(DigestRecipient).where(
        DigestRecipient.email == email,
        DigestRecipient.unit.is_(None) if unit is None else DigestRecipient.unit == unit))
    if existing is not None:
        raise RecipientError("Adressen får redan dagsrapporten.")
    row = DigestRecipient(unit=unit, email=email, added_by=by)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise RecipientError("Adressen får redan dagsrapporten.") from None
    record(session, actor=by, act="digest.recipient_added", subject_type="digest_recipient",
           subject_id=row.id, detail={"unit": unit})
    return row


def remove(session: Session, recipient_id: int, *, by: str) -> None:
    row = session.get(DigestRecipient, recipient_id)
    if row is None:
        raise RecipientError("Mottagaren finns inte.")
    unit = row.unit
    session.delete(row)
    session.flush()
    record(session, actor=by, act="digest.recipient_removed", subject_type="digest_recipient",
           subject_id=recipient_id, detail={"unit": unit})

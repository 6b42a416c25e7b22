"""Raising and resolving alerts. An alert is logged when raised, kept open until the
condition is gone (or a person marks it resolved), and shown in the UI and the digest."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.core.db import utcnow
from app.core.logging import get_logger
from app.pages.models import Page

log = get_logger("uppsikt.alerts")

MESSAGE_MAX = 2000


def raise_alert(session: Session, kind: str, key: str, message: str, *,
                page_id: int | None = None) -> Alert:
    """Open an alert, or count one more occurrence of the open alert (kind, key)."""
    now = utcnow()
    alert = session.scalar(select(Alert).where(Alert.kind == kind, Alert.key == key,
                                               Alert.resolved_at.is_(None)))
    message = message[:MESSAGE_MAX]
    if alert is None:
        alert = Alert(kind=kind, key=key, page_id=page_id, message=message, raised_at=now,
                      last_seen_at=now, count=1)
        session.add(alert)
        log.error("alert.raised", kind=kind, key=key, page_id=page_id, message=message)
    else:
        alert.count += 1
        alert.last_seen_at, alert.message = now, message
    session.flush()
    return alert


def resolve_alert(session: Session, kind: str, key: str, *, by: str = "system") -> bool:
    """Close the open alert (kind, key) if there is one; returns whether one was open."""
    alert = session.scalar(select(Alert).where(Alert.kind == kind, Alert.key == key,
                                               Alert.resolved_at.is_(None)))
    if alert is None:
        return False
    alert.resolved_at, alert.resolved_by = utcnow(), by
    log.info("alert.resolved", kind=kind, key=key, by=by)
    return True


def resolve_other(session: Session, kind: str, keep: Iterable[str]) -> int:
    """Close every open alert of ``kind`` whose key is not in ``keep`` (the conditions a
    check found no longer there)."""
    keep = set(keep)
    closed = 0
    for alert in session.scalars(select(Alert).where(Alert.kind == kind,
                                                     Alert.resolved_at.is_(None))):
        if alert.key not in keep:
            alert.resolved_at, alert.resolved_by = utcnow(), "system"
            closed += 1
    return closed


def open_alerts(session: Session, *, units: set[str] | None = None) -> list[Alert]:
    """Open alerts, newest first; with ``units``, those of these units' pages and those of
    no page (the service as a whole)."""
    stmt = select(Alert).where(Alert.resolved_at.is_(None))
    if units is not None:
        page_ids = select(Page.id).where(Page.unit.in_(units))
        stmt = stmt.where(Alert.page_id.is_(None) | Alert.page_id.in_(page_ids))
    return list(session.scalars(stmt.order_by(Alert.last_seen_at.desc(), Alert.id.desc())))

"""The daily oversight digest (dagsrapport): each working-day morning, per unit, what the
oversight of its pages needs today.

A digest covers the time since the start of the previous working day (on a Monday: Friday,
Saturday and Sunday): what was hidden or removed then, and as of its making, what waits in
the review queue, which pages nobody signed off on the previous working day, the questions
past their answer deadline and the open alerts. It is made once per unit and day (unique
unit + day) and kept as made, so the UI shows what was sent.

Content is counts, page names, item ids and links. Comment text appears only as a short
excerpt of a visible public comment or post that is an overdue question: no text of hidden
or removed content (it may be what was hidden for personal data or secrecy) and none of
direct messages (mail to the authority) goes into an e-mail.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts.service import open_alerts, raise_alert, resolve_alert
from app.audit.service import record
from app.content.models import Item, ItemKind, ItemStateEvent, Visibility
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.logging import get_logger
from app.digest import mail
from app.digest.models import Digest, DigestRecipient
from app.oversight import service as oversight
from app.pages.models import Page
from app.questions.service import SYSTEM, excerpt, overdue_counts, question_views
from app.review.service import latest_decision, queue_counts

if TYPE_CHECKING:
    from app.jobs.registry import JobContext

log = get_logger("uppsikt.digest")

LIST_MAX = 50  # rows of each list in a digest; the counts are always whole
EXCERPT_CHARS = 80
ERROR_MAX = 2000
ALERT_KIND = "digest.send"


def period(day: date) -> tuple[datetime, datetime]:
    """What a digest for ``day`` covers: from the start of the previous working day to
    the start of ``day``, Swedish time."""
    start = datetime.combine(oversight.previous_working_day(day), time(), oversight.STOCKHOLM)
    end = datetime.combine(day, time(), oversight.STOCKHOLM)
    return start.astimezone(UTC), end.astimezone(UTC)


def units(session: Session) -> list[str]:
    """The units with pages Uppsikt manages."""
    return list(session.scalars(select(Page.unit).where(Page.removed_at.is_(None))
                                .distinct().order_by(Page.unit)))


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def build_digest(session: Session, unit: str, day: date) -> dict[str, Any]:
    """The digest of ``unit`` for ``day`` as of now (JSON-able)."""
    pages = list(session.scalars(select(Page).where(Page.unit == unit,
                                                    Page.removed_at.is_(None))
                                 .order_by(Page.name)))
    ids = [p.id for p in pages]
    start, end = period(day)
    moderated = _moderated(session, ids, start, end)
    review = queue_counts(session, ids)
    signoffs = {r.page.id: r for r in oversight.overview(session, pages, today=day,
                                                         username="")}
    questions = overdue_counts(session, ids, today=day)
    overdue = question_views(session, units={unit}, overdue_before=day, limit=LIST_MAX)
    alerts = open_alerts(session, units={unit})
    names = {p.id: p.name for p in pages}
    page_rows = [{
        "platform_id": p.platform_id, "name": p.name,
        "hidden": sum(1 for m in moderated if m["page_id"] == p.id and m["state"] == "hidden"),
        "removed": sum(1 for m in moderated
                       if m["page_id"] == p.id and m["state"] == "removed"),
        "review": review.get(p.id, 0),
        "missing_signoff": signoffs[p.id].missing_previous,
        "overdue": questions.get(p.id, (0, 0))[0],
        "due_today": questions.get(p.id, (0, 0))[1],
    } for p in pages]
    return {
        "unit": unit, "day": day.isoformat(),
        "previous_day": oversight.previous_working_day(day).isoformat(),
        "from": _iso(start), "to": _iso(end), "made_at": _iso(utcnow()),
        "totals": {
            "pages": len(pages),
            "hidden": sum(r["hidden"] for r in page_rows),
            "removed": sum(r["removed"] for r in page_rows),
            "review": sum(r["review"] for r in page_rows),
            "missing_signoff": sum(1 for r in page_rows if r["missing_signoff"]),
            "overdue": sum(r["overdue"] for r in page_rows),
            "due_today": sum(r["due_today"] for r in page_rows),
            "alerts": len(alerts),
        },
        "pages": page_rows,
        "moderated": [{k: v for k, v in m.items() if k != "page_id"} | {
            "page": names.get(m["page_id"], "")} for m in moderated[:LIST_MAX]],
        "overdue": [{
            "item": v.item.platform_id, "page": v.page.name, "kind": v.item.kind,
            "asked_at": _iso(v.question.asked_at), "due_on": v.question.due_on.isoformat(),
            "excerpt": None if (v.secret or v.item.kind == ItemKind.message
                                or v.item.state != Visibility.visible)
            else excerpt(v.excerpt, EXCERPT_CHARS),
        } for v in overdue],
        "alerts": [{
            "kind": a.kind, "message": excerpt(a.message, 300), "count": a.count,
            "page": names.get(a.page_id) if a.page_id else None,
            "raised_at": _iso(a.raised_at),
        } for a in alerts[:LIST_MAX]],
    }


def _moderated(session: Session, page_ids: list[int], start: datetime,
               end: datetime) -> list[dict[str, Any]]:
    """Items hidden or removed within [start, end), each once (its latest such event),
    newest first, with the categories the rules gave (no text)."""
    if not page_ids:
        return []
    rows = session.execute(
        select(ItemStateEvent.item_id, ItemStateEvent.state, ItemStateEvent.source,
               ItemStateEvent.occurred_at, Item)
        .join(Item, Item.id == ItemStateEvent.item_id)
        .where(Item.page_id.in_(page_ids),
               ItemStateEvent.state.in_((Visibility.hidden, Visibility.removed)),
               ItemStateEvent.occurred_at >= start, ItemStateEvent.occurred_at < end)
        .order_by(ItemStateEvent.occurred_at.desc(), ItemStateEvent.id.desc())).all()
    seen: set[int] = set()
    out = []
    for item_id, state, source, at, item in rows:
        if item_id in seen:
            continue
        seen.add(item_id)
        decision = latest_decision(session, item) if len(out) < LIST_MAX else None
        out.append({"item": item.platform_id, "page_id": item.page_id, "kind": item.kind,
                    "state": state, "by": "uppsikt" if source == "uppsikt" else "facebook",
                    "at": _iso(at),
                    "categories": list(decision.categories or []) if decision else []})
    return out


# --- the job ---------------------------------------------------------------------------


def digest_job(ctx: JobContext) -> dict[str, Any]:
    """Make today's digest of each unit (once), then send those not yet sent."""
    today = ctx.local_now.date()
    if not oversight.is_working_day(today):
        return {"day": today.isoformat(), "working_day": False, "made": 0, "sent": 0,
                "failed": 0}
    made = 0
    with ctx.db.transaction(immediate=True) as session:
        for unit in units(session):
            if make_digest(session, unit, today)[1]:
                made += 1
    sent = failed = unaddressed = 0
    if ctx.settings.smtp_host:
        with ctx.db.transaction() as session:
            due = list(session.scalars(
                select(Digest.id).where(Digest.sent_at.is_(None),
                                        Digest.day >= oversight.previous_working_day(today),
                                        Digest.day <= today)
                .order_by(Digest.day, Digest.unit)))
        for digest_id in due:
            outcome = send_digest(ctx.db, ctx.settings, digest_id)
            sent += outcome == "sent"
            failed += outcome == "failed"
            unaddressed += outcome == "no_recipients"
    return {"day": today.isoformat(), "working_day": True, "made": made, "sent": sent,
            "failed": failed, "no_recipients": unaddressed,
            "smtp": bool(ctx.settings.smtp_host)}


def make_digest(session: Session, unit: str, day: date) -> tuple[Digest, bool]:
    """The digest of a unit for a day, made now if there is none; and whether it is new."""
    existing = session.scalar(select(Digest).where(Digest.unit == unit, Digest.day == day))
    if existing is not None:
        return existing, False
    digest = Digest(unit=unit, day=day, content=build_digest(session, unit, day),
                    recipients=[])
    try:
        with session.begin_nested():
            session.add(digest)
    except IntegrityError:  # made a moment ago by another run
        found = session.scalar(select(Digest).where(Digest.unit == unit, Digest.day == day))
        if found is None:
            raise
        return found, False
    record(session, actor=SYSTEM, act="digest.made", subject_type="digest",
           subject_id=f"{unit}/{day.isoformat()}", detail=dict(digest.content["totals"]))
    return digest, True


def recipients_of(session: Session, unit: str) -> list[str]:
    """The unit's own recipients and those of every unit, each address once."""
    rows = session.scalars(select(DigestRecipient.email).where(
        (DigestRecipient.unit == unit) | DigestRecipient.unit.is_(None))
        .order_by(DigestRecipient.id))
    seen: dict[str, str] = {}
    for email in rows:
        seen.setdefault(email.lower(), email)
    return list(seen.values())


def send_digest(db: Database, settings: Settings, digest_id: int, *,
                actor: str = SYSTEM) -> str:
    """Send one digest by e-mail now: "sent", "failed" (kept in send_error, with an
    alert, tried again next run) or "no_recipients". The SMTP conversation happens outside
    any transaction."""
    with db.transaction() as session:
        digest = session.get(Digest, digest_id)
        if digest is None:
            raise ValueError(f"no digest {digest_id}")
        to = recipients_of(session, digest.unit)
        unit, day, content = digest.unit, digest.day, digest.content
    if not to:
        return "no_recipients"
    error: str | None = None
    try:
        mail.send(settings, mail.build_message(settings, content, to))
    except (smtplib.SMTPException, OSError, ValueError) as exc:  # recorded, retried next run
        error = mail.describe(exc)[:ERROR_MAX]
    key = f"{unit}/{day.isoformat()}"
    with db.transaction(immediate=True) as session:
        digest = session.get(Digest, digest_id)
        assert digest is not None
        if error is None:
            digest.sent_at, digest.send_error, digest.recipients = utcnow(), None, to
            resolve_alert(session, ALERT_KIND, key)
            record(session, actor=actor, act="digest.sent", subject_type="digest",
                   subject_id=key, detail={"recipients": len(to)})
            log.info("digest.sent", unit=unit, day=day.isoformat(), recipients=len(to))
            return "sent"
        digest.send_error = error
        raise_alert(session, ALERT_KIND, key,
                    f"The digest for {unit} {day.isoformat()} could not be sent: {error}")
        record(session, actor=actor, act="digest.send_failed", subject_type="digest",
               subject_id=key, detail={"recipients": len(to)})
    log.warning("digest.send_failed", unit=unit, day=day.isoformat(), error=error)
    return "failed"


def digests_for(session: Session, unit_names: Sequence[str], day: date) -> dict[str, Digest]:
    if not unit_names:
        return {}
    return {d.unit: d for d in session.scalars(select(Digest).where(
        Digest.day == day, Digest.unit.in_(list(unit_names))))}


def recent_days(session: Session, unit_names: Sequence[str] | None,
                limit: int = 10) -> list[date]:
    """The latest days with a digest (of these units), newest first."""
    stmt = select(Digest.day).distinct()
    if unit_names is not None:
        stmt = stmt.where(Digest.unit.in_(list(unit_names)))
    return list(session.scalars(stmt.order_by(Digest.day.desc()).limit(limit)))

"""Retention (gallring): rules from the authority's retention decisions, legal holds, and
the job that culls what a decision allows (docs/RETENTION.md).

Which rule applies to an item: an active rule for the item's own page and kind wins over
an active rule for every page and that kind, whether it keeps content longer or shorter (a
decision about one page is the more specific one). Only one active rule per page (or "every
page") and kind is accepted; should two ever exist, the longer keep wins.

An item is due when its age (``created_time``, or ``first_seen_at`` when Facebook gave no
time) is more than ``keep_days`` at ``now``, and none of these holds: a legal hold covers
it (the item, its post, its page); a registration case is pending or registered for it, or
a decision said it must be registered and no registrar has said otherwise; an action on it
is still pending; its media are still being downloaded; a missing field is still being
fetched. A culled item is due again only when new content arrived after it was culled.

Culling removes the content wherever it is kept: the text and media of every version (the
search index follows the text), the text and sender of every snapshot, the words quoted in
rule decisions, the change payloads and, once nothing else in them is kept, the raw webhook
bodies; media files go once no other snapshot refers to them. What stays: the item's
identity, times and state history, the content hashes, and a culling record (what, under
which decision, when) with an audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from app.audit.service import record
from app.content.models import Author, FetchStatus, Item, ItemKind, ItemVersion
from app.core.db import utcnow
from app.core.errors import AppError
from app.core.logging import get_logger
from app.jobs.registry import JobContext
from app.moderation.models import (
    Action,
    ActionStatus,
    CaseStatus,
    MediaBlob,
    MediaStatus,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.pages.models import Page
from app.retention.models import CullingRecord, LegalHold, RetentionRule
from app.rules.models import ItemDecision
from app.webhooks.models import ChangeStatus, InboxChange, InboxEvent

log = get_logger("uppsikt.retention")

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KINDS: tuple[str, ...] = tuple(k.value for k in ItemKind)
SCOPES = ("item", "post", "page")
MAX_KEEP_DAYS = 100 * 366  # a hundred years: beyond that a number is a typing mistake
MAX_REF = 200
MAX_NOTE = 2000
MAX_ACTOR = 100
JOB_ACTOR = "retention"
SUMMARY_ITEMS = 1000  # listed in a dry run's summary; the count is always complete
# pg_advisory_xact_lock key shared by placing a hold and culling an item, so that a hold
# committed while the job runs is seen by every cull after it ("gallring" as an integer).
_PG_LOCK = int.from_bytes(b"gallring", "big") >> 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CULLED = "retention.culled"  # the audit act, one per culled item


class RetentionError(AppError):
    """Bad input or a conflict in retention's rules and holds. ``code`` names the problem
    (the UI shows its own text for it)."""


@dataclass(frozen=True)
class Candidate:
    """An item due for culling, and the rule that makes it due."""

    item_id: int
    platform_id: str
    page_id: int
    page_platform_id: str
    page_name: str
    kind: str
    age_from: datetime  # created_time, or first_seen_at when that is unknown
    rule_id: int
    keep_days: int
    decision_ref: str
    again: bool  # culled before; content arrived since

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["age_from"] = self.age_from.isoformat()
        return out


@dataclass(frozen=True)
class Culled:
    record_id: int
    files: list[Path]  # media files to unlink once the transaction has committed


# -- rules ---------------------------------------------------------------------------------
def _clean(value: str | None, name: str, max_chars: int, *, required: bool,
           code: str) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise RetentionError(422, f"{name}: required", code=code)
        return None
    if len(value) > max_chars or _CONTROL.search(value):
        raise RetentionError(422, f"{name}: at most {max_chars} characters, no control "
                                  "characters", code=code)
    return value


def _actor(by: str) -> str:
    actor = _clean(by, "by", MAX_ACTOR, required=True, code="actor")
    assert actor is not None
    return actor


def page_by_platform_id(session: Session, platform_id: str) -> Page:
    page = session.scalar(select(Page).where(Page.platform_id == platform_id.strip()))
    if page is None:
        raise RetentionError(404, f"no page {platform_id!r}", code="page_unknown")
    return page


def active_rules(session: Session) -> list[RetentionRule]:
    return list(session.scalars(select(RetentionRule).where(RetentionRule.retired_at.is_(None))
                                .order_by(RetentionRule.kind, RetentionRule.page_id,
                                          RetentionRule.id)))


def add_rule(session: Session, *, page: str | None, kind: str, keep_days: int,
             decision_ref: str, by: str, decision_date: date | None = None,
             note: str | None = None, today: date | None = None) -> RetentionRule:
    """A rule from a retention decision: content of ``kind`` on ``page`` (a Facebook page
    id; None: every page) may be culled ``keep_days`` after it was created."""
    actor = _actor(by)
    if kind not in KINDS:
        raise RetentionError(422, f"kind: one of {', '.join(KINDS)}", code="kind")
    if isinstance(keep_days, bool) or not isinstance(keep_days, int) \
            or not 1 <= keep_days <= MAX_KEEP_DAYS:
        raise RetentionError(422, f"keep_days: a whole number of days, 1 to {MAX_KEEP_DAYS}",
                             code="keep_days")
    ref = _clean(decision_ref, "decision", MAX_REF, required=True, code="decision_ref")
    today = today or datetime.now(STOCKHOLM).date()
    if decision_date is not None and decision_date > today:
        raise RetentionError(422, "decision_date: a decision taken, not one in the future",
                             code="decision_date")
    note = _clean(note, "note", MAX_NOTE, required=False, code="note")
    page_row = page_by_platform_id(session, page) if page is not None else None
    page_id = page_row.id if page_row else None
    same = session.scalar(select(RetentionRule).where(
        RetentionRule.retired_at.is_(None), RetentionRule.kind == kind,
        RetentionRule.page_id.is_(None) if page_id is None else RetentionRule.page_id == page_id))
    if same is not None:
        raise RetentionError(409, f"rule {same.id} already covers {kind} on "
                                  f"{'every page' if page_id is None else page_row.platform_id}"
                                  ": retire it first", code="rule_exists")
    rule = RetentionRule(page_id=page_id, kind=kind, keep_days=keep_days, decision_ref=ref,
                         decision_date=decision_date, note=note, created_by=actor,
                         created_at=utcnow())
    session.add(rule)
    session.flush()
    record(session, actor=actor, act="retention.rule_added", subject_type="retention_rule",
           subject_id=str(rule.id),
           detail={"page": page_row.platform_id if page_row else None, "kind": kind,
                   "keep_days": keep_days, "decision_ref": ref,
                   "decision_date": decision_date.isoformat() if decision_date else None})
    return rule


def retire_rule(session: Session, rule_id: int, *, by: str) -> RetentionRule:
    actor = _actor(by)
    rule = session.get(RetentionRule, rule_id)
    if rule is None:
        raise RetentionError(404, f"no retention rule {rule_id}", code="rule_unknown")
    if rule.retired_at is not None:
        raise RetentionError(409, f"rule {rule_id} is already retired", code="rule_retired")
    rule.retired_at, rule.retired_by = utcnow(), actor
    record(session, actor=actor, act="retention.rule_retired", subject_type="retention_rule",
           subject_id=str(rule.id), detail={"decision_ref": rule.decision_ref})
    return rule


# -- holds ---------------------------------------------------------------------------------
def _serialise_with_culling(session: Session) -> None:
    """On PostgreSQL, placing a hold and culling an item take turns (SQLite's single write
    lock already makes them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})


def place_hold(session: Session, *, scope: str, target: str, reason: str,
               by: str) -> LegalHold:
    """A legal hold: ``target`` is the Facebook id of the item, the post or the page."""
    actor = _actor(by)
    if scope not in SCOPES:
        raise RetentionError(422, f"scope: one of {', '.join(SCOPES)}", code="scope")
    reason_text = _clean(reason, "reason", MAX_NOTE, required=True, code="reason")
    target = _clean(target, scope, 128, required=True, code="target") or ""
    _serialise_with_culling(session)
    if scope == "page":
        page = page_by_platform_id(session, target)
        page_id, item_id = page.id, None
    else:
        item = session.scalar(select(Item).where(Item.platform_id == target))
        if item is None:
            raise RetentionError(404, f"no {scope} {target!r} in the archive",
                                 code="item_unknown")
        if scope == "post" and item.kind != ItemKind.post:
            raise RetentionError(422, f"{target!r} is a {item.kind}, not a post: hold it as an "
                                      "item", code="not_a_post")
        if scope == "item" and item.culled_at is not None:
            raise RetentionError(409, f"{target!r} was culled already", code="culled")
        page_id, item_id = item.page_id, item.id
    same = session.scalar(select(LegalHold).where(
        LegalHold.released_at.is_(None), LegalHold.scope == scope, LegalHold.page_id == page_id,
        LegalHold.item_id.is_(None) if item_id is None else LegalHold.item_id == item_id))
    if same is not None:
        raise RetentionError(409, f"hold {same.id} already covers it", code="hold_exists")
    hold = LegalHold(scope=scope, page_id=page_id, item_id=item_id, reason=reason_text or "",
                     placed_by=actor, placed_at=utcnow())
    session.add(hold)
    session.flush()
    record(session, actor=actor, act="retention.hold_placed", subject_type="legal_hold",
           subject_id=str(hold.id), detail={"scope": scope, "target": target})
    return hold


def release_hold(session: Session, hold_id: int, *, by: str) -> LegalHold:
    actor = _actor(by)
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise RetentionError(404, f"no legal hold {hold_id}", code="hold_unknown")
    if hold.released_at is not None:
        raise RetentionError(409, f"hold {hold_id} is already released", code="hold_released")
    hold.released_at, hold.released_by = utcnow(), actor
    record(session, actor=actor, act="retention.hold_released", subject_type="legal_hold",
           subject_id=str(hold.id), detail={"scope": hold.scope})
    return hold


def hold_target(session: Session, hold: LegalHold) -> str:
    """The Facebook id a hold names."""
    if hold.item_id is not None:
        return session.scalar(select(Item.platform_id).where(Item.id == hold.item_id)) or ""
    return session.scalar(select(Page.platform_id).where(Page.id == hold.page_id)) or ""


# -- what is due ---------------------------------------------------------------------------
def _held() -> ColumnElement[bool]:
    post = aliased(Item)
    of_post = select(post.id).where(post.platform_id == Item.post_platform_id,
                                    post.kind == ItemKind.post).correlate(Item).scalar_subquery()
    return exists().where(LegalHold.released_at.is_(None), or_(
        and_(LegalHold.scope == "page", LegalHold.page_id == Item.page_id),
        and_(LegalHold.scope == "item", LegalHold.item_id == Item.id),
        and_(LegalHold.scope == "post",
             or_(LegalHold.item_id == Item.id, LegalHold.item_id == of_post)))).correlate(Item)


def _registration_stands() -> ColumnElement[bool]:
    """A case that is not "not required", or a decision to register with no case yet."""
    case = exists().where(RegistrationCase.item_id == Item.id)
    open_case = exists().where(RegistrationCase.item_id == Item.id,
                               RegistrationCase.status != CaseStatus.not_required)
    must = exists().where(ItemDecision.item_id == Item.id, ItemDecision.register.is_(True))
    return or_(open_case, and_(must, ~case))


def _busy() -> ColumnElement[bool]:
    """Work still under way that needs the content: an action, a download, a fetch."""
    action = exists().where(Action.item_id == Item.id, Action.status == ActionStatus.pending)
    download = exists().where(Snapshot.item_id == Item.id,
                              SnapshotMedia.snapshot_id == Snapshot.id,
                              SnapshotMedia.status == MediaStatus.pending)
    return or_(action, download, Item.fetch_status == FetchStatus.pending)


def _content_since_culled() -> ColumnElement[bool]:
    return exists().where(ItemVersion.item_id == Item.id,
                          ItemVersion.recorded_at > Item.culled_at)


def applicable_rules(rules: Iterable[RetentionRule]) -> dict[tuple[int | None, str], RetentionRule]:
    """One rule per (page id or None, kind): the longer keep where two compete."""
    chosen: dict[tuple[int | None, str], RetentionRule] = {}
    for rule in rules:
        key = (rule.page_id, rule.kind)
        if key not in chosen or rule.keep_days > chosen[key].keep_days:
            chosen[key] = rule
    return chosen


def candidates(session: Session, now: datetime, *, item_ids: Sequence[int] | None = None,
               limit: int | None = None) -> list[Candidate]:
    """What is due for culling at ``now``, oldest first (see the module's docstring)."""
    chosen = applicable_rules(active_rules(session))
    age = func.coalesce(Item.created_time, Item.first_seen_at)
    found: list[Candidate] = []
    for (page_id, kind), rule in chosen.items():
        cutoff = now - timedelta(days=rule.keep_days)
        stmt = (select(Item.id, Item.platform_id, Item.page_id, Page.platform_id, Page.name,
                       Item.kind, age, Item.culled_at.is_not(None))
                .join(Page, Page.id == Item.page_id)
                .where(Item.kind == kind, age < cutoff,
                       or_(Item.culled_at.is_(None), _content_since_culled()),
                       ~_held(), ~_registration_stands(), ~_busy()))
        if page_id is not None:
            stmt = stmt.where(Item.page_id == page_id)
        else:
            own = [p for (p, k) in chosen if p is not None and k == kind]
            if own:
                stmt = stmt.where(Item.page_id.not_in(own))
        if item_ids is not None:
            stmt = stmt.where(Item.id.in_(list(item_ids)))
        for row in session.execute(stmt):
            found.append(Candidate(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                   rule.id, rule.keep_days, rule.decision_ref, bool(row[7])))
    found.sort(key=lambda c: (c.age_from, c.item_id))
    return found[:limit] if limit is not None else found


def summarise(due: Sequence[Candidate]) -> list[dict[str, Any]]:
    """How many items per page and kind, with the decision that makes them due."""
    groups: dict[tuple[str, str, str, str], int] = {}
    for c in due:
        key = (c.page_platform_id, c.page_name, c.kind, c.decision_ref)
        groups[key] = groups.get(key, 0) + 1
    return [{"page": p, "page_name": n, "kind": k, "decision_ref": d, "items": count}
            for (p, n, k, d), count in sorted(groups.items())]


# -- culling -------------------------------------------------------------------------------
def _scrub_decision(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    """A rule decision without the words it quoted from the content."""
    if not decision:
        return decision
    matches = []
    for match in decision.get("matches") or []:
        if isinstance(match, dict):
            match = {**match, "text": ""}
            if match.get("source") != "list":  # a detector's term is what it found
                match["term"] = ""
        matches.append(match)
    return {**decision, "matches": matches}


def cull_item(session: Session, item_id: int, *, now: datetime, run_id: int | None,
              media_dir: Path, actor: str = JOB_ACTOR) -> Culled | None:
    """Remove one item's content, if it is still due (a hold placed or a case opened since
    the item was listed wins). The caller commits, then unlinks ``files``."""
    _serialise_with_culling(session)
    [due] = candidates(session, now, item_ids=[item_id]) or [None]
    if due is None:
        return None
    item = session.get(Item, item_id)
    assert item is not None
    versions = list(session.scalars(select(ItemVersion).where(ItemVersion.item_id == item_id)))
    for version in versions:
        version.text, version.media = None, []
    snapshots = list(session.scalars(select(Snapshot).where(Snapshot.item_id == item_id)))
    shas: set[str] = set()
    media = 0
    for snapshot in snapshots:
        snapshot.text = snapshot.sender_name = snapshot.sender_platform_id = None
        snapshot.decision = _scrub_decision(snapshot.decision)
        rows = list(session.scalars(select(SnapshotMedia)
                                    .where(SnapshotMedia.snapshot_id == snapshot.id)))
        media += len(rows)
        shas.update(r.blob_sha256 for r in rows if r.blob_sha256)
    if snapshots:
        session.execute(delete(SnapshotMedia).where(
            SnapshotMedia.snapshot_id.in_([s.id for s in snapshots])))
    for decision in session.scalars(select(ItemDecision).where(ItemDecision.item_id == item_id)):
        decision.explanation = _scrub_decision(decision.explanation) or {}
    item.culled_at = utcnow()
    item.fetch_next_at = None
    author_id, item.author_id = item.author_id, None
    session.flush()
    files = _drop_unreferenced_blobs(session, shas, media_dir)
    _drop_orphan_author(session, author_id)
    _scrub_inbox(session, item_id)
    culled = CullingRecord(run_id=run_id, item_id=item.id, item_platform_id=item.platform_id,
                           page_id=item.page_id, kind=item.kind, created_time=item.created_time,
                           rule_id=due.rule_id, decision_ref=due.decision_ref,
                           versions=len(versions), media_files=media,
                           culled_at=item.culled_at, culled_by=actor)
    session.add(culled)
    session.flush()
    record(session, actor=actor, act=CULLED, subject_type="item",
           subject_id=item.platform_id,
           detail={"rule": due.rule_id, "decision_ref": due.decision_ref, "kind": item.kind,
                   "versions": len(versions), "snapshots": len(snapshots), "media": media,
                   "files_deleted": len(files), "again": due.again, "run_id": run_id,
                   "culling_record": culled.id})
    return Culled(culled.id, files)


def _drop_unreferenced_blobs(session: Session, shas: set[str], media_dir: Path) -> list[Path]:
    """Blob rows no snapshot refers to any more, deleted; their files, to unlink."""
    files: list[Path] = []
    root = media_dir.resolve()
    for sha in sorted(shas):
        if session.scalar(select(SnapshotMedia.id).where(SnapshotMedia.blob_sha256 == sha)
                          .limit(1)) is not None:
            continue
        blob = session.get(MediaBlob, sha)
        if blob is None:
            continue
        path = (root / blob.path).resolve()
        if path.is_relative_to(root):
            files.append(path)
        session.delete(blob)
    session.flush()
    return files


def _drop_orphan_author(session: Session, author_id: int | None) -> None:
    """A sender's name and id go with the last of their items."""
    if author_id is None:
        return
    if session.scalar(select(Item.id).where(Item.author_id == author_id).limit(1)) is None:
        session.execute(delete(Author).where(Author.id == author_id))


def _scrub_inbox(session: Session, item_id: int) -> None:
    """The item's webhook changes lose their payload; a delivery loses its raw body once
    every change in it belongs to a culled item (or held nothing to keep)."""
    changes = list(session.scalars(select(InboxChange).where(InboxChange.item_id == item_id)))
    for change in changes:
        change.payload = {"culled": True, "field": change.field}
    session.flush()
    for event_id in sorted({c.inbox_event_id for c in changes}):
        live = aliased(Item)
        kept = session.scalar(
            select(InboxChange.id).outerjoin(live, live.id == InboxChange.item_id)
            .where(InboxChange.inbox_event_id == event_id,
                   or_(and_(InboxChange.item_id.is_(None),
                            InboxChange.status != ChangeStatus.ignored),
                       and_(InboxChange.item_id.is_not(None), live.culled_at.is_(None))))
            .limit(1))
        if kept is None:
            event = session.get(InboxEvent, event_id)
            if event is not None and event.body:
                event.body = b""


def unlink(files: Iterable[Path]) -> int:
    """Remove media files after the commit that dropped their last reference."""
    removed = 0
    for path in files:
        try:
            path.unlink(missing_ok=True)
            removed += 1
        except OSError:
            log.exception("retention.unlink_failed", path=str(path))
    return removed


def retention_job(ctx: JobContext) -> dict[str, Any]:
    """Cull what is due at ``ctx.now``, each item in a transaction of its own; a dry run
    lists it and changes nothing."""
    with ctx.db.transaction() as session:
        due = candidates(session, ctx.now)
    if ctx.dry_run:
        return {"dry_run": True, "due": len(due), "groups": summarise(due),
                "items": [c.as_dict() for c in due[:SUMMARY_ITEMS]]}
    culled = skipped = files = 0
    media_dir = Path(ctx.settings.media_dir)
    for candidate in due:
        with ctx.db.transaction(immediate=True) as session:
            done = cull_item(session, candidate.item_id, now=ctx.now, run_id=ctx.run_id,
                             media_dir=media_dir)
        if done is None:
            skipped += 1
            continue
        culled += 1
        files += unlink(done.files)
        log.info(CULLED, item_id=candidate.platform_id, rule_id=candidate.rule_id)
    return {"due": len(due), "culled": culled, "skipped": skipped, "files_deleted": files}


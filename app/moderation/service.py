"""Preserve, then act: snapshots of what is acted on, and the actions that follow them.

Services flush, never commit: the caller's transaction owns the unit of work, so a
snapshot and the actions that depend on it are committed together or not at all
(invariant 3). The worker (app/moderation/executor.py) performs the actions later.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.content.models import Author, FetchStatus, Item, ItemKind, ItemVersion, Visibility
from app.core.crypto import sha256_hex
from app.core.db import utcnow
from app.core.errors import AppError
from app.core.logging import get_logger
from app.moderation.models import (
    Action,
    ActionKind,
    ActionStatus,
    CaseSource,
    CaseStatus,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.pages.models import Page
from app.rules.models import ItemDecision

log = get_logger("uppsikt.moderation")

SYSTEM = "system"
KIND_MAX = 32  # snapshot_media.kind
# Kinds that take an item off the page, and the one that puts it back: a later choice of
# the other side supersedes an earlier action still waiting.
REMOVING = frozenset({ActionKind.hide, ActionKind.delete})


def permalink(item: Item) -> str | None:
    """Where the item is (or was) on Facebook."""
    if item.kind == ItemKind.message:
        return None
    if item.kind == ItemKind.post:
        return f"https://www.facebook.com/{item.platform_id}"
    comment = item.platform_id.rsplit("_", 1)[-1]
    if item.post_platform_id:
        return f"https://www.facebook.com/{item.post_platform_id}?comment_id={comment}"
    return f"https://www.facebook.com/{item.platform_id}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def snapshot_content(s: Snapshot, media_urls: list[str | None]) -> dict[str, Any]:
    """Everything a snapshot's digest covers, in a fixed shape."""
    return {
        "item": s.item_platform_id, "page": s.page_platform_id, "post": s.post_platform_id,
        "parent": s.parent_platform_id, "permalink": s.permalink,
        "created_time": _iso(s.created_time), "observed_at": _iso(s.observed_at),
        "text": s.text, "sender": {"id": s.sender_platform_id, "name": s.sender_name,
                                   "missing": s.sender_missing},
        "decision": s.decision, "media": media_urls, "reason": s.reason,
        "taken_by": s.taken_by, "taken_at": _iso(s.taken_at),
    }


def snapshot_digest(s: Snapshot, media_urls: list[str | None]) -> str:
    return sha256_hex(json.dumps(snapshot_content(s, media_urls), sort_keys=True,
                                 ensure_ascii=False, separators=(",", ":")))


def take_snapshot(session: Session, page: Page, item: Item, version: ItemVersion, *,
                  reason: str, by: str, decision: ItemDecision | None) -> Snapshot:
    """Record exactly what is about to be acted on; media are downloaded afterwards."""
    # By id: the sender may have been filled in from the Graph API in this transaction.
    author = session.get(Author, item.author_id) if item.author_id is not None else None
    sender_missing = None
    if author is None:
        sender_missing = item.fetch_error or "the sender was not in the webhook and could " \
                                             "not be had from the Graph API"
    snap = Snapshot(
        item_id=item.id, item_version_id=version.id, reason=reason, taken_by=by,
        taken_at=utcnow(), item_platform_id=item.platform_id,
        page_platform_id=page.platform_id, post_platform_id=item.post_platform_id,
        parent_platform_id=item.parent_platform_id, permalink=permalink(item),
        created_time=item.created_time, observed_at=version.observed_at, text=version.text,
        sender_platform_id=author.platform_id if author else None,
        sender_name=author.name if author else None, sender_missing=sender_missing,
        decision_id=decision.id if decision else None,
        decision=decision.explanation if decision else None, media_count=len(version.media),
    )
    urls = [m.get("url") for m in version.media]
    snap.sha256 = snapshot_digest(snap, urls)
    session.add(snap)
    session.flush()
    for position, medium in enumerate(version.media):
        kind = medium.get("type")  # from the payload: any JSON value
        session.add(SnapshotMedia(snapshot_id=snap.id, position=position,
                                  kind=kind[:KIND_MAX] if isinstance(kind, str) else None,
                                  url=url if isinstance(url := medium.get("url"), str) else None,
                                  next_attempt_at=utcnow()))
    record(session, actor=by, act="snapshot.taken", subject_type="item",
           subject_id=item.platform_id,
           detail={"snapshot": snap.id, "sha256": snap.sha256, "reason": reason,
                   "version": version.seq, "media": len(urls),
                   "sender_missing": sender_missing})
    session.flush()
    return snap


def _request(session: Session, item: Item, snap: Snapshot, kind: ActionKind, *, by: str,
             reason: str) -> Action:
    action = Action(snapshot_id=snap.id, item_id=item.id, page_id=item.page_id, kind=kind,
                    requested_by=by, reason=reason[:500], next_attempt_at=utcnow())
    session.add(action)
    session.flush()
    record(session, actor=by, act="action.requested", subject_type="item",
           subject_id=item.platform_id,
           detail={"action": action.id, "kind": str(kind), "snapshot": snap.id,
                   "reason": action.reason})
    return action


def current_intent(session: Session, item: Item) -> str | None:
    """The kind of the latest action not cancelled: what Uppsikt last meant to do."""
    return session.scalar(
        select(Action.kind).where(Action.item_id == item.id,
                                  Action.status != ActionStatus.cancelled)
        .order_by(Action.id.desc()).limit(1))


def plan_for_decision(session: Session, page: Page, item: Item, version: ItemVersion,
                      decision: ItemDecision, *, delete_secret_at_once: bool = False
                      ) -> list[Action]:
    """What a decision calls for on Facebook: a snapshot first, then the actions, in this
    transaction. Nothing when the page is in observe mode, when the item is the page's
    own, or while the sender may still come from the Graph API."""
    acting = decision.decision in ("hide", "delete") or decision.register
    if not acting or decision.observe or item.state == Visibility.removed:
        return []
    bound = log.bind(item_id=item.id, platform_id=item.platform_id)
    if item.by_page:
        bound.info("action.skipped", why="the page's own content is never acted on")
        return []
    if item.fetch_status == FetchStatus.pending:
        bound.info("action.waiting", why="the sender or text is still being fetched")
        return []
    # A moderator's choice made after this version came in is not overridden.
    if session.scalar(select(Action.id).where(
            Action.item_id == item.id, Action.requested_by != SYSTEM,
            Action.created_at >= version.recorded_at).limit(1)) is not None:
        bound.info("action.skipped", why="a moderator has acted on this item since")
        return []
    intent = current_intent(session, item)
    wanted: list[ActionKind] = []
    if item.kind != ItemKind.message:  # messages cannot be hidden or deleted
        if intent not in REMOVING:
            wanted.append(ActionKind.hide)
        if (decision.decision == "delete" or (decision.register and delete_secret_at_once)) \
                and intent != ActionKind.delete:
            wanted.append(ActionKind.delete)
    case_needed = decision.register and session.scalar(
        select(RegistrationCase.id).where(RegistrationCase.item_id == item.id)) is None
    if not wanted and not case_needed:
        return []
    snap = take_snapshot(session, page, item, version, reason="decision", by=SYSTEM,
                         decision=decision)
    categories = ", ".join(decision.categories) or decision.decision
    actions = [_request(session, item, snap, kind, by=SYSTEM,
                        reason=f"rules: {categories}") for kind in wanted]
    if case_needed:
        case = RegistrationCase(item_id=item.id, snapshot_id=snap.id,
                                status=CaseStatus.pending, source=CaseSource.rules,
                                secret=True, reason=f"secret content ({categories})",
                                received_at=item.created_time or item.first_seen_at)
        session.add(case)
        session.flush()
        record(session, actor=SYSTEM, act="registration.queued", subject_type="item",
               subject_id=item.platform_id, detail={"case": case.id, "snapshot": snap.id})
    return actions


def latest_decided(session: Session, item: Item) -> tuple[ItemVersion, ItemDecision] | None:
    row = session.execute(
        select(ItemVersion, ItemDecision)
        .join(ItemDecision, ItemDecision.item_version_id == ItemVersion.id)
        .where(ItemVersion.item_id == item.id)
        .order_by(ItemVersion.observed_at.desc(), ItemVersion.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def moderator_action(session: Session, page: Page, item: Item, kind: ActionKind, *,
                     by: str, reason: str) -> Action:
    """A person's hide, restore (unhide) or delete: snapshot, then the action."""
    if item.kind == ItemKind.message:
        raise AppError(409, "messages cannot be hidden or deleted on Facebook")
    if item.by_page:
        raise AppError(409, "the page's own content is not acted on")
    if item.state == Visibility.removed:
        raise AppError(409, "the item is already removed from Facebook")
    snap = snapshot_latest(session, page, item, reason="moderator", by=by)
    return _request(session, item, snap, kind, by=by, reason=reason or f"{kind} by {by}")


def snapshot_latest(session: Session, page: Page, item: Item, *, reason: str,
                    by: str) -> Snapshot:
    """A snapshot of the item's latest version, with that version's decision if any."""
    version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id)
                             .order_by(ItemVersion.observed_at.desc(), ItemVersion.seq.desc())
                             .limit(1))
    if version is None:
        raise AppError(409, "nothing is archived for this item yet")
    decided = latest_decided(session, item)
    return take_snapshot(session, page, item, version, reason=reason, by=by,
                         decision=decided[1] if decided else None)

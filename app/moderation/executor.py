"""Performs the action outbox on Facebook, and downloads the media snapshots keep.

Work is claimed in short transactions (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
write lock on SQLite) and marked with a lease; the Graph call runs outside any
transaction; its outcome is recorded in another. A process killed between the call and
the record leaves the lease to run out: the next attempt first asks Facebook whether the
action already happened, so it is not done twice (invariant 4).

Rules, from the guidelines and Meta's API: a hide needs the snapshot (a foreign key, so
always there); a delete also needs every media file of the snapshot stored (invariant 3);
a later choice on the other side (a moderator's restore after a hide) supersedes an action
still waiting, and one item's actions never run at the same time.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.audit.service import record
from app.content.models import Item, ItemStateEvent, ItemVersion, Visibility
from app.core import metrics
from app.core.config import Settings
from app.core.crypto import sha256_hex
from app.core.db import Database, utcnow
from app.core.logging import get_logger
from app.core.retry import retry_at
from app.graph.client import GraphClient, GraphError, GraphErrorKind
from app.moderation.models import (
    Action,
    ActionKind,
    ActionStatus,
    MediaBlob,
    MediaStatus,
    Snapshot,
    SnapshotMedia,
)
from app.moderation.service import REMOVING, SYSTEM
from app.pages.models import Page
from app.pages.service import usable_token
from app.rules.models import ItemDecision
from app.webhooks.models import InboxChange, InboxEvent

log = get_logger("uppsikt.actions")

LEASE = timedelta(minutes=2)
MEDIA_WAIT = timedelta(seconds=2)  # a delete looks again this soon for its media
MAX_ERROR_CHARS = 2000
_STATE_AFTER = {ActionKind.hide: Visibility.hidden, ActionKind.unhide: Visibility.visible,
                ActionKind.delete: Visibility.removed}
_VERB = {ActionKind.hide: "hide", ActionKind.unhide: "unhide", ActionKind.delete: "remove"}


@dataclass(frozen=True)
class ActionClaim:
    action_id: int
    item_id: int
    page_id: int
    kind: ActionKind
    object_id: str
    token: str
    interrupted: bool  # an earlier attempt may have reached Facebook


@dataclass(frozen=True)
class MediaClaim:
    media_id: int
    url: str
    attempts: int


class Executor:
    def __init__(self, db: Database, settings: Settings, graph: GraphClient) -> None:
        self.db = db
        self.settings = settings
        self.graph = graph
        self.batch = settings.worker_batch_size

    def run_once(self) -> int:
        return self.download_media() + self.execute_actions()

    # -- actions --------------------------------------------------------------------------
    def execute_actions(self) -> int:
        claims = self._claim_actions()
        for claim in claims:
            try:
                self._execute(claim)
            except Exception:  # one action never stops the others; the lease retries it
                log.exception("action.error", action_id=claim.action_id)
        return len(claims)

    def _claim_actions(self) -> list[ActionClaim]:
        now = utcnow()
        claims: list[ActionClaim] = []
        with self.db.transaction(immediate=True) as session:
            actions = session.scalars(
                select(Action)
                .where(Action.status == ActionStatus.pending, Action.next_attempt_at <= now)
                .order_by(Action.id).limit(self.batch).with_for_update(skip_locked=True)
            ).all()
            busy: set[int] = set()  # items with an action claimed in this pass
            for action in actions:
                if action.item_id in busy:
                    continue
                claim = self._check(session, action, now)
                if claim is not None:
                    busy.add(action.item_id)
                    claims.append(claim)
        return claims

    def _check(self, session: Session, action: Action, now: datetime) -> ActionClaim | None:
        """Whether the action may run now; if so, lease it. Otherwise settle or defer it."""
        item = session.get(Item, action.item_id)
        page = session.get(Page, action.page_id)
        assert item is not None and page is not None  # foreign keys
        kind = ActionKind(action.kind)
        opposite = {ActionKind.unhide} if kind in REMOVING else set(REMOVING)
        later = session.scalar(
            select(Action).where(Action.item_id == item.id, Action.id > action.id,
                                 Action.kind.in_(opposite),
                                 Action.status != ActionStatus.cancelled)
            .order_by(Action.id).limit(1))
        if later is not None:
            self._cancel(session, action, item,
                         f"superseded by {later.kind} (action {later.id}) requested by "
                         f"{later.requested_by}")
            return None
        if item.by_page:
            self._cancel(session, action, item, "the page's own content is never acted on")
            return None
        if item.state == Visibility.removed and kind is not ActionKind.delete:
            self._cancel(session, action, item, "the item is removed from Facebook")
            return None
        running = session.scalar(
            select(Action.id).where(Action.item_id == item.id, Action.id != action.id,
                                    Action.status == ActionStatus.pending,
                                    Action.claimed_until > now).limit(1))
        if running is not None:  # one item's actions in turn
            action.next_attempt_at = now + timedelta(seconds=1)
            return None
        token = usable_token(page, self.settings.secret_key.get_secret_value())
        if token is None:
            action.next_attempt_at = now + timedelta(seconds=self.settings.retry_max_seconds)
            action.last_error = "paused: the page has no usable access token"
            return None
        if kind is ActionKind.delete:
            statuses = set(session.scalars(select(SnapshotMedia.status).where(
                SnapshotMedia.snapshot_id == action.snapshot_id)))
            if MediaStatus.failed in statuses:
                action.status = ActionStatus.failed
                action.last_error = ("the media could not be preserved, so it is not deleted: "
                                     "a moderator must decide")
                action.claimed_until = None
                record(session, actor=SYSTEM, act="alert.media_lost", subject_type="item",
                       subject_id=item.platform_id, detail={"action": action.id})
                metrics.on_commit(session, metrics.ACTIONS.labels(kind, "failed").inc)
                log.error("alert.media_lost", action_id=action.id, item_id=item.id)
                return None
            if MediaStatus.pending in statuses:
                action.next_attempt_at = now + MEDIA_WAIT
                action.last_error = "waiting for the media to be stored"
                return None
        interrupted = action.claimed_until is not None
        action.claimed_until = action.next_attempt_at = now + LEASE
        action.attempts += 1
        return ActionClaim(action.id, item.id, page.id, kind, item.platform_id, token,
                           interrupted)

    def _cancel(self, session: Session, action: Action, item: Item, why: str) -> None:
        action.status, action.last_error, action.claimed_until = ActionStatus.cancelled, why, None
        action.done_at = utcnow()
        metrics.on_commit(session, metrics.ACTIONS.labels(action.kind, "cancelled").inc)
        record(session, actor=SYSTEM, act="action.cancelled", subject_type="item",
               subject_id=item.platform_id, detail={"action": action.id, "why": why})
        log.info("action.cancelled", action_id=action.id, item_id=item.id, why=why)

    def _execute(self, claim: ActionClaim) -> None:
        if claim.interrupted:
            settled = self._already_done(claim)
            if settled is not None:
                self._done(claim, settled, checked=True, gone=settled["graph"] == "gone")
                return
        try:
            if claim.kind is ActionKind.delete:
                result = self.graph.delete(claim.object_id, token=claim.token)
            else:
                result = self.graph.hide(claim.object_id, hidden=claim.kind is ActionKind.hide,
                                         token=claim.token)
        except GraphError as exc:
            self._failed(claim, exc)
            return
        self._done(claim, {"graph": result})

    def _already_done(self, claim: ActionClaim) -> dict[str, Any] | None:
        """After an interrupted attempt: Facebook's state, if it shows the action done."""
        try:
            data = self.graph.get_object(claim.object_id, fields="is_hidden",
                                         token=claim.token)
        except GraphError as exc:
            if exc.kind is GraphErrorKind.gone:
                return {"graph": "gone", "checked": str(exc)}
            return None
        hidden = data.get("is_hidden")
        if claim.kind is ActionKind.hide and hidden is True:
            return {"graph": {"is_hidden": True}}
        if claim.kind is ActionKind.unhide and hidden is False:
            return {"graph": {"is_hidden": False}}
        return None

    def _done(self, claim: ActionClaim, result: dict[str, Any], *, checked: bool = False,
              gone: bool = False) -> None:
        now = utcnow()
        with self.db.transaction(immediate=True) as session:
            action = session.get(Action, claim.action_id)
            item = session.get(Item, claim.item_id)
            if action is None or item is None or action.status != ActionStatus.pending:
                return
            action.status, action.done_at, action.claimed_until = ActionStatus.done, now, None
            action.result, action.last_error = result, None
            state = Visibility.removed if gone else _STATE_AFTER[claim.kind]
            item.state, item.state_at = state, now
            session.add(ItemStateEvent(item_id=item.id, verb=_VERB[claim.kind], state=state,
                                       occurred_at=now, source="uppsikt"))
            record(session, actor=SYSTEM, act="action.done", subject_type="item",
                   subject_id=item.platform_id,
                   detail={"action": action.id, "kind": str(claim.kind), "state": str(state),
                           "attempts": action.attempts, "confirmed_after_interruption": checked,
                           "already_gone": gone})
            metrics.on_commit(session, metrics.ACTIONS.labels(claim.kind, "done").inc)
            if action.requested_by == SYSTEM and claim.kind is not ActionKind.unhide:
                source, since = _acted_on_since(session, action)
                histogram = metrics.TIME_TO_ACT.labels(claim.kind, source)
                metrics.on_commit(session, partial(histogram.observe,
                                                   max(0.0, (now - since).total_seconds())))
        log.info("action.done", action_id=claim.action_id, kind=claim.kind, state=state,
                 attempts_checked=checked)

    def _failed(self, claim: ActionClaim, exc: GraphError) -> None:
        if exc.kind is GraphErrorKind.gone:  # already removed: the end wanted is reached
            self._done(claim, {"graph": "gone", "error": str(exc)}, gone=True)
            return
        error = str(exc)[:MAX_ERROR_CHARS]
        with self.db.transaction(immediate=True) as session:
            action = session.get(Action, claim.action_id)
            item = session.get(Item, claim.item_id)
            if action is None or item is None or action.status != ActionStatus.pending:
                return
            action.claimed_until, action.last_error = None, error
            bound = log.bind(action_id=action.id, item_id=item.id, kind=exc.kind)
            if exc.retryable or exc.kind is GraphErrorKind.token_invalid:
                metrics.on_commit(session, metrics.ACTIONS.labels(claim.kind, "retried").inc)
            else:
                metrics.on_commit(session, metrics.ACTIONS.labels(claim.kind, "failed").inc)
            if exc.retryable:
                action.next_attempt_at = retry_at(self.settings, action.attempts,
                                                  at_least=exc.retry_after)
                bound.warning("action.retry", attempts=action.attempts, error=error)
                return
            if exc.kind is GraphErrorKind.token_invalid:
                page = session.get(Page, claim.page_id)
                if page is not None:
                    page.token_status, page.token_error = "invalid", error
                action.next_attempt_at = utcnow() + timedelta(
                    seconds=self.settings.retry_max_seconds)
                record(session, actor=SYSTEM, act="alert.token_invalid", subject_type="page",
                       subject_id=page.platform_id if page else str(claim.page_id),
                       detail={"action": action.id, "error": error})
                bound.error("alert.token_invalid", page_id=claim.page_id)
                return
            action.status, action.done_at = ActionStatus.failed, utcnow()
            act = "alert.permission" if exc.kind is GraphErrorKind.permission else "action.failed"
            record(session, actor=SYSTEM, act=act, subject_type="item",
                   subject_id=item.platform_id, detail={"action": action.id, "error": error})
            bound.error(act, error=error)

    # -- media ----------------------------------------------------------------------------
    def download_media(self) -> int:
        claims = self._claim_media()
        for claim in claims:
            try:
                data, mime = self.graph.download(claim.url,
                                                 max_bytes=self.settings.media_max_bytes)
            except GraphError as exc:
                self._media_failed(claim, exc)
                continue
            try:
                sha, path = self._store(data)
            except OSError as exc:
                log.exception("media.store_failed", media_id=claim.media_id)
                self._media_failed(claim, GraphError(GraphErrorKind.transient,
                                                     f"storing the file failed: {exc}"))
                continue
            self._media_stored(claim, sha, path, len(data), mime)
        return len(claims)

    def _claim_media(self) -> list[MediaClaim]:
        now = utcnow()
        claims: list[MediaClaim] = []
        with self.db.transaction(immediate=True) as session:
            rows = session.scalars(
                select(SnapshotMedia)
                .where(SnapshotMedia.status == MediaStatus.pending,
                       SnapshotMedia.next_attempt_at <= now)
                .order_by(SnapshotMedia.id).limit(self.batch).with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                if not row.url:
                    row.status, row.last_error = MediaStatus.failed, "no address to fetch"
                    continue
                if row.kind == "link":
                    row.status = MediaStatus.not_media
                    continue
                row.attempts += 1
                row.next_attempt_at = now + LEASE
                claims.append(MediaClaim(row.id, row.url, row.attempts))
        return claims

    def _store(self, data: bytes) -> tuple[str, str]:
        """Write the file under the media directory by its SHA-256, atomically."""
        sha = sha256_hex(data)
        relative = f"{sha[:2]}/{sha[2:4]}/{sha}"
        target = Path(self.settings.media_dir) / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return sha, relative

    def _media_stored(self, claim: MediaClaim, sha: str, path: str, size: int,
                      mime: str | None) -> None:
        with self.db.transaction(immediate=True) as session:
            row = session.get(SnapshotMedia, claim.media_id)
            if row is None or row.status != MediaStatus.pending:
                return
            # Another worker may store the same file at the same moment: first one wins.
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(insert(MediaBlob).values(
                sha256=sha, size=size, mime=mime, path=path, stored_at=utcnow(),
            ).on_conflict_do_nothing(index_elements=["sha256"]))
            row.status, row.blob_sha256, row.stored_at = MediaStatus.stored, sha, utcnow()
            row.last_error = None
        log.info("media.stored", media_id=claim.media_id, sha256=sha, size=size)

    def _media_failed(self, claim: MediaClaim, exc: GraphError) -> None:
        error = str(exc)[:MAX_ERROR_CHARS]
        with self.db.transaction(immediate=True) as session:
            row = session.get(SnapshotMedia, claim.media_id)
            if row is None or row.status != MediaStatus.pending:
                return
            row.last_error = error
            if exc.retryable and claim.attempts < self.settings.media_max_attempts:
                row.next_attempt_at = retry_at(self.settings, claim.attempts,
                                               at_least=exc.retry_after)
                log.warning("media.retry", media_id=row.id, attempts=claim.attempts, error=error)
                return
            row.status = MediaStatus.failed
            log.error("media.lost", media_id=row.id, error=error)



def _acted_on_since(session: Session, action: Action) -> tuple[str, datetime]:
    """When the clock of time-to-act started for a rule's action: the receipt of the
    delivery (webhook or reconciliation's poll) whose change brought the version decided
    on; failing that (a text fetched from the Graph API), the decision's time."""
    snapshot = session.get(Snapshot, action.snapshot_id)
    assert snapshot is not None  # a foreign key
    row = session.execute(
        select(InboxEvent.source, InboxEvent.received_at)
        .join(InboxChange, InboxChange.inbox_event_id == InboxEvent.id)
        .join(ItemVersion, ItemVersion.change_id == InboxChange.id)
        .where(ItemVersion.id == snapshot.item_version_id)).first()
    if row is not None:
        return row[0], row[1]
    decided = session.get(ItemDecision, snapshot.decision_id) if snapshot.decision_id else None
    return "decision", decided.decided_at if decided is not None else snapshot.taken_at

"""Turns committed webhook deliveries into the archive.

Three steps, each in its own transaction so that a process killed at any point loses
nothing (invariant 4): split deliveries into changes, apply due changes, then ask the
Graph API for fields the payloads lacked. Work is claimed with ``FOR UPDATE SKIP LOCKED``
on PostgreSQL and under SQLite's write lock (``BEGIN IMMEDIATE``), so any number of
workers can run; a claim lasts as long as its transaction, and a crash releases it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.audit.service import record
from app.content.models import FetchStatus, Item, ItemKind, ItemVersion
from app.content.normalise import (
    AuthorRef,
    ChangeError,
    DeliveryError,
    Ignored,
    RawChange,
    interpret,
    split_delivery,
)
from app.content.service import apply_operation, content_hash, upsert_author
from app.core import metrics
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.logging import get_logger
from app.core.retry import retry_at
from app.graph.client import GraphClient, GraphError, GraphErrorKind
from app.moderation.executor import Executor
from app.moderation.models import CaseSource
from app.moderation.service import SYSTEM, latest_decided, plan_for_decision
from app.pages.models import Page
from app.pages.service import usable_token
from app.registration.service import queue_case
from app.rules.engine import MediaFacts, Policy, RuleEngine
from app.rules.models import ItemDecision
from app.rules.policies import current_policy
from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent

log = get_logger("uppsikt.processing")

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# How long a fetch claim keeps other workers off an item while the Graph call runs.
FETCH_LEASE = timedelta(minutes=2)
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class FetchClaim:
    item_id: int
    page_id: int
    target: str
    fields: str
    token: str


class Processor:
    def __init__(self, db: Database, settings: Settings, graph: GraphClient,
                 rules: RuleEngine) -> None:
        self.db = db
        self.rules = rules
        self.settings = settings
        self.graph = graph
        self.batch = settings.worker_batch_size
        self.executor = Executor(db, settings, graph)
        self._sources: dict[int, str] = {}

    def run_once(self) -> int:
        """One pass over every kind of work; returns how much was done."""
        return (self.split_deliveries() + self.apply_changes() + self.fetch_missing()
                + self.executor.run_once())

    def run_until_idle(self, max_passes: int = 1000) -> int:
        total = 0
        for _ in range(max_passes):
            done = self.run_once()
            total += done
            if done == 0:
                return total
        return total

    # -- step 1 -------------------------------------------------------------------------
    def split_deliveries(self) -> int:
        with self.db.transaction(immediate=True) as session:
            events = session.scalars(
                select(InboxEvent).where(InboxEvent.status == DeliveryStatus.received)
                .order_by(InboxEvent.id).limit(self.batch).with_for_update(skip_locked=True)
            ).all()
            for event in events:
                try:
                    changes = split_delivery(event.body)
                except DeliveryError as exc:
                    event.status, event.error = DeliveryStatus.failed, str(exc)[:MAX_ERROR_CHARS]
                    log.warning("delivery.failed", inbox_event_id=event.id, error=event.error)
                else:
                    self._store_changes(session, event, changes)
                event.processed_at = utcnow()
                metrics.on_commit(session, metrics.DELIVERIES_PROCESSED.labels(event.status).inc)
            return len(events)

    def _store_changes(self, session: Session, event: InboxEvent,
                       changes: list[RawChange]) -> None:
        try:
            with session.begin_nested():
                for position, change in enumerate(changes):
                    _insert_change(session, event.id, position, change)
        except Exception as exc:  # one delivery must not stop the queue behind it
            event.status = DeliveryStatus.failed
            event.error = f"could not be split: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
            log.exception("delivery.failed", inbox_event_id=event.id)
            return
        event.status = DeliveryStatus.split
        log.info("delivery.split", inbox_event_id=event.id, changes=len(changes))

    # -- step 2 -------------------------------------------------------------------------
    def apply_changes(self) -> int:
        now = utcnow()
        with self.db.transaction(immediate=True) as session:
            changes = session.scalars(
                select(InboxChange)
                .where(InboxChange.status == ChangeStatus.pending,
                       InboxChange.next_attempt_at <= now)
                .order_by(InboxChange.id).limit(self.batch).with_for_update(skip_locked=True)
            ).all()
            received: dict[int, datetime] = {}
            # Versions keep how their change came: a webhook, or reconciliation's poll.
            self._sources: dict[int, str] = {}
            for event_id, at, source in session.execute(
                select(InboxEvent.id, InboxEvent.received_at, InboxEvent.source)
                .where(InboxEvent.id.in_({c.inbox_event_id for c in changes}))
            ):
                received[event_id], self._sources[event_id] = at, source
            pages: dict[str, Page | None] = {}
            policies: dict[int, Policy] = {}  # read once per page and batch
            for change in changes:
                pid = change.page_platform_id
                if pid not in pages:
                    pages[pid] = session.scalar(
                        select(Page).where(Page.platform_id == pid, Page.removed_at.is_(None))
                    )
                self._apply_one(session, change, pages[pid],
                                received.get(change.inbox_event_id) or utcnow(), policies)
            return len(changes)

    def _apply_one(self, session: Session, change: InboxChange, page: Page | None,
                   received_at: datetime, policies: dict[int, Policy]) -> None:
        bound = log.bind(inbox_event_id=change.inbox_event_id, change_id=change.id)
        if page is None:
            change.status = ChangeStatus.held
            change.last_error = f"page {change.page_platform_id} is not managed by Uppsikt"
            bound.warning("change.held", page_platform_id=change.page_platform_id)
            metrics.on_commit(session, metrics.CHANGES_PROCESSED.labels("held").inc)
            return
        raw = RawChange(change.page_platform_id, change.field, change.entry_time,
                        change.payload["value"], change.change_key)
        mark = metrics.since(session)
        try:
            with session.begin_nested():
                result = interpret(raw)
                if isinstance(result, Ignored):
                    change.status, change.last_error = ChangeStatus.ignored, result.reason
                    bound.info("change.ignored", reason=result.reason)
                else:
                    source = self._sources.get(change.inbox_event_id, "webhook")
                    item = apply_operation(session, page, result, change_id=change.id,
                                           received_at=received_at, source=source)
                    self._decide(session, page, item, change.id, policies)
                    change.item_id, change.status = item.id, ChangeStatus.done
                    change.last_error = None
                    bound.info("change.applied", item_id=item.id,
                               platform_id=item.platform_id, verb=result.verb)
                change.processed_at = utcnow()
        except ChangeError as exc:
            metrics.forget(session, mark)  # its decisions were rolled back with it
            change.status, change.last_error = ChangeStatus.failed, str(exc)[:MAX_ERROR_CHARS]
            change.attempts += 1
            bound.warning("change.failed", error=change.last_error)
        except Exception as exc:  # one bad change never blocks the others
            metrics.forget(session, mark)
            change.attempts += 1
            change.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
            change.next_attempt_at = retry_at(self.settings, change.attempts)
            bound.exception("change.retry", attempts=change.attempts)
            metrics.on_commit(session, metrics.CHANGES_PROCESSED.labels("retried").inc)
            return
        metrics.on_commit(session, metrics.CHANGES_PROCESSED.labels(change.status).inc)

    def _decide(self, session: Session, page: Page, item: Item, change_id: int,
                policies: dict[int, Policy]) -> None:
        """Run the rules over every version this change added; store each decision."""
        versions = session.scalars(select(ItemVersion).where(
            ItemVersion.item_id == item.id, ItemVersion.change_id == change_id)).all()
        if versions:
            if page.id not in policies:
                policies[page.id] = current_policy(session, page)
            for version in versions:
                self._decide_version(session, page, item, version, policies[page.id])

    def _decide_version(self, session: Session, page: Page, item: Item, version: ItemVersion,
                        policy: Policy) -> None:
        types = {m.get("type") for m in version.media}
        media = MediaFacts(has_image=bool(types & {"photo", "image", "sticker"}),
                           has_video="video" in types)
        decision = self.rules.check(version.text or "", policy,
                                    today=datetime.now(STOCKHOLM).date(), media=media)
        row = session.scalar(select(ItemDecision)
                             .where(ItemDecision.item_version_id == version.id))
        if row is None:  # a version decided on unknown text is decided again once known
            row = ItemDecision(item_id=item.id, item_version_id=version.id)
            session.add(row)
        row.decision, row.register, row.observe = (decision.decision, decision.register,
                                                   decision.observe)
        row.categories, row.explanation = list(decision.categories), decision.as_dict()
        row.engine_version, row.policy_version = decision.engine_version, policy.version
        row.decided_at = utcnow()
        session.flush()
        for labels in metrics.decision_counts(decision.decision, decision.categories):
            metrics.on_commit(session, metrics.DECISIONS.labels(*labels).inc)
        record(session, actor=SYSTEM, act="decision", subject_type="item",
               subject_id=item.platform_id,
               detail={"version": version.seq, "decision": decision.decision,
                       "categories": list(decision.categories), "register": decision.register,
                       "observe": decision.observe, "policy": policy.version})
        if decision.decision != "allow":
            log.info("item.decided", item_id=item.id, version=version.seq,
                     decision=decision.decision, categories=list(decision.categories),
                     register=decision.register, observe=decision.observe)
        plan_for_decision(session, page, item, version, row,
                          delete_secret_at_once=policy.delete_secret_at_once)
        if item.kind == ItemKind.message and not item.by_page and policy.register_messages:
            queue_case(session, page, item, source=CaseSource.message,
                       secret=decision.register, reason="direct message: incoming mail",
                       by=SYSTEM)

    # -- step 3 -------------------------------------------------------------------------
    def fetch_missing(self) -> int:
        claims = self._claim_fetches()
        for claim in claims:
            try:
                data = self.graph.get_object(claim.target, fields=claim.fields, token=claim.token)
            except GraphError as exc:
                self._fetch_failed(claim, exc)
                continue
            try:
                self._fetch_done(claim, data)
            except Exception as exc:  # one item's answer never blocks the others
                log.exception("item.fetch_store_failed", item_id=claim.item_id)
                self._fetch_failed(claim, GraphError(GraphErrorKind.transient,
                                                     f"storing the answer failed: {exc}"))
        return len(claims)

    def _claim_fetches(self) -> list[FetchClaim]:
        now = utcnow()
        claims: list[FetchClaim] = []
        with self.db.transaction(immediate=True) as session:
            items = session.scalars(
                select(Item)
                .where(Item.fetch_status == FetchStatus.pending, Item.fetch_next_at <= now)
                .order_by(Item.fetch_next_at).limit(self.batch)
                .with_for_update(skip_locked=True, of=Item)
            ).unique().all()
            for item in items:
                page = session.get(Page, item.page_id)
                token = usable_token(page, self.settings.secret_key.get_secret_value())
                if token is None:
                    item.fetch_next_at = now + timedelta(seconds=self.settings.retry_max_seconds)
                    item.fetch_error = "page has no usable access token"
                    continue
                if item.kind == "message":
                    if item.author is None:
                        item.fetch_status = FetchStatus.done
                        continue
                    target, fields = item.author.platform_id, "name"
                else:
                    target, fields = item.platform_id, "from{id,name},message,created_time"
                item.fetch_next_at = now + FETCH_LEASE
                claims.append(FetchClaim(item.id, item.page_id, target, fields, token))
        return claims

    def _fetch_done(self, claim: FetchClaim, data: dict[str, Any]) -> None:
        with self.db.transaction(immediate=True) as session:
            item = session.get(Item, claim.item_id)
            if item is None or item.fetch_status != FetchStatus.pending:
                return
            if item.kind == "message":
                name = data.get("name")
                if isinstance(name, str) and item.author is not None:
                    item.author.name = name
            else:
                filled = _fill_from_graph(session, item, data)
                page = session.get(Page, item.page_id)
                if filled is not None and page is not None:
                    self._decide_version(session, page, item, filled,
                                         current_policy(session, page))
            item.fetch_status, item.fetch_error = FetchStatus.done, None
            item.fetch_attempts += 1
            log.info("item.fetched", item_id=item.id, platform_id=item.platform_id)
            self._plan_after_fetch(session, item)

    def _plan_after_fetch(self, session: Session, item: Item) -> None:
        """A decision that waited for the sender acts now, with what could be had."""
        page = session.get(Page, item.page_id)
        decided = latest_decided(session, item)
        if page is not None and decided is not None:
            plan_for_decision(session, page, item, *decided, delete_secret_at_once=current_policy(
                session, page).delete_secret_at_once)

    def _fetch_failed(self, claim: FetchClaim, exc: GraphError) -> None:
        with self.db.transaction(immediate=True) as session:
            item = session.get(Item, claim.item_id)
            if item is None:
                return
            item.fetch_attempts += 1
            item.fetch_error = str(exc)[:MAX_ERROR_CHARS]
            bound = log.bind(item_id=item.id, platform_id=item.platform_id, kind=exc.kind)
            if exc.kind is GraphErrorKind.gone:
                item.fetch_status = FetchStatus.gone
                bound.info("item.fetch_gone")
                self._plan_after_fetch(session, item)
                return
            if exc.kind is GraphErrorKind.invalid:
                item.fetch_status = FetchStatus.failed
                bound.warning("item.fetch_refused", error=item.fetch_error)
                self._plan_after_fetch(session, item)
                return
            if exc.kind is GraphErrorKind.token_invalid:
                page = session.get(Page, claim.page_id)
                if page is not None:
                    page.token_status, page.token_error = "invalid", str(exc)[:MAX_ERROR_CHARS]
                bound.error("page.token_invalid", page_id=claim.page_id)
            if exc.kind in (GraphErrorKind.token_invalid, GraphErrorKind.permission):
                item.fetch_next_at = utcnow() + timedelta(seconds=self.settings.retry_max_seconds)
                bound.error("item.fetch_blocked", error=item.fetch_error)
                return
            item.fetch_next_at = retry_at(self.settings, item.fetch_attempts)
            bound.warning("item.fetch_retry", attempts=item.fetch_attempts, error=item.fetch_error)


def _fill_from_graph(session: Session, item: Item, data: dict[str, Any]) -> ItemVersion | None:
    """Fill in what the webhook lacked. Facts already recorded are never replaced.
    Returns the version whose text was filled in or added, if any."""
    sender = data.get("from")
    if isinstance(sender, dict) and sender.get("id") is not None:
        author = upsert_author(
            session,
            AuthorRef(str(sender["id"]), sender.get("name") if isinstance(sender.get("name"), str)
                      else None),
            utcnow(),
        )
        if item.author_id is None:
            item.author_id = author.id
    elif item.author_id is None:
        item.fetch_error = "the Graph API did not give the sender"
    message = data.get("message")
    if not isinstance(message, str):
        return None
    versions = list(session.scalars(
        select(ItemVersion).where(ItemVersion.item_id == item.id)
        .order_by(ItemVersion.observed_at.desc(), ItemVersion.seq.desc())
    ))
    unknown = next((v for v in versions if v.text is None and not v.media), None)
    if unknown is not None:
        unknown.text = message
        unknown.content_sha256 = content_hash(message, [])
        unknown.source = "graph"
        session.flush()
        return unknown
    if not versions:
        added = ItemVersion(item_id=item.id, seq=1, text=message, media=[],
                            content_sha256=content_hash(message, []), observed_at=utcnow(),
                            verb="fetched", source="graph")
        session.add(added)
        session.flush()
        return added
    return None


def _insert_change(session: Session, event_id: int, position: int, change: RawChange) -> None:
    values = dict(
        inbox_event_id=event_id, position=position, change_key=change.key, field=change.field,
        page_platform_id=change.page_platform_id, entry_time=change.entry_time,
        payload=change.as_payload(), status=ChangeStatus.pending, attempts=0,
        next_attempt_at=utcnow(),
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(InboxChange).values(**values).on_conflict_do_nothing(
        index_elements=["change_key"]
    )
    session.execute(stmt)

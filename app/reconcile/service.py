"""Reconciliation: find through the Graph API what no webhook brought, and keep each page's
webhook subscription alive.

Meta keeps no history and gives up redelivering after a while, and a subscription can be
dropped (Messenger disables it after an hour of failures). So every few minutes each
page's recent posts and their comments are listed and compared with the archive; what is
unknown, or says something else than its latest version, is written to the inbox as a
webhook-shaped delivery with ``source="poll"``. The processor then treats it exactly like
a webhook (same normalisation, rules, snapshots and actions), and the usual dedup makes a
webhook that arrives later a no-op (invariant 2).

A page whose webhooks have gone silent, or for which polling found what webhooks missed,
gets its subscription checked and renewed; an alert stays open while that fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.alerts.service import raise_alert, resolve_alert
from app.audit.service import record
from app.content.models import FetchStatus, Item, ItemVersion
from app.content.normalise import ChangeError, _storable, platform_id, timestamp
from app.core.crypto import sha256_hex
from app.core.logging import get_logger
from app.graph.client import GraphClient, GraphError, GraphErrorKind, Usage
from app.jobs.registry import JobContext
from app.pages.models import Page
from app.pages.service import usable_token
from app.reconcile.models import PageWatch
from app.webhooks.models import DeliveryStatus, InboxChange, InboxEvent

log = get_logger("uppsikt.reconcile")

ACTOR = "system"
# Each poll reaches back this far before where the last one ended: Graph may show an
# object a little after its created_time, and clocks differ.
POLL_MARGIN = timedelta(minutes=15)
# Objects younger than this are left to their webhook (normally seconds away) and to the
# next poll, so that polling does not race the webhook for every new comment.
SETTLE = timedelta(minutes=2)
# Meta throttles at 100 %: stop a page's poll above this and come back later.
USAGE_HIGH = 80.0
USAGE_BACKOFF = timedelta(minutes=15)
RATE_LIMIT_BACKOFF = timedelta(minutes=5)
SUBSCRIBED_FIELDS = ("feed", "messages")
MAX_CHANGES_PER_DELIVERY = 500
MAX_ERROR = 2000
# Graph status_type -> the webhook's feed item for a post.
POST_ITEMS = {"added_photos": "photo", "added_video": "video", "shared_story": "share"}
VIDEO_ATTACHMENTS = frozenset({"video", "video_inline", "video_autoplay", "video_share_youtube",
                               "animated_image_video"})


@dataclass
class Poll:
    """What one page's poll saw in the Graph API."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    comments: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (post id, c)
    complete: bool = False
    usage: Usage = field(default_factory=Usage)
    error: GraphError | None = None
    calls: int = 0

    @property
    def usage_high(self) -> bool:
        return self.usage.percent >= USAGE_HIGH or self.usage.regain_seconds is not None


@dataclass(frozen=True)
class Due:
    """A page to poll, read in a short transaction before any Graph call."""

    page_id: int
    platform_id: str
    name: str
    token: str
    since: datetime  # posts with activity since then
    comments_since: datetime  # their comments written since then (edits are caught too)
    silent: bool
    subscription_status: str
    subscription_checked_at: datetime | None


def reconcile_job(ctx: JobContext) -> dict[str, Any]:
    """Poll every managed page that is due, then check the subscriptions that need it."""
    summary = {"pages": 0, "polled": 0, "found": 0, "deferred": 0, "no_token": 0,
               "errors": 0, "subscriptions_checked": 0, "renewed": 0, "subscription_failed": 0}
    with ctx.db.transaction() as session:
        page_ids = list(session.scalars(select(Page.id).where(Page.removed_at.is_(None))
                                        .order_by(Page.id)))
    for page_id in page_ids:
        summary["pages"] += 1
        try:
            _reconcile_page(ctx, page_id, summary)
        except Exception:  # one page's trouble never stops the others; the next run retries
            summary["errors"] += 1
            log.exception("reconcile.page_failed", page_id=page_id)
    return summary


def _reconcile_page(ctx: JobContext, page_id: int, summary: dict[str, int]) -> None:
    due = _due(ctx, page_id)
    if isinstance(due, str):
        summary[due] += 1
        return
    poll = poll_page(ctx.graph, due.platform_id, due.token, due.since, due.comments_since)
    summary["polled"] += 1
    found = _record_poll(ctx, due, poll)
    summary["found"] += found
    if poll.error is not None or poll.usage_high:
        summary["errors" if poll.error is not None
                and poll.error.kind is not GraphErrorKind.rate_limited else "deferred"] += 1
        return  # no further calls for this page until it is due again
    if _subscription_due(ctx, due, found):
        summary["subscriptions_checked"] += 1
        outcome = _check_subscription(ctx, due)
        if outcome in ("renewed", "failed"):
            summary["renewed" if outcome == "renewed" else "subscription_failed"] += 1


def _due(ctx: JobContext, page_id: int) -> Due | str:
    """The page's poll, or why it is skipped ("no_token" or "deferred")."""
    with ctx.db.transaction(immediate=True) as session:
        page = session.get(Page, page_id)
        if page is None or page.removed_at is not None:
            return "deferred"
        watch = _watch(session, page_id)
        token = usable_token(page, ctx.settings.secret_key.get_secret_value())
        if token is None:
            log.info("reconcile.skipped", page_id=page_id, reason="no usable token")
            return "no_token"
        if watch.next_poll_at is not None and watch.next_poll_at > ctx.now:
            log.info("reconcile.deferred", page_id=page_id, until=watch.next_poll_at.isoformat())
            return "deferred"
        floor = ctx.now - timedelta(hours=ctx.settings.reconcile_lookback_hours)
        since = max(floor, watch.polled_until - POLL_MARGIN) if watch.polled_until else floor
        quiet_since = ctx.now - timedelta(minutes=ctx.settings.webhook_silence_minutes)
        heard = session.scalar(select(exists().where(
            InboxChange.page_platform_id == page.platform_id,
            InboxChange.inbox_event_id == InboxEvent.id,
            InboxEvent.source == "webhook", InboxEvent.received_at >= quiet_since)))
        return Due(page.id, page.platform_id, page.name, token, since, floor, not heard,
                   watch.subscription_status, watch.subscription_checked_at)


def _watch(session: Session, page_id: int) -> PageWatch:
    watch = session.get(PageWatch, page_id)
    if watch is None:
        watch = PageWatch(page_id=page_id, last_poll_found=0, subscription_status="unknown")
        session.add(watch)
        session.flush()
    return watch


# -- polling ----------------------------------------------------------------------------

def poll_page(graph: GraphClient, page_platform_id: str, token: str, since: datetime,
              comments_since: datetime) -> Poll:
    """The page's posts with activity (``updated_time``) since ``since`` and their comments
    and replies written since ``comments_since``: a comment edited later keeps its
    created_time, so the comments of an active post are listed over the whole lookback
    to see edits. Stops early, with what it has, when Meta's usage runs high or an error
    comes; ``complete`` says whether it got everything."""
    poll = Poll()
    since_unix, comments_unix = int(since.timestamp()), int(comments_since.timestamp())
    own = f"{page_platform_id}_"
    try:
        for listing in graph.feed(page_platform_id, token=token, since=since_unix):
            poll.calls += 1
            poll.usage = poll.usage.worse(listing.usage)
            # Posts elsewhere that tag the page are not the page's to keep or moderate.
            poll.posts += [p for p in listing.data if str(p.get("id", "")).startswith(own)]
            if poll.usage_high:
                return poll
        for post in poll.posts:
            try:
                for listing in graph.comments(str(post["id"]), token=token,
                                              since=comments_unix):
                    poll.calls += 1
                    poll.usage = poll.usage.worse(listing.usage)
                    poll.comments += [(str(post["id"]), c) for c in listing.data]
                    if poll.usage_high:
                        return poll
            except GraphError as exc:
                if exc.kind is not GraphErrorKind.gone:  # a post removed meanwhile: go on
                    raise
    except GraphError as exc:
        poll.error = exc
        poll.usage = poll.usage.worse(exc.usage)
        return poll
    poll.complete = True
    return poll


def _record_poll(ctx: JobContext, due: Due, poll: Poll) -> int:
    """Write what the archive lacks as one inbox delivery and note the poll on the page's
    watch; returns how many changes were written."""
    now = ctx.now
    with ctx.db.transaction(immediate=True) as session:
        page = session.get(Page, due.page_id)
        watch = _watch(session, due.page_id)
        if page is None:
            return 0
        changes = missing_changes(session, page, poll, now=now)
        event_id = _write_delivery(session, page.platform_id, changes, ctx.run_id) \
            if changes else None
        watch.last_poll_at = now
        watch.last_poll_found = len(changes)
        watch.last_poll_error = None if poll.error is None else str(poll.error)[:MAX_ERROR]
        if poll.complete:
            watch.polled_until = now - SETTLE
            watch.next_poll_at = None
        if poll.usage_high or (poll.error is not None and poll.error.retryable):
            watch.next_poll_at = now + _backoff(poll)
        if poll.error is not None and poll.error.kind is GraphErrorKind.token_invalid:
            page.token_status, page.token_error = "invalid", str(poll.error)[:MAX_ERROR]
            record(session, actor=ACTOR, act="alert.token_invalid", subject_type="page",
                   subject_id=page.platform_id, detail={"during": "reconcile"})
        if changes:
            record(session, actor=ACTOR, act="reconcile.found", subject_type="page",
                   subject_id=page.platform_id,
                   detail={"changes": len(changes), "inbox_event": event_id,
                           "run": ctx.run_id})
        log.info("reconcile.polled", page_id=page.id, calls=poll.calls, posts=len(poll.posts),
                 comments=len(poll.comments), found=len(changes), complete=poll.complete,
                 usage=poll.usage.percent,
                 error=None if poll.error is None else poll.error.kind,
                 next_poll_at=watch.next_poll_at.isoformat() if watch.next_poll_at else None)
        return len(changes)


def _backoff(poll: Poll) -> timedelta:
    regain = poll.usage.regain_seconds
    if poll.error is not None and poll.error.retry_after:
        regain = max(regain or 0.0, poll.error.retry_after)
    if regain:
        return timedelta(seconds=regain)
    if poll.error is not None and poll.error.kind is GraphErrorKind.rate_limited:
        return RATE_LIMIT_BACKOFF
    if poll.usage_high:
        return USAGE_BACKOFF
    return timedelta(0)  # a transient error: the next run tries again


@dataclass(frozen=True)
class Known:
    page_id: int
    text: str | None
    has_version: bool
    fetching: bool


def missing_changes(session: Session, page: Page, poll: Poll, *,
                    now: datetime) -> list[tuple[int, dict[str, Any]]]:
    """The feed changes, as (entry time, change), for what the archive does not have or
    has with other text. New objects younger than ``SETTLE`` are left for later."""
    candidates: list[tuple[str, datetime, dict[str, Any]]] = []
    for post in poll.posts:
        value = post_value(page.platform_id, post)
        if value is not None:
            candidates.append((value["post_id"], _created(value), value))
    for post_id, comment in poll.comments:
        value = comment_value(post_id, comment)
        if value is not None:
            candidates.append((value["comment_id"], _created(value), value))
    known = _known(session, [pid for pid, _, _ in candidates])
    settled = now - SETTLE
    changes: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for pid, created, value in candidates:
        if pid in seen:
            continue
        seen.add(pid)
        item = known.get(pid)
        if item is not None and item.page_id != page.id:
            continue
        if item is None or not item.has_version:
            if created > settled:
                continue
            # Timed by the object itself, so that the same find by the next poll (before
            # this one is processed) is the very same change and is dropped as such.
            changes.append((int(created.timestamp()), {"field": "feed", "value": value}))
            continue
        if item.fetching and item.text is None:
            continue  # its text is being fetched already
        if item.text != value.get("message"):
            changes.append((int(now.timestamp()),
                            {"field": "feed", "value": {**value, "verb": "edited"}}))
    return changes


def _created(value: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(value["created_time"], UTC)


def _known(session: Session, platform_ids: list[str]) -> dict[str, Known]:
    """For each id the archive has: its page and the text of its latest version."""
    known: dict[str, Known] = {}
    for start in range(0, len(platform_ids), 500):
        chunk = platform_ids[start:start + 500]
        items = {row.id: row for row in session.execute(
            select(Item.id, Item.platform_id, Item.page_id, Item.fetch_status)
            .where(Item.platform_id.in_(chunk)))}
        latest: dict[int, tuple[datetime, int, str | None]] = {}
        for item_id, observed, seq, text in session.execute(
                select(ItemVersion.item_id, ItemVersion.observed_at, ItemVersion.seq,
                       ItemVersion.text).where(ItemVersion.item_id.in_(items))):
            if item_id not in latest or (observed, seq) > latest[item_id][:2]:
                latest[item_id] = (observed, seq, text)
        for item_id, row in items.items():
            version = latest.get(item_id)
            known[row.platform_id] = Known(
                row.page_id, version[2] if version else None, version is not None,
                row.fetch_status == FetchStatus.pending)
    return known


def _write_delivery(session: Session, page_platform_id: str,
                    changes: list[tuple[int, dict[str, Any]]], run_id: int) -> int | None:
    """One inbox row per ``MAX_CHANGES_PER_DELIVERY`` changes, shaped as Meta's webhook
    (an entry per change, timed as above); returns the first row's id."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    first: int | None = None
    for start in range(0, len(changes), MAX_CHANGES_PER_DELIVERY):
        chunk = changes[start:start + MAX_CHANGES_PER_DELIVERY]
        body = json.dumps({"object": "page", "entry": [
            {"id": page_platform_id, "time": at, "changes": [change]} for at, change in chunk
        ]}, ensure_ascii=True, separators=(",", ":")).encode()
        stmt = insert(InboxEvent).values(
            body=body, body_sha256=sha256_hex(body), status=DeliveryStatus.received,
            headers={"x-uppsikt-source": "reconcile", "x-uppsikt-run": str(run_id)},
            source="poll",
        ).on_conflict_do_nothing(index_elements=["body_sha256"]).returning(InboxEvent.id)
        event_id = session.execute(stmt).scalar()
        first = first if first is not None else event_id
    return first


# -- Graph objects -> webhook values ----------------------------------------------------

def _unix(value: Any) -> int | None:
    try:
        at = timestamp(value)
    except ChangeError:
        return None
    return int(at.timestamp()) if at is not None else None


def _sender(obj: dict[str, Any]) -> dict[str, str] | None:
    sender = obj.get("from")
    if not isinstance(sender, dict):
        return None
    try:
        sender_id = platform_id(sender.get("id"))
    except ChangeError:
        return None
    if sender_id is None:
        return None
    name = sender.get("name")
    return {"id": sender_id, **({"name": name} if isinstance(name, str) else {})}


def _message(obj: dict[str, Any]) -> str | None:
    """Graph gives "" for a media-only object where the webhook gives no message."""
    message = obj.get("message")
    return _storable(message) if isinstance(message, str) and message else None


def post_value(page_platform_id: str, post: dict[str, Any]) -> dict[str, Any] | None:
    """A feed ``add`` for a post, as the webhook would carry it; None if unusable."""
    try:
        post_id = platform_id(post.get("id"))
    except ChangeError:
        return None
    created = _unix(post.get("created_time"))
    if post_id is None or created is None or not post_id.startswith(f"{page_platform_id}_"):
        return None
    item = POST_ITEMS.get(str(post.get("status_type")), "status")
    value: dict[str, Any] = {"item": item, "verb": "add", "post_id": post_id,
                             "created_time": created}
    if (sender := _sender(post)) is not None:
        value["from"] = sender
    if (message := _message(post)) is not None:
        value["message"] = message
    if item == "photo" and isinstance(post.get("full_picture"), str):
        value["link"] = post["full_picture"]
    return value


def comment_value(post_id: str, comment: dict[str, Any]) -> dict[str, Any] | None:
    """A feed ``add`` for a comment or reply, as the webhook would carry it."""
    try:
        comment_id = platform_id(comment.get("id"))
        parent = comment.get("parent")
        parent_id = platform_id(parent.get("id")) if isinstance(parent, dict) else None
    except ChangeError:
        return None
    created = _unix(comment.get("created_time"))
    if comment_id is None or created is None:
        return None
    value: dict[str, Any] = {"item": "comment", "verb": "add", "comment_id": comment_id,
                             "post_id": post_id, "parent_id": parent_id or post_id,
                             "created_time": created}
    if (sender := _sender(comment)) is not None:
        value["from"] = sender
    if (message := _message(comment)) is not None:
        value["message"] = message
    value.update(_attachment(comment.get("attachment")))
    return value


def _attachment(attachment: Any) -> dict[str, str]:
    if not isinstance(attachment, dict):
        return {}
    media = attachment.get("media") if isinstance(attachment.get("media"), dict) else {}
    kind = str(attachment.get("type") or "")
    if kind in VIDEO_ATTACHMENTS and isinstance(media.get("source"), str):
        return {"video": media["source"]}
    image = media.get("image") if isinstance(media.get("image"), dict) else {}
    if isinstance(image.get("src"), str):
        return {"photo": image["src"]}
    return {}


# -- subscription -----------------------------------------------------------------------

def _subscription_due(ctx: JobContext, due: Due, found: int) -> bool:
    """Check when webhooks missed something, and for a silent page at most once per
    silence period while the subscription was last found fine."""
    if found > 0:
        return True
    if not due.silent:
        return False
    if due.subscription_status in ("subscribed", "renewed") and due.subscription_checked_at:
        window = timedelta(minutes=ctx.settings.webhook_silence_minutes)
        return due.subscription_checked_at <= ctx.now - window
    return True


def _check_subscription(ctx: JobContext, due: Due) -> str:
    """Ask Meta whether the app gets the page's webhooks; subscribe again if not. Returns
    "subscribed", "renewed" or "failed"."""
    status, error, usage = "subscribed", None, Usage()
    try:
        apps, usage = ctx.graph.subscribed_apps(due.platform_id, token=due.token)
        if not any(set(SUBSCRIBED_FIELDS) <= set(_fields(app)) for app in apps):
            answer, usage = ctx.graph.subscribe(due.platform_id, SUBSCRIBED_FIELDS,
                                                token=due.token)
            if answer.get("success") is True:
                status = "renewed"
            else:
                status, error = "failed", "Meta did not confirm the subscription"
    except GraphError as exc:
        status, error, usage = "failed", str(exc)[:MAX_ERROR], usage.worse(exc.usage)
        failure = exc
    else:
        failure = None
    with ctx.db.transaction(immediate=True) as session:
        page = session.get(Page, due.page_id)
        watch = _watch(session, due.page_id)
        watch.subscription_status, watch.subscription_error = status, error
        watch.subscription_checked_at = ctx.now
        key = f"page:{due.page_id}"
        if status == "failed":
            raise_alert(session, "subscription", key,
                        f"{due.name} ({due.platform_id}): the webhook subscription could not "
                        f"be checked or renewed: {error}. Webhooks may not arrive; polling "
                        "goes on.", page_id=due.page_id)
            if failure is not None and failure.kind is GraphErrorKind.token_invalid \
                    and page is not None:
                page.token_status, page.token_error = "invalid", error
            if failure is not None and failure.retryable:
                watch.next_poll_at = ctx.now + max(
                    timedelta(seconds=failure.retry_after or usage.regain_seconds or 0),
                    RATE_LIMIT_BACKOFF)
        else:
            resolve_alert(session, "subscription", key)
        if status == "renewed":
            record(session, actor=ACTOR, act="reconcile.subscribed", subject_type="page",
                   subject_id=due.platform_id, detail={"fields": list(SUBSCRIBED_FIELDS)})
        log.info("reconcile.subscription", page_id=due.page_id, status=status, error=error)
    return status


def _fields(app: dict[str, Any]) -> list[str]:
    fields = app.get("subscribed_fields")
    if isinstance(fields, list):
        return [f if isinstance(f, str) else str(f.get("name")) if isinstance(f, dict)
                else "" for f in fields]
    return []

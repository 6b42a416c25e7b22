"""Jobs over the outbox and the inbox: retries on the schedule, and alerts for what stays
failed. The worker retries continuously; this job also runs where no worker does, and is
the one that notices what has been failing for too long."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.alerts.service import raise_alert, resolve_other
from app.content.models import FetchStatus, Item
from app.core.logging import get_logger
from app.jobs.registry import JobContext
from app.moderation.executor import Executor
from app.moderation.models import Action, ActionStatus, MediaStatus, Snapshot, SnapshotMedia
from app.pages.models import Page
from app.processing.processor import Processor
from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent

log = get_logger("uppsikt.jobs")

SHOWN = 5  # ids named in an alert's message


def outbox_job(ctx: JobContext) -> dict[str, Any]:
    executor = Executor(ctx.db, ctx.settings, ctx.graph)
    processor = Processor(ctx.db, ctx.settings, ctx.graph, ctx.rules)
    retried = {"media": executor.download_media(), "actions": executor.execute_actions(),
               "fetches": processor.fetch_missing()}
    stuck_since = ctx.now - timedelta(minutes=ctx.settings.alert_after_minutes)
    with ctx.db.transaction(immediate=True) as session:
        keys: set[str] = set()
        pages = {p.id: p for p in session.scalars(select(Page))}
        # Actions that keep failing, and those refused for good.
        failing = session.execute(
            select(Action.page_id, Action.id, Action.status, Action.attempts, Action.last_error)
            .where(((Action.status == ActionStatus.pending) & (Action.attempts > 0)
                    & (Action.created_at < stuck_since))
                   | (Action.status == ActionStatus.failed))
            .order_by(Action.id)).all()
        for page_id, rows in _by_page(failing).items():
            key = f"page:{page_id}"
            keys.add(key)
            failed = [r for r in rows if r.status == ActionStatus.failed]
            waiting = [r for r in rows if r.status != ActionStatus.failed]
            raise_alert(session, "action.failing", key, _describe(
                pages.get(page_id), f"{len(failed)} action(s) refused by Facebook and "
                f"{len(waiting)} still failing after {ctx.settings.alert_after_minutes} min",
                rows, "action"), page_id=page_id)
        resolve_other(session, "action.failing", keys)

        keys = set()
        media = session.execute(
            select(Snapshot.page_platform_id, SnapshotMedia.id, SnapshotMedia.status,
                   SnapshotMedia.attempts, SnapshotMedia.last_error)
            .join(Snapshot, Snapshot.id == SnapshotMedia.snapshot_id)
            .where(((SnapshotMedia.status == MediaStatus.pending)
                    & (SnapshotMedia.attempts > 0) & (Snapshot.taken_at < stuck_since))
                   | ((SnapshotMedia.status == MediaStatus.failed)
                      & (Snapshot.taken_at >= ctx.now - timedelta(days=7))))
            .order_by(SnapshotMedia.id)).all()
        by_platform = {p.platform_id: p for p in pages.values()}
        for platform_id, rows in _by_page(media).items():
            page = by_platform.get(platform_id)
            key = f"page:{page.id if page else platform_id}"
            keys.add(key)
            raise_alert(session, "media.failing", key, _describe(
                page, f"{len(rows)} media file(s) not downloaded (lost within the last "
                "7 days, or still failing)", rows, "media"),
                page_id=page.id if page else None)
        resolve_other(session, "media.failing", keys)

        keys = set()
        fetches = session.execute(
            select(Item.page_id, Item.id, Item.fetch_status, Item.fetch_attempts,
                   Item.fetch_error)
            .where(Item.fetch_status == FetchStatus.pending, Item.fetch_attempts > 0,
                   Item.first_seen_at < stuck_since)
            .order_by(Item.id)).all()
        for page_id, rows in _by_page(fetches).items():
            key = f"page:{page_id}"
            keys.add(key)
            raise_alert(session, "fetch.failing", key, _describe(
                pages.get(page_id), f"{len(rows)} item(s) whose missing fields could not be "
                "fetched", rows, "item"), page_id=page_id)
        resolve_other(session, "fetch.failing", keys)

        keys = set()
        for page in pages.values():
            if page.active and page.token_status != "ok":
                key = f"page:{page.id}"
                keys.add(key)
                raise_alert(session, "token.invalid", key,
                            f"{page.name} ({page.platform_id}): the page token does not work "
                            f"({page.token_error or page.token_status}); replace it with "
                            "`uppsikt pages token`.", page_id=page.id)
        resolve_other(session, "token.invalid", keys)
    return {**retried, "failing_actions": len(failing), "failing_media": len(media),
            "failing_fetches": len(fetches)}


def _by_page(rows: list[Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def _describe(page: Page | None, what: str, rows: list[Any], noun: str) -> str:
    name = f"{page.name} ({page.platform_id})" if page else "a removed page"
    ids = ", ".join(str(r[1]) for r in rows[:SHOWN]) + (" …" if len(rows) > SHOWN else "")
    last = next((r[4] for r in reversed(rows) if r[4]), None)
    return f"{name}: {what}; {noun} id {ids}" + (f"; last error: {last}" if last else "")


def inbox_report_job(ctx: JobContext) -> dict[str, Any]:
    """What waits in the inbox: changes for unmanaged pages, failures, retries."""
    with ctx.db.transaction(immediate=True) as session:
        held = dict(session.execute(
            select(InboxChange.page_platform_id, func.count())
            .where(InboxChange.status == ChangeStatus.held)
            .group_by(InboxChange.page_platform_id)).all())
        failed_deliveries = session.scalar(
            select(func.count()).where(InboxEvent.status == DeliveryStatus.failed))
        failed_changes = session.scalar(
            select(func.count()).where(InboxChange.status == ChangeStatus.failed))
        retrying = session.scalar(
            select(func.count()).where(InboxChange.status == ChangeStatus.pending,
                                       InboxChange.attempts > 0))
        keys = set()
        if held:
            keys.add("held")
            raise_alert(session, "inbox", "held", "Webhook changes wait for pages Uppsikt does "
                        "not manage: " + ", ".join(f"{p} ({n})" for p, n in held.items())
                        + "; add the page with `uppsikt pages add`, or ignore.")
        if failed_deliveries or failed_changes:
            keys.add("failed")
            raise_alert(session, "inbox", "failed", f"{failed_deliveries} delivery(ies) and "
                        f"{failed_changes} change(s) could not be understood; "
                        "`uppsikt inbox list` shows them.")
        resolve_other(session, "inbox", keys)
    report = {"held_by_page": held, "failed_deliveries": failed_deliveries,
              "failed_changes": failed_changes, "retrying_changes": retrying}
    if held or failed_deliveries or failed_changes or retrying:
        log.warning("inbox.report", **report)
    return report

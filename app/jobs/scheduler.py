"""Scheduled jobs (APScheduler 3). Each job opens its own transaction and logs failures."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from app.core.db import Database
from app.core.logging import get_logger
from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent

log = get_logger("uppsikt.jobs")


def inbox_report(db: Database) -> dict[str, object]:
    """Report what waits in the inbox: changes for unmanaged pages, failures, retries."""
    with db.transaction() as session:
        held = dict(session.execute(
            select(InboxChange.page_platform_id, func.count())
            .where(InboxChange.status == ChangeStatus.held)
            .group_by(InboxChange.page_platform_id)
        ).all())
        failed_deliveries = session.scalar(
            select(func.count()).where(InboxEvent.status == DeliveryStatus.failed)
        )
        failed_changes = session.scalar(
            select(func.count()).where(InboxChange.status == ChangeStatus.failed)
        )
        failing = session.scalar(
            select(func.count()).where(InboxChange.status == ChangeStatus.pending,
                                       InboxChange.attempts > 0)
        )
    report = {"held_by_page": held, "failed_deliveries": failed_deliveries,
              "failed_changes": failed_changes, "retrying_changes": failing}
    if held or failed_deliveries or failed_changes or failing:
        log.warning("inbox.report", **report)
    return report


def start_scheduler(db: Database) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(inbox_report, "interval", minutes=15, args=[db], id="inbox-report",
                      coalesce=True, max_instances=1)
    scheduler.start()
    return scheduler

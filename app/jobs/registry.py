"""The scheduled jobs: what each does, when it runs, and what it needs.

Every job is a function ``job(ctx) -> dict`` (a summary of what it did, kept with the run)
that may run at any time: each one works out what is due and does only that, so a run
missed while no replica was up is made good by the next one, and a run by hand from the
CLI does no harm.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.core.config import Settings
from app.core.db import Database
from app.graph.client import GraphClient
from app.rules.engine import RuleEngine

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass
class JobEnv:
    """What jobs share within one process."""

    db: Database
    settings: Settings
    graph: GraphClient
    rules: RuleEngine


@dataclass
class JobContext:
    env: JobEnv
    now: datetime  # aware; "now" for the job (the CLI can run a job as of another time)
    run_id: int
    trigger: str  # schedule | manual
    dry_run: bool = False

    @property
    def db(self) -> Database:
        return self.env.db

    @property
    def settings(self) -> Settings:
        return self.env.settings

    @property
    def graph(self) -> GraphClient:
        return self.env.graph

    @property
    def rules(self) -> RuleEngine:
        return self.env.rules

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(STOCKHOLM)


JobFunction = Callable[[JobContext], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function", imported when the job first runs
    description: str
    schedule: Callable[[Settings], BaseTrigger]
    schedule_text: Callable[[Settings], str]
    # A scheduled run is skipped when a successful one started less than this long ago,
    # so that replicas whose clocks or timers differ a little do not run it twice.
    min_gap: Callable[[Settings], timedelta]
    lease: timedelta = timedelta(minutes=15)
    dry_run: bool = False  # whether `jobs run NAME --dry-run` is supported
    tags: tuple[str, ...] = field(default=())

    def function(self) -> JobFunction:
        module, name = self.target.split(":")
        return getattr(importlib.import_module(module), name)


def _every(minutes: Callable[[Settings], int]) -> dict[str, Any]:
    return {
        "schedule": lambda s: IntervalTrigger(minutes=minutes(s), timezone=STOCKHOLM),
        "schedule_text": lambda s: f"every {minutes(s)} min",
        "min_gap": lambda s: timedelta(minutes=minutes(s)) / 2,
    }


def _daily(hour: Callable[[Settings], int], minute: int = 0, *,
           day_of_week: str = "*") -> dict[str, Any]:
    days = "" if day_of_week == "*" else f" {day_of_week}"
    return {
        "schedule": lambda s: CronTrigger(day_of_week=day_of_week, hour=hour(s), minute=minute,
                                          timezone=STOCKHOLM),
        "schedule_text": lambda s: f"daily{days} {hour(s):02d}:{minute:02d} Europe/Stockholm",
        "min_gap": lambda s: timedelta(hours=6),
    }


JOBS: tuple[Job, ...] = (
    Job("reconcile", "app.reconcile.service:reconcile_job",
        "Poll each page's recent posts and comments from the Graph API and process what no "
        "webhook brought; check and renew the subscription of pages gone silent.",
        **_every(lambda s: s.reconcile_minutes)),
    Job("outbox", "app.jobs.outbox:outbox_job",
        "Retry due actions, media downloads and fetches; alert on what stays failed.",
        **_every(lambda s: 2)),
    Job("inbox-report", "app.jobs.outbox:inbox_report_job",
        "Report webhook changes held for unmanaged pages and deliveries that failed.",
        **_every(lambda s: 15)),
    Job("questions", "app.questions.service:questions_job",
        "Track questions from the public against the answer deadline (the same day, at the "
        "latest the next working day).",
        **_every(lambda s: 10)),
    Job("digest", "app.digest.service:digest_job",
        "Each working-day morning, per unit: what was hidden, what waits for review, pages "
        "without yesterday's sign-off, overdue questions, open alerts; e-mailed and shown.",
        **_daily(lambda s: s.digest_hour, day_of_week="mon-fri")),
    Job("retention", "app.retention.service:retention_job",
        "Cull content past its retention decision, except held and registered items; each "
        "removal recorded.",
        **_daily(lambda s: 2, 30), lease=timedelta(hours=2), dry_run=True),
    Job("snapshots", "app.snapshots.service:snapshot_job",
        "After each half-year, a PDF and an HTML snapshot of every page's posts and comments "
        "for it, with checksums (made when missing, so a missed day is made good).",
        **_daily(lambda s: 3), lease=timedelta(hours=2)),
    Job("yearly-report", "app.reports.service:yearly_report_job",
        "After each year, the report to the information chief as PDF and CSV (made when "
        "missing).",
        **_daily(lambda s: 5), lease=timedelta(hours=1)),
)

BY_NAME: dict[str, Job] = {job.name: job for job in JOBS}

"""Running a job under its lease, so that of several replicas exactly one runs it.

The lease is a row per job, taken with one conditional UPDATE (``holder`` empty or run
out, and for scheduled runs, no successful run started within the job's minimum gap). The
database serialises the two UPDATEs of two replicas (SQLite's write lock; PostgreSQL's row
lock, with the condition checked again once the first commits), so only one succeeds. The
holder renews the lease while the job runs; a holder that dies leaves a lease that runs
out, and the job runs again at its next turn.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts.service import raise_alert, resolve_alert
from app.core.db import utcnow
from app.core.logging import get_logger
from app.core.metrics import job_finished
from app.jobs.models import JobLease, JobRun
from app.jobs.registry import BY_NAME, Job, JobContext, JobEnv

log = get_logger("uppsikt.jobs")

ERROR_MAX = 4000
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunOutcome:
    job: str
    status: str  # ok | failed | skipped
    run_id: int | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None


class UnknownJob(ValueError):
    pass


def job_named(name: str) -> Job:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownJob(f"no job named {name!r}; `uppsikt jobs list` shows them") from None


def run_job(env: JobEnv, name: str, *, trigger: str = "manual", now: datetime | None = None,
            dry_run: bool = False) -> RunOutcome:
    """Run a job if its lease can be had; "skipped" if another holder has it (or, for a
    scheduled run, a successful run started within the job's minimum gap)."""
    job = job_named(name)
    if dry_run and not job.dry_run:
        raise ValueError(f"job {name!r} has no dry run")
    holder = f"{HOLDER}:{uuid.uuid4().hex[:8]}"
    started = utcnow()
    if not _acquire(env, job, holder, started, scheduled=trigger == "schedule"):
        log.info("job.skipped", job=name, trigger=trigger)
        job_finished(name, "skipped", None)
        return RunOutcome(name, "skipped")
    with env.db.transaction() as session:
        run = JobRun(job=name, trigger=trigger, holder=holder, started_at=started)
        session.add(run)
        session.flush()
        run_id = run.id
    ctx = JobContext(env=env, now=now or started, run_id=run_id, trigger=trigger,
                     dry_run=dry_run)
    bound = log.bind(job=name, run_id=run_id, trigger=trigger, dry_run=dry_run)
    bound.info("job.started")
    renewer = _Renewer(env, job, holder)
    renewer.start()
    try:
        summary = job.function()(ctx)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, alerted, retried
        error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
        bound.exception("job.failed")
        renewer.stop()
        _finish(env, job, holder, run_id, started, status="failed", summary=None, error=error)
        job_finished(name, "failed", (utcnow() - started).total_seconds())
        return RunOutcome(name, "failed", run_id, error=error)
    renewer.stop()
    summary = summary or {}
    _finish(env, job, holder, run_id, started, status="ok", summary=summary, error=None)
    job_finished(name, "ok", (utcnow() - started).total_seconds())
    bound.info("job.finished", **{k: v for k, v in summary.items()
                                  if isinstance(v, int | float | str | bool)})
    return RunOutcome(name, "ok", run_id, summary=summary)


def _acquire(env: JobEnv, job: Job, holder: str, now: datetime, *, scheduled: bool) -> bool:
    _ensure_row(env, job.name)
    conditions = [JobLease.name == job.name,
                  or_(JobLease.expires_at.is_(None), JobLease.expires_at < now)]
    if scheduled:
        recent = now - job.min_gap(env.settings)
        conditions.append(or_(JobLease.last_success_at.is_(None),
                              JobLease.last_success_at < recent))
    with env.db.transaction(immediate=True) as session:
        result = session.execute(
            update(JobLease).where(*conditions)
            .values(holder=holder, expires_at=now + job.lease, last_started_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        # A run still "running" under an earlier holder was cut off (its process died and
        # its lease ran out): say so, rather than leave it running for ever.
        session.execute(
            update(JobRun).where(JobRun.job == job.name, JobRun.status == "running")
            .values(status="failed", finished_at=now,
                    error="interrupted: the process running it stopped and its lease ran out")
            .execution_options(synchronize_session=False))
        return True


def _ensure_row(env: JobEnv, name: str) -> None:
    with env.db.transaction() as session:
        if session.get(JobLease, name) is not None:
            return
    try:
        with env.db.transaction() as session:
            session.add(JobLease(name=name))
    except IntegrityError:  # another replica added it a moment earlier
        pass


def _finish(env: JobEnv, job: Job, holder: str, run_id: int, started: datetime, *,
            status: str, summary: dict[str, Any] | None, error: str | None) -> None:
    with env.db.transaction(immediate=True) as session:
        run = session.get(JobRun, run_id)
        assert run is not None
        run.finished_at, run.status, run.summary, run.error = utcnow(), status, summary, error
        values: dict[str, Any] = {"holder": None, "expires_at": None}
        if status == "ok":
            values["last_success_at"] = started
        session.execute(update(JobLease).where(JobLease.name == job.name,
                                               JobLease.holder == holder).values(**values)
                        .execution_options(synchronize_session=False))
        _alert(session, job, status, error)


def _alert(session: Session, job: Job, status: str, error: str | None) -> None:
    if status == "ok":
        resolve_alert(session, "job.failed", job.name)
    else:
        raise_alert(session, "job.failed", job.name,
                    f"The job {job.name} failed: {error}")


class _Renewer:
    """Extends the lease while the job runs, a third of the lease at a time."""

    def __init__(self, env: JobEnv, job: Job, holder: str) -> None:
        self.env, self.job, self.holder = env, job, holder
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job.name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        every = self.job.lease.total_seconds() / 3
        while not self._stop.wait(every):
            try:
                with self.env.db.transaction(immediate=True) as session:
                    session.execute(
                        update(JobLease)
                        .where(JobLease.name == self.job.name, JobLease.holder == self.holder)
                        .values(expires_at=utcnow() + self.job.lease)
                        .execution_options(synchronize_session=False))
            except Exception:  # the run goes on; a lease that runs out only risks a rerun
                log.exception("job.lease_renewal_failed", job=self.job.name)

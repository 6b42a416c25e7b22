"""`uppsikt jobs`: the scheduled jobs, listed and run by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.jobs.registry import JOBS, STOCKHOLM, JobEnv

jobs_app = typer.Typer(help="Scheduled jobs: list them, run one by hand.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _database(s: Settings) -> Database:
    from app.core.migrate import current_revision, head_revision

    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    if current_revision(db.engine) != head_revision():
        db.dispose()
        _fail("the database schema is not at the latest migration: run `uppsikt db upgrade`")
    return db


@jobs_app.command("list")
def jobs_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each job with its schedule and its last run."""
    from app.cli import settings
    from app.jobs.models import JobLease, JobRun

    s = settings()
    db = _database(s)
    try:
        with db.transaction() as session:
            leases = {lease.name: lease for lease in session.scalars(select(JobLease))}
            last = {}
            for job in JOBS:
                last[job.name] = session.scalar(
                    select(JobRun).where(JobRun.job == job.name)
                    .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))
    finally:
        db.dispose()
    rows = []
    for job in JOBS:
        run, lease = last[job.name], leases.get(job.name)
        rows.append({
            "name": job.name, "schedule": job.schedule_text(s),
            "enabled": job.name not in s.disabled_jobs, "description": job.description,
            "last_run": None if run is None else {
                "started_at": run.started_at.isoformat(), "status": run.status,
                "trigger": run.trigger, "summary": run.summary, "error": run.error},
            "running_on": lease.holder if lease is not None else None,
        })
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        run = row["last_run"]
        when = "never run" if run is None else (
            f"last {run['status']} "
            f"{datetime.fromisoformat(run['started_at']).astimezone(STOCKHOLM):%Y-%m-%d %H:%M}")
        off = "" if row["enabled"] else " (disabled)"
        typer.echo(f"{row['name']:<14} {row['schedule']:<40} {when}{off}")


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="The job, as `jobs list` names it.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be done, change nothing (retention).")] = False,
    at: Annotated[str | None, typer.Option(
        help="Run as of this time (ISO 8601, Swedish time if no offset), e.g. to make "
             "the snapshots of a past half-year.")] = None,
) -> None:
    """Run a job now, under the same lease as the scheduler (waits for no one: if another
    replica runs it at this moment, says so and exits 1)."""
    from app.cli import settings
    from app.core.logging import configure_logging
    from app.graph.client import GraphClient
    from app.jobs.runner import UnknownJob, run_job
    from app.rules.engine import RuleEngine

    now = None
    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            _fail(f"--at: not an ISO 8601 time: {at!r}")
        if now.tzinfo is None:
            now = now.replace(tzinfo=STOCKHOLM)
        now = now.astimezone(UTC)
    s = settings()
    configure_logging(s.log_level, json=s.log_json)
    db = _database(s)
    graph = GraphClient.from_settings(s)
    try:
        env = JobEnv(db=db, settings=s, graph=graph, rules=RuleEngine.from_directory())
        try:
            outcome = run_job(env, name, trigger="manual", now=now, dry_run=dry_run)
        except (UnknownJob, ValueError) as exc:
            _fail(str(exc))
    finally:
        graph.close()
        db.dispose()
    if outcome.status == "skipped":
        typer.echo(f"{name}: another process is running it now; not run", err=True)
        raise typer.Exit(1)
    if outcome.status == "failed":
        typer.echo(f"{name}: failed (run {outcome.run_id}): {outcome.error}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"job": name, "run_id": outcome.run_id, "dry_run": dry_run,
                           "summary": outcome.summary}, ensure_ascii=False, indent=2,
                          default=str))

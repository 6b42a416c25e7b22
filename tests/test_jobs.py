"""The job framework: one replica runs each job (a database lease), runs are recorded,
failures raise alerts, and every job runs by hand from the CLI."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.alerts.models import Alert
from app.core.db import utcnow
from app.jobs.models import JobLease, JobRun
from app.jobs.registry import BY_NAME, JOBS
from app.jobs.runner import run_job
from app.jobs.scheduler import build_scheduler


def runs(db, job: str | None = None) -> list[JobRun]:
    with db.transaction() as session:
        stmt = select(JobRun).order_by(JobRun.id)
        if job is not None:
            stmt = stmt.where(JobRun.job == job)
        return list(session.scalars(stmt))


def open_alerts(db, kind: str) -> list[Alert]:
    with db.transaction() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == kind,
                                                        Alert.resolved_at.is_(None))))


@pytest.fixture
def slow_outbox(monkeypatch):
    """The outbox job, made to take a while, counting its runs."""
    calls: list[float] = []

    def job(ctx):
        calls.append(time.monotonic())
        time.sleep(0.5)
        return {"ran": True}

    monkeypatch.setattr("app.jobs.outbox.outbox_job", job)
    return calls


def test_of_two_replicas_at_once_one_runs_the_job(job_env, db, slow_outbox):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def replica() -> None:
        barrier.wait()
        outcomes.append(run_job(job_env, "outbox", trigger="schedule").status)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "skipped"]
    assert len(slow_outbox) == 1
    [run] = runs(db, "outbox")
    assert (run.status, run.trigger, run.summary) == ("ok", "schedule", {"ran": True})
    with db.transaction() as session:
        lease = session.get(JobLease, "outbox")
        assert lease.holder is None and lease.expires_at is None
        assert lease.last_success_at == run.started_at


def test_a_late_replica_does_not_run_the_same_turn_again(job_env, db, slow_outbox):
    assert run_job(job_env, "outbox", trigger="schedule").status == "ok"
    # Another replica's timer fires a moment later: the turn is done.
    assert run_job(job_env, "outbox", trigger="schedule").status == "skipped"
    # By hand it runs all the same.
    assert run_job(job_env, "outbox", trigger="manual").status == "ok"
    # The next turn, once half the interval has passed.
    with db.transaction() as session:
        session.execute(update(JobLease).values(last_success_at=utcnow() - timedelta(minutes=2)))
    assert run_job(job_env, "outbox", trigger="schedule").status == "ok"
    assert len(slow_outbox) == 3


def test_a_dead_holders_lease_runs_out(job_env, db, slow_outbox):
    with db.transaction() as session:
        session.add(JobLease(name="outbox", holder="gone-host:1:x",
                             expires_at=utcnow() + timedelta(minutes=5)))
    assert run_job(job_env, "outbox").status == "skipped"  # held, by hand too
    with db.transaction() as session:
        session.execute(update(JobLease).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert run_job(job_env, "outbox").status == "ok"
    assert len(slow_outbox) == 1


def test_a_failed_job_is_recorded_alerts_and_runs_again(job_env, db, monkeypatch):
    def broken(ctx):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("app.jobs.outbox.outbox_job", broken)
    outcome = run_job(job_env, "outbox", trigger="schedule")
    assert outcome.status == "failed" and "the disk is full" in outcome.error
    [run] = runs(db, "outbox")
    assert run.status == "failed" and run.finished_at is not None
    [alert] = open_alerts(db, "job.failed")
    assert alert.key == "outbox" and "the disk is full" in alert.message
    # A failure is no successful turn: the next scheduled run goes ahead, and its success
    # closes the alert.
    monkeypatch.setattr("app.jobs.outbox.outbox_job", lambda ctx: {})
    assert run_job(job_env, "outbox", trigger="schedule").status == "ok"
    assert open_alerts(db, "job.failed") == []


def test_every_job_runs_once_when_two_schedulers_fire_together(job_env, db):
    """Two schedulers (two replicas) with every job due at once: each job runs once."""
    schedulers = [build_scheduler(job_env), build_scheduler(job_env)]
    now = utcnow()
    for scheduler in schedulers:
        for job in scheduler.get_jobs():
            job.modify(next_run_time=now)
    for scheduler in schedulers:
        scheduler.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with db.transaction() as session:
                finished = session.scalar(select(func.count()).select_from(JobRun)
                                          .where(JobRun.finished_at.is_not(None)))
                leased = session.scalar(select(func.count()).select_from(JobLease)
                                        .where(JobLease.holder.is_not(None)))
            if finished >= len(JOBS) and leased == 0:
                break
            time.sleep(0.2)
        time.sleep(1)  # a second run, were there one, would have started by now
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    done = runs(db)
    assert sorted(r.job for r in done) == sorted(j.name for j in JOBS)
    assert [(r.job, r.error) for r in done if r.status != "ok"] == []


def test_disabled_jobs_are_not_scheduled(job_env):
    job_env.settings.jobs_disabled = "retention, snapshots"
    names = {job.id for job in build_scheduler(job_env).get_jobs()}
    assert names == set(BY_NAME) - {"retention", "snapshots"}


def test_jobs_cli_lists_and_runs(run):
    listed = json.loads(run("jobs", "list", "--json").stdout)
    assert [j["name"] for j in listed] == [j.name for j in JOBS]
    assert all(j["schedule"] and j["last_run"] is None for j in listed)
    out = json.loads(run("jobs", "run", "inbox-report").stdout)
    assert out["job"] == "inbox-report" and out["summary"]["failed_deliveries"] == 0
    [row] = [j for j in json.loads(run("jobs", "list", "--json").stdout)
             if j["name"] == "inbox-report"]
    assert row["last_run"]["status"] == "ok" and row["last_run"]["trigger"] == "manual"


@pytest.mark.parametrize(("args", "message"), [
    (("jobs", "run", "nonsense"), "no job named 'nonsense'"),
    (("jobs", "run", "outbox", "--dry-run"), "has no dry run"),
    (("jobs", "run", "outbox", "--at", "yesterday"), "not an ISO 8601 time"),
])
def test_jobs_cli_refuses_bad_input(run, args, message):
    result = run(*args, ok=False)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_outbox_job_alerts_on_what_stays_failed_and_clears(client, db, processor,
                                                              graph_state, job_env):
    snapshot_guard = graph_state
    from app.moderation.models import Action
    from app.pages.models import Page
    from tests.conftest import FEED_PAGE, add_test_page
    from tests.fakes.graph import graph_error
    from tests.test_actions import RUDE, send
    from tests.test_processing import comment

    add_test_page(db)
    refused = f"{FEED_PAGE}_100_1"
    snapshot_guard.failures[refused] = [graph_error(10, "Permission denied")]
    send(client, processor, snapshot_guard, comment(refused, message=RUDE))
    summary = run_job(job_env, "outbox").summary
    assert summary["failing_actions"] == 1
    [failing] = open_alerts(db, "action.failing")
    with db.transaction() as session:
        page = session.scalar(select(Page).where(Page.platform_id == FEED_PAGE))
        action = session.scalar(select(Action))
    assert failing.page_id == page.id and f"action id {action.id}" in failing.message
    assert "refused by Facebook" in failing.message
    # The page's token stops working: one alert for the page, until the token is replaced.
    with db.transaction() as session:
        session.get(Page, page.id).token_status = "invalid"
    run_job(job_env, "outbox")
    [token] = open_alerts(db, "token.invalid")
    assert token.page_id == page.id and "uppsikt pages token" in token.message
    run_job(job_env, "outbox")
    assert [a.count for a in open_alerts(db, "token.invalid")] == [2]
    # Fixed: a new token, and the failed action settled by a person.
    with db.transaction() as session:
        session.get(Page, page.id).token_status = "ok"
        session.get(Action, action.id).status = "cancelled"
    run_job(job_env, "outbox")
    assert open_alerts(db, "token.invalid") == [] and open_alerts(db, "action.failing") == []


KILLED_HOLDER = """
import dataclasses, sys, time
from datetime import timedelta
import app.jobs.outbox, app.jobs.registry as registry
from app.core.config import Settings
from app.core.db import Database
from app.graph.client import GraphClient
from app.jobs.registry import JobEnv
from app.jobs.runner import run_job

def slow(ctx):
    print("running", flush=True)
    time.sleep(120)
    return {}

app.jobs.outbox.outbox_job = slow
registry.BY_NAME["outbox"] = dataclasses.replace(registry.BY_NAME["outbox"],
                                                 lease=timedelta(seconds=3))
s = Settings(_env_file=None, database_url=sys.argv[1])
env = JobEnv(db=Database(s.database_url), settings=s, graph=GraphClient("http://127.0.0.1:9"),
             rules=None)
run_job(env, "outbox", trigger="schedule")
"""


def test_a_holder_killed_mid_run_loses_the_lease_and_the_job_runs_again(
        job_env, db, database_url, slow_outbox):
    import signal
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", KILLED_HOLDER, database_url],
                              stdout=subprocess.PIPE, text=True)
    try:
        for line in holder.stdout:  # log lines, then the job's own
            if line.strip() == "running":
                break
        assert holder.poll() is None
        assert run_job(job_env, "outbox", trigger="schedule").status == "skipped"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        holder.stdout.close()
    time.sleep(3.5)  # the killed holder's lease (3 s here) runs out
    assert run_job(job_env, "outbox", trigger="schedule").status == "ok"
    first, second = runs(db, "outbox")
    assert first.status == "failed" and "interrupted" in first.error
    assert second.status == "ok" and len(slow_outbox) == 1

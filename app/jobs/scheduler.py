"""The scheduler (APScheduler 3) beside the worker: every job on its schedule, each run
under the job's database lease (app.jobs.runner), so any number of replicas may run it."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from app.core.logging import get_logger
from app.jobs.registry import JOBS, STOCKHOLM, JobEnv
from app.jobs.runner import run_job

log = get_logger("uppsikt.jobs")


def scheduled(env: JobEnv, name: str) -> None:
    try:
        run_job(env, name, trigger="schedule")
    except Exception:  # the database away, say: the next turn tries again
        log.exception("job.not_run", job=name)


def build_scheduler(env: JobEnv) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=STOCKHOLM)
    disabled = env.settings.disabled_jobs
    for job in JOBS:
        if job.name in disabled:
            log.info("job.disabled", job=job.name)
            continue
        # coalesce: runs missed while the process was busy or paused become one run;
        # the jobs themselves make good whatever is still due.
        scheduler.add_job(scheduled, job.schedule(env.settings), args=[env, job.name],
                          id=job.name, name=job.name, coalesce=True, max_instances=1,
                          misfire_grace_time=3600)
    return scheduler


def start_scheduler(env: JobEnv) -> BackgroundScheduler:
    scheduler = build_scheduler(env)
    scheduler.start()
    log.info("scheduler.started", jobs=[job.id for job in scheduler.get_jobs()])
    return scheduler

"""Operations ("Drift"): the scheduled jobs with their last runs, and the open alerts.
Information officers can run a job now and mark an alert as handled."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app.accounts.models import Role
from app.alerts.models import Alert
from app.alerts.service import open_alerts
from app.api.deps import SessionDep, WriteSessionDep
from app.audit.service import record
from app.core.db import utcnow
from app.core.logging import get_logger
from app.jobs.models import JobLease, JobRun
from app.jobs.registry import BY_NAME, JOBS
from app.jobs.runner import run_job
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.web import CsrfUser, UiError, redirect, render, require

router = APIRouter(prefix="/ui", include_in_schema=False)
log = get_logger("uppsikt.jobs")

Viewer = Annotated[Principal, require(Role.information_officer, Role.auditor)]
RECENT_RUNS = 50

# What each job does, for the people who use the UI (Swedish; English in translations).
JOB_TEXTS = {
    "reconcile": "Hämtar sidornas senaste inlägg och kommentarer från Facebook och tar hand "
                 "om det som ingen webhook förde med sig; kontrollerar och förnyar "
                 "prenumerationen för sidor som tystnat.",
    "outbox": "Försöker igen med åtgärder, mediehämtningar och uppslag som väntar, och larmar "
              "om det som fortsätter att misslyckas.",
    "inbox-report": "Larmar om webhook-ändringar för sidor som Uppsikt inte hanterar och om "
                    "leveranser som inte gick att förstå.",
    "questions": "Följer upp frågor från allmänheten mot svarstiden: samma dag, senast "
                 "nästkommande arbetsdag.",
    "digest": "Dagsrapporten varje arbetsdagsmorgon per förvaltning, med e-post.",
    "retention": "Gallrar enligt gallringsbesluten, aldrig det som är spärrat eller "
                 "registrerat; varje gallring dokumenteras.",
    "snapshots": "Skärmdump av varje sida som PDF och HTML efter varje halvår.",
    "yearly-report": "Årsrapporten till informationschefen efter varje år, som PDF och CSV.",
}

ALERT_TITLES = {
    "job.failed": "Ett schemalagt jobb misslyckades",
    "action.failing": "Åtgärder på Facebook misslyckas",
    "media.failing": "Media kunde inte hämtas",
    "fetch.failing": "Uppgifter kunde inte hämtas från Facebook",
    "token.invalid": "Sidans token fungerar inte",
    "subscription": "Webhook-prenumerationen fungerar inte",
    "inbox": "Inkorgen behöver uppmärksamhet",
    "digest.send": "Dagsrapporten kunde inte skickas",
}


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, session: SessionDep, principal: Viewer,
              started: str | None = None, resolved: int | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    leases = {lease.name: lease for lease in session.scalars(select(JobLease))}
    last: dict[str, JobRun | None] = {
        job.name: session.scalar(select(JobRun).where(JobRun.job == job.name)
                                 .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))
        for job in JOBS}
    rows = [{"job": job, "text": JOB_TEXTS.get(job.name, job.description),
             "schedule": job.schedule_text(settings), "last": last[job.name],
             "running": (lease := leases.get(job.name)) is not None and lease.holder is not None
             and lease.expires_at is not None and lease.expires_at > utcnow(),
             "enabled": job.name not in settings.disabled_jobs} for job in JOBS]
    recent = list(session.scalars(select(JobRun).order_by(JobRun.started_at.desc(),
                                                          JobRun.id.desc()).limit(RECENT_RUNS)))
    _ = translator(language(request))
    flash = None
    if started in BY_NAME:
        flash = _("Jobbet {name} har startats. Ladda om sidan för att se hur det gick.",
                  name=started)
    elif resolved is not None:
        flash = _("Larmet är markerat som åtgärdat.")
    return render(request, "jobs/jobs.html", principal, rows=rows, recent=recent,
                  alerts=open_alerts(session), titles=ALERT_TITLES,
                  may_run=principal.role == Role.information_officer, flash=flash)


@router.post("/jobs/{name}/run")
def run_now(name: str, request: Request, principal: CsrfUser,
            session: WriteSessionDep) -> object:
    if principal.role != Role.information_officer:
        raise UiError(403, "Din roll får inte göra detta.")
    job = BY_NAME.get(name)
    if job is None:
        raise UiError(404, "Jobbet finns inte.")
    env = request.app.state.job_env
    record(session, actor=principal.username, act="job.started_by_hand", subject_type="job",
           subject_id=name, detail={})
    # In the background: a snapshot or a report may take minutes. The lease keeps a
    # scheduled run and this one from overlapping.
    threading.Thread(target=_run_quietly, args=(env, name), name=f"job-{name}",
                     daemon=True).start()
    return redirect(f"/ui/jobs?started={name}")


def _run_quietly(env: Any, name: str) -> None:
    try:
        run_job(env, name, trigger="manual")
    except Exception:  # a thread has no one to tell but the log
        log.exception("job.not_run", job=name)


@router.post("/alerts/{alert_id}/resolve")
def resolve(alert_id: int, principal: CsrfUser, session: WriteSessionDep) -> object:
    if principal.role != Role.information_officer:
        raise UiError(403, "Din roll får inte göra detta.")
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise UiError(404, "Larmet finns inte.")
    if alert.resolved_at is None:
        alert.resolved_at, alert.resolved_by = utcnow(), principal.username
        record(session, actor=principal.username, act="alert.resolved", subject_type="alert",
               subject_id=str(alert.id), detail={"kind": alert.kind, "key": alert.key})
    return redirect(f"/ui/jobs?resolved={alert.id}#larm")

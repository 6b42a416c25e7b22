"""Operations page: jobs, their runs and the open alerts; running a job and marking an
alert as handled (information officers only, with the CSRF token)."""

from __future__ import annotations

import time

from sqlalchemy import select

from app.alerts.models import Alert
from app.alerts.service import raise_alert
from app.audit.models import AuditEntry
from app.jobs.models import JobRun
from app.jobs.registry import JOBS
from tests.ui.conftest import csrf_of, login, ui_user

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(1)>'


def alert(db, message: str = "Fyra åtgärder misslyckas") -> int:
    with db.transaction() as session:
        return raise_alert(session, "action.failing", "page:1", message).id


def test_officers_and_auditors_see_jobs_and_alerts(ui, db):
    alert(db, HOSTILE)
    login(ui, ui_user(db, "auditor"))
    page = ui.get("/ui/jobs")
    assert page.status_code == 200
    for job in JOBS:
        assert f'id="jobb-{job.name}"' in page.text
    assert "Åtgärder på Facebook misslyckas" in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    assert "Kör nu" not in page.text and "Markera som åtgärdat" not in page.text


def test_moderators_and_registrars_are_refused(ui, db):
    for role, unit in (("moderator", "Kommunstyrelsen"), ("registrar", None)):
        login(ui, ui_user(db, role, unit=unit))
        assert ui.get("/ui/jobs").status_code == 403


def test_an_officer_marks_an_alert_handled(ui, db):
    alert_id = alert(db)
    login(ui, ui_user(db, "information_officer"))
    csrf = csrf_of(ui.get("/ui/jobs").text)
    refused = ui.post(f"/ui/alerts/{alert_id}/resolve", data={"csrf": "wrong"})
    assert refused.status_code == 403
    with db.transaction() as session:
        assert session.get(Alert, alert_id).resolved_at is None
    done = ui.post(f"/ui/alerts/{alert_id}/resolve", data={"csrf": csrf})
    assert done.status_code == 303
    with db.transaction() as session:
        row = session.get(Alert, alert_id)
        assert row.resolved_by == "information_officer-alla"
        assert session.scalar(select(AuditEntry.act).where(AuditEntry.act == "alert.resolved"))
    assert "Inga öppna larm." in ui.get("/ui/jobs").text
    assert ui.post("/ui/alerts/99999/resolve", data={"csrf": csrf}).status_code == 404


def test_an_auditor_cannot_resolve_or_run(ui, db):
    alert_id = alert(db)
    login(ui, ui_user(db, "auditor"))
    csrf = csrf_of(ui.get("/ui/").text)
    assert ui.post(f"/ui/alerts/{alert_id}/resolve", data={"csrf": csrf}).status_code == 403
    assert ui.post("/ui/jobs/inbox-report/run", data={"csrf": csrf}).status_code == 403
    with db.transaction() as session:
        assert session.get(Alert, alert_id).resolved_at is None
        assert session.scalars(select(JobRun)).first() is None


def test_an_officer_runs_a_job_now(ui, db):
    login(ui, ui_user(db, "information_officer"))
    csrf = csrf_of(ui.get("/ui/jobs").text)
    assert ui.post("/ui/jobs/nonsense/run", data={"csrf": csrf}).status_code == 404
    started = ui.post("/ui/jobs/inbox-report/run", data={"csrf": csrf})
    assert started.status_code == 303 and started.headers["location"].endswith(
        "?started=inbox-report")
    deadline = time.monotonic() + 20
    run = None
    while time.monotonic() < deadline:
        with db.transaction() as session:
            run = session.scalar(select(JobRun).where(JobRun.finished_at.is_not(None)))
        if run is not None:
            break
        time.sleep(0.1)
    assert run is not None and (run.job, run.trigger, run.status) == (
        "inbox-report", "manual", "ok")
    assert "har startats" in ui.get("/ui/jobs?started=inbox-report").text


def test_the_start_page_shows_open_alerts_by_unit(ui, db):
    from app.pages.models import Page
    from tests.conftest import add_test_page

    add_test_page(db, "111", unit="Kommunstyrelsen", name="Falu kommun")
    add_test_page(db, "222", unit="Socialförvaltningen", name="Socialtjänsten")
    with db.transaction() as session:
        ks = session.scalar(select(Page.id).where(Page.platform_id == "111"))
        raise_alert(session, "token.invalid", f"page:{ks}", "token", page_id=ks)
    login(ui, ui_user(db, "moderator", unit="Socialförvaltningen", username="mod-soc"))
    assert 'id="larm"' not in ui.get("/ui/").text  # another unit's page
    login(ui, ui_user(db, "moderator", unit="Kommunstyrelsen", username="mod-ks"))
    start = ui.get("/ui/").text
    assert 'id="larm"' in start and "Sidans token fungerar inte: Falu kommun" in start
    assert "/ui/jobs" not in start.split('id="larm"')[1].split("</div>")[0]
    login(ui, ui_user(db, "information_officer"))
    assert "1 öppet larm behöver åtgärdas." in ui.get("/ui/").text


def test_the_start_page_counts_overdue_questions(ui, db):
    from datetime import timedelta

    from app.content.models import Item
    from app.core.db import utcnow
    from app.pages.models import Page
    from app.questions.models import ServiceQuestion
    from app.ui.web import today
    from tests.conftest import add_test_page

    add_test_page(db, "111", unit="Kommunstyrelsen", name="Falu kommun")
    with db.transaction() as session:
        page = session.scalar(select(Page).where(Page.platform_id == "111"))
        for n, due in enumerate((today() - timedelta(days=3), today(), today())):
            item = Item(platform_id=f"111_{n}", page_id=page.id, kind="comment",
                        platform_type="comment")
            session.add(item)
            session.flush()
            session.add(ServiceQuestion(item_id=item.id, page_id=page.id,
                                        asked_at=utcnow(), due_on=due))
    login(ui, ui_user(db, "moderator", unit="Kommunstyrelsen", username="mod-ks"))
    start = ui.get("/ui/").text
    assert "Frågor: 1 försenade, 2 ska besvaras idag" in start and "Försenat svar" in start

"""Retention in the UI: rules, holds, the dry-run preview and the culling record; who may
see and change what; CSRF; validation as 4xx pages; hostile text escaped."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.retention.models import LegalHold, RetentionRule
from app.ui.i18n import english
from app.ui.retention import KIND_NAMES, MESSAGES, SCOPE_NAMES
from tests.conftest import FEED_PAGE, add_test_page
from tests.test_retention import NOW, add_rule, make_item
from tests.ui.conftest import csrf_of, login, ui_user

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(1)>'


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_officer_adds_and_retires_a_rule_and_places_and_releases_a_hold(ui, db):
    add_test_page(db)
    make_item(db, "post-1", kind="post")
    login(ui, ui_user(db, "information_officer"))
    page = ui.get("/ui/retention")
    assert page.status_code == 200 and "Det finns inga regler" in page.text
    csrf = csrf_of(page.text)
    r = ui.post("/ui/retention/rules", data={
        "csrf": csrf, "page": FEED_PAGE, "kind": "comment", "keep_days": "730",
        "decision_ref": "KS 2026/0123 § 45", "decision_date": "2026-03-01", "note": HOSTILE})
    assert r.status_code == 303, r.text
    page = ui.get("/ui/retention?klart=regel")
    assert "KS 2026/0123 § 45" in page.text and "Regeln är sparad." in page.text
    assert HOSTILE not in page.text and "&lt;script&gt;" in page.text
    r = ui.post("/ui/retention/holds", data={"csrf": csrf, "scope": "post", "target": "post-1",
                                             "reason": "Begäran om allmän handling"})
    assert r.status_code == 303, r.text
    with db.transaction() as s:
        rule = s.scalar(select(RetentionRule))
        hold = s.scalar(select(LegalHold))
        assert (rule.created_by, rule.keep_days) == ("information_officer-alla", 730)
        assert (hold.scope, hold.placed_by) == ("post", "information_officer-alla")
    assert ui.post(f"/ui/retention/rules/{rule.id}/retire", data={"csrf": csrf}).status_code \
        == 303
    assert ui.post(f"/ui/retention/holds/{hold.id}/release",
                   data={"csrf": csrf}).status_code == 303
    with db.transaction() as s:
        acts = list(s.scalars(select(AuditEntry.act).where(AuditEntry.act.like("retention.%"))
                              .order_by(AuditEntry.id)))
    assert acts == ["retention.rule_added", "retention.hold_placed", "retention.rule_retired",
                    "retention.hold_released"]
    # Retiring twice is a conflict, shown as a page.
    r = ui.post(f"/ui/retention/rules/{rule.id}/retire", data={"csrf": csrf})
    assert r.status_code == 409 and "Regeln är redan upphävd." in r.text


def test_bad_input_is_a_4xx_page_and_writes_nothing(ui, db):
    add_test_page(db)
    make_item(db, "c-1", post="post-1")
    login(ui, ui_user(db, "information_officer"))
    csrf = csrf_of(ui.get("/ui/retention").text)
    base = {"csrf": csrf, "page": "", "kind": "comment", "keep_days": "30",
            "decision_ref": "KS 1"}
    for change, status, message in (
            ({"keep_days": "0"}, 422, MESSAGES["keep_days"]),
            ({"keep_days": "tio"}, 422, MESSAGES["keep_days"]),
            ({"decision_ref": " "}, 422, MESSAGES["decision_ref"]),
            ({"kind": "story"}, 422, MESSAGES["kind"]),
            ({"page": "999"}, 404, MESSAGES["page_unknown"]),
            ({"decision_date": "2999-01-01"}, 422, MESSAGES["decision_date"]),
            ({"decision_date": "igår"}, 422, MESSAGES["decision_date"])):
        r = ui.post("/ui/retention/rules", data={**base, **change})
        assert r.status_code == status, (change, r.text)
        assert message in r.text
    for data, status in (({"scope": "post", "target": "c-1", "reason": "x"}, 422),
                         ({"scope": "item", "target": "nej", "reason": "x"}, 404),
                         ({"scope": "item", "target": "c-1", "reason": ""}, 422),
                         ({"scope": "all", "target": "c-1", "reason": "x"}, 422)):
        r = ui.post("/ui/retention/holds", data={"csrf": csrf, **data})
        assert r.status_code == status, (data, r.text)
    assert ui.post("/ui/retention/holds/77/release", data={"csrf": csrf}).status_code == 404
    assert _count(db, RetentionRule) == _count(db, LegalHold) == 0


def test_auditor_reads_but_cannot_change(ui, db):
    add_test_page(db)
    add_rule(db, keep_days=30, ref="KS 2026/0099")
    make_item(db, "old-1", created=NOW - timedelta(days=4000))
    login(ui, ui_user(db, "auditor"))
    page = ui.get("/ui/retention")
    assert page.status_code == 200
    assert "KS 2026/0099" in page.text and "old-1" in page.text  # the dry-run preview
    assert 'action="/ui/retention/rules"' not in page.text
    csrf = csrf_of(page.text)  # the sign-out form's token
    r = ui.post("/ui/retention/rules", data={"csrf": csrf, "page": "", "kind": "post",
                                             "keep_days": "30", "decision_ref": "KS 2"})
    assert r.status_code == 403
    r = ui.post("/ui/retention/holds", data={"csrf": csrf, "scope": "item",
                                             "target": "old-1", "reason": "x"})
    assert r.status_code == 403
    assert _count(db, RetentionRule) == 1 and _count(db, LegalHold) == 0


def test_moderators_and_registrars_do_not_see_retention(ui, db):
    for role in ("moderator", "registrar"):
        ui.cookies.clear()
        login(ui, ui_user(db, role, unit="Kommunstyrelsen" if role == "moderator" else None))
        page = ui.get("/ui/retention")
        assert page.status_code == 403
        assert 'href="/ui/retention"' not in ui.get("/ui/").text


def test_forms_need_the_csrf_token(ui, db):
    add_test_page(db)
    login(ui, ui_user(db, "information_officer"))
    r = ui.post("/ui/retention/rules", data={"csrf": "fel", "page": "", "kind": "comment",
                                             "keep_days": "30", "decision_ref": "KS 1"})
    assert r.status_code == 403
    r = ui.post("/ui/retention/rules", data={"page": "", "kind": "comment",
                                             "keep_days": "30", "decision_ref": "KS 1"})
    assert r.status_code == 403
    assert _count(db, RetentionRule) == 0


def test_the_culling_record_is_shown_a_page_at_a_time(ui, db, job_env):
    from app.jobs.runner import run_job

    add_test_page(db)
    add_rule(db, keep_days=30)
    for n in range(55):
        make_item(db, f"old-{n:02d}", text=HOSTILE, created=NOW - timedelta(days=400 + n))
    assert run_job(job_env, "retention", now=NOW).summary["culled"] == 55
    login(ui, ui_user(db, "auditor"))
    first = ui.get("/ui/retention")
    assert "55 gallrade objekt" in first.text and "?sida=2" in first.text
    second = ui.get("/ui/retention?sida=2")
    shown = [f"old-{n:02d}" for n in range(55)]
    on_first = [i for i in shown if f">{i}<" in first.text]
    on_second = [i for i in shown if f">{i}<" in second.text]
    assert len(on_first) == 50 and len(on_second) == 5 and not set(on_first) & set(on_second)
    assert "onerror" not in first.text + second.text
    assert ui.get("/ui/retention?sida=0").status_code == 422


def test_every_retention_text_has_english():
    texts = [*MESSAGES.values(), *KIND_NAMES.values(), *SCOPE_NAMES.values()]
    assert [t for t in texts if t not in english()] == []

"""The digest page: each visible unit's digest as made (or today's preview), earlier days,
and the recipients, managed by information officers only (CSRF, audited, escaped)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.core.db import Database
from app.digest.models import Digest, DigestRecipient
from app.ui import digest as digest_module
from tests.conftest import add_test_page
from tests.ui.conftest import csrf_of, login, ui_user

KS, SOC = "Kommunstyrelsen", "Socialförvaltningen"
HOSTILE_PAGE = "<b>Falu</b> kommun"


def _setup(db: Database) -> None:
    add_test_page(db, "1001", unit=KS, name=HOSTILE_PAGE)
    add_test_page(db, "2001", unit=SOC, name="Socialtjänsten")


def _made(db: Database, unit: str, day: date, *, error: str | None = None) -> None:
    content = {"unit": unit, "day": day.isoformat(), "previous_day": day.isoformat(),
               "totals": {"pages": 1, "hidden": 4, "removed": 0, "review": 2,
                          "missing_signoff": 1, "overdue": 3, "due_today": 0, "alerts": 0},
               "pages": [], "moderated": [],
               "overdue": [{"item": "q1", "page": "P", "kind": "comment",
                            "asked_at": None, "due_on": day.isoformat(),
                            "excerpt": "<script>x</script>"}],
               "alerts": []}
    with db.transaction() as s:
        s.add(Digest(unit=unit, day=day, content=content, recipients=[], send_error=error))


def test_a_moderator_sees_todays_preview_of_their_unit(ui, db):
    _setup(db)
    login(ui, ui_user(db, "moderator", unit=KS))
    html = ui.get("/ui/digest").text
    assert KS in html and SOC not in html
    assert "Förhandsvisning, byggd nu." in html
    assert HOSTILE_PAGE not in html and "&lt;b&gt;Falu&lt;/b&gt; kommun" in html
    assert "Mottagare av dagsrapporten" not in html


def test_an_earlier_day_shows_the_digest_as_made(ui, db):
    _setup(db)
    day = digest_module.today() - timedelta(days=3)
    _made(db, KS, day, error="SMTPServerDisconnected: <b>gone</b>")
    login(ui, ui_user(db, "auditor"))
    html = ui.get(f"/ui/digest?day={day.isoformat()}").text
    assert "Frågor som inte besvarats i tid: 3" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "Kunde inte skickas: SMTPServerDisconnected: &lt;b&gt;gone&lt;/b&gt;" in html
    assert "Ingen dagsrapport gjordes för den här dagen." in html  # SOC's
    assert day.isoformat() in ui.get("/ui/digest").text  # listed among earlier days
    for bad in ("igår", "2026-13-01", (digest_module.today() + timedelta(days=1)).isoformat()):
        assert ui.get(f"/ui/digest?day={bad}").status_code == 422


def test_information_officers_manage_recipients(ui, db):
    _setup(db)
    name = ui_user(db, "information_officer")
    login(ui, name)
    html = ui.get("/ui/digest").text
    token = csrf_of(html)
    assert 'action="/ui/digest/recipients"' in html
    assert ui.post("/ui/digest/recipients", data={"email": "a@falun.se"}).status_code == 403
    assert ui.post("/ui/digest/recipients", data={"csrf": token, "email": "<x>@y",
                                                  "unit": ""}).status_code == 422
    assert ui.post("/ui/digest/recipients", data={"csrf": token, "email": "a@falun.se",
                                                  "unit": "Okänd"}).status_code == 422
    r = ui.post("/ui/digest/recipients", data={"csrf": token, "email": "a@falun.se",
                                               "unit": KS})
    assert r.status_code == 303
    assert ui.post("/ui/digest/recipients", data={"csrf": token, "email": "a@falun.se",
                                                  "unit": KS}).status_code == 422
    assert ui.post("/ui/digest/recipients", data={"csrf": token, "email": "all@falun.se",
                                                  "unit": ""}).status_code == 303
    html = ui.get("/ui/digest").text
    assert "a@falun.se" in html and "Alla förvaltningar" in html
    with db.transaction() as s:
        rows = {r.email: (r.unit, r.id) for r in s.scalars(select(DigestRecipient))}
        acts = [a.act for a in s.scalars(select(AuditEntry).where(
            AuditEntry.act.like("digest.%")))]
    assert rows["a@falun.se"][0] == KS and rows["all@falun.se"][0] is None
    assert acts == ["digest.recipient_added", "digest.recipient_added"]
    r = ui.post(f"/ui/digest/recipients/{rows['a@falun.se'][1]}/remove", data={"csrf": token})
    assert r.status_code == 303
    assert ui.post(f"/ui/digest/recipients/{rows['a@falun.se'][1]}/remove",
                   data={"csrf": token}).status_code == 404


def test_other_roles_do_not_manage_recipients(ui, db):
    _setup(db)
    with db.transaction() as s:
        s.add(DigestRecipient(unit=KS, email="ks@falun.se", added_by="t"))
    login(ui, ui_user(db, "auditor"))
    html = ui.get("/ui/digest").text
    assert "ks@falun.se" in html and 'action="/ui/digest/recipients"' not in html
    token = csrf_of(html)
    assert ui.post("/ui/digest/recipients", data={"csrf": token, "email": "b@falun.se",
                                                  "unit": ""}).status_code == 403
    ui.cookies.clear()
    login(ui, ui_user(db, "moderator", unit=KS))
    token = csrf_of(ui.get("/ui/digest").text)
    assert ui.post("/ui/digest/recipients/1/remove", data={"csrf": token}).status_code == 403
    ui.cookies.clear()
    login(ui, ui_user(db, "registrar"))
    assert ui.get("/ui/digest").status_code == 403


def test_a_full_digest_is_shown_escaped(ui, db):
    from app.digest.service import make_digest
    from tests.test_digest import HOSTILE_TEXT, MONDAY, scenario

    scenario(db)
    with db.transaction() as s:
        make_digest(s, KS, MONDAY)
    login(ui, ui_user(db, "moderator", unit=KS))
    html = ui.get(f"/ui/digest?day={MONDAY.isoformat()}").text
    assert "Dolda: 1, borttagna: 1" in html and "Väntar i granskningskön: 3" in html
    assert 'href="/ui/items/h1"' in html and "Svordomar" in html
    assert 'href="/ui/review?page_id=1001"' in html
    assert "Token &lt;b&gt;invalid&lt;/b&gt;" in html and "SOC alert" not in html
    assert HOSTILE_TEXT not in html and "&lt;script&gt;alert(" in html
    assert "<b>kommun</b>" not in html
    assert "Inte skickad med e-post." in html
    english = ui.get(f"/ui/digest?day={MONDAY.isoformat()}",
                     headers={"Accept-Language": "en"}).text
    assert "Hidden: 1, removed: 1" in english and "Profanity" in english

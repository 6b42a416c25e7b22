"""The questions page: who sees which questions, the overdue badge, closing a question as
needing no answer (CSRF, roles, units, audited) and escaped text."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.core.db import Database
from app.pages.models import Page
from app.questions.models import ServiceQuestion
from app.ui import questions as questions_module
from tests.conftest import add_test_page
from tests.test_search import add_item
from tests.ui.conftest import csrf_of, login, ui_user

KS, SOC = "Kommunstyrelsen", "Socialförvaltningen"
HOSTILE = "<img src=x onerror=alert(1)> Hur gör jag?"


def _question(db: Database, platform_id: str, page: str, due: date, *,
              text: str = "Hur bokar jag?", status: str = "open") -> None:
    with db.transaction() as s:
        version = add_item(s, platform_id, text, page=page)
        page_id = s.scalar(select(Page.id).where(Page.platform_id == page))
        s.add(ServiceQuestion(item_id=version.item_id, page_id=page_id, asked_at=version.observed_at,
                              due_on=due, status=status))


def _setup(db: Database) -> date:
    add_test_page(db, "1001", unit=KS, name="Falu kommun")
    add_test_page(db, "2001", unit=SOC, name="Socialtjänsten")
    today = questions_module.today()
    _question(db, "ks-late", "1001", today - timedelta(days=3), text=HOSTILE)
    _question(db, "ks-today", "1001", today)
    _question(db, "soc-1", "2001", today + timedelta(days=1))
    return today


def test_moderators_see_their_units_questions_overdue_first(ui, db):
    _setup(db)
    login(ui, ui_user(db, "moderator", unit=KS))
    page = ui.get("/ui/questions")
    assert page.status_code == 200
    html = page.text
    assert "ks-late" in html and "ks-today" in html and "soc-1" not in html
    assert html.index("fraga-ks-late") < html.index("fraga-ks-today")
    assert "Försenad" in html and "Ska besvaras idag" in html
    assert '<span class="badge removed">1 försenade</span>' in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'action="/ui/questions/ks-late/close"' in html


def test_closing_a_question(ui, db):
    _setup(db)
    name = ui_user(db, "moderator", unit=KS)
    login(ui, name)
    token = csrf_of(ui.get("/ui/questions").text)
    assert ui.post("/ui/questions/ks-late/close", data={"reason": "x"}).status_code == 403
    r = ui.post("/ui/questions/ks-late/close", data={"csrf": token, "reason": "  "})
    assert r.status_code == 422 and "Ange varför" in r.text
    r = ui.post("/ui/questions/ks-late/close", data={"csrf": token, "reason": "x" * 301})
    assert r.status_code == 422
    # Another unit's question, or none at all: not found.
    assert ui.post("/ui/questions/soc-1/close",
                   data={"csrf": token, "reason": "Nej"}).status_code == 404
    assert ui.post("/ui/questions/nope/close",
                   data={"csrf": token, "reason": "Nej"}).status_code == 404
    r = ui.post("/ui/questions/ks-late/close",
                data={"csrf": token, "reason": "Retorisk <b>fråga</b>"})
    assert r.status_code == 303
    shown = ui.get(r.headers["location"]).text
    assert "Frågan är stängd: den kräver inget svar." in shown
    assert "Retorisk &lt;b&gt;fråga&lt;/b&gt;" in shown
    assert ui.post("/ui/questions/ks-late/close",
                   data={"csrf": token, "reason": "igen"}).status_code == 409
    with db.transaction() as s:
        q = s.scalar(select(ServiceQuestion).where(ServiceQuestion.status == "closed"))
        assert (q.closed_by, q.closed_reason) == (name, "Retorisk <b>fråga</b>")
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.act == "question.closed"))
        assert (entry.actor, entry.subject_id) == (name, "ks-late")


def test_roles(ui, db):
    _setup(db)
    login(ui, ui_user(db, "auditor"))
    html = ui.get("/ui/questions").text
    assert "ks-late" in html and "soc-1" in html
    assert "/close" not in html and "Du kan se frågorna men inte stänga dem." in html
    token = csrf_of(html)
    assert ui.post("/ui/questions/soc-1/close",
                   data={"csrf": token, "reason": "Nej"}).status_code == 403
    ui.cookies.clear()
    login(ui, ui_user(db, "registrar"))
    assert ui.get("/ui/questions").status_code == 403
    ui.cookies.clear()
    login(ui, ui_user(db, "information_officer"))
    html = ui.get("/ui/questions").text
    token = csrf_of(html)
    assert 'action="/ui/questions/soc-1/close"' in html
    assert ui.post("/ui/questions/soc-1/close",
                   data={"csrf": token, "reason": "Svarat per telefon"}).status_code == 303


def test_english(ui, db):
    _setup(db)
    login(ui, ui_user(db, "information_officer"))
    html = ui.get("/ui/questions", headers={"Accept-Language": "en"}).text
    assert "Needs no answer" in html and "Answer due" in html

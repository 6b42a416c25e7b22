"""Daily oversight on the start page: working days around Swedish holidays, the "Granskat"
sign-off (idempotent, audited, CSRF, units and roles), the warnings and the counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEntry
from app.core.db import Database
from app.oversight.models import OversightSignoff
from app.oversight.service import holidays_of, is_working_day, previous_working_day
from app.pages.models import Page
from app.ui import start as start_module
from tests.conftest import add_test_page
from tests.test_search import add_item
from tests.ui.conftest import browser_login, csrf_of, login, screenshot, ui_user

KS, SOC = "Kommunstyrelsen", "Socialförvaltningen"
MIDSUMMER_MONDAY = date(2025, 6, 23)  # the Friday before was midsommarafton


@pytest.mark.parametrize(("day", "previous"), [
    (date(2025, 6, 16), date(2025, 6, 13)),  # a Monday after an ordinary weekend
    (date(2025, 6, 15), date(2025, 6, 13)),  # a Sunday
    (date(2025, 6, 18), date(2025, 6, 17)),  # an ordinary Wednesday
    (MIDSUMMER_MONDAY, date(2025, 6, 19)),  # midsommarafton (Fri) and the weekend
    (date(2025, 12, 29), date(2025, 12, 23)),  # julafton, juldagen, annandag jul, weekend
    (date(2026, 1, 2), date(2025, 12, 30)),  # nyårsdagen and nyårsafton
    (date(2025, 4, 22), date(2025, 4, 17)),  # långfredagen and annandag påsk
    (date(2026, 6, 8), date(2026, 6, 5)),  # nationaldagen on a Saturday: Friday works
])
def test_previous_working_day(day, previous):
    assert previous_working_day(day) == previous


def test_which_days_are_working_days():
    assert not is_working_day(date(2025, 6, 20))  # midsommarafton
    assert not is_working_day(date(2025, 12, 24))  # julafton
    assert not is_working_day(date(2026, 1, 1))  # nyårsdagen
    assert not is_working_day(date(2025, 12, 31))  # nyårsafton
    assert not is_working_day(date(2025, 6, 6))  # nationaldagen on a Friday
    assert not is_working_day(date(2025, 6, 22))  # an ordinary Sunday
    assert is_working_day(date(2025, 6, 19))  # the Thursday before midsommarafton
    assert is_working_day(date(2025, 6, 9))  # annandag pingst is no holiday since 2005
    # The package can count every Sunday as a holiday; the names here are the real ones.
    assert "Söndag" not in holidays_of(2025).values()
    assert holidays_of(2025)[date(2025, 6, 20)] == "Midsommarafton"


def _pages(db: Database) -> None:
    add_test_page(db, "1001", unit=KS, name="Falu kommun")
    add_test_page(db, "1002", unit=KS, name="Lugnets fritidsområde")
    add_test_page(db, "2001", unit=SOC, name="Socialtjänsten i Falun")


def _signoffs(db: Database) -> list[tuple[str, date, str, str | None]]:
    with db.transaction() as s:
        return [(p, r.day, r.signed_by, r.note) for r, p in s.execute(
            select(OversightSignoff, Page.platform_id).join(Page).order_by(OversightSignoff.id))]


def _audits(db: Database, act: str) -> list[AuditEntry]:
    with db.transaction() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.act == act)).all()
        s.expunge_all()
        return list(rows)


def test_a_moderator_signs_off_a_page_once_a_day(ui, db):
    _pages(db)
    name = ui_user(db, "moderator", unit=KS, display_name="Åsa Öberg")
    login(ui, name)
    page = ui.get("/ui/")
    assert page.status_code == 200
    assert "Dagens uppgift:" in page.text
    assert "2 av 2 sidor väntar på dagens granskning." in page.text
    token = csrf_of(page.text)
    r = ui.post("/ui/oversight/1001/signoff", data={"csrf": token, "note": "Lugnt idag."})
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/?granskat=1001#sida-1001"
    again = ui.post("/ui/oversight/1001/signoff", data={"csrf": token, "note": "igen"})
    assert again.status_code == 303
    day = start_module.today()
    assert _signoffs(db) == [("1001", day, name, "Lugnt idag.")]
    audits = _audits(db, "oversight.signed_off")
    assert [(a.actor, a.subject_type, a.subject_id, a.detail) for a in audits] == [
        (name, "page", "1001", {"day": day.isoformat(), "note": True})]

    shown = ui.get(r.headers["location"]).text
    assert "Sidan Falu kommun är markerad som granskad för idag." in shown
    assert "1 av 2 sidor väntar på dagens granskning." in shown
    card = _card(shown, "1001")
    assert "Granskad idag" in card and "Åsa Öberg" in card
    assert "Du har markerat sidan som granskad idag." in card
    assert "/ui/oversight/1001/signoff" not in card  # no second button
    assert "Inte granskad idag" in _card(shown, "1002")
    assert 'action="/ui/oversight/1002/signoff"' in _card(shown, "1002")


def _card(html: str, platform_id: str) -> str:
    found = re.search(rf'<article class="card" id="sida-{platform_id}"[^>]*>(.*?)</article>',
                      html, re.DOTALL)
    assert found is not None, f"no card for {platform_id}"
    return found.group(1)


def test_signing_off_needs_the_csrf_token(ui, db):
    _pages(db)
    login(ui, ui_user(db, "moderator", unit=KS))
    ui.get("/ui/")
    assert ui.post("/ui/oversight/1001/signoff", data={}).status_code == 403
    r = ui.post("/ui/oversight/1001/signoff", data={"csrf": "x" * 43})
    assert r.status_code == 403 and "Formuläret var för gammalt" in r.text
    token = csrf_of(ui.get("/ui/").text)
    r = ui.post("/ui/oversight/1001/signoff", data={"csrf": token},
                headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert _signoffs(db) == []
    assert _audits(db, "oversight.signed_off") == []


def test_a_moderator_sees_and_signs_only_the_own_units_pages(ui, db):
    _pages(db)
    login(ui, ui_user(db, "moderator", unit=KS))
    page = ui.get("/ui/").text
    assert "Falu kommun" in page and "Socialtjänsten i Falun" not in page
    assert "sida-2001" not in page
    token = csrf_of(page)
    for guessed in ("2001", "9999", "1001%2F..%2F2001"):
        r = ui.post(f"/ui/oversight/{guessed}/signoff", data={"csrf": token})
        assert r.status_code == 404, guessed
        assert "Sidan finns inte." in r.text
    assert _signoffs(db) == []


def test_a_removed_page_is_not_signed_off(ui, db):
    _pages(db)
    with db.transaction() as s:
        s.execute(update(Page).where(Page.platform_id == "1002")
                  .values(removed_at=datetime(2025, 1, 1, tzinfo=UTC)))
    login(ui, ui_user(db, "information_officer"))
    page = ui.get("/ui/").text
    assert "Lugnets fritidsområde" not in page
    r = ui.post("/ui/oversight/1002/signoff", data={"csrf": csrf_of(page)})
    assert r.status_code == 404 and _signoffs(db) == []


@pytest.mark.parametrize("role", ["auditor", "registrar"])
def test_auditors_and_registrars_see_the_status_but_do_not_sign_off(ui, db, role):
    _pages(db)
    with db.transaction() as s:
        page_id = s.scalar(select(Page.id).where(Page.platform_id == "2001"))
        s.add(OversightSignoff(page_id=page_id, day=start_module.today(), signed_by="någon"))
    login(ui, ui_user(db, role))
    page = ui.get("/ui/").text
    assert "Socialtjänsten i Falun" in page and "Falu kommun" in page
    assert "Granskad idag" in _card(page, "2001")
    assert "/signoff" not in page
    r = ui.post("/ui/oversight/1001/signoff", data={"csrf": csrf_of(page)})
    assert r.status_code == 403 and "Din roll får inte göra detta." in r.text
    assert [row[0] for row in _signoffs(db)] == ["2001"]
    assert _audits(db, "oversight.signed_off") == []


def test_an_information_officer_signs_off_any_unit(ui, db):
    _pages(db)
    name = ui_user(db, "information_officer")
    login(ui, name)
    token = csrf_of(ui.get("/ui/").text)
    assert ui.post("/ui/oversight/2001/signoff", data={"csrf": token}).status_code == 303
    assert _signoffs(db) == [("2001", start_module.today(), name, None)]


def test_a_long_note_is_refused(ui, db):
    _pages(db)
    login(ui, ui_user(db, "moderator", unit=KS))
    token = csrf_of(ui.get("/ui/").text)
    r = ui.post("/ui/oversight/1001/signoff", data={"csrf": token, "note": "å" * 1001})
    assert r.status_code == 422 and "högst 1000 tecken" in r.text
    assert _signoffs(db) == []


def _age(db: Database, platform_id: str, created: datetime) -> int:
    with db.transaction() as s:
        s.execute(update(Page).where(Page.platform_id == platform_id).values(created_at=created))
        return s.scalar(select(Page.id).where(Page.platform_id == platform_id))


def test_the_start_page_warns_and_counts(ui, db, monkeypatch):
    """Monday after midsummer: the previous working day is Thursday 19 June."""
    monkeypatch.setattr(start_module, "today", lambda: MIDSUMMER_MONDAY)
    _pages(db)
    add_test_page(db, "1003", unit=KS, name="Ny sida")
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    ids = {pid: _age(db, pid, long_ago) for pid in ("1001", "1002", "2001")}
    _age(db, "1003", datetime(2025, 6, 21, 10, tzinfo=UTC))  # added on the Saturday
    with db.transaction() as s:
        s.add(OversightSignoff(page_id=ids["1001"], day=date(2025, 6, 19), signed_by="kalle",
                               signed_at=datetime(2025, 6, 19, 14, 5, tzinfo=UTC)))
        # Signed on midsommarafton only: Thursday stays without oversight.
        s.add(OversightSignoff(page_id=ids["1002"], day=date(2025, 6, 20), signed_by="kalle"))
        for n in range(2):
            add_item(s, f"c{n}", "Hemskt", page="1001", categories=["profanity"])
        add_item(s, "c9", "Hemskt", page="2001", categories=["profanity"])
        add_item(s, "s1", "Mitt personnummer", page="1002", case="pending", secret=True)
        add_item(s, "s2", "Klart", page="1002", case="registered")

    login(ui, ui_user(db, "moderator", unit=KS))
    html = ui.get("/ui/").text
    assert "måndag 2025-06-23" in html
    assert "3 av 3 sidor väntar på dagens granskning." in html
    assert "2 inlägg och kommentarer väntar i granskningskön." in html
    assert "registrering" not in html.split("<main")[1].lower()  # not the moderator's work
    warning = html.split('class="warn" role="alert"')[1].split("</div>")[0]
    assert "torsdag 2025-06-19" in warning
    assert "Lugnets fritidsområde" in warning
    assert "Falu kommun" not in warning and "Ny sida" not in warning
    assert "Saknar granskning för torsdag 2025-06-19." in _card(html, "1002")
    assert "Saknar granskning" not in _card(html, "1001")
    assert "Saknar granskning" not in _card(html, "1003")
    first = _card(html, "1001")
    assert "2025-06-19 16:05" in first  # Swedish summer time
    assert '<a href="/ui/review?page_id=1001"' in first and "Granskningskö: 2 väntar" in first
    assert "Granskningskö: 0 väntar" in _card(html, "1002")
    assert "Aldrig" in _card(html, "1003")

    login(ui, ui_user(db, "registrar"))
    html = ui.get("/ui/").text
    assert "1 ärende väntar på registrering." in html
    assert "granskningskön" not in html
    assert '<a href="/ui/registration?page_id=1002"' in _card(html, "1002")
    assert "Registrering: 1 väntar" in _card(html, "1002")

    login(ui, ui_user(db, "information_officer"))
    html = ui.get("/ui/").text
    assert "4 av 4 sidor väntar på dagens granskning." in html
    assert "3 inlägg och kommentarer väntar i granskningskön." in html
    assert "1 ärende väntar på registrering." in html
    warning = html.split('class="warn" role="alert"')[1].split("</div>")[0]
    assert "Socialtjänsten i Falun" in warning


def test_a_signed_off_day_clears_the_task(ui, db, monkeypatch):
    monkeypatch.setattr(start_module, "today", lambda: date(2025, 6, 24))
    _pages(db)
    _age(db, "1001", datetime(2025, 1, 1, tzinfo=UTC))
    login(ui, ui_user(db, "moderator", unit=KS))
    html = ui.get("/ui/").text
    assert "Varning:" in html and "måndag 2025-06-23" in html
    token = csrf_of(html)
    for pid in ("1001", "1002"):
        ui.post(f"/ui/oversight/{pid}/signoff", data={"csrf": token})
    assert {row[1] for row in _signoffs(db)} == {date(2025, 6, 24)}
    html = ui.get("/ui/").text
    assert "Alla sidor är granskade idag." in html
    assert "Inget väntar i granskningskön." in html
    assert "Varning:" in html  # Monday still had no oversight; today does not change that
    monkeypatch.setattr(start_module, "today", lambda: date(2025, 6, 25))
    assert "Varning:" not in ui.get("/ui/").text


def test_the_start_page_is_inert_and_in_english(ui, db):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(1)>'
    add_test_page(db, "1001", unit=KS, name=hostile)
    with db.transaction() as s:
        page_id = s.scalar(select(Page.id))
        s.add(OversightSignoff(page_id=page_id, day=date(2025, 1, 2), signed_by="javascript:alert(1)"))
    login(ui, ui_user(db, "information_officer"))
    html = ui.get("/ui/").text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    ui.post("/ui/lang", data={"lang": "en", "next": "/ui/", "csrf": csrf_of(html)})
    html = ui.get("/ui/").text
    assert "Today&#39;s task:" in html and "Reviewed" in html


def test_signing_off_in_a_browser(live_server, db, page):
    _pages(db)
    for pid in ("1001", "1002"):
        _age(db, pid, datetime(2025, 1, 1, tzinfo=UTC))
    with db.transaction() as s:
        add_item(s, "c1", "Köp billiga klockor på http://bluff.example", page="1002",
                 categories=["spam"])
    name = ui_user(db, "moderator", unit=KS, display_name="Åsa Öberg")
    browser_login(page, live_server, name)
    task = page.locator("p.warn", has_text="Dagens uppgift:")
    assert "2 av 2 sidor väntar på dagens granskning." in task.inner_text()
    assert page.get_by_role("alert").filter(has_text="Varning:").is_visible()
    screenshot(page, "20-start")
    card = page.locator("#sida-1001")
    card.get_by_label("Anteckning (frivillig)").fill("Inget att åtgärda.")
    card.get_by_role("button", name="Granskat").click()
    page.wait_for_url("**/ui/?granskat=1001*")
    assert page.get_by_role("status").inner_text() == \
        "Sidan Falu kommun är markerad som granskad för idag."
    card = page.locator("#sida-1001")
    assert card.get_by_text("Granskad idag", exact=True).is_visible()
    assert card.get_by_role("button", name="Granskat").count() == 0
    assert "1 av 2 sidor väntar" in page.locator("p.warn", has_text="Dagens uppgift:").inner_text()
    screenshot(page, "23-start-signed-off")
    assert _signoffs(db)[0][:2] == ("1001", start_module.today())
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(
            AuditEntry.act == "oversight.signed_off")) == 1

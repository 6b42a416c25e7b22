"""The account register (förteckning, Bilaga 1-2): the list, a page's entry, editing it
(roles, units, validation, CSRF, audit), hostile text, and the CSV and PDF exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from app.audit.models import AuditEntry
from app.core.db import Database
from app.oversight.models import OversightSignoff
from app.pages import register
from app.pages.models import Page, PageRegister
from app.ui.i18n import english
from tests.conftest import add_test_page
from tests.ui.conftest import browser_login, csrf_of, login, screenshot, ui_user

KS, SOC = "Kommunstyrelsen", "Socialförvaltningen"
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(1)> javascript:alert(1)'

FULL = {
    "assignment": "Kommunikationschefen, beslut 2025-01-10",
    "account_contact": "facebook@falun.se",
    "reported_on": "2025-02-01",
    "ended_on": "",
    "introduction": "Facebook, där invånarna redan finns.\nInte X: för få följare.",
    "purpose": "Nå fler med information om förskola och skola.",
    "goals": "Svar samma dag på frågor.",
    "started_on": "2025-01-15",
    "update_frequency": "Tre gånger i veckan",
    "target_group": "Föräldrar i Falun",
    "use": "Nyheter, driftstörningar och frågor.",
    "responsible_name": "Åsa Öberg",
    "responsible_contact": "023-830 00, asa.oberg@falun.se",
    "substitute_name": "Örjan Älv",
    "substitute_contact": "023-830 01",
    "roles": "Åsa publicerar; Örjan bevakar under semestern.",
    "resources": "Fyra timmar i veckan.",
    "oversight_hours": "Vardagar 8–17",
    "development": "Åsa mäter räckvidden varje kvartal.",
    "follow_up": "Halvårsvis till informationschefen.",
}


def _pages(db: Database) -> None:
    add_test_page(db, "1001", unit=KS, name="Falu kommun")
    add_test_page(db, "2001", unit=SOC, name="Socialtjänsten i Falun")


def _entry(db: Database, platform_id: str) -> PageRegister | None:
    with db.transaction() as s:
        page_id = s.scalar(select(Page.id).where(Page.platform_id == platform_id))
        entry = s.get(PageRegister, page_id)
        if entry is not None:
            s.expunge(entry)
        return entry


def _audits(db: Database, act: str) -> list[tuple[str, str, dict]]:
    with db.transaction() as s:
        return [(a.actor, a.subject_id, a.detail) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.act == act).order_by(AuditEntry.id))]


def _save(ui, platform_id: str, data: dict[str, str], *, csrf: str | None = None):
    if csrf is None:
        csrf = csrf_of(ui.get(f"/ui/pages/{platform_id}/edit").text)
    return ui.post(f"/ui/pages/{platform_id}/edit", data={**data, "csrf": csrf})


def test_every_label_and_message_has_english():
    texts = ({f.label for f in register.FIELDS.values()}
             | {f.hint for f in register.FIELDS.values() if f.hint}
             | {s.title for s in register.SECTIONS} | set(register.MESSAGES))
    assert len(texts) > 40
    assert sorted(t for t in texts if t not in english()) == []
    assert set(FULL) == set(register.FIELDS)  # the tests fill in every field


def test_the_list_shows_each_units_pages(ui, db):
    _pages(db)
    login(ui, ui_user(db, "information_officer"))
    _save(ui, "1001", FULL)
    html = ui.get("/ui/pages").text
    assert "Falu kommun" in html and "Socialtjänsten i Falun" in html
    row = html.split('href="/ui/pages/1001"')[1].split("</tr>")[0]
    assert "Åsa Öberg" in row and "Örjan Älv" in row and "2025-01-15" in row
    assert "Ifylld" in row
    other = html.split('href="/ui/pages/2001"')[1].split("</tr>")[0]
    assert other.count("Saknas") == 3  # responsible, substitute, plan
    assert 'href="/ui/pages/register.csv"' in html and 'href="/ui/pages/register.pdf"' in html

    login(ui, ui_user(db, "moderator", unit=SOC, username="moderator-soc"))
    html = ui.get("/ui/pages").text
    assert "Socialtjänsten i Falun" in html and "Falu kommun" not in html
    assert "Du ser din förvaltnings sidor." in html

    login(ui, ui_user(db, "registrar"))
    html = ui.get("/ui/pages").text
    assert "Falu kommun" in html and "register.csv" not in html


def test_the_entry_shows_the_checklist_and_every_heading_of_the_plan(ui, db):
    _pages(db)
    login(ui, ui_user(db, "information_officer", display_name="Inga Info"))
    assert _save(ui, "1001", FULL).status_code == 303
    with db.transaction() as s:
        page_id = s.scalar(select(Page.id).where(Page.platform_id == "1001"))
        s.add(OversightSignoff(page_id=page_id, day=date(2025, 3, 3), signed_by="moderator-x",
                               note="Allt lugnt."))
    r = ui.get("/ui/pages/1001?sparad=1")
    assert r.status_code == 200
    html = r.text
    assert "Uppgifterna är sparade." in html
    for heading in ("Uppgifter enligt checklistan (Bilaga 1)", "Plan för användning (Bilaga 2)",
                    "1. Inledning", "2. Syfte och mål", "3. Åtgärder",
                    "4. Ansvar och struktur", "5. Uppföljning"):
        assert f">{heading}</h" in html, heading
    for value in ("Kommunikationschefen, beslut 2025-01-10", "facebook@falun.se", "2025-02-01",
                  "023-830 00, asa.oberg@falun.se", "Halvårsvis till informationschefen."):
        assert value in html
    assert "Planen är ifylld under alla fem rubrikerna." in html
    assert "av Inga Info." in html  # who changed it last
    assert 'href="/ui/pages/1001/policy"' in html
    assert 'href="/ui/review?page_id=1001"' in html
    assert 'href="/ui/pages/1001/edit"' in html
    assert "måndag 2025-03-03" in html and "Allt lugnt." in html


def test_moderators_see_and_edit_only_their_units_entries(ui, db):
    _pages(db)
    name = ui_user(db, "moderator", unit=KS)
    login(ui, name)
    for guessed in ("2001", "9999"):
        assert ui.get(f"/ui/pages/{guessed}").status_code == 404
        assert ui.get(f"/ui/pages/{guessed}/edit").status_code == 404
    token = csrf_of(ui.get("/ui/pages/1001/edit").text)
    r = _save(ui, "2001", FULL, csrf=token)
    assert r.status_code == 404 and _entry(db, "2001") is None
    # The date of the report to the head of communications is the department's to record.
    edit = ui.get("/ui/pages/1001/edit").text
    assert 'name="reported_on"' not in edit and "fylls i av informationsavdelningen" in edit
    assert _save(ui, "1001", FULL, csrf=token).status_code == 303
    entry = _entry(db, "1001")
    assert entry.responsible_name == "Åsa Öberg" and entry.reported_on is None
    assert entry.updated_by == name
    assert _audits(db, "register.updated") == [
        (name, "1001", {"fields": sorted(set(FULL) - {"reported_on", "ended_on"})})]


@pytest.mark.parametrize("role", ["auditor", "registrar"])
def test_auditors_and_registrars_read_but_do_not_edit(ui, db, role):
    _pages(db)
    login(ui, ui_user(db, role))
    html = ui.get("/ui/pages/2001").text
    assert "Socialtjänsten i Falun" in html and "/edit" not in html
    assert ui.get("/ui/pages/2001/edit").status_code == 403
    r = _save(ui, "2001", FULL, csrf=csrf_of(html))
    assert r.status_code == 403 and _entry(db, "2001") is None
    assert _audits(db, "register.updated") == []


def test_an_edit_is_audited_by_field_name_only(ui, db):
    _pages(db)
    name = ui_user(db, "information_officer")
    login(ui, name)
    _save(ui, "1001", FULL)
    changed = {**FULL, "goals": "Hemligt mål som inte ska stå i loggen", "ended_on": "2025-12-31"}
    assert _save(ui, "1001", changed).status_code == 303
    assert _save(ui, "1001", changed).status_code == 303  # nothing changed: not logged
    audits = _audits(db, "register.updated")
    assert len(audits) == 2
    assert audits[1] == (name, "1001", {"fields": ["ended_on", "goals"]})
    assert "Hemligt" not in repr(audits)
    entry = _entry(db, "1001")
    assert entry.ended_on == date(2025, 12, 31) and entry.goals.startswith("Hemligt")
    # Emptying a field is a change too.
    assert _save(ui, "1001", {**changed, "goals": ""}).status_code == 303
    assert _entry(db, "1001").goals is None
    assert _audits(db, "register.updated")[-1][2] == {"fields": ["goals"]}


@pytest.mark.parametrize(("change", "message"), [
    ({"started_on": "2025-13-01"}, "Arbetet startar ska vara ett datum (ÅÅÅÅ-MM-DD)."),
    ({"started_on": "igår"}, "Arbetet startar ska vara ett datum (ÅÅÅÅ-MM-DD)."),
    ({"started_on": "1899-01-01"}, "Arbetet startar ska ligga mellan 1990 och 2100."),
    ({"reported_on": "2099-01-01"},
     "Rapporterad till informationschefen kan inte ligga i framtiden."),
    ({"ended_on": "2025-01-14"}, "Närvaron kan inte avslutas före den dag arbetet startar."),
    ({"responsible_name": "Å" * 201}, "Ansvarig får vara högst 200 tecken."),
    ({"purpose": "x" * 5001}, "Syfte får vara högst 5000 tecken."),
    ({"account_contact": "facebook at falun.se"},
     "Sidans officiella e-postadress ska vara en e-postadress."),
])
def test_bad_input_shows_the_form_again_and_writes_nothing(ui, db, change, message):
    _pages(db)
    login(ui, ui_user(db, "information_officer"))
    r = _save(ui, "1001", {**FULL, **change})
    assert r.status_code == 422
    assert "Uppgifterna sparades inte." in r.text and message in r.text
    assert 'aria-invalid="true"' in r.text
    assert "Örjan Älv" in r.text  # what was typed is kept
    assert _entry(db, "1001") is None
    assert _audits(db, "register.updated") == []


def test_editing_needs_the_csrf_token(ui, db):
    _pages(db)
    login(ui, ui_user(db, "information_officer"))
    ui.get("/ui/pages/1001/edit")
    assert ui.post("/ui/pages/1001/edit", data=FULL).status_code == 403
    assert _save(ui, "1001", FULL, csrf="fel").status_code == 403
    assert _entry(db, "1001") is None and _audits(db, "register.updated") == []


def test_hostile_text_is_inert_in_html_and_csv(ui, db):
    add_test_page(db, "1001", unit=KS, name=HOSTILE)
    login(ui, ui_user(db, "information_officer"))
    hostile = {**FULL, "responsible_name": HOSTILE[:200], "use": HOSTILE,
               "assignment": "=HYPERLINK(\"http://evil.example\",\"klicka\")",
               "target_group": "+cmd|' /C calc'!A0", "account_contact": "a@b.se"}
    assert _save(ui, "1001", hostile).status_code == 303
    for url in ("/ui/pages", "/ui/pages/1001", "/ui/pages/1001/edit", "/ui/"):
        html = ui.get(url).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
        assert 'href="javascript:' not in html and "href='javascript:" not in html, url
    bad = _save(ui, "1001", {**hostile, "started_on": "<script>alert(2)</script>"})
    assert bad.status_code == 422 and "<script>alert(2)" not in bad.text

    body = ui.get("/ui/pages/register.csv").content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    values = dict(zip(header, row, strict=True))
    assert values["Uppdrag från chefen"].startswith("'=HYPERLINK")
    assert values["Målgrupp"].startswith("'+cmd")
    assert values["Sida"] == HOSTILE  # kept exactly, it starts with "<"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_the_csv_export(ui, db):
    _pages(db)
    name = ui_user(db, "information_officer")
    login(ui, name)
    _save(ui, "1001", FULL)
    r = ui.get("/ui/pages/register.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["Sida"] for row in rows] == ["Falu kommun", "Socialtjänsten i Falun"]
    first = rows[0]
    assert first["Ansvarig"] == "Åsa Öberg" and first["Ersättare"] == "Örjan Älv"
    assert first["Valt medium och varför"] == FULL["introduction"]
    assert first["Arbetet startar"] == "2025-01-15"
    assert first["Planens rubriker ifyllda (av 5)"] == "5"
    assert first["Ändrad av"] == name
    assert rows[1]["Planens rubriker ifyllda (av 5)"] == "0"
    assert _audits(db, "register.exported") == [(name, "csv", {"pages": 2})]


def test_the_pdf_export(ui, db):
    _pages(db)
    with db.transaction() as s:
        s.execute(update(Page).where(Page.platform_id == "2001")
                  .values(removed_at=datetime(2025, 5, 1, 12, tzinfo=UTC)))
    login(ui, ui_user(db, "information_officer"))
    _save(ui, "1001", FULL)
    login(ui, ui_user(db, "auditor", display_name="Göran Granskare"))
    r = ui.get("/ui/pages/register.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for expected in ("Förteckning över myndighetens sidor i sociala medier", "Göran Granskare",
                     "Falu kommun", "Socialtjänsten i Falun", "Kommunstyrelsen",
                     "Socialförvaltningen", "nej, sedan 2025-05-01",
                     "Uppgifter enligt checklistan (Bilaga 1)", "1. Inledning",
                     "2. Syfte och mål", "3. Åtgärder", "4. Ansvar och struktur",
                     "5. Uppföljning", "Åsa Öberg", "Örjan Älv", "Vardagar 8–17",
                     "Inte X: för få följare.", "5 av 5 ifyllda", "0 av 5 ifyllda"):
        assert expected in text, expected
    assert len(reader.pages) >= 2  # one section per page, each from a new page
    assert "Socialtjänsten i Falun" not in reader.pages[0].extract_text()


def test_exports_by_role_and_unit(ui, db):
    _pages(db)
    login(ui, ui_user(db, "registrar"))
    for fmt in ("csv", "pdf"):
        assert ui.get(f"/ui/pages/register.{fmt}").status_code == 403
    login(ui, ui_user(db, "moderator", unit=SOC, username="moderator-soc"))
    body = ui.get("/ui/pages/register.csv").content.decode("utf-8-sig")
    assert "Socialtjänsten i Falun" in body and "Falu kommun" not in body
    pdf = ui.get("/ui/pages/register.pdf").content
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Socialtjänsten i Falun" in text and "Falu kommun" not in text
    assert [a[1:] for a in _audits(db, "register.exported")] == [
        ("csv", {"pages": 1}), ("pdf", {"pages": 1})]


def test_the_register_in_a_browser(live_server, db, page):
    _pages(db)
    name = ui_user(db, "information_officer", display_name="Inga Info")
    browser_login(page, live_server, name)
    page.get_by_role("link", name="Sidor").click()
    page.wait_for_url("**/ui/pages")
    screenshot(page, "21-register-list")
    page.get_by_role("link", name="Falu kommun").click()
    page.get_by_role("link", name="Ändra uppgifterna").click()
    page.get_by_label("Ansvarig", exact=True).fill("Åsa Öberg")
    page.get_by_label("Ersättare", exact=True).fill("Örjan Älv")
    page.get_by_label("Valt medium och varför").fill("Facebook, där invånarna finns.")
    page.get_by_label("Arbetet startar").fill("2025-01-15")
    page.get_by_label("Närvaron avslutad").fill("2024-12-31")
    page.get_by_role("button", name="Spara").click()
    assert page.get_by_role("alert").filter(has_text="sparades inte").is_visible()
    screenshot(page, "24-register-edit-error")
    page.get_by_label("Närvaron avslutad").fill("")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url("**/ui/pages/1001?sparad=1")
    assert page.get_by_role("status").inner_text() == "Uppgifterna är sparade."
    assert page.get_by_text("Örjan Älv").is_visible()
    screenshot(page, "22-register-entry")
    assert _entry(db, "1001").started_on == date(2025, 1, 15)

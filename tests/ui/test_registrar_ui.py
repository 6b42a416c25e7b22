"""The registrar's pages: the queue, a case worked through the forms (through the same
service as the API: idempotent, a different diarienummer refused and audited), roles,
CSRF, the preserved media and the two downloads, hostile text, and one browser run
(SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.moderation.models import Action, RegistrationCase
from app.records.service import collect
from app.ui.auth import Principal
from app.ui.web import may_act
from tests.conftest import FEED_PAGE, add_test_page
from tests.test_erms import JPEG, make_case, valid
from tests.test_processing import comment, deliver, delivery
from tests.test_registration import SECRET_TEXT
from tests.test_search import OTHER_PAGE, PAGE, add_item
from tests.ui.conftest import browser_login, csrf_of, login, screenshot, ui_user

HOSTILE = ('<script>alert(1)</script> <img src=x onerror=alert(1)> '
           '<a href="javascript:alert(1)">klicka</a> javascript:alert(1)')
REGISTER = {"diarienummer": "KS 2026/0123", "description": "Uppgifter om skyddad identitet",
            "sender": "Åsa Öberg", "secrecy_provision": "OSL 21 kap. 3 §",
            "withhold_sender": "1"}


def acts(db, act: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).where(AuditEntry.act == act))


def case_row(db, case_id: int) -> RegistrationCase:
    with db.transaction() as session:
        return session.get(RegistrationCase, case_id)


def signed_in(ui, db, role: str, **kw) -> str:
    """Signs in a new user of the role; returns the CSRF token of its session."""
    login(ui, ui_user(db, role, **kw))
    return csrf_of(ui.get("/ui/").text)


def rules_case(client, db, processor, graph_state, n: int = 1,
               text: str = SECRET_TEXT) -> int:
    """A comment the rules find secret, through the webhook and the processor: hidden,
    preserved and queued for the registrar."""
    if n == 1:
        add_test_page(db)
    comment_id = f"{FEED_PAGE}_100_{n}"
    graph_state.objects.setdefault(comment_id, {"message": text})
    deliver(client, processor, delivery(comment(comment_id, message=text)))
    with db.transaction() as session:
        return session.scalars(select(RegistrationCase.id)
                               .order_by(RegistrationCase.id.desc())).first()


def test_a_registrar_works_a_case_through_the_forms(ui, client, db, processor, graph_state):
    case_id = rules_case(client, db, processor, graph_state)
    csrf = signed_in(ui, db, "registrar", username="reg-karin")
    queue = ui.get("/ui/registration")
    assert queue.status_code == 200
    assert f'href="/ui/registration/{case_id}"' in queue.text
    assert "Sekretessbelagt innehåll enligt reglerna" in queue.text
    assert 'class="badge secret"' in queue.text and "Lisa Berg" in queue.text  # the excerpt
    page = ui.get(f"/ui/registration/{case_id}")
    assert page.status_code == 200
    assert SECRET_TEXT in page.text and "Åsa Öberg" in page.text
    assert "Personuppgifter" in page.text or "Sekretess" in page.text  # its categories
    assert f'action="/ui/registration/{case_id}/register"' in page.text
    assert 'value="Åsa Öberg"' in page.text  # the sender, filled in

    r = ui.post(f"/ui/registration/{case_id}/register", data={**REGISTER, "csrf": csrf})
    assert r.status_code == 303
    assert r.headers["location"] == f"/ui/registration/{case_id}?done=registered"
    done = ui.get(r.headers["location"])
    assert "Ärendet är registrerat." in done.text and "KS 2026/0123" in done.text
    assert 'action="/ui/registration/' not in done.text  # no forms on a decided case
    row = case_row(db, case_id)
    assert (row.status, row.diarienummer, row.decided_by) == ("registered", "KS 2026/0123",
                                                              "reg-karin")
    assert row.withhold_sender is True and row.withhold_description is False
    assert row.secrecy_provision == "OSL 21 kap. 3 §"

    # The same registration again changes nothing and says so ...
    again = ui.post(f"/ui/registration/{case_id}/register",
                    data={**REGISTER, "description": "annat", "csrf": csrf})
    assert again.status_code == 303 and again.headers["location"].endswith("done=same")
    assert case_row(db, case_id).description == REGISTER["description"]
    # ... another diarienummer is refused on the page, and the attempt is on record.
    other = ui.post(f"/ui/registration/{case_id}/register",
                    data={**REGISTER, "diarienummer": "KS 2026/0999", "csrf": csrf})
    assert other.status_code == 409
    assert "redan registrerat med diarienummer KS 2026/0123" in other.text
    assert 'role="alert"' in other.text
    assert case_row(db, case_id).diarienummer == "KS 2026/0123"
    assert acts(db, "registration.registered") == 1
    assert acts(db, "registration.change_refused") == 1
    with db.transaction() as s:
        refused = s.scalars(select(AuditEntry).where(
            AuditEntry.act == "registration.change_refused")).one()
        assert refused.actor == "reg-karin"
    closing = ui.post(f"/ui/registration/{case_id}/not-required",
                      data={"reason": "upprepning", "csrf": csrf})
    assert closing.status_code == 409 and case_row(db, case_id).status == "registered"
    assert acts(db, "registration.change_refused") == 2

    assert f'href="/ui/registration/{case_id}"' not in ui.get("/ui/registration").text
    listed = ui.get("/ui/registration?status=registered")
    assert f'href="/ui/registration/{case_id}"' in listed.text and "KS 2026/0123" in listed.text


def test_not_required_with_a_reason(ui, db, settings):
    case_id = make_case(db, settings.media_dir, item="5550001_1", status="pending")
    csrf = signed_in(ui, db, "registrar", username="reg-maja")
    url = f"/ui/registration/{case_id}/not-required"
    r = ui.post(url, data={"reason": "   ", "csrf": csrf})
    assert r.status_code == 422 and "Skriv varför ärendet inte behöver registreras" in r.text
    assert 'aria-invalid="true"' in r.text
    assert case_row(db, case_id).status == "pending"
    assert acts(db, "registration.not_required") == 0
    r = ui.post(url, data={"reason": "Inte allmän handling: upprepning", "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"].endswith("done=not_required")
    page = ui.get(r.headers["location"])
    assert "det behöver inte registreras" in page.text
    assert "Inte allmän handling: upprepning" in page.text
    row = case_row(db, case_id)
    assert (row.status, row.decided_by) == ("not_required", "reg-maja")
    r = ui.post(f"/ui/registration/{case_id}/register", data={**REGISTER, "csrf": csrf})
    assert r.status_code == 409 and "redan avslutat" in r.text
    assert case_row(db, case_id).status == "not_required"
    assert "Inte allmän handling" in ui.get("/ui/registration?status=not_required").text


@pytest.mark.parametrize(("change", "message"), [
    ({"diarienummer": "   "}, "Skriv diarienumret"),
    ({"diarienummer": "K" * 65}, "Skriv diarienumret"),
    ({"description": ""}, "Skriv kort vad ärendet gäller"),
    ({"sender": "x" * 301}, "Avsändaren får vara högst 300 tecken"),
    ({"secrecy_provision": "x" * 201}, "Sekretessbestämmelsen får vara högst 200 tecken"),
    ({"sender": "Åsa\x00"}, "Avsändaren får vara högst 300 tecken"),
])
def test_a_bad_registration_gives_the_form_again(ui, db, settings, change, message):
    case_id = make_case(db, settings.media_dir, item="5550001_2", status="pending")
    csrf = signed_in(ui, db, "registrar")
    r = ui.post(f"/ui/registration/{case_id}/register",
                data={**REGISTER, **change, "csrf": csrf})
    assert r.status_code == 422
    assert message in r.text and 'aria-invalid="true"' in r.text
    assert 'value="KS 2026/0123"' in r.text or "diarienummer" in change  # kept as typed
    assert case_row(db, case_id).status == "pending"
    assert acts(db, "registration.registered") == 0


def test_the_queue_is_oldest_first_a_page_at_a_time(ui, db, settings, monkeypatch):
    monkeypatch.setattr("app.ui.registrar.PER_PAGE", 3)
    ids = [make_case(db, settings.media_dir, item=f"5550001_{n}", status="pending",
                     text=f"Ärende nummer {n}") for n in range(5)]
    make_case(db, settings.media_dir, item="5550001_9", text="redan klart")
    signed_in(ui, db, "information_officer")
    first = ui.get("/ui/registration")
    shown = [int(n) for n in re.findall(r'href="/ui/registration/(\d+)"', first.text)]
    assert shown == ids[:3]
    assert "Väntar (5)" in first.text and "Registrerade (1)" in first.text
    link = re.search(r'href="(/ui/registration\?status=pending&amp;cursor=[^"]+)"', first.text)
    second = ui.get(link.group(1).replace("&amp;", "&"))
    assert [int(n) for n in re.findall(r'href="/ui/registration/(\d+)"', second.text)] == \
        ids[3:]
    assert ui.get("/ui/registration?cursor=nonsense").status_code == 422
    assert ui.get("/ui/registration?status=deleted").status_code == 422
    assert ui.get("/ui/registration/999999").status_code == 404


def test_the_queue_of_one_page(ui, db, settings):
    mine = make_case(db, settings.media_dir, item="5550001_7", status="pending")
    other = make_case(db, settings.media_dir, item="5550002_8", status="pending",
                      page="5550002", page_name="Biblioteket")
    signed_in(ui, db, "registrar")
    r = ui.get("/ui/registration", params={"page_id": "5550002"})
    assert re.findall(r'href="/ui/registration/(\d+)"', r.text) == [str(other)]
    assert "Visar ärendena från sidan Biblioteket." in r.text and "Väntar (1)" in r.text
    assert 'href="/ui/registration?status=registered&amp;page_id=5550002"' in r.text
    assert str(mine) in re.findall(r'href="/ui/registration/(\d+)"',
                                   ui.get("/ui/registration").text)
    assert ui.get("/ui/registration", params={"page_id": "nej"}).status_code == 404


def test_roles(ui, db, settings):
    case_id = make_case(db, settings.media_dir, item="5550001_3", status="pending",
                        media=((JPEG, "image/jpeg"),))
    paths = ("/ui/registration", f"/ui/registration/{case_id}",
             f"/ui/registration/{case_id}/media/0", "/ui/registration/downloads")
    posts = (f"/ui/registration/{case_id}/register", f"/ui/registration/{case_id}/not-required")
    # A moderator has no business here at all.
    csrf = signed_in(ui, db, "moderator", unit="Kommunstyrelsen")
    for path in paths:
        assert ui.get(path).status_code == 403, path
    for path in posts:
        assert ui.post(path, data={**REGISTER, "reason": "x", "csrf": csrf}).status_code == 403
    assert "/ui/registration" not in ui.get("/ui/").text  # not in the menu
    # An auditor reads, and does nothing else.
    ui.cookies.clear()
    csrf = signed_in(ui, db, "auditor")
    assert ui.get("/ui/registration").status_code == 200
    page = ui.get(f"/ui/registration/{case_id}")
    assert page.status_code == 200 and "/register" not in page.text
    assert "Bara en registrator kan registrera" in page.text
    assert ui.get(f"/ui/registration/{case_id}/media/0").status_code == 200
    assert ui.get("/ui/registration/downloads").status_code == 403
    for path in posts:
        assert ui.post(path, data={**REGISTER, "reason": "x", "csrf": csrf}).status_code == 403
    # An information officer sees and downloads, but registering is the registrar's.
    ui.cookies.clear()
    csrf = signed_in(ui, db, "information_officer")
    assert "/register" not in ui.get(f"/ui/registration/{case_id}").text
    assert ui.get("/ui/registration/downloads").status_code == 200
    assert ui.post(posts[0], data={**REGISTER, "csrf": csrf}).status_code == 403
    assert case_row(db, case_id).status == "pending"
    assert acts(db, "registration.registered") + acts(db, "registration.not_required") == 0


def test_a_registrar_does_not_moderate(ui, db, settings):
    """Registrars have no moderation rights: no page is theirs to act on, and no
    moderation form of the UI takes their word for it."""
    add_test_page(db, FEED_PAGE)
    with db.transaction() as s:
        add_item(s, f"{FEED_PAGE}_100_7", "Hej", page=FEED_PAGE)
        from app.pages.models import Page

        page = s.scalars(select(Page)).one()
        registrar = Principal(user_id=1, username="r", display_name="r", role="registrar",
                              unit=None, session_id=1, csrf_token="x")
        assert may_act(registrar, page) is False
    csrf = signed_in(ui, db, "registrar")
    moderation = [route for route in ui.app.routes
                  if "POST" in getattr(route, "methods", ())
                  and route.path.startswith(("/ui/items", "/ui/review"))]
    for route in moderation:
        path = re.sub(r"\{[^}]+\}", f"{FEED_PAGE}_100_7", route.path)
        r = ui.post(path, data={"csrf": csrf, "reason": "x", "kind": "hide",
                                "action": "hide"})
        assert r.status_code in (403, 404, 422), (path, r.status_code)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 0


def test_every_form_needs_the_csrf_token(ui, db, settings):
    case_id = make_case(db, settings.media_dir, item="5550001_4", status="pending")
    make_case(db, settings.media_dir, item="5550001_5")  # registered, for the export
    csrf = signed_in(ui, db, "registrar")
    forms = {f"/ui/registration/{case_id}/register": REGISTER,
             f"/ui/registration/{case_id}/not-required": {"reason": "upprepning"},
             "/ui/registration/downloads/erms": {"date_from": "2026-03-01",
                                                 "date_to": "2026-03-31"},
             "/ui/registration/downloads/records": {"q": "kommunen"}}
    before = acts(db, "registration.exported")
    for path, data in forms.items():
        assert ui.post(path, data=data).status_code == 403, path
        assert ui.post(path, data={**data, "csrf": "x" * 43}).status_code == 403, path
        r = ui.post(path, data={**data, "csrf": csrf},
                    headers={"Origin": "https://evil.example"})
        assert r.status_code == 403, path
    assert case_row(db, case_id).status == "pending"
    for act in ("registration.registered", "registration.not_required",
                "records_request.made"):
        assert acts(db, act) == 0
    assert acts(db, "registration.exported") == before == 0


def test_media_are_downloads_never_shown_inline(ui, db, settings):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    case_id = make_case(db, settings.media_dir, item="5550001_6", status="pending",
                        media=((JPEG, "image/jpeg"), (svg, "image/svg+xml"),
                               (None, "image/png")))
    signed_in(ui, db, "registrar")
    page = ui.get(f"/ui/registration/{case_id}")
    assert f'href="/ui/registration/{case_id}/media/0"' in page.text
    assert f'href="/ui/registration/{case_id}/media/1"' in page.text
    assert f"/ui/registration/{case_id}/media/2" not in page.text  # never stored
    assert "Kunde inte hämtas" in page.text
    for position, body in ((0, JPEG), (1, svg)):
        r = ui.get(f"/ui/registration/{case_id}/media/{position}")
        assert r.status_code == 200 and r.content == body
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["content-disposition"].startswith("attachment;")
        assert r.headers["x-content-type-options"] == "nosniff"
    assert ".jpg" in ui.get(f"/ui/registration/{case_id}/media/0").headers[
        "content-disposition"]
    assert ui.get(f"/ui/registration/{case_id}/media/2").status_code == 404
    assert ui.get(f"/ui/registration/{case_id}/media/9").status_code == 404


def test_the_erms_export_downloads_a_valid_document(ui, db, settings):
    make_case(db, settings.media_dir, item="5550001_10", secret=True,
              provision="OSL 26 kap. 1 §", media=((JPEG, "image/jpeg"),))
    make_case(db, settings.media_dir, item="5550002_11", page="5550002", page_name="Bibliotek",
              diarienummer="KS 2026/0002")
    csrf = signed_in(ui, db, "registrar", username="reg-karin")
    form = ui.get("/ui/registration/downloads")
    assert form.status_code == 200 and 'name="date_from"' in form.text
    r = ui.post("/ui/registration/downloads/erms",
                data={"date_from": "2026-03-01", "date_to": "2026-03-31", "csrf": csrf})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/xml"
    assert r.headers["content-disposition"] == \
        'attachment; filename="erms-2026-03-01-2026-03-31.xml"'
    root = valid(r.content)
    assert len(root.findall(".//{https://DILCIS.eu/XML/ERMS}aggregation")) == 2
    one = ui.post("/ui/registration/downloads/erms",
                  data={"date_from": "2026-03-01", "date_to": "2026-03-31",
                        "page_id": "5550002", "csrf": csrf})
    assert one.status_code == 200 and one.headers["content-disposition"].endswith(
        '-5550002.xml"')
    assert len(valid(one.content).findall(".//{https://DILCIS.eu/XML/ERMS}aggregation")) == 1
    with db.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(
            AuditEntry.act == "registration.exported").order_by(AuditEntry.id)).all()
        assert [(e.actor, e.detail["cases"]) for e in entries] == [("reg-karin", 2),
                                                                    ("reg-karin", 1)]


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"date_from": "", "date_to": "2026-03-31"}, 422, "Fyll i både från- och till-datum"),
    ({"date_from": "2026-02-30", "date_to": "2026-03-31"}, 422, "Skriv datum som"),
    ({"date_from": "mars", "date_to": "2026-03-31"}, 422, "Skriv datum som"),
    ({"date_from": "2026-03-31", "date_to": "2026-03-01"}, 422, "Från-datumet ligger efter"),
    ({"date_from": "2026-05-01", "date_to": "2026-05-31"}, 404, "Inga ärenden registrerades"),
    ({"date_from": "2026-03-01", "date_to": "2026-03-31", "page_id": "nope"}, 404,
     "Okänd sida"),
])
def test_a_bad_export_gives_the_form_again(ui, db, settings, data, status, message):
    make_case(db, settings.media_dir, item="5550001_12")
    csrf = signed_in(ui, db, "information_officer")
    r = ui.post("/ui/registration/downloads/erms", data={**data, "csrf": csrf})
    assert r.status_code == status and message in r.text
    assert "text/html" in r.headers["content-type"]
    assert acts(db, "registration.exported") == 0


@pytest.fixture
def archive(db):
    add_test_page(db, PAGE, unit="Kommunstyrelsen")
    add_test_page(db, OTHER_PAGE, unit="Socialförvaltningen", name="Socialtjänsten")
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen på Storgatan är sen", at=at)
        add_item(s, "2", "Snöröjningen: min granne har skyddad identitet", at=at,
                 case="registered", secret=True)
        add_item(s, "3", "Snöröjningen i Socialtjänstens kvarter", page=OTHER_PAGE, at=at)


def test_a_records_request_package(ui, db, archive):
    csrf = signed_in(ui, db, "registrar", username="reg-maja")
    prefilled = ui.get("/ui/registration/downloads?q=snöröjningen&page_id=1001")
    assert 'value="snöröjningen"' in prefilled.text
    assert re.search(r'<option value="1001" selected>', prefilled.text)
    r = ui.post("/ui/registration/downloads/records",
                data={"q": "snöröjningen", "page_id": PAGE, "reference": "KS 2026/0456",
                      "secret_items": "mask", "csrf": csrf})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith('attachment; filename="utlamnande-')
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert sorted(z.namelist()) == ["handlingar.csv", "handlingar.pdf", "manifest.json",
                                        "undantaget.csv"]
        assert "skyddad identitet" not in z.read("handlingar.csv").decode("utf-8-sig")
    assert r.headers["x-records"] == "2" and r.headers["x-withheld"] == "1"
    omitted = ui.post("/ui/registration/downloads/records",
                      data={"q": "snöröjningen", "secret_items": "omit", "csrf": csrf})
    assert omitted.status_code == 200 and omitted.headers["x-records"] == "2"
    with db.transaction() as s:
        entries = s.scalars(select(AuditEntry).where(
            AuditEntry.act == "records_request.made").order_by(AuditEntry.id)).all()
        assert [e.actor for e in entries] == ["reg-maja", "reg-maja"]
        assert entries[0].subject_id == "KS 2026/0456"
        assert entries[0].detail["criteria"]["page_ids"] == [PAGE]


@pytest.mark.parametrize(("data", "message"), [
    ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "Från-datumet ligger efter"),
    ({"q": "!!! ???"}, "Sökorden måste innehålla bokstäver eller siffror"),
    ({"date_from": "1 mars"}, "Skriv datum som"),
    ({"kind": "tweet"}, "Välj ett av alternativen"),
    ({"reference": "x" * 101}, "Begärans beteckning får vara högst 100 tecken"),
    ({"reference": "KS\x01 1"}, "Begärans beteckning får vara högst 100 tecken"),
    ({"secret_items": "show"}, "Formuläret har fel"),
])
def test_a_bad_records_request_gives_the_form_again(ui, db, archive, data, message):
    csrf = signed_in(ui, db, "registrar")
    r = ui.post("/ui/registration/downloads/records", data={**data, "csrf": csrf})
    assert r.status_code == 422 and message in r.text
    assert acts(db, "records_request.made") == 0


def test_too_large_a_records_request_must_be_narrowed(ui, db, archive, monkeypatch):
    monkeypatch.setattr("app.records.service.collect", partial(collect, max_records=2))
    csrf = signed_in(ui, db, "registrar")
    r = ui.post("/ui/registration/downloads/records", data={"csrf": csrf})
    assert r.status_code == 422 and "fler än 10 000 versioner" in r.text
    assert acts(db, "records_request.made") == 0


def test_hostile_text_stays_text(ui, db, settings):
    case_id = make_case(db, settings.media_dir, item="5550001_13", status="pending",
                        text=HOSTILE, author=("666", HOSTILE[:60]), secret=True)
    with db.transaction() as s:  # as a moderator's own words would be
        row = s.get(RegistrationCase, case_id)
        row.reason, row.source = "<img src=x onerror=alert(1)>", "moderator"
    signed_in(ui, db, "registrar")
    for path in ("/ui/registration", f"/ui/registration/{case_id}"):
        html = ui.get(path).text
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html and "onerror=alert(1)>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    page = ui.get(f"/ui/registration/{case_id}").text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;' in page  # the sender, as a value


def test_the_language_can_be_english(ui, db, settings):
    case_id = make_case(db, settings.media_dir, item="5550001_14", status="pending")
    signed_in(ui, db, "registrar")
    ui.cookies.set("uppsikt_lang", "en", path="/ui")
    assert "Cases by status" in ui.get("/ui/registration").text
    page = ui.get(f"/ui/registration/{case_id}").text
    assert "Preserved content" in page and "Registry number" in page


def test_a_registrar_registers_a_secret_case_in_the_browser(live_server, client, db, settings,
                                                            processor, graph_state, page):
    ui_user(db, "registrar", username="karin", display_name="Karin Lund")
    message = make_case(db, settings.media_dir, item="5550001_21", status="pending",
                        page_name="Kultur och fritid", media=((JPEG, "image/jpeg"),),
                        kind="message", author=("9002", "Per Persson"),
                        text="Hej! Jag vill begära ut protokollet från senaste nämndmötet.")
    case_id = rules_case(client, db, processor, graph_state)
    make_case(db, settings.media_dir, item="5550001_22", page_name="Kultur och fritid",
              text="Tack för snabbt svar om bygglovet!", diarienummer="KS 2026/0100")
    at = datetime(2026, 3, 1, 7, 12, tzinfo=UTC)
    with db.transaction() as s:
        row = s.get(RegistrationCase, message)
        row.source, row.reason = "message", "direct message: incoming mail"
        add_item(s, "5550001_30", "Snöröjningen på Storgatan är försenad igen. När kommer "
                 "plogbilen till Storgatan?", page="5550001", at=at)
        add_item(s, "5550001_31", "Tack för att ni plogade Storgatan så tidigt!",
                 page="5550001", author=("9003", "Lena Ek"), at=at + timedelta(hours=5))
    menu = page.get_by_role("navigation", name="Huvudmeny")
    browser_login(page, live_server, "karin")
    menu.get_by_role("link", name="Registrering", exact=True).click()
    page.wait_for_url("**/ui/registration")
    assert page.get_by_role("heading", name="Väntar").is_visible()
    screenshot(page, "30-registration-queue")
    page.get_by_role("link", name=f"Ärende {case_id}", exact=True).click()
    page.wait_for_url(f"**/ui/registration/{case_id}")
    assert page.get_by_text(SECRET_TEXT).is_visible()
    screenshot(page, "31-registration-case")
    page.get_by_label("Diarienummer", exact=True).fill("KS 2026/0123")
    page.get_by_label("Ärendemening", exact=True).fill("Uppgifter om en person med skyddad identitet")
    page.get_by_label("Sekretessbestämmelse", exact=True).fill("OSL 21 kap. 3 §")
    page.get_by_role("button", name="Registrera", exact=True).click()
    page.wait_for_url(f"**/ui/registration/{case_id}?done=registered")
    assert page.get_by_role("status").inner_text() == "Ärendet är registrerat."
    assert page.get_by_text("KS 2026/0123").is_visible()
    screenshot(page, "33-registration-registered")
    assert case_row(db, case_id).diarienummer == "KS 2026/0123"
    menu.get_by_role("link", name="Sök", exact=True).click()
    page.get_by_label("Ord", exact=True).fill("storgatan")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url("**/ui/search?*")
    assert page.locator("mark").first.inner_text().lower() == "storgatan"
    screenshot(page, "32-search")
    page.goto(f"{live_server}/ui/registration/downloads")
    screenshot(page, "34-registration-downloads")

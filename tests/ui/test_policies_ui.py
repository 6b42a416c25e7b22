"""A page's policy and word lists in the web UI, and the rule tester: who sees and who
changes them, versions and audit entries, bad input, CSRF, unit isolation, hostile text,
and a browser run (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.pages.models import Page
from app.rules.engine import Match
from app.rules.models import PolicyVersion
from app.rules.policies import set_policy
from app.ui.rule_tester import Segment, segments
from tests.conftest import FEED_PAGE, add_test_page, api_token
from tests.ui.conftest import browser_login, csrf_of, login, screenshot, ui_user

UNIT = "Kommunstyrelsen"
OTHER_UNIT = "Socialförvaltningen"
OTHER_PAGE = "99887766554433"
URL = f"/ui/pages/{FEED_PAGE}/policy"
OTHER_URL = f"/ui/pages/{OTHER_PAGE}/policy"
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)")
ROLES = ("moderator", "registrar", "information_officer", "auditor")


def sign_in(ui, db, role: str, *, unit: str | None = None, username: str | None = None
            ) -> str:
    if role == "moderator" and unit is None:
        unit = UNIT
    name = ui_user(db, role, unit=unit, username=username)
    login(ui, name)
    return name


def csrf(ui) -> str:
    return csrf_of(ui.get("/ui/rules/test").text)


def written(db) -> tuple[int, list[tuple[str, str, dict[str, Any]]]]:
    """The policy versions stored, and the policy.changed audit entries."""
    with db.transaction() as session:
        versions = session.scalar(select(func.count()).select_from(PolicyVersion))
        entries = session.execute(
            select(AuditEntry.actor, AuditEntry.subject_id, AuditEntry.detail)
            .where(AuditEntry.act == "policy.changed").order_by(AuditEntry.id)).all()
    return versions, [tuple(e) for e in entries]


def stored(db, version: int | None = None) -> dict[str, Any]:
    with db.transaction() as session:
        query = select(PolicyVersion).order_by(PolicyVersion.version.desc())
        if version is not None:
            query = query.where(PolicyVersion.version == version)
        row = session.scalars(query.limit(1)).one()
        return {"version": row.version, "by": row.created_by, "note": row.note, **row.body}


def preset(db, raw: dict[str, Any], *, actor: str = "info-setup", note: str | None = None,
           platform_id: str = FEED_PAGE) -> None:
    with db.transaction() as session:
        page = session.scalars(select(Page).where(Page.platform_id == platform_id)).one()
        set_policy(session, page, raw, actor=actor, note=note)


def settings_form(token: str, base: int, **changes: str) -> dict[str, str]:
    form = {"csrf": token, "base_version": str(base), "level": "strong",
            "review_images": "on", "register_messages": "on", "allow_words": "",
            "link_allow": "", "link_deny": "", "note": "",
            "action_defamation": "hide", "action_hate": "hide", "action_violence_porn": "hide",
            "action_crime_incitement": "hide", "action_copyright": "review",
            "action_profanity": "hide", "action_personal_data": "hide",
            "action_secret": "hide", "action_spam": "hide"}
    form.update(changes)
    return form


def try_text(ui, text: str, page_id: str = "", token: str | None = None) -> Any:
    return ui.post("/ui/rules/test", data={"csrf": token or csrf(ui), "text": text,
                                           "page_id": page_id})


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html)


@pytest.fixture
def pages(db) -> None:
    add_test_page(db, unit=UNIT, name="Falu kommun")
    add_test_page(db, OTHER_PAGE, unit=OTHER_UNIT, name="Socialtjänsten Falun")


# Seeing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_that_sees_the_page_sees_its_policy(ui, db, pages, role):
    preset(db, {"level": "medium", "custom": [
        {"name": "ortnamn", "category": "defamation", "words": ["snorkråka", "knasboll"]}]},
        note="första")
    preset(db, {"level": "medium", "actions": {"profanity": "review"}, "custom": [
        {"name": "ortnamn", "category": "defamation",
         "words": ["snorkråka", "knasboll", "dumbom"]}]})
    sign_in(ui, db, role)
    r = ui.get(URL)
    assert r.status_code == 200, r.text
    html = r.text
    assert "Falu kommun" in html and "Version 2, sparad" in html and "info-setup" in html
    # Every category with its guideline text, and its action in words.
    assert "Svordomar eller obscena ord." in html and "Hets mot folkgrupp" in html
    assert "Lista ortnamn" in html and "dumbom" in html
    assert "första" in html  # the note of version 1
    assert "Svordomar: Dölj → Granska" in html  # what version 2 changed
    assert "1 ord tillagda, 0 borttagna" in html  # the list's own history
    officer = role == "information_officer"
    assert ("Spara som ny version" in html) is officer
    assert (f'action="{URL}/settings"' in html) is officer
    assert (f'action="{URL}/import"' in html) is officer
    assert ('name="action_profanity"' in html) is officer
    if not officer:
        assert "<strong>Granska</strong>" in html  # profanity, read as text


def test_an_older_version_is_shown_read_only(ui, db, pages):
    preset(db, {"custom": [{"name": "gammal", "category": "profanity", "words": ["skurk"]}]})
    preset(db, {"level": "off"})
    sign_in(ui, db, "information_officer")
    html = ui.get(f"{URL}?version=1").text
    assert "Du ser version 1" in html and "Lista gammal" in html and "skurk" in html
    assert "Spara som ny version" not in html and 'name="words"' not in html
    current = ui.get(URL).text
    assert "Lista gammal" not in current and "Listan gammal borttagen" in current
    assert ui.get(f"{URL}?version=7").status_code == 404


def test_the_policy_and_the_tester_in_english(ui, db, pages):
    preset(db, {"observe": True, "custom": [
        {"name": "ortnamn", "category": "hate", "words": ["snorkråka"]}]})
    preset(db, {"observe": True, "level": "off"})
    sign_in(ui, db, "information_officer")
    ui.cookies.set("uppsikt_lang", "en", path="/ui")
    html = ui.get(URL).text
    assert "Categories and actions" in html and "Observe only" in html
    assert "Defamation, personal attacks or insults." in html
    assert "Level: Strong → Off" in html and "List ortnamn removed" in html
    assert "Policy och ordlistor" not in html
    html = try_text(ui, "jävla idiot", FEED_PAGE).text
    assert "The page is in observe-only mode" in html and "Result" in html


def test_the_defaults_before_any_version(ui, db, pages):
    sign_in(ui, db, "auditor")
    html = ui.get(URL).text
    assert "Ingen egen policy ännu: standardreglerna gäller." in html
    assert "Inga versioner ännu." in html


def test_a_moderator_of_another_unit_finds_nothing(ui, db, pages):
    preset(db, {"level": "medium"}, platform_id=OTHER_PAGE)
    sign_in(ui, db, "moderator", unit=UNIT)
    token = csrf(ui)
    for url in (OTHER_URL, f"{OTHER_URL}?version=1", "/ui/pages/finns-inte/policy",
                f"/ui/rules/test?page_id={OTHER_PAGE}"):
        r = ui.get(url)
        assert r.status_code == 404 and "Sidan finns inte." in r.text, url
        assert "Socialtjänsten" not in r.text
    assert ui.get(URL).status_code == 200
    assert try_text(ui, "jävla idiot", OTHER_PAGE, token).status_code == 404
    # Not offered in the tester either.
    assert "Socialtjänsten" not in ui.get("/ui/rules/test").text
    before = written(db)
    for path, data, files in [
            ("/settings", settings_form(token, 1, level="off"), None),
            ("/lists", {"csrf": token, "name": "x", "category": "profanity", "words": "a"},
             None),
            ("/import", {"csrf": token, "name": "x", "category": "profanity"},
             {"file": ("ord.txt", b"snorkrake", "text/plain")})]:
        r = ui.post(OTHER_URL + path, data=data, files=files)
        assert r.status_code == 404, path
    assert written(db) == before


# Changing -------------------------------------------------------------------------------


def test_the_officer_sets_actions_level_and_observe(ui, db, pages):
    name = sign_in(ui, db, "information_officer", username="info-anna")
    token = csrf_of(ui.get(URL).text)
    r = ui.post(f"{URL}/settings", data=settings_form(
        token, 0, action_profanity="review", level="medium", observe="on",
        allow_words="Kukkola\nFittja", link_allow="https://www.falun.se/x", note="Testperiod"))
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{URL}?saved=1#installningar"
    body = stored(db)
    assert (body["version"], body["by"], body["note"]) == (1, name, "Testperiod")
    assert body["actions"]["profanity"] == "review" and body["level"] == "medium"
    assert body["observe"] is True and body["delete_secret_at_once"] is False
    assert body["allow_words"] == ["Kukkola", "Fittja"] and body["link_allow"] == ["falun.se"]
    assert written(db)[1] == [(name, FEED_PAGE, {"version": 1, "note": "Testperiod"})]
    html = ui.get(r.headers["location"]).text
    assert "Sparat som version 1." in html and "Bara observera" in html
    assert "Svordomar: Dölj → Granska" in html and "Nivå: Stark → Medel" in html


def test_the_officer_adds_edits_and_removes_a_list(ui, db, pages):
    name = sign_in(ui, db, "information_officer", username="info-anna")
    token = csrf(ui)
    r = ui.post(f"{URL}/lists", data={"csrf": token, "name": "lokalt", "category": "hate",
                                      "words": "snorkråka, knasboll", "note": ""})
    assert r.status_code == 303, r.text
    assert stored(db)["custom"] == [{"name": "lokalt", "category": "hate",
                                     "words": ["snorkråka", "knasboll"]}]
    assert stored(db)["note"] == "Ny lista lokalt med 2 ord"
    r = ui.post(f"{URL}/lists/lokalt", data={
        "csrf": token, "base_version": "1", "category": "profanity",
        "words": "snorkråka\nknasboll\ndumbom*\n\n", "note": "en till"})
    assert r.status_code == 303, r.text
    assert stored(db)["custom"] == [{"name": "lokalt", "category": "profanity",
                                     "words": ["snorkråka", "knasboll", "dumbom*"]}]
    html = ui.get(URL).text
    assert "ny, 2 ord" in html and "1 ord tillagda, 0 borttagna" in html
    assert "kategori Hets och trakasserier → Svordomar" in html
    r = ui.post(f"{URL}/lists/lokalt/delete", data={"csrf": token})
    assert r.status_code == 303, r.text
    body = stored(db)
    assert body["version"] == 3 and body["custom"] == []
    assert body["note"] == "Tog bort listan lokalt"
    versions, entries = written(db)
    assert versions == 3 and [(e[0], e[2]["version"]) for e in entries] == [
        (name, 1), (name, 2), (name, 3)]


def test_a_list_file_is_imported_and_then_decides(ui, client, db, pages):
    sign_in(ui, db, "information_officer", username="info-anna")
    token = csrf(ui)
    assert marked(try_text(ui, "Du är en snorkråka", FEED_PAGE, token).text) == []
    file = "snorkråka,knasboll, \"dumbom\"\r\nträskalle;snorkråka\n".encode()
    r = ui.post(f"{URL}/import", data={"csrf": token, "name": "facebook",
                                       "category": "profanity", "note": ""},
                files={"file": ("ordlista.csv", b"\xef\xbb\xbf" + file, "text/csv")})
    assert r.status_code == 303, r.text
    body = stored(db)
    assert body["custom"] == [{"name": "facebook", "category": "profanity",
                               "words": ["snorkråka", "knasboll", "dumbom", "träskalle"]}]
    assert body["note"] == "Importerade 4 ord till listan facebook"
    assert written(db)[1][-1][0] == "info-anna"
    html = ui.get(f"{URL}?saved=1").text
    assert "Ny lista facebook (4 ord)" in html
    # The rule tester and the API now find the word, with the page's policy.
    r = try_text(ui, "Du är en snorkråka!", FEED_PAGE, token)
    assert r.status_code == 200 and marked(r.text)[0] == "snorkråka"
    assert "Sidans lista facebook" in r.text and "Dölj" in r.text
    api = client.post("/api/v1/rules/check", json={"text": "Du är en snorkråka!",
                                                   "page_id": FEED_PAGE},
                      headers={"Authorization": f"Bearer {api_token(db)}"}).json()
    assert api["decision"] == "hide"
    assert [m["rule"] for m in api["matches"]] == [f"page-{FEED_PAGE}-facebook"]
    # Pasting replaces the list of the same name.
    r = ui.post(f"{URL}/import", data={"csrf": token, "name": "facebook",
                                       "category": "defamation", "words": "knasboll",
                                       "note": "bara ett ord"},
                files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 303, r.text
    body = stored(db)
    assert body["custom"] == [{"name": "facebook", "category": "defamation",
                               "words": ["knasboll"]}]
    assert body["note"] == "bara ett ord"
    assert marked(try_text(ui, "Du är en snorkråka", FEED_PAGE, token).text) == []


BAD = [
    ("/settings", {"action_profanity": "zap"},
     "Välj tillåt, granska, dölj eller radera för varje kategori."),
    ("/settings", {"action_gossip": "hide"}, "Okänd kategori: gossip"),
    ("/settings", {"action_secret": "allow"}, "Sekretessbelagda uppgifter döljs alltid"),
    ("/settings", {"level": "max"}, "Välj nivå: av, medel eller stark."),
    ("/settings", {"link_deny": "inte en domän"}, "är inte ett domännamn"),
    ("/settings", {"note": "x" * 501}, "Anteckningen får vara högst 500 tecken."),
    ("/lists", {"name": "ny", "category": "gossip", "words": "a"}, "Okänd kategori: gossip"),
    ("/lists", {"name": "ny", "category": "hate", "words": " , \n"}, "Listan har inga ord."),
    ("/lists", {"name": "Ny Lista!", "category": "hate", "words": "a"},
     "Listans namn får bara ha"),
    ("/lists", {"name": "ny", "category": "hate", "words": "ok, <b>fel</b>"},
     "«&lt;b&gt;fel&lt;/b&gt;» går inte att använda"),
    ("/lists", {"name": "finns", "category": "hate", "words": "a"},
     "Det finns redan en lista som heter finns."),
    ("/lists/finns", {"category": "hate", "words": ""}, "Listan har inga ord."),
    ("/lists/saknas", {"category": "hate", "words": "a"}, "Listan saknas finns inte längre."),
    ("/lists/saknas/delete", {}, "Listan saknas finns inte längre."),
]


@pytest.mark.parametrize(("path", "fields", "message"), BAD,
                         ids=[f"{p}-{m[:20]}" for p, _, m in BAD])
def test_bad_input_shows_the_form_again_and_writes_nothing(ui, db, pages, path, fields,
                                                           message):
    preset(db, {"custom": [{"name": "finns", "category": "hate", "words": ["knasboll"]}]})
    sign_in(ui, db, "information_officer")
    token = csrf(ui)
    base = {"csrf": token, "base_version": "1"}
    data = settings_form(token, 1, **fields) if path == "/settings" else {**base, **fields}
    before = written(db)
    r = ui.post(URL + path, data=data)
    assert r.status_code == 422, r.text
    assert message in r.text and 'role="alert"' in r.text
    assert written(db) == before
    if path == "/lists" and "words" in fields:  # what was typed is kept
        assert fields["words"].replace("<", "&lt;").replace(">", "&gt;") in r.text


@pytest.mark.parametrize(("file", "fields", "message"), [
    (("ord.txt", "snorkråka,knasboll".encode("utf-16"), "text/plain"), {},
     "Filen är inte sparad som UTF-8."),
    (("ord.txt", "snorkråka,knäsboll".encode("latin-1"), "text/plain"), {},
     "Filen är inte sparad som UTF-8."),
    (("ord.txt", b"a," * (1024 * 512 + 1), "text/plain"), {}, "Filen är större än 1 MB."),
    (("ord.xlsx", b"snorkrake", "application/octet-stream"), {},
     "Filen ska vara en textfil (.txt eller .csv)."),
    (("ord.txt", b" , ,\n", "text/plain"), {}, "Listan har inga ord."),
    (("ord.txt", b"ok,<script>alert(1)</script>", "text/plain"), {},
     "«&lt;script&gt;alert(1)&lt;/script&gt;» går inte att använda"),
    (("ord.txt", b"snorkrake", "text/plain"), {"words": "knasboll"},
     "Välj en fil eller klistra in listan, inte båda."),
    (("", b"", "application/octet-stream"), {}, "Välj en fil eller klistra in listan."),
    (("ord.txt", b"snorkrake", "text/plain"), {"category": "gossip"},
     "Okänd kategori: gossip"),
])
def test_a_bad_import_is_refused(ui, db, pages, file, fields, message):
    sign_in(ui, db, "information_officer")
    data = {"csrf": csrf(ui), "name": "facebook", "category": "profanity", **fields}
    r = ui.post(f"{URL}/import", data=data, files={"file": file})
    assert r.status_code == 422, r.text
    assert message in r.text
    assert written(db) == (0, [])


def test_an_oversized_request_is_refused_unread(ui, db, pages):
    sign_in(ui, db, "information_officer")
    r = ui.post(f"{URL}/import", data={"csrf": csrf(ui), "name": "facebook",
                                       "category": "profanity"},
                files={"file": ("ord.txt", b"a," * (1024 * 1024 + 1), "text/plain")})
    assert r.status_code == 413, r.text
    assert "En ordlista får vara högst 1 MB." in r.text
    assert written(db) == (0, [])


@pytest.mark.parametrize("role", ["registrar", "auditor", "moderator"])
def test_other_roles_may_not_change_a_policy(ui, db, pages, role):
    preset(db, {"custom": [{"name": "finns", "category": "hate", "words": ["knasboll"]}]})
    sign_in(ui, db, role)  # a moderator of the page's own unit
    token = csrf(ui)
    before = written(db)
    for path, data, files in [
            ("/settings", settings_form(token, 1, level="off"), None),
            ("/lists", {"csrf": token, "name": "ny", "category": "hate", "words": "a"}, None),
            ("/lists/finns", {"csrf": token, "base_version": "1", "category": "hate",
                              "words": "b"}, None),
            ("/lists/finns/delete", {"csrf": token}, None),
            ("/import", {"csrf": token, "name": "x", "category": "hate"},
             {"file": ("ord.txt", b"snorkrake", "text/plain")})]:
        r = ui.post(URL + path, data=data, files=files)
        assert r.status_code == 403, path
        assert "Din roll får inte göra detta." in r.text
    assert written(db) == before


def test_every_change_needs_the_csrf_token(ui, db, pages):
    preset(db, {"custom": [{"name": "finns", "category": "hate", "words": ["knasboll"]}]})
    sign_in(ui, db, "information_officer")
    token = csrf(ui)
    before = written(db)
    for path, data in [("/settings", settings_form("", 1, level="off")),
                       ("/lists", {"name": "ny", "category": "hate", "words": "a"}),
                       ("/lists/finns", {"base_version": "1", "category": "hate",
                                         "words": "b"}),
                       ("/lists/finns/delete", {})]:
        for sent in ({}, {"csrf": "fel-" + token}):
            r = ui.post(URL + path, data={**data, **sent})
            assert r.status_code == 403, path
    r = ui.post(f"{URL}/import", data={"name": "x", "category": "hate"},
                files={"file": ("ord.txt", b"snorkrake", "text/plain")})
    assert r.status_code == 403
    r = ui.post(f"{URL}/lists", data={"csrf": token, "name": "ny", "category": "hate",
                                      "words": "a"},
                headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert written(db) == before
    # The tester checks the token too.
    assert ui.post("/ui/rules/test", data={"text": "hej"}).status_code == 403


def test_a_change_on_a_version_that_is_no_longer_in_force_is_refused(ui, db, pages):
    sign_in(ui, db, "information_officer", username="info-anna")
    token = csrf_of(ui.get(URL).text)
    preset(db, {"level": "medium"}, actor="info-bertil")  # meanwhile
    r = ui.post(f"{URL}/settings", data=settings_form(token, 0, level="off"))
    assert r.status_code == 409
    assert "Policyn har ändrats av info-bertil" in r.text
    assert stored(db)["level"] == "medium" and written(db)[0] == 1
    # What was sent is still in the form, on top of the new version.
    assert re.search(r'value="off" checked', r.text)
    assert 'name="base_version" value="1"' in r.text


# Hostile text ---------------------------------------------------------------------------


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html and "href='javascript:" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("role", ["information_officer", "auditor"])
def test_hostile_policy_content_is_shown_as_text(ui, db, pages, role):
    preset(db, {"custom": [{"name": "elak", "category": "hate",
                            "words": ["re:<script>alert\\(1\\)</script>",
                                      "re:<img src=x onerror=alert\\(1\\)>"]}],
                "allow_words": list(HOSTILE), "link_allow": ["javascript:alert(1)"],
                "link_deny": ["<img src=x onerror=alert(1)>"]},
           actor="<script>alert(1)</script>", note="<img src=x onerror=alert(1)>")
    sign_in(ui, db, role)
    html = ui.get(URL).text
    assert_inert(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_hostile_text_in_the_tester_is_shown_as_text(ui, db, pages):
    preset(db, {"custom": [{"name": "elak", "category": "hate", "words": ["alert"]}]})
    sign_in(ui, db, "moderator")
    text = " ".join(HOSTILE) + " <a href='javascript:alert(1)'>jävla</a>"
    r = try_text(ui, text, FEED_PAGE)
    assert r.status_code == 200
    assert_inert(r.text)
    assert "<a href='javascript" not in r.text and "&lt;a href=" in r.text
    assert "alert" in marked(r.text) and "jävla" in marked(r.text)
    # Nothing but the matches is marked, and the marks hold escaped text only.
    assert all("<" not in m for m in marked(r.text))


# The rule tester ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_tests_a_text_and_nothing_is_written(ui, db, pages, role):
    preset(db, {"actions": {"profanity": "delete"}})
    sign_in(ui, db, role)
    with db.transaction() as session:
        audit = session.scalar(select(func.count()).select_from(AuditEntry))
    r = try_text(ui, "Vilken jävla idiot, ring 070-123 45 67")
    assert r.status_code == 200, r.text
    assert marked(r.text)[:3] == ["jävla", "idiot", "070-123 45 67"]
    assert "Standardreglerna" in r.text and "Svordomar" in r.text
    assert "Telefonnummer" in r.text and "som i listan" in r.text
    r = try_text(ui, "Vilken jävla idiot", FEED_PAGE)
    assert "Radera" in r.text and "Falu kommun, version 1" in r.text
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit
    assert written(db)[0] == 1


def test_secret_content_goes_to_the_registrar(ui, db, pages):
    sign_in(ui, db, "registrar")
    r = try_text(ui, "Anna Svensson 19811218-9876 har skyddad identitet och bor på Storgatan 5")
    assert r.status_code == 200
    if "Ja: sekretessbelagda uppgifter ska diarieföras." not in r.text:
        pytest.fail("no secret found: " + ", ".join(marked(r.text)))


def test_observe_mode_is_told(ui, db, pages):
    preset(db, {"observe": True})
    sign_in(ui, db, "moderator")
    assert "läget bara observera" in try_text(ui, "jävla idiot", FEED_PAGE).text
    assert "läget bara observera" not in try_text(ui, "jävla idiot").text


def test_the_tester_refuses_long_and_empty_texts(ui, db, pages):
    sign_in(ui, db, "auditor")
    r = try_text(ui, "a" * 20_001)
    assert r.status_code == 422 and "Texten är för lång: 20001 tecken." in r.text
    assert try_text(ui, "a" * 20_000).status_code == 200
    r = try_text(ui, "  \n ")
    assert r.status_code == 422 and "Skriv eller klistra in en text att testa." in r.text


def test_the_tester_offers_the_page_from_the_policy_page(ui, db, pages):
    sign_in(ui, db, "information_officer")
    html = ui.get(URL).text
    assert f'href="/ui/rules/test?page_id={FEED_PAGE}"' in html
    form = ui.get(f"/ui/rules/test?page_id={FEED_PAGE}").text
    assert f'<option value="{FEED_PAGE}" selected>' in form
    assert f'<option value="{OTHER_PAGE}">' in form


def _match(start: int, end: int) -> Match:
    return Match("profanity", "list", "x", "1", "t", "", start, end, "exact", "hide")


@pytest.mark.parametrize(("spans", "expected"), [
    ([], [("abcdefgh", False)]),
    ([(0, 3)], [("abc", True), ("defgh", False)]),
    ([(2, 4), (3, 6)], [("ab", False), ("cdef", True), ("gh", False)]),
    ([(5, 8), (0, 2), (2, 3)], [("abc", True), ("de", False), ("fgh", True)]),
    ([(1, 7), (2, 3)], [("a", False), ("bcdefg", True), ("h", False)]),
])
def test_segments_mark_each_span_once(spans, expected):
    matches = tuple(_match(s, e) for s, e in spans)
    assert segments("abcdefgh", matches) == [Segment(t, m) for t, m in expected]


# In a browser ---------------------------------------------------------------------------


def test_an_officer_imports_a_list_and_tests_it_in_a_browser(live_server, db, page, tmp_path):
    add_test_page(db, unit=UNIT, name="Falu kommun")
    preset(db, {"level": "medium", "custom": [
        {"name": "ortnamn", "category": "defamation", "words": ["knasboll", "dumbom*"]}]},
        actor="info-bertil", note="Första versionen")
    name = ui_user(db, "information_officer", username="info-anna",
                   display_name="Anna Informatör")
    browser_login(page, live_server, name)
    page.goto(f"{live_server}{URL}")
    assert page.get_by_role("heading", name="Policy och ordlistor: Falu kommun").is_visible()
    screenshot(page, "40-policy")
    words = tmp_path / "facebook-ord.txt"
    words.write_text("snorkråka,träskalle,fårskalle", encoding="utf-8")
    page.get_by_label("Fil", exact=True).set_input_files(str(words))
    page.get_by_label("Anteckning till versionen (valfri)").last.fill("Från Facebook")
    page.get_by_role("button", name="Importera").click()
    page.wait_for_url("**/policy?saved=2*")
    assert page.get_by_role("status").inner_text() == "Sparat som version 2."
    assert page.get_by_role("heading", name="Lista facebook").is_visible()
    history = page.locator("#versioner").locator("..")
    assert "Ny lista facebook (3 ord)" in history.inner_text()
    assert "Från Facebook" in history.inner_text()
    screenshot(page, "42-policy-saved")
    page.get_by_role("link", name="Testa en text mot sidans policy").click()
    page.get_by_label("Text", exact=True).fill("Vilken snorkråka du är, din dumbomme!")
    page.get_by_role("button", name="Testa").click()
    marks = page.locator(".comment mark")
    assert marks.all_inner_texts() == ["snorkråka", "dumbomme"]
    assert "Sidans lista facebook" in page.locator("table").inner_text()
    screenshot(page, "41-rule-tester")
    # A mistake shows the form again with the message, and what was typed.
    page.goto(f"{live_server}{URL}")
    page.get_by_label("Namn", exact=True).fill("Mina ord!")
    page.locator("#new-words").fill("knasboll, snorkråka")
    page.get_by_role("button", name="Skapa listan").click()
    assert "Listans namn får bara ha" in page.get_by_role("alert").inner_text()
    assert page.locator("#new-words").input_value() == "knasboll, snorkråka"
    screenshot(page, "43-policy-error")
    # Read only, for an auditor, an older version.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/ui/login")
    browser_login(page, live_server, ui_user(db, "auditor", display_name="Greta Granskare"))
    page.goto(f"{live_server}{URL}?version=1")
    assert "Du ser version 1" in page.locator(".warn").first.inner_text()
    assert page.get_by_role("button", name="Spara som ny version").count() == 0
    screenshot(page, "44-policy-read-only")

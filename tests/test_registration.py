"""The registrar's queue and registration records, end to end through webhooks, the
processor and the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.moderation.models import Action, RegistrationCase
from app.pages.models import Page
from app.rules.policies import set_policy
from tests.conftest import FEED_PAGE, MESSENGER_PAGE, add_test_page, api_token, meta_body
from tests.test_processing import comment, deliver, delivery

SECRET_TEXT = "Hon heter Lisa Berg, personnummer 811228-9874, och har skyddad identitet"


@pytest.fixture
def registrar(db) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(db, 'registrar', username='reg-karin')}"}


def send(client, processor, state, *changes):
    for change in changes:
        value = change["value"]
        state.objects.setdefault(value["comment_id"], {"message": value.get("message")})
    deliver(client, processor, delivery(*changes))


def secret_case(client, db, processor, graph_state, registrar, n: int = 1) -> int:
    add_test_page(db)
    send(client, processor, graph_state, comment(f"{FEED_PAGE}_100_{n}", message=SECRET_TEXT))
    cases = client.get("/api/v1/registration/cases", headers=registrar).json()["cases"]
    return cases[-1]["id"]


def acts(db, act: str) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).where(AuditEntry.act == act))


def test_a_registrar_works_a_secret_case_end_to_end(client, db, processor, graph_state,
                                                    registrar):
    case_id = secret_case(client, db, processor, graph_state, registrar)
    case = client.get(f"/api/v1/registration/cases/{case_id}", headers=registrar).json()
    assert (case["status"], case["source"], case["secret"]) == ("pending", "rules", True)
    assert case["item_id"] == f"{FEED_PAGE}_100_1" and case["received_at"]
    assert case["snapshot"]["text"] == SECRET_TEXT
    assert case["snapshot"]["sender_id"] == "555"
    assert case["snapshot"]["decision"]["register"] is True
    body = {"diarienummer": "KS 2026/0123", "description": "Uppgifter om skyddad identitet",
            "sender": "Åsa Öberg", "secrecy_provision": "OSL 21 kap. 3 §",
            "withhold_sender": True}
    r = client.post(f"/api/v1/registration/cases/{case_id}/register", json=body,
                    headers=registrar)
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["diarienummer"], done["decided_by"]) == (
        "registered", "KS 2026/0123", "reg-karin")
    assert done["withhold_sender"] is True and done["secrecy_provision"] == "OSL 21 kap. 3 §"
    # The same registration again is fine and changes nothing ...
    again = client.post(f"/api/v1/registration/cases/{case_id}/register",
                        json={**body, "description": "annat"}, headers=registrar)
    assert again.status_code == 200 and again.json()["description"] == body["description"]
    # ... another diarienummer is refused, and the attempt is on record.
    other = client.post(f"/api/v1/registration/cases/{case_id}/register",
                        json={**body, "diarienummer": "KS 2026/0999"}, headers=registrar)
    assert other.status_code == 409 and "KS 2026/0123" in other.json()["detail"]
    assert acts(db, "registration.registered") == 1
    assert acts(db, "registration.change_refused") == 1
    closed = client.post(f"/api/v1/registration/cases/{case_id}/not-required",
                         json={"reason": "x"}, headers=registrar)
    assert closed.status_code == 409
    assert client.get("/api/v1/registration/cases", headers=registrar).json()["cases"] == []
    listed = client.get("/api/v1/registration/cases?status=registered",
                        headers=registrar).json()["cases"]
    assert [c["diarienummer"] for c in listed] == ["KS 2026/0123"]


def test_not_required_with_a_reason(client, db, processor, graph_state, registrar):
    case_id = secret_case(client, db, processor, graph_state, registrar)
    url = f"/api/v1/registration/cases/{case_id}/not-required"
    assert client.post(url, json={"reason": ""}, headers=registrar).status_code == 422
    r = client.post(url, json={"reason": "Inte allmän handling: upprepning"}, headers=registrar)
    assert r.status_code == 200 and r.json()["status"] == "not_required"
    assert client.post(url, json={"reason": "Inte allmän handling: upprepning"},
                       headers=registrar).status_code == 200  # the same again
    assert client.post(url, json={"reason": "något annat"}, headers=registrar).status_code == 409
    r = client.post(f"/api/v1/registration/cases/{case_id}/register",
                    json={"diarienummer": "KS 1", "description": "x"}, headers=registrar)
    assert r.status_code == 409


@pytest.mark.parametrize(("body", "status"), [
    ({"diarienummer": "  ", "description": "x"}, 422),
    ({"diarienummer": "KS 1", "description": ""}, 422),
    ({"diarienummer": "K" * 65, "description": "x"}, 422),
    ({"diarienummer": "KS 1", "description": "x", "unknown": 1}, 422),
    ({"description": "x"}, 422),
])
def test_bad_registrations_are_refused(client, db, processor, graph_state, registrar, body,
                                       status):
    case_id = secret_case(client, db, processor, graph_state, registrar)
    r = client.post(f"/api/v1/registration/cases/{case_id}/register", json=body,
                    headers=registrar)
    assert r.status_code == status
    assert client.get(f"/api/v1/registration/cases/{case_id}",
                      headers=registrar).json()["status"] == "pending"


def test_roles(client, db, processor, graph_state, registrar):
    case_id = secret_case(client, db, processor, graph_state, registrar)
    moderator = {"Authorization": f"Bearer {api_token(db, 'moderator', unit='Kommunstyrelsen')}"}
    auditor = {"Authorization": f"Bearer {api_token(db, 'auditor')}"}
    body = {"diarienummer": "KS 1", "description": "x"}
    url = f"/api/v1/registration/cases/{case_id}"
    assert client.post(url + "/register", json=body, headers=moderator).status_code == 403
    assert client.post(url + "/register", json=body, headers=auditor).status_code == 403
    assert client.get(url, headers=moderator).status_code == 403
    assert client.get(url, headers=auditor).status_code == 200
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/registration/cases/999999", headers=registrar).status_code == 404
    # A registrar does not act on Facebook.
    r = client.post(f"/api/v1/items/{FEED_PAGE}_100_1/actions",
                    json={"kind": "unhide", "reason": "x"}, headers=registrar)
    assert r.status_code == 403


def test_the_queue_pages_with_a_cursor_and_since(client, db, processor, graph_state,
                                                 registrar):
    add_test_page(db)
    moderator = {"Authorization": f"Bearer {api_token(db, 'moderator', unit='Kommunstyrelsen')}"}
    ids = [f"{FEED_PAGE}_100_{n}" for n in range(7)]
    send(client, processor, graph_state, *(comment(i, message=f"Fråga {n}")
                                           for n, i in enumerate(ids)))
    for i in ids:
        r = client.post(f"/api/v1/items/{i}/registration", json={"reason": "=1+1 inkommen"},
                        headers=moderator)
        assert r.status_code == 201, r.text
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/registration/cases", params=params, headers=registrar).json()
        seen += [c["item_id"] for c in page["cases"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3
    first = client.get("/api/v1/registration/cases", headers=registrar).json()["cases"]
    since = first[4]["created_at"]
    later = client.get("/api/v1/registration/cases", params={"since": since},
                       headers=registrar).json()["cases"]
    assert [c["item_id"] for c in later] == ids[4:]
    r = client.get("/api/v1/registration/cases", params={"format": "csv", "limit": 2},
                   headers=registrar)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-next-cursor"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["item_id"] for row in rows] == ids[:2]
    assert rows[0]["reason"] == "'=1+1 inkommen"  # never a formula in a spreadsheet
    for bad in ({"cursor": "not-a-cursor"}, {"since": "2026-11-25T08:00:00"},
                {"status": "open"}, {"limit": 0}):
        assert client.get("/api/v1/registration/cases", params=bad,
                          headers=registrar).status_code == 422, bad


def test_a_moderator_marks_content_secret(client, db, processor, graph_state, registrar):
    add_test_page(db)
    cid = f"{FEED_PAGE}_100_30"
    send(client, processor, graph_state, comment(cid, message="Se bifogad journal för Per"))
    moderator = {"Authorization": f"Bearer {api_token(db, 'moderator', unit='Kommunstyrelsen')}"}
    other_unit = {"Authorization": f"Bearer {api_token(db, 'moderator', unit='Tekniska')}"}
    url = f"/api/v1/items/{cid}/registration"
    assert client.post(url, json={"reason": "x", "secret": True},
                       headers=other_unit).status_code == 404
    r = client.post(url, json={"reason": "journaluppgifter", "secret": True}, headers=moderator)
    assert r.status_code == 201 and r.json()["secret"] is True
    assert r.json()["source"] == "moderator"
    processor.run_until_idle()
    assert graph_state.hidden(cid) is True
    with db.transaction() as session:
        assert [a.kind for a in session.scalars(select(Action))] == ["hide"]
        assert session.scalar(select(func.count()).select_from(RegistrationCase)) == 1
    # Sending it again adds nothing.
    assert client.post(url, json={"reason": "igen", "secret": True},
                       headers=moderator).status_code == 201
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Action)) == 1


def test_direct_messages_are_incoming_mail(client, db, processor, graph_state, registrar):
    add_test_page(db, MESSENGER_PAGE, name="Falu kommun Messenger")

    def message(mid: str, text: str) -> bytes:
        return meta_body({"object": "page", "entry": [{"id": MESSENGER_PAGE, "time": 1700000000,
            "messaging": [{"sender": {"id": "9001"}, "recipient": {"id": MESSENGER_PAGE},
                           "timestamp": 1700000000000,
                           "message": {"mid": mid, "text": text}}]}]})

    deliver(client, processor, message("m_1", "Hej, jag vill ansöka om bygglov"))
    [case] = client.get("/api/v1/registration/cases", headers=registrar).json()["cases"]
    assert (case["source"], case["secret"]) == ("message", False)
    with db.transaction() as session:
        page = session.scalar(select(Page).where(Page.platform_id == MESSENGER_PAGE))
        set_policy(session, page, {"register_messages": False}, actor="test")
    deliver(client, processor, message("m_2", "Tack för svaret"))
    cases = client.get("/api/v1/registration/cases", headers=registrar).json()["cases"]
    assert [c["item_id"] for c in cases] == [case["item_id"]]


def test_the_preserved_media_can_be_downloaded(client, db, processor, graph_state, registrar):
    add_test_page(db)
    picture = "Bild på journal, personnummer 811228-9874, skyddad identitet".encode()
    graph_state.media["j.png"] = ("image/png", picture)
    cid = f"{FEED_PAGE}_100_40"
    send(client, processor, graph_state, comment(cid, message=SECRET_TEXT,
                                                 photo=graph_state.media_url("j.png")))
    processor.run_until_idle()
    [case] = client.get("/api/v1/registration/cases", headers=registrar).json()["cases"]
    full = client.get(f"/api/v1/registration/cases/{case['id']}", headers=registrar).json()
    [medium] = full["snapshot"]["media"]
    assert medium["status"] == "stored" and medium["sha256"] == hashlib.sha256(picture).hexdigest()
    r = client.get(f"/api/v1/registration/cases/{case['id']}/media/0", headers=registrar)
    assert r.status_code == 200 and r.content == picture
    assert r.headers["x-content-sha256"] == medium["sha256"]
    assert client.get(f"/api/v1/registration/cases/{case['id']}/media/1",
                      headers=registrar).status_code == 404


def test_registered_cases_reach_the_e_archive_export(client, db, processor, graph_state,
                                                     registrar):
    import xmlschema

    from app.core.db import utcnow
    from app.registration import erms

    case_id = secret_case(client, db, processor, graph_state, registrar)
    r = client.post(f"/api/v1/registration/cases/{case_id}/register",
                    json={"diarienummer": "KS 2026/0042", "description": "Skyddad identitet",
                          "secrecy_provision": "OSL 21 kap. 3 §"}, headers=registrar)
    assert r.status_code == 200
    today = utcnow().date().isoformat()
    url = f"/api/v1/registration/export/erms?from={today}&to={today}"
    moderator = {"Authorization": f"Bearer {api_token(db, 'moderator', unit='Kommunstyrelsen')}"}
    assert client.get(url, headers=moderator).status_code == 403
    r = client.get(url, headers=registrar)
    assert r.status_code == 200, r.text
    schema = xmlschema.XMLSchema(str(Path(erms.__file__).parent / "schemas" / "ERMS_v3.xsd"))
    schema.validate(r.content)
    assert "KS 2026/0042".encode() in r.content and "OSL 21 kap. 3 §".encode() in r.content

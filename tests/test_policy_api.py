"""Page policies over HTTP: who may read and change them, what a bad policy gets, and that
a change is what the rules then use (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.pages.models import Page
from app.pages.service import remove_page
from app.rules.models import PolicyVersion
from app.rules.policies import PolicyBody, set_policy
from tests.conftest import FEED_PAGE, add_test_page, api_token

UNIT = "Kommunstyrelsen"
OTHER_UNIT = "Socialförvaltningen"
URL = f"/api/v1/pages/{FEED_PAGE}/policy"
WORDS_URL = f"{URL}/words"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_role(db, role: str, *, unit: str | None = None, username: str | None = None
            ) -> dict[str, str]:
    if role == "moderator" and unit is None:
        unit = UNIT
    return auth(api_token(db, role, unit=unit, username=username))


@pytest.fixture
def officer(db) -> dict[str, str]:
    return as_role(db, "information_officer", username="info-anna")


def written(db) -> tuple[int, list[tuple[str, str, dict[str, Any]]]]:
    """The policy versions stored, and the policy.changed audit entries (actor, page,
    detail), oldest first."""
    with db.transaction() as session:
        versions = session.scalar(select(func.count()).select_from(PolicyVersion))
        entries = session.execute(
            select(AuditEntry.actor, AuditEntry.subject_id, AuditEntry.detail)
            .where(AuditEntry.act == "policy.changed").order_by(AuditEntry.id)).all()
    return versions, [tuple(e) for e in entries]


def check(client, headers, text: str) -> dict[str, Any]:
    r = client.post("/api/v1/rules/check", json={"text": text, "page_id": FEED_PAGE},
                    headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("role", ["moderator", "registrar", "information_officer", "auditor"])
def test_every_role_reads_the_defaults_before_any_policy_is_set(client, db, role):
    add_test_page(db, unit=UNIT)
    r = client.get(URL, headers=as_role(db, role))
    assert r.status_code == 200, r.text
    assert r.json() == {"page_id": FEED_PAGE, "version": None, "set_by": None, "set_at": None,
                        "note": None, "policy": PolicyBody().model_dump(), "versions": []}


@pytest.mark.parametrize("role", ["moderator", "registrar", "information_officer", "auditor"])
def test_every_role_reads_the_policy_in_force_and_its_versions(client, db, officer, role):
    add_test_page(db, unit=UNIT)
    client.put(URL, json={"level": "medium", "note": "första"}, headers=officer)
    client.put(URL, json={"actions": {"profanity": "review"}}, headers=officer)
    body = client.get(URL, headers=as_role(db, role)).json()
    assert (body["version"], body["set_by"], body["note"]) == (2, "info-anna", None)
    assert body["policy"]["actions"]["profanity"] == "review"
    assert body["policy"]["level"] == "strong"  # a field left out takes its default
    assert [(v["version"], v["by"], v["note"]) for v in body["versions"]] == [
        (1, "info-anna", "första"), (2, "info-anna", None)]
    assert body["set_at"] == body["versions"][-1]["at"] and body["set_at"].endswith("Z")


def test_a_moderator_of_another_unit_gets_the_answer_for_an_unknown_page(client, db):
    add_test_page(db, unit=UNIT)
    other = as_role(db, "moderator", unit=OTHER_UNIT)
    r = client.get(URL, headers=other)
    assert r.status_code == 404
    assert r.json() == {"detail": f"no managed page {FEED_PAGE}"}
    unknown = client.get("/api/v1/pages/999/policy", headers=other)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "no managed page 999"})


def test_unknown_and_removed_pages_are_404(client, db, officer):
    for method, url, body in [("GET", "/api/v1/pages/999/policy", None),
                              ("PUT", "/api/v1/pages/999/policy", {"level": "medium"}),
                              ("POST", "/api/v1/pages/999/policy/words", {"words": "tönt"})]:
        r = client.request(method, url, json=body, headers=officer)
        assert (r.status_code, r.json()) == (404, {"detail": "no managed page 999"}), method
    add_test_page(db, unit=UNIT)
    with db.transaction() as session:
        remove_page(session, FEED_PAGE)
    assert client.get(URL, headers=officer).status_code == 404
    assert client.put(URL, json={}, headers=officer).status_code == 404
    assert written(db) == (0, [])


def test_every_endpoint_needs_a_token(client, db):
    add_test_page(db, unit=UNIT)
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"level": "medium"}).status_code == 401
    assert client.post(WORDS_URL, json={"words": "tönt"}).status_code == 401
    r = client.put(URL, json={"level": "medium"}, headers=auth("upk_not-a-real-token"))
    assert r.status_code == 401
    assert written(db) == (0, [])


@pytest.mark.parametrize(("role", "unit"), [
    ("registrar", None), ("auditor", None), ("moderator", UNIT), ("moderator", OTHER_UNIT)])
def test_only_an_information_officer_changes_a_policy(client, db, role, unit):
    add_test_page(db, unit=UNIT)
    headers = as_role(db, role, unit=unit)
    r = client.put(URL, json={"actions": {"profanity": "allow"}, "note": "x"}, headers=headers)
    assert (r.status_code, r.json()) == (403, {"detail": "your role may not do this"})
    r = client.post(WORDS_URL, json={"words": "snorkråka"}, headers=headers)
    assert r.status_code == 403
    # The role is checked before the page is looked up: no page id can be probed.
    r = client.put("/api/v1/pages/999/policy", json={}, headers=headers)
    assert r.status_code == 403
    assert written(db) == (0, [])
    assert client.get(URL, headers=as_role(db, "auditor")).json()["version"] is None


def test_an_information_officer_sets_a_policy_and_each_change_is_a_version(client, db,
                                                                            officer):
    add_test_page(db, unit=UNIT)
    policy = {"actions": {"profanity": "allow", "copyright": "hide"}, "observe": True,
              "link_deny": ["scam.example"]}
    r = client.put(URL, json={**policy, "note": "Beslut KS 2026/12"}, headers=officer)
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["version"], first["set_by"], first["note"]) == (
        1, "info-anna", "Beslut KS 2026/12")
    assert first["policy"] == PolicyBody.model_validate(policy).model_dump()
    assert "note" not in first["policy"]
    assert client.get(URL, headers=officer).json() == first

    r = client.put(URL, json={"level": "medium"}, headers=officer)
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["version"] == 2 and second["note"] is None
    assert second["policy"] == PolicyBody(level="medium").model_dump()
    assert [v["version"] for v in second["versions"]] == [1, 2]
    assert written(db) == (2, [
        ("info-anna", FEED_PAGE, {"version": 1, "note": "Beslut KS 2026/12"}),
        ("info-anna", FEED_PAGE, {"version": 2, "note": None})])


@pytest.mark.parametrize(("body", "message"), [
    ({"actions": {"gossip": "hide"}}, "unknown categories: gossip"),
    ({"actions": {"profanity": "burn"}}, "actions.profanity"),
    ({"level": "loud"}, "level"),
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
    ({"custom": [{"name": "egna", "category": "hate", "words": ["<script>"]}]},
     "custom list egna"),
    ({"custom": [{"name": "egna", "category": "gossip", "words": ["tönt"]}]},
     "unknown category 'gossip'"),
    ({"custom": [{"name": "Egna ord", "category": "hate", "words": ["tönt"]}]},
     "custom.0.name"),
    ({"observe": "maybe"}, "observe"),
    ({"allow_words": "tönt"}, "allow_words"),
    ({"actions": ["hide"]}, "actions"),
    ({"custom": {"name": "egna"}}, "custom"),
    ([{"level": "medium"}], "must be a JSON object"),
    ("medium", "must be a JSON object"),
    ({"level": "medium", "note": 5}, "note must be a string"),
    ({"level": "medium", "note": "x" * 501}, "note is longer than 500"),
    # NUL cannot be stored by PostgreSQL; no control character belongs in a word or address.
    ({"allow_words": ["\u0000"]}, "allow_words: '\\x00' holds a control character"),
    ({"link_deny": ["evil\u0007.example"]}, "link_deny"),
    ({"custom": [{"name": "egna", "category": "hate", "words": ["tö\u0000nt"]}]},
     "custom.egna"),
    ({"level": "medium", "note": "a\u0000b"}, "the note holds a control character"),
])
def test_a_bad_policy_is_refused_with_a_message_and_nothing_is_written(client, db, officer,
                                                                       body, message):
    add_test_page(db, unit=UNIT)
    assert client.put(URL, json={"level": "medium"}, headers=officer).status_code == 200
    before = written(db)
    r = client.put(URL, json=body, headers=officer)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("invalid policy: ")
    assert message in detail
    assert written(db) == before == (1, [("info-anna", FEED_PAGE,
                                          {"version": 1, "note": None})])
    assert client.get(URL, headers=officer).json()["policy"]["level"] == "medium"


def test_the_new_policy_is_what_the_rules_use(client, db, officer):
    add_test_page(db, unit=UNIT)
    moderator = as_role(db, "moderator")
    before = check(client, moderator, "Vilket jävla väder")
    assert (before["decision"], before["policy_version"]) == ("hide", "default")
    r = client.put(URL, json={"actions": {"profanity": "review"}}, headers=officer)
    assert r.status_code == 200, r.text
    after = check(client, moderator, "Vilket jävla väder")
    assert after["decision"] == "review" and after["categories"] == ["profanity"]
    assert after["policy_version"] == f"page-{FEED_PAGE}-v1"
    client.put(URL, json={"allow_words": ["jävla"]}, headers=officer)
    assert check(client, moderator, "Vilket jävla väder")["decision"] == "allow"


def test_facebook_words_are_imported_as_a_new_version_and_used(client, db, officer):
    add_test_page(db, unit=UNIT)
    client.put(URL, json={"level": "medium", "actions": {"defamation": "review"}},
               headers=officer)
    assert check(client, officer, "Din snorkråka")["decision"] == "allow"
    r = client.post(WORDS_URL, json={"name": "egna", "category": "defamation",
                                     "words": "snorkråka, bajskorv\nknasboll,"},
                    headers=officer)
    assert r.status_code == 200, r.text
    state = r.json()
    assert (state["version"], state["set_by"], state["note"]) == (
        2, "info-anna", "imported 3 words into egna")
    assert state["policy"]["custom"] == [
        {"name": "egna", "category": "defamation", "words": ["snorkråka", "bajskorv",
                                                             "knasboll"]}]
    # The rest of the policy in force is kept.
    assert state["policy"]["level"] == "medium"
    assert state["policy"]["actions"]["defamation"] == "review"
    decided = check(client, officer, "Din snorkråka")
    assert decided["decision"] == "review"
    [match] = decided["matches"]
    assert (match["rule"], match["text"]) == (f"page-{FEED_PAGE}-egna", "snorkråka")

    # The same name again replaces the list; the defaults apply to a bare list of words.
    r = client.post(WORDS_URL, json={"words": "tönt"}, headers=officer)
    assert r.status_code == 200, r.text
    assert [(c["name"], c["category"], c["words"]) for c in r.json()["policy"]["custom"]] == [
        ("egna", "defamation", ["snorkråka", "bajskorv", "knasboll"]),
        ("facebook", "profanity", ["tönt"])]
    r = client.post(WORDS_URL, json={"name": "egna", "category": "defamation",
                                     "words": "knasboll"}, headers=officer)
    assert [c["words"] for c in r.json()["policy"]["custom"]] == [["tönt"], ["knasboll"]]
    assert check(client, officer, "Din snorkråka")["decision"] == "allow"
    versions, entries = written(db)
    assert versions == 4 and [e[2]["version"] for e in entries] == [1, 2, 3, 4]


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"words": " , ,"}, 422, "no words in the list"),
    ({"words": "tönt,<script>"}, 422, "custom list facebook"),
    ({"words": "tönt", "category": "gossip"}, 422, "unknown category 'gossip'"),
    ({"words": "tönt", "name": "Mina ord"}, 422, "name"),
])
def test_a_bad_word_list_is_refused_and_nothing_is_written(client, db, officer, body,
                                                           status, message):
    add_test_page(db, unit=UNIT)
    r = client.post(WORDS_URL, json=body, headers=officer)
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert written(db) == (0, [])


def test_a_word_list_body_must_be_the_documented_object(client, db, officer):
    add_test_page(db, unit=UNIT)
    for body in [{"name": "egna"}, {"words": "tönt", "extra": 1}, "tönt,knasboll"]:
        assert client.post(WORDS_URL, json=body, headers=officer).status_code == 422
    assert written(db) == (0, [])


def test_two_changes_at_once_both_become_versions(client, db, officer):
    """A change made while another is still uncommitted waits for it and takes the next
    version number (on PostgreSQL it would otherwise collide with it and fail)."""
    add_test_page(db, unit=UNIT)
    result: dict[str, Any] = {}

    def put() -> None:
        try:
            result["response"] = client.put(URL, json={"level": "off"}, headers=officer)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            result["error"] = exc

    with db.transaction() as session:
        page = session.scalar(select(Page).where(Page.platform_id == FEED_PAGE))
        set_policy(session, page, {"level": "medium"}, actor="cli")
        other = threading.Thread(target=put)
        other.start()
        time.sleep(0.5)  # the request now waits for this transaction
    other.join(timeout=30)
    assert "error" not in result, result.get("error")
    r = result["response"]
    assert r.status_code == 200, r.text
    assert [(v["version"], v["by"]) for v in r.json()["versions"]] == [
        (1, "cli"), (2, "info-anna")]
    assert r.json()["policy"]["level"] == "off"


def test_openapi_documents_the_policy_endpoints(client):
    spec = client.get("/openapi.json").json()
    path = spec["paths"]["/api/v1/pages/{page_id}/policy"]
    assert set(path) == {"get", "put"}
    for code in ("200", "401", "403", "404", "422"):
        assert code in path["put"]["responses"]
    schema = path["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"actions", "level", "custom", "note"} <= set(schema["properties"])
    assert schema["properties"]["custom"]["items"]["properties"]["words"]["type"] == "array"
    assert "$ref" not in str(schema)
    words = spec["paths"]["/api/v1/pages/{page_id}/policy/words"]["post"]
    assert words["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/WordsIn")

"""The read API: bearer tokens, roles, units, OpenAPI."""

from __future__ import annotations

from app.accounts.service import get_user, revoke_tokens
from tests.conftest import add_test_page, api_token
from tests.test_processing import comment, deliver, delivery


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_items_need_a_valid_token(client, db, processor):
    add_test_page(db)
    deliver(client, processor, delivery(comment("100_50")))
    assert client.get("/api/v1/items/100_50").status_code == 401
    r = client.get("/api/v1/items/100_50", headers=auth("upk_not-a-real-token"))
    assert r.status_code == 401 and r.json()["detail"]
    token = api_token(db, "registrar", username="reg")
    assert client.get("/api/v1/items/100_50", headers=auth(token)).status_code == 200
    with db.transaction() as session:
        assert revoke_tokens(session, get_user(session, "reg")) == 1
    assert client.get("/api/v1/items/100_50", headers=auth(token)).status_code == 401


def test_unknown_item_is_404(client, db):
    r = client.get("/api/v1/items/nope_1", headers=auth(api_token(db)))
    assert r.status_code == 404
    assert r.json() == {"detail": "no item nope_1"}


def test_moderators_see_only_their_units_pages(client, db, processor):
    add_test_page(db, unit="Kultur- och fritidsförvaltningen")
    deliver(client, processor, delivery(comment("100_51")))
    own = api_token(db, "moderator", unit="Kultur- och fritidsförvaltningen")
    other = api_token(db, "moderator", unit="Socialförvaltningen")
    assert client.get("/api/v1/items/100_51", headers=auth(own)).status_code == 200
    assert client.get("/api/v1/items/100_51", headers=auth(other)).status_code == 404


def test_item_fields(client, db, processor):
    add_test_page(db)
    deliver(client, processor, delivery(comment("100_52", message="Tack för infon!")))
    body = client.get("/api/v1/items/100_52", headers=auth(api_token(db))).json()
    assert body["platform_id"] == "100_52"
    assert body["kind"] == "comment"
    assert body["page_id"] == "1234567890321"
    assert body["parent_id"] == "1234567890321_100"
    assert body["author"] == {"id": "555", "name": "Åsa Öberg"}
    assert body["state"] == "visible"
    assert body["versions"][0]["message"] == "Tack för infon!"
    assert body["state_history"] == []


def test_inbox_api_is_for_information_officers_and_auditors(client, db):
    r = client.get("/api/v1/inbox/changes", headers=auth(api_token(db, "moderator", unit="X")))
    assert r.status_code == 403
    for role in ("information_officer", "auditor"):
        r = client.get("/api/v1/inbox/changes", headers=auth(api_token(db, role)))
        assert r.status_code == 200 and r.json() == {"items": [], "next_after": None}
    r = client.get("/api/v1/inbox/changes", params={"status": "bogus"},
                   headers=auth(api_token(db, "auditor")))
    assert r.status_code == 422


def test_inbox_pagination(client, db, processor):
    add_test_page(db)
    deliver(client, processor, *[delivery(comment(f"100_6{n}")) for n in range(5)])
    token = api_token(db, "auditor")
    seen, after = [], 0
    while True:
        r = client.get("/api/v1/inbox/changes",
                       params={"status": "done", "limit": 2, "after": after},
                       headers=auth(token)).json()
        seen += [c["id"] for c in r["items"]]
        if r["next_after"] is None:
            break
        after = r["next_after"]
    assert len(seen) == 5 == len(set(seen))


def test_openapi_documents_the_item_endpoint(client):
    spec = client.get("/openapi.json").json()
    item = spec["paths"]["/api/v1/items/{platform_id}"]["get"]
    assert "200" in item["responses"] and "404" in item["responses"]
    props = spec["components"]["schemas"]["ItemOut"]["properties"]
    for name in ("platform_id", "kind", "page_id", "parent_id", "author", "versions", "state",
                 "state_history"):
        assert name in props
    webhook = spec["paths"]["/webhooks/meta"]
    assert set(webhook) == {"get", "post"}
    assert set(webhook["post"]["responses"]) == {"200", "401", "403", "413", "503"}


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_readyz_refuses_a_database_behind_the_migrations(fresh_database_url, settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    empty = settings.model_copy(update={"database_url": fresh_database_url()})
    with TestClient(create_app(empty)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["migrations"]["current"] is None


def test_rules_check_endpoint(client, db):
    token = api_token(db, "moderator", unit="Kommunstyrelsen")
    r = client.post("/api/v1/rules/check", json={"text": "Din jävla idiot"},
                    headers=auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"] == "hide" and body["register"] is False
    assert {"profanity", "defamation"} <= set(body["categories"])
    assert all("Din jävla idiot"[m["start"]:m["end"]] == m["text"] for m in body["matches"])
    assert client.post("/api/v1/rules/check", json={"text": "x"}).status_code == 401
    r = client.post("/api/v1/rules/check", json={"text": "x", "page_id": "404"},
                    headers=auth(token))
    assert r.status_code == 404
    add_test_page(db, unit="Annan förvaltning")
    r = client.post("/api/v1/rules/check", json={"text": "x", "page_id": "1234567890321"},
                    headers=auth(token))
    assert r.status_code == 404  # another unit's page
    r = client.post("/api/v1/rules/check", json={"text": "y" * 20001}, headers=auth(token))
    assert r.status_code == 422
    r = client.post("/api/v1/rules/check", json={"txt": "y"}, headers=auth(token))
    assert r.status_code == 422

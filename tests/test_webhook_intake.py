"""Invariant 1: a webhook is answered 2xx only after its raw body is committed; an invalid
signature writes nothing and gets 401/403."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.webhooks.models import InboxEvent
from app.webhooks.signature import sign
from tests.conftest import APP_SECRET, VERIFY_TOKEN, fixture_bytes, meta_body, post_signed


def inbox_rows(db: Database) -> list[InboxEvent]:
    # A fresh connection: what is there is what was committed.
    with db.transaction() as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def test_verification_echoes_the_challenge(client):
    r = client.get("/webhooks/meta", params={"hub.mode": "subscribe",
                                             "hub.verify_token": VERIFY_TOKEN,
                                             "hub.challenge": "1158201444"})
    assert r.status_code == 200
    assert r.text == "1158201444"
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
    {},
])
def test_verification_refused(client, params):
    r = client.get("/webhooks/meta", params=params)
    assert r.status_code == 403
    assert "1" not in r.text or r.json()["detail"] == "verification refused"


def test_valid_delivery_is_committed_before_200(client, db):
    body = fixture_bytes("feed-comment-add-211.json")
    r = post_signed(client, body)
    assert r.status_code == 200
    rows = inbox_rows(db)
    assert len(rows) == 1
    assert rows[0].body == body  # byte for byte, never re-serialised
    assert rows[0].status == "received"
    assert rows[0].headers["x-hub-signature-256"] == sign(APP_SECRET, body)


def test_swedish_text_signed_as_meta_signs_it(client, db):
    doc = json.loads(fixture_bytes("feed-comment-add-211.json"))
    doc["entry"][0]["changes"][0]["value"]["message"] = "Hej! Får jag åka färjan i Falun? Öppet?"
    body = meta_body(doc)
    assert b"\\u00e5" in body and "å".encode() not in body
    assert post_signed(client, body).status_code == 200
    # The same document with raw UTF-8 is a different body: a server that re-serialised
    # before checking would accept this signature; we must not.
    utf8 = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    r = client.post("/webhooks/meta", content=utf8,
                    headers={"X-Hub-Signature-256": sign(APP_SECRET, body)})
    assert r.status_code == 403
    assert len(inbox_rows(db)) == 1


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"X-Hub-Signature-256": ""}, 401),
    ({"X-Hub-Signature-256": "sha256="}, 403),
    ({"X-Hub-Signature-256": "sha1=abc"}, 403),
    ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 403),
    ({"X-Hub-Signature-256": "sha256=zzzå".encode("latin-1")}, 403),
])
def test_bad_signature_writes_nothing(client, db, headers, status):
    r = client.post("/webhooks/meta", content=fixture_bytes("feed-comment-add-211.json"),
                    headers=headers)
    assert r.status_code == status
    assert "detail" in r.json()
    assert inbox_rows(db) == []


def test_wrong_secret_and_tampered_body_are_refused(client, db):
    body = fixture_bytes("feed-comment-add-211.json")
    assert post_signed(client, body, secret="another-apps-secret").status_code == 403
    tampered = body.replace(b"and the next one", b"and the next two")
    r = client.post("/webhooks/meta", content=tampered,
                    headers={"X-Hub-Signature-256": sign(APP_SECRET, body)})
    assert r.status_code == 403
    assert inbox_rows(db) == []


def test_oversized_body_is_413_and_writes_nothing(client, db, settings):
    body = b'{"object":"page","entry":[],"pad":"' + b"x" * settings.webhook_max_body_bytes + b'"}'
    r = post_signed(client, body)
    assert r.status_code == 413
    assert inbox_rows(db) == []


def test_oversized_chunked_body_is_413(client, db, settings):
    body = b"x" * (settings.webhook_max_body_bytes + 10)

    def chunks():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    r = client.post("/webhooks/meta", content=chunks(),
                    headers={"X-Hub-Signature-256": sign(APP_SECRET, body)})
    assert r.status_code == 413
    assert inbox_rows(db) == []


def test_redelivered_body_is_stored_once(client, db):
    body = fixture_bytes("feed-comment-add-211.json")
    assert post_signed(client, body).status_code == 200
    assert post_signed(client, body).status_code == 200
    assert len(inbox_rows(db)) == 1


@pytest.mark.parametrize("body", [
    b"{not json",
    b"[]",
    b'{"object":"user","entry":[]}',
    b'{"object":"page","entry":"nope"}',
    b'{"object":"page","entry":[{"id":"1","time":1}]}',
    "{\"object\":\"page\",\"entry\":[{\"id\":\"\u00e5\\ud800\"}]}".encode("utf-8", "surrogatepass"),
])
def test_malformed_but_signed_is_kept_as_failed_and_visible(client, db, processor, body):
    assert post_signed(client, body).status_code == 200
    processor.run_until_idle()
    rows = inbox_rows(db)
    assert [r.status for r in rows] == ["failed"]
    assert rows[0].error
    from tests.conftest import api_token

    token = api_token(db, "information_officer")
    r = client.get("/api/v1/inbox/deliveries", params={"status": "failed"},
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    [listed] = r.json()["items"]
    assert listed["error"] == rows[0].error
    assert listed["body_sha256"] == rows[0].body_sha256


def test_storage_failure_answers_503_so_meta_retries(client, db, monkeypatch):
    intake = client.app.state.intake

    def broken(rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(intake, "_write", broken)
    r = post_signed(client, fixture_bytes("feed-comment-add-211.json"))
    assert r.status_code == 503
    assert inbox_rows(db) == []
    monkeypatch.undo()
    assert post_signed(client, fixture_bytes("feed-comment-add-211.json")).status_code == 200


def test_concurrent_deliveries_share_commits_and_all_land(client, db):
    import concurrent.futures

    doc = json.loads(fixture_bytes("feed-comment-add-211.json"))
    bodies = []
    for n in range(60):
        doc["entry"][0]["changes"][0]["value"]["comment_id"] = f"9010_{n}"
        bodies.append(meta_body(doc))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda b: post_signed(client, b).status_code, bodies))
    assert statuses == [200] * 60
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxEvent)) == 60

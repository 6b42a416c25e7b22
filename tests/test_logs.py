"""Logs are structured JSON with ids, and never carry a token or secret."""

from __future__ import annotations

import json
import time

import httpx

from app.webhooks.signature import sign
from tests.conftest import (
    APP_SECRET,
    PAGE_TOKEN,
    SECRET_KEY,
    VERIFY_TOKEN,
    add_test_page,
    api_token,
)
from tests.test_crash import Server
from tests.test_fetch import anonymous_comment


def test_logs_are_json_with_ids_and_free_of_secrets(db, database_url, tmp_path, fake_graph,
                                                   graph_state):
    add_test_page(db)
    token = api_token(db, "auditor")
    graph_state.objects["100_70"] = {"from": {"id": "9", "name": "Eva"}}
    server = Server(database_url, tmp_path / "serve.log", fake_graph.base_url)
    server.env["UPPSIKT_LOG_LEVEL"] = "DEBUG"
    server.start()
    try:
        body = anonymous_comment("100_70", "Hej")
        assert httpx.post(server.url + "/webhooks/meta", content=body,
                          headers={"X-Hub-Signature-256": sign(APP_SECRET, body)}
                          ).status_code == 200
        httpx.post(server.url + "/webhooks/meta", content=body,
                   headers={"X-Hub-Signature-256": sign("wrong", body)})
        httpx.get(server.url + "/webhooks/meta", params={
            "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "5"})
        httpx.get(server.url + "/webhooks/meta", params={
            "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "5"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            item = httpx.get(server.url + "/api/v1/items/100_70",
                             headers={"Authorization": f"Bearer {token}"})
            if item.status_code == 200 and item.json()["fetch_status"] == "done":
                break
            time.sleep(0.1)
        assert item.json()["author"]["name"] == "Eva"
        assert graph_state.requests  # the page token was used
    finally:
        server.kill()
    log = server.log.read_text()
    for secret in (PAGE_TOKEN, APP_SECRET, SECRET_KEY, VERIFY_TOKEN, token):
        assert secret not in log
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    applied = [e for e in events if e.get("event") == "change.applied"]
    assert applied and {"inbox_event_id", "change_id", "item_id"} <= set(applied[0])
    assert any(e.get("event") == "webhook.signature_invalid" for e in events)
    assert any(e.get("event") == "item.fetched" for e in events)

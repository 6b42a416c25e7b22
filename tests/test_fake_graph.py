"""The fake Graph API (app/fakegraph/) over real HTTP: with httpx for what the client cannot
send yet (hide, unhide, delete, media) and with the real GraphClient for fetches and for the
classification of every error the fake can be told to give."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.graph.client import GraphClient, GraphError, GraphErrorKind, classify
from tests.conftest import PAGE_TOKEN
from tests.fakes.graph import FakeGraphServer, FakeGraphState, graph_error, rate_limit_error

ROOT = Path(__file__).resolve().parents[1]
AUTH = {"Authorization": f"Bearer {PAGE_TOKEN}"}
PAGE = "1234567890321"
COMMENT = {"from": {"id": "777", "name": "Märta Ek"}, "message": "Varför är simhallen stängd?",
           "created_time": "2026-01-10T09:00:00+0000"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def graph(fake_graph: FakeGraphServer, graph_state: FakeGraphState) -> Iterator[GraphClient]:
    # Composed the way the service composes it: base URL (the fake's root) + API version.
    settings = Settings(_env_file=None, graph_base_url=fake_graph.base_url,
                        graph_api_version="v24.0", graph_timeout_seconds=5)
    client = GraphClient.from_settings(settings)
    yield client
    client.close()


@pytest.fixture
def api(fake_graph: FakeGraphServer, graph_state: FakeGraphState) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_graph.base_url + "/v24.0/", headers=AUTH) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


def test_get_answers_the_requested_fields_and_logs_the_request(graph, graph_state):
    graph_state.objects["100_1"] = {**COMMENT, "is_hidden": False}
    data = graph.get_object("100_1", fields="from{id,name},message", token=PAGE_TOKEN)
    assert data == {"id": "100_1", "from": COMMENT["from"], "message": COMMENT["message"]}
    [request] = graph_state.requests
    assert request["method"] == "GET" and request["path"] == "/v24.0/100_1"
    assert "fields=" in request["query"] and request["authorization"] == f"Bearer {PAGE_TOKEN}"
    with pytest.raises(GraphError) as wrong:
        graph.get_object("100_1", fields="message", token="another-token")
    assert wrong.value.kind is GraphErrorKind.token_invalid and wrong.value.code == 190


def test_any_api_version_is_served_from_the_root(fake_graph, graph_state):
    graph_state.objects["100_2"] = COMMENT
    for version in ("v19.0", "v24.0"):
        response = httpx.get(f"{fake_graph.base_url}/{version}/100_2", headers=AUTH)
        assert response.status_code == 200 and response.json()["message"] == COMMENT["message"]


def test_hide_unhide_and_delete_are_applied_and_recorded(api, graph_state):
    graph_state.objects["100_3"] = dict(COMMENT)
    started = time.monotonic()
    assert graph_state.hidden("100_3") is None
    assert api.post("100_3", data={"is_hidden": "true"}).json() == {"success": True}
    assert graph_state.hidden("100_3") is True
    assert api.post("100_3", params={"is_hidden": "false"}).json() == {"success": True}
    assert graph_state.hidden("100_3") is False
    assert api.post("100_3", json={"is_hidden": True}).json() == {"success": True}
    assert graph_state.hidden("100_3") is True
    assert api.get("100_3", params={"fields": "is_hidden"}).json() == {"id": "100_3",
                                                                        "is_hidden": True}
    assert not graph_state.deleted("100_3")
    assert api.delete("100_3").json() == {"success": True}
    assert graph_state.deleted("100_3")

    calls = graph_state.action_calls("100_3")
    assert [(c["method"], c["is_hidden"], c["status"]) for c in calls] == [
        ("POST", True, 200), ("POST", False, 200), ("POST", True, 200), ("DELETE", None, 200)]
    assert all(c["authorization"] == f"Bearer {PAGE_TOKEN}" for c in calls)
    times = [c["at"] for c in calls]
    assert started <= times[0] and times == sorted(times)
    assert all(datetime.fromisoformat(c["at_iso"]).tzinfo is not None for c in calls)
    assert graph_state.action_calls("100_other") == []


def test_a_post_without_a_boolean_is_hidden_changes_nothing(api, graph_state):
    graph_state.objects["100_4"] = dict(COMMENT)
    for data in ({}, {"is_hidden": "maybe"}):
        response = api.post("100_4", data=data)
        assert response.status_code == 400 and error_of(response)["code"] == 100
    assert graph_state.hidden("100_4") is None
    assert [c["is_hidden"] for c in graph_state.action_calls("100_4")] == [None, None]


def test_removed_and_unknown_objects_are_gone_for_every_method(api, graph, graph_state):
    graph_state.objects["100_5"] = dict(COMMENT)
    assert api.delete("100_5").status_code == 200
    with pytest.raises(GraphError) as gone:
        graph.get_object("100_5", fields="message", token=PAGE_TOKEN)
    assert gone.value.kind is GraphErrorKind.gone
    assert (gone.value.code, gone.value.subcode, gone.value.status) == (100, 33, 400)
    for object_id in ("100_5", "100_never"):
        for response in (api.post(object_id, data={"is_hidden": "true"}),
                         api.delete(object_id), api.get(object_id)):
            error = error_of(response)
            assert (response.status_code, error["code"], error["error_subcode"]) == (400, 100, 33)
            assert classify(response.status_code, error) is GraphErrorKind.gone
    assert graph_state.hidden("100_5") is None and not graph_state.deleted("100_never")


@pytest.mark.parametrize("obj", [
    {"from": {"id": PAGE, "name": "Falu kommun"}, "message": "Vi svarar i morgon."},
    {"from": {"id": int(PAGE), "name": "Falu kommun"}, "message": "Ids come as numbers too."},
    {"by_page": True, "message": "Marked by flag"},
])
def test_a_comment_by_the_page_cannot_be_hidden(api, graph_state, obj):
    graph_state.page_ids.add(PAGE)
    graph_state.objects["100_6"] = dict(obj)
    for value in ("true", "false"):
        response = api.post("100_6", data={"is_hidden": value})
        error = error_of(response)
        assert response.status_code == 400 and error["code"] == 100
        assert "made by the page" in error["message"]
        # Not "gone" and not retryable: a request that can never succeed.
        assert classify(response.status_code, error) is GraphErrorKind.invalid
    assert graph_state.hidden("100_6") is None
    assert "by_page" not in api.get("100_6").json()
    assert api.delete("100_6").json() == {"success": True}  # the page may remove its own


def test_a_comment_by_someone_else_on_the_page_can_be_hidden(api, graph_state):
    graph_state.page_ids.add(PAGE)
    graph_state.objects["100_7"] = dict(COMMENT)
    assert api.post("100_7", data={"is_hidden": "true"}).status_code == 200


RATE_LIMITED = [rate_limit_error(code) for code in (4, 17, 32, 613, 80001)]
ERRORS = [
    *[(entry, GraphErrorKind.rate_limited) for entry in RATE_LIMITED],
    (graph_error(1, "An unknown error occurred", status=500), GraphErrorKind.transient),
    (graph_error(2, "Service temporarily unavailable", status=503), GraphErrorKind.transient),
    (graph_error(341, "Application limit reached"), GraphErrorKind.transient),
    (graph_error(999, "Internal server error", status=500), GraphErrorKind.transient),
    (graph_error(190, "Error validating access token", subcode=463), GraphErrorKind.token_invalid),
    (graph_error(10, "Permission denied", status=403), GraphErrorKind.permission),
    (graph_error(200, "Requires pages_manage_engagement", status=403),
     GraphErrorKind.permission),
    (graph_error(100, "Object does not exist", subcode=33), GraphErrorKind.gone),
]


@pytest.mark.parametrize(("entry", "kind"), ERRORS, ids=lambda v: getattr(v, "value", None))
def test_queued_failures_reach_the_client_classified(graph, graph_state, entry, kind):
    graph_state.objects["100_8"] = dict(COMMENT)
    graph_state.failures["100_8"] = [entry]
    with pytest.raises(GraphError) as failed:
        graph.get_object("100_8", fields="message", token=PAGE_TOKEN)
    assert failed.value.kind is kind
    assert failed.value.code == entry[1]["error"]["code"] and failed.value.status == entry[0]
    # One answer per request: the next one gets the object.
    assert graph.get_object("100_8", fields="message", token=PAGE_TOKEN)["message"]


@pytest.mark.parametrize("entry", RATE_LIMITED)
def test_rate_limit_answers_carry_the_usage_header(api, graph_state, entry):
    graph_state.objects["100_9"] = dict(COMMENT)
    graph_state.failures["100_9"] = [entry]
    response = api.get("100_9")
    assert response.status_code == 400
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
    [[bucket]] = usage.values()
    assert bucket["type"] == "pages" and bucket["estimated_time_to_regain_access"] == 1
    assert "X-Business-Use-Case-Usage" not in api.get("100_9").headers


def test_queued_failures_apply_to_hide_and_delete_before_anything_changes(api, graph_state):
    graph_state.objects["100_10"] = dict(COMMENT)
    graph_state.failures["100_10"] = [graph_error(2, "Service unavailable", status=503),
                                      rate_limit_error(32)]
    first = api.post("100_10", data={"is_hidden": "true"})
    second = api.delete("100_10")
    assert (first.status_code, error_of(first)["code"]) == (503, 2)
    assert (second.status_code, error_of(second)["code"]) == (400, 32)
    assert "X-Business-Use-Case-Usage" in second.headers
    assert graph_state.hidden("100_10") is None and not graph_state.deleted("100_10")
    assert api.post("100_10", data={"is_hidden": "true"}).status_code == 200
    assert [c["status"] for c in graph_state.action_calls("100_10")] == [503, 400, 200]


def test_fail_next_answers_the_next_requests_whatever_their_object(api, graph_state):
    graph_state.objects["100_11"] = dict(COMMENT)
    status, body, headers = rate_limit_error(4)
    graph_state.fail_next(2, status, body, headers)
    answers = [api.get("100_11"), api.delete("100_unknown"), api.get("100_11")]
    assert [r.status_code for r in answers] == [400, 400, 200]
    assert [error_of(r)["code"] for r in answers[:2]] == [4, 4]
    assert all("X-Business-Use-Case-Usage" in r.headers for r in answers[:2])
    assert not graph_state.deleted("100_unknown")


def elapsed(call: Any) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start


def test_delays_apply_to_every_request_and_per_object():
    with FakeGraphServer() as server, httpx.Client(base_url=server.base_url + "/v24.0/",
                                                   headers=AUTH) as api:
        state = server.state
        state.token = PAGE_TOKEN
        state.objects["fast"] = state.objects["slow"] = dict(COMMENT)
        assert elapsed(lambda: api.get("fast")) < 0.25
        state.delays["slow"] = 0.3
        assert elapsed(lambda: api.get("slow")) >= 0.3
        assert elapsed(lambda: api.delete("slow")) >= 0.3
        assert elapsed(lambda: api.get("fast")) < 0.25
        state.delay_seconds = 0.3
        assert elapsed(lambda: api.get("fast")) >= 0.3
        assert elapsed(lambda: api.get("slow")) >= 0.6
        state.media["m"] = ("image/jpeg", b"jpeg")
        assert elapsed(lambda: httpx.get(state.media_url("m"))) >= 0.3
        # A slow Graph API reaches the real client as a transient timeout.
        client = GraphClient(server.base_url + "/v24.0", timeout=0.1)
        try:
            with pytest.raises(GraphError) as slow:
                client.get_object("fast", fields="message", token=PAGE_TOKEN)
            assert slow.value.kind is GraphErrorKind.transient and "timeout" in str(slow.value)
        finally:
            client.close()


def test_media_is_served_without_a_token_until_its_url_expires(fake_graph, graph_state):
    graph_state.media["photo.jpg"] = ("image/jpeg", b"\xff\xd8 bytes")
    url = graph_state.media_url("photo.jpg")
    assert url.startswith(fake_graph.base_url + "/media/photo.jpg?") and "oe=" in url
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"\xff\xd8 bytes"
    assert response.headers["content-type"] == "image/jpeg"
    assert graph_state.requests == []  # media requests are logged apart
    assert graph_state.media_requests[0]["path"] == "/media/photo.jpg"

    short = graph_state.media_url("photo.jpg", ttl_seconds=0.4)
    oe = int(httpx.URL(short).params["oe"], 16)
    assert time.time() < oe <= time.time() + 1.5
    assert httpx.get(short).status_code == 200
    time.sleep(0.5)
    expired = httpx.get(short)
    assert expired.status_code == 403 and "expired" in expired.text
    assert httpx.get(url).status_code == 200  # the URL without a TTL still answers
    assert httpx.get(graph_state.media_url("photo.jpg", ttl_seconds=0)).status_code == 403
    assert httpx.get(url.replace("oh=", "oh=0")).status_code == 403
    assert httpx.get(fake_graph.base_url + "/media/missing.jpg").status_code == 404


def test_injected_media_failures_come_first(graph_state):
    graph_state.media["clip.mp4"] = ("video/mp4", b"mp4")
    graph_state.media_failures["clip.mp4"] = [503, 404]
    url = graph_state.media_url("clip.mp4")
    assert [httpx.get(url).status_code for _ in range(3)] == [503, 404, 200]


def test_before_action_sees_each_action_before_it_is_applied(api, graph_state):
    graph_state.objects["100_12"] = dict(COMMENT)
    seen: list[tuple[str, str, bool | None, bool]] = []

    def check(method: str, object_id: str) -> None:
        seen.append((method, object_id, graph_state.hidden(object_id),
                     graph_state.deleted(object_id)))

    graph_state.before_action = check
    api.get("100_12")
    api.post("100_12", data={"is_hidden": "true"})
    api.delete("100_12")
    assert seen == [("POST", "100_12", None, False), ("DELETE", "100_12", True, False)]
    assert graph_state.hook_failures == []


def test_a_failing_before_action_answers_500_and_is_recorded(api, graph_state):
    graph_state.objects["100_13"] = dict(COMMENT)

    def check(method: str, object_id: str) -> None:
        raise AssertionError(f"no snapshot committed for {object_id}")

    graph_state.before_action = check
    response = api.post("100_13", data={"is_hidden": "true"})
    error = error_of(response)
    assert response.status_code == 500 and "no snapshot committed for 100_13" in error["message"]
    assert classify(response.status_code, error) is GraphErrorKind.transient
    assert graph_state.hidden("100_13") is None  # the action was not applied
    assert api.delete("100_13").status_code == 500 and not graph_state.deleted("100_13")
    assert graph_state.hook_failures == [
        "POST 100_13: AssertionError: no snapshot committed for 100_13",
        "DELETE 100_13: AssertionError: no snapshot committed for 100_13"]


def test_reset_forgets_everything_but_the_token(api, graph_state):
    graph_state.objects["100_14"] = dict(COMMENT)
    graph_state.page_ids.add(PAGE)
    graph_state.media["a"] = ("text/plain", b"a")
    graph_state.delays["100_14"] = 1.0
    graph_state.delay_seconds = 1.0
    graph_state.before_action = lambda method, object_id: None
    graph_state.fail_next(1, *graph_error(2, status=503))
    graph_state.reset()
    assert api.delete("100_14").status_code == 400  # no queued failure, no object, no delay
    assert (graph_state.objects, graph_state.page_ids, graph_state.media) == ({}, set(), {})
    assert graph_state.before_action is None and graph_state.delay_seconds == 0
    assert graph_state.token == PAGE_TOKEN and len(graph_state.actions) == 1


def test_a_fixed_port_is_honoured():
    port = free_port()
    with FakeGraphServer(port=port) as server:
        assert server.port == port and server.base_url == f"http://127.0.0.1:{port}"
        server.state.objects["1"] = {"message": "hej"}
        response = httpx.get(f"{server.base_url}/v24.0/1",
                             headers={"Authorization": f"Bearer {server.state.token}"})
        assert response.json() == {"id": "1", "message": "hej"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_cli_serves_a_seed_and_stops_on_a_signal(tmp_path, sig):
    token = "local-token-0123456789"
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"objects": {"100_15": COMMENT, "100_16": {
        "from": {"id": PAGE}, "message": "Svar från kommunen"}}, "page_ids": [PAGE]}))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from app.fakegraph.cli import fake_graph_app; fake_graph_app()",
         "--port", str(port), "--token", token, "--seed", str(seed)],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        assert base in first
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"{base}/v24.0/100_15", params={"fields": "message"},
                                     headers=headers, timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert response.json() == {"id": "100_15", "message": COMMENT["message"]}
        refused = httpx.post(f"{base}/v24.0/100_16", data={"is_hidden": "true"},
                             headers=headers)
        assert refused.status_code == 400 and "made by the page" in refused.text
        wrong = httpx.get(f"{base}/v24.0/100_15", headers=AUTH)
        assert error_of(wrong)["code"] == 190
        proc.send_signal(sig)
        proc.wait(15)
        # Read through the same buffered streams: readline may already hold later lines.
        out, err = first + proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0, err
    assert f"UPPSIKT_GRAPH_BASE_URL={base}" in out and "stopped" in out
    assert token not in out + err


def test_the_cli_refuses_a_bad_seed_and_a_busy_port(tmp_path):
    command = [sys.executable, "-c",
               "from app.fakegraph.cli import fake_graph_app; fake_graph_app()"]
    seed = tmp_path / "seed.json"
    seed.write_text('{"objects": ["not", "a", "mapping"]}')
    bad = subprocess.run([*command, "--port", "0", "--seed", str(seed)], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "seed" in bad.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = subprocess.run([*command, "--port", str(busy.getsockname()[1])], cwd=ROOT,
                               capture_output=True, text=True, timeout=30)
    assert taken.returncode == 2 and "cannot listen" in taken.stderr

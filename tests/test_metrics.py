"""/metrics: what the service counts, the queues it reads from the database, and what it
never shows (tokens, secrets, the text people wrote)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select, text

from app.alerts.service import raise_alert
from app.content.models import Item
from app.core.db import Database
from app.core.queue_metrics import QueueCollector, database_fingerprint, start_metrics_server
from app.jobs.runner import run_job
from app.main import create_app
from app.moderation.models import Action
from tests.conftest import (
    APP_SECRET,
    FEED_PAGE,
    PAGE_TOKEN,
    SECRET_KEY,
    VERIFY_TOKEN,
    add_test_page,
    post_signed,
)
from tests.test_processing import comment, delivery

RUDE = "Din jävla idiot"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(body: str) -> Samples:
    """Every sample of a text exposition, by name and labels (parsing proves the format)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def process_samples() -> Samples:
    return parse(generate_latest(REGISTRY).decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def scrape(client: TestClient, **headers: str) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


# Counted independently of the collector's queries.
QUEUE_SQL = {
    "inbox_deliveries": "SELECT count(*) FROM inbox_event WHERE status = 'received'",
    "changes_pending": "SELECT count(*) FROM inbox_change WHERE status = 'pending'",
    "changes_held": "SELECT count(*) FROM inbox_change WHERE status = 'held'",
    "actions_pending": "SELECT count(*) FROM action WHERE status = 'pending'",
    "media_pending": "SELECT count(*) FROM snapshot_media WHERE status = 'pending'",
    "registration_pending": "SELECT count(*) FROM registration_case WHERE status = 'pending'",
    "alerts_open": "SELECT count(*) FROM alert WHERE resolved_at IS NULL",
    "questions_open": "SELECT count(*) FROM service_question WHERE status = 'open'",
}


def test_a_hidden_comment_is_counted_and_the_queues_match_the_database(
        client, db, processor, graph_state):
    add_test_page(db)
    comment_id = f"{FEED_PAGE}_100_1"
    graph_state.objects[comment_id] = {"message": RUDE, "is_hidden": False}
    before = process_samples()

    assert post_signed(client, delivery(comment(comment_id, message=RUDE))).status_code == 200
    processor.run_until_idle()
    assert graph_state.hidden(comment_id) is True
    # A change for a page Uppsikt does not manage is held; a delivery still waits.
    other = delivery(comment("999_1_1", message="Hej"), page="999")
    assert post_signed(client, other).status_code == 200
    processor.run_until_idle()
    waiting = delivery(comment(f"{FEED_PAGE}_100_2", message="Tack", time=1700000050))
    assert post_signed(client, waiting).status_code == 200
    assert post_signed(client, b'{"object":"page"}', secret="wrong").status_code == 403
    assert client.post("/webhooks/meta", content=b"{}").status_code == 401
    with db.transaction() as session:
        raise_alert(session, "test.alert", "key", "An alert to count")

    body = scrape(client)
    after = parse(body)
    assert delta(before, after, "uppsikt_webhook_deliveries_total",
                 result="accepted", reason="stored") == 3
    assert delta(before, after, "uppsikt_webhook_deliveries_total",
                 result="refused", reason="bad_signature") == 1
    assert delta(before, after, "uppsikt_webhook_deliveries_total",
                 result="refused", reason="missing_signature") == 1
    assert delta(before, after, "uppsikt_deliveries_processed_total", result="split") == 2
    assert delta(before, after, "uppsikt_changes_processed_total", result="done") == 1
    assert delta(before, after, "uppsikt_changes_processed_total", result="held") == 1
    assert delta(before, after, "uppsikt_decisions_total",
                 decision="hide", category="profanity") == 1
    assert delta(before, after, "uppsikt_actions_total", kind="hide", result="done") == 1
    assert delta(before, after, "uppsikt_actions_total", kind="hide", result="failed") == 0
    assert delta(before, after, "uppsikt_time_to_act_seconds_count",
                 kind="hide", source="webhook") == 1
    observed = delta(before, after, "uppsikt_time_to_act_seconds_sum",
                     kind="hide", source="webhook")
    assert 0 <= observed < 60
    assert value(after, "process_cpu_seconds_total") > 0  # the default collectors

    database = database_fingerprint(db.url)
    assert value(after, "uppsikt_queue_read_success", database=database) == 1
    with db.engine.connect() as conn:
        for queue, sql in QUEUE_SQL.items():
            expected = conn.execute(text(sql)).scalar()
            assert value(after, "uppsikt_queue_depth", database=database,
                         queue=queue) == expected, queue
    assert value(after, "uppsikt_queue_depth", database=database, queue="inbox_deliveries") == 1
    assert value(after, "uppsikt_queue_depth", database=database, queue="changes_held") == 1
    assert value(after, "uppsikt_queue_depth", database=database, queue="alerts_open") == 1
    assert value(after, "uppsikt_queue_depth", database=database, queue="review") == 1
    assert value(after, "uppsikt_queue_depth", database=database, queue="actions_pending") == 0

    for secret in (APP_SECRET, PAGE_TOKEN, SECRET_KEY, VERIFY_TOKEN, "jävla", "idiot",
                   "j\\u00e4vla", db.url):
        assert secret not in body


def test_a_delete_counts_its_own_time_to_act(client, db, processor, graph_state):
    add_test_page(db)
    comment_id = f"{FEED_PAGE}_100_3"
    graph_state.objects[comment_id] = {"message": "x", "is_hidden": False}
    before = process_samples()
    policy = {"actions": {"profanity": "delete", "defamation": "delete"}}
    response = client.put(f"/api/v1/pages/{FEED_PAGE}/policy", json=policy,
                          headers={"Authorization": f"Bearer {_officer(db)}"})
    assert response.status_code == 200, response.text
    assert post_signed(client, delivery(comment(comment_id, message=RUDE))).status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        item_id = session.scalar(select(Item.id).where(Item.platform_id == comment_id))
        kinds = sorted((a.kind, a.status) for a in session.scalars(
            select(Action).where(Action.item_id == item_id)))
    assert kinds == [("delete", "done"), ("hide", "done")]
    after = process_samples()
    assert delta(before, after, "uppsikt_decisions_total",
                 decision="delete", category="profanity") == 1
    for kind in ("hide", "delete"):
        assert delta(before, after, "uppsikt_actions_total", kind=kind, result="done") == 1
        assert delta(before, after, "uppsikt_time_to_act_seconds_count",
                     kind=kind, source="webhook") == 1


def _officer(db: Database) -> str:
    from tests.conftest import api_token

    return api_token(db, "information_officer")


def test_a_refused_action_counts_as_failed_and_a_passing_error_as_retried(
        client, db, processor, graph_state):
    from tests.fakes.graph import graph_error

    add_test_page(db)
    refused, passing = f"{FEED_PAGE}_100_4", f"{FEED_PAGE}_100_5"
    for object_id in (refused, passing):
        graph_state.objects[object_id] = {"message": RUDE, "is_hidden": False}
    graph_state.failures[refused] = [graph_error(200, "Requires pages_manage_engagement", status=403)]
    graph_state.failures[passing] = [graph_error(1, "An unknown error occurred", status=500)]
    before = process_samples()
    body = delivery(comment(refused, message=RUDE), comment(passing, message=RUDE + "!"))
    assert post_signed(client, body).status_code == 200
    processor.run_until_idle()
    after = process_samples()
    assert delta(before, after, "uppsikt_actions_total", kind="hide", result="failed") == 1
    assert delta(before, after, "uppsikt_actions_total", kind="hide", result="retried") == 1
    assert delta(before, after, "uppsikt_time_to_act_seconds_count",
                 kind="hide", source="webhook") == 0


def test_job_runs_are_counted_by_status(db, job_env):
    before = process_samples()
    assert run_job(job_env, "inbox-report").status == "ok"
    after = process_samples()
    assert delta(before, after, "uppsikt_job_runs_total", job="inbox-report", status="ok") == 1
    assert delta(before, after, "uppsikt_job_duration_seconds_count", job="inbox-report") == 1


def test_queue_depths_are_cached_between_scrapes(db):
    now = [100.0]
    collector = QueueCollector(db, ttl=5, clock=lambda: now[0])

    def alerts() -> float:
        for family in collector.collect():
            for sample in family.samples:
                if sample.labels.get("queue") == "alerts_open":
                    return sample.value
        raise AssertionError("no alerts_open sample")

    assert alerts() == 0
    with db.transaction() as session:
        raise_alert(session, "test.alert", "cached", "Counted on the next read")
    now[0] += 4
    assert alerts() == 0  # still the cached read
    now[0] += 2
    assert alerts() == 1


def test_a_database_that_cannot_answer_is_reported_not_raised(tmp_path):
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables
    try:
        families = {f.name: f for f in QueueCollector(empty).collect()}
    finally:
        empty.dispose()
    [success] = families["uppsikt_queue_read_success"].samples
    assert success.value == 0
    assert "uppsikt_queue_depth" not in families


def test_a_metrics_token_is_required_when_set(settings, db):
    token = "metrics-token-0123456789"
    guarded = settings.model_copy(update={"metrics_token": SecretStr(token)})
    with TestClient(create_app(guarded)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code \
            == 401
        body = scrape(client, Authorization=f"Bearer {token}")
    assert "uppsikt_queue_depth" in body and token not in body


def test_no_token_means_open_metrics_and_the_ui_login_is_not_asked(client):
    response = client.get("/metrics", follow_redirects=False)
    assert response.status_code == 200
    assert "uppsikt_build_info" in response.text


def test_a_worker_serves_its_counters_on_a_port_of_its_own():
    server = start_metrics_server(0, host="127.0.0.1", token="worker-token-0123456789")
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        assert httpx.get(url, timeout=5).status_code == 401
        response = httpx.get(url, timeout=5,
                             headers={"Authorization": "Bearer worker-token-0123456789"})
        assert response.status_code == 200
        names = {f.name for f in text_string_to_metric_families(response.text)}
        assert {"uppsikt_actions", "uppsikt_changes_processed", "process_cpu_seconds"} <= names
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status,reason", [(413, "too_large"), (401, "missing_signature")])
def test_refusals_are_counted_by_reason(client, settings, status, reason):
    before = process_samples()
    if status == 413:
        big = b"x" * (settings.webhook_max_body_bytes + 1)
        assert post_signed(client, big).status_code == 413
    else:
        assert client.post("/webhooks/meta", content=b"{}").status_code == 401
    after = process_samples()
    assert delta(before, after, "uppsikt_webhook_deliveries_total",
                 result="refused", reason=reason) == 1
    assert delta(before, after, "uppsikt_webhook_deliveries_total",
                 result="accepted", reason="stored") == 0


def test_a_failing_change_does_not_undo_the_counts_of_the_others(client, db, processor,
                                                                  graph_state):
    """Each change runs in a savepoint; one rolled back keeps the batch's other counts."""
    add_test_page(db)
    good = f"{FEED_PAGE}_100_6"
    graph_state.objects[good] = {"message": RUDE, "is_hidden": False}
    before = process_samples()
    body = delivery(comment(good, message=RUDE),
                    comment(f"{FEED_PAGE}_100_7", message="Hej", time="not a time"))
    assert post_signed(client, body).status_code == 200
    processor.run_until_idle()
    after = process_samples()
    assert delta(before, after, "uppsikt_changes_processed_total", result="failed") == 1
    assert delta(before, after, "uppsikt_changes_processed_total", result="done") == 1
    assert delta(before, after, "uppsikt_decisions_total",
                 decision="hide", category="profanity") == 1
    assert delta(before, after, "uppsikt_actions_total", kind="hide", result="done") == 1

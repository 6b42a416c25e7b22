"""Hypothesis-generated payloads: the normaliser fails only in its own, explained ways, and
the webhook answers no 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content.normalise import (
    ChangeError,
    DeliveryError,
    Ignored,
    Operation,
    interpret,
    split_delivery,
)
from tests.conftest import post_signed

scalars = st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(
    allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=8), inner, max_size=4), max_leaves=20)
ids = st.one_of(st.integers(0, 10**15), st.text(min_size=1, max_size=20), st.none())
feed_values = st.fixed_dictionaries(
    {"item": st.sampled_from(["comment", "status", "photo", "video", "share", "reaction", "x"]),
     "verb": st.sampled_from(["add", "edited", "edit", "remove", "hide", "unhide", "block", "?"])},
    optional={"comment_id": ids, "post_id": ids, "parent_id": ids, "video_id": ids,
              "message": st.text(max_size=50) | st.integers(),
              "from": st.fixed_dictionaries({"id": ids}, optional={"name": json_values})
              | json_values,
              "sender_id": ids, "created_time": json_values, "photo": json_values,
              "photos": json_values, "link": json_values})
messaging = st.fixed_dictionaries(
    {"sender": st.fixed_dictionaries({"id": ids}) | json_values,
     "recipient": st.fixed_dictionaries({"id": ids}) | json_values},
    optional={"timestamp": json_values,
              "message": st.fixed_dictionaries({"mid": ids}, optional={
                  "text": json_values, "is_echo": st.booleans(),
                  "attachments": json_values | st.lists(st.dictionaries(
                      st.sampled_from(["type", "payload", "url", "title"]), json_values)),
                  "is_deleted": st.booleans(), "reply_to": json_values}),
              "message_edit": json_values, "read": json_values})
entries = st.fixed_dictionaries(
    {"id": ids, "time": json_values},
    optional={"changes": st.lists(st.fixed_dictionaries(
        {"field": st.sampled_from(["feed", "mention"]), "value": feed_values}), max_size=3),
        "messaging": st.lists(messaging, max_size=3)})
deliveries = st.fixed_dictionaries({"object": st.sampled_from(["page", "page", "user"]),
                                    "entry": st.lists(entries, max_size=3)})


def _normalise(body: bytes) -> None:
    try:
        changes = split_delivery(body)
    except DeliveryError:
        return
    for change in changes:
        try:
            result = interpret(change)
        except ChangeError:
            continue
        assert isinstance(result, Operation | Ignored)


@settings(max_examples=1500, deadline=None)
@given(deliveries)
def test_structured_payloads_fail_only_with_explained_errors(doc):
    _normalise(json.dumps(doc).encode())


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_fails_only_with_explained_errors(doc):
    _normalise(json.dumps(doc).encode())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300) | deliveries.map(lambda d: json.dumps(d).encode()))
def test_webhook_never_answers_5xx(client, body):
    assert post_signed(client, body).status_code == 200
    assert client.post("/webhooks/meta", content=body).status_code == 401


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(feed_values, min_size=1, max_size=4),
       messages=st.lists(messaging, max_size=2))
def test_processing_never_gets_stuck_on_hostile_changes(client, db, processor, changes,
                                                        messages):
    """Whatever arrives ends done, ignored or failed with a reason: never an unexpected
    error left retrying (which would mean a crash in our code or the database refusing)."""
    from sqlalchemy import select

    from app.webhooks.models import InboxChange, InboxEvent
    from tests.conftest import FEED_PAGE, add_test_page, clear_tables, meta_body

    clear_tables(db)
    add_test_page(db)
    body = meta_body({"object": "page", "entry": [
        {"id": FEED_PAGE, "time": 1700000000,
         "changes": [{"field": "feed", "value": v} for v in changes],
         "messaging": messages}]})
    assert post_signed(client, body).status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        rows = session.scalars(select(InboxChange)).all()
        stuck = [(r.status, r.last_error) for r in rows
                 if r.status not in ("done", "ignored", "failed")]
        assert stuck == []
        assert set(session.scalars(select(InboxEvent.status))) <= {"split", "failed"}

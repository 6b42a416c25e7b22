"""Every operation of the OpenAPI schema, fuzzed by Schemathesis with each role's token:
no 5xx, and every answer as the schema documents it (status, content type, body).

The application runs in-process (ASGI) on the test database, seeded with a page, archived
comments, a secret one with its registration case, and a direct message, so that the
generated requests reach real rows as well as missing ones. The signed webhook POST is
fuzzed here too, with the body signed as sent; what it stores is then processed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from app.content.models import Item, ItemStateEvent, ItemVersion
from app.core.config import Settings
from app.main import create_app
from app.moderation.models import RegistrationCase
from app.webhooks.asgi import WEBHOOK_PATH
from app.webhooks.models import InboxChange, InboxEvent
from app.webhooks.signature import sign
from tests.conftest import (
    APP_SECRET,
    FEED_PAGE,
    MESSENGER_PAGE,
    SECRET_KEY,
    add_test_page,
    api_token,
    meta_body,
)
from tests.test_processing import comment, delivery
from tests.test_registration import SECRET_TEXT

ROLES = ("information_officer", "moderator", "registrar", "auditor")
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]
# Ids that exist once the database is seeded; generated path parameters are swapped for
# them half of the time, so the fuzzing reaches real items and cases, not only 404s.
KNOWN: dict[str, list[Any]] = {}


def _schema() -> schemathesis.BaseSchema:
    """The schema the application serves (it does not depend on the database)."""
    app = create_app(Settings(_env_file=None, database_url="sqlite://", secret_key=SECRET_KEY,
                              meta_app_secret=APP_SECRET, meta_verify_token="x" * 20))
    return schemathesis.openapi.from_dict(app.openapi())


SCHEMA = _schema()


@SCHEMA.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    path_parameters = path_parameters or {}
    known = {name: st.sampled_from(KNOWN[name]) for name in path_parameters if KNOWN.get(name)}
    if not known:
        return st.just(path_parameters)
    return st.just(path_parameters) | st.fixed_dictionaries({**{
        name: st.just(value) for name, value in path_parameters.items()}, **known})


@pytest.fixture
def fuzz_app(settings: Settings, db: Any, processor: Any, graph_state: Any) -> Iterator[Any]:
    """A seeded application and a client that calls it in-process (lifespan started)."""
    app = create_app(settings)
    with asgi.get_client(app) as client:
        _seed(client, db, processor, graph_state)
        yield client
    asgi.shutdown_lifespans()
    KNOWN.clear()


def _seed(client: Any, db: Any, processor: Any, graph_state: Any) -> None:
    add_test_page(db)
    add_test_page(db, MESSENGER_PAGE, unit="Socialnämnden", name="Socialtjänsten")
    changes = [comment(f"{FEED_PAGE}_100_1", message="Snöröjningen är bra"),
               comment(f"{FEED_PAGE}_100_2", message=SECRET_TEXT),
               comment(f"{FEED_PAGE}_100_3", message="<script>alert(1)</script> idiot")]
    for change in changes:
        graph_state.objects[change["value"]["comment_id"]] = {
            "message": change["value"]["message"]}
    dm = meta_body({"object": "page", "entry": [{"id": MESSENGER_PAGE, "time": 1700000000,
        "messaging": [{"sender": {"id": "777"}, "recipient": {"id": MESSENGER_PAGE},
                       "timestamp": 1700000000000,
                       "message": {"mid": "m_1", "text": "Hej, en fråga om bygglov"}}]}]})
    for body in (delivery(*changes), dm):
        assert client.post(WEBHOOK_PATH, data=body, headers={
            "X-Hub-Signature-256": sign(APP_SECRET, body)}).status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        cases = list(session.scalars(select(RegistrationCase.id)))
        assert session.scalar(select(InboxChange).where(InboxChange.status != "done")) is None
    assert len(cases) >= 2, "the secret comment and the message each make a case"
    KNOWN.update(platform_id=[c["value"]["comment_id"] for c in changes] + ["m_1"],
                 page_id=[FEED_PAGE, MESSENGER_PAGE], case_id=cases, position=[0, 1])


@pytest.fixture(params=ROLES)
def auth(request: pytest.FixtureRequest, fuzz_app: Any, db: Any) -> dict[str, str]:
    """A bearer token of each role (a moderator of the feed page's unit)."""
    role = request.param
    unit = "Kommunstyrelsen" if role == "moderator" else None
    return {"Authorization": f"Bearer {api_token(db, role, unit=unit)}"}


FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.filter_too_much])


@SCHEMA.exclude(path=WEBHOOK_PATH, method="POST").parametrize()
@FUZZ
def test_api_operations_answer_as_documented(case, fuzz_app, auth):
    case.call_and_validate(session=fuzz_app, headers=auth, checks=CHECKS)


def _raw(body: Any) -> bytes:
    """The bytes to sign: a generated body as Meta would send it (JSON), or as it is."""
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes | str):
        return body.encode() if isinstance(body, str) else body
    return meta_body(body)


@SCHEMA.include(path=WEBHOOK_PATH, method="POST").parametrize()
@FUZZ
def test_signed_webhook_bodies_are_stored_and_processed(case, fuzz_app, db, processor):
    """Whatever JSON the schema lets through, signed as sent: 200, and the processor
    ends every change done, ignored, held or failed with its reason."""
    body = _raw(case.body)
    response = fuzz_app.post(WEBHOOK_PATH, data=body, headers={
        "X-Hub-Signature-256": sign(APP_SECRET, body), "Content-Type": "application/json"})
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        stuck = session.scalars(select(InboxChange).where(
            InboxChange.status.not_in(("done", "ignored", "held", "failed")))).all()
        assert [(c.status, c.last_error) for c in stuck] == []


# -- Meta's shapes, hostile: signed as Meta signs, then processed ------------------------
PAGES = st.sampled_from([FEED_PAGE, MESSENGER_PAGE, "999000999"])  # the last: not managed


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, *,
           odds: int = 10) -> st.SearchStrategy:
    """The well-formed value but once in ``odds``: deep enough into the processing to find
    faults there, not only in the first check of the shape."""
    return st.integers(1, odds).flatmap(lambda n: bad if n == 1 else good)


def shape(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """The frame of a delivery: broken rarely, as one break fails the whole delivery."""
    return mostly(good, bad, odds=40)


huge_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=3).map(
    lambda s: s * 4000)  # up to 12,000 code points: 100 kB once escaped as \uXXXX pairs
hostile_text = mostly(st.text(max_size=40) | st.sampled_from([
    "<script>alert(1)</script>", "\u202eevil", "a\x00b", "𝔦𝔡𝔦𝔬𝔱", "811228-9874",
    "'; DROP TABLE item; --"]), huge_text, odds=8)
plausible_id = (st.builds(lambda p, n: f"{p}_{n}", PAGES, st.integers(0, 50))
                | st.integers(0, 10**15) | st.integers(0, 50).map(str))
any_id = mostly(plausible_id, st.one_of(st.integers(-2**63, 2**64), hostile_text, st.none(),
                                        st.floats(), st.booleans()))
nested = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                      max_leaves=40)
sender = mostly(st.fixed_dictionaries({"id": any_id}, optional={"name": hostile_text}),
                nested)
feed_value = st.fixed_dictionaries({
    "item": mostly(st.sampled_from(["comment", "status", "photo", "video", "share"]), any_id),
    "verb": mostly(st.sampled_from(["add", "edited", "edit", "remove", "hide", "unhide"]),
                   any_id),
    "comment_id": any_id, "post_id": any_id, "parent_id": any_id, "from": sender}, optional={
    "sender_id": any_id, "sender_name": hostile_text, "message": mostly(hostile_text, nested),
    "created_time": mostly(st.integers(0, 2**40), any_id | nested),
    "photo": mostly(hostile_text, nested), "link": hostile_text,
    "is_hidden": mostly(st.booleans(), nested)})
meta_message = st.fixed_dictionaries({"mid": any_id}, optional={
    "text": mostly(hostile_text, nested), "is_echo": mostly(st.booleans(), nested),
    "attachments": mostly(st.lists(st.fixed_dictionaries({
        "type": mostly(st.sampled_from(["image", "video", "file", "fallback"]), any_id)},
        optional={"payload": mostly(st.fixed_dictionaries({"url": hostile_text}), nested)}),
        max_size=3), nested)})
messaging_event = st.fixed_dictionaries({
    "sender": sender, "recipient": st.fixed_dictionaries({"id": mostly(PAGES, any_id)}),
    "timestamp": mostly(st.integers(0, 2**50), any_id),
    "message": mostly(meta_message, nested)})
meta_entry = st.fixed_dictionaries({
    "id": shape(PAGES, any_id), "time": shape(st.integers(0, 2**40), any_id),
    "changes": shape(st.lists(st.fixed_dictionaries({
        "field": shape(st.just("feed"), any_id), "value": shape(feed_value, nested)}),
        min_size=1, max_size=4), nested)}, optional={
    "messaging": shape(st.lists(messaging_event, min_size=1, max_size=3), nested)})
meta_delivery = st.fixed_dictionaries({
    "object": shape(st.just("page"), any_id),
    "entry": shape(st.lists(meta_entry, min_size=1, max_size=3), nested)})


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(docs=st.lists(meta_delivery, min_size=1, max_size=3))
def test_hostile_meta_deliveries_end_stored_with_a_reason_or_applied_whole(fuzz_app, db,
                                                                           processor, docs):
    """Signed hostile deliveries in Meta's shapes: 200 (or 413 when too large), and the
    processor, which must not raise, leaves every change done, ignored, held or failed with
    its reason, never retrying on an error of ours; versions and state events come only
    from changes that were applied whole."""
    with db.transaction() as session:
        before = session.scalar(select(func.max(InboxChange.id))) or 0
    for doc in docs:
        body = meta_body(doc)
        response = fuzz_app.post(WEBHOOK_PATH, data=body, headers={
            "X-Hub-Signature-256": sign(APP_SECRET, body), "Content-Type": "application/json"})
        assert response.status_code == (200 if len(body) <= 1024 * 1024 else 413)
        event(f"webhook {response.status_code}")
    processor.run_until_idle()
    with db.transaction() as session:
        changes = session.scalars(select(InboxChange)).all()
        for change in changes:
            if change.id > before:  # what this example brought (shown with statistics)
                event(f"change {change.status}", (change.last_error or "")[:40])
        unsettled = [(c.status, c.last_error) for c in changes if c.status not in
                     ("done", "ignored", "held", "failed")]
        assert unsettled == [], "a change left retrying: an unexpected error of ours"
        assert all(c.last_error for c in changes if c.status in ("failed", "held"))
        assert all(c.item_id for c in changes if c.status == "done")
        applied = {c.id for c in changes if c.status == "done"}
        for model in (ItemVersion, ItemStateEvent):
            orphans = session.scalars(select(model.change_id).where(
                model.change_id.is_not(None), model.change_id.not_in(applied or {0}))).all()
            assert orphans == [], f"{model.__name__} written by a change that did not apply"
        events = session.scalars(select(InboxEvent)).all()
        assert {e.status for e in events} <= {"split", "failed"}
        assert all(e.error for e in events if e.status == "failed")
        assert session.scalar(select(func.count()).select_from(Item).where(
            ~Item.versions.any() & ~Item.state_events.any())) == 0, "an item with no history"

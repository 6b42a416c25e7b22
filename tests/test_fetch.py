"""Fields missing from a payload are fetched from the Graph API (a fake one, over HTTP)."""

from __future__ import annotations

from sqlalchemy import select, update

from app.content.models import Item
from app.core.db import utcnow
from app.pages.models import Page
from app.pages.service import set_page_token
from tests.conftest import (
    FEED_PAGE,
    MESSENGER_PAGE,
    PAGE_TOKEN,
    SECRET_KEY,
    add_test_page,
    fixture_bytes,
)
from tests.fakes.graph import graph_error
from tests.test_processing import comment, deliver, delivery, get_item


def anonymous_comment(cid: str, message: str | None = None) -> bytes:
    change = comment(cid, message=message)
    del change["value"]["from"]
    return delivery(change)


def make_due(db, platform_id: str) -> None:
    with db.transaction() as session:
        session.execute(update(Item).where(Item.platform_id == platform_id)
                        .values(fetch_next_at=utcnow()))


def test_missing_sender_and_text_are_fetched(client, db, processor, graph_state):
    add_test_page(db)
    graph_state.objects["100_40"] = {"from": {"id": "777", "name": "Märta Ek"},
                                     "message": "Varför är simhallen stängd?"}
    deliver(client, processor, anonymous_comment("100_40"))
    item = get_item(client, db, "100_40")
    assert item["author"] == {"id": "777", "name": "Märta Ek"}
    assert item["versions"][0]["message"] == "Varför är simhallen stängd?"
    assert item["versions"][0]["source"] == "graph"
    assert item["fetch_status"] == "done"
    [request] = graph_state.requests
    assert request["path"] == "/v24.0/100_40"
    assert "from" in request["query"] and "message" in request["query"]
    # The token travels in a header, never in the URL.
    assert request["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert PAGE_TOKEN not in request["query"]


def test_failed_fetch_keeps_the_item_and_retries_later(client, db, processor, graph_state):
    add_test_page(db)
    graph_state.objects["100_41"] = {"from": {"id": "778", "name": "Nils"}}
    graph_state.failures["100_41"] = [graph_error(2, "Service temporarily unavailable",
                                                  status=503)]
    deliver(client, processor, anonymous_comment("100_41", "Hej kommunen"))
    item = get_item(client, db, "100_41")
    assert item["author"] is None
    assert item["versions"][0]["message"] == "Hej kommunen"  # kept with what is known
    assert item["fetch_status"] == "pending"
    assert "transient" in item["fetch_error"]
    with db.transaction() as session:
        row = session.scalar(select(Item).where(Item.platform_id == "100_41"))
        assert row.fetch_attempts == 1 and row.fetch_next_at > utcnow()
    processor.run_until_idle()
    assert len(graph_state.requests) == 1  # not before it is due
    make_due(db, "100_41")
    processor.run_until_idle()
    item = get_item(client, db, "100_41")
    assert item["author"] == {"id": "778", "name": "Nils"}
    assert item["fetch_status"] == "done"


def test_object_gone_stops_fetching(client, db, processor, graph_state):
    add_test_page(db)
    deliver(client, processor, anonymous_comment("100_42", "Borta snart"))
    item = get_item(client, db, "100_42")
    assert item["fetch_status"] == "gone"
    assert item["versions"][0]["message"] == "Borta snart"


def test_invalid_token_marks_the_page_and_pauses(client, db, processor, graph_state):
    add_test_page(db)
    graph_state.token = "a-newer-token"  # ours is no longer accepted
    deliver(client, processor, anonymous_comment("100_43", "Hallå"))
    with db.transaction() as session:
        page = session.scalar(select(Page))
        assert page.token_status == "invalid"
        item = session.scalar(select(Item).where(Item.platform_id == "100_43"))
        assert item.fetch_status == "pending"
        assert (item.fetch_next_at - utcnow()).total_seconds() > 600
    make_due(db, "100_43")
    processor.run_until_idle()
    assert len(graph_state.requests) == 1  # a page with a bad token is not called again
    with db.transaction() as session:
        set_page_token(session, secret_key=SECRET_KEY, platform_id=FEED_PAGE,
                       token="a-newer-token")
    graph_state.objects["100_43"] = {"from": {"id": "5", "name": "Ny"}}
    processor.run_until_idle()  # due at once, not after the long pause
    assert get_item(client, db, "100_43")["author"] == {"id": "5", "name": "Ny"}


def test_messenger_sender_name_is_fetched(client, db, processor, graph_state):
    add_test_page(db, MESSENGER_PAGE)
    graph_state.objects["987654321432"] = {"name": "Kalle Anka"}
    deliver(client, processor, fixture_bytes("messaging-message-basic.json"))
    item = get_item(client, db, "mid.1457764197618:41d102a3e1ae206a38")
    assert item["author"] == {"id": "987654321432", "name": "Kalle Anka"}
    assert graph_state.requests[0]["query"] == "fields=name"


def test_graph_never_answering_is_a_transient_error(settings, db, graph_state):
    import httpx

    from app.graph.client import GraphClient, GraphError, GraphErrorKind

    def timeout(request):
        raise httpx.ReadTimeout("slow", request=request)

    client = GraphClient("http://graph.invalid/v24.0", transport=httpx.MockTransport(timeout))
    try:
        client.get_object("1", fields="id", token="t")
    except GraphError as exc:
        assert exc.kind is GraphErrorKind.transient and exc.retryable
    else:
        raise AssertionError("no error raised")
    finally:
        client.close()


import pytest  # noqa: E402

from app.graph.client import GraphErrorKind, classify  # noqa: E402


@pytest.mark.parametrize(("status", "error", "kind"), [
    (400, {"code": 4}, GraphErrorKind.rate_limited),
    (400, {"code": 17}, GraphErrorKind.rate_limited),
    (400, {"code": 32}, GraphErrorKind.rate_limited),
    (400, {"code": 613}, GraphErrorKind.rate_limited),
    (400, {"code": 80001}, GraphErrorKind.rate_limited),
    (500, {"code": 1}, GraphErrorKind.transient),
    (500, {"code": 2}, GraphErrorKind.transient),
    (400, {"code": 341}, GraphErrorKind.transient),
    (502, {"code": 999}, GraphErrorKind.transient),
    (400, {"code": 190}, GraphErrorKind.token_invalid),
    (403, {"code": 10}, GraphErrorKind.permission),
    (403, {"code": 200}, GraphErrorKind.permission),
    (403, {"code": 299}, GraphErrorKind.permission),
    (400, {"code": 100, "error_subcode": 33}, GraphErrorKind.gone),
    (400, {"code": 33}, GraphErrorKind.gone),
    (404, {"code": 100}, GraphErrorKind.gone),
    (400, {"code": 100}, GraphErrorKind.invalid),
])
def test_graph_error_classification(status, error, kind):
    assert classify(status, error) is kind


def test_object_ids_cannot_leave_their_path():
    import httpx

    from app.graph.client import GraphClient, GraphError

    seen = []

    def record(request):
        seen.append(request.url.raw_path)
        return httpx.Response(200, json={"id": "x"})

    client = GraphClient("http://graph.test/v24.0", transport=httpx.MockTransport(record))
    try:
        client.get_object("../me/accounts?x=", fields="name", token=PAGE_TOKEN)
        assert seen == [b"/v24.0/..%2Fme%2Faccounts%3Fx%3D?fields=name"]
        client.get_object("\x1b[31m", fields="name", token=PAGE_TOKEN)
        assert seen[-1] == b"/v24.0/%1B%5B31m?fields=name"
        with pytest.raises(GraphError) as bad:  # httpx refuses it: an error we classify
            client.get_object("x" * 70000, fields="name", token=PAGE_TOKEN)
        assert bad.value.kind is GraphErrorKind.invalid
    finally:
        client.close()

"""Reconciliation against the fake Graph API over HTTP and the real database: what no
webhook brought is found, processed through the same rules exactly once, and a silent
page's subscription is checked and renewed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.alerts.models import Alert
from app.audit.models import AuditEntry
from app.content.models import Item, ItemVersion
from app.core.db import utcnow
from app.graph.client import GraphClient
from app.jobs.runner import run_job
from app.moderation.models import Action
from app.pages.models import Page
from app.reconcile.models import PageWatch
from app.reconcile.service import POLL_MARGIN, SETTLE
from app.webhooks.models import InboxEvent
from tests.conftest import FEED_PAGE, add_test_page, post_signed
from tests.fakes.graph import graph_error, rate_limit_error
from tests.test_processing import comment, delivery

PAGE = FEED_PAGE
POST = f"{PAGE}_100"
RUDE = "Din jävla idiot"


def ago(minutes: float) -> datetime:
    return utcnow() - timedelta(minutes=minutes)


def reconcile(job_env: Any, now: datetime | None = None) -> dict[str, Any]:
    outcome = run_job(job_env, "reconcile", now=now)
    assert outcome.status == "ok", outcome.error
    assert outcome.summary is not None
    return outcome.summary


def count(db: Any, model: Any, *where: Any) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def versions(db: Any, platform_id: str) -> list[tuple[str | None, str, str]]:
    with db.transaction() as session:
        rows = session.execute(
            select(ItemVersion.text, ItemVersion.verb, ItemVersion.source)
            .join(Item, Item.id == ItemVersion.item_id).where(Item.platform_id == platform_id)
            .order_by(ItemVersion.observed_at, ItemVersion.seq)).all()
    return [tuple(r) for r in rows]


def watch(db: Any) -> PageWatch:
    with db.transaction() as session:
        row = session.scalar(select(PageWatch))
        assert row is not None
        session.expunge(row)
        return row


def graph_calls(state: Any, edge: str | None = None) -> list[dict[str, Any]]:
    return [r for r in state.requests if edge is None or r.get("edge") == edge]


def subscribed_now(state: Any) -> None:
    state.subscriptions[PAGE] = ["feed", "messages"]


@pytest.fixture
def page(db: Any, graph_state: Any) -> str:
    add_test_page(db)
    graph_state.add_post(PAGE, POST, "Simhallen öppnar igen i december.", created=ago(60))
    return PAGE


def test_a_comment_no_webhook_brought_is_found_and_hidden(db, job_env, processor, graph_state,
                                                          page):
    subscribed_now(graph_state)
    cid = f"{PAGE}_100_1"
    graph_state.add_comment(POST, cid, RUDE, created=ago(10))
    summary = reconcile(job_env)
    assert summary["found"] == 2  # the post and the comment
    with db.transaction() as session:
        [event] = session.scalars(select(InboxEvent)).all()
        assert event.source == "poll" and event.status == "received"
    processor.run_until_idle()
    assert versions(db, cid) == [(RUDE, "add", "poll")]
    assert versions(db, POST) == [("Simhallen öppnar igen i december.", "add", "poll")]
    assert graph_state.hidden(cid) is True  # the rules and the outbox, as for a webhook
    w = watch(db)
    assert w.last_poll_found == 2 and w.last_poll_error is None and w.next_poll_at is None
    assert w.polled_until is not None and w.polled_until <= utcnow() - SETTLE
    with db.transaction() as session:
        [entry] = session.scalars(select(AuditEntry).where(
            AuditEntry.act == "reconcile.found")).all()
        assert entry.detail["changes"] == 2 and RUDE not in json.dumps(entry.detail)


def test_the_webhook_arriving_after_the_poll_adds_nothing(client, db, job_env, processor,
                                                          graph_state, page):
    cid = f"{PAGE}_100_2"
    created = ago(10)
    graph_state.add_comment(POST, cid, RUDE, created=created)
    reconcile(job_env)
    processor.run_until_idle()
    late = delivery(comment(cid, message=RUDE, time=int(created.timestamp())),
                    time=int(utcnow().timestamp()))
    assert post_signed(client, late).status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        item = session.scalar(select(Item).where(Item.platform_id == cid))
        assert item is not None
        assert count(db, Item, Item.platform_id == cid) == 1
        assert count(db, ItemVersion, ItemVersion.item_id == item.id) == 1
        assert count(db, Action, Action.item_id == item.id) == 1
    assert len(graph_state.action_calls(cid)) == 1
    assert count(db, InboxEvent, InboxEvent.source == "webhook") == 1


def test_a_comment_the_webhook_brought_is_not_written_again(client, db, job_env, processor,
                                                            graph_state, page):
    cid = f"{PAGE}_100_3"
    created = ago(10)
    graph_state.add_comment(POST, cid, "Tack för informationen!", created=created)
    assert post_signed(client, delivery(comment(cid, message="Tack för informationen!",
                                                time=int(created.timestamp())))).status_code == 200
    processor.run_until_idle()
    summary = reconcile(job_env)
    assert summary["found"] == 1  # only the post, which no webhook brought
    processor.run_until_idle()
    assert versions(db, cid) == [("Tack för informationen!", "add", "webhook")]


def test_an_edit_found_by_polling_is_a_new_version_once(client, db, job_env, processor,
                                                        graph_state, page):
    cid = f"{PAGE}_100_4"
    created = ago(30)
    graph_state.add_comment(POST, cid, "Första", created=created)
    reconcile(job_env)
    processor.run_until_idle()
    graph_state.edit(cid, "Andra", at=ago(5))
    assert reconcile(job_env)["found"] == 1
    processor.run_until_idle()
    assert versions(db, cid) == [("Första", "add", "poll"), ("Andra", "edited", "poll")]
    # Meta's edit webhook comes late, timed before the poll saw the edit: nothing new.
    edit = delivery(comment(cid, "edited", "Andra", time=int(created.timestamp())),
                    time=int(ago(5).timestamp()))
    assert post_signed(client, edit).status_code == 200
    processor.run_until_idle()
    assert [v[0] for v in versions(db, cid)] == ["Första", "Andra"]
    assert reconcile(job_env)["found"] == 0


def test_comments_and_replies_are_followed_over_several_pages(db, job_env, processor,
                                                              graph_state, page):
    graph_state.max_page_size = 2
    ids = []
    for n in range(5):
        cid = f"{PAGE}_100_1{n}"
        graph_state.add_comment(POST, cid, f"Kommentar {n}", created=ago(50 - n))
        ids.append(cid)
    for n in range(2):
        rid = f"{PAGE}_100_2{n}"
        graph_state.add_comment(ids[0], rid, f"Svar {n}", created=ago(20 - n))
        ids.append(rid)
    assert reconcile(job_env)["found"] == 8
    pages = graph_calls(graph_state, "comments")
    assert len(pages) == 4 and all("filter=stream" in r["query"] for r in pages)
    assert all("after=" in r["query"] for r in pages[1:])
    assert all("access_token" not in r["query"] for r in graph_state.requests)
    processor.run_until_idle()
    with db.transaction() as session:
        kinds = dict(session.execute(select(Item.platform_id, Item.kind)
                                     .where(Item.platform_id.in_(ids))).all())
        parent = session.scalar(select(Item.parent_platform_id)
                                .where(Item.platform_id == ids[-1]))
    assert sorted(kinds) == sorted(ids)
    assert [kinds[i] for i in ids] == ["comment"] * 5 + ["reply"] * 2
    assert parent == ids[0]


def test_a_second_poll_with_nothing_new_writes_nothing(db, job_env, processor, graph_state,
                                                       page):
    for n in range(500):
        graph_state.add_comment(POST, f"{PAGE}_100_{1000 + n}", f"Fråga {n}", created=ago(10))
    assert reconcile(job_env)["found"] == 501
    processor.run_until_idle()
    first = watch(db)
    events = count(db, InboxEvent)
    graph_state.requests.clear()
    assert reconcile(job_env)["found"] == 0
    assert count(db, InboxEvent) == events
    assert len(graph_calls(graph_state, "comments")) == 5  # all 500 listed again, 100 a page
    second = watch(db)
    assert second.polled_until > first.polled_until and second.last_poll_found == 0
    # The next poll starts where the last one ended, less the margin.
    [feed] = graph_calls(graph_state, "feed")
    since = int(dict(httpx.QueryParams(feed["query"]))["since"])
    assert since == int((first.polled_until - POLL_MARGIN).timestamp())


def test_the_same_find_twice_before_processing_is_one_change(db, job_env, processor,
                                                             graph_state, page):
    cid = f"{PAGE}_100_5"
    graph_state.add_comment(POST, cid, RUDE, created=ago(10))
    reconcile(job_env)
    reconcile(job_env)  # the worker has not run in between
    processor.run_until_idle()
    assert versions(db, cid) == [(RUDE, "add", "poll")]
    assert len(graph_state.action_calls(cid)) == 1


def test_new_comments_are_left_to_their_webhook_for_a_moment(db, job_env, graph_state, page):
    graph_state.add_comment(POST, f"{PAGE}_100_6", "Just nu", created=ago(0.2))
    assert reconcile(job_env)["found"] == 1  # the post only
    assert reconcile(job_env, now=utcnow() + SETTLE + timedelta(minutes=1))["found"] == 2


def test_a_rate_limit_error_defers_the_page(db, job_env, graph_state, page):
    graph_state.add_comment(POST, f"{PAGE}_100_7", "Hej", created=ago(10))
    graph_state.fail_next(1, *rate_limit_error(32, regain_minutes=30))
    now = utcnow()
    summary = reconcile(job_env, now=now)
    assert summary["deferred"] == 1 and summary["found"] == 0
    w = watch(db)
    assert w.next_poll_at is not None and "rate_limited" in (w.last_poll_error or "")
    assert abs((w.next_poll_at - now) - timedelta(minutes=30)) < timedelta(seconds=1)
    assert w.polled_until is None
    calls = len(graph_state.requests)
    assert reconcile(job_env, now=now + timedelta(minutes=10))["deferred"] == 1
    assert len(graph_state.requests) == calls  # no call at all until then
    summary = reconcile(job_env, now=now + timedelta(minutes=31))
    assert summary["found"] == 2 and watch(db).next_poll_at is None


def test_high_usage_stops_the_poll_and_defers_the_page(db, job_env, graph_state, page):
    graph_state.max_page_size = 1
    for n in range(3):
        graph_state.add_comment(POST, f"{PAGE}_100_3{n}", f"K {n}", created=ago(10))
    graph_state.usage_headers["X-App-Usage"] = json.dumps(
        {"call_count": 92, "total_time": 10, "total_cputime": 10})
    now = utcnow()
    summary = reconcile(job_env, now=now)
    assert summary["deferred"] == 1
    assert len(graph_calls(graph_state)) == 1  # stopped after the first answer
    w = watch(db)
    assert w.next_poll_at == now + timedelta(minutes=15) and w.polled_until is None
    assert w.last_poll_found == 1  # what it had (the post) is kept
    graph_state.usage_headers.clear()
    graph_state.requests.clear()
    assert reconcile(job_env, now=now + timedelta(minutes=5))["deferred"] == 1
    assert graph_state.requests == []


def test_a_silent_page_gets_its_subscription_renewed(db, job_env, graph_state, page):
    assert PAGE not in graph_state.subscriptions
    summary = reconcile(job_env)
    assert summary["subscriptions_checked"] == 1 and summary["renewed"] == 1
    assert graph_state.subscriptions[PAGE] == ["feed", "messages"]
    [post] = [r for r in graph_calls(graph_state, "subscribed_apps") if r["method"] == "POST"]
    assert post["authorization"] == "Bearer page-token-secret"
    w = watch(db)
    assert w.subscription_status == "renewed" and w.subscription_checked_at is not None
    assert count(db, AuditEntry, AuditEntry.act == "reconcile.subscribed") == 1
    # Still silent, but checked within the silence period and nothing missed: no new check.
    graph_state.requests.clear()
    assert reconcile(job_env)["subscriptions_checked"] == 0
    assert graph_calls(graph_state, "subscribed_apps") == []
    later = utcnow() + timedelta(minutes=job_env.settings.webhook_silence_minutes + 1)
    assert reconcile(job_env, now=later)["subscriptions_checked"] == 1
    assert watch(db).subscription_status == "subscribed"  # found in place this time


def test_a_failed_subscription_raises_an_alert_until_it_works(db, job_env, graph_state, page):
    graph_state.subscribe_failure = graph_error(200, "(#200) Permissions error")
    assert reconcile(job_env)["subscription_failed"] == 1
    with db.transaction() as session:
        [alert] = session.scalars(select(Alert).where(Alert.kind == "subscription")).all()
        page_id = session.scalar(select(Page.id))
        assert alert.key == f"page:{page_id}" and alert.resolved_at is None
        assert alert.page_id == page_id and "Permissions" in alert.message
    w = watch(db)
    assert w.subscription_status == "failed" and "permission" in (w.subscription_error or "")
    graph_state.subscribe_failure = None
    assert reconcile(job_env)["renewed"] == 1
    with db.transaction() as session:
        [alert] = session.scalars(select(Alert).where(Alert.kind == "subscription")).all()
        assert alert.resolved_at is not None
    assert watch(db).subscription_error is None


def test_a_page_whose_webhooks_arrive_is_not_checked(client, db, job_env, processor,
                                                     graph_state, page):
    created = int(graph_state.created_at(POST))
    post = {"field": "feed", "value": {
        "item": "status", "verb": "add", "post_id": POST, "created_time": created,
        "message": "Simhallen öppnar igen i december.", "from": {"id": PAGE, "name": "Sidan"}}}
    assert post_signed(client, delivery(post)).status_code == 200
    processor.run_until_idle()
    graph_state.requests.clear()
    summary = reconcile(job_env)
    assert summary["found"] == 0 and summary["polled"] == 1
    assert graph_calls(graph_state, "subscribed_apps") == []


def test_polling_finding_what_webhooks_missed_checks_the_subscription(
        client, db, job_env, processor, graph_state, page):
    assert post_signed(client, delivery(comment(f"{PAGE}_100_9", message="Hej"))).status_code \
        == 200
    processor.run_until_idle()
    subscribed_now(graph_state)
    summary = reconcile(job_env)  # the post came by no webhook
    assert summary["found"] == 1 and summary["subscriptions_checked"] == 1
    assert watch(db).subscription_status == "subscribed"


def test_a_page_with_an_invalid_token_is_skipped(db, job_env, graph_state, page):
    with db.transaction() as session:
        session.execute(update(Page).values(token_status="invalid"))
    summary = reconcile(job_env)
    assert summary["no_token"] == 1 and summary["polled"] == 0
    assert graph_state.requests == []


def test_a_token_meta_refuses_marks_the_page(db, job_env, graph_state, page):
    graph_state.token = "another-token"
    summary = reconcile(job_env)
    assert summary["errors"] == 1
    with db.transaction() as session:
        assert session.scalar(select(Page.token_status)) == "invalid"
    graph_state.requests.clear()
    assert reconcile(job_env)["no_token"] == 1 and graph_state.requests == []


def test_posts_of_others_that_tag_the_page_are_left_alone(db, job_env, processor, graph_state,
                                                          page):
    other = "999999_123"
    graph_state.add_post(PAGE, other, "Vi taggar kommunen", created=ago(30),
                         sender={"id": "999999", "name": "Annan sida"})
    graph_state.add_comment(other, "999999_123_1", RUDE, created=ago(20))
    reconcile(job_env)
    processor.run_until_idle()
    assert count(db, Item, Item.platform_id.like("999999%")) == 0
    assert graph_calls(graph_state, "comments") and all(
        other not in r["path"] for r in graph_calls(graph_state, "comments"))


def test_a_visitor_photo_post_and_a_photo_comment_keep_their_media(db, job_env, processor,
                                                                   graph_state, page):
    graph_state.media["bild"] = ("image/jpeg", b"\xff\xd8jpeg")
    url = graph_state.media_url("bild")
    visitor = f"{PAGE}_200"
    graph_state.add_post(PAGE, visitor, "", created=ago(30), status_type="added_photos",
                         sender={"id": "556", "name": "Bo Ek"}, full_picture=url)
    graph_state.add_comment(visitor, f"{PAGE}_200_1", "", created=ago(20),
                            attachment={"type": "photo", "media": {"image": {"src": url}}})
    assert reconcile(job_env)["found"] == 3  # and the page's own post
    processor.run_until_idle()
    with db.transaction() as session:
        rows = session.execute(
            select(Item.platform_id, Item.kind, Item.platform_type, ItemVersion.text,
                   ItemVersion.media)
            .join(ItemVersion, ItemVersion.item_id == Item.id)
            .where(Item.platform_id.in_([visitor, f"{PAGE}_200_1"]))).all()
    found = {r[0]: r[1:] for r in rows}
    assert found[visitor][:3] == ("post", "photo", None)
    assert found[f"{PAGE}_200_1"][:3] == ("comment", "comment", None)
    assert all(v[3] and v[3][0]["type"] == "photo" for v in found.values())
    assert reconcile(job_env)["found"] == 0  # media only: the same empty text


def test_removed_pages_are_not_polled(db, job_env, graph_state, page):
    with db.transaction() as session:
        session.execute(update(Page).values(removed_at=utcnow()))
    assert reconcile(job_env)["pages"] == 0 and graph_state.requests == []


# -- the Graph client's listing ---------------------------------------------------------

def _listing_client(pages: list[dict[str, Any]], seen: list[httpx.Request]) -> GraphClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[len(seen) - 1],
                              headers={"X-Page-Usage": '{"call_count": 40}'})
    return GraphClient("https://graph.test/v24.0", transport=httpx.MockTransport(answer))


def test_paging_links_are_followed_only_on_the_same_host_and_edge():
    seen: list[httpx.Request] = []
    client = _listing_client([
        {"data": [{"id": "1"}], "paging": {"next": "https://graph.test/v24.0/42/comments?"
                                           "limit=1&after=QQ&access_token=leaked"}},
        {"data": [{"id": "2"}], "paging": {"next": "https://evil.test/v24.0/42/comments?"
                                           "after=Qg"}},
    ], seen)
    listings = list(client.comments("42", token="t0k", since=5))
    assert [row["id"] for listing in listings for row in listing.data] == ["1", "2"]
    assert [listing.usage.percent for listing in listings] == [40.0, 40.0]
    assert len(seen) == 2 and seen[1].url.params["after"] == "QQ"
    assert "access_token" not in str(seen[1].url) and "t0k" not in str(seen[1].url)
    assert all(r.headers["authorization"] == "Bearer t0k" for r in seen)
    assert seen[0].url.params["filter"] == "stream" and seen[0].url.params["since"] == "5"


def test_a_paging_link_to_another_edge_or_a_loop_ends_the_listing():
    seen: list[httpx.Request] = []
    client = _listing_client([
        {"data": [], "paging": {"next": "https://graph.test/v24.0/43/comments?after=x"}},
    ], seen)
    assert len(list(client.comments("42", token="t"))) == 1
    seen.clear()
    loop = {"data": [], "paging": {"next": "https://graph.test/v24.0/42/feed?after=x"}}
    client = _listing_client([loop, loop, loop], seen)
    assert len(list(client.feed("42", token="t"))) == 2  # the repeated link is not taken


def test_graph_times_and_ids_become_webhook_values():
    from app.reconcile.service import comment_value, post_value

    value = comment_value(POST, {"id": 7, "message": "Hej", "parent": {"id": f"{PAGE}_100_1"},
                                 "created_time": "2026-01-10T09:00:00+0000",
                                 "from": {"id": 555, "name": "Åsa"}})
    assert value == {"item": "comment", "verb": "add", "comment_id": "7", "post_id": POST,
                     "parent_id": f"{PAGE}_100_1", "message": "Hej",
                     "from": {"id": "555", "name": "Åsa"},
                     "created_time": int(datetime(2026, 1, 10, 9, tzinfo=UTC).timestamp())}
    assert comment_value(POST, {"id": 7, "created_time": "igår"}) is None
    assert post_value(PAGE, {"id": "1_2", "created_time": "2026-01-10T09:00:00+0000"}) is None

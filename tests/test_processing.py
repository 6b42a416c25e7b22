"""From committed deliveries to the archive: normalisation, history, idempotency, retries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.content.models import Item, ItemVersion
from app.core.db import utcnow
from app.webhooks.models import InboxChange, InboxEvent
from tests.conftest import (
    FEED_PAGE,
    MESSENGER_PAGE,
    add_test_page,
    api_token,
    fixture_bytes,
    fixture_names,
    meta_body,
    post_signed,
)
from tests.test_normalise import EXPECTED


def count(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def get_item(client, db, platform_id, role="auditor"):
    r = client.get(f"/api/v1/items/{platform_id}",
                   headers={"Authorization": f"Bearer {api_token(db, role)}"})
    assert r.status_code == 200, r.text
    return r.json()


def deliver(client, processor, *bodies: bytes) -> None:
    for body in bodies:
        assert post_signed(client, body).status_code == 200
    processor.run_until_idle()


def comment(comment_id: str, verb: str = "add", message: str | None = "Hej", *,
            time: int = 1700000000, **extra) -> dict:
    value = {"item": "comment", "verb": verb, "comment_id": comment_id,
             "post_id": f"{FEED_PAGE}_100", "parent_id": f"{FEED_PAGE}_100",
             "from": {"id": "555", "name": "Åsa Öberg"}, "created_time": time, **extra}
    if message is not None:
        value["message"] = message
    return {"field": "feed", "value": value}


def delivery(*changes: dict, page: str = FEED_PAGE, time: int = 1700000000) -> bytes:
    return meta_body({"object": "page",
                      "entry": [{"id": page, "time": time, "changes": list(changes)}]})


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_is_archived(client, db, processor, name):
    add_test_page(db, FEED_PAGE)
    add_test_page(db, MESSENGER_PAGE, name="Falu kommun Messenger")
    add_test_page(db, "123456789", name="Äldre sida")  # feed-status-unhide's page
    deliver(client, processor, fixture_bytes(name))
    kind, platform_id, verb, author_id, author_name, text, media, state_verb, _ = EXPECTED[name]
    with db.transaction() as session:
        [change] = session.scalars(select(InboxChange)).all()
        assert change.status == "done", change.last_error
    item = get_item(client, db, platform_id)
    assert item["kind"] == kind
    assert item["author"] == ({"id": author_id, "name": item["author"]["name"]}
                              if author_id else None)
    if author_name:
        assert item["author"]["name"] == author_name
    if verb in ("add", "edited", "edit") or text is not None or media:
        [version] = item["versions"]
        assert version["message"] == text
        assert [m["type"] for m in version["media"]] == list(media)
    else:
        assert item["versions"] == []
    if state_verb:
        [event] = item["state_history"]
        assert event["verb"] == state_verb
    else:
        assert item["state_history"] == []


def test_edits_are_new_versions_and_nothing_is_overwritten(client, db, processor):
    add_test_page(db)
    deliver(client, processor,
            delivery(comment("100_1", message="Första"), time=1700000000),
            delivery(comment("100_1", "edited", "Andra", time=1700000000), time=1700000100),
            delivery(comment("100_1", "edited", "Tredje", time=1700000000), time=1700000200))
    item = get_item(client, db, "100_1")
    assert [v["message"] for v in item["versions"]] == ["Första", "Andra", "Tredje"]
    assert [v["verb"] for v in item["versions"]] == ["add", "edited", "edited"]
    assert item["created_time"].startswith("2023-11-14T22:13:20")


def test_out_of_order_edit_before_add(client, db, processor):
    add_test_page(db)
    deliver(client, processor,
            delivery(comment("100_2", "edited", "Ändrad"), time=1700000500),
            delivery(comment("100_2", message="Original"), time=1700000000))
    item = get_item(client, db, "100_2")
    assert [v["message"] for v in item["versions"]] == ["Original", "Ändrad"]


def test_state_changes_by_others_are_history(client, db, processor):
    add_test_page(db)
    deliver(client, processor,
            delivery(comment("100_3"), time=1700000000),
            delivery(comment("100_3", "hide"), time=1700000100),
            delivery(comment("100_3", "unhide"), time=1700000200),
            delivery(comment("100_3", "remove", None), time=1700000300))
    item = get_item(client, db, "100_3")
    assert [(e["verb"], e["state"]) for e in item["state_history"]] == [
        ("hide", "hidden"), ("unhide", "visible"), ("remove", "removed")]
    assert item["state"] == "removed"
    assert item["state_history"][0]["actor_id"] == "555"
    assert len(item["versions"]) == 1  # hide/unhide repeat the text: no new version


def test_late_hide_does_not_override_a_later_remove(client, db, processor):
    add_test_page(db)
    deliver(client, processor,
            delivery(comment("100_4"), time=1700000000),
            delivery(comment("100_4", "remove", None), time=1700000300),
            delivery(comment("100_4", "hide"), time=1700000100))
    item = get_item(client, db, "100_4")
    assert item["state"] == "removed"
    assert [e["verb"] for e in item["state_history"]] == ["hide", "remove"]


def test_duplicates_create_nothing_new(client, db, processor):
    add_test_page(db)
    add_c = comment("100_5", message="En gång")
    edit_c = comment("100_5", "edited", "Två gånger")
    hide_c = comment("100_5", "hide")
    first = delivery(add_c, edit_c, hide_c, time=1700000000)
    deliver(client, processor, first, first)
    # the same changes again inside other batches, beside a new one
    deliver(client, processor, delivery(edit_c, comment("100_6"), add_c, time=1700000000))
    # and Meta sending the same change with another entry time
    deliver(client, processor, delivery(hide_c, add_c, time=1700000999))
    assert count(db, Item) == 2
    item = get_item(client, db, "100_5")
    assert [v["message"] for v in item["versions"]] == ["En gång", "Två gånger"]
    assert len(item["state_history"]) == 1
    assert count(db, InboxEvent) == 3  # the first body only once


def test_batch_of_several_entries_and_changes(client, db, processor):
    add_test_page(db)
    add_test_page(db, MESSENGER_PAGE)
    feed = json.loads(fixture_bytes("feed-post-add-25.json"))["entry"][0]
    feed["changes"].append(comment("100_7"))
    msg = json.loads(fixture_bytes("messaging-message-basic.json"))["entry"][0]
    other = {"id": FEED_PAGE, "time": 1700000001, "changes": [comment("100_8")]}
    deliver(client, processor, meta_body({"object": "page", "entry": [feed, msg, other]}))
    with db.transaction() as session:
        assert sorted(session.scalars(select(Item.platform_id))) == sorted([
            "1234567890321_7293787835232", "100_7", "100_8",
            "mid.1457764197618:41d102a3e1ae206a38"])
        assert set(session.scalars(select(InboxChange.status))) == {"done"}


def test_events_for_unknown_pages_are_held_then_released(client, db, processor):
    deliver(client, processor, delivery(comment("100_9"), page="999000"))
    with db.transaction() as session:
        [change] = session.scalars(select(InboxChange)).all()
        assert change.status == "held"
        assert "999000" in change.last_error
    assert count(db, Item) == 0
    token = api_token(db, "information_officer")
    r = client.get("/api/v1/inbox/changes", params={"status": "held"},
                   headers={"Authorization": f"Bearer {token}"})
    assert [c["page_id"] for c in r.json()["items"]] == ["999000"]
    assert add_test_page(db, "999000") == 1
    processor.run_until_idle()
    assert get_item(client, db, "100_9")["page_id"] == "999000"


def test_one_bad_change_never_blocks_the_others(client, db, processor, monkeypatch):
    import app.processing.processor as proc

    add_test_page(db)
    real = proc.apply_operation

    def flaky(session, page, op, **kw):
        if op.platform_id == "100_11":
            raise RuntimeError("database hiccup")
        return real(session, page, op, **kw)

    monkeypatch.setattr(proc, "apply_operation", flaky)
    deliver(client, processor,
            delivery(comment("100_10"), comment("100_11"), comment("100_12"),
                     {"field": "feed", "value": {"item": "comment", "verb": "add"}}))
    with db.transaction() as session:
        rows = {c.position: c for c in session.scalars(select(InboxChange))}
    assert [rows[i].status for i in range(4)] == ["done", "pending", "done", "failed"]
    failing = rows[1]
    assert failing.attempts == 1
    assert "database hiccup" in failing.last_error
    assert failing.next_attempt_at > utcnow() + timedelta(seconds=10)
    assert "comment_id" in rows[3].last_error
    # Nothing half-written for the failed change.
    with db.transaction() as session:
        assert session.scalar(select(Item).where(Item.platform_id == "100_11")) is None
    # Retried with backoff: not before it is due, then successfully.
    monkeypatch.setattr(proc, "apply_operation", real)
    processor.run_until_idle()
    with db.transaction() as session:
        assert session.get(InboxChange, failing.id).status == "pending"
        session.execute(update(InboxChange).where(InboxChange.id == failing.id)
                        .values(next_attempt_at=utcnow()))
    processor.run_until_idle()
    with db.transaction() as session:
        change = session.get(InboxChange, failing.id)
        assert change.status == "done" and change.attempts == 1
    assert get_item(client, db, "100_11")["versions"][0]["message"] == "Hej"


def test_worker_dying_mid_batch_leaves_rows_to_retry(client, db, processor, monkeypatch):
    """A crash (not an exception caught per change) rolls the whole batch back."""
    add_test_page(db)
    deliver(client, processor)  # nothing yet
    assert post_signed(client, delivery(comment("100_20"), comment("100_21"))).status_code == 200
    processor.split_deliveries()
    calls = []

    def die(session, change, page, received_at, policies):
        calls.append(change.id)
        if len(calls) == 2:
            raise SystemExit("killed")  # not an Exception: escapes the per-change guard
        return real(session, change, page, received_at, policies)

    real = processor._apply_one
    monkeypatch.setattr(processor, "_apply_one", die)
    with pytest.raises(SystemExit):
        processor.apply_changes()
    monkeypatch.undo()
    with db.transaction() as session:
        assert set(session.scalars(select(InboxChange.status))) == {"pending"}
        assert session.scalar(select(func.count()).select_from(ItemVersion)) == 0
    processor.run_until_idle()
    with db.transaction() as session:
        assert set(session.scalars(select(InboxChange.status))) == {"done"}
    assert count(db, Item) == 2


def test_messages_are_archived_with_attachments_and_deletion(client, db, processor):
    add_test_page(db, MESSENGER_PAGE)
    deliver(client, processor, fixture_bytes("messaging-message-media-attachment.json"))
    item = get_item(client, db, "mid.1458696618141:b4ef9d19ec21086067")
    assert item["kind"] == "message"
    assert item["versions"][0]["media"] == [{"type": "image", "url": "IMAGE_URL"}]
    assert item["author"]["id"] == "987654321432"
    deliver(client, processor, fixture_bytes("messaging-message-basic.json"),
            fixture_bytes("messaging-message-edits.json"))
    item = get_item(client, db, "mid.1457764197618:41d102a3e1ae206a38")
    assert len(item["versions"]) == 1  # the edit says the same text
    deliver(client, processor, fixture_bytes("messaging-message-isdeleted.json"))
    assert get_item(client, db, "message_id")["state"] == "removed"


def test_ignored_changes_are_kept_with_a_reason(client, db, processor):
    add_test_page(db, MESSENGER_PAGE)
    read = {"object": "page", "entry": [{"id": MESSENGER_PAGE, "time": 1, "messaging": [
        {"sender": {"id": "1"}, "recipient": {"id": MESSENGER_PAGE}, "timestamp": 1,
         "read": {"watermark": 1}}]}]}
    deliver(client, processor, meta_body(read))
    with db.transaction() as session:
        [change] = session.scalars(select(InboxChange)).all()
    assert change.status == "ignored" and "read" in change.last_error
    assert change.payload["value"]["read"] == {"watermark": 1}


def test_hostile_text_is_stored_verbatim(client, db, processor):
    add_test_page(db)
    evil = "<script>alert('x')</script> \u202e\u2028 ' OR 1=1 --"
    deliver(client, processor, delivery(comment("100_30", message=evil)))
    item = get_item(client, db, "100_30")
    assert item["versions"][0]["message"] == evil


def test_unstorable_characters_are_replaced_not_fatal(client, db, processor):
    """NUL and lone surrogates are valid JSON escapes but not storable text."""
    add_test_page(db)
    body = delivery(comment("100_31", message="a\x00b")).replace(b"a\\u0000b", b"a\\u0000b\\udc80")
    assert b"\\udc80" in body
    deliver(client, processor, body, delivery(comment("100_32")))
    assert get_item(client, db, "100_31")["versions"][0]["message"] == "a\ufffdb\ufffd"
    assert get_item(client, db, "100_32")["versions"][0]["message"] == "Hej"
    with db.transaction() as session:
        stored = session.scalar(select(InboxEvent.body).order_by(InboxEvent.id).limit(1))
    assert stored == body  # the raw evidence keeps what was sent


def test_a_delivery_that_cannot_be_split_does_not_block_the_queue(client, db, processor,
                                                                   monkeypatch):
    import app.processing.processor as proc

    add_test_page(db)
    real = proc._insert_change

    def broken(session, event_id, position, change):
        if change.value.get("comment_id") == "100_33":
            raise RuntimeError("cannot store")
        return real(session, event_id, position, change)

    monkeypatch.setattr(proc, "_insert_change", broken)
    deliver(client, processor, delivery(comment("100_34"), comment("100_33")),
            delivery(comment("100_35")))
    with db.transaction() as session:
        events = session.scalars(select(InboxEvent).order_by(InboxEvent.id)).all()
        assert [e.status for e in events] == ["failed", "split"]
        assert "cannot store" in events[0].error
        # nothing half-written from the failed delivery
        assert session.scalar(select(func.count()).select_from(InboxChange)) == 1
    assert get_item(client, db, "100_35")["versions"][0]["message"] == "Hej"


def test_a_change_cannot_touch_another_pages_item(client, db, processor):
    add_test_page(db)
    add_test_page(db, "777000", name="Annan sida")
    deliver(client, processor, delivery(comment("100_36", message="Min")),
            delivery(comment("100_36", "edited", "Kapad"), page="777000", time=1700000500))
    with db.transaction() as session:
        statuses = [c.status for c in session.scalars(select(InboxChange)
                                                      .order_by(InboxChange.id))]
        errors = [c.last_error for c in session.scalars(select(InboxChange)
                                                        .order_by(InboxChange.id))]
    assert statuses == ["done", "failed"] and "another page" in errors[1]
    assert [v["message"] for v in get_item(client, db, "100_36")["versions"]] == ["Min"]


def test_inbox_report_counts_what_needs_attention(client, db, processor, job_env):
    from app.alerts.models import Alert
    from app.jobs.runner import run_job

    def report() -> dict:
        return run_job(job_env, "inbox-report").summary

    def alerts() -> list[str]:
        with db.transaction() as session:
            return sorted(a.key for a in session.scalars(
                select(Alert).where(Alert.kind == "inbox", Alert.resolved_at.is_(None))))

    assert report() == {"held_by_page": {}, "failed_deliveries": 0,
                        "failed_changes": 0, "retrying_changes": 0}
    assert alerts() == []
    add_test_page(db)
    deliver(client, processor, delivery(comment("100_80"), page="424242"),
            delivery(comment("100_81"), page="424242"), b'{"object":"page"}',
            delivery({"field": "feed", "value": {"item": "comment", "verb": "add"}}))
    assert report() == {"held_by_page": {"424242": 2}, "failed_deliveries": 1,
                        "failed_changes": 1, "retrying_changes": 0}
    assert alerts() == ["failed", "held"]

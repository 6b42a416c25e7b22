"""Preserve before act: snapshots, the action outbox and the Graph calls, end to end through
webhooks, the processor and the fake Graph API over real HTTP (invariants 3, 4 and 6)."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEntry
from app.audit.service import verify
from app.content.models import Item, ItemStateEvent
from app.core.db import utcnow
from app.graph.client import GraphClient
from app.moderation.models import (
    Action,
    ActionKind,
    ActionStatus,
    MediaBlob,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.moderation.service import moderator_action
from app.pages.models import Page
from app.processing.processor import Processor
from app.rules.policies import set_policy
from tests.conftest import FEED_PAGE, add_test_page, api_token, post_signed
from tests.fakes.graph import graph_error
from tests.test_processing import comment, deliver, delivery

RUDE = "Din jävla idiot"


@pytest.fixture
def page(db):
    add_test_page(db)
    with db.transaction() as session:
        return session.scalar(select(Page.id).where(Page.platform_id == FEED_PAGE))


@pytest.fixture
def snapshot_guard(processor, graph_state):
    """The fake Graph, checking every action (the ``processor`` fixture installs the check
    that the snapshot, and for a delete its media, are committed first)."""
    assert graph_state.before_action is not None
    return graph_state


def send(client, processor, state, *changes: dict) -> None:
    """Deliver comments by webhook; Facebook (the fake) has them too."""
    for change in changes:
        value = change["value"]
        state.objects.setdefault(value["comment_id"], {
            "message": value.get("message"), "from": value.get("from"), "is_hidden": False})
    deliver(client, processor, delivery(*changes))


def actions(db, platform_id: str) -> list[Action]:
    with db.transaction() as session:
        item = session.scalar(select(Item).where(Item.platform_id == platform_id))
        rows = session.scalars(select(Action).where(Action.item_id == item.id)
                               .order_by(Action.id)).all()
        session.expunge_all()
        return list(rows)


def item_state(db, platform_id: str) -> str:
    with db.transaction() as session:
        return session.scalar(select(Item.state).where(Item.platform_id == platform_id))


def audit_acts(db) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry.act).order_by(AuditEntry.id)))


def due_now(db) -> None:
    """Make every waiting action and media download due (instead of sleeping)."""
    with db.transaction() as session:
        session.execute(update(Action).where(Action.status == ActionStatus.pending)
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        session.execute(update(SnapshotMedia).where(SnapshotMedia.status == "pending")
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))


def test_a_rude_comment_is_preserved_then_hidden(client, db, processor, page, snapshot_guard):
    send(client, processor, snapshot_guard, comment(f"{FEED_PAGE}_100_1", message=RUDE))
    [hide] = actions(db, f"{FEED_PAGE}_100_1")
    assert (hide.kind, hide.status, hide.requested_by) == ("hide", "done", "system")
    assert snapshot_guard.hidden(f"{FEED_PAGE}_100_1") is True
    assert item_state(db, f"{FEED_PAGE}_100_1") == "hidden"
    with db.transaction() as session:
        snap = session.get(Snapshot, hide.snapshot_id)
        assert (snap.text, snap.sender_platform_id, snap.sender_name) == (RUDE, "555", "Åsa Öberg")
        assert snap.post_platform_id == f"{FEED_PAGE}_100"
        assert snap.permalink == f"https://www.facebook.com/{FEED_PAGE}_100?comment_id=1"
        assert snap.decision["decision"] == "hide" and snap.decision["matches"]
        assert len(snap.sha256) == 64
        event = session.scalar(select(ItemStateEvent).where(ItemStateEvent.source == "uppsikt"))
        assert (event.verb, event.state) == ("hide", "hidden")
        assert verify(session).ok
    acts = audit_acts(db)
    assert acts.index("decision") < acts.index("snapshot.taken") < acts.index(
        "action.requested") < acts.index("action.done")


def test_redelivery_and_edits_never_act_twice(client, db, processor, page, snapshot_guard):
    body = delivery(comment(f"{FEED_PAGE}_100_2", message=RUDE))
    snapshot_guard.objects[f"{FEED_PAGE}_100_2"] = {"message": RUDE}
    deliver(client, processor, body, body)
    send(client, processor, snapshot_guard, comment(f"{FEED_PAGE}_100_2", "edited",
                                                message=RUDE + "!!", time=1700000100))
    assert [a.kind for a in actions(db, f"{FEED_PAGE}_100_2")] == ["hide"]
    assert len(snapshot_guard.action_calls(f"{FEED_PAGE}_100_2")) == 1


def test_allowed_own_and_observed_content_is_left_alone(client, db, processor, page,
                                                        snapshot_guard):
    with db.transaction() as session:
        set_policy(session, session.get(Page, page), {"observe": True}, actor="test")
    send(client, processor, snapshot_guard, comment(f"{FEED_PAGE}_100_3", message=RUDE))
    with db.transaction() as session:
        set_policy(session, session.get(Page, page), {}, actor="test")
    deliver(client, processor,
            delivery(comment(f"{FEED_PAGE}_100_4", message="Tack för hjälpen!"),
                     comment(f"{FEED_PAGE}_100_5", message=RUDE,
                             **{"from": {"id": FEED_PAGE, "name": "Falu kommun"}})))
    assert snapshot_guard.actions == []
    with db.transaction() as session:
        assert session.scalar(select(Action.id)) is None
        assert session.scalar(select(Snapshot.id)) is None


def test_delete_waits_for_the_media_and_keeps_them(client, db, processor, page,
                                                   snapshot_guard, settings):
    with db.transaction() as session:
        set_policy(session, session.get(Page, page), {"actions": {"profanity": "delete"}},
                   actor="test")
    photo = b"\x89PNG fake picture bytes"
    snapshot_guard.media["p1.png"] = ("image/png", photo)
    snapshot_guard.media_failures["p1.png"] = [503]  # the first download fails
    send(client, processor, snapshot_guard, comment(
        f"{FEED_PAGE}_100_6", message=RUDE, photo=snapshot_guard.media_url("p1.png")))
    kinds = [(a.kind, a.status) for a in actions(db, f"{FEED_PAGE}_100_6")]
    assert kinds == [("hide", "done"), ("delete", "pending")]  # hidden at once ...
    assert actions(db, f"{FEED_PAGE}_100_6")[1].last_error == "waiting for the media to be stored"
    due_now(db)  # ... deleted once the picture is kept
    processor.run_until_idle()
    kinds = [(a.kind, a.status) for a in actions(db, f"{FEED_PAGE}_100_6")]
    assert kinds == [("hide", "done"), ("delete", "done")]
    assert snapshot_guard.deleted(f"{FEED_PAGE}_100_6")
    sha = hashlib.sha256(photo).hexdigest()
    with db.transaction() as session:
        blob = session.get(MediaBlob, sha)
        assert blob is not None and blob.size == len(photo) and blob.mime == "image/png"
        assert (settings.media_dir / blob.path).read_bytes() == photo
    assert item_state(db, f"{FEED_PAGE}_100_6") == "removed"


def test_lost_media_let_the_hide_through_but_stop_the_delete(client, db, processor, page,
                                                             snapshot_guard):
    with db.transaction() as session:
        set_policy(session, session.get(Page, page), {"actions": {"profanity": "delete"}},
                   actor="test")
    snapshot_guard.media["gone.jpg"] = ("image/jpeg", b"jpeg")
    url = snapshot_guard.media_url("gone.jpg", ttl_seconds=0)  # already expired
    send(client, processor, snapshot_guard, comment(f"{FEED_PAGE}_100_7", message=RUDE, photo=url))
    due_now(db)
    processor.run_until_idle()
    kinds = [(a.kind, a.status) for a in actions(db, f"{FEED_PAGE}_100_7")]
    assert kinds == [("hide", "done"), ("delete", "failed")]
    assert snapshot_guard.hidden(f"{FEED_PAGE}_100_7") and not snapshot_guard.deleted(
        f"{FEED_PAGE}_100_7")
    assert "alert.media_lost" in audit_acts(db)


@pytest.mark.parametrize(("failure", "status", "act"), [
    (graph_error(100, "Object does not exist", subcode=33), "done", "action.done"),
    (graph_error(10, "Permission denied", status=403), "failed", "alert.permission"),
    (graph_error(200, "Requires pages_manage_engagement", status=403), "failed",
     "alert.permission"),
    (graph_error(100, "Invalid parameter"), "failed", "action.failed"),
])
def test_final_answers_from_facebook(client, db, processor, page, snapshot_guard, failure,
                                     status, act):
    cid = f"{FEED_PAGE}_100_8"
    snapshot_guard.failures[cid] = [failure]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    [hide] = actions(db, cid)
    assert hide.status == status, hide.last_error
    assert act in audit_acts(db)
    if status == "done":  # already gone: recorded as removed, not retried
        assert item_state(db, cid) == "removed"


@pytest.mark.parametrize("failure", [
    graph_error(1, "An unknown error occurred", status=500),
    graph_error(2, "Service temporarily unavailable", status=503),
    graph_error(341, "Application limit reached"),
    graph_error(4, "Application request limit reached"),
    graph_error(17, "User request limit reached"),
    graph_error(32, "Page request limit reached"),
    graph_error(613, "Calls to this api have exceeded the rate limit"),
    graph_error(80001, "There have been too many calls to this Page account"),
])
def test_passing_troubles_are_retried_later(client, db, processor, page, snapshot_guard,
                                            failure):
    cid = f"{FEED_PAGE}_100_9"
    snapshot_guard.failures[cid] = [failure]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    [hide] = actions(db, cid)
    assert (hide.status, hide.attempts) == ("pending", 1)
    assert hide.next_attempt_at > utcnow() + timedelta(seconds=10)  # backed off
    due_now(db)
    processor.run_until_idle()
    [hide] = actions(db, cid)
    assert (hide.status, hide.attempts) == ("done", 2)
    assert snapshot_guard.hidden(cid)


def test_rate_limits_wait_as_long_as_meta_says(client, db, processor, page, snapshot_guard):
    cid = f"{FEED_PAGE}_100_10"
    usage = '{"1234": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 25}]}'
    status, body = graph_error(80001, "Too many calls to this Page account")
    snapshot_guard.failures[cid] = [(status, body, {"X-Business-Use-Case-Usage": usage})]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    [hide] = actions(db, cid)
    assert hide.status == "pending"
    assert hide.next_attempt_at >= utcnow() + timedelta(minutes=24)


def test_an_invalid_token_pauses_the_pages_actions(client, db, processor, page, snapshot_guard):
    cid = f"{FEED_PAGE}_100_11"
    snapshot_guard.token = "a-newer-token"  # the stored one no longer works: code 190
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    [hide] = actions(db, cid)
    assert hide.status == "pending" and "190" in hide.last_error
    with db.transaction() as session:
        assert session.get(Page, page).token_status == "invalid"
    assert "alert.token_invalid" in audit_acts(db)
    due_now(db)
    processor.run_until_idle()
    [hide] = actions(db, cid)
    assert hide.status == "pending" and hide.last_error.startswith("paused")
    assert len(snapshot_guard.action_calls(cid)) == 1  # nothing sent while paused


def test_a_moderators_restore_wins_over_a_waiting_hide(client, db, processor, page,
                                                       snapshot_guard):
    cid = f"{FEED_PAGE}_100_12"
    snapshot_guard.failures[cid] = [graph_error(2, "Service temporarily unavailable", status=503)]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    with db.transaction() as session:
        item = session.scalar(select(Item).where(Item.platform_id == cid))
        moderator_action(session, session.get(Page, page), item, ActionKind.unhide,
                         by="moderator-anna", reason="ironi, inte ett påhopp")
    due_now(db)
    processor.run_until_idle()
    rows = actions(db, cid)
    assert [(a.kind, a.status) for a in rows] == [("hide", "cancelled"), ("unhide", "done")]
    assert "superseded" in rows[0].last_error
    assert snapshot_guard.hidden(cid) is False
    assert item_state(db, cid) == "visible"


def test_a_restore_during_the_hide_call_runs_after_it(client, db, settings, processor, page,
                                                      snapshot_guard):
    cid = f"{FEED_PAGE}_100_13"
    snapshot_guard.failures[cid] = [graph_error(2, "Service temporarily unavailable", status=503)]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    due_now(db)
    executor = processor.executor
    [claim] = executor._claim_actions()  # the hide is under way ...
    with db.transaction() as session:  # ... when a moderator restores the comment
        item = session.scalar(select(Item).where(Item.platform_id == cid))
        moderator_action(session, session.get(Page, page), item, ActionKind.unhide,
                         by="moderator-anna", reason="ok")
    assert executor._claim_actions() == []  # the restore waits for the hide to finish
    executor._execute(claim)
    due_now(db)
    processor.run_until_idle()
    assert [(a.kind, a.status) for a in actions(db, cid)] == [("hide", "done"),
                                                              ("unhide", "done")]
    assert snapshot_guard.hidden(cid) is False


def test_an_interrupted_hide_is_not_sent_twice(client, db, processor, page, snapshot_guard):
    """The process died after Facebook hid the comment but before that was recorded: the
    lease runs out, and the next attempt asks Facebook first."""
    cid = f"{FEED_PAGE}_100_14"
    snapshot_guard.failures[cid] = [graph_error(2, "Service temporarily unavailable", status=503)]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    due_now(db)
    [claim] = processor.executor._claim_actions()
    processor.graph.hide(cid, hidden=True, token=claim.token)  # reached Facebook, then died
    with db.transaction() as session:
        session.execute(update(Action).values(claimed_until=utcnow() - timedelta(seconds=1),
                                              next_attempt_at=utcnow() - timedelta(seconds=1)))
    processor.run_until_idle()
    [hide] = actions(db, cid)
    assert hide.status == "done" and hide.result["graph"] == {"is_hidden": True}
    assert [c["method"] for c in snapshot_guard.action_calls(cid)] == ["POST", "POST"]
    # ... one failed call and the one that got through: none after the interruption.


def test_secret_content_is_hidden_and_queued_for_the_registrar(client, db, processor, page,
                                                               snapshot_guard):
    cid = f"{FEED_PAGE}_100_15"
    text_ = "Min granne Anna Svensson 811228-9874 har skyddad identitet och bor på Åsvägen 3"
    send(client, processor, snapshot_guard, comment(cid, message=text_))
    [hide] = actions(db, cid)
    assert (hide.kind, hide.status) == ("hide", "done")
    with db.transaction() as session:
        case = session.scalar(select(RegistrationCase))
        assert case is not None and case.status == "pending"
        assert session.get(Snapshot, case.snapshot_id).text == text_
    assert "registration.queued" in audit_acts(db)


def test_a_moderators_delete_of_secret_content(client, db, processor, page, snapshot_guard):
    cid = f"{FEED_PAGE}_100_16"
    send(client, processor, snapshot_guard, comment(
        cid, message="Hon heter Lisa Berg, personnummer 811228-9874, och har skyddad identitet"))
    with db.transaction() as session:
        item = session.scalar(select(Item).where(Item.platform_id == cid))
        moderator_action(session, session.get(Page, page), item, ActionKind.delete,
                         by="moderator-anna", reason="sekretess: bekräftad")
    processor.run_until_idle()
    assert [(a.kind, a.status, a.requested_by) for a in actions(db, cid)] == [
        ("hide", "done", "system"), ("delete", "done", "moderator-anna")]
    assert snapshot_guard.deleted(cid)
    with db.transaction() as session:
        snaps = session.scalars(select(Snapshot).order_by(Snapshot.id)).all()
        assert [s.reason for s in snaps] == ["decision", "moderator"]
        assert verify(session).ok


def test_two_workers_never_run_the_same_action(client, db, settings, page, snapshot_guard,
                                               rules):
    ids = [f"{FEED_PAGE}_100_{200 + n}" for n in range(40)]
    for cid in ids:
        snapshot_guard.objects[cid] = {"message": RUDE}
    bodies = [delivery(*(comment(cid, message=RUDE) for cid in ids[i:i + 10]))
              for i in range(0, 40, 10)]
    workers = []
    for _ in range(2):
        graph = GraphClient.from_settings(settings)
        workers.append(Processor(db, settings, graph, rules))
    for body in bodies:
        assert post_signed(client, body).status_code == 200
    errors: list[BaseException] = []

    def work(p: Processor) -> None:
        try:
            p.run_until_idle()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for w in workers:
        w.graph.close()
    assert errors == []
    for w in workers:
        w.run_until_idle()
    calls = [c["object_id"] for c in snapshot_guard.actions]
    assert len(calls) == 40 and len(set(calls)) == 40
    with db.transaction() as session:
        left = [(a.id, a.status, a.last_error, a.claimed_until, a.next_attempt_at)
                for a in session.scalars(select(Action).where(Action.status != "done"))]
        assert left == []
        assert verify(session).ok


def test_moderators_act_through_the_api(client, db, processor, page, snapshot_guard):
    cid = f"{FEED_PAGE}_100_17"
    send(client, processor, snapshot_guard, comment(cid, message="Bra initiativ!"))

    def act(token: str, **body):
        return client.post(f"/api/v1/items/{cid}/actions", json=body,
                           headers={"Authorization": f"Bearer {token}"})

    own = api_token(db, "moderator", unit="Kommunstyrelsen")
    assert act(api_token(db, "auditor"), kind="hide", reason="x").status_code == 403
    assert act(api_token(db, "moderator", unit="Tekniska"), kind="hide",
               reason="x").status_code == 404
    assert act(own, kind="erase", reason="x").status_code == 422
    assert act(own, kind="hide", reason="").status_code == 422
    r = act(own, kind="hide", reason="personangrepp i bild")
    assert r.status_code == 202, r.text
    assert (r.json()["kind"], r.json()["status"]) == ("hide", "pending")
    processor.run_until_idle()
    listed = client.get(f"/api/v1/items/{cid}/actions",
                        headers={"Authorization": f"Bearer {own}"}).json()
    assert [(a["kind"], a["status"]) for a in listed] == [("hide", "done")]
    assert listed[0]["requested_by"].startswith("moderator-")
    assert snapshot_guard.hidden(cid) is True
    with db.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.act == "action.requested"))
        assert entry.actor == listed[0]["requested_by"]
    assert act(own, kind="hide", reason="x").status_code == 202  # again: allowed, harmless
    later = int(utcnow().timestamp()) + 5
    deliver(client, processor, delivery(comment(cid, "remove", message=None, time=later),
                                        time=later))
    assert act(own, kind="unhide", reason="x").status_code == 409  # removed from Facebook


def test_the_sender_is_fetched_before_the_snapshot(client, db, processor, page,
                                                   snapshot_guard):
    cid = f"{FEED_PAGE}_100_18"
    change = comment(cid, message=RUDE)
    del change["value"]["from"]  # some deliveries lack the sender
    snapshot_guard.objects[cid] = {"message": RUDE, "from": {"id": "777", "name": "Per Ek"}}
    deliver(client, processor, delivery(change))
    [hide] = actions(db, cid)
    assert hide.status == "done"
    with db.transaction() as session:
        snap = session.get(Snapshot, hide.snapshot_id)
        assert (snap.sender_platform_id, snap.sender_name, snap.sender_missing) == (
            "777", "Per Ek", None)


def test_a_sender_that_cannot_be_had_is_recorded_as_missing(client, db, processor, page,
                                                            snapshot_guard):
    cid = f"{FEED_PAGE}_100_19"
    change = comment(cid, message=RUDE)
    del change["value"]["from"]
    snapshot_guard.failures[cid] = [graph_error(100, "Unsupported get request", subcode=33)]
    deliver(client, processor, delivery(change))
    [hide] = actions(db, cid)
    with db.transaction() as session:
        snap = session.get(Snapshot, hide.snapshot_id)
        assert snap.sender_platform_id is None
        assert "33" in snap.sender_missing or "exist" in snap.sender_missing
        assert snap.text == RUDE


def test_secret_content_deleted_at_once_when_the_policy_says_so(client, db, processor, page,
                                                                snapshot_guard):
    with db.transaction() as session:
        set_policy(session, session.get(Page, page), {"delete_secret_at_once": True},
                   actor="test")
    cid = f"{FEED_PAGE}_100_20"
    send(client, processor, snapshot_guard, comment(
        cid, message="Hon heter Lisa Berg, personnummer 811228-9874, och har skyddad identitet"))
    assert [(a.kind, a.status) for a in actions(db, cid)] == [("hide", "done"),
                                                              ("delete", "done")]
    with db.transaction() as session:
        assert session.scalar(select(RegistrationCase.status)) == "pending"


def test_an_interrupted_hide_of_a_comment_since_removed(client, db, processor, page,
                                                        snapshot_guard):
    cid = f"{FEED_PAGE}_100_21"
    snapshot_guard.failures[cid] = [graph_error(2, "Service temporarily unavailable", status=503)]
    send(client, processor, snapshot_guard, comment(cid, message=RUDE))
    due_now(db)
    processor.executor._claim_actions()  # under way when the process dies ...
    snapshot_guard.deleted_ids.add(cid)  # ... and the author removes the comment meanwhile
    with db.transaction() as session:
        session.execute(update(Action).values(claimed_until=utcnow() - timedelta(seconds=1),
                                              next_attempt_at=utcnow() - timedelta(seconds=1)))
    processor.run_until_idle()
    [hide] = actions(db, cid)
    assert (hide.status, hide.result["graph"]) == ("done", "gone")
    assert item_state(db, cid) == "removed"

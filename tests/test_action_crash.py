"""Invariants 3 and 4 for decided actions, with real processes: `uppsikt serve` is killed
with SIGKILL before, during and after its hide call to the fake Graph API (real HTTP).
After a restart every decided action is done exactly as decided, none twice, none lost,
and no hide reaches Facebook before its snapshot is committed.

The executor keeps a lease on an action while its call runs (``LEASE`` in
app/moderation/executor.py, 2 minutes, not a setting). Rather than wait, these tests move
the lease (``claimed_until``) and ``next_attempt_at`` of pending actions into the past in
the database after each kill, which is what the passage of those 2 minutes would do, and
then restart the service at once.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from app.audit.models import AuditEntry
from app.content.models import Item
from app.core.db import Database, utcnow
from app.moderation.models import Action, ActionStatus, Snapshot
from app.webhooks.models import DeliveryStatus, InboxEvent
from app.webhooks.signature import sign
from tests.conftest import APP_SECRET, FEED_PAGE, SECRET_KEY, add_test_page, preserved_first
from tests.fakes.graph import FakeGraphState, graph_error
from tests.test_crash import ROOT, Server
from tests.test_processing import comment, delivery

RUDE = "Din jävla idiot"  # hidden by the default policy
KIND = "Tack för svaret!"
SENDER = {"id": "555", "name": "Åsa Öberg"}


class Facebook:
    """The fake Graph API's side of the test: the comments it has, a check that every hide
    finds its snapshot committed (through a connection of its own), and a gate that holds
    the first POST for one comment until the test lets it through."""

    def __init__(self, state: FakeGraphState, database_url: str) -> None:
        self.state = state
        self.preserved_first, self.engine = preserved_first(database_url)
        self.hold_id: str | None = None
        self.arrived = threading.Event()
        self.release = threading.Event()
        state.before_action = self._before_action

    def add(self, cid: str, message: str = RUDE) -> None:
        self.state.objects[cid] = {"message": message, "from": SENDER, "is_hidden": False}

    def _before_action(self, method: str, object_id: str) -> None:
        # Runs in a worker thread of the fake's event loop: it may block.
        self.preserved_first(method, object_id)
        if object_id == self.hold_id:
            self.hold_id = None
            self.arrived.set()
            if not self.release.wait(60):
                raise AssertionError(f"{method} {object_id} was held and never let through")

    def applied_hides(self, cid: str) -> int:
        """POSTs that hid the comment; one refused (an injected failure) does not count."""
        return sum(1 for a in self.state.action_calls(cid)
                   if a["method"] == "POST" and a["is_hidden"] is True and a["status"] == 200)

    def gets(self, cid: str) -> int:
        return sum(1 for r in self.state.requests
                   if r["method"] == "GET" and r["path"].endswith(f"/{cid}"))

    def in_flight(self) -> int:
        return sum(1 for a in list(self.state.actions) if a["status"] is None)

    def wait_answered(self) -> None:
        """Calls under way when the service died still get their answer (to no one)."""
        wait_for(lambda: self.in_flight() == 0, "the fake to answer every call", timeout=30)

    def close(self) -> None:
        self.release.set()
        self.state.before_action = None
        self.engine.dispose()


def wait_for(predicate: Callable[[], bool], what: str, *, timeout: float = 30,
             interval: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def facebook(graph_state: FakeGraphState, database_url: str) -> Iterator[Facebook]:
    fb = Facebook(graph_state, database_url)
    yield fb
    fb.close()


@pytest.fixture
def service(db: Database, database_url: str, tmp_path: Any, fake_graph: Any,
            facebook: Facebook) -> Iterator[Server]:
    add_test_page(db)
    server = Server(database_url, tmp_path / "serve.log", fake_graph.base_url)
    server.env.update({"UPPSIKT_GRAPH_TIMEOUT_SECONDS": "30",
                       "UPPSIKT_RETRY_BASE_SECONDS": "0.2", "UPPSIKT_RETRY_MAX_SECONDS": "2",
                       "UPPSIKT_MEDIA_DIR": str(tmp_path / "media")})
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.kill()


def post(server: Server, body: bytes) -> None:
    r = httpx.post(server.url + "/webhooks/meta", content=body, timeout=10,
                   headers={"X-Hub-Signature-256": sign(APP_SECRET, body)})
    assert r.status_code == 200, r.text


def actions(db: Database, cid: str | None = None) -> list[Action]:
    with db.transaction() as session:
        query = select(Action).order_by(Action.id)
        if cid is not None:
            query = query.join(Item, Item.id == Action.item_id).where(Item.platform_id == cid)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def item_state(db: Database, cid: str) -> str | None:
    with db.transaction() as session:
        return session.scalar(select(Item.state).where(Item.platform_id == cid))


def snapshot_count(db: Database, cid: str) -> int:
    with db.transaction() as session:
        return len(session.scalars(select(Snapshot.id).join(Item, Item.id == Snapshot.item_id)
                                   .where(Item.platform_id == cid)).all())


def done_detail(db: Database, cid: str) -> dict[str, Any]:
    with db.transaction() as session:
        [detail] = session.scalars(select(AuditEntry.detail).where(
            AuditEntry.act == "action.done", AuditEntry.subject_id == cid)).all()
        return detail


def all_done(db: Database, n: int) -> Callable[[], bool]:
    def check() -> bool:
        rows = actions(db)
        return len(rows) >= n and all(a.status == ActionStatus.done for a in rows)
    return check


def expire_leases(db: Database) -> None:
    """What 2 minutes would do after the kill: leases run out, waiting actions fall due."""
    past = utcnow() - timedelta(seconds=1)
    with db.transaction() as session:
        session.execute(update(Action).where(Action.status == ActionStatus.pending,
                                             Action.claimed_until.is_not(None))
                        .values(claimed_until=past))
        session.execute(update(Action).where(Action.status == ActionStatus.pending)
                        .values(next_attempt_at=past))


@contextmanager
def outcome_blocked(db: Database, action_id: int) -> Iterator[None]:
    """Holds what the service needs to record an action's outcome: the action's row on
    PostgreSQL, the write lock on SQLite."""
    with db.engine.connect() as conn:
        conn.execution_options(sqlite_begin="IMMEDIATE")
        trans = conn.begin()
        try:
            if not db.is_sqlite:
                conn.execute(select(Action.id).where(Action.id == action_id).with_for_update())
            yield
        finally:
            trans.rollback()


def wait_blocked(db: Database) -> None:
    """Until the service's write of the outcome waits for the lock the test holds."""
    if db.is_sqlite:  # no view of waiting writers: give the answer time to arrive
        time.sleep(0.5)
        return

    def waiting() -> bool:
        # A connection of its own each time: a transaction sees one snapshot of this view.
        with db.engine.connect() as conn:
            return conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE action %'")).scalar() == 1

    wait_for(waiting, "the service to wait for the action's row", interval=0.02)


def assert_audit_intact(database_url: str) -> None:
    env = {**os.environ, "UPPSIKT_DATABASE_URL": database_url, "UPPSIKT_SECRET_KEY": SECRET_KEY}
    run = subprocess.run([sys.executable, "-m", "app", "audit", "verify"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "audit log intact" in run.stdout, run.stdout + run.stderr


def test_killed_after_the_decision_before_the_call(db, service, facebook):
    cid, slow = f"{FEED_PAGE}_500_1", f"{FEED_PAGE}_500_2"
    facebook.add(cid)
    facebook.add(slow, "Hej")
    # A comment without its sender sends the worker to the Graph API for it after the rude
    # one's decision is committed and before the worker reaches the actions; the fake keeps
    # that question waiting, so the kill finds the hide decided and not yet sent.
    facebook.state.delays[slow] = 20
    no_sender = comment(slow, message="Hej")
    del no_sender["value"]["from"]
    service.start()
    post(service, delivery(comment(cid, message=RUDE), no_sender))
    wait_for(lambda: facebook.gets(slow) == 1, "the worker to ask for the missing sender")
    service.kill()
    [hide] = actions(db, cid)
    assert (hide.kind, hide.status, hide.attempts, hide.claimed_until) == (
        "hide", "pending", 0, None)
    assert facebook.state.action_calls(cid) == []
    assert snapshot_count(db, cid) == 1
    expire_leases(db)
    service.start()
    try:
        wait_for(all_done(db, 1), "the hide to be done")
    finally:
        service.kill()
    [hide] = actions(db, cid)
    assert (hide.attempts, hide.result) == (1, {"graph": {"success": True}})
    assert [c["method"] for c in facebook.state.action_calls(cid)] == ["POST"]
    assert facebook.applied_hides(cid) == 1 and facebook.state.hidden(cid) is True
    assert item_state(db, cid) == "hidden"
    assert facebook.state.hook_failures == []
    assert done_detail(db, cid)["confirmed_after_interruption"] is False


@pytest.mark.parametrize("reached", [True, False], ids=["applied", "refused"])
def test_killed_during_the_call(db, service, facebook, reached):
    cid = f"{FEED_PAGE}_510_1"
    facebook.add(cid)
    facebook.hold_id = cid
    service.start()
    post(service, delivery(comment(cid, message=RUDE)))
    assert facebook.arrived.wait(30), "the hide never reached the fake"
    service.kill()  # while Facebook has the call
    if not reached:  # ... which it then refuses: nothing was hidden
        facebook.state.failures[cid] = [graph_error(2, "Service temporarily unavailable",
                                                    status=503)]
    facebook.release.set()
    facebook.wait_answered()
    assert facebook.state.hidden(cid) is reached
    [hide] = actions(db, cid)
    assert (hide.status, hide.attempts) == ("pending", 1) and hide.claimed_until is not None
    expire_leases(db)
    service.start()
    try:
        wait_for(all_done(db, 1), "the hide to be done")
    finally:
        service.kill()
    [hide] = actions(db, cid)
    calls = facebook.state.action_calls(cid)
    assert facebook.applied_hides(cid) == 1 and facebook.state.hidden(cid) is True
    assert facebook.gets(cid) == 1  # asked Facebook first
    if reached:  # confirmed, not sent again
        assert [c["status"] for c in calls] == [200]
        assert (hide.attempts, hide.result) == (2, {"graph": {"is_hidden": True}})
    else:
        assert [c["status"] for c in calls] == [503, 200]
        assert (hide.attempts, hide.result) == (2, {"graph": {"success": True}})
    assert done_detail(db, cid)["confirmed_after_interruption"] is reached
    assert item_state(db, cid) == "hidden"
    assert facebook.state.hook_failures == []


def test_killed_after_the_answer_before_the_record(db, service, facebook):
    cid = f"{FEED_PAGE}_520_1"
    facebook.add(cid)
    facebook.hold_id = cid
    service.start()
    post(service, delivery(comment(cid, message=RUDE)))
    assert facebook.arrived.wait(30), "the hide never reached the fake"
    [hide] = actions(db, cid)
    with outcome_blocked(db, hide.id):
        facebook.release.set()
        wait_for(lambda: facebook.applied_hides(cid) == 1, "Facebook to hide and answer")
        wait_blocked(db)
        service.kill()  # the answer came back; its record was still to be written
    [hide] = actions(db, cid)
    assert (hide.status, hide.attempts) == ("pending", 1) and hide.claimed_until is not None
    expire_leases(db)
    service.start()
    try:
        wait_for(all_done(db, 1), "the hide to be done")
    finally:
        service.kill()
    [hide] = actions(db, cid)
    assert [c["method"] for c in facebook.state.action_calls(cid)] == ["POST"]
    assert facebook.applied_hides(cid) == 1 and facebook.gets(cid) == 1
    assert (hide.attempts, hide.result) == (2, {"graph": {"is_hidden": True}})
    assert done_detail(db, cid)["confirmed_after_interruption"] is True
    assert item_state(db, cid) == "hidden"
    assert facebook.state.hook_failures == []


def test_many_comments_and_kills_at_random_moments(db, database_url, service, facebook):
    seed = int(os.environ.get("UPPSIKT_TEST_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    rude = [f"{FEED_PAGE}_530_{n}" for n in range(30)]
    kind = [f"{FEED_PAGE}_531_{n}" for n in range(10)]
    for n, cid in enumerate(rude):
        facebook.add(cid)
        facebook.state.delays[cid] = 0.05  # every call takes a while: kills land inside
        if n % 6 == 0:  # the first try refused: retried after a backoff
            facebook.state.failures[cid] = [graph_error(2, "Service temporarily unavailable",
                                                        status=503)]
    for cid in kind:
        facebook.add(cid, KIND)
    changes = [comment(cid, message=RUDE) for cid in rude] + [
        comment(cid, message=KIND) for cid in kind]
    rng.shuffle(changes)
    body = delivery(*changes)

    def hidden() -> int:
        return sum(facebook.applied_hides(cid) for cid in rude)

    kills: list[dict[str, int]] = []
    for n in range(3):
        service.start()
        if n == 0:
            post(service, body)
        # Kill once the fake has had a random number of further calls (or after 10 s if
        # they do not come: the checks below then say what went missing) ...
        target = len(facebook.state.actions) + rng.randint(0, (30 - hidden()) // 2)
        deadline = time.monotonic() + 10
        while len(facebook.state.actions) < target and hidden() < 30 \
                and time.monotonic() < deadline:
            time.sleep(0.001)
        # ... and a random moment after it: the second well inside a call (50 ms).
        time.sleep(rng.uniform(0, 0.02 if n == 1 else 0.08))
        service.kill()
        kills.append({"in_flight": facebook.in_flight(), "hidden": hidden()})
        facebook.wait_answered()
        expire_leases(db)
    service.start()
    try:
        wait_for(all_done(db, 30), f"every hide to be done (seed {seed}, kills {kills})",
                 timeout=60, interval=0.05)
        post(service, body)  # Meta delivers it again: nothing more happens
        wait_for(lambda: all_delivered(db), "the redelivery to be handled")
        time.sleep(0.3)
    finally:
        service.kill()
    context = f"seed {seed}, kills {kills}"
    assert facebook.state.hook_failures == []
    for cid in rude:
        assert facebook.applied_hides(cid) == 1, f"{cid}: {facebook.state.action_calls(cid)}"
        assert facebook.state.hidden(cid) is True
        assert item_state(db, cid) == "hidden", cid
    for cid in kind:
        assert facebook.state.action_calls(cid) == [], cid
    rows = actions(db)
    assert len(rows) == 30, context
    assert {(a.kind, a.status) for a in rows} == {("hide", "done")}, context
    assert all(a.claimed_until is None for a in rows)
    assert_audit_intact(database_url)
    assert kills[0]["hidden"] < 30, f"the kills came too late to test anything ({context})"
    assert any(k["in_flight"] for k in kills), f"no kill interrupted a call ({context})"


def all_delivered(db: Database) -> bool:
    with db.transaction() as session:
        return session.scalar(select(InboxEvent.id).where(
            InboxEvent.status == DeliveryStatus.received).limit(1)) is None

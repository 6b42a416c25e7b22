"""The reliability soak, shared by tests/test_soak.py (small) and bench/soak.py (full size).

Everything on 127.0.0.1: ``uppsikt serve`` as a subprocess with its worker thread and
scheduled jobs, the fake Graph API in a thread of this process, and a pool of sender
threads posting signed Meta comment webhooks as fast as the service answers them. The mix:

* distinct deliveries: comment adds (a tenth of them break the rules and must be hidden)
  and edits of earlier ordinary comments (half of the edits break the rules);
* a tenth of all posts are the exact bytes of an earlier delivery again (Meta redelivers);
* a hundredth carry a wrong signature: they must be refused (401/403) and write nothing.

While the deliveries arrive the service is killed with SIGKILL ``kills`` times, at answer
counts drawn at random over the run, and started again at once. As Meta does, a delivery
that got no 2xx (no answer at all, or a 503) is sent again until it is answered; a request
in flight at the kill may therefore sit between answered ones. The fake Graph API fails a
tenth of the hide calls with a passing error (code 2, HTTP 503), and its ``before_action``
hook checks that each call finds its item's snapshot committed.

At the end the soak waits for the service to drain (no delivery waiting to be split, no
change, fetch or action pending), stops it, runs ``uppsikt audit verify`` and checks: every
valid comment is one item with exactly its versions; every rule-breaking one has one hide
action, done, with one snapshot taken before it, and exactly one successful hide call on
the Graph API (calls answered with an injected failure are counted apart; no other action
call reached Graph); nothing else was acted on; the refused deliveries left no row.
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.content.models import FetchStatus, Item, ItemVersion
from app.core.db import Database
from app.core.migrate import upgrade
from app.fakegraph.server import FakeGraphServer
from app.moderation.models import Action, ActionStatus, Snapshot
from app.rules.engine import Policy, RuleEngine
from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent
from app.webhooks.signature import sign
from tests.conftest import (
    APP_SECRET,
    PAGE_TOKEN,
    SECRET_KEY,
    VERIFY_TOKEN,
    add_test_page,
    preserved_first,
)
from tests.test_processing import comment, delivery

ROOT = Path(__file__).resolve().parents[1]
ORDINARY = ROOT / "tests" / "fixtures" / "rules" / "ordinary_sv.txt"
# Appended to an ordinary sentence; the default policy hides each (checked before sending).
OFFENSIVE = ("Din jävla idiot.", "Vilken jävla skitkommun.", "Du är en idiot.",
             "Jag ska döda dig.", "Ni i kommunen är ena jävla idioter.", "Dra åt helvete.",
             "Du är ett jävla svin.", "Fan ta er allihop, era jävla pajasar.")
WRONG_SECRET = "not-the-app-secret-0123456789"
T0 = 1_790_000_000  # created_time of the first comment (Unix seconds)
REFUSED = (401, 403)


@dataclass(frozen=True)
class SoakConfig:
    events: int = 3000
    kills: int = 2
    duplicate_share: float = 0.10
    invalid_share: float = 0.01
    offensive_share: float = 0.10  # of the comment adds
    edit_share: float = 0.05  # of the distinct deliveries
    graph_failure_rate: float = 0.10
    senders: int = 8
    seed: int = 1
    drain_timeout: float = 900.0
    # Short backoff, so that a failed hide is tried again within seconds, not minutes.
    retry_base_seconds: float = 0.2
    retry_max_seconds: float = 2.0


@dataclass
class Post:
    """One webhook POST to make (and to make again until it is answered)."""

    kind: str  # add | edit | duplicate | invalid
    comment_id: str
    body: bytes
    signature: str
    status: int | None = None  # the final answer
    attempts: int = 0

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class Plan:
    posts: list[Post]
    texts: dict[str, list[str]]  # comment id -> its texts in order (add, then edit)
    hidden: dict[str, str]  # comment id -> the text that must be hidden
    invalid_ids: set[str]

    def distinct(self) -> list[Post]:
        return [p for p in self.posts if p.kind in ("add", "edit")]


def make_plan(config: SoakConfig, engine: RuleEngine, tag: str) -> Plan:
    """The posts in sending order, and what the service must end up with."""
    rng = random.Random(config.seed)
    sentences = [s for s in ORDINARY.read_text(encoding="utf-8").splitlines() if s.strip()]
    n_dup = round(config.events * config.duplicate_share)
    n_invalid = round(config.events * config.invalid_share)
    n_distinct = config.events - n_dup - n_invalid
    n_edit = round(n_distinct * config.edit_share)
    kinds = ["add"] * (n_distinct - n_edit) + ["edit"] * n_edit + ["duplicate"] * n_dup \
        + ["invalid"] * n_invalid
    # The first posts are adds, so that every edit and duplicate has something before it.
    head = max(1, len(kinds) // 50)
    rest = kinds[head:]
    rng.shuffle(rest)
    kinds = kinds[:head] + rest

    plan = Plan([], {}, {}, set())
    editable: list[str] = []  # ordinary comments not edited yet
    adds = edits = 0
    distinct: list[Post] = []
    for n, kind in enumerate(kinds):
        if kind == "duplicate":
            earlier = rng.choice(distinct)
            plan.posts.append(Post("duplicate", earlier.comment_id, earlier.body,
                                   earlier.signature))
        elif kind == "invalid":
            cid = f"100_{tag}x{n:07d}"
            body = delivery(comment(cid, message=rng.choice(sentences), time=T0 + n),
                            time=T0 + n)
            plan.invalid_ids.add(cid)
            plan.posts.append(Post("invalid", cid, body, sign(WRONG_SECRET, body)))
        elif kind == "edit" and editable:
            cid = editable.pop(rng.randrange(len(editable)))
            offensive = edits % 2 == 0
            edits += 1
            text = _text(rng, sentences, offensive, avoid=plan.texts[cid][0])
            plan.texts[cid].append(text)
            if offensive:
                plan.hidden[cid] = text
            # An edit's entry time is when it happened: after the comment was written.
            body = delivery(comment(cid, "edited", text, time=T0 + n),
                            time=T0 + config.events + n)
            plan.posts.append(Post("edit", cid, body, sign(APP_SECRET, body)))
            distinct.append(plan.posts[-1])
        else:
            cid = f"100_{tag}{n:07d}"
            offensive = int((adds + 1) * config.offensive_share) > int(
                adds * config.offensive_share)
            adds += 1
            text = _text(rng, sentences, offensive)
            plan.texts[cid] = [text]
            if offensive:
                plan.hidden[cid] = text
            else:
                editable.append(cid)
            body = delivery(comment(cid, message=text, time=T0 + n), time=T0 + n)
            plan.posts.append(Post("add", cid, body, sign(APP_SECRET, body)))
            distinct.append(plan.posts[-1])
    _check_texts(plan, engine)
    return plan


def _text(rng: random.Random, sentences: list[str], offensive: bool,
          avoid: str | None = None) -> str:
    while True:
        text = " ".join(rng.sample(sentences, rng.choice((1, 2))))
        if offensive:
            text = f"{text} {rng.choice(OFFENSIVE)}"
        if text != avoid:
            return text


def _check_texts(plan: Plan, engine: RuleEngine) -> None:
    """Every text decides as the plan expects under the default policy, or the soak would
    count hides that the rules never asked for."""
    today = date.today()
    seen: dict[str, str] = {}
    for cid, texts in plan.texts.items():
        for text in texts:
            if text not in seen:
                seen[text] = engine.check(text, Policy(), today=today).decision
            wanted = "hide" if plan.hidden.get(cid) == text else "allow"
            if seen[text] != wanted:
                raise RuntimeError(f"the default policy decides {seen[text]!r} on {text!r}; "
                                   f"the soak expects {wanted!r}")


# -- the service ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_bytes(pid: int) -> int | None:
    """The process's peak resident set (VmHWM), from /proc; None elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class Service:
    """``uppsikt serve`` on one port, killed and started again as often as wanted."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.log = workdir / "serve.log"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.up = threading.Event()  # set while the service answers
        self.peak_rss = 0
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
                env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    self.starts += 1
                    self.up.set()
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("uppsikt serve did not become ready; its log ends with:\n"
                           + self.log.read_text(errors="replace")[-3000:])

    def _note_rss(self) -> None:
        if self.proc is not None:
            self.peak_rss = max(self.peak_rss, peak_rss_bytes(self.proc.pid) or 0)

    def kill(self) -> None:
        assert self.proc is not None
        self.up.clear()
        self._note_rss()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """A graceful stop (uvicorn finishes its requests and the worker its pass)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        self.up.clear()
        self._note_rss()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def log_counts(self) -> Counter[str]:
        """Log lines at WARNING or above, by level and event."""
        import json

        counts: Counter[str] = Counter()
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                level, event = str(entry.get("level", "?")), str(entry.get("event", "?"))
            except (ValueError, AttributeError):
                level, event = "unparsed", line[:60]
            if level not in ("info", "debug"):
                counts[f"{level} {event}"] += 1
        return counts


def service_env(database_url: str, workdir: Path, config: SoakConfig) -> dict[str, str]:
    """Only what the soak sets; inherited UPPSIKT_* are dropped and no .env is read (the
    service runs in ``workdir``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPPSIKT_")}
    env.update(UPPSIKT_DATABASE_URL=database_url, UPPSIKT_SECRET_KEY=SECRET_KEY,
               UPPSIKT_META_APP_SECRET=APP_SECRET, UPPSIKT_META_VERIFY_TOKEN=VERIFY_TOKEN,
               UPPSIKT_MEDIA_DIR=str(workdir / "media"),
               UPPSIKT_ARCHIVE_DIR=str(workdir / "archive"),
               UPPSIKT_WORKER_POLL_SECONDS="0.05",
               UPPSIKT_RETRY_BASE_SECONDS=str(config.retry_base_seconds),
               UPPSIKT_RETRY_MAX_SECONDS=str(config.retry_max_seconds),
               UPPSIKT_LOG_JSON="true")
    # Run from the checkout's sources whatever the working directory.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# -- sending -------------------------------------------------------------------------------
class Sender:
    """Posts every planned delivery until it has its final answer (2xx for a signed one,
    401/403 for a forged one), while a controller kills and restarts the service."""

    def __init__(self, service: Service, plan: Plan, config: SoakConfig) -> None:
        self.service = service
        self.plan = plan
        self.config = config
        self.todo: queue.Queue[Post] = queue.Queue()
        self.lock = threading.Lock()
        self.answered = 0
        self.requests = 0
        self.resent = 0
        self.kill_times: list[float] = []
        self.downtime = 0.0
        self.failure: BaseException | None = None
        rng = random.Random(config.seed + 1)
        total = len(plan.posts)
        low, high = int(total * 0.05), max(int(total * 0.95), int(total * 0.05) + 1)
        self.kill_at = sorted(rng.sample(range(low, high), min(config.kills, high - low)))

    def run(self, say: Callable[[str], None], every: float = 60.0) -> tuple[float, float]:
        """Send everything; returns (first send, last answer) on the monotonic clock."""
        for post in self.plan.posts:
            self.todo.put(post)
        t_first = time.monotonic()
        threads = [threading.Thread(target=self._guard(self._send_loop), name=f"soak-send-{i}",
                                    daemon=True)
                   for i in range(self.config.senders)]
        threads.append(threading.Thread(target=self._guard(self._kill_loop), name="soak-kill",
                                       daemon=True))
        for t in threads:
            t.start()
        said = t_first
        while alive := [t for t in threads if t.is_alive()]:
            alive[0].join(max(0.0, said + every - time.monotonic()))
            if time.monotonic() - said < every:
                continue
            said = time.monotonic()
            say(f"answered {self.answered:,} of {len(self.plan.posts):,} "
                f"({self.requests:,} requests, {len(self.kill_times)} kills)")
        for t in threads:
            t.join()
        if self.failure is not None:
            raise self.failure
        return t_first, time.monotonic()

    def _guard(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                self.failure = exc
                self.answered = len(self.plan.posts)  # let the other threads end
        return run

    def _finished(self) -> bool:
        return self.answered >= len(self.plan.posts)

    def _send_loop(self) -> None:
        with httpx.Client(base_url=self.service.url, timeout=30) as http:
            while not self._finished():
                try:
                    post = self.todo.get(timeout=0.2)
                except queue.Empty:
                    continue
                self._send(http, post)

    def _send(self, http: httpx.Client, post: Post) -> None:
        self.service.up.wait(120)
        with self.lock:
            self.requests += 1
            if post.attempts:
                self.resent += 1
        post.attempts += 1
        try:
            r = http.post("/webhooks/meta", content=post.body,
                          headers={"X-Hub-Signature-256": post.signature,
                                   "Content-Type": "application/json"})
            status = r.status_code
        except httpx.TransportError:
            status = None  # killed under the request, or not up yet: Meta tries again
        # Meta retries what got no answer or a server error; any other answer is final
        # (the checks name one that is not what it should be).
        if status is None or status >= 500:
            time.sleep(0.02)
            self.todo.put(post)
            return
        post.status = status
        with self.lock:
            self.answered += 1

    def _kill_loop(self) -> None:
        for threshold in self.kill_at:
            while self.answered < threshold and not self._finished():
                time.sleep(0.005)
            if self._finished():
                return
            t = time.monotonic()
            self.kill_times.append(t)
            self.service.kill()
            self.service.start()
            self.downtime += time.monotonic() - t


# -- draining and checking -----------------------------------------------------------------
def backlog(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        def count(stmt: Any) -> int:
            return session.scalar(stmt) or 0

        return {
            "deliveries": count(select(func.count()).select_from(InboxEvent)
                                .where(InboxEvent.status == DeliveryStatus.received)),
            "changes": count(select(func.count()).select_from(InboxChange)
                             .where(InboxChange.status == ChangeStatus.pending)),
            "fetches": count(select(func.count()).select_from(Item)
                             .where(Item.fetch_status == FetchStatus.pending)),
            "actions": count(select(func.count()).select_from(Action)
                             .where(Action.status == ActionStatus.pending)),
        }


def wait_drained(db: Database, timeout: float,
                 say: Callable[[str], None] = lambda _: None) -> float:
    """Seconds until nothing waits; raises if that does not happen within ``timeout``."""
    t0 = last_said = time.monotonic()
    while True:
        left = backlog(db)
        if not any(left.values()):
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"not drained after {timeout:.0f} s: {left} waiting")
        if time.monotonic() - last_said > 60:
            last_said = time.monotonic()
            say(f"waiting: {left}")
        time.sleep(0.25)


def check(db: Database, plan: Plan, fake: FakeGraphServer) -> list[str]:
    """Every way the end state differs from the plan, in words (empty: as it must be)."""
    problems: list[str] = []

    def expect(ok: bool, what: str, bad: list[Any] | None = None) -> None:
        if not ok:
            shown = f" (e.g. {sorted(map(str, bad))[:5]}, {len(bad)} in all)" if bad else ""
            problems.append(what + shown)

    with db.transaction() as session:
        items = Counter(session.scalars(select(Item.platform_id)))
        versions: dict[str, list[str | None]] = {}
        for pid, text in session.execute(
                select(Item.platform_id, ItemVersion.text).join(ItemVersion)
                .order_by(Item.platform_id, ItemVersion.seq)):
            versions.setdefault(pid, []).append(text)
        stored = Counter(session.scalars(select(InboxEvent.body_sha256)))
        bad_events = session.scalars(select(InboxEvent.id).where(
            InboxEvent.status != DeliveryStatus.split)).all()
        bad_changes = session.scalars(select(InboxChange.id).where(
            InboxChange.status != ChangeStatus.done)).all()
        n_changes = session.scalar(select(func.count()).select_from(InboxChange))
        actions = session.execute(
            select(Item.platform_id, Action.kind, Action.status, Action.snapshot_id,
                   Action.done_at).join(Item, Item.id == Action.item_id)).all()
        snapshots = session.execute(
            select(Item.platform_id, Snapshot.id, Snapshot.text, Snapshot.taken_at)
            .join(Item, Item.id == Snapshot.item_id)).all()

    # Archived exactly once, with exactly its versions.
    wanted = set(plan.texts)
    expect(set(items) == wanted, "archived items differ from the valid comments sent",
           list(set(items) ^ wanted))
    expect(all(n == 1 for n in items.values()), "an item archived more than once",
           [k for k, n in items.items() if n > 1])
    wrong = [cid for cid, texts in plan.texts.items()
             if sorted(versions.get(cid, []), key=str) != sorted(texts)]
    expect(not wrong, "an item's versions differ from the texts sent", wrong)
    # The inbox: one row per distinct signed body, all split, every change done.
    distinct = {p.sha256 for p in plan.distinct()}
    expect(set(stored) == distinct, "inbox rows differ from the distinct signed deliveries",
           list(set(stored) ^ distinct))
    expect(not bad_events, "a delivery not split", list(bad_events))
    expect(n_changes == len(distinct) and not bad_changes,
           f"changes: {n_changes} for {len(distinct)} deliveries, not done", list(bad_changes))
    # Refused deliveries wrote nothing.
    forged = [p for p in plan.posts if p.kind == "invalid"]
    expect(all(p.status in REFUSED for p in forged), "a forged delivery was not refused",
           [p.comment_id for p in forged if p.status not in REFUSED])
    expect(not any(p.sha256 in stored for p in forged), "a forged delivery was stored",
           [p.comment_id for p in forged if p.sha256 in stored])
    expect(not (plan.invalid_ids & set(items)), "a forged comment was archived",
           list(plan.invalid_ids & set(items)))
    signed = [p for p in plan.posts if p.kind != "invalid"]
    expect(all(p.status == 200 for p in signed), "a signed delivery not answered 200",
           [p.comment_id for p in signed if p.status != 200])
    problems += _check_actions(plan, actions, snapshots, fake)
    return problems


def _check_actions(plan: Plan, actions: list[Any], snapshots: list[Any],
                   fake: FakeGraphServer) -> list[str]:
    problems: list[str] = []
    hidden = set(plan.hidden)
    done_hides = Counter(a.platform_id for a in actions
                         if a.kind == "hide" and a.status == ActionStatus.done)
    if set(done_hides) != hidden or any(n != 1 for n in done_hides.values()):
        off = sorted(set(done_hides) ^ hidden) + [k for k, n in done_hides.items() if n > 1]
        problems.append(f"done hide actions differ from the rule-breaking comments: {off[:5]}")
    others = [a for a in actions if not (a.kind == "hide" and a.status == ActionStatus.done)]
    if others:
        problems.append(f"other actions: {[tuple(a) for a in others[:5]]} ({len(others)})")
    snaps: dict[str, list[Any]] = {}
    for s in snapshots:
        snaps.setdefault(s.platform_id, []).append(s)
    if set(snaps) != hidden or any(len(v) != 1 for v in snaps.values()):
        problems.append("snapshots are not one per hidden comment: "
                        f"{sorted(set(snaps) ^ hidden)[:5]}")
    for a in actions:
        snap = next((s for s in snaps.get(a.platform_id, []) if s.id == a.snapshot_id), None)
        if snap is None or snap.text != plan.hidden.get(a.platform_id):
            problems.append(f"{a.platform_id}: the snapshot is not of the text hidden")
        elif a.done_at is None or snap.taken_at > a.done_at:
            problems.append(f"{a.platform_id}: action done before its snapshot was taken")
    # On the Graph API: one successful hide per rule-breaking comment and nothing else.
    calls = list(fake.state.actions)
    ok = Counter(c["object_id"] for c in calls if c["status"] == 200)
    hides = Counter(c["object_id"] for c in calls if c["status"] == 200
                    and c["method"] == "POST" and c["is_hidden"] is True)
    if set(hides) != hidden or any(n != 1 for n in hides.values()) or ok != hides:
        problems.append("successful Graph calls are not one hide per rule-breaking comment: "
                        f"{sorted(set(ok) ^ hidden)[:5]}, "
                        f"{[k for k, n in ok.items() if n > 1][:5]} repeated")
    odd = [c for c in calls if c["status"] != 200 and not c["injected"]]
    if odd:
        problems.append(f"Graph calls failed without an injected failure: {odd[:3]}")
    if fake.state.hook_failures:
        problems.append(f"calls before their snapshot: {fake.state.hook_failures[:3]}")
    not_hidden = [cid for cid in hidden if fake.state.hidden(cid) is not True]
    if not_hidden:
        problems.append(f"not hidden on the Graph API: {not_hidden[:5]}")
    return problems


# -- the whole soak ------------------------------------------------------------------------
@dataclass
class SoakResult:
    figures: dict[str, Any]
    problems: list[str]
    audit_returncode: int
    audit_output: str
    log_counts: Counter[str] = field(default_factory=Counter)


def audit_verify(env: dict[str, str], workdir: Path) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "app", "audit", "verify"], env=env,
                          cwd=workdir, capture_output=True, text=True, timeout=600,
                          check=False)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def run_soak(config: SoakConfig, database_url: str, workdir: Path,
             say: Callable[[str], None] = lambda _: None) -> SoakResult:
    """The soak on ``database_url`` (an empty database, or one migrated and empty)."""
    t_start = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid() % 100000:05d}"
    plan = make_plan(config, RuleEngine.from_directory(), tag)
    say(f"planned {len(plan.posts)} posts: {len(plan.texts)} comments, "
        f"{sum(p.kind == 'edit' for p in plan.posts)} edits, {len(plan.hidden)} to hide, "
        f"{sum(p.kind == 'duplicate' for p in plan.posts)} duplicates, "
        f"{len(plan.invalid_ids)} forged; {config.kills} kills")
    upgrade(database_url)
    db = Database(database_url)
    fake = FakeGraphServer().start()
    hook, hook_engine = preserved_first(database_url)
    env = service_env(database_url, workdir, config)
    service = Service(env, workdir)
    try:
        fake.state.token = PAGE_TOKEN
        fake.state.rng.seed(config.seed + 2)
        for cid, texts in plan.texts.items():
            fake.state.objects[cid] = {"message": texts[-1],
                                       "created_time": "2026-11-25T10:00:00+0000",
                                       "from": {"id": "555", "name": "Åsa Öberg"}}
        fake.state.before_action = hook
        fake.state.action_failure_rate = config.graph_failure_rate
        env["UPPSIKT_GRAPH_BASE_URL"] = fake.base_url
        add_test_page(db)
        service.start()
        sender = Sender(service, plan, config)
        t_first, t_last = sender.run(say)
        say(f"sent in {t_last - t_first:.1f} s ({sender.requests} requests, "
            f"{sender.resent} resent, {len(sender.kill_times)} kills); draining")
        drain = wait_drained(db, config.drain_timeout, say)
        t_drained = time.monotonic()
        service.stop()
        problems = check(db, plan, fake)
        audit_rc, audit_out = audit_verify(env, workdir)
        if audit_rc != 0:
            problems.append(f"uppsikt audit verify exited {audit_rc}: {audit_out[-500:]}")
        figures = _figures(config, plan, sender, service, fake, db,
                           send=t_last - t_first, drain=drain, wall=t_drained - t_first,
                           total=time.monotonic() - t_start)
        return SoakResult(figures, problems, audit_rc, audit_out, service.log_counts())
    finally:
        service.stop()
        fake.state.before_action = None
        fake.stop()
        hook_engine.dispose()
        db.dispose()


def _figures(config: SoakConfig, plan: Plan, sender: Sender, service: Service,
             fake: FakeGraphServer, db: Database, *, send: float, drain: float, wall: float,
             total: float) -> dict[str, Any]:
    with db.transaction() as session:
        n_items = session.scalar(select(func.count()).select_from(Item))
        n_versions = session.scalar(select(func.count()).select_from(ItemVersion))
        n_done = session.scalar(select(func.count()).select_from(Action)
                                .where(Action.status == ActionStatus.done))
        attempts = session.scalar(select(func.sum(Action.attempts))) or 0
        n_actions = session.scalar(select(func.count()).select_from(Action))
    calls = list(fake.state.actions)
    posts = plan.posts
    return {
        "events_sent": len(posts),
        "accepted": sum(1 for p in posts if p.kind in ("add", "edit") and p.status == 200),
        "duplicates": sum(1 for p in posts if p.kind == "duplicate"),
        "invalid_refused": sum(1 for p in posts if p.kind == "invalid" and p.status in REFUSED),
        "invalid_sent": len(plan.invalid_ids),
        "requests": sender.requests,
        "resent": sender.resent,
        "kills": len(sender.kill_times),
        "restarts": service.starts - 1,
        "restart_seconds": sender.downtime,
        "send_seconds": send,
        "send_rate": len(posts) / send if send else None,
        "drain_seconds": drain,
        "wall_seconds": wall,
        "events_per_second": len(posts) / wall if wall else None,
        "total_seconds": total,
        "items": n_items,
        "versions": n_versions,
        "to_hide": len(plan.hidden),
        "actions": n_actions,
        "actions_done": n_done,
        "action_retries": attempts - n_actions,
        "graph_requests": len(fake.state.requests),
        "graph_action_calls": len(calls),
        "graph_gets": sum(1 for r in fake.state.requests if r["method"] == "GET"),
        "injected_failures": fake.state.injected_failures,
        "service_peak_rss_mb": service.peak_rss / 2**20,
    }


def describe(result: SoakResult) -> list[str]:
    f = result.figures
    lines = [
        (f"events sent {f['events_sent']:,}: accepted {f['accepted']:,} distinct, duplicates "
         f"{f['duplicates']:,}, forged refused {f['invalid_refused']:,} of "
         f"{f['invalid_sent']:,}; {f['requests']:,} requests ({f['resent']:,} resent after "
         "no answer or a 503)"),
        (f"kills {f['kills']}, restarts {f['restarts']} (down {f['restart_seconds']:.1f} s "
         "in all)"),
        (f"sending {f['send_seconds']:.1f} s ({f['send_rate']:.0f} events/s); drained "
         f"{f['drain_seconds']:.1f} s after the last answer; first send to drained "
         f"{f['wall_seconds']:.1f} s ({f['events_per_second']:.0f} events/s); whole soak "
         f"{f['total_seconds']:.1f} s"),
        (f"items {f['items']:,}, versions {f['versions']:,}; to hide {f['to_hide']:,}, "
         f"actions {f['actions']:,}, done {f['actions_done']:,}, retries "
         f"{f['action_retries']:,}"),
        (f"Graph requests {f['graph_requests']:,} ({f['graph_action_calls']:,} action calls, "
         f"{f['graph_gets']:,} GET), injected failures {f['injected_failures']:,}"),
        f"service peak RSS {f['service_peak_rss_mb']:.0f} MB",
        f"audit verify: exit {result.audit_returncode}: {result.audit_output}",
    ]
    if result.log_counts:
        lines.append("service log, WARNING and above: " + ", ".join(
            f"{k} x{v}" for k, v in sorted(result.log_counts.items())))
    lines += [f"PROBLEM: {p}" for p in result.problems] or ["every check passed"]
    return lines

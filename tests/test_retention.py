"""Retention (gallring): rules from retention decisions, legal holds, the dry run and the
culling job. Invariant 5: nothing leaves the archive except by this job, per a recorded
decision, never under a hold; every removal is logged."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.content.models import Author, Item, ItemVersion
from app.core.errors import AppError
from app.jobs.models import JobRun
from app.jobs.runner import run_job
from app.moderation.models import (
    Action,
    MediaBlob,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.pages.models import Page
from app.retention import service
from app.retention.models import CullingRecord, LegalHold, RetentionRule
from app.rules.models import ItemDecision
from app.search.service import search
from app.webhooks.models import InboxChange, InboxEvent
from tests.conftest import FEED_PAGE, add_test_page, post_signed
from tests.test_processing import comment, delivery

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)
OTHER_PAGE = "777000777"


def page_pk(db, platform_id: str = FEED_PAGE) -> int:
    with db.transaction() as session:
        return session.scalar(select(Page.id).where(Page.platform_id == platform_id))


def make_item(db, platform_id: str, *, page: str = FEED_PAGE, kind: str = "comment",
              text: str = "Ett gammalt inlägg om snöröjning", created: datetime | None = OLD,
              post: str | None = None, media: list[tuple[Path, bytes]] | None = None,
              author: str | None = "555") -> int:
    """An item with one version and one snapshot (with media files when given)."""
    with db.transaction() as session:
        page_id = session.scalar(select(Page.id).where(Page.platform_id == page))
        author_row = None
        if author is not None:
            author_row = session.scalar(select(Author).where(Author.platform_id == author))
            if author_row is None:
                author_row = Author(platform_id=author, name="Åsa Öberg")
                session.add(author_row)
                session.flush()
        item = Item(platform_id=platform_id, page_id=page_id, kind=kind,
                    platform_type="status" if kind == "post" else kind,
                    post_platform_id=post if kind != "post" else platform_id,
                    created_time=created, first_seen_at=created or OLD,
                    author_id=author_row.id if author_row else None)
        session.add(item)
        session.flush()
        version = ItemVersion(item_id=item.id, seq=1, text=text,
                              media=[{"type": "photo", "url": "https://x.test/p.jpg"}],
                              content_sha256="a" * 64, observed_at=created or OLD,
                              recorded_at=created or OLD, verb="add")
        session.add(version)
        session.flush()
        snap = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                        taken_by="system", item_platform_id=platform_id,
                        page_platform_id=page, observed_at=created or OLD, text=text,
                        sender_platform_id=author, sender_name="Åsa Öberg",
                        decision={"decision": "review", "matches": [
                            {"source": "detector", "text": "19121212-1212",
                             "term": "19121212-1212"}]},
                        media_count=len(media or []), sha256="b" * 64)
        session.add(snap)
        session.flush()
        for position, (root, data) in enumerate(media or []):
            sha = hashlib.sha256(data).hexdigest()
            relative = f"{sha[:2]}/{sha[2:4]}/{sha}"
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if session.get(MediaBlob, sha) is None:
                session.add(MediaBlob(sha256=sha, size=len(data), path=relative))
                session.flush()
            session.add(SnapshotMedia(snapshot_id=snap.id, position=position, kind="photo",
                                      url="https://x.test/p.jpg", status="stored",
                                      blob_sha256=sha))
        return item.id


def add_rule(db, *, page: str | None = None, kind: str = "comment", keep_days: int = 365,
             ref: str = "KS 2026/0123 § 45") -> int:
    with db.transaction() as session:
        return service.add_rule(session, page=page, kind=kind, keep_days=keep_days,
                                decision_ref=ref, decision_date=date(2026, 3, 1),
                                by="informationschef").id


def hold(db, scope: str, target: str) -> int:
    with db.transaction() as session:
        return service.place_hold(session, scope=scope, target=target, reason="begäran",
                                  by="informationschef").id


def due_ids(db, now: datetime = NOW) -> list[str]:
    with db.transaction() as session:
        return [c.platform_id for c in service.candidates(session, now)]


def culled_ids(db) -> list[str]:
    with db.transaction() as session:
        return sorted(session.scalars(select(CullingRecord.item_platform_id)))


def texts_of(db, platform_id: str) -> tuple[list, list]:
    with db.transaction() as session:
        item_id = session.scalar(select(Item.id).where(Item.platform_id == platform_id))
        versions = [(v.text, v.media) for v in session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item_id))]
        snaps = [(s.text, s.sender_name, s.sender_platform_id, s.decision) for s in
                 session.scalars(select(Snapshot).where(Snapshot.item_id == item_id))]
        return versions, snaps


@pytest.fixture
def pages(db):
    add_test_page(db, FEED_PAGE)
    add_test_page(db, OTHER_PAGE, name="Kultur", unit="Kulturförvaltningen")


def test_the_job_culls_what_is_due_and_records_each_removal(db, job_env, pages):
    add_rule(db, keep_days=365)
    make_item(db, "old-1")
    make_item(db, "young-1", created=NOW - timedelta(days=30))
    make_item(db, "old-post", kind="post")  # no rule for posts
    outcome = run_job(job_env, "retention", now=NOW)
    assert outcome.status == "ok", outcome.error
    assert outcome.summary["culled"] == 1
    assert culled_ids(db) == ["old-1"]
    versions, snaps = texts_of(db, "old-1")
    assert versions == [(None, [])]
    assert snaps[0][:3] == (None, None, None)
    assert snaps[0][3]["matches"][0]["text"] == snaps[0][3]["matches"][0]["term"] == ""
    assert texts_of(db, "young-1")[0][0][0] == "Ett gammalt inlägg om snöröjning"
    with db.transaction() as session:
        item = session.scalar(select(Item).where(Item.platform_id == "old-1"))
        assert item.culled_at is not None and item.author_id is None
        [rec] = session.scalars(select(CullingRecord)).all()
        assert (rec.decision_ref, rec.kind, rec.versions, rec.run_id) == (
            "KS 2026/0123 § 45", "comment", 1, outcome.run_id)
        [entry] = session.scalars(select(AuditEntry).where(
            AuditEntry.act == "retention.culled")).all()
        assert entry.subject_id == "old-1" and entry.actor == "retention"
        assert "snöröjning" not in json.dumps(entry.detail, ensure_ascii=False)
        # The sender goes with the last of their items, not before.
        assert session.scalar(select(Author).where(Author.platform_id == "555")) is not None


def test_running_twice_culls_once(db, job_env, pages):
    add_rule(db)
    make_item(db, "old-1")
    make_item(db, "old-2")
    first = run_job(job_env, "retention", now=NOW)
    second = run_job(job_env, "retention", now=NOW + timedelta(days=1))
    assert (first.summary["culled"], second.summary["culled"]) == (2, 0)
    assert culled_ids(db) == ["old-1", "old-2"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.act == "retention.culled")) == 2
        # the sender's last item culled: the name and id are gone too
        assert session.scalar(select(Author).where(Author.platform_id == "555")) is None


def test_content_arriving_after_culling_is_culled_again(db, job_env, pages):
    add_rule(db)
    item_id = make_item(db, "old-1")
    run_job(job_env, "retention", now=NOW)
    with db.transaction() as session:
        session.add(ItemVersion(item_id=item_id, seq=2, text="redigerat i efterhand", media=[],
                                content_sha256="c" * 64, observed_at=NOW, verb="edited",
                                recorded_at=datetime.now(UTC) + timedelta(seconds=1)))
    assert due_ids(db, NOW + timedelta(days=1)) == ["old-1"]
    run_job(job_env, "retention", now=NOW + timedelta(days=1))
    assert [t for t, _ in texts_of(db, "old-1")[0]] == [None, None]
    assert culled_ids(db) == ["old-1", "old-1"]


def test_dry_run_changes_nothing_and_lists_exactly_what_the_run_removes(db, job_env, pages):
    add_rule(db)
    add_rule(db, kind="message", keep_days=30)
    for n in range(3):
        make_item(db, f"old-{n}")
    make_item(db, "dm-1", kind="message", created=NOW - timedelta(days=31))
    make_item(db, "held", post=None)
    hold(db, "item", "held")
    dry = run_job(job_env, "retention", now=NOW, dry_run=True)
    assert dry.status == "ok"
    listed = sorted(i["platform_id"] for i in dry.summary["items"])
    assert listed == ["dm-1", "old-0", "old-1", "old-2"] and dry.summary["due"] == 4
    assert {(g["kind"], g["items"]) for g in dry.summary["groups"]} == {("comment", 3),
                                                                         ("message", 1)}
    assert culled_ids(db) == []
    assert texts_of(db, "old-0")[0][0][0] is not None
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.act == "retention.culled")) == 0
    real = run_job(job_env, "retention", now=NOW)
    assert culled_ids(db) == listed and real.summary["culled"] == 4


def test_holds_and_registration_are_never_culled(db, job_env, pages):
    add_rule(db)
    add_rule(db, kind="post")
    add_rule(db, kind="reply")
    make_item(db, "post-1", kind="post")
    make_item(db, "c-under-post", post="post-1")
    make_item(db, "r-under-post", kind="reply", post="post-1")
    make_item(db, "c-held", post="post-2")
    make_item(db, "c-other-page", page=OTHER_PAGE, post="post-9")
    make_item(db, "c-free", post="post-2")
    pending = make_item(db, "c-pending-case", post="post-2")
    registered = make_item(db, "c-registered", post="post-2")
    not_required = make_item(db, "c-not-required", post="post-2")
    must = make_item(db, "c-must-register", post="post-2")
    acting = make_item(db, "c-action", post="post-2")
    with db.transaction() as session:
        for item_id, status in ((pending, "pending"), (registered, "registered"),
                                (not_required, "not_required")):
            snap = session.scalar(select(Snapshot.id).where(Snapshot.item_id == item_id))
            session.add(RegistrationCase(item_id=item_id, snapshot_id=snap, status=status,
                                         reason="test"))
        version = session.scalar(select(ItemVersion.id).where(ItemVersion.item_id == must))
        session.add(ItemDecision(item_id=must, item_version_id=version, decision="remove",
                                 register=True, observe=False, categories=["secret"],
                                 explanation={}, engine_version="1", policy_version="1"))
        snap = session.scalar(select(Snapshot.id).where(Snapshot.item_id == acting))
        session.add(Action(snapshot_id=snap, item_id=acting, page_id=page_pk(db), kind="hide",
                           requested_by="system", reason="test"))
    hold(db, "post", "post-1")
    hold(db, "item", "c-held")
    page_hold = hold(db, "page", OTHER_PAGE)
    run_job(job_env, "retention", now=NOW)
    assert culled_ids(db) == ["c-free", "c-not-required"]
    for kept in ("post-1", "c-under-post", "r-under-post", "c-held", "c-other-page",
                 "c-pending-case", "c-registered", "c-must-register", "c-action"):
        assert texts_of(db, kept)[0][0][0] is not None, kept
    # Released, the page hold no longer protects the page.
    with db.transaction() as session:
        service.release_hold(session, page_hold, by="informationschef")
    run_job(job_env, "retention", now=NOW)
    assert "c-other-page" in culled_ids(db)


def test_a_hold_placed_after_the_listing_wins(db, job_env, pages, monkeypatch):
    add_rule(db)
    make_item(db, "old-1")
    make_item(db, "old-2")
    real = service.candidates

    def listed_then_held(session, now, **kw):
        found = real(session, now, **kw)
        if kw.get("item_ids") is None:  # the job's listing: a hold arrives right after it
            hold(db, "item", "old-2")
        return found

    monkeypatch.setattr(service, "candidates", listed_then_held)
    outcome = run_job(job_env, "retention", now=NOW)
    assert outcome.summary == {"due": 2, "culled": 1, "skipped": 1, "files_deleted": 0}
    assert culled_ids(db) == ["old-1"]


def test_page_rule_wins_over_the_all_pages_rule(db, pages):
    add_rule(db, keep_days=365)  # every page: a year
    add_rule(db, page=OTHER_PAGE, keep_days=1000)  # this page: longer
    make_item(db, "feed-500", created=NOW - timedelta(days=500))
    make_item(db, "other-500", page=OTHER_PAGE, created=NOW - timedelta(days=500))
    make_item(db, "other-1001", page=OTHER_PAGE, created=NOW - timedelta(days=1001))
    assert sorted(due_ids(db)) == ["feed-500", "other-1001"]
    with db.transaction() as session:
        by_item = {c.platform_id: c.keep_days for c in service.candidates(session, NOW)}
    assert by_item == {"feed-500": 365, "other-1001": 1000}
    # A shorter page rule also wins.
    with db.transaction() as session:
        rule = session.scalar(select(RetentionRule).where(RetentionRule.page_id.is_not(None)))
        service.retire_rule(session, rule.id, by="informationschef")
    add_rule(db, page=OTHER_PAGE, keep_days=10)
    make_item(db, "other-20", page=OTHER_PAGE, created=NOW - timedelta(days=20))
    assert sorted(due_ids(db)) == ["feed-500", "other-1001", "other-20", "other-500"]


def test_age_counts_from_first_seen_when_created_time_is_unknown(db, pages):
    add_rule(db, keep_days=10)
    with db.transaction() as session:
        session.add(Item(platform_id="no-time", page_id=page_pk(db), kind="comment",
                         platform_type="comment", created_time=None,
                         first_seen_at=NOW - timedelta(days=11)))
    assert due_ids(db) == ["no-time"]
    assert due_ids(db, NOW - timedelta(days=2)) == []


def test_media_files_go_only_when_no_one_else_refers_to_them(db, job_env, pages, settings):
    media_dir = Path(settings.media_dir)
    add_rule(db)
    make_item(db, "old-1", media=[(media_dir, b"shared"), (media_dir, b"own")])
    make_item(db, "young-1", created=NOW - timedelta(days=3), media=[(media_dir, b"shared")])
    shared = hashlib.sha256(b"shared").hexdigest()
    own = hashlib.sha256(b"own").hexdigest()
    outcome = run_job(job_env, "retention", now=NOW)
    assert outcome.summary["files_deleted"] == 1
    files = {p.name for p in media_dir.rglob("*") if p.is_file()}
    assert files == {shared}
    with db.transaction() as session:
        assert session.get(MediaBlob, own) is None and session.get(MediaBlob, shared)
        rec = session.scalar(select(CullingRecord))
        assert rec.media_files == 2
    # When the last item that refers to it is culled, the shared file goes too.
    run_job(job_env, "retention", now=NOW + timedelta(days=400))
    assert [p for p in media_dir.rglob("*") if p.is_file()] == []


def test_a_culled_comment_is_gone_from_search_inbox_and_api(db, client, processor, job_env,
                                                           settings):
    add_test_page(db)
    body = delivery(comment("9001_1", message="Vägen vid Lugnet är ohyggligt hal idag"))
    assert post_signed(client, body).status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        assert [h.item_id for h in search(session, q="ohyggligt").hits] == ["9001_1"]
    add_rule(db, keep_days=30)
    outcome = run_job(job_env, "retention", now=NOW)
    assert outcome.summary["culled"] == 1
    with db.transaction() as session:
        assert search(session, q="ohyggligt").hits == []
        assert search(session, q="Lugnet").hits == []
        for hit in search(session, page_ids=[FEED_PAGE]).hits:
            assert hit.snippet == "" and hit.author_name is None
        [change] = session.scalars(select(InboxChange)).all()
        assert "ohyggligt" not in json.dumps(change.payload)
        [event] = session.scalars(select(InboxEvent)).all()
        assert event.body == b"" and event.body_sha256
        for decision in session.scalars(select(ItemDecision)):
            assert "ohyggligt" not in json.dumps(decision.explanation, ensure_ascii=False)
    # Meta redelivering the same body archives nothing anew.
    assert post_signed(client, body).status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ItemVersion)) == 1
        assert session.scalar(select(ItemVersion.text)) is None


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"kind": "story"}, 422),
    ({"keep_days": 0}, 422),
    ({"keep_days": -5}, 422),
    ({"keep_days": 10**6}, 422),
    ({"decision_ref": "  "}, 422),
    ({"decision_ref": "x" * 201}, 422),
    ({"decision_date": date(2099, 1, 1)}, 422),
    ({"page": "nope"}, 404),
    ({"by": ""}, 422),
])
def test_rule_validation(db, pages, kwargs, status):
    args = {"page": None, "kind": "comment", "keep_days": 30, "decision_ref": "KS 1",
            "by": "informationschef", **kwargs}
    with pytest.raises(AppError) as raised, db.transaction() as session:
        service.add_rule(session, **args)
    assert raised.value.status == status
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RetentionRule)) == 0


def test_one_active_rule_per_page_and_kind(db, pages):
    first = add_rule(db)
    with pytest.raises(AppError) as raised:
        add_rule(db)
    assert raised.value.status == 409
    add_rule(db, page=OTHER_PAGE)  # a page's own rule is another matter
    with db.transaction() as session:
        service.retire_rule(session, first, by="informationschef")
    add_rule(db, keep_days=400)
    with pytest.raises(AppError) as raised, db.transaction() as session:
        service.retire_rule(session, first, by="informationschef")
    assert raised.value.status == 409


def test_hold_validation(db, pages):
    make_item(db, "post-1", kind="post")
    make_item(db, "c-1", post="post-1")
    for scope, target, status in (("post", "c-1", 422), ("item", "missing", 404),
                                  ("page", "missing", 404), ("thread", "c-1", 422)):
        with pytest.raises(AppError) as raised, db.transaction() as session:
            service.place_hold(session, scope=scope, target=target, reason="x", by="a")
        assert raised.value.status == status, (scope, target)
    with pytest.raises(AppError) as raised, db.transaction() as session:
        service.place_hold(session, scope="item", target="c-1", reason=" ", by="a")
    assert raised.value.status == 422
    held = hold(db, "item", "c-1")
    with pytest.raises(AppError) as raised:
        hold(db, "item", "c-1")
    assert raised.value.status == 409
    with db.transaction() as session:
        service.release_hold(session, held, by="a")
    with pytest.raises(AppError) as raised, db.transaction() as session:
        service.release_hold(session, held, by="a")
    assert raised.value.status == 409
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LegalHold)) == 1
        acts = list(session.scalars(select(AuditEntry.act).order_by(AuditEntry.id)))
    assert acts == ["retention.hold_placed", "retention.hold_released"]


def test_cli(db, run, pages):
    make_item(db, "old-1")
    r = run("retention", "add-rule", "--all-pages", "--kind", "comment", "--keep-days", "30",
            "--decision", "KS 2026/0123", "--decision-date", "2026-03-01", "--by", "Eva")
    assert "rule" in r.stdout
    rules = json.loads(run("retention", "rules", "--json").stdout)
    assert [(x["kind"], x["keep_days"], x["decision_ref"], x["created_by"]) for x in rules] == [
        ("comment", 30, "KS 2026/0123", "Eva")]
    due = json.loads(run("retention", "dry-run", "--json").stdout)
    assert [d["platform_id"] for d in due] == ["old-1"]
    r = run("retention", "hold", "--item", "old-1", "--reason", "begäran om utlämnande",
            "--by", "Eva")
    holds = json.loads(run("retention", "holds", "--json").stdout)
    assert [(h["scope"], h["target"]) for h in holds] == [("item", "old-1")]
    assert json.loads(run("retention", "dry-run", "--json").stdout) == []
    run("retention", "release", str(holds[0]["id"]), "--by", "Eva")
    r = run("jobs", "run", "retention")
    culled = json.loads(run("retention", "culled", "--json").stdout)
    assert [(c["item"], c["decision_ref"]) for c in culled] == [("old-1", "KS 2026/0123")]
    run("retention", "retire-rule", str(rules[0]["id"]), "--by", "Eva")
    assert json.loads(run("retention", "rules", "--json").stdout) == []
    for args in (("add-rule", "--all-pages", "--kind", "comment", "--keep-days", "0",
                  "--decision", "KS 1", "--by", "Eva"),
                 ("add-rule", "--kind", "comment", "--keep-days", "3", "--decision", "KS 1",
                  "--by", "Eva"),
                 ("add-rule", "--all-pages", "--kind", "comment", "--keep-days", "3",
                  "--decision", "", "--by", "Eva"),
                 ("hold", "--post", "old-1", "--reason", "x", "--by", "Eva"),
                 ("hold", "--item", "old-1", "--page", FEED_PAGE, "--reason", "x", "--by", "E"),
                 ("release", "999", "--by", "Eva"),
                 ("retire-rule", "999", "--by", "Eva")):
        r = run("retention", *args, ok=False)
        assert r.returncode == 2 and r.stderr.startswith("error: "), (args, r.stderr)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1

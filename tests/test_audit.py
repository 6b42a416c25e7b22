"""The audit log: its hash chain, what tampering it catches, the database's refusal to
change it, concurrent appends, `uppsikt audit verify` and the acts recorded."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

import app.audit.service as audit
from app.audit.models import AuditEntry
from app.audit.service import GENESIS, entry_hash, record, verify
from app.core.db import Database
from app.core.errors import AppError
from app.pages.models import Page
from app.rules.policies import import_facebook_words, set_policy
from tests.conftest import FEED_PAGE, SECRET_KEY, add_test_page

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]


def write(db: Database, n: int, *, start: int = 1) -> list[AuditEntry]:
    with db.transaction() as session:
        return [record(session, actor="anna", act="decision", subject_type="item",
                       subject_id=i, detail={"decision": "hide", "n": i})
                for i in range(start, start + n)]


def check(db: Database) -> audit.VerifyResult:
    with db.transaction() as session:
        return verify(session)


def tamper(db: Database, statement: Executable) -> None:
    """What changing the log takes: setting the append-only triggers aside, which only the
    schema's owner can do, and putting them back."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(statement)
            for trigger in SQLITE_TRIGGERS:
                conn.execute(text(trigger))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(statement)
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def change(entry_id: int, **values: Any) -> Executable:
    return update(AuditEntry).where(AuditEntry.id == entry_id).values(**values)


# -- the chain ------------------------------------------------------------------------
def test_entries_form_a_chain_that_verifies(db):
    entries = write(db, 3)
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert len({e.hash for e in entries}) == 3
    result = check(db)
    assert result == audit.VerifyResult(ok=True, entries=3, head_hash=entries[-1].hash)


def test_an_empty_log_verifies(db):
    assert check(db) == audit.VerifyResult(ok=True, entries=0, head_hash=None)


def test_hash_is_the_documented_sha256_over_prev_hash_and_canonical_json(db):
    at = datetime(2026, 11, 26, 9, 30, 0, 120000, tzinfo=ZoneInfo("Europe/Stockholm"))
    with db.transaction() as session:
        entry = record(session, actor="anna", act="policy.changed", subject_type="page",
                       subject_id=123, detail={"note": "ändrad", "version": 2}, at=at)
    content = ('{"act":"policy.changed","actor":"anna","at":"2026-11-26T08:30:00.120000+00:00",'
               '"detail":{"note":"ändrad","version":2},"subject_id":"123",'
               '"subject_type":"page"}')
    assert entry.hash == hashlib.sha256((GENESIS + content).encode()).hexdigest()
    assert check(db).ok


def test_details_are_hashed_as_the_database_gives_them_back(db):
    with db.transaction() as session:
        entry = record(session, actor="system", act="snapshot", subject_type="item",
                       subject_id="100_90", detail={"ids": (1, 2), "by_id": {3: "tre"},
                                                    "x": 1.5, "z": None, "å": {"b": [True]}})
        # Verified in the writing session too: it must read the rows, not the objects.
        assert verify(session).ok
    with db.transaction() as session:
        stored = session.get(AuditEntry, entry.id)
        assert stored.detail == {"ids": [1, 2], "by_id": {"3": "tre"}, "x": 1.5, "z": None,
                                 "å": {"b": [True]}}
    assert check(db).ok


def test_numbers_verify_as_the_database_stores_them(db):
    # jsonb keeps exact decimals: 1e16 comes back as an integer, -0.0 as 0.0.
    numbers = {"big": 1e16, "huge": 1.5e300, "zero": -0.0, "tiny": 1.5e-7, "third": 0.1 + 0.2,
               "large_int": 2**70, "neg": -2.5e17}
    write(db, 1)
    with db.transaction() as session:
        record(session, actor="system", act="x", subject_type="item", subject_id=1,
               detail=numbers)
    write(db, 1, start=2)
    assert check(db).ok
    with db.transaction() as session:
        stored = session.scalars(select(AuditEntry.detail).where(AuditEntry.act == "x")).one()
    assert stored == {**numbers, "big": 10**16, "huge": 15 * 10**299, "neg": -25 * 10**16}


@pytest.mark.parametrize("detail", [{"s": {1, 2}}, {"x": float("nan")}, {"t": object()}])
def test_details_that_are_not_json_are_refused(db, detail):
    with db.transaction() as session, pytest.raises((TypeError, ValueError)):
        record(session, actor="a", act="x", subject_type="item", subject_id=1, detail=detail)
    assert check(db).entries == 0


def test_a_naive_time_is_refused(db):
    with db.transaction() as session, pytest.raises(ValueError, match="naive"):
        record(session, actor="a", act="x", subject_type="item", subject_id=1,
               at=datetime(2026, 1, 1))


@pytest.mark.breaks_audit_chain
# -- tampering ------------------------------------------------------------------------
@pytest.mark.parametrize("values", [
    {"detail": {"decision": "allow", "n": 3}},
    {"actor": "mallory"},
    {"subject_id": "4"},
    {"at": datetime(2020, 1, 1, tzinfo=UTC)},
], ids=["detail", "actor", "subject", "time"])
def test_a_changed_entry_is_caught_at_that_entry(db, values):
    entries = write(db, 5)
    tamper(db, change(entries[2].id, **values))
    result = check(db)
    assert (result.ok, result.first_bad_id, result.entries) == (False, entries[2].id, 2)
    assert result.problem == (f"entry {entries[2].id}: content does not match its hash "
                              "(changed after it was written)")
    assert result.head_hash is None


@pytest.mark.breaks_audit_chain
def test_a_removed_entry_is_caught_at_the_one_after_it(db):
    entries = write(db, 5)
    tamper(db, delete(AuditEntry).where(AuditEntry.id == entries[2].id))
    result = check(db)
    assert (result.ok, result.first_bad_id, result.entries) == (False, entries[3].id, 2)
    assert result.problem == (f"entry {entries[3].id}: does not follow entry {entries[1].id} "
                              "(an entry before it was removed or changed)")


@pytest.mark.breaks_audit_chain
def test_a_removed_first_entry_is_caught(db):
    entries = write(db, 3)
    tamper(db, delete(AuditEntry).where(AuditEntry.id == entries[0].id))
    result = check(db)
    assert (result.ok, result.first_bad_id, result.entries) == (False, entries[1].id, 0)
    assert "does not follow the start of the log" in result.problem


@pytest.mark.breaks_audit_chain
def test_a_changed_entry_with_its_hash_recomputed_is_caught_at_the_next_link(db):
    entries = write(db, 5)
    e = entries[2]
    forged = {"decision": "allow", "n": 3}
    new_hash = entry_hash(e.prev_hash, at=e.at, actor=e.actor, act=e.act,
                          subject_type=e.subject_type, subject_id=e.subject_id, detail=forged)
    tamper(db, change(e.id, detail=forged, hash=new_hash))
    result = check(db)
    assert (result.ok, result.first_bad_id, result.entries) == (False, entries[3].id, 3)
    assert f"does not follow entry {e.id}" in result.problem


@pytest.mark.breaks_audit_chain
def test_verify_reads_in_batches_and_checks_links_across_them(db, monkeypatch):
    monkeypatch.setattr(audit, "_BATCH", 2)
    entries = write(db, 5)
    reads: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202
        if "FROM audit_log" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert check(db) == audit.VerifyResult(ok=True, entries=5, head_hash=entries[-1].hash)
        assert len(reads) == 3 and all("LIMIT" in r for r in reads)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Entry 3 starts the second batch: its loss shows at entry 4, in that batch.
    tamper(db, delete(AuditEntry).where(AuditEntry.id == entries[2].id))
    assert check(db).first_bad_id == entries[3].id


# -- the database itself --------------------------------------------------------------
def test_the_database_refuses_to_change_the_log(db):
    entries = write(db, 2)
    statements = ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log",
                  f"DELETE FROM audit_log WHERE id = {entries[-1].id}"]
    if not db.is_sqlite:
        statements.append("TRUNCATE audit_log")  # SQLite has no TRUNCATE
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert check(db) == audit.VerifyResult(ok=True, entries=2, head_hash=entries[-1].hash)


# -- concurrency ----------------------------------------------------------------------
def test_concurrent_appends_form_one_chain(db):
    threads, each = 6, 5
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with db.transaction() as session:
                    record(session, actor=f"worker-{worker}", act="decision",
                           subject_type="item", subject_id=f"{worker}-{i}")
                    time.sleep(0.005)  # hold the transaction open: others must wait
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    pool = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    assert not errors, errors
    result = check(db)
    assert result.ok and result.entries == threads * each, result
    with db.transaction() as session:
        prevs = session.scalars(select(AuditEntry.prev_hash)).all()
    assert len(set(prevs)) == len(prevs) == threads * each  # no fork


# -- the command ----------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
AUDIT_CLI = ("import typer; from app.audit.cli import audit_app; app = typer.Typer(); "
             "app.add_typer(audit_app, name='audit'); app()")


def audit_verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UPPSIKT_DATABASE_URL": database_url, "UPPSIKT_SECRET_KEY": SECRET_KEY}
    return subprocess.run([sys.executable, "-c", AUDIT_CLI, "audit", "verify"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.breaks_audit_chain
def test_cli_verify(db, database_url):
    empty = audit_verify(database_url)
    assert (empty.returncode, empty.stdout) == (0, "audit log intact: 0 entries (empty)\n")
    entries = write(db, 3)
    intact = audit_verify(database_url)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout == f"audit log intact: 3 entries, head {entries[-1].hash}\n"
    tamper(db, change(entries[1].id, actor="mallory"))
    broken = audit_verify(database_url)
    assert broken.returncode == 1 and broken.stdout == ""
    assert broken.stderr.startswith(f"audit log BROKEN at entry {entries[1].id}: content does "
                                    "not match its hash")
    assert "Traceback" not in broken.stderr


# -- acts recorded --------------------------------------------------------------------
def test_policy_changes_are_recorded(db):
    add_test_page(db)
    with db.transaction() as session:
        page = session.scalar(select(Page))
        set_policy(session, page, {"level": "medium"}, actor="anna", note="mildare")
        import_facebook_words(session, page, "snorkråka, bajskorv", name="egna",
                              category="defamation", actor="bertil")
        with pytest.raises(AppError):
            set_policy(session, page, {"level": "loud"}, actor="mallory")
    with db.transaction() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        got = [(r.actor, r.act, r.subject_type, r.subject_id, r.detail) for r in rows]
    assert got == [
        ("anna", "policy.changed", "page", FEED_PAGE, {"version": 1, "note": "mildare"}),
        ("bertil", "policy.changed", "page", FEED_PAGE,
         {"version": 2, "note": "imported 2 words into egna"}),
    ]
    assert "snorkråka" not in json.dumps(got, ensure_ascii=False)
    assert check(db).ok


def test_a_policy_change_rolled_back_leaves_no_entry(db):
    add_test_page(db)
    with pytest.raises(RuntimeError), db.transaction() as session:
        set_policy(session, session.scalar(select(Page)), {}, actor="anna")
        raise RuntimeError("the caller failed after the change")
    assert check(db).entries == 0

"""Appending to the audit log and checking its hash chain.

Each entry's hash is the SHA-256 of the previous entry's hash and this entry's content, so
changing or removing an entry breaks the chain at that entry or the one after it. Entries
are written in the caller's transaction (services flush, the caller commits).

Appends are serialised, so that two transactions never chain onto the same entry:

- PostgreSQL: ``record`` takes a transaction-scoped advisory lock before it reads the last
  entry; a second appender waits until the first commits or rolls back, then reads the
  entry it wrote. The lock is held until the caller's transaction ends, so record late in
  long transactions. This assumes READ COMMITTED (the default), where each statement sees
  what was committed before it began.
- SQLite: the database has one write lock. ``record`` takes it (with a write that changes
  nothing) before it reads the last entry, so the read is never older than the write. A
  deferred transaction that read something earlier, while another transaction committed,
  gets "database is locked" here as it would on any write: such callers use
  ``Database.transaction(immediate=True)``.

The unique ``prev_hash`` column is the safety net under both: a fork is refused by the
database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.core.db import utcnow

GENESIS = "0" * 64

# pg_advisory_xact_lock key for appends: the bytes of "uppsikt" read as an integer
# (33056200550083444; pg_locks shows it as classid 7696496, objid 1936288628).
_PG_APPEND_LOCK = int.from_bytes(b"uppsikt", "big")

_BATCH = 1000


@dataclass(frozen=True)
class VerifyResult:
    """``entries`` counts the entries found intact (all of them when ``ok``); ``problem``
    names the first broken entry and starts with ``entry <id>:``; ``head_hash`` is the last
    entry's hash when the whole log is intact (None for an empty or broken log)."""

    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def entry_hash(prev_hash: str, *, at: datetime, actor: str, act: str, subject_type: str,
               subject_id: str, detail: dict[str, Any]) -> str:
    """The one definition of an entry's hash, used to write and to verify."""
    content = {
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor, "act": act, "subject_type": subject_type,
        "subject_id": subject_id, "detail": detail,
    }
    return hashlib.sha256((prev_hash + _canonical(content)).encode()).hexdigest()


def _number_as_stored(literal: str) -> float | int:
    """A JSON float as it comes back from a jsonb column, whose numbers are exact decimals:
    ``1e+16`` comes back as an integer and ``-0.0`` as ``0.0``. Smaller floats come back
    as written (Python writes the shortest text that reads back as the same float)."""
    value = float(literal)
    if value == 0:
        return 0.0
    if "e+" in literal:
        return int(Decimal(literal))
    return value


def _take_append_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_PG_APPEND_LOCK)))
    else:
        session.execute(text("INSERT INTO audit_log SELECT * FROM audit_log WHERE 0"))


def record(session: Session, *, actor: str, act: str, subject_type: str,
           subject_id: str | int, detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction.

    ``detail`` must be JSON-serialisable and small, and never holds tokens, secrets or
    passwords: the log is kept for good and cannot be edited.
    """
    if at is None:
        at = utcnow()
    elif at.tzinfo is None:
        raise ValueError("naive datetime given to the audit log")
    # Hash exactly what the database will give back: JSON types only, keys as strings,
    # numbers as PostgreSQL returns them. Timestamps keep microseconds on both backends.
    stored_detail = json.loads(_canonical(detail or {}), parse_float=_number_as_stored)
    at = at.astimezone(UTC)
    _take_append_lock(session)
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev = prev or GENESIS
    entry = AuditEntry(at=at, actor=actor, act=act, subject_type=subject_type,
                       subject_id=str(subject_id), detail=stored_detail, prev_hash=prev)
    entry.hash = entry_hash(prev, at=at, actor=actor, act=act, subject_type=subject_type,
                            subject_id=entry.subject_id, detail=stored_detail)
    session.add(entry)
    session.flush()
    return entry


def verify(session: Session) -> VerifyResult:
    """Recompute every hash in id order and check each entry follows the one before it.

    Reads columns, not ORM objects, so that entries already in the session are compared as
    the database holds them, and reads in batches so that a long log is not loaded at once.
    """
    columns = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.act,
               AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.detail,
               AuditEntry.prev_hash, AuditEntry.hash)
    expected_prev, prev_id, count = GENESIS, None, 0
    while True:
        query = select(*columns).order_by(AuditEntry.id).limit(_BATCH)
        if prev_id is not None:
            query = query.where(AuditEntry.id > prev_id)
        rows = session.execute(query).all()
        for row in rows:
            if row.prev_hash != expected_prev:
                after = "the start of the log" if prev_id is None else f"entry {prev_id}"
                return _broken(row.id, count, f"does not follow {after} (an entry before it "
                                              "was removed or changed)")
            recomputed = entry_hash(row.prev_hash, at=row.at, actor=row.actor, act=row.act,
                                    subject_type=row.subject_type, subject_id=row.subject_id,
                                    detail=row.detail)
            if recomputed != row.hash:
                return _broken(row.id, count, "content does not match its hash (changed after "
                                              "it was written)")
            expected_prev, prev_id, count = row.hash, row.id, count + 1
        if len(rows) < _BATCH:
            break
    return VerifyResult(ok=True, entries=count, head_hash=expected_prev if count else None)


def _broken(entry_id: int, intact: int, problem: str) -> VerifyResult:
    return VerifyResult(ok=False, entries=intact, first_bad_id=entry_id,
                        problem=f"entry {entry_id}: {problem}")

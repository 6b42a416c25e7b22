"""The audit log: every act of the system and of people, append-only and hash-chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType


class AuditEntry(Base):
    """One act. ``hash`` is the SHA-256 of the previous entry's hash and this entry's
    content; changing or removing any entry breaks every hash after it."""

    __tablename__ = "audit_log"
    # The item page lists the entries about one item: without this, a read of the whole log.
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))  # "system" or a user name
    act: Mapped[str] = mapped_column(String(64))  # decision, snapshot, action.requested ...
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # no forks
    hash: Mapped[str] = mapped_column(String(64), unique=True)

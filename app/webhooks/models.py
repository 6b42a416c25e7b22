"""The durable inbox: raw webhook deliveries and the changes split out of them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class DeliveryStatus(StrEnum):
    received = "received"  # committed, not yet split into changes
    split = "split"  # its changes are in inbox_change
    failed = "failed"  # malformed or of an unknown shape; kept with its error


class ChangeStatus(StrEnum):
    pending = "pending"  # waiting, or failing and waiting for its next attempt
    done = "done"
    held = "held"  # for a page Uppsikt does not manage (yet); released by `pages add`
    ignored = "ignored"  # a kind of change that holds nothing to archive (reads, deliveries)
    failed = "failed"  # cannot be understood; kept with its error, not retried


class InboxEvent(Base):
    """One webhook POST exactly as Meta sent it: the raw bytes are the evidence."""

    __tablename__ = "inbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # Meta redelivers the same bytes; one row per distinct body.
    body_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    headers: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.received)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    # "webhook" (Meta's POST, signed) or "poll" (written by reconciliation from the
    # Graph API, in the same shape, for what no webhook brought).
    source: Mapped[str] = mapped_column(String(16), default="webhook")

    __table_args__ = (Index(None, "status", "id"),)


class InboxChange(Base):
    """One entry change (feed) or messaging event out of a delivery; the unit of work."""

    __tablename__ = "inbox_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbox_event_id: Mapped[int] = mapped_column(ForeignKey("inbox_event.id"), index=True)
    position: Mapped[int]
    # SHA-256 of the canonical change: the same change in any later delivery is a duplicate.
    change_key: Mapped[str] = mapped_column(String(64), unique=True)
    field: Mapped[str] = mapped_column(String(32))
    page_platform_id: Mapped[str] = mapped_column(String(128), index=True)
    entry_time: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=ChangeStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)

    __table_args__ = (Index(None, "status", "next_attempt_at"),)

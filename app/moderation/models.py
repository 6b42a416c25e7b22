"""What Uppsikt does on Facebook, and what it keeps first: snapshots of the content acted
on (with their media), the action outbox, and the registration queue for secret content."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, utcnow


class MediaBlob(Base):
    """A downloaded media file, stored once under UPPSIKT_MEDIA_DIR by its SHA-256."""

    __tablename__ = "media_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    mime: Mapped[str | None] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(200))  # relative to the media directory
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class Snapshot(Base):
    """The exact content acted on, committed before any action may run. Never changed:
    its ``sha256`` covers every field below; the media bytes are in ``snapshot_media``."""

    __tablename__ = "snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id"))
    reason: Mapped[str] = mapped_column(String(32))  # decision | moderator
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_by: Mapped[str] = mapped_column(String(100))  # "system" or a user name
    item_platform_id: Mapped[str] = mapped_column(String(128))
    page_platform_id: Mapped[str] = mapped_column(String(128))
    post_platform_id: Mapped[str | None] = mapped_column(String(128))
    parent_platform_id: Mapped[str | None] = mapped_column(String(128))
    permalink: Mapped[str | None] = mapped_column(String(500))
    created_time: Mapped[datetime | None]
    observed_at: Mapped[datetime]
    text: Mapped[str | None] = mapped_column(Text)
    sender_platform_id: Mapped[str | None] = mapped_column(String(128))
    sender_name: Mapped[str | None] = mapped_column(String(300))
    sender_missing: Mapped[str | None] = mapped_column(String(500))  # why, if no sender
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("item_decision.id"))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    media_count: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))


class MediaStatus(StrEnum):
    pending = "pending"
    stored = "stored"
    not_media = "not_media"  # a shared link: the address is kept, there is no file
    failed = "failed"  # given up: the URL expired or kept failing


class SnapshotMedia(Base):
    """One media file of a snapshot: its URL as received and, once downloaded, its blob."""

    __tablename__ = "snapshot_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"), index=True)
    position: Mapped[int]
    kind: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MediaStatus.pending)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("media_blob.sha256"))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    stored_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("snapshot_id", "position"),
                      Index(None, "status", "next_attempt_at"))


class ActionKind(StrEnum):
    hide = "hide"
    unhide = "unhide"
    delete = "delete"


class ActionStatus(StrEnum):
    pending = "pending"  # waiting for its turn, a retry, or the snapshot's media
    done = "done"  # Facebook did it (or the object was already gone)
    cancelled = "cancelled"  # superseded by a later choice, or not to be done
    failed = "failed"  # refused for good (permissions, a bad request): needs a person


class Action(Base):
    """A hide, unhide or delete to perform on Facebook. Created in the same transaction as
    the snapshot it depends on, and executed by the worker."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.pending)
    requested_by: Mapped[str] = mapped_column(String(100))  # "system" or a user name
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while a worker has the call to Facebook under way; one that outlives it was
    # interrupted (a crash), and the next attempt first asks Facebook what happened.
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    done_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "status", "next_attempt_at"),)


class CaseStatus(StrEnum):
    pending = "pending"
    registered = "registered"
    not_required = "not_required"


class CaseSource(StrEnum):
    rules = "rules"  # the decision said register (secret content)
    moderator = "moderator"  # a person marked it secret or as needing registration
    message = "message"  # a direct message: incoming mail


class RegistrationCase(Base):
    """An item the registrar must look at (secret content removed from a page, a direct
    message, or what a moderator sent), and once registered, its registration record
    (OSL 5 kap. 2 §). A registered record is never changed: corrections are audit
    entries."""

    __tablename__ = "registration_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), unique=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshot.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.pending)
    source: Mapped[str] = mapped_column(String(16), default=CaseSource.rules)
    secret: Mapped[bool] = mapped_column(default=False)  # the content is (held) secret
    reason: Mapped[str] = mapped_column(String(500))  # why it is in the queue
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    requested_by: Mapped[str] = mapped_column(String(100), default="system")
    # The registration record
    received_at: Mapped[datetime | None]  # the date the item came in
    diarienummer: Mapped[str | None] = mapped_column(String(64), index=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    sender: Mapped[str | None] = mapped_column(String(300))
    secrecy_provision: Mapped[str | None] = mapped_column(String(200))  # OSL 26 kap. 1 §
    withhold_sender: Mapped[bool] = mapped_column(default=False)  # from the public view
    withhold_description: Mapped[bool] = mapped_column(default=False)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(index=True)
    not_required_reason: Mapped[str | None] = mapped_column(String(500))

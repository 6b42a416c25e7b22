"""The archive: who wrote what, every version of it, and what happened to it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, JSONType, utcnow


class ItemKind(StrEnum):
    post = "post"
    comment = "comment"
    reply = "reply"
    message = "message"


class Visibility(StrEnum):
    visible = "visible"
    hidden = "hidden"
    removed = "removed"
    blocked = "blocked"


class FetchStatus(StrEnum):
    none = "none"  # nothing missing
    pending = "pending"  # a field is missing; the Graph API will be asked (again)
    done = "done"
    gone = "gone"  # Meta no longer has the object; kept with what was known
    failed = "failed"  # the Graph API refused the request itself; kept, not retried


class Author(Base):
    __tablename__ = "author"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128), unique=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Meta's own item type: status, photo, video, share, comment, message ...
    platform_type: Mapped[str] = mapped_column(String(32))
    post_platform_id: Mapped[str | None] = mapped_column(String(128), index=True)
    parent_platform_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # photo_id / video_id / share_id of a post, or the other party of a conversation.
    object_platform_id: Mapped[str | None] = mapped_column(String(128), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("author.id"), index=True)
    by_page: Mapped[bool] = mapped_column(default=False)
    created_time: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default=Visibility.visible)
    state_at: Mapped[datetime | None]
    fetch_status: Mapped[str] = mapped_column(String(16), default=FetchStatus.none)
    fetch_attempts: Mapped[int] = mapped_column(default=0)
    fetch_next_at: Mapped[datetime | None]
    fetch_error: Mapped[str | None] = mapped_column(Text)
    # Set when the retention job removed the content (see culling_record).
    culled_at: Mapped[datetime | None]

    author: Mapped[Author | None] = relationship(lazy="joined")
    versions: Mapped[list[ItemVersion]] = relationship(
        order_by="(ItemVersion.observed_at, ItemVersion.seq)", back_populates="item"
    )
    state_events: Mapped[list[ItemStateEvent]] = relationship(
        order_by="(ItemStateEvent.occurred_at, ItemStateEvent.id)"
    )

    # ix_item_state: the review queue's hidden items.
    __table_args__ = (Index(None, "fetch_status", "fetch_next_at"), Index("ix_item_state", "state"))


class ItemVersion(Base):
    """What an item said at one time. Versions are only ever added, never changed,
    except that a field unknown when the version was recorded may be filled in."""

    __tablename__ = "item_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    seq: Mapped[int]
    text: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    content_sha256: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    verb: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), default="webhook")
    change_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_change.id"))

    item: Mapped[Item] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("item_id", "seq"),)


class ItemStateEvent(Base):
    """hide / unhide / remove / block ... as done on Facebook, with when and by whom."""

    __tablename__ = "item_state_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    verb: Mapped[str] = mapped_column(String(32))
    state: Mapped[str | None] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    actor_platform_id: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16), default="facebook")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_change.id"))

    __table_args__ = (UniqueConstraint("item_id", "verb", "occurred_at"),)

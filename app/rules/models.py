"""Stored policies (versioned per page) and the decisions made for each item version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, utcnow


class PolicyVersion(Base):
    """A page's policy as set at one time. Never changed: a change is a new version, and
    the versions are the record of who changed what, when."""

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    version: Mapped[int]
    body: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("page_id", "version"),)


class ItemDecision(Base):
    """What the rules decided for one version of an item, with the full explanation."""

    __tablename__ = "item_decision"
    # The review queue looks for decisions that want a person (review, hide, delete).
    __table_args__ = (Index("ix_item_decision_decision", "decision", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    register: Mapped[bool]
    observe: Mapped[bool]
    categories: Mapped[list[str]] = mapped_column(JSONType)
    explanation: Mapped[dict[str, Any]]
    engine_version: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Retention (gallring): the authority's decisions, legal holds, and the culling record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class RetentionRule(Base):
    """Content of a kind (on one page, or on every page) may be culled ``keep_days`` after
    it was created, as the retention decision (gallringsbeslut) ``decision_ref`` says."""

    __tablename__ = "retention_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("page.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # post | comment | reply | message
    keep_days: Mapped[int]
    decision_ref: Mapped[str] = mapped_column(String(200))  # e.g. "KS 2026/0123 § 45"
    decision_date: Mapped[date | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    retired_by: Mapped[str | None] = mapped_column(String(100))


class LegalHold(Base):
    """Nothing under a hold is culled: one item, a post with everything under it, or a
    whole page. Released holds stay as history."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # item | post | page
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None]


class CullingRecord(Base):
    """What was culled, under which decision, when: kept after the content is gone."""

    __tablename__ = "culling_record"
    __table_args__ = (Index("ix_culling_record_culled_at", "culled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("job_run.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    item_platform_id: Mapped[str] = mapped_column(String(128))
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))
    kind: Mapped[str] = mapped_column(String(16))
    created_time: Mapped[datetime | None]
    rule_id: Mapped[int] = mapped_column(ForeignKey("retention_rule.id"))
    decision_ref: Mapped[str] = mapped_column(String(200))
    versions: Mapped[int] = mapped_column(default=0)
    media_files: Mapped[int] = mapped_column(default=0)
    culled_at: Mapped[datetime] = mapped_column(default=utcnow)
    culled_by: Mapped[str] = mapped_column(String(100))

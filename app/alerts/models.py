"""Operational alerts: something a person must look at (a page's token, a subscription
that could not be renewed, an action that keeps failing, a job that failed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Alert(Base):
    """One open alert per (kind, key); raised again, it counts up instead of repeating."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_open", "resolved_at", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("page.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))

"""Half-yearly page snapshots (skärmdump varje halvår) and yearly reports: stored files
with their SHA-256, so that a later check can show they are unchanged."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class PageSnapshot(Base):
    __tablename__ = "page_snapshot"
    __table_args__ = (Index("ix_page_snapshot_page_period", "page_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]  # inclusive
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | on_demand
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    items: Mapped[int] = mapped_column(default=0)
    pdf_path: Mapped[str] = mapped_column(String(300))  # relative to UPPSIKT_ARCHIVE_DIR
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_bytes: Mapped[int]
    pdfa: Mapped[bool] = mapped_column(default=False)
    html_path: Mapped[str] = mapped_column(String(300))
    html_sha256: Mapped[str] = mapped_column(String(64))
    html_bytes: Mapped[int]


class YearlyReport(Base):
    __tablename__ = "yearly_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | on_demand
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    pdf_path: Mapped[str] = mapped_column(String(300))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_bytes: Mapped[int]
    csv_path: Mapped[str] = mapped_column(String(300))
    csv_sha256: Mapped[str] = mapped_column(String(64))
    csv_bytes: Mapped[int]

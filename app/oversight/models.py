"""Daily oversight (uppsiktsplikt): a moderator signs off each page each working day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class OversightSignoff(Base):
    """"Granskat": who looked over a page on a day (Swedish date), and when."""

    __tablename__ = "oversight_signoff"
    __table_args__ = (UniqueConstraint("page_id", "day", "signed_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    day: Mapped[date]
    signed_by: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(String(1000))

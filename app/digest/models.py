"""The daily oversight digest: who receives it, and each one made."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, utcnow


class DigestRecipient(Base):
    """An address that receives the digest of one unit, or of every unit (unit NULL)."""

    __tablename__ = "digest_recipient"
    __table_args__ = (UniqueConstraint("unit", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(300))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Digest(Base):
    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("unit", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(200))
    day: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sent_at: Mapped[datetime | None]
    send_error: Mapped[str | None] = mapped_column(Text)

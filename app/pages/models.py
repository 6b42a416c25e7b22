from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Page(Base):
    """A Facebook Page the authority runs. Removing one keeps its archive (invariant 5)."""

    __tablename__ = "page"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200), index=True)
    # Page access token, Fernet-encrypted with a key derived from UPPSIKT_SECRET_KEY.
    token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_status: Mapped[str] = mapped_column(String(16), default="ok")
    token_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.removed_at is None

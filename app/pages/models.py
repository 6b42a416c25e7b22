from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
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


class PageRegister(Base):
    """The page's entry in the account register (förteckning) with its plan (Bilaga 1-2
    of the guidelines): who answers for it, and how and why the page is used."""

    __tablename__ = "page_register"

    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), primary_key=True)
    # Ansvar: the assignment from the manager, the responsible person and the substitute.
    assignment: Mapped[str | None] = mapped_column(String(500))
    responsible_name: Mapped[str | None] = mapped_column(String(200))
    responsible_contact: Mapped[str | None] = mapped_column(String(300))
    substitute_name: Mapped[str | None] = mapped_column(String(200))
    substitute_contact: Mapped[str | None] = mapped_column(String(300))
    account_contact: Mapped[str | None] = mapped_column(String(300))  # the page's e-mail
    started_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    reported_on: Mapped[date | None]  # reported to the head of communications
    # Planen (Bilaga 2)
    introduction: Mapped[str | None] = mapped_column(Text)  # which medium, and why
    purpose: Mapped[str | None] = mapped_column(Text)
    goals: Mapped[str | None] = mapped_column(Text)
    target_group: Mapped[str | None] = mapped_column(String(500))
    use: Mapped[str | None] = mapped_column(Text)  # what the page is used for
    update_frequency: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[str | None] = mapped_column(Text)  # publishing, dialogue, administration
    resources: Mapped[str | None] = mapped_column(Text)
    oversight_hours: Mapped[str | None] = mapped_column(String(300))
    development: Mapped[str | None] = mapped_column(Text)  # measuring, experience
    follow_up: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

"""What reconciliation knows per page: how far it has polled, and the subscription."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class PageWatch(Base):
    __tablename__ = "page_watch"

    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), primary_key=True)
    # Posts and comments created up to this time have been polled.
    polled_until: Mapped[datetime | None]
    last_poll_at: Mapped[datetime | None]
    last_poll_found: Mapped[int] = mapped_column(default=0)  # changes webhooks had missed
    last_poll_error: Mapped[str | None] = mapped_column(Text)
    # Not before this time (rate limiting: X-Business-Use-Case-Usage).
    next_poll_at: Mapped[datetime | None]
    subscription_status: Mapped[str] = mapped_column(String(16), default="unknown")
    subscription_checked_at: Mapped[datetime | None]
    subscription_error: Mapped[str | None] = mapped_column(Text)

"""The service obligation: questions from the public and whether the page answered in time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class ServiceQuestion(Base):
    __tablename__ = "service_question"
    __table_args__ = (Index("ix_service_question_open", "status", "due_on"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id"), index=True)
    asked_at: Mapped[datetime]
    due_on: Mapped[date]  # the last Swedish working day an answer is in time
    status: Mapped[str] = mapped_column(String(16), default="open")  # answered | closed
    answered_at: Mapped[datetime | None]
    answer_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(300))

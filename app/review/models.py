"""What moderators add while reviewing: notes on items, false positives, and verdicts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class ItemNote(Base):
    """A moderator's note on an item; never edited (a new note corrects an old one)."""

    __tablename__ = "item_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FalsePositive(Base):
    """A rule match a moderator judged wrong: one row per match of the decision, so each
    rule (list and term) has a count of its false positives."""

    __tablename__ = "false_positive"
    __table_args__ = (Index("ix_false_positive_rule", "source", "rule", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    item_decision_id: Mapped[int] = mapped_column(ForeignKey("item_decision.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))  # wordlist, page, detector, link …
    rule: Mapped[str] = mapped_column(String(200))  # the list or detector
    term: Mapped[str] = mapped_column(String(300))  # the entry that matched
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outcome(StrEnum):
    restored = "restored"  # put back on the page
    deleted = "deleted"  # deleted from Facebook
    kept = "kept"  # the item stays as it is (hidden, visible or already removed)
    secret = "secret"  # sent to the registrar as secret, and hidden
    false_positive = "false_positive"  # the rules were wrong: restored


class ReviewOutcome(Base):
    """A person's verdict on an item in the review queue. It settles the item as the rules
    last decided it (``item_decision_id``, None if it was hidden with no decision): a new
    version with a new decision puts the item back in the queue."""

    __tablename__ = "review_outcome"
    __table_args__ = (Index("ix_review_outcome_item_decision", "item_id", "item_decision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    item_decision_id: Mapped[int | None] = mapped_column(ForeignKey("item_decision.id"))
    outcome: Mapped[str] = mapped_column(String(32))
    handled_by: Mapped[str] = mapped_column(String(100))
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)


"""The review queue and the item page: what moderators see and do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Author, Item, ItemVersion
from app.core.db import Database
from app.pages.models import Page
from app.review.models import ReviewOutcome
from app.review.service import queue_counts
from app.rules.models import ItemDecision
from tests.conftest import add_test_page

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PAGE_A = "1001"  # Kultur- och fritidsförvaltningen
PAGE_B = "2002"  # Barn- och utbildningsförvaltningen
UNIT_A = "Kultur- och fritidsförvaltningen"
UNIT_B = "Barn- och utbildningsförvaltningen"


def page_pk(session: Session, platform_id: str) -> int:
    return session.scalars(select(Page.id).where(Page.platform_id == platform_id)).one()


def add_item(session: Session, platform_id: str, text: str, *, page: str = PAGE_A,
             at: datetime = T0, state: str = "hidden", decision: str | None = "hide",
             kind: str = "comment", matches: list[dict[str, Any]] | None = None,
             categories: list[str] | None = None, by_page: bool = False,
             author: tuple[str, str] | None = ("555", "Åsa Öberg"),
             post: str | None = None) -> Item:
    """An item with one version and, unless ``decision`` is None, the rules' decision."""
    author_row = None
    if author is not None:
        author_row = session.scalar(select(Author).where(Author.platform_id == author[0]))
        if author_row is None:
            author_row = Author(platform_id=author[0], name=author[1])
            session.add(author_row)
            session.flush()
    item = Item(platform_id=platform_id, page_id=page_pk(session, page), kind=kind,
                platform_type=kind, author_id=author_row.id if author_row else None,
                state=state, state_at=at, created_time=at, first_seen_at=at,
                by_page=by_page, post_platform_id=post or f"{page}_77",
                parent_platform_id=post or f"{page}_77")
    session.add(item)
    session.flush()
    add_version(session, item, 1, text, at, decision=decision, matches=matches,
                categories=categories)
    return item


def add_version(session: Session, item: Item, seq: int, text: str, at: datetime, *,
                decision: str | None = "hide", matches: list[dict[str, Any]] | None = None,
                categories: list[str] | None = None) -> ItemVersion:
    version = ItemVersion(item_id=item.id, seq=seq, text=text, media=[],
                          content_sha256="0" * 64, observed_at=at, recorded_at=at,
                          verb="add" if seq == 1 else "edited")
    session.add(version)
    session.flush()
    if decision is not None:
        matches = matches if matches is not None else []
        cats = categories if categories is not None else sorted(
            {m["category"] for m in matches}) or (["profanity"] if decision != "allow" else [])
        session.add(ItemDecision(
            item_id=item.id, item_version_id=version.id, decision=decision, register=False,
            observe=False, categories=cats, engine_version="1", policy_version="test",
            explanation={"decision": decision, "categories": cats, "matches": matches},
            decided_at=at))
        session.flush()
    return version


def match(text: str, word: str, category: str = "profanity", rule: str = "profanity-sv",
          term: str | None = None) -> dict[str, Any]:
    start = text.index(word)
    return {"category": category, "source": "list", "rule": rule, "version": "1",
            "term": term or word.lower(), "text": word, "start": start,
            "end": start + len(word), "how": "exact", "action": "hide"}


def two_pages(db: Database) -> None:
    add_test_page(db, PAGE_A, unit=UNIT_A, name="Kulturhuset")
    add_test_page(db, PAGE_B, unit=UNIT_B, name="Skolan")


def test_queue_counts_per_page(db):
    two_pages(db)
    with db.transaction() as s:
        a, b = page_pk(s, PAGE_A), page_pk(s, PAGE_B)
        add_item(s, "1", "dold av reglerna")  # hidden by the rules: waits
        add_item(s, "2", "bara granskning", state="visible", decision="review")  # waits
        add_item(s, "3", "helt okej", state="visible", decision="allow")  # allowed
        add_item(s, "4", "dold på Facebook", decision=None)  # hidden by a person: waits
        handled = add_item(s, "5", "redan granskad")
        add_item(s, "6", "sidans eget", by_page=True)  # the page's own: not reviewed
        add_item(s, "7", "ett meddelande", kind="message", state="visible")
        add_item(s, "8", "annan förvaltning", page=PAGE_B, decision="delete",
                 state="removed")
        decision_id = s.scalar(select(ItemDecision.id).where(
            ItemDecision.item_id == handled.id))
        s.add(ReviewOutcome(item_id=handled.id, item_decision_id=decision_id,
                            outcome="kept", handled_by="moa"))
    with db.transaction() as s:
        assert queue_counts(s, [a, b]) == {a: 3, b: 1}
        assert queue_counts(s, [b]) == {b: 1}
        assert queue_counts(s, []) == {}


def test_new_decision_puts_a_handled_item_back(db):
    two_pages(db)
    with db.transaction() as s:
        a = page_pk(s, PAGE_A)
        item = add_item(s, "1", "dumt ord")
        decision_id = s.scalar(select(ItemDecision.id).where(ItemDecision.item_id == item.id))
        s.add(ReviewOutcome(item_id=item.id, item_decision_id=decision_id, outcome="kept",
                            handled_by="moa"))
    with db.transaction() as s:
        assert queue_counts(s, [a]) == {a: 0}
        item = s.scalars(select(Item)).one()
        add_version(s, item, 2, "ännu dummare ord", T0 + timedelta(hours=1))
    with db.transaction() as s:
        assert queue_counts(s, [a]) == {a: 1}

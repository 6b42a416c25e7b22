"""The review queue and what moderators do with what is in it.

An item waits for review when the rules' latest decision for it is review, hide or
delete, or when it is hidden on Facebook, and no person has yet given a verdict
(ReviewOutcome) on that decision. A new version with a new decision puts it back.
Direct messages (they go to the registrar) and the page's own content (never acted on)
are not reviewed here.

Services flush, never commit: the request owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.content.models import Item, ItemKind, ItemVersion, Visibility
from app.review.models import ReviewOutcome
from app.rules.models import ItemDecision

REVIEW_DECISIONS = ("review", "hide", "delete")


def latest_decision_id() -> Any:
    """The id of the decision on the item's latest decided version (correlated to Item)."""
    return (select(ItemDecision.id)
            .join(ItemVersion, ItemVersion.id == ItemDecision.item_version_id)
            .where(ItemVersion.item_id == Item.id)
            .order_by(ItemVersion.observed_at.desc(), ItemVersion.seq.desc())
            .limit(1).correlate(Item).scalar_subquery())


def waiting_condition(latest: Any) -> ColumnElement[bool]:
    """True for an item waiting in the review queue; ``latest`` is latest_decision_id()."""
    flagged = select(ItemDecision.id).where(
        ItemDecision.id == latest, ItemDecision.decision.in_(REVIEW_DECISIONS)).exists()
    handled = select(ReviewOutcome.id).where(
        ReviewOutcome.item_id == Item.id,
        or_(ReviewOutcome.item_decision_id == latest,
            and_(ReviewOutcome.item_decision_id.is_(None), latest.is_(None)))).exists()
    return and_(Item.kind != ItemKind.message, Item.by_page.is_(False),
                or_(Item.state == Visibility.hidden, flagged), ~handled)


def queue_query(*columns: Any) -> Select[Any]:
    """A select of ``columns`` (Item's by default) over the items waiting for review."""
    return select(*(columns or (Item,))).where(waiting_condition(latest_decision_id()))


def queue_counts(session: Session, page_ids: Collection[int]) -> dict[int, int]:
    """For each page (primary key), how many of its items wait in the review queue."""
    if not page_ids:
        return {}
    rows = session.execute(queue_query(Item.page_id, func.count())
                           .where(Item.page_id.in_(list(page_ids)))
                           .group_by(Item.page_id))
    counts = {page_id: 0 for page_id in page_ids}
    counts.update({page_id: n for page_id, n in rows})
    return counts

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from app.api.deps import CurrentUser, SessionDep, may_see_unit
from app.content.models import Item
from app.content.schemas import AuthorOut, DecisionOut, ItemOut, StateEventOut, VersionOut
from app.core.errors import AppError
from app.pages.models import Page
from app.rules.models import ItemDecision

router = APIRouter(prefix="/api/v1", tags=["archive"])


@router.get("/items/{platform_id}", response_model=ItemOut,
            responses={401: {"description": "no or bad token"}, 404: {"description": "unknown"}})
def get_item(platform_id: str, session: SessionDep, user: CurrentUser) -> ItemOut:
    """One archived item with every version and its state history, oldest first."""
    item = session.scalar(select(Item).where(Item.platform_id == platform_id))
    page = session.get(Page, item.page_id) if item is not None else None
    if item is None or page is None or not may_see_unit(user, page.unit):
        raise AppError(404, f"no item {platform_id}")
    decisions = {d.item_version_id: d for d in session.scalars(
        select(ItemDecision).where(ItemDecision.item_id == item.id))}
    return ItemOut(
        platform_id=item.platform_id, kind=item.kind, platform_type=item.platform_type,
        page_id=page.platform_id, post_id=item.post_platform_id,
        parent_id=item.parent_platform_id,
        author=AuthorOut(id=item.author.platform_id, name=item.author.name)
        if item.author else None,
        by_page=item.by_page, created_time=item.created_time, first_seen_at=item.first_seen_at,
        state=item.state, state_at=item.state_at, fetch_status=item.fetch_status,
        fetch_error=item.fetch_error,
        versions=[
            VersionOut(seq=v.seq, message=v.text, media=v.media, verb=v.verb,
                       observed_at=v.observed_at, recorded_at=v.recorded_at, source=v.source,
                       content_sha256=v.content_sha256,
                       decision=_decision(decisions.get(v.id)))
            for v in item.versions
        ],
        state_history=[
            StateEventOut(verb=e.verb, state=e.state, occurred_at=e.occurred_at,
                          actor_id=e.actor_platform_id, source=e.source)
            for e in item.state_events
        ],
    )


def _decision(row: ItemDecision | None) -> DecisionOut | None:
    if row is None:
        return None
    return DecisionOut(decision=row.decision, register=row.register, observe=row.observe,  # type: ignore[call-arg]
                       categories=row.categories, matches=row.explanation.get("matches", []),
                       engine_version=row.engine_version, policy_version=row.policy_version,
                       decided_at=row.decided_at)

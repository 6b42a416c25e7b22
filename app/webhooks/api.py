"""The inbox as the operators see it: failed deliveries, held and failing changes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.accounts.models import Role
from app.api.deps import SessionDep, require_roles
from app.webhooks.models import ChangeStatus, InboxChange, InboxEvent
from app.webhooks.schemas import ChangeList, ChangeOut, DeliveryList, DeliveryOut

router = APIRouter(
    prefix="/api/v1/inbox", tags=["inbox"],
    dependencies=[require_roles(Role.information_officer, Role.auditor)],
    responses={403: {"description": "only information officers and auditors see the inbox"}},
)
Limit = Annotated[int, Query(ge=1, le=500)]
# The upper bound is the id column's (32-bit): beyond it PostgreSQL refuses the query.
After = Annotated[int, Query(ge=0, le=2**31 - 1,
                             description="cursor: the last id of the previous page")]


@router.get("/deliveries", response_model=DeliveryList)
def list_deliveries(
    session: SessionDep,
    status: Literal["received", "split", "failed"] = "failed",
    after: After = 0, limit: Limit = 50,
) -> DeliveryList:
    rows = session.scalars(
        select(InboxEvent).where(InboxEvent.status == status, InboxEvent.id > after)
        .order_by(InboxEvent.id).limit(limit)
    ).all()
    items = [
        DeliveryOut(id=r.id, received_at=r.received_at, status=r.status, error=r.error,
                    size=len(r.body), body_sha256=r.body_sha256,
                    body=r.body.decode("utf-8", "replace"))
        for r in rows
    ]
    return DeliveryList(items=items, next_after=rows[-1].id if len(rows) == limit else None)


@router.get("/changes", response_model=ChangeList)
def list_changes(
    session: SessionDep,
    status: Literal["pending", "done", "held", "ignored", "failed", "failing"] = "failing",
    after: After = 0, limit: Limit = 50,
) -> ChangeList:
    """``failing`` lists pending changes that have failed at least once (being retried)."""
    query = select(InboxChange).where(InboxChange.id > after)
    if status == "failing":
        query = query.where(InboxChange.status == ChangeStatus.pending, InboxChange.attempts > 0)
    else:
        query = query.where(InboxChange.status == status)
    rows = session.scalars(query.order_by(InboxChange.id).limit(limit)).all()
    items = [
        ChangeOut(id=r.id, inbox_event_id=r.inbox_event_id, field=r.field,
                  page_id=r.page_platform_id, status=r.status, attempts=r.attempts,
                  last_error=r.last_error, next_attempt_at=r.next_attempt_at,
                  item_id=r.item_id, payload=r.payload)
        for r in rows
    ]
    return ChangeList(items=items, next_after=rows[-1].id if len(rows) == limit else None)

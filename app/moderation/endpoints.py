"""Moderators act on items: hide, restore (unhide) or delete, each preserved first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.accounts.models import Role, User
from app.api.deps import (
    CurrentUser,
    SessionDep,
    WriteSessionDep,
    may_see_unit,
    require_roles,
)
from app.content.models import Item
from app.core.errors import AppError
from app.moderation.models import Action, ActionKind
from app.moderation.service import moderator_action
from app.pages.models import Page

router = APIRouter(prefix="/api/v1", tags=["moderation"])


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["hide", "unhide", "delete"]
    reason: str = Field(min_length=1, max_length=500)


class ActionOut(BaseModel):
    id: int
    kind: str
    status: str
    requested_by: str
    reason: str
    snapshot_id: int
    created_at: datetime
    attempts: int
    last_error: str | None
    done_at: datetime | None


def _out(a: Action) -> ActionOut:
    return ActionOut(id=a.id, kind=a.kind, status=a.status, requested_by=a.requested_by,
                     reason=a.reason, snapshot_id=a.snapshot_id, created_at=a.created_at,
                     attempts=a.attempts, last_error=a.last_error, done_at=a.done_at)


def _item(session: SessionDep, platform_id: str, user: User) -> tuple[Item, Page]:
    item = session.scalar(select(Item).where(Item.platform_id == platform_id))
    page = session.get(Page, item.page_id) if item is not None else None
    if item is None or page is None or not may_see_unit(user, page.unit):
        raise AppError(404, f"no item {platform_id}")
    return item, page


@router.post("/items/{platform_id}/actions", response_model=ActionOut, status_code=202,
             responses={401: {"description": "no or bad token"},
                        403: {"description": "role may not act"},
                        404: {"description": "unknown item"},
                        409: {"description": "the item cannot be acted on"},
                        422: {"description": "bad request body"}})
def request_action(platform_id: str, body: ActionIn, session: WriteSessionDep,
                   user: User = require_roles(Role.moderator, Role.information_officer)
                   ) -> ActionOut:
    """Hide, restore or delete an item on Facebook. Its content and sender are preserved
    first; the action runs in the background (see its status)."""
    item, page = _item(session, platform_id, user)
    action = moderator_action(session, page, item, ActionKind(body.kind), by=user.username,
                              reason=body.reason)
    return _out(action)


@router.get("/items/{platform_id}/actions", response_model=list[ActionOut],
            responses={401: {"description": "no or bad token"},
                       404: {"description": "unknown item"}})
def list_actions(platform_id: str, session: SessionDep, user: CurrentUser) -> list[ActionOut]:
    """Every action requested for an item, oldest first, with what became of it."""
    item, _ = _item(session, platform_id, user)
    return [_out(a) for a in session.scalars(
        select(Action).where(Action.item_id == item.id).order_by(Action.id))]

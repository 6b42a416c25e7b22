from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser, SessionDep, may_see_unit
from app.core.errors import AppError
from app.pages.service import get_managed_page
from app.rules.engine import Policy
from app.rules.policies import current_policy

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])
STOCKHOLM = ZoneInfo("Europe/Stockholm")


class CheckIn(BaseModel):
    text: str = Field(max_length=20000, description="the text to check, as a comment")
    page_id: str | None = Field(default=None, description="check with this page's policy")


class MatchOut(BaseModel):
    category: str
    source: str
    rule: str
    version: str
    term: str
    text: str
    start: int | None
    end: int | None
    how: str
    action: str


class CheckOut(BaseModel):
    decision: str = Field(description="allow, review, hide or delete")
    # "register" is also a BaseModel attribute, hence the alias.
    register_: bool = Field(alias="register",
                            description="must go to the registrar (secret content)")
    categories: list[str]
    matches: list[MatchOut]
    observe: bool
    engine_version: str
    policy_version: str
    wordlists: dict[str, str]


@router.post("/check", response_model=CheckOut,
             responses={404: {"description": "no managed page with that id (for this user)"}})
def check(body: CheckIn, request: Request, session: SessionDep, user: CurrentUser) -> Any:
    """What the rules decide for a text, with every match explained."""
    policy = Policy()
    if body.page_id is not None:
        page = get_managed_page(session, body.page_id)
        if not may_see_unit(user, page.unit):
            raise AppError(404, f"no managed page {body.page_id}")
        policy = current_policy(session, page)
    today = datetime.now(STOCKHOLM).date()
    return request.app.state.rules.check(body.text, policy, today=today).as_dict()

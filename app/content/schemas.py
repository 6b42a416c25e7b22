from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuthorOut(BaseModel):
    id: str = Field(description="Facebook id (page-scoped id for Messenger)")
    name: str | None


class DecisionOut(BaseModel):
    decision: str = Field(description="allow, review, hide or delete")
    # "register" is also a BaseModel attribute, hence the alias.
    register_: bool = Field(alias="register",
                            description="must go to the registrar (secret content)")
    observe: bool = Field(description="decided in observe mode: nothing is acted on")
    categories: list[str]
    matches: list[dict[str, Any]] = Field(description="every match, explained")
    engine_version: str
    policy_version: str
    decided_at: datetime


class VersionOut(BaseModel):
    seq: int
    message: str | None = Field(description="the text as written; escape it when displaying")
    media: list[dict[str, str]]
    verb: str = Field(description="add, edited, ... or fetched (filled from the Graph API)")
    observed_at: datetime = Field(description="when Facebook says this version came to be")
    recorded_at: datetime
    source: str
    content_sha256: str
    decision: DecisionOut | None = Field(description="what the rules decided for this version")


class StateEventOut(BaseModel):
    verb: str
    state: str | None
    occurred_at: datetime
    actor_id: str | None = Field(description="the change's sender as Meta gave it")
    source: str


class ItemOut(BaseModel):
    platform_id: str
    kind: str = Field(description="post, comment, reply or message")
    platform_type: str
    page_id: str
    post_id: str | None
    parent_id: str | None
    author: AuthorOut | None
    by_page: bool
    created_time: datetime | None
    first_seen_at: datetime
    state: str
    state_at: datetime | None
    fetch_status: str
    fetch_error: str | None
    versions: list[VersionOut]
    state_history: list[StateEventOut]

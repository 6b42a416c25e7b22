from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class DeliveryOut(BaseModel):
    id: int
    received_at: datetime
    status: str
    error: str | None
    size: int
    body_sha256: str
    body: str = Field(description="the raw body as text (invalid UTF-8 replaced)")


class ChangeOut(BaseModel):
    id: int
    inbox_event_id: int
    field: str
    page_id: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    item_id: int | None
    payload: dict[str, Any]


class Paged(BaseModel):
    next_after: int | None = Field(description="pass as ?after= for the next page")


class DeliveryList(Paged):
    items: list[DeliveryOut]


class ChangeList(Paged):
    items: list[ChangeOut]

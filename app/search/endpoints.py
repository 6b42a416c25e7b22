"""GET /api/v1/search: the archive, searchable by every role (moderators: their unit)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.accounts.models import Role
from app.api.deps import CurrentUser, SessionDep
from app.content.models import ItemKind, Visibility
from app.rules.wordlists import CATEGORIES
from app.search.service import MAX_LIMIT, MAX_QUERY_CHARS, search

router = APIRouter(prefix="/api/v1", tags=["search"])

Category = StrEnum("Category", [(c, c) for c in CATEGORIES])  # type: ignore[misc]


class HitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item_id: str = Field(description="the item's Facebook id (see /api/v1/items/{id})")
    page_id: str
    kind: str
    state: str
    author_id: str | None
    author_name: str | None
    version_seq: int
    observed_at: datetime
    snippet: str = Field(description="plain text as written: escape it when displaying")
    snippet_start: int = Field(description="where the snippet begins in the version's text")
    text_length: int
    matches: list[tuple[int, int]] = Field(
        description="matched words as [start, end) offsets into the snippet (code points)")
    withheld: bool = Field(description="secret content your role does not see: no snippet")


class SearchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    hits: list[HitOut]
    has_more: bool
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


@router.get("/search", response_model=SearchOut,
            responses={401: {"description": "no or bad token"},
                       422: {"description": "bad parameter or cursor"}})
def search_archive(
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str | None, Query(
        max_length=MAX_QUERY_CHARS,
        description="words that must all occur; punctuation and operators are ignored")] = None,
    page_id: Annotated[list[str] | None, Query(description="page Facebook id (repeatable)")]
    = None,
    date_from: Annotated[date | None, Query(description="first day (Swedish time)")] = None,
    date_to: Annotated[date | None, Query(description="last day, included")] = None,
    author: Annotated[str | None, Query(
        max_length=300, description="author's Facebook id, or part of the name")] = None,
    kind: ItemKind | None = None,
    category: Annotated[Category | None, Query(
        description="a category the rules found in that version")] = None,
    state: Visibility | None = None,
    registered: Annotated[bool | None, Query(
        description="has (true) or has not (false) been registered in the diarium")] = None,
    secret: Annotated[bool | None, Query(
        description="is (true) or is not (false) held secret by a registration case")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> SearchOut:
    """Every version of every item, newest first, with a snippet around the matched words.

    Moderators see their unit's pages, and not the text of content held secret (a search
    by words does not find it); the other roles see everything."""
    units = {user.unit} if user.unit else set()
    moderator = user.role == Role.moderator
    result = search(
        session, q=q, page_ids=page_id, date_from=date_from, date_to=date_to, author=author,
        kind=kind, category=category, state=state, registered=registered, secret=secret,
        visible_units=units if moderator else None, withhold_secret=moderator,
        cursor=cursor, limit=limit)
    return SearchOut.model_validate(result)

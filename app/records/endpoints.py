"""POST /api/v1/records-requests: a search's result as a package for a member of the
public (PDF and CSV), secret content left out or masked, with the list of what was
withheld and under which provision. Each package made is in the audit log."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.accounts.models import Role, User
from app.api.deps import WriteSessionDep, require_roles
from app.content.models import ItemKind, Visibility
from app.core.logging import get_logger
from app.records.service import MAX_RECORDS, SecretItems, make
from app.search.endpoints import Category
from app.search.service import MAX_PAGES, MAX_QUERY_CHARS, SearchFilters

router = APIRouter(prefix="/api/v1", tags=["records requests"])
log = get_logger("uppsikt.records")
MAKERS = (Role.registrar, Role.information_officer)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RecordsRequestIn(BaseModel):
    """The search (as GET /api/v1/search takes it) and how to hand over its result."""

    model_config = ConfigDict(extra="forbid")
    reference: str | None = Field(
        default=None, max_length=100, examples=["KS 2026/0456"],
        description="the request's own reference, e.g. its diarienummer; on the cover")
    secret_items: SecretItems = Field(
        default=SecretItems.mask,
        description="mask: withheld records are in the package with their secret parts "
                    "masked; omit: they are left out. Both list them as withheld.")
    q: str | None = Field(default=None, max_length=MAX_QUERY_CHARS)
    page_id: list[str] | None = Field(default=None, max_length=MAX_PAGES)
    date_from: date | None = None
    date_to: date | None = None
    author: str | None = Field(default=None, max_length=300)
    kind: ItemKind | None = None
    category: Category | None = None  # type: ignore[valid-type]
    state: Visibility | None = None
    registered: bool | None = None
    secret: bool | None = None

    @field_validator("reference")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if _CONTROL.search(value):
            raise ValueError("no control characters")
        return value.strip() or None


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {}},
          "description": "handlingar.pdf, handlingar.csv, undantaget.csv and manifest.json"},
    401: {"description": "no or bad token"}, 403: {"description": "role may not do this"},
    422: {"description": f"bad search, or more than {MAX_RECORDS} versions found"}}


@router.post("/records-requests", response_class=Response, responses=RESPONSES)
def make_package(body: RecordsRequestIn, session: WriteSessionDep,
                 user: User = require_roles(*MAKERS)) -> Response:
    """Every version the search finds, oldest first, as a zip to hand over."""
    filters = SearchFilters(q=body.q, page_ids=body.page_id, date_from=body.date_from,
                            date_to=body.date_to, author=body.author, kind=body.kind,
                            category=body.category, state=body.state,
                            registered=body.registered, secret=body.secret)
    made = make(session, filters, made_by=user.username, reference=body.reference,
                secret_items=body.secret_items)
    request, manifest, digest = made.request, made.manifest, made.sha256
    log.info("records_request.made", user=user.username, records=len(request.records),
             withheld=len(request.withheld), bytes=len(made.data))
    name = "utlamnande-" + request.made_at.strftime("%Y%m%d-%H%M%S")
    if body.reference:
        name += "-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", body.reference)[:60]
    return Response(made.data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}.zip"',
        "Cache-Control": "no-store",
        "X-Records": str(manifest["records"]), "X-Withheld": str(manifest["withheld"]),
        "X-Package-SHA256": digest})

"""Page policies over HTTP: every role reads them (moderators only their unit's pages);
only information officers change them. Each change is a new stored version and an audit
entry (``policy.changed``), as from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.api.deps import CurrentUser, SessionDep, WriteSessionDep, may_see_unit, require_roles
from app.core.errors import AppError
from app.pages.models import Page
from app.pages.service import get_managed_page
from app.rules.models import PolicyVersion
from app.rules.policies import PolicyBody, import_facebook_words, set_policy

router = APIRouter(prefix="/api/v1/pages", tags=["policies"])
# Checked before the page is looked up: a refused role learns nothing of which pages exist.
Officer = Annotated[User, require_roles(Role.information_officer)]
NOTE_MAX = 500  # policy_version.note
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or bad token"},
    403: {"description": "only an information officer may change a policy"},
    404: {"description": "unknown page (or another unit's page, for a moderator)"},
    422: {"description": "invalid policy; the detail names each problem"}}


class VersionOut(BaseModel):
    version: int
    by: str
    at: datetime
    note: str | None


class PolicyOut(BaseModel):
    page_id: str
    version: int | None = Field(description="null: no policy set yet, the defaults apply")
    set_by: str | None
    set_at: datetime | None
    note: str | None
    policy: dict[str, Any] = Field(description="the policy in force, as stored")
    versions: list[VersionOut] = Field(description="every version, oldest first")


class PolicyIn(PolicyBody):
    """The request body of a change: a whole policy, plus a note kept with the version."""

    note: str | None = Field(default=None, max_length=NOTE_MAX)


class WordsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    words: str = Field(max_length=1_000_000, examples=["snorkråka,bajskorv,knasboll"],
                       description="Facebook's page moderation list: ord1,ord2,ord3")
    name: str = Field(default="facebook", max_length=100, description="the list's name")
    category: str = Field(default="profanity", max_length=100,
                          description="the category its words belong to")


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A Pydantic JSON schema with its ``$defs`` written in place, for ``openapi_extra``
    (whose ``#/$defs/...`` references would otherwise point nowhere)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(schema)


# The body is read as plain JSON and checked by validate_body (through set_policy), so
# that every bad policy is answered the same way, from the API and from the command line.
_PUT_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": _inline_refs(PolicyIn.model_json_schema())}}}}


def _readable_page(session: Session, page_id: str, user: User) -> Page:
    page = get_managed_page(session, page_id)
    if not may_see_unit(user, page.unit):
        # The same answer as for an unknown page: page ids cannot be probed.
        raise AppError(404, f"no managed page {page_id}")
    return page


def _state(session: Session, page: Page) -> PolicyOut:
    rows = session.scalars(select(PolicyVersion).where(PolicyVersion.page_id == page.id)
                           .order_by(PolicyVersion.version)).all()
    last = rows[-1] if rows else None
    return PolicyOut(
        page_id=page.platform_id,
        version=last.version if last else None,
        set_by=last.created_by if last else None,
        set_at=last.created_at if last else None,
        note=last.note if last else None,
        policy=last.body if last else PolicyBody().model_dump(),
        versions=[VersionOut(version=r.version, by=r.created_by, at=r.created_at, note=r.note)
                  for r in rows])


@router.get("/{page_id}/policy", response_model=PolicyOut, responses=ERRORS)
def get_policy(page_id: str, session: SessionDep, user: CurrentUser) -> PolicyOut:
    """The page's policy in force (the defaults until one is set), who set it and when,
    and every version."""
    return _state(session, _readable_page(session, page_id, user))


@router.put("/{page_id}/policy", response_model=PolicyOut, responses=ERRORS,
            openapi_extra=_PUT_BODY)
def put_policy(page_id: str, raw: Annotated[Any, Body()], session: WriteSessionDep,
               user: Officer) -> PolicyOut:
    """Set a new version of the page's policy. The body is the whole policy: a field left
    out takes its default value, not its current one. ``note`` is kept with the version."""
    if not isinstance(raw, dict):
        raise AppError(422, "invalid policy: the body must be a JSON object")
    raw = dict(raw)
    note = raw.pop("note", None)
    if note is not None and not isinstance(note, str):
        raise AppError(422, "invalid policy: note must be a string")
    if note is not None and len(note) > NOTE_MAX:
        raise AppError(422, f"invalid policy: note is longer than {NOTE_MAX} characters")
    page = get_managed_page(session, page_id)
    set_policy(session, page, raw, actor=user.username, note=note or None)
    return _state(session, page)


@router.post("/{page_id}/policy/words", response_model=PolicyOut, responses=ERRORS)
def import_words(page_id: str, body: WordsIn, session: WriteSessionDep,
                 user: Officer) -> PolicyOut:
    """Add the page's own words from Facebook's comma-separated list, as a new policy
    version; a list of the same name is replaced."""
    page = get_managed_page(session, page_id)
    import_facebook_words(session, page, body.words, name=body.name, category=body.category,
                          actor=user.username)
    return _state(session, page)

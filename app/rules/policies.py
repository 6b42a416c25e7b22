"""Page policies: validated, stored as versions, and turned into the engine's Policy."""

from __future__ import annotations

import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.core.errors import AppError
from app.pages.models import Page
from app.rules.engine import DEFAULT_ACTIONS, Policy
from app.rules.models import PolicyVersion
from app.rules.wordlists import CATEGORIES, WordListError, parse_facebook_list

Action = Literal["allow", "review", "hide", "delete"]


class CustomList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    category: str
    words: list[str] = Field(max_length=20000)

    @field_validator("category")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}")
        return value


class PolicyBody(BaseModel):
    """A page's policy as stored and as posted."""

    model_config = ConfigDict(extra="forbid")
    actions: dict[str, Action] = Field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    level: Literal["off", "medium", "strong"] = "strong"
    observe: bool = False
    custom: list[CustomList] = Field(default_factory=list, max_length=50)
    allow_words: list[str] = Field(default_factory=list, max_length=5000)
    link_allow: list[str] = Field(default_factory=list, max_length=1000)
    link_deny: list[str] = Field(default_factory=list, max_length=1000)
    review_images: bool = True
    # Secret content is always hidden at once; deleted at once too, or when a moderator
    # confirms (the default).
    delete_secret_at_once: bool = False
    # Direct messages to the page are incoming mail: queued for the registrar (the
    # default), or only kept in order in the archive.
    register_messages: bool = True

    @field_validator("actions")
    @classmethod
    def _categories(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories: {', '.join(unknown)}")
        return value


def validate_body(raw: Any) -> PolicyBody:
    try:
        body = PolicyBody.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'policy'}: {e['msg']}"
                             for e in exc.errors())
        raise AppError(422, f"invalid policy: {problems}") from exc
    lists = {"allow_words": body.allow_words, "link_allow": body.link_allow,
             "link_deny": body.link_deny,
             **{f"custom.{c.name}": c.words for c in body.custom}}
    for where, values in lists.items():
        bad = next((v for v in values if _has_control(v)), None)
        if bad is not None:
            raise AppError(422, f"invalid policy: {where}: {bad!r} holds a control character")
    for custom in body.custom:
        try:
            parse_facebook_list(",".join(custom.words), list_id=custom.name,
                                category=custom.category, version="check")
        except WordListError as exc:
            raise AppError(422, f"invalid policy: custom list {custom.name}: {exc}") from exc
    return body


def _has_control(text: str) -> bool:
    """A control character (NUL among them, which PostgreSQL cannot store in text or
    JSONB) has no place in a word or an address."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def to_policy(body: PolicyBody, *, page_platform_id: str, label: str) -> Policy:
    custom = tuple(
        parse_facebook_list(",".join(c.words), list_id=f"page-{page_platform_id}-{c.name}",
                            category=c.category, version=label)
        for c in body.custom if c.words
    )
    return Policy(
        actions=tuple(sorted({**DEFAULT_ACTIONS, **body.actions}.items())),
        level=body.level, observe=body.observe, custom=custom,
        allow_words=frozenset(w.strip().lower() for w in body.allow_words if w.strip()),
        link_allow=tuple(body.link_allow), link_deny=tuple(body.link_deny),
        review_images=body.review_images, delete_secret_at_once=body.delete_secret_at_once,
        register_messages=body.register_messages,
        version=label,
    )


def latest_version(session: Session, page: Page) -> PolicyVersion | None:
    return session.scalar(select(PolicyVersion).where(PolicyVersion.page_id == page.id)
                          .order_by(PolicyVersion.version.desc()).limit(1))


def current_policy(session: Session, page: Page) -> Policy:
    row = latest_version(session, page)
    if row is None:
        return Policy(version="default")
    return to_policy(PolicyBody.model_validate(row.body), page_platform_id=page.platform_id,
                     label=f"page-{page.platform_id}-v{row.version}")


def lock_page(session: Session, page: Page) -> None:
    """One policy change per page at a time. On PostgreSQL a second writer waits here until
    the first commits, then numbers its version after the first's (instead of colliding
    with it), and an import adds to what the first wrote. SQLite has one write lock anyway."""
    session.execute(select(Page.id).where(Page.id == page.id).with_for_update())


def set_policy(session: Session, page: Page, raw: Any, *, actor: str,
               note: str | None = None) -> PolicyVersion:
    body = validate_body(raw)
    if note is not None and _has_control(note.replace("\n", "").replace("\t", "")):
        raise AppError(422, "invalid policy: the note holds a control character")
    lock_page(session, page)
    last = session.scalar(select(func.max(PolicyVersion.version))
                          .where(PolicyVersion.page_id == page.id)) or 0
    row = PolicyVersion(page_id=page.id, version=last + 1, body=body.model_dump(),
                        created_by=actor, note=note)
    session.add(row)
    session.flush()
    record(session, actor=actor, act="policy.changed", subject_type="page",
           subject_id=page.platform_id, detail={"version": row.version, "note": note})
    return row


def import_facebook_words(session: Session, page: Page, text: str, *, name: str,
                          category: str, actor: str) -> PolicyVersion:
    """Add (or replace) a custom list from Facebook's ``ord1,ord2,ord3`` format."""
    lock_page(session, page)
    row = latest_version(session, page)
    body = PolicyBody.model_validate(row.body) if row else PolicyBody()
    words = [w.strip() for w in text.replace("\n", ",").split(",") if w.strip()]
    if not words:
        raise AppError(422, "no words in the list")
    custom = [c.model_dump() for c in body.custom if c.name != name]
    custom.append({"name": name, "category": category, "words": words})
    return set_policy(session, page, {**body.model_dump(), "custom": custom}, actor=actor,
                      note=f"imported {len(words)} words into {name}")



"""Applying operations to the archive. Idempotent: the same operation twice adds nothing.

Services flush, never commit: the worker's transaction owns the unit of work.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import (
    Author,
    FetchStatus,
    Item,
    ItemStateEvent,
    ItemVersion,
    Visibility,
)
from app.content.normalise import (
    CONTENT_VERBS,
    STATE_VERBS,
    AuthorRef,
    ChangeError,
    Operation,
)
from app.core.crypto import sha256_hex
from app.core.db import utcnow
from app.pages.models import Page


def content_hash(text: str | None, media: list[dict[str, str]] | tuple[dict[str, str], ...]) -> str:
    """Identifies what an item says. Media URLs carry expiring signatures in their query,
    so only the path takes part: the same picture with a fresh URL is not an edit."""
    stable_media = sorted(
        (m.get("type", ""), m.get("url", "").split("?", 1)[0]) for m in media
    )
    return sha256_hex(json.dumps([text, stable_media], ensure_ascii=False))


def upsert_author(session: Session, ref: AuthorRef, seen_at: datetime) -> Author:
    author = session.scalar(select(Author).where(Author.platform_id == ref.platform_id))
    if author is None:
        author = Author(platform_id=ref.platform_id, name=ref.name, first_seen_at=seen_at,
                        last_seen_at=seen_at)
        session.add(author)
        session.flush()
        return author
    if ref.name and ref.name != author.name:
        author.name = ref.name
    author.last_seen_at = max(author.last_seen_at, seen_at)
    return author


def apply_operation(
    session: Session, page: Page, op: Operation, *, change_id: int | None, received_at: datetime,
    source: str = "webhook",
) -> Item:
    """``source``: how the change reached Uppsikt ("webhook", or "poll" for what
    reconciliation found through the Graph API); kept on the versions it adds."""
    occurred = op.occurred_at or received_at
    item = session.scalar(select(Item).where(Item.platform_id == op.platform_id))
    if item is None and op.object_platform_id and op.kind == "post":
        # A video's block/mute names only the video; find the post that carries it.
        item = session.scalar(
            select(Item).where(Item.object_platform_id == op.object_platform_id,
                               Item.page_id == page.id)
        )
    if item is not None and item.page_id != page.id:
        raise ChangeError(f"{op.platform_id} is archived under another page")
    author = upsert_author(session, op.author, occurred) if op.author else None
    if op.author_is_page and author is not None and author.name is None:
        author.name = page.name

    if item is None:
        item = Item(
            platform_id=op.platform_id, page_id=page.id, kind=op.kind,
            platform_type=op.platform_type, post_platform_id=op.post_platform_id,
            parent_platform_id=op.parent_platform_id,
            object_platform_id=op.object_platform_id, author_id=author.id if author else None,
            by_page=op.author_is_page, created_time=op.created_time, first_seen_at=received_at,
            state=Visibility.visible,
        )
        session.add(item)
        session.flush()
    else:
        _fill_unknowns(item, op, author)

    if op.carries_content:
        _add_version(session, item, op, occurred, change_id, source)
    if op.state_verb is not None:
        _add_state_event(session, item, op, occurred, change_id)
    _mark_missing(item, op, author)
    return item


def _fill_unknowns(item: Item, op: Operation, author: Author | None) -> None:
    """Later changes may know what an earlier one did not; known facts are never replaced."""
    if item.author_id is None and author is not None:
        item.author_id = author.id
        item.by_page = op.author_is_page
    for attr, value in (
        ("post_platform_id", op.post_platform_id),
        ("parent_platform_id", op.parent_platform_id),
        ("object_platform_id", op.object_platform_id),
        ("created_time", op.created_time),
    ):
        if getattr(item, attr) is None and value is not None:
            setattr(item, attr, value)


def _add_version(
    session: Session, item: Item, op: Operation, occurred: datetime, change_id: int | None,
    source: str = "webhook",
) -> None:
    digest = content_hash(op.text, op.media)
    versions = select(ItemVersion).where(ItemVersion.item_id == item.id)
    if op.verb not in CONTENT_VERBS:
        # hide/unhide repeat the text: it only seeds an item first seen through them.
        if session.scalar(versions.limit(1)) is not None:
            return
    else:
        same = versions.where(ItemVersion.content_sha256 == digest)
        if op.verb == "add" and session.scalar(same.where(ItemVersion.verb == "add")):
            return  # an item is added once; the same add again is a redelivery
        if session.scalar(same.where(ItemVersion.observed_at == occurred)):
            return
        earlier = session.scalar(
            versions.where(ItemVersion.observed_at <= occurred)
            .order_by(ItemVersion.observed_at.desc(), ItemVersion.seq.desc()).limit(1)
        )
        if earlier is not None and earlier.content_sha256 == digest:
            return  # says what the version before it said: nothing changed
        later = session.scalar(
            versions.where(ItemVersion.observed_at > occurred)
            .order_by(ItemVersion.observed_at, ItemVersion.seq).limit(1)
        )
        if later is not None and later.content_sha256 == digest and (
                earlier is None or later.source == "poll"):
            # An add arriving after an edit that recorded the same content; or an edit
            # that polling found first (a polled version is timed when it was seen).
            return
    seq = (session.scalar(select(func.max(ItemVersion.seq)).where(ItemVersion.item_id == item.id))
           or 0) + 1
    session.add(ItemVersion(
        item_id=item.id, seq=seq, text=op.text, media=list(op.media), content_sha256=digest,
        observed_at=occurred, verb=op.verb, source=source, change_id=change_id,
    ))
    session.flush()


def _add_state_event(
    session: Session, item: Item, op: Operation, occurred: datetime, change_id: int | None
) -> None:
    verb = op.state_verb or op.verb
    events = select(ItemStateEvent).where(ItemStateEvent.item_id == item.id)
    if session.scalar(events.where(ItemStateEvent.verb == verb,
                                   ItemStateEvent.occurred_at == occurred)):
        return
    before = session.scalar(events.where(ItemStateEvent.occurred_at <= occurred)
                            .order_by(ItemStateEvent.occurred_at.desc(),
                                      ItemStateEvent.id.desc()).limit(1))
    if before is not None and before.verb == verb:
        return  # hide after hide says nothing new: the same change in another batch
    state = STATE_VERBS.get(verb)
    # Meta names no actor for these verbs beyond the change's sender; keep what it gave.
    actor = op.author.platform_id if op.author else None
    session.add(ItemStateEvent(
        item_id=item.id, verb=verb, state=state, occurred_at=occurred,
        actor_platform_id=actor, source="facebook", change_id=change_id,
    ))
    # Deliveries come in any order: the item's state is that of its latest event.
    if state is not None and (item.state_at is None or occurred >= item.state_at):
        item.state = state
        item.state_at = occurred
    session.flush()


def _mark_missing(item: Item, op: Operation, author: Author | None) -> None:
    missing = set(op.missing)
    if "from" in missing and author is not None and author.name:
        missing.discard("from")
    if not missing or item.fetch_status in (FetchStatus.pending, FetchStatus.gone):
        return
    if item.fetch_status == FetchStatus.done and "message" not in missing:
        return
    item.fetch_status = FetchStatus.pending
    item.fetch_next_at = utcnow()
    item.fetch_error = None

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.content.models import FetchStatus, Item
from app.core.crypto import DecryptionError, decrypt_page_token, encrypt_page_token
from app.core.db import utcnow
from app.core.errors import AppError
from app.pages.models import Page
from app.webhooks.models import ChangeStatus, InboxChange


def add_page(session: Session, *, secret_key: str, platform_id: str, name: str, unit: str,
             token: str) -> tuple[Page, int]:
    """Add (or bring back) a page; returns it and how many held changes were released."""
    platform_id, name, unit, token = (v.strip() for v in (platform_id, name, unit, token))
    if not platform_id.isdigit():
        raise AppError(422, "page id must be the numeric Facebook Page id")
    if not name or not unit or not token:
        raise AppError(422, "name, unit and token must not be empty")
    page = session.scalar(select(Page).where(Page.platform_id == platform_id))
    if page is not None and page.removed_at is None:
        raise AppError(409, f"page {platform_id} is already managed")
    if page is None:
        page = Page(platform_id=platform_id, name=name, unit=unit)
        session.add(page)
    page.name, page.unit, page.removed_at = name, unit, None
    page.token_encrypted = encrypt_page_token(secret_key, token)
    page.token_status, page.token_error = "ok", None
    session.flush()
    released = session.execute(
        update(InboxChange)
        .where(InboxChange.page_platform_id == platform_id,
               InboxChange.status == ChangeStatus.held)
        .values(status=ChangeStatus.pending, next_attempt_at=utcnow(), last_error=None)
    ).rowcount
    return page, released


def get_managed_page(session: Session, platform_id: str) -> Page:
    """A page Uppsikt manages (not removed), by its Facebook id; 404 otherwise."""
    page = session.scalar(select(Page).where(Page.platform_id == platform_id,
                                             Page.removed_at.is_(None)))
    if page is None:
        raise AppError(404, f"no managed page {platform_id}")
    return page


def set_page_token(session: Session, *, secret_key: str, platform_id: str, token: str) -> Page:
    """Replace a page's access token (after Meta invalidated it) and resume its work."""
    token = token.strip()
    if not token:
        raise AppError(422, "token must not be empty")
    page = get_managed_page(session, platform_id)
    page.token_encrypted = encrypt_page_token(secret_key, token)
    page.token_status, page.token_error = "ok", None
    # Fetches paused for want of a usable token are due again now.
    session.execute(
        update(Item)
        .where(Item.page_id == page.id, Item.fetch_status == FetchStatus.pending)
        .values(fetch_next_at=utcnow())
    )
    return page


def remove_page(session: Session, platform_id: str) -> Page:
    """Stop managing a page: forget its token, keep everything archived from it."""
    page = get_managed_page(session, platform_id)
    page.removed_at = utcnow()
    page.token_encrypted = None
    return page


def list_pages(session: Session, *, include_removed: bool = False) -> list[Page]:
    query = select(Page).order_by(Page.unit, Page.name)
    if not include_removed:
        query = query.where(Page.removed_at.is_(None))
    return list(session.scalars(query))


def usable_token(page: Page | None, secret_key: str) -> str | None:
    """The token for Graph calls on the page's behalf, or None when the page is removed,
    its token was found invalid, or the token cannot be decrypted."""
    if page is None or page.removed_at is not None or page.token_status != "ok":
        return None
    try:
        return page_token(page, secret_key)
    except DecryptionError:
        return None


def page_token(page: Page, secret_key: str) -> str | None:
    if page.token_encrypted is None:
        return None
    return decrypt_page_token(secret_key, page.token_encrypted)

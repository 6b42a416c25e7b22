"""The pages whose policy a user may open (a moderator: their unit's; everyone else: all),
and where a page's policy is shown."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.pages.models import Page
from app.ui.auth import Principal
from app.ui.web import UiError, may_see, visible_units


def visible_page(session: Session, principal: Principal, platform_id: str) -> Page:
    """A managed page the user may see; 404 otherwise, the same for another unit's page
    as for one that does not exist."""
    page = session.scalar(select(Page).where(Page.platform_id == platform_id,
                                             Page.removed_at.is_(None)))
    if page is None or not may_see(principal, page):
        raise UiError(404, "Sidan finns inte.")
    return page


def visible_pages(session: Session, principal: Principal) -> list[Page]:
    query = select(Page).where(Page.removed_at.is_(None)).order_by(Page.name, Page.platform_id)
    units = visible_units(principal)
    if units is not None:
        query = query.where(Page.unit.in_(units))
    return list(session.scalars(query))


def policy_url(page: Page) -> str:
    return f"/ui/pages/{quote(page.platform_id, safe='')}/policy"

"""Every model, imported once so that the metadata is complete (Alembic, relationships)."""

from app.accounts.models import ApiToken, User
from app.content.models import Author, Item, ItemStateEvent, ItemVersion
from app.pages.models import Page
from app.rules.models import ItemDecision, PolicyVersion
from app.webhooks.models import InboxChange, InboxEvent

__all__ = [
    "ApiToken",
    "Author",
    "InboxChange",
    "InboxEvent",
    "ItemDecision",
    "Item",
    "ItemStateEvent",
    "ItemVersion",
    "Page",
    "PolicyVersion",
    "User",
]

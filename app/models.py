"""Every model, imported once so that the metadata is complete (Alembic, relationships)."""

from app.accounts.models import ApiToken, User
from app.audit.models import AuditEntry
from app.content.models import Author, Item, ItemStateEvent, ItemVersion
from app.moderation.models import Action, MediaBlob, RegistrationCase, Snapshot, SnapshotMedia
from app.pages.models import Page
from app.rules.models import ItemDecision, PolicyVersion
from app.webhooks.models import InboxChange, InboxEvent

__all__ = [
    "Action",
    "ApiToken",
    "AuditEntry",
    "Author",
    "InboxChange",
    "InboxEvent",
    "ItemDecision",
    "Item",
    "ItemStateEvent",
    "ItemVersion",
    "MediaBlob",
    "Page",
    "PolicyVersion",
    "RegistrationCase",
    "Snapshot",
    "SnapshotMedia",
    "User",
]

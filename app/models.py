"""Every model, imported once so that the metadata is complete (Alembic, relationships)."""

from app.accounts.models import ApiToken, User
from app.audit.models import AuditEntry
from app.content.models import Author, Item, ItemStateEvent, ItemVersion
from app.moderation.models import Action, MediaBlob, RegistrationCase, Snapshot, SnapshotMedia
from app.oversight.models import OversightSignoff
from app.pages.models import Page, PageRegister
from app.review.models import FalsePositive, ItemNote, ReviewOutcome
from app.rules.models import ItemDecision, PolicyVersion
from app.ui.models import LoginAttempt, UiSession
from app.webhooks.models import InboxChange, InboxEvent

__all__ = [
    "Action",
    "ApiToken",
    "AuditEntry",
    "Author",
    "FalsePositive",
    "InboxChange",
    "InboxEvent",
    "Item",
    "ItemDecision",
    "ItemNote",
    "ItemStateEvent",
    "ItemVersion",
    "LoginAttempt",
    "MediaBlob",
    "OversightSignoff",
    "Page",
    "PageRegister",
    "PolicyVersion",
    "RegistrationCase",
    "ReviewOutcome",
    "Snapshot",
    "SnapshotMedia",
    "UiSession",
    "User",
]

"""Every model, imported once so that the metadata is complete (Alembic, relationships)."""

from app.accounts.models import ApiToken, User
from app.alerts.models import Alert
from app.audit.models import AuditEntry
from app.content.models import Author, Item, ItemStateEvent, ItemVersion
from app.digest.models import Digest, DigestRecipient
from app.jobs.models import JobLease, JobRun
from app.moderation.models import Action, MediaBlob, RegistrationCase, Snapshot, SnapshotMedia
from app.oversight.models import OversightSignoff
from app.pages.models import Page, PageRegister
from app.questions.models import ServiceQuestion
from app.reconcile.models import PageWatch
from app.retention.models import CullingRecord, LegalHold, RetentionRule
from app.review.models import FalsePositive, ItemNote, ReviewOutcome
from app.rules.models import ItemDecision, PolicyVersion
from app.snapshots.models import PageSnapshot, YearlyReport
from app.ui.models import LoginAttempt, UiSession
from app.webhooks.models import InboxChange, InboxEvent

__all__ = [
    "Action",
    "Alert",
    "ApiToken",
    "AuditEntry",
    "Author",
    "CullingRecord",
    "Digest",
    "DigestRecipient",
    "FalsePositive",
    "InboxChange",
    "InboxEvent",
    "Item",
    "ItemDecision",
    "ItemNote",
    "ItemStateEvent",
    "ItemVersion",
    "JobLease",
    "JobRun",
    "LegalHold",
    "LoginAttempt",
    "MediaBlob",
    "OversightSignoff",
    "Page",
    "PageRegister",
    "PageSnapshot",
    "PageWatch",
    "PolicyVersion",
    "RegistrationCase",
    "RetentionRule",
    "ReviewOutcome",
    "ServiceQuestion",
    "Snapshot",
    "SnapshotMedia",
    "UiSession",
    "User",
    "YearlyReport",
]

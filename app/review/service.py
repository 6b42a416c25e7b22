"""The review queue and what moderators do with what is in it.

An item waits for review when the rules' latest decision for it is review, hide or
delete, or when it is hidden on Facebook, and no person has yet given a verdict
(ReviewOutcome) on that decision. A new version with a new decision puts it back.
Direct messages (they go to the registrar) and the page's own content (never acted on)
are not reviewed here.

Every verdict is audited with the person's user name; what it asks of Facebook goes
through the moderation service (snapshot first, then an Action the worker performs).
Services flush, never commit: the request owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.audit.service import record
from app.content.models import Item, ItemKind, ItemVersion, Visibility
from app.core.errors import AppError
from app.moderation.models import ActionKind, CaseSource, CaseStatus, RegistrationCase
from app.moderation.service import REMOVING, current_intent, moderator_action
from app.pages.models import Page
from app.registration.service import queue_case
from app.review.models import FalsePositive, ItemNote, Outcome, ReviewOutcome
from app.rules.models import ItemDecision

REVIEW_DECISIONS = ("review", "hide", "delete")
MAX_NOTE_CHARS = 4000


def candidates(session: Session, *conditions: ColumnElement[bool]) -> list[int]:
    """The items that may be waiting (a few more, never fewer), narrowed by ``conditions``
    on Item: hidden items that no verdict covers, and items with a flagged decision that
    has no verdict of its own. Few even in a large archive, and each side is found by an
    index (item.state, item_decision.decision), so the latest decision is then looked up
    for these only. A verdict covers an item when no decision of it is newer (by id) than
    the one the verdict was given on."""
    newest = (select(func.max(ItemDecision.id))
              .where(ItemDecision.item_id == ReviewOutcome.item_id).scalar_subquery())
    covered = select(ReviewOutcome.id).where(
        ReviewOutcome.item_id == Item.id,
        func.coalesce(ReviewOutcome.item_decision_id, 0) >= func.coalesce(newest, 0)).exists()
    verdict_on_it = select(ReviewOutcome.id).where(
        ReviewOutcome.item_id == ItemDecision.item_id,
        ReviewOutcome.item_decision_id == ItemDecision.id).exists()
    flagged = list(set(session.scalars(select(ItemDecision.item_id).where(
        ItemDecision.decision.in_(REVIEW_DECISIONS), ~verdict_on_it))))
    if conditions and flagged:  # asked apart: then the planner knows how few they are
        flagged = list(session.scalars(select(Item.id).where(_among(Item.id, flagged),
                                                             *conditions)))
    hidden = session.scalars(select(Item.id).where(Item.state == Visibility.hidden,
                                                   ~covered, *conditions))
    return sorted({*flagged, *hidden})


def _among(column: Any, ids: list[int]) -> ColumnElement[bool]:
    # Integers written into the statement: a long list needs no thousands of parameters,
    # and the planner sees how few there are.
    return column.in_(bindparam("ids", ids, expanding=True, literal_execute=True))


def waiting(session: Session, *conditions: ColumnElement[bool]) -> Select[Any]:
    """The items waiting for review, narrowed by ``conditions`` on Item (its page ...):
    rows of item_id, page_id, decision_id, decision, categories (of the rules' latest
    decision, None if there is none) and at (when that version came, or the item was
    hidden)."""
    ids = candidates(session, *conditions)
    ranked = (select(ItemVersion.item_id, ItemDecision.id.label("decision_id"),
                     ItemDecision.decision, ItemDecision.categories, ItemVersion.observed_at,
                     func.row_number().over(
                         partition_by=ItemVersion.item_id,
                         order_by=(ItemVersion.observed_at.desc(), ItemVersion.seq.desc()))
                     .label("rank"))
              .join(ItemDecision, ItemDecision.item_version_id == ItemVersion.id)
              .where(_among(ItemVersion.item_id, ids))
              .subquery("ranked"))
    latest = select(ranked).where(ranked.c.rank == 1).subquery("latest")
    # A verdict settles the decision it was given on (0: the item had none).
    handled = select(ReviewOutcome.id).where(
        ReviewOutcome.item_id == Item.id,
        func.coalesce(ReviewOutcome.item_decision_id, 0)
        == func.coalesce(latest.c.decision_id, 0)).exists()
    return (select(Item.id.label("item_id"), Item.page_id, latest.c.decision_id,
                   latest.c.decision, latest.c.categories,
                   func.coalesce(latest.c.observed_at, Item.state_at, Item.first_seen_at)
                   .label("at"))
            .outerjoin(latest, latest.c.item_id == Item.id)
            .where(_among(Item.id, ids), Item.kind != ItemKind.message,
                   Item.by_page.is_(False),
                   or_(Item.state == Visibility.hidden,
                       latest.c.decision.in_(REVIEW_DECISIONS)),
                   ~handled))


def queue_counts(session: Session, page_ids: Collection[int]) -> dict[int, int]:
    """For each page (primary key), how many of its items wait in the review queue."""
    if not page_ids:
        return {}
    rows = waiting(session, Item.page_id.in_(list(page_ids))).subquery()
    counts = {page_id: 0 for page_id in page_ids}
    counts.update({page_id: n for page_id, n in session.execute(
        select(rows.c.page_id, func.count()).group_by(rows.c.page_id))})
    return counts


# --- the queue, a page at a time ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """``units`` None: every page; otherwise only pages of those units."""

    units: set[str] | None = None
    page_platform_id: str | None = None
    category: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    item_id: int
    decision_id: int | None


def queue_page(session: Session, wanted: QueueFilters, *, offset: int,
               limit: int) -> tuple[list[QueueEntry], int]:
    """One page of the queue, newest first, and how many wait in all."""
    conditions = []
    pages = select(Page.id)
    if wanted.units is not None:
        pages = pages.where(Page.unit.in_(wanted.units))
    if wanted.page_platform_id is not None:
        pages = pages.where(Page.platform_id == wanted.page_platform_id)
    if wanted.units is not None or wanted.page_platform_id is not None:
        conditions.append(Item.page_id.in_(pages))
    if wanted.state is not None:
        conditions.append(Item.state == wanted.state)
    rows = waiting(session, *conditions).subquery()
    stmt = select(rows.c.item_id, rows.c.decision_id)
    if wanted.category is not None:
        postgres = session.get_bind().dialect.name == "postgresql"
        stmt = stmt.where(_has_category(rows.c.categories, wanted.category, postgres))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = session.execute(stmt.order_by(rows.c.at.desc(), rows.c.item_id.desc())
                           .offset(offset).limit(limit))
    return [QueueEntry(row.item_id, row.decision_id) for row in page], total


def _has_category(categories: Any, category: str, postgres: bool) -> ColumnElement[bool]:
    if postgres:
        return type_coerce(categories, JSONB).contains([category])
    values = func.json_each(categories).table_valued("value")
    return select(values.c.value).where(values.c.value == category).exists()


# --- what an item's state allows ------------------------------------------------------


def latest_decision(session: Session, item: Item) -> ItemDecision | None:
    return session.scalar(
        select(ItemDecision).join(ItemVersion, ItemVersion.id == ItemDecision.item_version_id)
        .where(ItemVersion.item_id == item.id)
        .order_by(ItemVersion.observed_at.desc(), ItemVersion.seq.desc()).limit(1))


def is_waiting(session: Session, item: Item) -> bool:
    return session.scalar(waiting(session, Item.id == item.id)) is not None


@dataclass(frozen=True, slots=True)
class Choices:
    """What a person may do with an item now (the buttons shown, and what is accepted)."""

    restore: bool
    delete: bool
    keep: bool
    secret: bool
    false_positive: bool


def matches_of(decision: ItemDecision | None) -> list[dict[str, Any]]:
    if decision is None or not isinstance(decision.explanation, dict):
        return []
    matches = decision.explanation.get("matches")
    return [m for m in matches if isinstance(m, dict)] if isinstance(matches, list) else []


def choices(session: Session, item: Item, decision: ItemDecision | None, *, waiting: bool,
            case: RegistrationCase | None) -> Choices:
    intent = current_intent(session, item)
    on_facebook = (item.kind != ItemKind.message and not item.by_page
                   and item.state != Visibility.removed)
    restorable = on_facebook and intent != ActionKind.unhide and (
        item.state == Visibility.hidden or intent in REMOVING)
    marked = decision is not None and session.scalar(
        select(FalsePositive.id).where(FalsePositive.item_decision_id == decision.id)
        .limit(1)) is not None
    return Choices(
        restore=restorable,
        delete=on_facebook and intent != ActionKind.delete,
        keep=waiting,
        secret=case is None or (case.status == CaseStatus.pending and not case.secret),
        false_positive=bool(matches_of(decision)) and not marked,
    )


# --- verdicts -------------------------------------------------------------------------


class Refused(AppError):
    """What was asked is not possible for this item now (the page shows why)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message, code="review_refused")


@dataclass(frozen=True, slots=True)
class Done:
    outcome: str | None  # the verdict recorded, None for a note
    action_id: int | None = None  # the action requested of Facebook, if any
    restored: bool = False


def _verdict(session: Session, item: Item, decision: ItemDecision | None, outcome: Outcome,
             *, by: str, action_id: int | None = None,
             detail: dict[str, Any] | None = None) -> Done:
    session.add(ReviewOutcome(item_id=item.id, item_decision_id=decision.id if decision else None,
                              outcome=outcome, handled_by=by))
    session.flush()
    record(session, actor=by, act=f"review.{outcome}", subject_type="item",
           subject_id=item.platform_id,
           detail={"decision": decision.id if decision else None, "action": action_id,
                   **(detail or {})})
    return Done(str(outcome), action_id, restored=outcome in (Outcome.restored,
                                                              Outcome.false_positive)
                and action_id is not None)


def _current(session: Session, item: Item) -> tuple[ItemDecision | None, Choices]:
    decision = latest_decision(session, item)
    case = session.scalar(select(RegistrationCase).where(RegistrationCase.item_id == item.id))
    return decision, choices(session, item, decision, waiting=is_waiting(session, item),
                             case=case)


def restore(session: Session, page: Page, item: Item, *, by: str) -> Done:
    """Put the item back on the page (unhide): the rules or someone hid it wrongly."""
    decision, can = _current(session, item)
    if not can.restore:
        raise Refused("Kommentaren kan inte återställas nu.")
    action = moderator_action(session, page, item, ActionKind.unhide, by=by,
                              reason=f"review: restored by {by}")
    return _verdict(session, item, decision, Outcome.restored, by=by, action_id=action.id)


def delete(session: Session, page: Page, item: Item, *, by: str) -> Done:
    """Confirm that the item goes: it is deleted from Facebook (it stays in the archive)."""
    decision, can = _current(session, item)
    if not can.delete:
        raise Refused("Kommentaren kan inte tas bort nu.")
    action = moderator_action(session, page, item, ActionKind.delete, by=by,
                              reason=f"review: deletion confirmed by {by}")
    return _verdict(session, item, decision, Outcome.deleted, by=by, action_id=action.id)


def keep(session: Session, item: Item, *, by: str) -> Done:
    """The item stays as it is (the hide stands); it leaves the queue."""
    decision, can = _current(session, item)
    if not can.keep:
        raise Refused("Kommentaren väntar inte på granskning.")
    return _verdict(session, item, decision, Outcome.kept, by=by,
                    detail={"state": item.state})


def mark_secret(session: Session, page: Page, item: Item, *, by: str) -> Done:
    """Secret content: to the registrar's queue as secret, and hidden at once."""
    decision, can = _current(session, item)
    if not can.secret:
        raise Refused("Kommentaren är redan hos registrator.")
    reason = f"marked secret in review by {by}"
    case = queue_case(session, page, item, source=CaseSource.moderator, secret=True,
                      reason=reason, by=by)
    action_id = None
    if item.kind != ItemKind.message and not item.by_page \
            and item.state != Visibility.removed \
            and current_intent(session, item) not in REMOVING:
        action_id = moderator_action(session, page, item, ActionKind.hide, by=by,
                                     reason=f"secret: {reason}").id
    return _verdict(session, item, decision, Outcome.secret, by=by, action_id=action_id,
                    detail={"case": case.id})


def false_positive(session: Session, page: Page, item: Item, *, by: str) -> Done:
    """The rules were wrong: each match of the latest decision is counted against its
    rule, and the item is restored where it was hidden."""
    decision, can = _current(session, item)
    if decision is None or not can.false_positive:
        raise Refused("Det finns inga regelträffar att markera som felaktiga.")
    matches = matches_of(decision)
    for m in matches:
        session.add(FalsePositive(
            item_id=item.id, item_decision_id=decision.id,
            category=_text(m.get("category"), 32), source=_text(m.get("source"), 64),
            rule=_text(m.get("rule"), 200), term=_text(m.get("term"), 300), marked_by=by))
    action_id = None
    if can.restore:
        action_id = moderator_action(session, page, item, ActionKind.unhide, by=by,
                                     reason=f"review: false positive, restored by {by}").id
    return _verdict(session, item, decision, Outcome.false_positive, by=by,
                    action_id=action_id, detail={"matches": len(matches)})


def _text(value: Any, limit: int) -> str:
    return ("" if value is None else str(value))[:limit]


def add_note(session: Session, item: Item, text: str, *, by: str) -> ItemNote:
    text = text.strip()
    if not text:
        raise Refused("Skriv något i anteckningen.")
    if len(text) > MAX_NOTE_CHARS or "\x00" in text:
        raise Refused("Anteckningen är för lång (högst 4000 tecken).")
    note = ItemNote(item_id=item.id, text=text, created_by=by)
    session.add(note)
    session.flush()
    record(session, actor=by, act="review.note", subject_type="item",
           subject_id=item.platform_id, detail={"note": note.id})
    return note


# --- false positives per rule ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleCount:
    category: str
    source: str
    rule: str
    term: str
    count: int
    last_marked: Any


def false_positive_counts(session: Session, *, units: set[str] | None,
                          page_platform_id: str | None = None,
                          limit: int = 500) -> list[RuleCount]:
    """How often each rule (list or detector, and term) was marked wrong, most first."""
    stmt = (select(FalsePositive.category, FalsePositive.source, FalsePositive.rule,
                   FalsePositive.term, func.count().label("n"),
                   func.max(FalsePositive.marked_at).label("last"))
            .join(Item, Item.id == FalsePositive.item_id).join(Page, Page.id == Item.page_id)
            .group_by(FalsePositive.category, FalsePositive.source, FalsePositive.rule,
                      FalsePositive.term)
            .order_by(func.count().desc(), FalsePositive.rule, FalsePositive.term)
            .limit(limit))
    if units is not None:
        stmt = stmt.where(Page.unit.in_(units))
    if page_platform_id is not None:
        stmt = stmt.where(Page.platform_id == page_platform_id)
    return [RuleCount(r.category, r.source, r.rule, r.term, r.n, r.last)
            for r in session.execute(stmt)]


# --- highlighting ---------------------------------------------------------------------


def spans_of(matches: Sequence[dict[str, Any]], length: int) -> list[tuple[int, int]]:
    """The matches' [start, end) spans that lie in a text of ``length``, merged, in order."""
    spans = []
    for m in matches:
        start, end = m.get("start"), m.get("end")
        if type(start) is int and type(end) is int and 0 <= start < end <= length:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged

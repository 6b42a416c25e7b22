"""The yearly report's figures, per page, per unit and in total.

Every count is an aggregate query (GROUP BY page) over the year's rows, so the archive may
hold millions of items: the database does the counting and only a few rows per page come
back. Only the answer times of answered questions are read row by row (a median cannot be
summed from parts), and those are a small share of the items.

A year is the Swedish calendar year: from 1 January 00:00 Europe/Stockholm to the next.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from app.content.models import Item, ItemKind
from app.moderation.models import Action, ActionKind, ActionStatus, CaseStatus, RegistrationCase
from app.oversight.models import OversightSignoff
from app.oversight.service import is_working_day
from app.pages.models import Page
from app.questions.models import ServiceQuestion
from app.review.models import Outcome, ReviewOutcome
from app.rules.models import ItemDecision
from app.rules.wordlists import CATEGORIES
from app.snapshots.models import PageSnapshot

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KINDS = tuple(k.value for k in ItemKind)
DECISIONS = ("allow", "review", "hide", "delete")
RESTORING = (Outcome.restored.value, Outcome.false_positive.value)
FIRST_YEAR = 2004  # no Facebook Page is older


def year_start(year: int) -> datetime:
    """1 January 00:00 Swedish time, as UTC."""
    return datetime(year, 1, 1, tzinfo=STOCKHOLM).astimezone(UTC)


def local_day(value: datetime) -> date:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(STOCKHOLM).date()


def check_year(year: int, today: date) -> None:
    """A year a report can be made for: not in the future, not before Facebook Pages."""
    if not FIRST_YEAR <= year <= today.year:
        raise ValueError(f"the year must be between {FIRST_YEAR} and {today.year}")


@dataclass
class Counts:
    """The figures of one page, or the sum of several."""

    items: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    by_page: int = 0  # written by the page itself
    monthly: list[int] = field(default_factory=lambda: [0] * 12)
    decisions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DECISIONS, 0))
    categories: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    hidden: int = 0
    unhidden: int = 0
    deleted: int = 0
    actions_failed: int = 0
    restored: int = 0
    false_positives: int = 0
    cases: int = 0
    registered: int = 0
    not_required: int = 0
    pending: int = 0
    secret: int = 0
    working_days: int = 0
    signed_days: int = 0
    questions: int = 0
    answered: int = 0
    answered_in_time: int = 0
    overdue: int = 0
    closed: int = 0
    snapshots: int = 0
    answer_hours: list[float] = field(default_factory=list, repr=False, compare=False)

    @property
    def coverage(self) -> float | None:
        """Signed-off working days / working days, 0..1 (None: no working day)."""
        return self.signed_days / self.working_days if self.working_days else None

    @property
    def in_time_share(self) -> float | None:
        """Answered in time / (answered + overdue), 0..1 (None: nothing to judge)."""
        judged = self.answered + self.overdue
        return self.answered_in_time / judged if judged else None

    @property
    def median_answer_hours(self) -> float | None:
        return statistics.median(self.answer_hours) if self.answer_hours else None

    def add(self, other: Counts) -> None:
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(value, dict):
                for key, n in value.items():
                    mine[key] = mine.get(key, 0) + n
            elif name == "monthly":
                self.monthly = [a + b for a, b in zip(mine, value, strict=True)]
            elif isinstance(value, list):
                mine.extend(value)
            else:
                setattr(self, name, mine + value)

    def as_dict(self) -> dict[str, Any]:
        out = {name: value for name, value in vars(self).items() if name != "answer_hours"}
        out["coverage"] = _rounded(self.coverage, 4)
        out["in_time_share"] = _rounded(self.in_time_share, 4)
        out["median_answer_hours"] = _rounded(self.median_answer_hours, 2)
        return out


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class PageRow:
    page_id: int
    platform_id: str
    name: str
    unit: str
    counts: Counts


@dataclass
class UnitRow:
    unit: str
    pages: list[PageRow]
    counts: Counts


@dataclass(frozen=True)
class SnapshotRow:
    page_name: str
    unit: str
    period_start: date
    period_end: date
    created_at: datetime
    pdf_sha256: str
    html_sha256: str


@dataclass
class YearFigures:
    year: int
    today: date
    through: date  # the last day counted (the year's last day, or today in the current year)
    pages: list[PageRow]
    units: list[UnitRow]
    total: Counts
    snapshots: list[SnapshotRow]

    @property
    def complete(self) -> bool:
        return self.through == date(self.year, 12, 31)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year, "through": self.through.isoformat(), "complete": self.complete,
            "total": self.total.as_dict(),
            "units": [{"unit": u.unit, **u.counts.as_dict()} for u in self.units],
            "pages": [{"page_id": p.platform_id, "name": p.name, "unit": p.unit,
                       **p.counts.as_dict()} for p in self.pages],
            "snapshots": [{"page": s.page_name, "unit": s.unit,
                           "period_start": s.period_start.isoformat(),
                           "period_end": s.period_end.isoformat(),
                           "created_at": s.created_at.isoformat(),
                           "pdf_sha256": s.pdf_sha256, "html_sha256": s.html_sha256}
                          for s in self.snapshots],
        }


def yearly_figures(session: Session, year: int, today: date) -> YearFigures:
    """The year's figures as of ``today`` (a Swedish date): a year not yet over is counted
    up to and including today, its oversight up to yesterday (today is not over)."""
    check_year(year, today)
    start, end = year_start(year), year_start(year + 1)
    through = min(date(year, 12, 31), today)
    counts: dict[int, Counts] = defaultdict(Counts)
    _items(session, year, counts)
    _decisions(session, start, end, counts)
    _actions(session, start, end, counts)
    _restores(session, start, end, counts)
    _registrations(session, start, end, counts)
    _questions(session, start, end, today, counts)
    snapshots = _snapshots(session, year, counts)

    pages = list(session.scalars(select(Page).where(or_(
        Page.id.in_(list(counts)),
        and_(Page.created_at < end, or_(Page.removed_at.is_(None), Page.removed_at >= start)),
    ))))
    _oversight(session, year, today, pages, counts)
    rows = sorted((PageRow(p.id, p.platform_id, p.name, p.unit, counts[p.id]) for p in pages),
                  key=lambda r: (r.unit.casefold(), r.name.casefold(), r.platform_id))
    units: list[UnitRow] = []
    total = Counts()
    for row in rows:
        if not units or units[-1].unit != row.unit:
            units.append(UnitRow(row.unit, [], Counts()))
        units[-1].pages.append(row)
        units[-1].counts.add(row.counts)
        total.add(row.counts)
    return YearFigures(year=year, today=today, through=through, pages=rows, units=units,
                       total=total, snapshots=snapshots)


def _when() -> ColumnElement[Any]:
    """When an item came: Meta's time, or when Uppsikt first saw it if Meta gave none."""
    return func.coalesce(Item.created_time, Item.first_seen_at)


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _items(session: Session, year: int, counts: dict[int, Counts]) -> None:
    when = _when()
    start, end = year_start(year), year_start(year + 1)
    # The month in Swedish time, by comparing with each month's first moment: the same
    # SQL on every database, and one pass over the year's items.
    bounds = [datetime(year, m, 1, tzinfo=STOCKHOLM).astimezone(UTC) for m in range(2, 13)]
    month = case(*[(when < b, i) for i, b in enumerate(bounds)], else_=11)
    query = (select(Item.page_id, Item.kind, Item.by_page, month.label("month"), func.count())
             .where(_in(when, start, end))
             .group_by(Item.page_id, Item.kind, Item.by_page, month))
    for page_id, kind, by_page, m, n in session.execute(query):
        c = counts[page_id]
        c.items += n
        c.kinds[kind] = c.kinds.get(kind, 0) + n
        c.by_page += n if by_page else 0
        c.monthly[int(m)] += n


def _latest_decisions(start: datetime, end: datetime) -> Any:
    """The latest decision of each item that came in the year (its decision now)."""
    return (select(func.max(ItemDecision.id).label("id"))
            .join(Item, Item.id == ItemDecision.item_id)
            .where(_in(_when(), start, end))
            .group_by(ItemDecision.item_id)).subquery()


def _decisions(session: Session, start: datetime, end: datetime,
               counts: dict[int, Counts]) -> None:
    latest = _latest_decisions(start, end)
    query = (select(Item.page_id, ItemDecision.decision, func.count())
             .select_from(ItemDecision)
             .join(latest, latest.c.id == ItemDecision.id)
             .join(Item, Item.id == ItemDecision.item_id)
             .group_by(Item.page_id, ItemDecision.decision))
    for page_id, decision, n in session.execute(query):
        d = counts[page_id].decisions
        d[decision] = d.get(decision, 0) + n

    # One row per category named by a decision: the JSON list unnested in the database.
    if session.get_bind().dialect.name == "postgresql":
        elements = func.jsonb_array_elements_text(ItemDecision.categories)
    else:
        elements = func.json_each(ItemDecision.categories)
    category = elements.table_valued("value").alias("category")
    query = (select(Item.page_id, category.c.value, func.count())
             .select_from(ItemDecision)
             .join(latest, latest.c.id == ItemDecision.id)
             .join(Item, Item.id == ItemDecision.item_id)
             .join(category, true())
             .group_by(Item.page_id, category.c.value))
    for page_id, code, n in session.execute(query):
        c = counts[page_id].categories
        c[str(code)] = c.get(str(code), 0) + n


def _actions(session: Session, start: datetime, end: datetime,
             counts: dict[int, Counts]) -> None:
    query = (select(Action.page_id, Action.kind, Action.status, func.count())
             .where(_in(Action.created_at, start, end),
                    Action.status.in_((ActionStatus.done, ActionStatus.failed)))
             .group_by(Action.page_id, Action.kind, Action.status))
    done = {ActionKind.hide: "hidden", ActionKind.unhide: "unhidden",
            ActionKind.delete: "deleted"}
    for page_id, kind, status, n in session.execute(query):
        c = counts[page_id]
        if status == ActionStatus.failed:
            c.actions_failed += n
        elif kind in done:
            setattr(c, done[kind], getattr(c, done[kind]) + n)


def _restores(session: Session, start: datetime, end: datetime,
              counts: dict[int, Counts]) -> None:
    query = (select(Item.page_id, ReviewOutcome.outcome,
                    func.count(func.distinct(ReviewOutcome.item_id)))
             .join(Item, Item.id == ReviewOutcome.item_id)
             .where(_in(ReviewOutcome.handled_at, start, end),
                    ReviewOutcome.outcome.in_(RESTORING))
             .group_by(Item.page_id, ReviewOutcome.outcome))
    for page_id, outcome, n in session.execute(query):
        c = counts[page_id]
        c.restored += n
        if outcome == Outcome.false_positive:
            c.false_positives += n


def _registrations(session: Session, start: datetime, end: datetime,
                   counts: dict[int, Counts]) -> None:
    query = (select(Item.page_id, RegistrationCase.status, RegistrationCase.secret,
                    func.count())
             .join(Item, Item.id == RegistrationCase.item_id)
             .where(_in(RegistrationCase.created_at, start, end))
             .group_by(Item.page_id, RegistrationCase.status, RegistrationCase.secret))
    field_of = {CaseStatus.registered: "registered", CaseStatus.not_required: "not_required",
                CaseStatus.pending: "pending"}
    for page_id, status, secret, n in session.execute(query):
        c = counts[page_id]
        c.cases += n
        c.secret += n if secret else 0
        if status in field_of:
            setattr(c, field_of[status], getattr(c, field_of[status]) + n)


def _questions(session: Session, start: datetime, end: datetime, today: date,
               counts: dict[int, Counts]) -> None:
    asked = _in(ServiceQuestion.asked_at, start, end)
    overdue = and_(ServiceQuestion.answered_at.is_(None), ServiceQuestion.status == "open",
                   ServiceQuestion.due_on < today)
    query = (select(ServiceQuestion.page_id, func.count(),
                    func.count(ServiceQuestion.answered_at),
                    func.sum(case((overdue, 1), else_=0)),
                    func.sum(case((and_(ServiceQuestion.answered_at.is_(None),
                                        ServiceQuestion.status == "closed"), 1), else_=0)))
             .where(asked).group_by(ServiceQuestion.page_id))
    for page_id, n, answered, late, closed in session.execute(query):
        c = counts[page_id]
        c.questions += n
        c.answered += answered
        c.overdue += int(late or 0)
        c.closed += int(closed or 0)
    # Answer times: a median and a Swedish date need each answered question's times.
    query = (select(ServiceQuestion.page_id, ServiceQuestion.asked_at,
                    ServiceQuestion.answered_at, ServiceQuestion.due_on)
             .where(asked, ServiceQuestion.answered_at.is_not(None))
             .execution_options(yield_per=5000))
    for page_id, asked_at, answered_at, due_on in session.execute(query):
        c = counts[page_id]
        c.answer_hours.append(max(0.0, (answered_at - asked_at).total_seconds() / 3600))
        c.answered_in_time += local_day(answered_at) <= due_on


def _snapshots(session: Session, year: int, counts: dict[int, Counts]) -> list[SnapshotRow]:
    query = (select(PageSnapshot, Page.name, Page.unit)
             .join(Page, Page.id == PageSnapshot.page_id)
             .where(PageSnapshot.period_start >= date(year, 1, 1),
                    PageSnapshot.period_start <= date(year, 12, 31))
             .order_by(PageSnapshot.period_start, Page.unit, Page.name, PageSnapshot.id))
    rows = []
    for snap, name, unit in session.execute(query):
        counts[snap.page_id].snapshots += 1
        rows.append(SnapshotRow(name, unit, snap.period_start, snap.period_end,
                                snap.created_at, snap.pdf_sha256, snap.html_sha256))
    return rows


def working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def _oversight(session: Session, year: int, today: date, pages: Iterable[Page],
               counts: dict[int, Counts]) -> None:
    """Coverage: of the working days each page existed in the year, up to yesterday, the
    days someone signed it off (several sign-offs of one day count once)."""
    last = min(date(year, 12, 31), today - timedelta(days=1))
    if last < date(year, 1, 1):
        return
    year_days = working_days(date(year, 1, 1), last)
    query = (select(OversightSignoff.page_id, OversightSignoff.day)
             .where(OversightSignoff.day >= date(year, 1, 1), OversightSignoff.day <= last)
             .group_by(OversightSignoff.page_id, OversightSignoff.day))
    signed: dict[int, set[date]] = defaultdict(set)
    for page_id, day in session.execute(query):
        signed[page_id].add(day)
    for page in pages:
        first = local_day(page.created_at)
        gone = local_day(page.removed_at) if page.removed_at is not None else None
        days = [d for d in year_days if d >= first and (gone is None or d < gone)]
        c = counts[page.id]
        c.working_days = len(days)
        c.signed_days = len(signed[page.id].intersection(days))

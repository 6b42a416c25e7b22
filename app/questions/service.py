"""The service obligation (serviceskyldighet): questions from the public and their answers.

The guidelines promise an answer "samma dag, senast nästkommande arbetsdag". The job
``questions_job`` takes up new questions from the archive (``detect.looks_like_question``
for comments, replies and visitor posts; direct messages always, see ``is_question``),
gives each its deadline (``oversight.service.answer_due``), and settles them: answered once
the page has replied after the question, closed when moderation hid or removed it (reopened
if it is restored), or closed by a moderator as needing no answer.

New questions are found by a watermark over ``item_version.id`` kept in the job's run
summary: each run reads only the versions after it (an index range), so an edit that turns
a comment into a question is seen too. Ids are handed out before commit, so on PostgreSQL a
version with a lower id can become visible after a higher one: the watermark only passes
versions recorded more than ``SETTLE`` ago, and versions whose text is still being fetched
from the Graph API; newer ones are read again next run (taking one up twice is prevented by
the question's primary key, the item id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.audit.service import record
from app.content.models import Author, FetchStatus, Item, ItemKind, ItemVersion, Visibility
from app.core.db import Database, utcnow
from app.core.logging import get_logger
from app.jobs.models import JobRun
from app.moderation.models import RegistrationCase
from app.oversight.service import STOCKHOLM, answer_due
from app.pages.models import Page
from app.questions.detect import looks_like_question
from app.questions.models import ServiceQuestion

if TYPE_CHECKING:
    from app.jobs.registry import JobContext

log = get_logger("uppsikt.questions")

SYSTEM = "system"
JOB_NAME = "questions"
# Questions asked longer ago than this are not taken up: an archive imported when Uppsikt
# starts would otherwise fill the list with questions years old.
LOOKBACK = timedelta(days=14)
# Versions recorded less than this long ago may still have uncommitted neighbours with
# lower ids (see the module docstring): the watermark waits for them.
SETTLE = timedelta(minutes=10)
BATCH = 2000
CHUNK = 500  # ids per IN list
# A message that does not look like a question, written within this long after the page's
# own message in the conversation, is a follow-up ("Tack!"), not a new question.
FOLLOW_UP = timedelta(days=3)
REASON_MAX = 300  # the column's length
EXCERPT_CHARS = 200
ASKING_KINDS = (ItemKind.post, ItemKind.comment, ItemKind.reply, ItemKind.message)
GONE_STATES = {Visibility.hidden: "Dold vid moderering",
               Visibility.removed: "Borttagen från Facebook",
               Visibility.blocked: "Avsändaren blockerad"}


class QuestionError(ValueError):
    """A request about a question that cannot be carried out (shown to the person)."""


def is_question(kind: str, text: str | None, *, follows_page_message: bool = False) -> bool:
    """Whether an item from the public asks the page something. Every direct message does
    (it is mail to the authority), except a short follow-up to the page's own message that
    asks nothing; comments, replies and visitor posts when their text looks like one."""
    if kind == ItemKind.message:
        return looks_like_question(text) or not follows_page_message
    return looks_like_question(text)


def asked_when(item: Item | Row[Any], version: ItemVersion | Row[Any]) -> datetime:
    """When the question was asked: when the item was written, or for an edit that made
    it a question, when the edit came."""
    if version.verb in ("edited", "edit"):
        return version.observed_at
    return item.created_time or item.first_seen_at or version.observed_at


# --- the job ---------------------------------------------------------------------------


def questions_job(ctx: JobContext) -> dict[str, Any]:
    """Take up new questions after the watermark, then settle the open ones."""
    start = last_watermark(ctx.db)
    cursor = mark = start
    hold: int | None = None
    scanned = tracked = 0
    while True:
        clock = utcnow()
        with ctx.db.transaction(immediate=True) as session:
            result = scan(session, after=cursor, now=ctx.now, clock=clock)
        scanned += result.scanned
        tracked += result.tracked
        if result.hold is not None and hold is None:
            hold = result.hold
        if result.last is not None:
            cursor = result.last
        if hold is None:
            mark = cursor
        if result.scanned < BATCH:
            break
    if hold is not None:
        mark = max(start, hold - 1)
    with ctx.db.transaction(immediate=True) as session:
        settled = settle(session, now=ctx.now)
        today = ctx.local_now.date()
        still_open = session.scalar(select(func.count()).select_from(ServiceQuestion)
                                    .where(ServiceQuestion.status == "open")) or 0
        late = session.scalar(select(func.count()).select_from(ServiceQuestion).where(
            ServiceQuestion.status == "open", ServiceQuestion.due_on < today)) or 0
    return {"watermark": mark, "scanned": scanned, "new": tracked, **settled,
            "open": still_open, "overdue": late}


def last_watermark(db: Database) -> int:
    """The watermark the last successful run left (0 before the first)."""
    with db.transaction() as session:
        summary = session.scalar(
            select(JobRun.summary).where(JobRun.job == JOB_NAME, JobRun.status == "ok")
            .order_by(JobRun.id.desc()).limit(1))
    value = (summary or {}).get("watermark")
    return value if isinstance(value, int) and value >= 0 else 0


@dataclass(frozen=True)
class ScanResult:
    scanned: int
    tracked: int
    last: int | None  # the highest version id read
    hold: int | None  # the lowest version id that must be read again next run


def scan(session: Session, *, after: int, now: datetime, clock: datetime) -> ScanResult:
    """Read up to BATCH item versions after ``after`` and take up the questions in them."""
    page_author = aliased(Author)
    rows = session.execute(
        select(ItemVersion.id, ItemVersion.verb, ItemVersion.text, ItemVersion.media,
               ItemVersion.observed_at, ItemVersion.recorded_at, Item.id.label("item_id"),
               Item.kind, Item.page_id, Item.by_page, Item.state, Item.fetch_status,
               Item.created_time, Item.first_seen_at, Item.object_platform_id,
               Item.platform_id, page_author.platform_id.label("author_platform_id"),
               Page.platform_id.label("page_platform_id"))
        .join(Item, Item.id == ItemVersion.item_id)
        .join(Page, Page.id == Item.page_id)
        .outerjoin(page_author, page_author.id == Item.author_id)
        .where(ItemVersion.id > after)
        .order_by(ItemVersion.id).limit(BATCH)).all()
    if not rows:
        return ScanResult(0, 0, None, None)
    known = _tracked_items(session, {r.item_id for r in rows})
    hold: int | None = None
    tracked = 0
    for row in rows:
        asked = asked_when(row, row)
        recent = asked >= now - LOOKBACK
        waiting_for_text = (recent and row.fetch_status == FetchStatus.pending
                            and row.text is None and not row.media)
        if hold is None and (waiting_for_text or row.recorded_at > clock - SETTLE):
            hold = row.id
        if (not recent or row.item_id in known or waiting_for_text
                or row.kind not in ASKING_KINDS or row.by_page
                or row.author_platform_id == row.page_platform_id):
            continue
        follows = (row.kind == ItemKind.message
                   and _follows_page_message(session, row.page_id, row.object_platform_id,
                                             asked))
        if not is_question(row.kind, row.text, follows_page_message=follows):
            continue
        _track(session, row, asked, now)
        known.add(row.item_id)
        tracked += 1
    return ScanResult(len(rows), tracked, rows[-1].id, hold)


def _tracked_items(session: Session, item_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(item_ids)):
        found.update(session.scalars(select(ServiceQuestion.item_id)
                                     .where(ServiceQuestion.item_id.in_(chunk))))
    return found


def _follows_page_message(session: Session, page_id: int, party: str | None,
                          at: datetime) -> bool:
    if party is None:
        return False
    return session.scalar(
        select(Item.id).where(Item.page_id == page_id, Item.kind == ItemKind.message,
                              Item.object_platform_id == party, _by_the_page(),
                              _written_at() < at, _written_at() >= at - FOLLOW_UP)
        .outerjoin(Author, Author.id == Item.author_id)
        .join(Page, Page.id == Item.page_id).limit(1)) is not None


def _track(session: Session, row: Row[Any], asked: datetime, now: datetime) -> None:
    question = ServiceQuestion(item_id=row.item_id, page_id=row.page_id, asked_at=asked,
                               due_on=answer_due(asked), status="open")
    session.add(question)
    session.flush()
    record(session, actor=SYSTEM, act="question.tracked", subject_type="item",
           subject_id=row.platform_id,
           detail={"kind": row.kind, "asked_at": asked.isoformat(),
                   "due_on": question.due_on.isoformat()})
    if row.state in GONE_STATES:
        _close(session, question, row.platform_id, by=SYSTEM, reason=GONE_STATES[row.state],
               now=now)


def _written_at() -> Any:
    return func.coalesce(Item.created_time, Item.first_seen_at)


def _by_the_page() -> Any:
    """Written by the page itself: so marked, or its author is the page (a comment whose
    sender was fetched later keeps by_page false). Needs Author and Page joined."""
    return or_(Item.by_page.is_(True), Author.platform_id == Page.platform_id)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


# --- settling open questions ------------------------------------------------------------


def settle(session: Session, *, now: datetime) -> dict[str, int]:
    """Close what moderation hid, reopen what it restored, mark what the page answered."""
    closed = reopened = answered = 0
    rows = session.execute(
        select(ServiceQuestion, Item).join(Item, Item.id == ServiceQuestion.item_id)
        .where(ServiceQuestion.status == "open")).all()
    still_open: list[tuple[ServiceQuestion, Item]] = []
    for question, item in rows:
        if item.state in GONE_STATES:
            _close(session, question, item.platform_id, by=SYSTEM,
                   reason=GONE_STATES[item.state], now=now)
            closed += 1
        else:
            still_open.append((question, item))
    for question, item in session.execute(
            select(ServiceQuestion, Item).join(Item, Item.id == ServiceQuestion.item_id)
            .where(ServiceQuestion.status == "closed", ServiceQuestion.closed_by == SYSTEM,
                   Item.state == Visibility.visible)).all():
        question.status, question.closed_by = "open", None
        question.closed_at = question.closed_reason = None
        record(session, actor=SYSTEM, act="question.reopened", subject_type="item",
               subject_id=item.platform_id, detail={"state": item.state})
        still_open.append((question, item))
        reopened += 1
    for start in range(0, len(still_open), CHUNK):
        answered += _mark_answered(session, still_open[start:start + CHUNK])
    return {"answered": answered, "closed": closed, "reopened": reopened}


def _mark_answered(session: Session, batch: Sequence[tuple[ServiceQuestion, Item]]) -> int:
    if not batch:
        return 0
    ids = {i.platform_id for _, i in batch} | {i.parent_platform_id for _, i in batch
                                               if i.parent_platform_id}
    posts = {i.post_platform_id for _, i in batch if i.post_platform_id} | {
        i.platform_id for _, i in batch if i.kind == ItemKind.post}
    parties = {i.object_platform_id for _, i in batch
               if i.kind == ItemKind.message and i.object_platform_id}
    page_ids = {q.page_id for q, _ in batch}
    earliest = min(q.asked_at for q, _ in batch)
    about = [Item.parent_platform_id.in_(ids)]
    if posts:
        about.append(and_(Item.kind.in_((ItemKind.comment, ItemKind.reply)),
                          Item.post_platform_id.in_(posts)))
    if parties:
        about.append(and_(Item.kind == ItemKind.message, Item.object_platform_id.in_(parties)))
    replies = session.execute(
        select(Item, _written_at().label("at"))
        .outerjoin(Author, Author.id == Item.author_id).join(Page, Page.id == Item.page_id)
        .where(Item.page_id.in_(page_ids), _by_the_page(), _written_at() >= earliest,
               or_(*about))
        .order_by(_written_at(), Item.id)).all()
    count = 0
    for question, item in batch:
        answer = next((reply for reply, at in replies
                       if at > question.asked_at and _answers(reply, item)), None)
        if answer is None:
            continue
        question.status = "answered"
        question.answer_item_id = answer.id
        question.answered_at = answer.created_time or answer.first_seen_at
        record(session, actor=SYSTEM, act="question.answered", subject_type="item",
               subject_id=item.platform_id,
               detail={"answer": answer.platform_id,
                       "in_time": _local_day(question.answered_at) <= question.due_on})
        count += 1
    return count


def _answers(reply: Item, question: Item) -> bool:
    """Whether the page's ``reply`` is an answer to ``question`` (it is written after it)."""
    if reply.page_id != question.page_id or reply.id == question.id:
        return False
    if question.kind == ItemKind.message:
        return (reply.kind == ItemKind.message
                and reply.object_platform_id == question.object_platform_id)
    if reply.kind == ItemKind.message:
        return False
    if question.kind == ItemKind.post:
        return reply.post_platform_id == question.platform_id
    if reply.parent_platform_id == question.platform_id:
        return True  # a reply to it
    if question.kind == ItemKind.reply:  # in the same thread
        return reply.parent_platform_id == question.parent_platform_id
    # A top-level question: a top-level comment of the page on the same post after it.
    return (reply.kind == ItemKind.comment and question.post_platform_id is not None
            and reply.post_platform_id == question.post_platform_id)


def _local_day(value: datetime) -> date:
    return value.astimezone(STOCKHOLM).date()


# --- what people do and see --------------------------------------------------------------


def _close(session: Session, question: ServiceQuestion, platform_id: str, *, by: str,
           reason: str, now: datetime) -> None:
    question.status, question.closed_by, question.closed_at = "closed", by, now
    question.closed_reason = reason
    record(session, actor=by, act="question.closed", subject_type="item",
           subject_id=platform_id, detail={"reason": reason if by == SYSTEM else "person"})


def close_question(session: Session, question: ServiceQuestion, *, by: str,
                   reason: str) -> None:
    """A person closes an open question as needing no answer ("Kräver inget svar")."""
    reason = " ".join(reason.split())
    if not reason:
        raise QuestionError("Ange varför frågan inte kräver något svar.")
    if len(reason) > REASON_MAX:
        raise QuestionError(f"Skälet får vara högst {REASON_MAX} tecken.")
    if by == SYSTEM:
        raise QuestionError("Ange vem som stänger frågan.")
    if question.status != "open":
        raise QuestionError("Frågan är inte öppen.")
    item = session.get(Item, question.item_id)
    assert item is not None
    _close(session, question, item.platform_id, by=by, reason=reason, now=utcnow())


@dataclass(frozen=True)
class QuestionView:
    question: ServiceQuestion
    item: Item
    page: Page
    author: str | None
    excerpt: str | None
    secret: bool  # the item has a secret registration case


def question_views(session: Session, *, units: set[str] | None, status: str = "open",
                   since: datetime | None = None, overdue_before: date | None = None,
                   limit: int = 500) -> list[QuestionView]:
    """Questions of the pages of ``units`` (None: all), open ones by due date (the most
    overdue first), others newest first."""
    stmt = (select(ServiceQuestion, Item, Page)
            .join(Item, Item.id == ServiceQuestion.item_id)
            .join(Page, Page.id == ServiceQuestion.page_id)
            .where(ServiceQuestion.status == status))
    if units is not None:
        stmt = stmt.where(Page.unit.in_(units))
    if since is not None:
        column = (ServiceQuestion.answered_at if status == "answered"
                  else ServiceQuestion.closed_at)
        stmt = stmt.where(column >= since)
    if overdue_before is not None:
        stmt = stmt.where(ServiceQuestion.due_on < overdue_before)
    if status == "open":
        stmt = stmt.order_by(ServiceQuestion.due_on, ServiceQuestion.asked_at)
    else:
        stmt = stmt.order_by(func.coalesce(ServiceQuestion.answered_at,
                                           ServiceQuestion.closed_at).desc())
    rows = session.execute(stmt.limit(limit)).all()
    item_ids = [i.id for _, i, _ in rows]
    texts = _latest_texts(session, item_ids)
    secret = _secret_items(session, item_ids)
    authors = _author_names(session, {i.author_id for _, i, _ in rows if i.author_id})
    return [QuestionView(q, i, p, authors.get(i.author_id or 0),
                         excerpt(texts.get(i.id)), i.id in secret)
            for q, i, p in rows]


def _latest_texts(session: Session, item_ids: list[int]) -> dict[int, str | None]:
    texts: dict[int, str | None] = {}
    for chunk in _chunks(item_ids):
        for item_id, text in session.execute(
                select(ItemVersion.item_id, ItemVersion.text)
                .where(ItemVersion.item_id.in_(chunk))
                .order_by(ItemVersion.observed_at, ItemVersion.seq)):
            texts[item_id] = text  # ordered: the latest wins
    return texts


def _secret_items(session: Session, item_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(item_ids):
        found.update(session.scalars(select(RegistrationCase.item_id).where(
            RegistrationCase.item_id.in_(chunk), RegistrationCase.secret.is_(True))))
    return found


def _author_names(session: Session, ids: set[int]) -> dict[int, str | None]:
    names: dict[int, str | None] = {}
    for chunk in _chunks(sorted(ids)):
        names.update({author_id: name for author_id, name in session.execute(
            select(Author.id, Author.name).where(Author.id.in_(chunk)))})
    return names


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """The start of a text on one line (it is still hostile: escaped where shown)."""
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def find_question(session: Session, platform_id: str) -> tuple[ServiceQuestion, Item,
                                                               Page] | None:
    row = session.execute(
        select(ServiceQuestion, Item, Page).join(Item, Item.id == ServiceQuestion.item_id)
        .join(Page, Page.id == ServiceQuestion.page_id)
        .where(Item.platform_id == platform_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def overdue_counts(session: Session, page_ids: Iterable[int], *,
                   today: date) -> dict[int, tuple[int, int]]:
    """Per page: (open questions past their due day, open questions due today)."""
    ids = list(page_ids)
    if not ids:
        return {}
    out = {page_id: (0, 0) for page_id in ids}
    for page_id, due_on, n in session.execute(
            select(ServiceQuestion.page_id, ServiceQuestion.due_on, func.count())
            .where(ServiceQuestion.status == "open", ServiceQuestion.page_id.in_(ids),
                   ServiceQuestion.due_on <= today)
            .group_by(ServiceQuestion.page_id, ServiceQuestion.due_on)):
        late, due = out[page_id]
        out[page_id] = (late + n, due) if due_on < today else (late, due + n)
    return out

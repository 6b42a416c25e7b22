"""Find item versions by their words and by filters, newest first, a page at a time.

Words: every word of the query must occur in a version's text, as the start of a word. On
SQLite that is an FTS5 prefix query. On PostgreSQL both sides are first reduced by the
Swedish stemmer, and the query's stems are prefixes (``to_tsquery('swedish', 'ord:*')``):
so "snöröjningen" also finds "snöröjning", and "skola" finds "skolan", which the stemmer
alone would not. Nothing in a query is an operator: quotes, ``*``, ``AND``/``OR``/``NEAR``
and other punctuation are separators or plain words, so no input can make the full-text
engine fail.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from app.content.models import Author, Item, ItemVersion
from app.core.errors import AppError
from app.moderation.models import CaseStatus, RegistrationCase
from app.pages.models import Page
from app.rules.models import ItemDecision
from app.search import INDEX_PREFIX

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAX_LIMIT = 200
MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_PAGES = 100
SNIPPET_CHARS = 240
SNIPPET_LEAD = 60  # characters shown before the first match
FTS_TABLE = f"{INDEX_PREFIX}item_version"  # migration 0005 (SQLite)
# Exactly the expression of the GIN index in migration 0005 (PostgreSQL), or it goes unused.
TSVECTOR = "to_tsvector('swedish', coalesce(item_version.text, ''))"

# A word is a run of letters and digits, as SQLite's unicode61 tokenizer sees it.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class SearchHit:
    item_id: str  # the item's Facebook id
    page_id: str  # the page's Facebook id
    kind: str
    state: str
    author_id: str | None
    author_name: str | None
    version_seq: int
    observed_at: datetime
    snippet: str  # plain text, as written: escape it to show it
    snippet_start: int  # where the snippet begins in the version's text
    text_length: int
    matches: list[tuple[int, int]]  # [start, end) in the snippet, in code points
    withheld: bool = False  # secret content not shown to this user: snippet is empty


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    has_more: bool
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a search asks for. ``visible_units`` None means every page; otherwise only
    pages of those units. Dates are whole days in Swedish time, both ends included."""

    q: str | None = None
    page_ids: Sequence[str] | None = None
    date_from: date | None = None
    date_to: date | None = None
    author: str | None = None
    kind: str | None = None
    category: str | None = None
    state: str | None = None
    registered: bool | None = None
    secret: bool | None = None
    visible_units: set[str] | None = None


def search(session: Session, *, cursor: str | None = None, limit: int = 50,
           withhold_secret: bool = False, **filters: Any) -> SearchPage:
    """One page of matching versions, newest first (by ``observed_at``, then id).

    ``filters`` are the fields of SearchFilters. With ``withhold_secret`` the text of an
    item held secret by a registration case is not shown (the hit says ``withheld``), and
    a search by words never finds it, so words cannot be confirmed by guessing. Bad input
    raises AppError(422)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise AppError(422, f"limit: between 1 and {MAX_LIMIT}")
    wanted = SearchFilters(**filters)
    terms = query_terms(wanted.q)
    postgres = session.get_bind().dialect.name == "postgresql"
    # First the page's version ids alone: a common word matches tens of thousands of
    # versions, and sorting them with their text and names costs twice as much.
    stmt = matching_versions(select(ItemVersion.id), wanted, terms, postgres)
    if withhold_secret and terms:
        stmt = stmt.where(_has_case(RegistrationCase.secret.is_(True), False))
    if cursor is not None:
        at, version_id = decode_cursor(cursor)
        stmt = stmt.where(or_(ItemVersion.observed_at < at,
                              and_(ItemVersion.observed_at == at, ItemVersion.id < version_id)))
    stmt = stmt.order_by(ItemVersion.observed_at.desc(), ItemVersion.id.desc()).limit(limit + 1)
    ids = list(session.scalars(stmt))
    rows = session.execute(
        select(ItemVersion.id, ItemVersion.seq, ItemVersion.text, ItemVersion.observed_at,
               Item.platform_id.label("item_id"), Item.kind, Item.state,
               Page.platform_id.label("page_id"), Author.platform_id.label("author_id"),
               Author.name.label("author_name"), Item.id.label("item_pk"))
        .join(Item, Item.id == ItemVersion.item_id).join(Page, Page.id == Item.page_id)
        .outerjoin(Author, Author.id == Item.author_id)
        .where(ItemVersion.id.in_(ids))
        .order_by(ItemVersion.observed_at.desc(), ItemVersion.id.desc())).all() if ids else []
    has_more = len(rows) > limit
    rows = rows[:limit]
    texts = [row.text or "" for row in rows]
    secret = secret_items(session, {row.item_pk for row in rows}) if withhold_secret else set()
    hits = []
    for row, body, spans in zip(rows, texts, _match_spans(session, postgres, terms, texts),
                                strict=True):
        snippet, start, marks = ("", 0, []) if row.item_pk in secret else _snippet(body, spans)
        hits.append(SearchHit(
            item_id=row.item_id, page_id=row.page_id, kind=row.kind, state=row.state,
            author_id=row.author_id, author_name=row.author_name, version_seq=row.seq,
            observed_at=row.observed_at, snippet=snippet, snippet_start=start,
            text_length=len(body), matches=marks, withheld=row.item_pk in secret))
    next_cursor = encode_cursor(rows[-1].observed_at, rows[-1].id) if has_more else None
    return SearchPage(hits=hits, has_more=has_more, next_cursor=next_cursor)


def secret_items(session: Session, item_ids: set[int]) -> set[int]:
    """Those of the items (primary keys) that a registration case holds secret."""
    if not item_ids:
        return set()
    return set(session.scalars(select(RegistrationCase.item_id).where(
        RegistrationCase.item_id.in_(item_ids), RegistrationCase.secret.is_(True))))


def matching_versions(stmt: Select[Any], wanted: SearchFilters, terms: list[str],
                      postgres: bool) -> Select[Any]:
    """``stmt`` (a select of ItemVersion columns and others) joined to the item, its page
    and author, and narrowed to what ``wanted`` asks for."""
    stmt = (stmt.select_from(ItemVersion)
            .join(Item, Item.id == ItemVersion.item_id)
            .join(Page, Page.id == Item.page_id)
            .outerjoin(Author, Author.id == Item.author_id))
    if terms:
        stmt = stmt.where(_postgres_match(terms) if postgres else _sqlite_match(terms))
    if wanted.visible_units is not None:
        stmt = stmt.where(Page.unit.in_(wanted.visible_units))
    if wanted.page_ids:
        if len(wanted.page_ids) > MAX_PAGES:
            raise AppError(422, f"page_id: at most {MAX_PAGES} pages")
        for page_id in wanted.page_ids:
            _check_text("page_id", page_id, 128)
        stmt = stmt.where(Page.platform_id.in_(wanted.page_ids))
    stmt = stmt.where(*_date_range(wanted.date_from, wanted.date_to))
    if wanted.author is not None:
        _check_text("author", wanted.author, 300)
        stmt = stmt.where(_author_is(wanted.author))
    if wanted.kind is not None:
        stmt = stmt.where(Item.kind == wanted.kind)
    if wanted.state is not None:
        stmt = stmt.where(Item.state == wanted.state)
    if wanted.category is not None:
        stmt = stmt.where(_has_category(wanted.category, postgres))
    if wanted.registered is not None:
        stmt = stmt.where(_has_case(RegistrationCase.status == CaseStatus.registered,
                                    wanted.registered))
    if wanted.secret is not None:
        stmt = stmt.where(_has_case(RegistrationCase.secret.is_(True), wanted.secret))
    return stmt


def query_terms(q: str | None) -> list[str]:
    """The words of a query, each once; anything else in it is a separator."""
    if q is None or not q.strip():
        return []
    if len(q) > MAX_QUERY_CHARS:
        raise AppError(422, f"q: at most {MAX_QUERY_CHARS} characters")
    words = _WORD.findall(unicodedata.normalize("NFC", q))
    terms = list({w.lower(): w for w in words}.values())
    if not terms:
        raise AppError(422, "q: nothing to search for (a word needs letters or digits)")
    if len(terms) > MAX_TERMS:
        raise AppError(422, f"q: at most {MAX_TERMS} words")
    return terms


def sqlite_match_expression(terms: Iterable[str]) -> str:
    """An FTS5 query in which every term is a quoted string (never an operator or column
    filter) with a prefix star: ``"snöröjning"* AND "väg"*``."""
    return " AND ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def _sqlite_match(terms: list[str]) -> ColumnElement[bool]:
    matching = (select(column("rowid")).select_from(text(FTS_TABLE))
                .where(column(FTS_TABLE).op("MATCH")(sqlite_match_expression(terms))))
    return ItemVersion.id.in_(matching)


def postgres_query_expression(terms: Iterable[str]) -> str:
    """A to_tsquery() input: the terms are letters and digits only, so none of them can be
    an operator; each is stemmed by PostgreSQL and matched as a prefix."""
    return " & ".join(f"{term}:*" for term in terms)


def _postgres_match(terms: list[str]) -> ColumnElement[bool]:
    return text(f"{TSVECTOR} @@ to_tsquery('swedish', :search_words)").bindparams(
        search_words=postgres_query_expression(terms))


def _check_text(name: str, value: str, max_chars: int) -> None:
    # PostgreSQL refuses NUL in text: caught here, it is the caller's error, not ours.
    if "\x00" in value or len(value) > max_chars:
        raise AppError(422, f"{name}: at most {max_chars} characters, no NUL")


def _day_start(day: date) -> datetime | None:
    """Midnight in Sweden, in UTC; None where that falls outside what datetime holds."""
    try:
        return datetime.combine(day, time(), STOCKHOLM).astimezone(UTC)
    except OverflowError:
        return None


def _date_range(date_from: date | None, date_to: date | None) -> list[ColumnElement[bool]]:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise AppError(422, "date_from is after date_to")
    conditions = []
    if date_from is not None and (start := _day_start(date_from)) is not None:
        conditions.append(ItemVersion.observed_at >= start)
    if date_to is not None and date_to < date.max:
        if (end := _day_start(date_to + timedelta(days=1))) is not None:
            conditions.append(ItemVersion.observed_at < end)
    return conditions


def _author_is(author: str) -> ColumnElement[bool]:
    # SQLite's lower() folds only ASCII: also try the spellings in which "åsa" matches
    # "Åsa" and "ÖBERG" matches "Öberg".
    spellings = {author, author.lower(), author.upper(), author.title()}
    return or_(Author.platform_id == author,
               *(Author.name.icontains(s, autoescape=True) for s in sorted(spellings)))


def _has_category(category: str, postgres: bool) -> ColumnElement[bool]:
    decision = select(ItemDecision.id).where(ItemDecision.item_version_id == ItemVersion.id)
    if postgres:
        return decision.where(
            type_coerce(ItemDecision.categories, JSONB).contains([category])).exists()
    values = func.json_each(ItemDecision.categories).table_valued("value")
    return decision.join(values, true()).where(values.c.value == category).exists()


def _has_case(condition: ColumnElement[bool], wanted: bool) -> ColumnElement[bool]:
    """The item has (or, ``wanted`` false, has no) registration case meeting the condition."""
    case = select(RegistrationCase.id).where(RegistrationCase.item_id == Item.id,
                                             condition).exists()
    return case if wanted else ~case


def encode_cursor(observed_at: datetime, version_id: int) -> str:
    raw = json.dumps([observed_at.astimezone(UTC).isoformat(), version_id],
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, version_id = json.loads(raw)
        observed_at = datetime.fromisoformat(at)
        if observed_at.tzinfo is None or type(version_id) is not int:
            raise ValueError("wrong types")
        if not 0 < version_id < 2**31:  # item_version.id is an INTEGER
            raise ValueError("out of range")
        return observed_at.astimezone(UTC), version_id
    except (ValueError, TypeError, binascii.Error, OverflowError) as exc:
        raise AppError(422, "cursor: not a cursor this search gave out") from exc


def _match_spans(session: Session, postgres: bool, terms: list[str],
                 texts: list[str]) -> list[list[tuple[int, int]]]:
    """Where each text has a word the query matched, in the database's own terms."""
    if not terms:
        return [[] for _ in texts]
    words = [[(m.start(), m.end(), m.group()) for m in _WORD.finditer(t)] for t in texts]
    if not postgres:
        prefixes = tuple(t.lower() for t in terms)
        return [[(s, e) for s, e, w in ws if w.lower().startswith(prefixes)] for ws in words]
    stems = tuple(set().union(*_lexemes(session, terms).values()))
    if not stems:  # only stop words: PostgreSQL matched nothing
        return [[] for _ in texts]
    # A Swedish stem is the start of its word: only such words need asking about.
    candidates = {w for ws in words for _, _, w in ws if w.lower().startswith(stems)}
    matching = {w for w, lexemes in _lexemes(session, candidates).items()
                if any(lexeme.startswith(stems) for lexeme in lexemes)}
    return [[(s, e) for s, e, w in ws if w in matching] for ws in words]


_LEXEMES = text("SELECT w, tsvector_to_array(to_tsvector('swedish', w)) "
               "FROM unnest(CAST(:words AS text[])) AS w").bindparams(
    bindparam("words", type_=ARRAY(Text)))


def _lexemes(session: Session, words: Iterable[str]) -> dict[str, set[str]]:
    """PostgreSQL's lexemes for each word, as the search's tsvector makes them."""
    words = sorted(set(words))
    if not words:
        return {}
    rows = session.execute(_LEXEMES, {"words": words})
    return {w: set(lexemes or ()) for w, lexemes in rows}


def _snippet(body: str, spans: list[tuple[int, int]]) -> tuple[str, int, list[tuple[int, int]]]:
    """A window of the text around its first match; the matches in it, relative to it."""
    start = 0
    if len(body) > SNIPPET_CHARS and spans:
        start = min(max(0, spans[0][0] - SNIPPET_LEAD), len(body) - SNIPPET_CHARS)
        if start > 0:  # begin at a word, not in the middle of one
            space = body.find(" ", start, spans[0][0])
            start = space + 1 if space != -1 else start
    end = min(len(body), start + SNIPPET_CHARS)
    marks = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    return body[start:end], start, marks

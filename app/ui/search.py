"""Web UI: search the archive, for every role by its rights (as GET /api/v1/search does).

The form's fields are read here into the search service's arguments, with a message in
Swedish for what cannot be searched; the records-request form (app/ui/registrar.py) reads
the same fields. A hit's snippet is shown as segments, each escaped by the template, with
only the matched words in <mark>.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app.accounts.models import Role
from app.api.deps import SessionDep
from app.content.models import ItemKind, Visibility
from app.core.errors import AppError
from app.pages.models import Page
from app.search.service import SearchHit, query_terms, search
from app.ui.auth import Principal
from app.ui.rule_texts import CATEGORY_NAMES
from app.ui.web import UiUser, render, visible_units

router = APIRouter(prefix="/ui", include_in_schema=False)
PER_PAGE = 50


def _(text: str) -> str:
    """Marks a text for the translation check; templates translate it when shown."""
    return text


KIND_NAMES = {ItemKind.post: _("Inlägg"), ItemKind.comment: _("Kommentar"),
              ItemKind.reply: _("Svar"), ItemKind.message: _("Meddelande")}
STATE_NAMES = {Visibility.visible: _("Synlig"), Visibility.hidden: _("Dold"),
               Visibility.removed: _("Borttagen"), Visibility.blocked: _("Blockerad")}
YES_NO = {"true": _("Ja"), "false": _("Nej")}

BAD_FORM = _("Felaktiga uppgifter i formuläret.")
BAD_DATE = _("Skriv datum som ÅÅÅÅ-MM-DD, till exempel 2026-03-01.")
BAD_CHOICE = _("Välj ett av alternativen i listan.")
BAD_AUTHOR = _("Avsändaren är för lång eller innehåller otillåtna tecken.")
BAD_PAGE = _("Okänd sida.")
DATES_REVERSED = _("Från-datumet ligger efter till-datumet.")
# What the search service refuses, by the start of its message, in the user's words.
_REFUSALS = (
    ("q: nothing to search for", _("Sökorden måste innehålla bokstäver eller siffror.")),
    ("q: at most", _("Sökningen är för lång: högst 500 tecken och 16 olika ord.")),
    ("date_from is after date_to", DATES_REVERSED),
    ("cursor:", _("Sidan med träffar gick inte att visa. Börja om från första sidan.")),
    ("author:", BAD_AUTHOR),
    ("page_id:", BAD_PAGE),
    ("the search finds more than",
     _("Sökningen hittar fler än 10 000 versioner. Begränsa den (datum, sida, ord) och gör "
       "flera paket.")),
)


def refusal(exc: AppError) -> str:
    """The Swedish message for the search service's 422 (or the form's general one)."""
    for start, message in _REFUSALS:
        if exc.message.startswith(start):
            return message
    return BAD_FORM


class FormProblem(Exception):
    """What is wrong with the form, as a Swedish text to show beside it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Filters:
    """The search form as typed (strings, kept to fill the form in again)."""

    q: str = ""
    page_id: str = ""
    date_from: str = ""
    date_to: str = ""
    author: str = ""
    kind: str = ""
    category: str = ""
    state: str = ""
    registered: str = ""
    secret: str = ""

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> Filters:
        return cls(**{f.name: str(values.get(f.name) or "").strip() for f in fields(cls)})

    def query(self) -> dict[str, str]:
        """The fields that are filled in, for a link that repeats the search."""
        return {name: value for name, value in asdict(self).items() if value}

    def arguments(self) -> dict[str, Any]:
        """The search service's filters; FormProblem if the form cannot be searched."""
        try:
            query_terms(self.q)  # refuses what the search would refuse, before the query
        except AppError as exc:
            raise FormProblem(refusal(exc)) from None
        if "\x00" in self.author or len(self.author) > 300:
            raise FormProblem(BAD_AUTHOR)
        if "\x00" in self.page_id or len(self.page_id) > 128:
            raise FormProblem(BAD_PAGE)
        first, last = _day(self.date_from), _day(self.date_to)
        if first is not None and last is not None and first > last:
            raise FormProblem(DATES_REVERSED)
        return {
            "q": self.q or None, "page_ids": [self.page_id] if self.page_id else None,
            "date_from": first, "date_to": last, "author": self.author or None,
            "kind": _choice(self.kind, KIND_NAMES),
            "category": _choice(self.category, CATEGORY_NAMES),
            "state": _choice(self.state, STATE_NAMES),
            "registered": _yes_no(self.registered), "secret": _yes_no(self.secret),
        }


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise FormProblem(BAD_DATE)


def _choice(value: str, allowed: Mapping[str, str]) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise FormProblem(BAD_CHOICE)
    return value


def _yes_no(value: str) -> bool | None:
    return {"": None, "true": True, "false": False}.get(_choice(value, YES_NO) or "")


def segments(snippet: str, matches: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The snippet cut at the matched spans: (text, matched) in order, every character
    once. Spans that overlap, fall outside or are empty are ignored."""
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(matches):
        start, end = max(start, at), min(end, len(snippet))
        if start >= end:
            continue
        if start > at:
            out.append((snippet[at:start], False))
        out.append((snippet[start:end], True))
        at = end
    if at < len(snippet):
        out.append((snippet[at:], False))
    return out


def visible_pages(session: SessionDep, principal: Principal) -> list[Page]:
    """The pages this user may search, by name."""
    stmt = select(Page).order_by(Page.name, Page.platform_id)
    units = visible_units(principal)
    if units is not None:
        stmt = stmt.where(Page.unit.in_(units))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Shown:
    """A hit as the page shows it."""

    hit: SearchHit
    page_name: str
    parts: list[tuple[str, bool]]
    cut_before: bool
    cut_after: bool


def _shown(hit: SearchHit, names: Mapping[str, str]) -> Shown:
    return Shown(hit=hit, page_name=names.get(hit.page_id, hit.page_id),
                 parts=segments(hit.snippet, hit.matches),
                 cut_before=hit.snippet_start > 0,
                 cut_after=hit.snippet_start + len(hit.snippet) < hit.text_length)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, principal: UiUser, session: SessionDep) -> HTMLResponse:
    filters = Filters.read(request.query_params)
    cursor = request.query_params.get("cursor") or None
    pages = visible_pages(session, principal)
    names = {page.platform_id: page.name for page in pages}
    context: dict[str, Any] = {
        "filters": filters, "pages": pages, "error": None, "hits": [], "next_url": None,
        "first_url": None, "kinds": KIND_NAMES, "states": STATE_NAMES,
        "categories": CATEGORY_NAMES, "yes_no": YES_NO,
        "records_url": None}
    if principal.role in (Role.registrar, Role.information_officer):
        context["records_url"] = "/ui/registration/downloads?" + urlencode(filters.query())
    moderator = principal.role == Role.moderator
    try:
        arguments = filters.arguments()
        result = search(session, **arguments, visible_units=visible_units(principal),
                        withhold_secret=moderator, cursor=cursor, limit=PER_PAGE)
    except FormProblem as problem:
        return render(request, "search/search.html", principal, status=422,
                      **{**context, "error": problem.message})
    except AppError as exc:
        if exc.status != 422:
            raise
        return render(request, "search/search.html", principal, status=422,
                      **{**context, "error": refusal(exc)})
    context["hits"] = [_shown(hit, names) for hit in result.hits]
    if result.next_cursor:
        context["next_url"] = "/ui/search?" + urlencode(
            {**filters.query(), "cursor": result.next_cursor})
    if cursor:
        context["first_url"] = "/ui/search?" + urlencode(filters.query())
    return render(request, "search/search.html", principal, **context)

"""Web UI: the rule tester. Any signed-in user pastes a text, optionally picks a page whose
policy to use (only pages they may see), and sees what the rules decide and why, with the
words that matched marked in the text.

The tester writes nothing. It is a POST all the same: the text may be up to 20,000
characters, too long for a URL, and pasted comments may hold personal data that has no
place in URLs, server logs or the browser's history. Like every form in the UI it carries
the CSRF token, which is checked.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app.api.deps import SessionDep
from app.pages.models import Page
from app.rules.engine import Decision, Match, Policy
from app.rules.policies import current_policy
from app.ui.auth import Principal
from app.ui.policy_pages import policy_url, visible_page, visible_pages
from app.ui.rule_texts import (
    ACTION_HELP,
    ACTION_NAMES,
    CATEGORY_NAMES,
    DETECTOR_NAMES,
    HOW_NAMES,
    list_label,
)
from app.ui.web import CsrfUser, UiUser, render, today

router = APIRouter(include_in_schema=False)  # under /ui, through the policies router
MAX_TEXT = 20_000  # as POST /api/v1/rules/check
# Far above what a form with MAX_TEXT characters sends; refused before it is read.
MAX_BODY = 1024 * 1024
BADGE = {"allow": "", "review": "review", "hide": "hidden", "delete": "removed"}


class Segment(NamedTuple):
    text: str
    marked: bool


def segments(text: str, matches: tuple[Match, ...]) -> list[Segment]:
    """The text cut where matches start and end; overlapping matches make one mark."""
    spans = sorted((m.start, m.end) for m in matches
                   if m.start is not None and m.end is not None and m.end > m.start)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Segment] = []
    position = 0
    for start, end in merged:
        if start > position:
            out.append(Segment(text[position:start], False))
        out.append(Segment(text[start:end], True))
        position = end
    if position < len(text):
        out.append(Segment(text[position:], False))
    return out


def _chosen(session: Session, principal: Principal, page_id: str) -> Page | None:
    return visible_page(session, principal, page_id) if page_id else None


def _form(request: Request, principal: Principal, session: Session, *, text: str = "",
          page: Page | None = None, decision: Decision | None = None, status: int = 200,
          problem: str | None = None, policy: Policy | None = None) -> HTMLResponse:
    rows = []
    if decision is not None:
        for m in decision.matches:
            kind, name = list_label(m.rule, page.platform_id if page else None)
            rows.append((m, kind, name))
    return render(
        request, "policies/test.html", principal, status=status, text=text,
        pages=visible_pages(session, principal), chosen=page, decision=decision, rows=rows,
        policy=policy, problem=problem, max_text=MAX_TEXT,
        max_text_shown=f"{MAX_TEXT:,}".replace(",", "\N{NO-BREAK SPACE}"), badge=BADGE,
        policy_url=policy_url(page) if page else None,
        segments=segments(text, decision.matches) if decision else [],
        category_names=CATEGORY_NAMES, action_names=ACTION_NAMES, action_help=ACTION_HELP,
        how_names=HOW_NAMES, detector_names=DETECTOR_NAMES)


@router.get("/rules/test", response_class=HTMLResponse)
def tester(request: Request, principal: UiUser, session: SessionDep,
           page_id: str = "") -> HTMLResponse:
    return _form(request, principal, session, page=_chosen(session, principal, page_id))


@router.post("/rules/test", response_class=HTMLResponse, max_body_size=MAX_BODY)
def test_text(request: Request, principal: CsrfUser, session: SessionDep,
              text: Annotated[str, Form()] = "",
              page_id: Annotated[str, Form()] = "") -> HTMLResponse:
    page = _chosen(session, principal, page_id)
    if len(text) > MAX_TEXT:
        return _form(request, principal, session, text=text, page=page, status=422,
                     problem="long")
    if not text.strip():
        return _form(request, principal, session, text=text, page=page, status=422,
                     problem="empty")
    policy = current_policy(session, page) if page is not None else Policy()
    decision = request.app.state.rules.check(text, policy, today=today())
    return _form(request, principal, session, text=text, page=page, decision=decision,
                 policy=policy)

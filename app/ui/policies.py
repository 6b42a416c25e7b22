"""Web UI: a page's policy and its own word lists, their versions, and the forms that
change them (information officers only).

Every change goes through ``set_policy``: a new stored version and a ``policy.changed``
audit entry with the officer's user name, as from the API. Every role that sees the page
reads its policy; a moderator asking for another unit's page gets 404, as for a page that
does not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from app.accounts.models import Role
from app.api.deps import SessionDep, WriteSessionDep
from app.core.errors import AppError
from app.pages.models import Page
from app.rules.engine import ACTIONS, MIN_ACTION
from app.rules.models import PolicyVersion
from app.rules.policies import PolicyBody, latest_version, lock_page, set_policy
from app.rules.wordlists import CATEGORIES
from app.ui import rule_tester
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.policy_forms import (
    SWITCHES,
    Change,
    Problem,
    changes,
    check_category,
    check_name,
    check_note,
    decode_upload,
    settings_body,
    split_words,
    with_list,
    without_list,
)
from app.ui.policy_pages import policy_url, visible_page
from app.ui.rule_texts import (
    ACTION_HELP,
    ACTION_NAMES,
    CATEGORY_HELP,
    CATEGORY_NAMES,
    LEVEL_HELP,
    LEVEL_NAMES,
    SWITCH_HELP,
    SWITCH_NAMES,
    _,
)
from app.ui.web import CsrfUser, UiError, UiUser, redirect, render

router = APIRouter(prefix="/ui", include_in_schema=False)
router.include_router(rule_tester.router)

MAX_UPLOAD = 1024 * 1024  # a word list file, or a pasted list
MAX_FORM = 2 * MAX_UPLOAD  # what one of these forms may send, refused unread above it
# Refused by the server before the body is read, whatever the headers say (a body sent
# without Content-Length); browsers send the length and get the page above instead.
BACKSTOP = 8 * MAX_UPLOAD


async def form_data(request: Request) -> AsyncIterator[FormData]:
    """The posted form, read once (its uploaded files closed after the response).
    Declared before CsrfUser, so that this reading, with a part size that fits a pasted
    list, is the one the CSRF check then finds."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_FORM:
        raise UiError(413, "Det som skickades är för stort. En ordlista får vara högst 1 MB.")
    form = await request.form(max_part_size=MAX_FORM)
    try:
        yield form
    finally:
        await form.close()


FormDep = Annotated[FormData, Depends(form_data)]


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _officer(principal: Principal) -> None:
    if principal.role != Role.information_officer:
        raise UiError(403, "Din roll får inte göra detta.")


# The page ------------------------------------------------------------------------------


ANCHORS = {"settings": "installningar", "new_list": "ny-lista", "import": "importera"}
# Secret content is hidden at least, whatever a policy says: lower choices are not offered.
CHOICES = {c: [a for a in ACTIONS
               if c not in MIN_ACTION or ACTIONS.index(a) >= ACTIONS.index(MIN_ACTION[c])]
           for c in CATEGORIES}


def _lines(words: list[str]) -> str:
    return "\n".join(words)


def _forms(body: PolicyBody) -> dict[str, Any]:
    """What each form shows: the policy in force (replaced by what was sent, after a
    problem)."""
    actions = {**PolicyBody().actions, **body.actions}
    return {
        "settings": {"actions": actions, "level": body.level,
                     **{name: getattr(body, name) for name in SWITCHES},
                     "allow_words": _lines(body.allow_words),
                     "link_allow": _lines(body.link_allow),
                     "link_deny": _lines(body.link_deny), "note": ""},
        "lists": {c.name: {"category": c.category, "words": _lines(c.words), "note": ""}
                  for c in body.custom},
        "new_list": {"name": "", "category": "profanity", "words": "", "note": ""},
        "import": {"name": "facebook", "category": "profanity", "words": "", "note": ""},
    }


def _entered(forms: dict[str, Any], which: str, form: Mapping[str, Any]) -> None:
    """Keep what the user sent in the form that had a problem."""
    if which == "settings":
        settings = forms["settings"]
        settings["actions"] = {c: _text(form, f"action_{c}") for c in CATEGORIES}
        settings["level"] = _text(form, "level")
        settings.update({name: _text(form, name) == "on" for name in SWITCHES})
        settings.update({name: _text(form, name) for name in
                         ("allow_words", "link_allow", "link_deny", "note")})
    elif which.startswith("list:"):
        forms["lists"][which[5:]] = {name: _text(form, name)
                                     for name in ("category", "words", "note")}
    else:
        forms[which] = {name: _text(form, name)
                        for name in ("name", "category", "words", "note")}


def policy_page(request: Request, principal: Principal, session: Session, page: Page, *,
                version: int | None = None, status: int = 200,
                problem: Problem | None = None, which: str | None = None,
                form: Mapping[str, Any] | None = None, flash: str | None = None
                ) -> HTMLResponse:
    rows = session.scalars(select(PolicyVersion).where(PolicyVersion.page_id == page.id)
                           .order_by(PolicyVersion.version)).all()
    bodies = [PolicyBody.model_validate(r.body) for r in rows]
    history: list[tuple[PolicyVersion, list[Change]]] = []
    per_list: dict[str, list[tuple[int, Change]]] = {}
    previous = PolicyBody()
    for row, body in zip(rows, bodies, strict=True):
        found = changes(previous, body)
        history.append((row, found))
        for change in found:
            if change.kind.startswith("list_"):
                per_list.setdefault(change.values["name"], []).append((row.version, change))
        previous = body
    current = rows[-1] if rows else None
    shown, body = current, (bodies[-1] if bodies else PolicyBody())
    if version is not None:
        index = next((i for i, r in enumerate(rows) if r.version == version), None)
        if index is None:
            raise UiError(404, "Versionen finns inte.")
        shown, body = rows[index], bodies[index]
    forms = _forms(body)
    anchor = None
    if problem is not None and which is not None and form is not None:
        _entered(forms, which, form)
        anchor = ANCHORS.get(which) or f"lista-{which.removeprefix('list:')}"
    return render(
        request, "policies/policy.html", principal, status=status, flash=flash,
        page=page, url=policy_url(page), page_url=policy_url(page).removesuffix("/policy"),
        body=body, problem_anchor=anchor, shown=shown, current=current,
        older=shown is not None and shown is not current, history=list(reversed(history)),
        per_list=per_list, forms=forms, problem=problem, which=which,
        editable=principal.role == Role.information_officer and shown is current,
        base_version=current.version if current else 0,
        categories=CATEGORIES, actions=ACTIONS, choices=CHOICES,
        levels=("off", "medium", "strong"), switches=SWITCHES,
        category_names=CATEGORY_NAMES, category_help=CATEGORY_HELP,
        action_names=ACTION_NAMES, action_help=ACTION_HELP, level_names=LEVEL_NAMES,
        level_help=LEVEL_HELP, switch_names=SWITCH_NAMES, switch_help=SWITCH_HELP,
        max_upload_mb=MAX_UPLOAD // (1024 * 1024))


@router.get("/pages/{page_platform_id}/policy", response_class=HTMLResponse)
def show_policy(request: Request, page_platform_id: str, principal: UiUser,
                session: SessionDep, version: int | None = None,
                saved: int | None = None) -> HTMLResponse:
    page = visible_page(session, principal, page_platform_id)
    flash = None
    if saved is not None:
        flash = translator(language(request))("Sparat som version {n}.", n=saved)
    return policy_page(request, principal, session, page, version=version, flash=flash)


# Changes -------------------------------------------------------------------------------


def _change(request: Request, principal: Principal, session: Session, page: Page,
            form: Mapping[str, Any], which: str, anchor: str,
            build: Callable[[PolicyBody], tuple[dict[str, Any], str | None]], *,
            same_base: bool) -> Response:
    """Build the next version from the one in force and store it; a problem shows the
    page again with the message and what was sent, and writes nothing.

    ``same_base``: the form showed the version in force (the settings, a list's words),
    so saving it over a newer version would undo someone else's change unseen."""
    _officer(principal)
    try:
        note = check_note(_text(form, "note"))
        # Before reading the version this change builds on: a second officer's change
        # waits, then builds on it.
        lock_page(session, page)
        row = latest_version(session, page)
        in_force = row.version if row else 0
        if same_base and _text(form, "base_version") != str(in_force):
            return policy_page(
                request, principal, session, page, status=409, which=which, form=form,
                problem=Problem(_("Policyn har ändrats av {who} sedan du öppnade sidan (nu "
                                "version {n}). Ingenting sparades. Se över ändringarna och "
                                "spara igen."), who=row.created_by if row else "",
                                n=in_force))
        body = PolicyBody.model_validate(row.body) if row else PolicyBody()
        raw, default_note = build(body)
        saved = set_policy(session, page, raw, actor=principal.username,
                           note=note or default_note)
    except Problem as problem:
        return policy_page(request, principal, session, page, status=422, which=which,
                           form=form, problem=problem)
    except AppError as exc:  # set_policy's own checks, which the forms' should cover
        if exc.status != 422:
            raise
        return policy_page(request, principal, session, page, status=422, which=which,
                           form=form, problem=Problem(_("Policyn godtogs inte: {detail}"),
                                                      detail=exc.message))
    return redirect(f"{policy_url(page)}?saved={saved.version}#{anchor}")


@router.post("/pages/{page_platform_id}/policy/settings")
def save_settings(request: Request, page_platform_id: str, form: FormDep,
                  principal: CsrfUser, session: WriteSessionDep) -> Response:
    page = visible_page(session, principal, page_platform_id)
    return _change(request, principal, session, page, form, "settings", "installningar",
                   lambda body: (settings_body(form, body), None), same_base=True)


@router.post("/pages/{page_platform_id}/policy/lists")
def add_list(request: Request, page_platform_id: str, form: FormDep, principal: CsrfUser,
             session: WriteSessionDep) -> Response:
    page = visible_page(session, principal, page_platform_id)

    def build(body: PolicyBody) -> tuple[dict[str, Any], str | None]:
        name = check_name(_text(form, "name"))
        category = check_category(_text(form, "category"))
        words = split_words(_text(form, "words"))
        return (with_list(body, name=name, category=category, words=words, new=True),
                f"Ny lista {name} med {len(words)} ord")

    return _change(request, principal, session, page, form, "new_list", "listor", build,
                   same_base=False)


@router.post("/pages/{page_platform_id}/policy/lists/{name}")
def save_list(request: Request, page_platform_id: str, name: str, form: FormDep,
              principal: CsrfUser, session: WriteSessionDep) -> Response:
    page = visible_page(session, principal, page_platform_id)

    def build(body: PolicyBody) -> tuple[dict[str, Any], str | None]:
        category = check_category(_text(form, "category"))
        words = split_words(_text(form, "words"))
        return with_list(body, name=name, category=category, words=words, new=False), None

    return _change(request, principal, session, page, form, f"list:{name}",
                   f"lista-{name}", build, same_base=True)


@router.post("/pages/{page_platform_id}/policy/lists/{name}/delete")
def delete_list(request: Request, page_platform_id: str, name: str, form: FormDep,
                principal: CsrfUser, session: WriteSessionDep) -> Response:
    page = visible_page(session, principal, page_platform_id)
    return _change(request, principal, session, page, form, f"list:{name}", "listor",
                   lambda body: (without_list(body, name), f"Tog bort listan {name}"),
                   same_base=False)


@router.post("/pages/{page_platform_id}/policy/import", max_body_size=BACKSTOP)
def import_list(request: Request, page_platform_id: str, form: FormDep,
                principal: CsrfUser, session: WriteSessionDep) -> Response:
    """Facebook's own list of words (``ord1,ord2,ord3``) as one of the page's lists, from
    a .txt or .csv file or pasted; a list of the same name is replaced."""
    page = visible_page(session, principal, page_platform_id)

    def build(body: PolicyBody) -> tuple[dict[str, Any], str | None]:
        upload = form.get("file")
        pasted = _text(form, "words")
        has_file = isinstance(upload, UploadFile) and bool(upload.filename)
        if has_file and pasted.strip():
            raise Problem(_("Välj en fil eller klistra in listan, inte båda."))
        if isinstance(upload, UploadFile) and upload.filename:
            if not upload.filename.lower().endswith((".txt", ".csv")):
                raise Problem(_("Filen ska vara en textfil (.txt eller .csv)."))
            data = upload.file.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise Problem(_("Filen är större än 1 MB."))
            text = decode_upload(data)
        elif pasted.strip():
            if len(pasted) > MAX_UPLOAD:
                raise Problem(_("Den inklistrade listan är längre än 1 MB."))
            text = pasted
        else:
            raise Problem(_("Välj en fil eller klistra in listan."))
        name = check_name(_text(form, "name") or "facebook")
        category = check_category(_text(form, "category"))
        words = split_words(text)
        return (with_list(body, name=name, category=category, words=words, new=None),
                f"Importerade {len(words)} ord till listan {name}")

    return _change(request, principal, session, page, form, "import", "listor", build,
                   same_base=False)

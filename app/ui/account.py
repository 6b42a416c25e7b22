"""Signing in and out, and the choice of language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.audit.service import record
from app.ui import auth
from app.ui.i18n import COOKIE as LANG_COOKIE
from app.ui.i18n import LANGUAGES
from app.ui.web import (
    FORM_COOKIE,
    SESSION_COOKIE,
    CsrfUser,
    UiError,
    redirect,
    render,
    safe_next,
    same_origin,
    set_cookie,
)

router = APIRouter(prefix="/ui", include_in_schema=False)
MESSAGES = {"bad_credentials": "Fel användarnamn eller lösenord.",
            "too_many": "För många misslyckade försök. Vänta en kvart och försök igen."}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    form_token = request.cookies.get(FORM_COOKIE) or auth.new_form_token()
    settings = request.app.state.settings
    response = render(request, "login.html", form_token=form_token, next=safe_next(next),
                      username="", error=None, oidc=settings.oidc_enabled)
    set_cookie(response, FORM_COOKIE, form_token, secure=settings.secure_cookies)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=1000)],
          form_token: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/ui/") -> Response:
    settings = request.app.state.settings
    if not auth.same_token(request.cookies.get(FORM_COOKIE, ""), form_token) or not (
            same_origin(request)):
        raise UiError(403, "Formuläret var för gammalt eller kom inte härifrån. Ladda om "
                           "sidan och försök igen.")
    with request.app.state.db.transaction(immediate=True) as session:
        outcome = auth.check_password(session, settings, username=username.strip(),
                                      password=password, ip=_client_ip(request))
        if isinstance(outcome, auth.LoginRefused):
            return render(request, "login.html", form_token=form_token, next=safe_next(next),
                          username=username, error=MESSAGES[outcome.message],
                          oidc=settings.oidc_enabled, status=outcome.status)
        token = auth.start_session(session, settings, outcome, ip=_client_ip(request),
                                   user_agent=request.headers.get("user-agent"),
                                   replacing=request.cookies.get(SESSION_COOKIE))
    response = redirect(safe_next(next))
    set_cookie(response, SESSION_COOKIE, token, secure=settings.secure_cookies)
    response.delete_cookie(FORM_COOKIE, path="/ui")
    return response


@router.post("/logout")
def logout(request: Request, principal: CsrfUser) -> Response:
    with request.app.state.db.transaction(immediate=True) as session:
        auth.revoke(session, request.cookies.get(SESSION_COOKIE, ""))
        record(session, actor=principal.username, act="ui.signed_out", subject_type="user",
               subject_id=principal.username)
    response = redirect("/ui/login")
    response.delete_cookie(SESSION_COOKIE, path="/ui")
    return response


@router.post("/lang")
async def choose_language(request: Request) -> Response:
    """Switch between Swedish and English; harmless, so it needs no session."""
    form = await request.form()
    lang = str(form.get("lang", ""))
    if lang not in LANGUAGES:
        raise UiError(422, "Okänt språk.")
    response = redirect(safe_next(str(form.get("next", ""))))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/ui",
                        samesite="lax", secure=request.app.state.settings.secure_cookies)
    return response

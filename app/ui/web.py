"""What every UI page shares: templates, the signed-in user, role and unit checks, CSRF,
HTML error pages and security headers.

Templates autoescape everything (comment text is hostile); nothing from a comment is ever
marked safe, put in an attribute without quotes, or used as a link target.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.models import Role
from app.pages.models import Page
from app.ui.auth import Principal, principal_for, same_token
from app.ui.i18n import language, translator

HERE = Path(__file__).resolve().parent
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SESSION_COOKIE = "uppsikt_session"
FORM_COOKIE = "uppsikt_form"  # CSRF token for the sign-in form, before there is a session
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True))

# Content-Security-Policy: nothing runs but our own script file, nothing frames the UI.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class LoginRequired(Exception):
    """No (valid) session: the browser is sent to the sign-in page."""


class UiError(Exception):
    """An error shown as an HTML page (403, 404, 409, 422 …) in the user's language."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(STOCKHOLM).strftime(fmt)


def today() -> date:
    """Today in Sweden."""
    return datetime.now(STOCKHOLM).date()


templates.env.filters["local"] = local_time
ROLE_NAMES = {Role.moderator: "Moderator", Role.registrar: "Registrator",
              Role.information_officer: "Informationsansvarig", Role.auditor: "Granskare"}
templates.env.globals["role_names"] = ROLE_NAMES


def ui_principal(request: Request) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    with request.app.state.db.transaction() as session:
        principal = principal_for(session, request.app.state.settings, token)
    if principal is None:
        raise LoginRequired
    request.state.principal = principal
    return principal


UiUser = Annotated[Principal, Depends(ui_principal)]


def require(*roles: Role) -> Any:  # a dependency
    def check(principal: UiUser) -> Principal:
        if principal.role not in roles:
            raise UiError(403, "Din roll får inte göra detta.")
        return principal

    return Depends(check)


async def csrf_checked(request: Request, principal: UiUser) -> Principal:
    """For every form that changes something: the session's CSRF token must come back,
    and a browser's Origin, when sent, must be this site."""
    form = await request.form()
    if not same_token(principal.csrf_token, form.get("csrf")) or not same_origin(request):
        raise UiError(403, "Formuläret var för gammalt eller kom inte härifrån. Ladda om "
                           "sidan och försök igen.")
    return principal


CsrfUser = Annotated[Principal, Depends(csrf_checked)]


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every browser for same-origin forms
        return True
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def visible_units(principal: Principal) -> set[str] | None:
    """None: every page; otherwise the units whose pages this user sees."""
    if principal.role == Role.moderator:
        return {principal.unit} if principal.unit else set()
    return None


def may_see(principal: Principal, page: Page) -> bool:
    units = visible_units(principal)
    return units is None or page.unit in units


def may_act(principal: Principal, page: Page) -> bool:
    """Moderators act on their unit's pages, information officers on all; registrars and
    auditors do not moderate."""
    if principal.role == Role.information_officer:
        return True
    return principal.role == Role.moderator and may_see(principal, page)


NAV: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("/ui/", "Start", tuple(Role)),
    ("/ui/review", "Granskning", (Role.moderator, Role.information_officer, Role.auditor)),
    ("/ui/registration", "Registrering", (Role.registrar, Role.information_officer,
                                          Role.auditor)),
    ("/ui/search", "Sök", tuple(Role)),
    ("/ui/pages", "Sidor", tuple(Role)),
    ("/ui/rules/test", "Regeltest", tuple(Role)),
    ("/ui/questions", "Frågor", (Role.moderator, Role.information_officer, Role.auditor)),
    ("/ui/digest", "Dagsrapport", (Role.moderator, Role.information_officer, Role.auditor)),
    ("/ui/snapshots", "Skärmdumpar", (Role.moderator, Role.information_officer, Role.auditor)),
    ("/ui/reports", "Årsrapport", (Role.information_officer, Role.auditor)),
    ("/ui/retention", "Gallring", (Role.information_officer, Role.auditor)),
    ("/ui/jobs", "Drift", (Role.information_officer, Role.auditor)),
)


def render(request: Request, template: str, principal: Principal | None = None, *,
           status: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    principal = principal or getattr(request.state, "principal", None)
    nav = [(href, label) for href, label, roles in NAV
           if principal is not None and principal.role in roles]
    return templates.TemplateResponse(request, template, {
        "_": translator(lang), "lang": lang, "principal": principal, "nav": nav, "flash": None,
        "csrf": principal.csrf_token if principal else None, "path": request.url.path,
        **context}, status_code=status)


def redirect(url: str, *, status: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path inside the UI (no open redirect)."""
    if (value and value.startswith("/ui/") and not value.startswith("//")
            and "\\" not in value and all(32 < ord(c) < 127 for c in value)):
        return value
    return "/ui/"


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/ui/login?next={quote(safe_next(target), safe='/')}")


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    return render(request, "error.html", principal, status=status, status_code=status,
                  message=message)


API_CSP = "default-src 'none'; frame-ancestors 'none'"
# FastAPI's API documentation pages load their own scripts: no CSP there.
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


class SecurityHeaders:
    """Headers for every HTTP response: the UI's strict policy under /ui, and for JSON,
    health and metrics answers no sniffing, no framing and no referrer (pure ASGI; the
    webhook POST is answered before it and sets its own)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ui = scope["path"].startswith("/ui")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff")]
                if ui:
                    extra += [(b"content-security-policy", CSP.encode()),
                              (b"referrer-policy", b"same-origin"),
                              (b"cross-origin-opener-policy", b"same-origin")]
                    if b"cache-control" not in names:
                        extra.append((b"cache-control", b"no-store"))
                else:
                    extra.append((b"referrer-policy", b"no-referrer"))
                    if scope["path"] not in DOCS_PATHS:
                        extra.append((b"content-security-policy", API_CSP.encode()))
                if self.hsts:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def set_cookie(response: Response, name: str, value: str, *, secure: bool,
               max_age: int | None = None, path: str = "/ui") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, secure=secure,
                        httponly=True, samesite="lax")


"""Signing in with OpenID Connect (e.g. the municipality's Entra ID), when it is configured.

The authorization-code flow with PKCE (S256), ``state`` and ``nonce``. What the callback
needs to know about the sign-in it started (state, nonce, PKCE verifier, where to go next)
travels in a short-lived cookie, encrypted and authenticated with a key derived from
SECRET_KEY, so it can be neither read nor forged; a state is spent when its callback is
first seen, so the same cookie and state cannot be used twice (see ``_Spent``).

Users are not created by signing in: an administrator adds them (``uppsikt users add``).
The first sign-in finds the user whose name equals the configured claim (ignoring case)
and links the provider's subject to that user; later sign-ins find the user by subject,
so a changed name at the provider does not move anyone to another account.

Failures show a page in Swedish (400, 403 or 502), never a 500; the authorization code,
the tokens and the client secret are never logged or shown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import record
from app.core.config import Settings
from app.core.crypto import fernet
from app.core.logging import get_logger
from app.ui import auth
from app.ui.oidc_provider import Provider, ProviderUnavailable, TokenRejected
from app.ui.web import SESSION_COOKIE, UiError, redirect, render, safe_next, set_cookie

router = APIRouter(prefix="/ui", include_in_schema=False)
log = get_logger("uppsikt.ui.oidc")

FLOW_COOKIE = "uppsikt_oidc"
FLOW_PATH = "/ui/oidc"
FLOW_SECONDS = 600  # from leaving for the provider to coming back
SCOPE = "openid profile email"

BAD_FLOW = ("Inloggningen kunde inte slutföras: den tog för lång tid, var redan använd "
            "eller startades inte här. Börja om från inloggningssidan.")
DENIED = "Inloggningen avbröts eller nekades hos organisationens inloggningstjänst."
UNAVAILABLE = ("Organisationens inloggningstjänst gick inte att nå eller svarade med ett "
               "fel. Försök igen om en stund, eller logga in med lösenord.")
BAD_TOKEN = ("Svaret från organisationens inloggningstjänst kunde inte godtas. Börja om "
             "från inloggningssidan; kontakta en administratör om det upprepas.")
NO_USERNAME = ("Organisationens inloggningstjänst angav inget användarnamn. Kontakta en "
               "administratör.")
NO_USER = ("Du har inget konto i Uppsikt. Be en administratör lägga upp ett konto med "
           "ditt användarnamn.")
DISABLED = "Ditt konto i Uppsikt är avstängt. Kontakta en administratör."
LINKED_ELSEWHERE = ("Kontot i Uppsikt med ditt användarnamn är redan kopplat till en annan "
                    "person hos inloggningstjänsten. Kontakta en administratör.")
AMBIGUOUS = "Flera konton i Uppsikt har ditt användarnamn. Kontakta en administratör."
TRY_AGAIN = "Inloggningen krockade med en annan. Börja om från inloggningssidan."


class Refused(Exception):
    """A sign-in that ends on an error page; ``reason`` is for the log only."""

    def __init__(self, status: int, message: str, reason: str, *,
                 username: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.message = message
        self.reason = reason
        self.username = username


# -- the routes ----------------------------------------------------------------------------

@router.get("/oidc/login", response_class=HTMLResponse)
def oidc_login(request: Request, next: str | None = None) -> Response:
    settings = _settings(request)
    try:
        endpoints = _provider(request, settings).endpoints()
    except ProviderUnavailable as exc:
        log.warning("oidc.provider_unavailable", problem=str(exc))
        return _refusal_page(request, Refused(502, UNAVAILABLE, str(exc)))
    flow = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
            "verifier": secrets.token_urlsafe(64), "next": _short_next(next)}
    query = urlencode({
        "response_type": "code", "client_id": settings.oidc_client_id,
        "redirect_uri": _redirect_uri(request), "scope": SCOPE, "state": flow["state"],
        "nonce": flow["nonce"], "code_challenge": _challenge(flow["verifier"]),
        "code_challenge_method": "S256"})
    separator = "&" if "?" in endpoints.authorization else "?"
    response = redirect(f"{endpoints.authorization}{separator}{query}")
    set_cookie(response, FLOW_COOKIE, _seal(settings, flow), secure=settings.secure_cookies,
               max_age=FLOW_SECONDS, path=FLOW_PATH)
    return response


@router.get("/oidc/callback", response_class=HTMLResponse)
def oidc_callback(request: Request) -> Response:
    settings = _settings(request)
    try:
        flow = _check_flow(request, settings)
        user = _sign_in(request, settings, flow)
    except Refused as refusal:
        log.warning("oidc.refused", reason=refusal.reason, status=refusal.status,
                    username=refusal.username)
        response = _refusal_page(request, refusal)
    else:
        token, username = user
        log.info("oidc.signed_in", username=username)
        response = redirect(flow["next"])
        set_cookie(response, SESSION_COOKIE, token, secure=settings.secure_cookies)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


# -- the steps of the callback -------------------------------------------------------------

def _check_flow(request: Request, settings: Settings) -> dict[str, str]:
    """The sign-in this browser started, if the state matches it and it is fresh and
    unspent; it is spent now, before anything else is tried with it."""
    flow = _unseal(settings, request.cookies.get(FLOW_COOKIE))
    if flow is None:
        raise Refused(400, BAD_FLOW, "flow cookie missing, expired or not ours")
    state = request.query_params.get("state", "")
    if not hmac.compare_digest(state.encode(), flow["state"].encode()):
        raise Refused(400, BAD_FLOW, "state does not match")
    if not _spent.spend(flow["state"]):
        raise Refused(400, BAD_FLOW, "state used before")
    error = request.query_params.get("error")
    if error is not None:
        code = error if error.replace("_", "").isalnum() else "?"
        raise Refused(403, DENIED, f"provider error {code[:40]}")
    if not request.query_params.get("code"):
        raise Refused(400, BAD_FLOW, "no code")
    return flow


def _sign_in(request: Request, settings: Settings, flow: dict[str, str]) -> tuple[str, str]:
    """Exchange the code, check the ID token, find the user and start a session; the
    session's cookie token and the user name."""
    provider = _provider(request, settings)
    try:
        id_token = provider.exchange(code=request.query_params["code"],
                                     redirect_uri=_redirect_uri(request),
                                     verifier=flow["verifier"])
        claims = provider.verify(id_token, nonce=flow["nonce"])
    except ProviderUnavailable as exc:
        raise Refused(502, UNAVAILABLE, str(exc)) from None
    except TokenRejected as exc:
        raise Refused(403, BAD_TOKEN, f"ID token: {exc}") from None
    name = claims.get(settings.oidc_username_claim)
    name = name.strip() if isinstance(name, str) else ""
    try:
        with request.app.state.db.transaction(immediate=True) as session:
            user = find_user(session, issuer=provider.issuer, subject=claims["sub"],
                             username=name[:100])
            token = auth.start_session(
                session, settings, user, ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"), via="oidc",
                replacing=request.cookies.get(SESSION_COOKIE))
            return token, user.username
    except IntegrityError:  # the same subject linked by a sign-in running at the same time
        raise Refused(409, TRY_AGAIN, "subject linked concurrently") from None


def find_user(session: Session, *, issuer: str, subject: str, username: str) -> User:
    """The user linked to (issuer, subject); else the one user named ``username`` (any
    case), who is then linked. Refused if there is none, or it is disabled, or it is linked
    to another subject of this issuer."""
    user = session.scalar(select(User).where(User.oidc_issuer == issuer,
                                             User.oidc_subject == subject))
    if user is not None:
        if user.disabled_at is not None:
            raise Refused(403, DISABLED, "user disabled", username=user.username)
        return user
    if not username:
        raise Refused(403, NO_USERNAME, "no username claim")
    named = session.scalars(select(User).where(
        func.lower(User.username) == username.lower())).all()
    if not named:
        raise Refused(403, NO_USER, "no such user", username=username)
    if len(named) > 1:
        raise Refused(403, AMBIGUOUS, "several users by that name", username=username)
    user = named[0]
    # Linked to someone else at this provider: the name now belongs to another person.
    # A link to another issuer is stale (one provider is configured at a time).
    if user.oidc_issuer == issuer and user.oidc_subject is not None:
        raise Refused(403, LINKED_ELSEWHERE, "linked to another subject", username=username)
    if user.disabled_at is not None:
        raise Refused(403, DISABLED, "user disabled", username=user.username)
    previous = user.oidc_issuer
    user.oidc_issuer, user.oidc_subject = issuer, subject
    session.flush()
    record(session, actor=user.username, act="user.oidc_linked", subject_type="user",
           subject_id=user.username,
           detail={"issuer": issuer, "subject": subject, "previous_issuer": previous})
    return user


# -- the flow cookie -----------------------------------------------------------------------

def _fernet(settings: Settings) -> Fernet:
    return fernet(settings.secret_key.get_secret_value(), b"oidc-flow-cookie/v1")


def _seal(settings: Settings, flow: dict[str, str]) -> str:
    return _fernet(settings).encrypt(json.dumps(flow).encode()).decode()


def _unseal(settings: Settings, value: str | None) -> dict[str, str] | None:
    """The flow in the cookie if we made it less than FLOW_SECONDS ago, else None."""
    if not value or len(value) > 4096:
        return None
    try:
        flow = json.loads(_fernet(settings).decrypt(value.encode(), ttl=FLOW_SECONDS))
    except (InvalidToken, ValueError):
        return None
    keys = ("state", "nonce", "verifier", "next")
    if not isinstance(flow, dict) or not all(isinstance(flow.get(k), str) for k in keys):
        return None
    return {k: flow[k] for k in keys}


class _Spent:
    """States already seen at the callback, kept as long as their cookie could live.

    Held in this process: with several web replicas, a state could in theory be tried once
    on each; the provider's authorization codes are single-use too, so a replayed callback
    still cannot exchange its code again."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def spend(self, state: str) -> bool:
        """True the first time a state is spent, False after."""
        digest = hashlib.sha256(state.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            if len(self._seen) >= self._limit:  # drop what has expired anyway
                self._seen = {k: t for k, t in self._seen.items()
                              if now - t < FLOW_SECONDS + 60}
                if len(self._seen) >= self._limit:  # a flood: the oldest go first
                    oldest = sorted(self._seen, key=self._seen.__getitem__)
                    for stale in oldest[:len(oldest) // 2]:
                        del self._seen[stale]
            if digest in self._seen:
                return False
            self._seen[digest] = now
            return True


_spent = _Spent()


# -- helpers -------------------------------------------------------------------------------

def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if not settings.oidc_enabled:
        raise UiError(404, "Sidan finns inte.")
    return settings


def _provider(request: Request, settings: Settings) -> Provider:
    """The app's provider, with its caches (made at first use)."""
    assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret
    provider: Provider | None = getattr(request.app.state, "oidc_provider", None)
    if provider is None or not provider.matches(settings.oidc_issuer,
                                                settings.oidc_client_id,
                                                settings.oidc_client_secret):
        provider = Provider(settings.oidc_issuer, settings.oidc_client_id,
                            settings.oidc_client_secret)
        request.app.state.oidc_provider = provider
    return provider


def _redirect_uri(request: Request) -> str:
    """This service's callback as the browser reaches it (behind a reverse proxy, the
    proxy must pass the Host header and the scheme: X-Forwarded-Proto)."""
    return str(request.url_for("oidc_callback"))


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _short_next(value: str | None) -> str:
    target = safe_next(value)
    return target if len(target) <= 1000 else "/ui/"


def _refusal_page(request: Request, refusal: Refused) -> Response:
    # Switching the language here lands on the sign-in page, not on a spent callback.
    return render(request, "oidc_error.html", status=refusal.status, path="/ui/login",
                  status_code=refusal.status, message=refusal.message,
                  username=refusal.username)

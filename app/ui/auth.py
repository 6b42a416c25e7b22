"""Signing in to the web UI: passwords (argon2), throttling, sessions and CSRF tokens.

A session is a row in ``ui_session`` found by the SHA-256 of a random cookie token. Every
sign-in makes a new token (an old cookie, perhaps planted by someone else, is revoked),
and signing out revokes the row, so a copied cookie stops working at once. Each session has
its own CSRF token, which every form posts back.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import record
from app.core.config import Settings
from app.core.crypto import sha256_hex
from app.core.db import utcnow
from app.ui.models import LoginAttempt, UiSession

THROTTLE_WINDOW = timedelta(minutes=15)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
_hasher = PasswordHasher()
# Verified when the user does not exist, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("no such user, no such password")


class LoginRefused(Exception):
    """A sign-in that did not succeed; the message can be shown as it is."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of one request (no ORM object leaves the transaction)."""

    user_id: int
    username: str
    display_name: str
    role: str
    unit: str | None
    session_id: int
    csrf_token: str


def check_password(session: Session, settings: Settings, *, username: str, password: str,
                   ip: str) -> User | LoginRefused:
    """The user, if the password is right and neither the name nor the address is
    throttled; otherwise why not (returned, not raised, so that the caller commits the
    record of the attempt)."""
    since = utcnow() - THROTTLE_WINDOW
    failures = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    by_user = session.scalar(failures.where(LoginAttempt.username == username.lower()))
    by_ip = session.scalar(failures.where(LoginAttempt.ip == ip))
    if (by_user or 0) >= settings.ui_max_failures_per_user or (
            by_ip or 0) >= settings.ui_max_failures_per_address:
        session.add(LoginAttempt(username=username.lower()[:100], ip=ip, succeeded=False))
        return LoginRefused("too_many", status=429)
    # Names differ by more than case (create_user); an exact match wins if old data has not.
    users = session.scalars(select(User).where(
        func.lower(User.username) == username.lower())).all()
    user = next((u for u in users if u.username == username),
                users[0] if len(users) == 1 else None)
    ok = _verify(user.password_hash if user and user.password_hash else None, password)
    if user is None or not ok or user.disabled_at is not None:
        session.add(LoginAttempt(username=username.lower()[:100], ip=ip, succeeded=False))
        return LoginRefused("bad_credentials")
    session.add(LoginAttempt(username=username.lower()[:100], ip=ip, succeeded=True))
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def start_session(session: Session, settings: Settings, user: User, *, ip: str | None,
                  user_agent: str | None, via: str = "password",
                  replacing: str | None = None) -> str:
    """A new session for the user; returns the cookie token (seen only here). The session
    of ``replacing`` (the browser's old cookie, if any) is revoked."""
    if replacing:
        revoke(session, replacing)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UiSession(
        token_sha256=sha256_hex(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=settings.ui_session_hours), ip=ip,
        user_agent=(user_agent or "")[:300] or None, via=via))
    record(session, actor=user.username, act="ui.signed_in", subject_type="user",
           subject_id=user.username, detail={"via": via, "ip": ip})
    session.flush()
    return token


def principal_for(session: Session, settings: Settings, token: str | None) -> Principal | None:
    """The signed-in user of a cookie token, or None if it is unknown, revoked, expired or
    idle too long, or the user is disabled."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(UiSession).where(UiSession.token_sha256 == sha256_hex(token)))
    now = utcnow()
    if (row is None or row.revoked_at is not None or row.expires_at <= now
            or row.last_seen_at + timedelta(minutes=settings.ui_idle_minutes) <= now
            or row.user.disabled_at is not None):
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
    user = row.user
    return Principal(user_id=user.id, username=user.username,
                     display_name=user.display_name or user.username, role=user.role,
                     unit=user.unit, session_id=row.id, csrf_token=row.csrf_token)


def revoke(session: Session, token: str) -> bool:
    """End the session of a cookie token; True if there was one to end."""
    if len(token) > 100:
        return False
    return bool(session.execute(
        update(UiSession).where(UiSession.token_sha256 == sha256_hex(token),
                                UiSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount)


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def new_form_token() -> str:
    return secrets.token_urlsafe(32)


def end_sessions(session: Session, user: User) -> int:
    """End every web session of a user (password changed, user disabled)."""
    return session.execute(
        update(UiSession).where(UiSession.user_id == user.id, UiSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount



from __future__ import annotations

import re

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import ApiToken, Role, User
from app.core.crypto import new_api_token, sha256_hex
from app.core.db import utcnow
from app.core.errors import AppError

_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")
_hasher = PasswordHasher()


def create_user(session: Session, *, username: str, role: str, unit: str | None = None,
                password: str | None = None) -> User:
    if not _USERNAME.match(username):
        raise AppError(422, "username: 2-100 characters of letters, digits and . _ @ -")
    if role not in Role.__members__:
        raise AppError(422, f"role must be one of: {', '.join(Role.__members__)}")
    if role == Role.moderator and not unit:
        raise AppError(422, "a moderator needs a unit (--unit)")
    if password is not None and len(password) < 12:
        raise AppError(422, "password must be at least 12 characters")
    # Names are compared without case at sign-in, so they must differ by more than case.
    if session.scalar(select(User.id).where(
            func.lower(User.username) == username.lower())) is not None:
        raise AppError(409, f"user {username} already exists")
    user = User(username=username, role=role, unit=unit or None,
                password_hash=_hasher.hash(password) if password else None)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < 12:
        raise AppError(422, "password must be at least 12 characters")
    user.password_hash = _hasher.hash(password)


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AppError(404, f"no user {username}")
    return user


def issue_token(session: Session, user: User) -> str:
    """A new bearer token; only its hash is kept, so this is the one time it is seen."""
    if user.disabled_at is not None:
        raise AppError(409, f"user {user.username} is disabled")
    token = new_api_token()
    session.add(ApiToken(user_id=user.id, token_sha256=sha256_hex(token)))
    session.flush()
    return token


def revoke_tokens(session: Session, user: User) -> int:
    return session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


def authenticate_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == sha256_hex(token)))
    if row is None or row.revoked_at is not None or row.user.disabled_at is not None:
        return None
    return row.user

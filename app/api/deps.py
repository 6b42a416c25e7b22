"""Request dependencies: the database session (one owner of the transaction) and the user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.accounts.service import authenticate_token
from app.core.errors import AppError


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.db.transaction() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_write_session(request: Request) -> Iterator[Session]:
    """For requests that write: on SQLite the write lock is taken up front, so that a
    worker committing meanwhile cannot make the request fail half way."""
    with request.app.state.db.transaction(immediate=True) as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]
_bearer = HTTPBearer(auto_error=False, description="API token from `uppsikt users token`")


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise AppError(401, "missing bearer token")
    user = authenticate_token(session, credentials.credentials)
    if user is None:
        raise AppError(401, "invalid or revoked token")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: Role):  # noqa: ANN201 - a dependency factory
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise AppError(403, "your role may not do this")
        return user

    return Depends(check)


def may_see_unit(user: User, unit: str) -> bool:
    """Moderators work on their own unit's pages; the other roles see every page."""
    return user.role != Role.moderator or user.unit == unit

"""The demo's database: the schema by the migrations, then its page and users, each made
once (a restart with the same data directory finds them and leaves them be)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.service import create_user
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.demo.data import DemoData
from app.demo.script import PAGE_ID, PAGE_NAME, UNIT
from app.pages.models import Page
from app.pages.service import add_page


def prepare(settings: Settings, data: DemoData) -> None:
    upgrade(settings.database_url)
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        with db.transaction() as session:
            if session.scalar(select(Page.id).where(Page.platform_id == PAGE_ID)) is None:
                add_page(session, secret_key=data.secret_key, platform_id=PAGE_ID,
                         name=PAGE_NAME, unit=UNIT, token=data.page_token)
            for login in data.logins:
                taken = session.scalar(select(User.id).where(
                    func.lower(User.username) == login.username))
                if taken is not None:
                    continue
                user = create_user(session, username=login.username, role=login.role,
                                   unit=login.unit, password=login.password)
                user.display_name = login.display_name
    finally:
        db.dispose()

"""The migrations build the schema the models describe, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import app.models  # noqa: F401
from app.core.db import Base, make_engine
from app.core.migrate import current_revision, downgrade, head_revision, upgrade
from app.search import include_name


def test_upgrade_check_downgrade_upgrade(fresh_database_url):
    url = fresh_database_url()
    engine = make_engine(url)
    try:
        upgrade(url)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            opts = {"compare_type": True, "include_name": include_name}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(url, "base")
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade(url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path}/x.db", sqlite_synchronous="FULL")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()

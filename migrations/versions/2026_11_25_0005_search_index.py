"""Full-text search over item versions: an FTS5 table on SQLite, a GIN index on PostgreSQL

Neither is described by the models: their names start with ``fts_``, which
``app.search.include_name`` keeps out of autogenerate.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 19:10:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite: a standalone FTS5 table keyed by item_version.id, kept in step by triggers. It holds
# its own copy of the text, so a trigger can always remove a row by id alone; an
# external-content table would need the old text exactly as indexed, and any drift would
# corrupt it. Diacritics stay (å, ä and ö are letters of their own in Swedish).
# A batch migration that recreates item_version drops these triggers: recreate them there.
SQLITE_UP = (
    "CREATE VIRTUAL TABLE fts_item_version USING fts5("
    "text, tokenize = 'unicode61 remove_diacritics 0')",
    # OR REPLACE: a row left behind under a reused id must never stop a version being kept.
    "CREATE TRIGGER fts_item_version_insert AFTER INSERT ON item_version "
    "WHEN new.text IS NOT NULL BEGIN "
    "INSERT OR REPLACE INTO fts_item_version (rowid, text) VALUES (new.id, new.text); END",
    # Text unknown when a version was recorded is filled in later by an UPDATE.
    "CREATE TRIGGER fts_item_version_update AFTER UPDATE OF text ON item_version BEGIN "
    "DELETE FROM fts_item_version WHERE rowid = old.id; "
    "INSERT INTO fts_item_version (rowid, text) SELECT new.id, new.text "
    "WHERE new.text IS NOT NULL; END",
    # Only the retention job removes versions; their text must leave the index with them.
    "CREATE TRIGGER fts_item_version_delete AFTER DELETE ON item_version BEGIN "
    "DELETE FROM fts_item_version WHERE rowid = old.id; END",
    "INSERT INTO fts_item_version (rowid, text) "
    "SELECT id, text FROM item_version WHERE text IS NOT NULL",
)
SQLITE_DOWN = (
    "DROP TRIGGER fts_item_version_delete",
    "DROP TRIGGER fts_item_version_update",
    "DROP TRIGGER fts_item_version_insert",
    "DROP TABLE fts_item_version",
)

# PostgreSQL: the search's WHERE clause repeats this expression exactly, or the index is
# not used (app/search/service.py). IF NOT EXISTS: on a large archive an operator may have
# built it beforehand with CREATE INDEX CONCURRENTLY (docs/SEARCH.md).
POSTGRES_UP = (
    "CREATE INDEX IF NOT EXISTS fts_item_version_text ON item_version "
    "USING gin (to_tsvector('swedish', coalesce(text, '')))",
)
POSTGRES_DOWN = ("DROP INDEX fts_item_version_text",)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)

"""Search over the archive: every version of every item, by words and filters.

The full-text index (migration 0005) is not described by the models: an FTS5 table and its
triggers on SQLite, a GIN expression index on PostgreSQL. Their names start with
``INDEX_PREFIX``; Alembic's autogenerate is told to leave them alone with ``include_name``.
"""

from __future__ import annotations

from typing import Any

INDEX_PREFIX = "fts_"


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: skip the search index's tables (with SQLite's FTS5
    shadow tables) and indexes, which the migrations create and the models do not hold."""
    return not (type_ in ("table", "index") and name is not None
                and name.startswith(INDEX_PREFIX))

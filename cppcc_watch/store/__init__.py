"""The storage layer: SQLite or PostgreSQL behind a small repository API.

`Store` is what pipelines, the CLI and notebooks use; `open_engine` opens a database with the
right settings for its kind (`dialects`); `migrations` holds the versioned schema.
"""

from __future__ import annotations

from cppcc_watch.store.articles import UpsertResult
from cppcc_watch.store.engine import open_engine
from cppcc_watch.store.migrations import pending_migrations, upgrade
from cppcc_watch.store.store import Store

__all__ = ["Store", "UpsertResult", "open_engine", "pending_migrations", "upgrade"]

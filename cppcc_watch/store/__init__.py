"""The storage layer: SQLite (or any SQLAlchemy database) behind a small repository API.

`Store` is what pipelines, the CLI and notebooks use; `open_engine` opens a database with the
right SQLite settings; `migrations` holds the versioned schema.
"""

from __future__ import annotations

from cppcc_watch.store.articles import UpsertResult
from cppcc_watch.store.engine import open_engine
from cppcc_watch.store.migrations import MIGRATIONS, SCHEMA_VERSION, upgrade
from cppcc_watch.store.store import Store

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Store", "UpsertResult", "open_engine", "upgrade"]

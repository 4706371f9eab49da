"""Where SQLite and PostgreSQL differ: one `Dialect` per database kind, one section per concern.

Everything else in the store speaks SQLAlchemy Core, which is the same on both. What is not the
same (connection set-up and error messages, the DDL of full-text search and the summaries'
triggers, upserts, locks, read-only sessions, full-text queries) is a method of `Dialect`,
answered by `SqliteDialect` (dialects/sqlite.py) and `PostgresDialect` (dialects/postgresql.py).
`dialect_of(engine_or_connection)` gives the one for a database. Each module keeps its methods in
sections marked `# -- <concern>`, in the same order as here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from cppcc_watch.errors import DatabaseError

#: Connection-info flag: the next BEGIN on this connection takes the write lock at once.
IMMEDIATE = "cppcc_watch_begin_immediate"


class Dialect(ABC):
    """What the store needs to know about one kind of database."""

    #: SQLAlchemy's backend name ("sqlite", "postgresql").
    name: ClassVar[str]

    # -- engine and errors -----------------------------------------------------------------

    @abstractmethod
    def engine_url(self, url: URL, *, readonly: bool) -> URL:
        """The URL to create the engine with (checked, and adjusted for `readonly`)."""

    @abstractmethod
    def engine_options(self, url: URL, *, readonly: bool) -> dict[str, Any]:
        """Extra keyword arguments of `create_engine` for this database."""

    @abstractmethod
    def install(self, engine: Engine, *, readonly: bool) -> None:
        """Set up every new connection of `engine` (settings, transactions, error messages)."""

    @abstractmethod
    def label(self, url: URL) -> str:
        """A short name of the database for messages; never shows a password."""

    @abstractmethod
    def missing_driver(self, error: ImportError) -> DatabaseError:
        """The error to raise when the driver module cannot be imported."""

    @abstractmethod
    def connect_error(self, error: BaseException, url: URL) -> DatabaseError:
        """The error to raise when the first connection to the database fails."""

    @abstractmethod
    def database_error(self, error: BaseException, label: str) -> DatabaseError | None:
        """The DatabaseError a driver error stands for, when it is about the database itself."""

    # -- schema ----------------------------------------------------------------------------

    @abstractmethod
    def migration_transaction(self, conn: Connection) -> AbstractContextManager[None]:
        """A transaction on `conn` holding the migration lock, committed at the end.

        One process at a time checks and upgrades the schema; another waits for the commit.
        """

    # -- writing ---------------------------------------------------------------------------

    # -- locks -----------------------------------------------------------------------------

    # -- reading ---------------------------------------------------------------------------


@cache
def _dialects() -> dict[str, Dialect]:
    from cppcc_watch.store.dialects.postgresql import PostgresDialect
    from cppcc_watch.store.dialects.sqlite import SqliteDialect

    return {dialect.name: dialect for dialect in (SqliteDialect(), PostgresDialect())}


def dialect_named(name: str) -> Dialect:
    """The Dialect of a SQLAlchemy backend name; DatabaseError for a database not supported."""
    found = _dialects().get(name)
    if found is None:
        raise DatabaseError(
            f"cppcc-watch stores into SQLite or PostgreSQL, not {name} "
            "(use a sqlite:/// or postgresql+psycopg:// URL)."
        )
    return found


def dialect_of(engine_or_connection: Engine | Connection) -> Dialect:
    """The Dialect of the database behind an engine or a connection."""
    return dialect_named(engine_or_connection.dialect.name)

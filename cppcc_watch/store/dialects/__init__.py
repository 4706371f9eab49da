"""Where SQLite and PostgreSQL differ: one `Dialect` per database kind, one section per concern.

Everything else in the store speaks SQLAlchemy Core, which is the same on both. What is not the
same (connection set-up and error messages, the DDL of full-text search and the summaries'
triggers, upserts, locks, read-only sessions, full-text queries) is a method of `Dialect`,
answered by `SqliteDialect` (dialects/sqlite.py) and `PostgresDialect` (dialects/postgresql.py).
`dialect_of(engine_or_connection)` gives the one for a database. Each module keeps its methods in
sections marked `# -- <concern>`, in the same order as here.

The Core constructs below are planner hints for the queries: SQLite's planner follows them
(`CROSS JOIN` fixes the join order, a unary `+` keeps a column's index out of a plan); elsewhere
they compile to the plain join and column. `add_days` is date arithmetic on ISO date text.
"""

from __future__ import annotations

import json
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar, Protocol

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Insert,
    LargeBinary,
    RootTransaction,
    Select,
    Table,
    func,
    insert,
)
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import FromClause, Join
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Text

from cppcc_watch.errors import DatabaseError

#: Connection-info flag: the next BEGIN on this connection takes the write lock at once.
IMMEDIATE = "cppcc_watch_begin_immediate"

# -- reading (Core constructs and requests the query package builds on) ------------------------

#: What the `sql` sandbox says when it refuses a statement that would write.
READ_ONLY_REFUSAL = (
    "the sql command is read-only: this statement would change the database or its settings, "
    "so it was refused (nothing was changed)"
)


class OrderedJoin(Join):
    """An inner join whose left side the planner must scan first (SQLite: CROSS JOIN)."""

    inherit_cache = True


def ordered_join(left: FromClause, right: FromClause, onclause: ColumnElement[bool]) -> Join:
    """`left JOIN right ON onclause`, read in that order on SQLite."""
    return OrderedJoin(left, right, onclause)


class Unindexed(ColumnElement[Any]):
    """A column the planner must not look up through an index (SQLite: `+column`)."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012


def unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The column, as a value to filter on rather than an index to walk (SQLite only)."""
    return Unindexed(column)


class add_days(FunctionElement[str]):
    """An ISO date (YYYY-MM-DD text) plus a number of days, as ISO date text."""

    type = Text()
    inherit_cache = True


@compiles(OrderedJoin)
def _plain_join(element: OrderedJoin, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.visit_join(element, **kw)


@compiles(Unindexed)
def _plain_column(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@dataclass(frozen=True)
class SearchRequest:
    """A full-text search with its filters, for a dialect to turn into one statement.

    `entity_ids`: one tuple of entity ids per entity filter (an article must mention one id of
    each); `start`/`end`: publication dates (end exclusive); `depth`: how many of the newest
    matches are ranked. The statement's rows are `fields` (columns of `articles`), then
    `snippet` (matches marked with [ and ]) and `score` (lower is better).
    """

    text: str
    fields: Sequence[ColumnElement[Any]]
    entity_ids: Sequence[tuple[int, ...]]
    start: date | None
    end: date | None
    source: str | None
    limit: int | None
    depth: int

    def dated(self, published_at: ColumnElement[Any]) -> list[ColumnElement[bool]]:
        """Conditions keeping a publication date column inside the request's dates."""
        conditions = []
        if self.start:
            conditions.append(published_at >= self.start.isoformat())
        if self.end:
            conditions.append(published_at < self.end.isoformat())
        return conditions


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

    @abstractmethod
    def prepare_writer(self, conn: Connection) -> None:
        """Set up the connection a Store writes through (called once, outside a transaction)."""

    @abstractmethod
    def begin_write(self, conn: Connection) -> RootTransaction:
        """Begin a transaction that holds the database's write lock from its start: writers
        wait for each other there, never fail half-way through (one writer at a time)."""

    @contextmanager
    def savepoint(self, conn: Connection) -> Iterator[None]:
        """A savepoint inside the open transaction: released on success, rolled back to (and
        the error raised again) on failure, leaving the transaction usable."""
        with conn.begin_nested():
            yield

    @abstractmethod
    def transaction_alive(self, conn: Connection) -> bool:
        """Whether the database still holds the connection's open transaction (some errors
        make it give up the whole transaction)."""

    @abstractmethod
    def end_failed_commit(self, conn: Connection) -> None:
        """Roll back whatever a failed COMMIT left of its transaction in the database."""

    @abstractmethod
    def finish_writing(self, conn: Connection) -> None:
        """What a writing Store does on the database before it closes (upkeep, never fails)."""

    #: From this many rows on, `insert_rows` sends them as JSON.
    json_rows: ClassVar[int]

    def insert_rows(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert many rows (dicts with the same keys) into `table`.

        From `json_rows` rows on, and unless a column is binary (JSON cannot carry bytes), all
        of them in one INSERT ... SELECT over the rows as JSON: a statement per row costs more
        than the database's insert of the row (SQLAlchemy's handling of its parameters on
        SQLite, a round trip on PostgreSQL). Fewer rows, or binary ones, go in an executemany.
        """
        columns = tuple(rows[0])
        statement = self._from_json(table, columns) if len(rows) >= self.json_rows else None
        if statement is None:
            conn.execute(_insert_into(table), rows)
        else:
            conn.execute(statement, {"rows": json.dumps(rows, ensure_ascii=False)})

    @abstractmethod
    def _from_json(self, table: Table, columns: tuple[str, ...]) -> Executable | None:
        """INSERT INTO table (columns) SELECT ... from the JSON array of rows (objects keyed by
        column) bound as "rows"; None when a column is binary."""

    @abstractmethod
    def _insert(self, table: Table) -> SqliteInsert | PostgresInsert:
        """An INSERT into `table` that can say what to do with a conflicting row."""

    def insert_new(self, table: Table, keys: Sequence[str]) -> SqliteInsert | PostgresInsert:
        """An INSERT that skips a row whose `keys` are stored already (returning nothing for it)."""
        return self._insert(table).on_conflict_do_nothing(index_elements=list(keys))

    def insert_or_update(
        self, table: Table, keys: Sequence[str], columns: Sequence[str], *, fill: bool = False
    ) -> SqliteInsert | PostgresInsert:
        """An INSERT that, where a row with the same `keys` is stored, sets its `columns` to the
        new values instead; with `fill`, only to those that are not NULL (the stored value
        stays where the new one is NULL)."""
        statement = self._insert(table)
        new = statement.excluded
        values = {
            name: func.coalesce(new[name], table.c[name]) if fill else new[name] for name in columns
        }
        return statement.on_conflict_do_update(index_elements=list(keys), set_=values)

    # -- locks -----------------------------------------------------------------------------

    @abstractmethod
    def crawl_lock_name(self, url: URL, spider: str) -> str | None:
        """What names the crawl lock of `spider` on this database, the same for every URL of
        it that this process may use (None: no lock is needed, as for an in-memory database)."""

    @abstractmethod
    def take_crawl_lock(self, url: URL, spider: str) -> HeldLock:
        """Take the crawl lock of `spider` without waiting, for as long as this process lives
        or until released; raise LockTaken (saying who holds it) when another process has it."""

    # -- reading ---------------------------------------------------------------------------

    @abstractmethod
    def search(self, request: SearchRequest) -> Select[Any]:
        """The ranked full-text search statement for `request`."""

    @abstractmethod
    def bad_search(self, error: DBAPIError) -> bool:
        """Whether a search failed because of the user's search expression."""

    @abstractmethod
    def read_only_rows(
        self, conn: Connection, statement: str, params: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Rows of an analyst's SQL statement, run so that it cannot change the database.

        A statement that would write, or fails, raises BadInput with one line.
        """


# -- locks ---------------------------------------------------------------------------------------


class HeldLock(Protocol):
    """A lock this process holds."""

    def release(self) -> None:
        """Give the lock back."""


class LockTaken(Exception):
    """Another process holds the lock; the message says who, as far as the database knows."""


def this_process() -> str:
    """This process as a lock's holder: "pid 1234 on HOST"."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


@cache
def _insert_into(table: Table) -> Insert:
    """A plain INSERT into `table`, made once (executions then reuse its compiled form)."""
    return insert(table)


def has_binary(table: Table, columns: tuple[str, ...]) -> bool:
    """Whether one of these columns of `table` holds bytes."""
    return any(isinstance(table.c[name].type, LargeBinary) for name in columns)


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

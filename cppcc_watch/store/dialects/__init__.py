"""Where SQLite and PostgreSQL differ, in one place per dialect.

`dialect_of(engine_or_connection)` gives the `Dialect` of a database: `SqliteDialect`
(`dialects/sqlite.py`) or `PostgresDialect` (`dialects/postgresql.py`). Each module keeps one
section per concern, marked by a comment line (`# -- reading`, ...). Everything else in the
project speaks SQLAlchemy Core, the same on both.

The Core constructs below are planner hints: SQLite's planner follows them (`CROSS JOIN` fixes
the join order, a unary `+` keeps a column's index out of a plan); elsewhere they compile to the
plain join and column. `add_days` is date arithmetic on ISO date text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import FromClause, Join
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Text


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


class Dialect:
    """What one database does its own way; the base says what each dialect provides."""

    name = ""

    # -- reading

    def make_read_only(self, engine: Engine) -> None:
        """Make every connection of `engine` unable to write (for `Store.open(readonly=True)`)."""
        raise NotImplementedError

    def search(self, request: SearchRequest) -> Select[Any]:
        """The ranked full-text search statement for `request`."""
        raise NotImplementedError

    def bad_search(self, error: DBAPIError) -> bool:
        """Whether a search failed because of the user's search expression."""
        raise NotImplementedError

    def read_only_rows(
        self, conn: Connection, statement: str, params: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Rows of an analyst's SQL statement, run so that it cannot change the database.

        A statement that would write, or fails, raises BadInput with one line.
        """
        raise NotImplementedError


def dialect_of(bind: Engine | Connection) -> Dialect:
    """The Dialect of an engine's or connection's database."""
    name = bind.dialect.name
    if name == "sqlite":
        return SqliteDialect()
    if name == "postgresql":
        return PostgresDialect()
    raise NotImplementedError(f"cppcc-watch supports SQLite and PostgreSQL, not {name}")


from cppcc_watch.store.dialects.postgresql import PostgresDialect  # noqa: E402
from cppcc_watch.store.dialects.sqlite import SqliteDialect  # noqa: E402

__all__ = [
    "Dialect",
    "PostgresDialect",
    "SearchRequest",
    "SqliteDialect",
    "add_days",
    "dialect_of",
    "ordered_join",
    "unindexed",
]

"""SQLite's ways: FTS5 search, the authorizer of the `sql` sandbox, the planner hints."""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Select, func, select, table, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from cppcc_watch.errors import BadInput
from cppcc_watch.store.dialects import (
    Dialect,
    OrderedJoin,
    SearchRequest,
    Unindexed,
    add_days,
    ordered_join,
    unindexed,
)
from cppcc_watch.store.schema import ARTICLES, MENTIONS

# -- engine and errors

# -- schema

# -- writing

# -- locks

# -- reading

#: The FTS5 table over articles' titles and bodies; its hidden column of the same name is what
#: MATCH and the auxiliary functions (snippet) take.
FTS = table("articles_fts", column("rowid"), column("rank"), column("articles_fts"))
_FTS_OPERATORS = re.compile(r'["*():^+]|\b(?:AND|OR|NOT|NEAR)\b')
#: A date range at most this long is turned into a set of article ids before a search.
SHORT_RANGE_DAYS = 400


@compiles(OrderedJoin, "sqlite")
def _cross_join(
    element: OrderedJoin, compiler: SQLCompiler, from_linter: Any = None, **kw: Any
) -> str:
    # SQLite keeps the order of the tables of a CROSS JOIN (what visit_join does, but CROSS).
    kw.pop("asfrom", None)
    if from_linter:
        from_linter.edges.update(
            itertools.product(element.left._from_objects, element.right._from_objects)
        )
    left = compiler.process(element.left, asfrom=True, from_linter=from_linter, **kw)
    right = compiler.process(element.right, asfrom=True, from_linter=from_linter, **kw)
    assert element.onclause is not None  # ordered_join always has one
    onclause = compiler.process(element.onclause, from_linter=from_linter, **kw)
    return f"{left} CROSS JOIN {right} ON {onclause}"


@compiles(Unindexed, "sqlite")
def _plus_column(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


@compiles(add_days, "sqlite")
def _date_plus_days(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = element.clauses
    return f"date({compiler.process(day, **kw)}, {compiler.process(days, **kw)} || ' days')"


def fts_query(text: str) -> str:
    """An FTS5 query for the user's search text.

    Plain words become quoted terms, all required (so "Xi'an" or "COVID-19" cannot be a syntax
    error); text using FTS5 syntax ("a phrase", OR, NOT, NEAR, prefix*) is passed as written.
    """
    if _FTS_OPERATORS.search(text):
        return text
    terms = [word.replace('"', "") for word in text.split()]
    return " ".join(f'"{term}"' for term in terms if term)


_SCHEMA_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
    }
)
_READING = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


def _read_only_authorizer(action: int, arg1: Any, arg2: Any, _db: Any, _trigger: Any) -> int:
    """SQLite authorizer of the `sql` sandbox: reading only (no writes, ATTACH or settings)."""
    if action in _READING:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _SCHEMA_PRAGMAS):
        return sqlite3.SQLITE_OK  # reading a setting, or describing the schema
    return sqlite3.SQLITE_DENY


def _sql_error(error: BaseException) -> str:
    message = str(error)
    if "not authorized" in message or "readonly" in message or "query_only" in message:
        return (
            "the sql command is read-only: this statement would change the database or its "
            "settings, so it was refused (nothing was changed)"
        )
    return f"SQL error: {message}"


class SqliteDialect(Dialect):
    """SQLite (the default: one file)."""

    name = "sqlite"

    # -- reading

    def make_read_only(self, engine: Engine) -> None:
        """Nothing to add: `open_engine` opens SQLite read-only by a `mode=ro` URI and
        `PRAGMA query_only`."""

    def search(self, request: SearchRequest) -> Select[Any]:
        """FTS5 MATCH over the newest `depth` matches, ranked by BM25, with snippets."""
        query = fts_query(request.text)
        where: list[ColumnElement[bool]] = [FTS.c.articles_fts.match(query)]
        # Filters become id sets built once ("+" keeps SQLite from handing them to FTS5 as
        # rowid look-ups, one posting-list walk each): an entity's articles from the mentions
        # index, with the date range when there is one; a short date range from the dates index.
        for number, ids in enumerate(request.entity_ids):
            mentioned: list[ColumnElement[bool]] = [MENTIONS.c.entity_id.in_(ids)]
            if number == 0:
                mentioned += request.dated(MENTIONS.c.published_at)
            where.append(
                unindexed(FTS.c.rowid).in_(select(MENTIONS.c.article_id).where(*mentioned))
            )
        on_articles = [] if request.entity_ids else request.dated(ARTICLES.c.published_at)
        short = (
            request.start is not None
            and request.end is not None
            and (request.end - request.start).days <= SHORT_RANGE_DAYS
        )
        if on_articles and short:
            where.append(unindexed(FTS.c.rowid).in_(select(ARTICLES.c.id).where(*on_articles)))
            on_articles = []
        if request.source:
            on_articles.append(ARTICLES.c.source == request.source)
        matches: FromClause = FTS
        if on_articles:
            matches = ordered_join(FTS, ARTICLES, ARTICLES.c.id == FTS.c.rowid)
            where += on_articles
        # The newest matches (a walk down the index, stopping early), ranked; then titles and
        # snippets for the rows kept only.
        recent = (
            select(FTS.c.rowid.label("id"), FTS.c.rank)
            .select_from(matches)
            .where(*where)
            .order_by(FTS.c.rowid.desc())
            .limit(request.depth)
            .cte("recent")
            .prefix_with("MATERIALIZED")
        )
        hits = (
            select(recent.c.id, recent.c.rank)
            .order_by(recent.c.rank)
            .limit(request.limit)
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        found = ordered_join(hits, FTS, FTS.c.rowid == hits.c.id)
        return (
            select(
                *request.fields,
                func.snippet(FTS.c.articles_fts, 1, "[", "]", "…", 12).label("snippet"),
                hits.c.rank.label("score"),
            )
            .select_from(ordered_join(found, ARTICLES, ARTICLES.c.id == hits.c.id))
            .where(FTS.c.articles_fts.match(query))
            .order_by(hits.c.rank)
        )

    def bad_search(self, error: DBAPIError) -> bool:
        """FTS5 reports a broken expression as an OperationalError."""
        return isinstance(error.orig, sqlite3.OperationalError)

    def read_only_rows(
        self, conn: Connection, statement: str, params: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Run on a `mode=ro`, `query_only` connection, and under an authorizer that allows
        reading only (no writes, ATTACH, transactions or changed settings)."""
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        transaction = conn.begin()
        raw.set_authorizer(_read_only_authorizer)  # after BEGIN, which it would refuse
        try:
            try:
                result = conn.execute(text(statement), params)
                columns = list(result.keys())
                for row in result:
                    yield dict(zip(columns, row, strict=True))
            except StatementError as error:
                raise BadInput(_sql_error(getattr(error, "orig", None) or error)) from error
        finally:
            raw.set_authorizer(None)
            transaction.rollback()


__all__ = ["SqliteDialect", "fts_query"]

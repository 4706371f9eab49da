"""PostgreSQL's ways: tsvector search, read-only transactions for the `sql` sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, Select, event, func, select, table, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from cppcc_watch.errors import BadInput
from cppcc_watch.store.dialects import Dialect, SearchRequest, add_days
from cppcc_watch.store.schema import ARTICLES, MENTIONS

# -- engine and errors

# -- schema

# -- writing

# -- locks

# -- reading

#: One row per article: its title (weight A) and body (weight B) as a tsvector, GIN-indexed.
FTS = table("articles_fts", column("article_id"), column("document"))
#: The text search configuration of `articles_fts.document`.
TS_CONFIG = "simple"
#: ts_headline options giving snippets like SQLite's: about 12 words, matches in [ and ].
HEADLINE = (
    "StartSel=[, StopSel=], MaxFragments=1, MaxWords=12, MinWords=6, ShortWord=0,"
    ' FragmentDelimiter=" … "'
)
_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)("?)|(\()|(\))|([^\s()"]+))')
_READ_ONLY = "25006"  # read_only_sql_transaction


@compiles(add_days, "postgresql")
def _date_plus_days(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = element.clauses
    return (
        f"to_char(CAST({compiler.process(day, **kw)} AS date)"
        f" + CAST({compiler.process(days, **kw)} AS integer), 'YYYY-MM-DD')"
    )


class _SearchParser:
    """The search syntax analysts use on SQLite (FTS5) as a tsquery expression.

    Words and "phrases" (all required), OR, AND, NOT (binary: `a NOT b`), prefix* and
    parentheses; NOT binds tighter than AND, AND tighter than OR. Each word or phrase is
    split into lexemes by the same parser as the documents (`phraseto_tsquery`).
    """

    def __init__(self, text: str) -> None:
        self.tokens = self._tokens(text)
        self.position = 0

    @staticmethod
    def _tokens(text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            assert match is not None  # every non-blank character starts a token
            phrase, closed, opening, closing, word = match.groups()
            if phrase is not None:
                if not closed:
                    raise BadInput("bad search expression (unterminated string)")
                tokens.append(("phrase", phrase.replace('""', '"')))
            elif opening or closing:
                tokens.append((opening or closing, ""))
            elif word in ("AND", "OR", "NOT"):
                tokens.append((word, ""))
            elif word == "NEAR" or word.startswith("NEAR("):
                raise BadInput("bad search expression (NEAR is for SQLite databases only)")
            elif word.endswith("*") and word.strip("*"):
                tokens.append(("prefix", word.rstrip("*")))
            else:
                tokens.append(("phrase", word))
            position = match.end()
        return tokens

    def parse(self) -> ColumnElement[Any]:
        found = self._or()
        if self.position < len(self.tokens):
            raise BadInput(f"bad search expression (unexpected {self._describe()})")
        return found

    def _peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def _describe(self) -> str:
        kind, value = self.tokens[self.position]
        return repr(value or kind)

    def _or(self) -> ColumnElement[Any]:
        found = self._and()
        while self._peek() == "OR":
            self.position += 1
            found = func.tsquery_or(found, self._and())
        return found

    def _and(self) -> ColumnElement[Any]:
        found = self._not()
        while self._peek() in ("AND", "phrase", "prefix", "("):
            if self._peek() == "AND":
                self.position += 1
            found = func.tsquery_and(found, self._not())
        return found

    def _not(self) -> ColumnElement[Any]:
        found = self._term()
        while self._peek() == "NOT":
            self.position += 1
            found = func.tsquery_and(found, func.tsquery_not(self._term()))
        return found

    def _term(self) -> ColumnElement[Any]:
        kind = self._peek()
        if kind is None:
            raise BadInput("bad search expression (it ends where a word was expected)")
        kind, value = self.tokens[self.position]
        self.position += 1
        if kind == "phrase":
            return func.phraseto_tsquery(TS_CONFIG, value)
        if kind == "prefix":
            lexeme = value.replace("'", "''")
            return func.to_tsquery(TS_CONFIG, f"'{lexeme}':*")
        if kind == "(":
            found = self._or()
            if self._peek() != ")":
                raise BadInput("bad search expression (a parenthesis is not closed)")
            self.position += 1
            return found
        self.position -= 1
        raise BadInput(f"bad search expression (unexpected {self._describe()})")


def tsquery(text: str) -> ColumnElement[Any]:
    """The tsquery expression for an analyst's search text (BadInput when it is broken)."""
    return _SearchParser(text).parse()


class PostgresDialect(Dialect):
    """PostgreSQL (`postgresql+psycopg://...`, the postgres extra)."""

    name = "postgresql"

    # -- reading

    def make_read_only(self, engine: Engine) -> None:
        """Every transaction of the engine's connections is READ ONLY (psycopg sends `BEGIN
        READ ONLY`, which no statement inside can undo) and REPEATABLE READ, so that the
        queries of one snapshot see the same data."""
        import psycopg

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.read_only = True
            dbapi_connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ

    def search(self, request: SearchRequest) -> Select[Any]:
        """The newest `depth` articles whose document matches, ranked by `ts_rank_cd`
        (score: minus the rank, lower is better), with `ts_headline` snippets of the body."""
        query = tsquery(request.text)
        where: list[ColumnElement[bool]] = [FTS.c.document.op("@@")(query)]
        for number, ids in enumerate(request.entity_ids):
            mentioned: list[ColumnElement[bool]] = [MENTIONS.c.entity_id.in_(ids)]
            if number == 0:
                mentioned += request.dated(MENTIONS.c.published_at)
            where.append(FTS.c.article_id.in_(select(MENTIONS.c.article_id).where(*mentioned)))
        on_articles = [] if request.entity_ids else request.dated(ARTICLES.c.published_at)
        if request.source:
            on_articles.append(ARTICLES.c.source == request.source)
        matches: FromClause = FTS
        if on_articles:
            matches = FTS.join(ARTICLES, ARTICLES.c.id == FTS.c.article_id)
            where += on_articles
        recent = (
            select(FTS.c.article_id.label("id"), FTS.c.document)
            .select_from(matches)
            .where(*where)
            .order_by(FTS.c.article_id.desc())
            .limit(request.depth)
            .cte("recent")
        )
        score = (-func.ts_rank_cd(recent.c.document, query)).label("score")
        hits = select(recent.c.id, score).order_by(score).limit(request.limit).cte("hits")
        snippet = func.ts_headline(TS_CONFIG, func.coalesce(ARTICLES.c.body, ""), query, HEADLINE)
        return (
            select(*request.fields, snippet.label("snippet"), hits.c.score)
            .select_from(hits.join(ARTICLES, ARTICLES.c.id == hits.c.id))
            .order_by(hits.c.score, hits.c.id.desc())
        )

    def bad_search(self, error: DBAPIError) -> bool:
        """A tsquery the server cannot parse (a prefix of punctuation only, say)."""
        return getattr(error.orig, "sqlstate", None) == "42601"

    def read_only_rows(
        self, conn: Connection, statement: str, params: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Run as a server-side cursor (DECLARE ... CURSOR FOR: one query, no other kind of
        statement) in a READ ONLY transaction that is rolled back at the end, so that even a
        function with side effects cannot change the database or the session's settings."""
        transaction = conn.begin()
        try:
            result = conn.execute(
                text(statement), params, execution_options={"stream_results": True}
            )
            columns = list(result.keys())
            for row in result:
                yield dict(zip(columns, row, strict=True))
        except StatementError as error:
            raise BadInput(_sql_error(error)) from error
        finally:
            transaction.rollback()


def _sql_error(error: StatementError) -> str:
    orig = error.orig if error.orig is not None else error
    if getattr(orig, "sqlstate", None) == _READ_ONLY:
        return (
            "the sql command is read-only: this statement would change the database, "
            "so it was refused (nothing was changed)"
        )
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if getattr(orig, "sqlstate", None) == "42601":
        message += " (on PostgreSQL the sql command runs one query: SELECT, WITH, VALUES, TABLE)"
    return f"SQL error: {message}"


__all__ = ["PostgresDialect", "tsquery"]

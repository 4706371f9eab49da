"""PostgreSQL through psycopg 3: connection options, read-only sessions, errors in one line;
tsvector search and the read-only `sql` sandbox."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Executable,
    RootTransaction,
    Select,
    Table,
    bindparam,
    cast,
    column,
    event,
    func,
    insert,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from cppcc_watch.errors import BadInput, DatabaseError
from cppcc_watch.store.dialects import (
    READ_ONLY_REFUSAL,
    Dialect,
    HeldLock,
    LockTaken,
    SearchRequest,
    add_days,
    has_binary,
    this_process,
)
from cppcc_watch.store.schema import ARTICLES, MENTIONS

# -- engine and errors ---------------------------------------------------------------------------

DRIVER = "psycopg"
DEFAULT_PORT = 5432
#: Seconds to wait for the server to answer a new connection (libpq waits forever by default).
CONNECT_TIMEOUT_S = 10
INSTALL_HINT = "install the postgres extra: pip install 'cppcc-watch[postgres]'"
_READ_ONLY = "-c default_transaction_read_only=on"
# SQLSTATE codes (PostgreSQL manual, appendix A) the store turns into its own messages.
_READ_ONLY_TRANSACTION = "25006"
_DISK_FULL = "53100"
_LOCK_NOT_AVAILABLE = "55P03"
_CONNECTION_CLASS = "08"
_SERVER_PREFIX = re.compile(r"^(connection failed: )?(connection to server (at|on) .*? failed: )?")


def _query_value(url: URL, key: str) -> str | None:
    """One query parameter of a URL (the last, when given several times)."""
    value = url.query.get(key)
    if isinstance(value, tuple):
        return value[-1] if value else None
    return value


def server_address(url: URL) -> str:
    """HOST:PORT of the server a URL names (libpq's defaults where the URL says nothing)."""
    host = url.host or _query_value(url, "host") or "localhost"
    port = url.port or _query_value(url, "port") or DEFAULT_PORT
    return f"{host}:{port}"


def _connect_reason(error: BaseException) -> str:
    """libpq's reason for a failed connection, without the address it repeats or its hints."""
    lines = str(error).strip().splitlines()
    if not lines:
        return type(error).__name__
    return " ".join(_SERVER_PREFIX.sub("", lines[0]).split())


def _reason(error: BaseException) -> BaseException:
    """The driver's own error inside SQLAlchemy's wrapper."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        return error.orig
    return error


# -- schema --------------------------------------------------------------------------------------

#: Advisory lock held while a process checks and upgrades the schema ("cppcmigr" in ASCII).
MIGRATION_LOCK_KEY = 0x6370_7063_6D69_6772


# -- writing -------------------------------------------------------------------------------------


def advisory_key(name: str) -> int:
    """The 64-bit advisory lock key of one of cppcc-watch's locks (the same in every process)."""
    digest = hashlib.sha256(f"cppcc-watch {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


#: Held by every write transaction, for its duration.
WRITE_LOCK_KEY = advisory_key("write")
#: How long a writer waits for a lock before giving up (SQLite's busy timeout).
LOCK_TIMEOUT_MS = 30_000


@cache
def _from_json(table: Table, columns: tuple[str, ...]) -> Executable | None:
    """See `PostgresDialect._from_json` (made once per table and columns)."""
    if has_binary(table, columns):
        return None
    records = (
        func.jsonb_to_recordset(cast(bindparam("rows"), JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in columns))
        .render_derived(with_types=True)
    )
    return insert(table).from_select(list(columns), select(*records.c))


# -- locks ---------------------------------------------------------------------------------------

#: `application_name` of a crawl lock's connection, before "pid N on HOST".
LOCK_APPLICATION = "cppcc-watch crawl: "
#: The server keeps this many bytes of an `application_name`.
MAX_NAME = 63

_LOCKS = table(
    "pg_locks",
    column("locktype"),
    column("database"),
    column("classid"),
    column("objid"),
    column("objsubid"),
    column("pid"),
    column("granted"),
)
_ACTIVITY = table(
    "pg_stat_activity",
    column("pid"),
    column("datid"),
    column("application_name"),
    column("client_addr"),
    column("backend_start"),
)
_DATABASES = table("pg_database", column("oid"), column("datname"))


class _SessionLock:
    """A session-level advisory lock, held by a connection kept open for it."""

    def __init__(self, engine: Engine, conn: Connection, key: int) -> None:
        self.engine = engine
        self.conn = conn
        self.key = key

    def release(self) -> None:
        """Unlock and close the connection (closing alone would release it too)."""
        try:
            self.conn.execute(select(func.pg_advisory_unlock(cast(self.key, BigInteger))))
            self.conn.close()
        except (SQLAlchemyError, DatabaseError):
            pass  # a connection already lost holds no lock
        finally:
            self.engine.dispose()


def _lock_holder(conn: Connection, key: int) -> str:
    """Who holds advisory lock `key` in this database, from `pg_locks` and `pg_stat_activity`:
    the crawl's pid and host when it named itself, the client's address, since when."""
    this_database = (
        select(_DATABASES.c.oid)
        .where(_DATABASES.c.datname == func.current_database())
        .scalar_subquery()
    )
    row = conn.execute(
        select(
            _ACTIVITY.c.pid,
            _ACTIVITY.c.application_name,
            _ACTIVITY.c.client_addr,
            _ACTIVITY.c.backend_start,
        )
        .select_from(_LOCKS.join(_ACTIVITY, _ACTIVITY.c.pid == _LOCKS.c.pid))
        .where(
            _LOCKS.c.locktype == "advisory",
            _LOCKS.c.granted,
            _LOCKS.c.database == this_database,
            # a bigint key shows as two halves, objsubid 1 (two int keys show objsubid 2)
            cast(_LOCKS.c.classid, BigInteger) == (key >> 32) & 0xFFFFFFFF,
            cast(_LOCKS.c.objid, BigInteger) == key & 0xFFFFFFFF,
            _LOCKS.c.objsubid == 1,
        )
    ).first()
    if row is None:
        return "holder unknown"
    name = row.application_name or ""
    who = (
        name.removeprefix(LOCK_APPLICATION)
        if name.startswith(LOCK_APPLICATION)
        else f"server process {row.pid}"
    )
    since = row.backend_start.astimezone(UTC).isoformat(timespec="seconds")
    where = f", connected from {row.client_addr}" if row.client_addr else ""
    return f"{who} since {since}{where}"


# -- reading -----------------------------------------------------------------------------------

#: One row per article: its title (weight A) and body (weight B) as a tsvector, GIN-indexed.
FTS = table("articles_fts", column("article_id"), column("document"))
#: The text search configuration of `articles_fts.document`.
TS_CONFIG = "simple"
#: ts_headline options giving snippets like SQLite's: about 12 words, matches in [ and ].
HEADLINE = (
    "StartSel=[, StopSel=], MaxFragments=1, MaxWords=12, MinWords=6, ShortWord=0,"
    ' FragmentDelimiter=" … "'
)
_SYNTAX_ERROR = "42601"
#: What a server-side cursor can run: the sandbox's statements on PostgreSQL.
_QUERIES = ("SELECT", "WITH", "VALUES", "TABLE")
_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)("?)|(\()|(\))|([^\s()"]+))')


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
    """PostgreSQL 13 or newer, through psycopg 3."""

    name = "postgresql"

    # -- engine and errors -----------------------------------------------------------------

    def engine_url(self, url: URL, *, readonly: bool) -> URL:
        """The URL with psycopg as its driver when it names none (`postgresql://...`)."""
        if url.drivername == self.name:
            return url.set(drivername=f"{self.name}+{DRIVER}")
        return url

    def engine_options(self, url: URL, *, readonly: bool) -> dict[str, Any]:
        """A connect timeout, and for `readonly` every transaction read-only on the server.

        `default_transaction_read_only` is set as a connection option, so it holds from the
        first statement on and for functions with side effects too.
        """
        connect_args: dict[str, Any] = {}
        if _query_value(url, "connect_timeout") is None:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        if readonly:
            options = _query_value(url, "options")
            connect_args["options"] = f"{options} {_READ_ONLY}" if options else _READ_ONLY
        return {"connect_args": connect_args}

    def install(self, engine: Engine, *, readonly: bool) -> None:
        """Driver errors about the database itself become DatabaseError naming it."""
        label = self.label(engine.url)

        @event.listens_for(engine, "handle_error")
        def _on_error(context: Any) -> None:
            original = context.original_exception
            state = getattr(original, "sqlstate", None)
            if isinstance(state, str) and state.startswith(_CONNECTION_CLASS):
                raise self.connect_error(original, engine.url) from original
            error = self.database_error(original, label)
            if error is not None:
                raise error from original

    def label(self, url: URL) -> str:
        """The URL without its password (also when given as a query parameter)."""
        query = {key: value for key, value in url.query.items() if key != "password"}
        bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database)
        return bare.update_query_dict(query).render_as_string(hide_password=False)

    def missing_driver(self, error: ImportError) -> DatabaseError:
        """psycopg is an optional dependency: say how to install it."""
        return DatabaseError(f"PostgreSQL needs the psycopg driver; {INSTALL_HINT}")

    def connect_error(self, error: BaseException, url: URL) -> DatabaseError:
        """The server cannot be reached or refused us: where, and the server's reason."""
        reason = _connect_reason(_reason(error))
        return DatabaseError(f"cannot connect to PostgreSQL at {server_address(url)}: {reason}")

    def database_error(self, error: BaseException, label: str) -> DatabaseError | None:
        """Read-only transactions, a full disk and a lock waited for too long, told by their
        SQLSTATE."""
        state = getattr(error, "sqlstate", None)
        if not isinstance(state, str):
            return None
        if state == _READ_ONLY_TRANSACTION:
            return DatabaseError(f"The database {label} is read-only; it cannot be written.")
        if state == _DISK_FULL:
            return DatabaseError(f"The database {label} cannot grow: the server's disk is full.")
        if state == _LOCK_NOT_AVAILABLE:
            return DatabaseError(
                f"The database {label} is locked by another writer (gave up after waiting "
                f"{LOCK_TIMEOUT_MS / 1000:g} s)."
            )
        return None

    # -- schema ----------------------------------------------------------------------------

    @contextmanager
    def migration_transaction(self, conn: Connection) -> Iterator[None]:
        """A transaction holding the advisory lock `MIGRATION_LOCK_KEY` until it ends."""
        with conn.begin():
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            yield

    # -- writing ---------------------------------------------------------------------------

    def prepare_writer(self, conn: Connection) -> None:
        """A writer waits for a lock (the write lock of another writer) `LOCK_TIMEOUT_MS` at
        most, as on SQLite, rather than for ever."""
        with conn.begin():
            conn.execute(select(func.set_config("lock_timeout", str(LOCK_TIMEOUT_MS), False)))

    def begin_write(self, conn: Connection) -> RootTransaction:
        """A transaction that first takes the advisory write lock (released at its end), so
        writers run one at a time as on SQLite: no deadlock between two crawls updating the
        same `entity_months` rows, no race between inserts of the same entity."""
        transaction = conn.begin()
        try:
            conn.execute(select(func.pg_advisory_xact_lock(cast(WRITE_LOCK_KEY, BigInteger))))
        except BaseException:
            transaction.rollback()
            raise
        return transaction

    def transaction_alive(self, conn: Connection) -> bool:
        """The server keeps a transaction until it ends or the connection is lost; an error
        not rolled back to a savepoint leaves it failed, good for nothing but a rollback."""
        from psycopg.pq import TransactionStatus

        driver: Any = conn.connection.driver_connection
        return conn.in_transaction() and driver.info.transaction_status == TransactionStatus.INTRANS

    def end_failed_commit(self, conn: Connection) -> None:
        """The server ends a transaction whose COMMIT fails; only the driver may still think
        one is open."""
        from psycopg.pq import TransactionStatus

        driver: Any = conn.connection.driver_connection
        if driver.info.transaction_status != TransactionStatus.IDLE:
            driver.rollback()

    def finish_writing(self, conn: Connection) -> None:
        """Nothing: the server's autovacuum keeps the statistics."""

    #: A round trip per row is dearer than any JSON.
    json_rows = 2

    def _from_json(self, table: Table, columns: tuple[str, ...]) -> Executable | None:
        """The rows as records (`jsonb_to_recordset`, typed like the table's columns)."""
        return _from_json(table, columns)

    def _insert(self, table: Table) -> postgresql.Insert:
        """PostgreSQL's INSERT, with ON CONFLICT clauses."""
        return postgresql.insert(table)

    # -- locks -----------------------------------------------------------------------------

    def crawl_lock_name(self, url: URL, spider: str) -> str | None:
        """The database's URL (without password) and the spider."""
        return f"{self.label(url)} crawl {spider}"

    def take_crawl_lock(self, url: URL, spider: str) -> HeldLock:
        """`pg_try_advisory_lock` on a connection of its own, held until released or until the
        connection ends (the server drops it when the process dies, however it dies). The
        connection's `application_name` names this process for a crawl that finds it taken."""
        from cppcc_watch.store.engine import open_engine

        key = advisory_key(f"crawl {spider}")
        engine = open_engine(url.render_as_string(hide_password=False))
        try:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            name = f"{LOCK_APPLICATION}{this_process()}"[:MAX_NAME]
            conn.execute(select(func.set_config("application_name", name, False)))
            if conn.execute(select(func.pg_try_advisory_lock(cast(key, BigInteger)))).scalar():
                return _SessionLock(engine, conn, key)
            holder = _lock_holder(conn, key)
        except BaseException:
            engine.dispose()
            raise
        conn.close()
        engine.dispose()
        raise LockTaken(holder)

    # -- reading ---------------------------------------------------------------------------

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
        return getattr(error.orig, "sqlstate", None) == _SYNTAX_ERROR

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
        except DatabaseError as error:  # the engine's name for a refused write
            raise BadInput(READ_ONLY_REFUSAL) from error
        except StatementError as error:
            raise BadInput(_sql_error(error, statement)) from error
        finally:
            transaction.rollback()


def _sql_error(error: StatementError, statement: str) -> str:
    """One line for a statement the sandbox could not run."""
    orig = error.orig if error.orig is not None else error
    state = getattr(orig, "sqlstate", None)
    if state == _READ_ONLY_TRANSACTION:
        return READ_ONLY_REFUSAL
    first = statement.lstrip(" \t\n(").split(maxsplit=1)[:1]
    if state == _SYNTAX_ERROR and first and first[0].upper() not in _QUERIES:
        return f"{READ_ONLY_REFUSAL}; on PostgreSQL it runs queries only ({', '.join(_QUERIES)})"
    lines = str(orig).strip().splitlines()
    return f"SQL error: {lines[0] if lines else type(orig).__name__}"

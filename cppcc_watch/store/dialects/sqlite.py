"""SQLite: one file, WAL journal, explicit transactions, errors that name the file; FTS5 search,
the authorizer of the `sql` sandbox and the planner hints."""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    RootTransaction,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.dialects import (
    IMMEDIATE,
    Dialect,
    HeldLock,
    LockTaken,
    has_binary,
    this_process,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock between processes
    fcntl = None  # type: ignore[assignment]


from sqlalchemy import Select, table, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from cppcc_watch.errors import BadInput
from cppcc_watch.store.dialects import (
    READ_ONLY_REFUSAL,
    OrderedJoin,
    SearchRequest,
    Unindexed,
    add_days,
    ordered_join,
    unindexed,
)
from cppcc_watch.store.schema import ARTICLES, MENTIONS

# -- engine and errors ---------------------------------------------------------------------------

BUSY_TIMEOUT_MS = 30_000
WAL_CHECKPOINT_PAGES = 10_000


def sqlite_path(url: URL) -> Path | None:
    """The file path of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def sqlite_error(error: BaseException, label: str) -> DatabaseError | None:
    """The DatabaseError a low-level SQLite error stands for, if it is about the file itself."""
    if not isinstance(error, sqlite3.Error):
        return None
    message = str(error).lower()
    if "not a database" in message or "file is encrypted" in message:
        return DatabaseError(f"The file {label} is not a SQLite database.")
    if "readonly" in message or "read-only" in message or "query_only" in message:
        return DatabaseError(f"The database {label} is read-only; it cannot be written.")
    if "database is locked" in message or "database table is locked" in message:
        return DatabaseError(
            f"The database {label} is locked by another writer (gave up after waiting "
            f"{BUSY_TIMEOUT_MS / 1000:g} s)."
        )
    if "database or disk is full" in message:
        return DatabaseError(f"The database {label} cannot grow: the disk is full.")
    if "unable to open database file" in message:
        return DatabaseError(f"The database {label} cannot be opened (missing or not accessible).")
    if "disk i/o error" in message or "database disk image is malformed" in message:
        return DatabaseError(f"The database {label} is damaged or unreadable ({error}).")
    return None


def _readonly_url(url: URL, path: Path) -> URL:
    """The same database as a `mode=ro` URI, so SQLite itself refuses writes."""
    uri = f"file:{quote(str(path.resolve()))}"
    return url.set(database=uri, query={**url.query, "mode": "ro", "uri": "true"})


def _make_parent(path: Path) -> None:
    """Create the directory the database file lives in."""
    parent = path.parent
    if parent.is_dir():
        return
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise DatabaseError(
            f"The directory {parent} for the database cannot be created ({reason})."
        ) from error


# -- writing -------------------------------------------------------------------------------------


@cache
def _from_json(table: Table, columns: tuple[str, ...]) -> Executable | None:
    """See `SqliteDialect._from_json` (made once per table and columns)."""
    if has_binary(table, columns):
        return None
    each = func.json_each(bindparam("rows")).table_valued("value")
    values = [func.json_extract(each.c.value, f'$."{name}"') for name in columns]
    return insert(table).from_select(list(columns), select(*values))


# -- locks ---------------------------------------------------------------------------------------


class _FileLock:
    """An exclusive flock held on an open lock file; closing the file releases it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def take(cls, path: Path) -> _FileLock:
        """Lock the file (created with its directory when missing) or raise LockTaken."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockTaken(holder) from None
        except BaseException:
            os.close(fd)
            raise
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{this_process()} since {started}\n".encode(), 0)
        return cls(fd)

    def release(self) -> None:
        """Close the file (it stays: an unlocked file means no crawl)."""
        os.close(self.fd)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"


# -- reading -----------------------------------------------------------------------------------

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
    if any(sign in message for sign in ("not authorized", "readonly", "read-only", "query_only")):
        return READ_ONLY_REFUSAL
    return f"SQL error: {message}"


class SqliteDialect(Dialect):
    """SQLite through the standard library's sqlite3."""

    name = "sqlite"

    # -- engine and errors -----------------------------------------------------------------

    def engine_url(self, url: URL, *, readonly: bool) -> URL:
        """The file's URL; `readonly` opens it `mode=ro` and never creates it or its directory.

        Otherwise the file's directory is created when missing.
        """
        path = sqlite_path(url)
        if path is None:
            return url
        if readonly:
            if not path.exists():
                raise DatabaseError(f"The database {path} does not exist.")
            return _readonly_url(url, path)
        _make_parent(path)
        return url

    def engine_options(self, url: URL, *, readonly: bool) -> dict[str, Any]:
        """None: SQLite's settings are pragmas, set on each connection by `install`."""
        return {}

    def install(self, engine: Engine, *, readonly: bool) -> None:
        """Pragmas on every new connection, explicit BEGIN, and clear errors.

        WAL journal (checkpointed every 10,000 pages), 30 s busy timeout, foreign keys on,
        synchronous=NORMAL; a read-only engine sets `query_only` instead of the journal.
        """
        label = self.label(engine.url)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level: SQLAlchemy's "begin" hook below emits BEGIN
            # itself, so DDL and the first SELECT are inside the transaction too.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                cursor.execute("PRAGMA foreign_keys = ON")
                if readonly:
                    cursor.execute("PRAGMA query_only = ON")
                    cursor.execute("SELECT count(*) FROM sqlite_master").fetchall()
                else:
                    cursor.execute("PRAGMA journal_mode = WAL").fetchall()
                    cursor.execute("PRAGMA synchronous = NORMAL")
                    # Checkpoint every ~40 MB of WAL rather than 4 MB: fewer fsyncs and copies
                    # while crawling; the WAL file is cut back to 64 MB after a checkpoint.
                    cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
                    cursor.execute(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}").fetchall()
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            immediate = conn.info.pop(IMMEDIATE, False) and not readonly
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        @event.listens_for(engine, "handle_error")
        def _on_error(context: Any) -> None:
            error = sqlite_error(context.original_exception, label)
            if error is not None:
                raise error from context.original_exception

    def label(self, url: URL) -> str:
        """The file path (also for a `mode=ro` URI), or the URL of an in-memory database."""
        database = url.database or ":memory:"
        if database.startswith("file:"):
            database = unquote(database[5:])
        return database

    def missing_driver(self, error: ImportError) -> DatabaseError:
        """Python without its sqlite3 module (a rare build)."""
        return DatabaseError(f"This Python has no working sqlite3 module ({error}).")

    def connect_error(self, error: BaseException, url: URL) -> DatabaseError:
        """The file cannot be opened: say which file and why."""
        label = self.label(url)
        reason = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
        return sqlite_error(reason, label) or DatabaseError(
            f"The database {label} cannot be opened ({reason})."
        )

    def database_error(self, error: BaseException, label: str) -> DatabaseError | None:
        """See `sqlite_error`."""
        return sqlite_error(error, label)

    # -- schema ----------------------------------------------------------------------------

    @contextmanager
    def migration_transaction(self, conn: Connection) -> Iterator[None]:
        """The write lock, taken at BEGIN (IMMEDIATE): other writers wait for the commit."""
        conn.info[IMMEDIATE] = True
        try:
            with conn.begin():
                yield
        finally:
            conn.info.pop(IMMEDIATE, None)

    # -- writing ---------------------------------------------------------------------------

    def prepare_writer(self, conn: Connection) -> None:
        """Keep the writer's temporary files in memory.

        Each upsert inside a batch is a savepoint, whose changed pages SQLite journals in a
        temporary file created and removed for every transaction; in memory an upsert costs
        about a fifth less. Only for a Store's own connection: migrations (index builds sort
        through temporary files) and read-only analysts (big sorts) keep the default.
        """
        driver: Any = conn.connection.driver_connection  # SQLite refuses it in a transaction
        driver.execute("PRAGMA temp_store = MEMORY")

    def begin_write(self, conn: Connection) -> RootTransaction:
        """BEGIN IMMEDIATE: the write lock at once (a second writer waits up to the busy
        timeout), rather than at the first write, where SQLite could only fail."""
        conn.info[IMMEDIATE] = True
        try:
            return conn.begin()
        finally:
            conn.info.pop(IMMEDIATE, None)

    @contextmanager
    def savepoint(self, conn: Connection) -> Iterator[None]:
        """Plain SAVEPOINT statements: `Connection.begin_nested()` costs SQLite more than the
        upsert it guards (SQLAlchemy does not need to track these savepoints)."""
        conn.exec_driver_sql("SAVEPOINT cppcc_watch")
        try:
            yield
        except BaseException:
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT cppcc_watch")
            conn.exec_driver_sql("RELEASE SAVEPOINT cppcc_watch")
            raise
        conn.exec_driver_sql("RELEASE SAVEPOINT cppcc_watch")

    def transaction_alive(self, conn: Connection) -> bool:
        """SQLite rolls a whole transaction back on a full disk, an I/O error or lack of memory,
        whatever savepoints it had: sqlite3 then reports no transaction."""
        driver = conn.connection.driver_connection
        return conn.in_transaction() and bool(getattr(driver, "in_transaction", False))

    def end_failed_commit(self, conn: Connection) -> None:
        """A COMMIT that fails (a deferred foreign key, say) leaves SQLite's transaction open
        while SQLAlchemy considers it over: roll it back on the driver."""
        driver: Any = conn.connection.driver_connection
        if getattr(driver, "in_transaction", False):
            driver.rollback()

    def finish_writing(self, conn: Connection) -> None:
        """Refresh the query planner's statistics (`PRAGMA optimize`, bounded by
        `analysis_limit`, so it stays quick on a big database)."""
        try:
            if conn.in_transaction():
                conn.rollback()
            with conn.begin():
                conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
                conn.exec_driver_sql("PRAGMA optimize")
        except (SQLAlchemyError, DatabaseError):
            pass  # statistics are an optimisation; never fail a close for them

    #: Below 100 rows, the executemany is as quick.
    json_rows = 100

    def _from_json(self, table: Table, columns: tuple[str, ...]) -> Executable | None:
        """Each column's value taken from each element of the array (`json_each`)."""
        return _from_json(table, columns)

    def _insert(self, table: Table) -> sqlite.Insert:
        """SQLite's INSERT, with ON CONFLICT clauses."""
        return sqlite.insert(table)

    # -- locks -----------------------------------------------------------------------------

    def lock_path(self, url: URL, spider: str) -> Path | None:
        """The lock file of `spider`'s crawls: next to the database file, found through any
        symbolic link to it (None for an in-memory database)."""
        path = sqlite_path(url)
        if path is None:
            return None
        real = path.resolve()
        return real.with_name(f"{real.name}-crawl-{spider}.lock")

    def crawl_lock_name(self, url: URL, spider: str) -> str | None:
        """The lock file's path (None without a file, or where flock does not exist)."""
        path = self.lock_path(url, spider)
        return None if path is None or fcntl is None else str(path)

    def take_crawl_lock(self, url: URL, spider: str) -> HeldLock:
        """An exclusive `flock` on the lock file, which keeps the holder's pid, host and start
        time for the message of a crawl that finds it taken. The kernel drops the lock when the
        process ends, however it ends (SIGKILL included)."""
        path = self.lock_path(url, spider)
        if path is None:
            raise ValueError("an in-memory database has no crawl lock")
        return _FileLock.take(path)

    # -- reading ---------------------------------------------------------------------------

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
            except (StatementError, DatabaseError) as error:
                raise BadInput(_sql_error(getattr(error, "orig", None) or error)) from error
        finally:
            raw.set_authorizer(None)
            transaction.rollback()

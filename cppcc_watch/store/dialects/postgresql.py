"""PostgreSQL through psycopg 3: connection options, read-only sessions, and errors in one line."""

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
    Table,
    bindparam,
    cast,
    column,
    event,
    func,
    insert,
    select,
    table,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.dialects import Dialect, HeldLock, LockTaken, has_binary, this_process

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

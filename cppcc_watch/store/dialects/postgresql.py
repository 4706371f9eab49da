"""PostgreSQL through psycopg 3: connection options, read-only sessions, and errors in one line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.dialects import Dialect

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
        """Read-only transactions and a full disk, told by their SQLSTATE."""
        state = getattr(error, "sqlstate", None)
        if not isinstance(state, str):
            return None
        if state == _READ_ONLY_TRANSACTION:
            return DatabaseError(f"The database {label} is read-only; it cannot be written.")
        if state == _DISK_FULL:
            return DatabaseError(f"The database {label} cannot grow: the server's disk is full.")
        return None

    # -- schema ----------------------------------------------------------------------------

    @contextmanager
    def migration_transaction(self, conn: Connection) -> Iterator[None]:
        """A transaction holding the advisory lock `MIGRATION_LOCK_KEY` until it ends."""
        with conn.begin():
            conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            yield

    # -- writing ---------------------------------------------------------------------------

    # -- locks -----------------------------------------------------------------------------

    # -- reading ---------------------------------------------------------------------------

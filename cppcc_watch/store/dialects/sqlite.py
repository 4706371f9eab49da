"""SQLite: one file, WAL journal, explicit transactions, and errors that name the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.dialects import IMMEDIATE, Dialect

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

    # -- locks -----------------------------------------------------------------------------

    # -- reading ---------------------------------------------------------------------------

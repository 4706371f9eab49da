"""Opening the database: a SQLAlchemy engine tuned for SQLite (WAL, busy timeout, foreign keys).

Any SQLAlchemy URL works; the SQLite specifics (pragmas, directory creation, read-only URI,
explicit BEGIN so that transactions really are transactions) apply only to SQLite URLs.
Problems opening or writing the file become `cppcc_watch.errors.DatabaseError` with one sentence
naming the problem and the path.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import URL, Engine, make_url

from cppcc_watch.errors import DatabaseError

BUSY_TIMEOUT_MS = 30_000
WAL_CHECKPOINT_PAGES = 10_000

#: Connection-info flag: the next BEGIN on this connection takes the write lock at once.
IMMEDIATE = "cppcc_watch_begin_immediate"


def open_engine(url: str, *, readonly: bool = False) -> Engine:
    """Open the database at `url` (checked by connecting once) and return its engine.

    For SQLite: WAL journal (checkpointed every 10,000 pages), 30 s busy timeout, foreign keys
    on, synchronous=NORMAL, and the file's directory created when missing. `readonly` opens
    the file with `mode=ro`, so that any write fails; it never creates the file or its
    directory.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise DatabaseError(f"The database URL {url!r} is not a valid SQLAlchemy URL.") from error
    if parsed.get_backend_name() != "sqlite":
        return _check(create_engine(parsed), url)
    path = sqlite_path(parsed)
    label = str(path) if path else url
    if path is not None and readonly:
        if not path.exists():
            raise DatabaseError(f"The database {path} does not exist.")
        parsed = _readonly_url(parsed, path)
    elif path is not None:
        _make_parent(path)
    engine = create_engine(parsed)
    _install_sqlite_hooks(engine, label, readonly=readonly)
    return _check(engine, label)


def sqlite_path(url: URL) -> Path | None:
    """The file path of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


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


def _install_sqlite_hooks(engine: Engine, label: str, *, readonly: bool) -> None:
    """Pragmas on every new connection, explicit BEGIN, and clear errors."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: SQLAlchemy's "begin" hook below emits BEGIN itself,
        # so DDL and the first SELECT are inside the transaction too.
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


def keep_temp_files_in_memory(engine: Engine, connection: Any) -> None:
    """Keep SQLite's temporary files of a writing connection in memory (outside a transaction).

    Each upsert inside a batch is a savepoint, whose changed pages SQLite journals in a temporary
    file created and removed for every transaction; in memory an upsert costs about a fifth less.
    Only for a Store's own connection: migrations (index builds sort through temporary files)
    and read-only analysts (big sorts) keep the default.
    """
    if engine.dialect.name == "sqlite":
        connection.execute("PRAGMA temp_store = MEMORY")


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


def _check(engine: Engine, label: str) -> Engine:
    """Connect once so that a bad URL or file fails now, with a clear message."""
    try:
        with engine.connect():
            pass
    except DatabaseError:
        engine.dispose()
        raise
    except exc.DBAPIError as error:
        engine.dispose()
        wrapped = sqlite_error(error.orig, label) if error.orig is not None else None
        raise wrapped or DatabaseError(
            f"The database {label} cannot be opened ({error.orig})."
        ) from error
    except (exc.SQLAlchemyError, OSError) as error:
        engine.dispose()
        raise DatabaseError(f"The database {label} cannot be opened ({error}).") from error
    return engine


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def describe(engine: Engine) -> str:
    """A short name of the database for messages: the file path for SQLite, else the URL."""
    if is_sqlite(engine):
        database = engine.url.database or ":memory:"
        if database.startswith("file:"):
            database = unquote(database[5:])
        return os.fspath(database)
    return engine.url.render_as_string(hide_password=True)

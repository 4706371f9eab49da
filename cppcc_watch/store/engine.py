"""Opening the database: a SQLAlchemy engine for SQLite or PostgreSQL, checked by connecting once.

What differs between the two (SQLite's pragmas, directory creation, read-only URI and explicit
BEGIN; PostgreSQL's driver, connect timeout and read-only sessions; each one's error messages)
lives in `cppcc_watch.store.dialects`. Problems opening the database become
`cppcc_watch.errors.DatabaseError` with one sentence naming the problem and the database.
"""

from __future__ import annotations

from sqlalchemy import create_engine, exc
from sqlalchemy.engine import Engine, make_url

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.dialects import Dialect, dialect_named, dialect_of


def open_engine(url: str, *, readonly: bool = False) -> Engine:
    """Open the database at `url` (checked by connecting once) and return its engine.

    `readonly` makes every write fail in the database itself (SQLite: `mode=ro` and
    `query_only`; PostgreSQL: read-only transactions) and never creates a SQLite file.
    """
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise DatabaseError(f"The database URL {url!r} is not a valid SQLAlchemy URL.") from error
    dialect = dialect_named(parsed.get_backend_name())
    parsed = dialect.engine_url(parsed, readonly=readonly)
    try:
        engine = create_engine(parsed, **dialect.engine_options(parsed, readonly=readonly))
    except ImportError as error:
        raise dialect.missing_driver(error) from error
    except exc.ArgumentError as error:
        raise DatabaseError(
            f"The database URL {dialect.label(parsed)} cannot be used ({error})."
        ) from error
    dialect.install(engine, readonly=readonly)
    return _check(engine, dialect)


def _check(engine: Engine, dialect: Dialect) -> Engine:
    """Connect once so that a bad URL, file or server fails now, with a clear message."""
    try:
        with engine.connect():
            pass
    except DatabaseError:
        engine.dispose()
        raise
    except (exc.SQLAlchemyError, OSError) as error:
        engine.dispose()
        raise dialect.connect_error(error, engine.url) from error
    return engine


def describe(engine: Engine) -> str:
    """A short name of the database for messages: the file path for SQLite, else the URL
    without its password."""
    return dialect_of(engine).label(engine.url)


def database_error(engine: Engine, error: BaseException) -> DatabaseError | None:
    """The DatabaseError a driver error stands for, when it is about the database itself."""
    return dialect_of(engine).database_error(error, describe(engine))

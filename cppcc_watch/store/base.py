"""What every part of the Store stands on: one connection, and the transactions it reads and
writes in.

A Store keeps one connection. Every write is one transaction that holds the database's write
lock from its start (the dialect's `begin_write`: BEGIN IMMEDIATE on SQLite, an advisory lock on
PostgreSQL), so an article is never stored without its pages and mentions, and two writers wait
for each other instead of failing. A write inside an open one is a savepoint: it succeeds or
fails as a whole while the transaction goes on. Reads run in short transactions so that no
snapshot is held between calls.

Rows in bulk: inside a transaction of many writes (a crawl's batch), the rows that hang off what
each write stored (an article's raw pages, mentions and spans) are kept and inserted together,
one statement per table, before the transaction commits and before anything else reads or
writes through the Store, so no reader of the Store ever misses them. Executing statements, not
storing rows, is what costs most per article; the kept rows are checked when kept, so that only
the database failing can make their insert fail, and then the whole transaction is given up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import DBAPIError

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.dialects import dialect_of
from cppcc_watch.store.engine import database_error, describe

#: Rows to insert, by table (in the order they must be inserted).
Rows = dict[Table, list[dict[str, Any]]]


def utc_now() -> str:
    """The current UTC time as ISO 8601 text, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class StoreBase:
    """A database connection with the Store's transactions (see `Store`)."""

    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        """Wrap an engine whose schema is up to date (use `Store.open` to get one)."""
        self.engine = engine
        self.readonly = readonly
        self.dialect = dialect_of(engine)
        self.label = describe(engine)
        self._conn: Connection | None = engine.connect()
        self._writes = 0  # open write levels: the transaction, then its savepoints
        self._kept: Rows = {}
        self._kept_for: set[str] = set()  # what the kept rows hang off
        self._doomed: DatabaseError | None = None  # why the open transaction was given up
        if not readonly:
            self.dialect.prepare_writer(self._conn)

    def close(self) -> None:
        """Release the connection and the engine; the Store cannot be used afterwards.

        A writer first does the dialect's upkeep (SQLite refreshes its planner statistics).
        """
        if self._conn is not None:
            if not self.readonly:
                self.dialect.finish_writing(self._conn)
            self._conn.close()
            self._conn = None
        self.engine.dispose()

    @property
    def connection(self) -> Connection:
        """The Store's single connection (for callers that need a custom query)."""
        if self._conn is None:
            raise DatabaseError(f"The database {self.label} is closed.")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Group many writes into one transaction, committed at the end (much faster on SQLite).

        Each write inside (an upsert, a run record) still succeeds or fails as a whole, through
        a savepoint; an exception escaping the block rolls back everything it wrote. Hold such a
        transaction briefly: it keeps other writers waiting.
        """
        with self._write() as conn:
            yield conn

    def transaction_alive(self) -> bool:
        """Whether the database still holds the open transaction: some errors (a full disk,
        a lost connection) make it give up the whole transaction, savepoints and all."""
        return self._doomed is None and self.dialect.transaction_alive(self.connection)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A short read transaction (or the write transaction already open) for a query."""
        conn = self.connection
        self._flush()
        if conn.in_transaction():
            yield conn
            return
        with conn.begin():
            yield conn

    @contextmanager
    def _write(self, *, flush: bool = True) -> Iterator[Connection]:
        """A write transaction holding the write lock, or a savepoint inside an open one.

        Rolled back on any error; a driver error becomes DatabaseError. The kept rows are
        inserted first unless `flush` is False (a write that may keep rows of its own).
        """
        if self.readonly:
            raise DatabaseError(
                f"The database {self.label} is open read-only; it cannot be written."
            )
        if self._doomed is not None:
            raise self._doomed
        conn = self.connection
        if flush:
            self._flush()
        self._writes += 1
        try:
            if self._writes > 1:
                with self.dialect.savepoint(conn):
                    yield conn
            else:
                with self._transaction(conn):
                    yield conn
        except DBAPIError as error:
            raise self._error(error) from error
        finally:
            self._writes -= 1

    @contextmanager
    def _transaction(self, conn: Connection) -> Iterator[None]:
        """The outermost write: begun with the write lock, committed, or rolled back."""
        transaction = self.dialect.begin_write(conn)
        try:
            yield
            self._flush()
            if self._doomed is not None:
                raise self._doomed
        except BaseException:
            self._kept, self._doomed = {}, None
            self._kept_for.clear()
            if conn.get_transaction() is transaction:  # not rolled back already
                transaction.rollback()  # also clears one a lost connection deactivated
            raise
        try:
            transaction.commit()
        except BaseException:
            transaction.rollback()  # SQLAlchemy's side
            self.dialect.end_failed_commit(conn)
            raise

    def _keeps_rows(self) -> bool:
        """Whether a write starting now is directly inside an open transaction, so that the rows
        hanging off what it writes can be kept (`_keep`) rather than inserted at once."""
        return self._writes == 1

    def _keep(self, owner: str, rows: Rows) -> None:
        """Keep the rows that hang off `owner` (written by a write that ended well) for the
        bulk insert at the end of the transaction."""
        for table, table_rows in rows.items():
            if table_rows:
                self._kept.setdefault(table, []).extend(table_rows)
        self._kept_for.add(owner)

    def _keeps_rows_of(self, owner: str) -> bool:
        """Whether rows hanging off `owner` are kept, not inserted yet."""
        return owner in self._kept_for

    def _insert(self, conn: Connection, rows: Rows) -> None:
        """Insert rows, one statement per table."""
        for table, table_rows in rows.items():
            if table_rows:
                self.dialect.insert_rows(conn, table, table_rows)

    def _flush(self) -> None:
        """Insert the kept rows. Should that fail, the transaction is rolled back at once and
        the Store refuses to write until it ends: it would hold rows without those that hang
        off them."""
        if not self._kept:
            return
        kept, self._kept = self._kept, {}
        self._kept_for.clear()
        conn = self.connection
        try:
            self._insert(conn, kept)
        except (DBAPIError, DatabaseError) as error:
            doomed = self._error(error) if isinstance(error, DBAPIError) else error
            self._doomed = DatabaseError(f"{doomed} The transaction was rolled back.")
            conn.rollback()
            raise self._doomed from error

    def _error(self, error: DBAPIError) -> DatabaseError:
        """The DatabaseError a driver error raised while writing stands for."""
        reason = error.orig or error
        first_line = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
        return database_error(self.engine, reason) or DatabaseError(
            f"Writing to the database {self.label} failed: {first_line}."
        )

"""Reading through a read-only Store: statements run inside read transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.exc import DBAPIError

from cppcc_watch.errors import BadInput
from cppcc_watch.store import Store
from cppcc_watch.store.dialects import Dialect, dialect_of


class Reader:
    """The database of a Store, read one transaction at a time (what every query mixin uses)."""

    def __init__(self, store: Store) -> None:
        """Query the database of an open Store (`Query.open` opens one read-only)."""
        self.store = store
        self.dialect: Dialect = dialect_of(store.engine)

    def _rows(
        self, statement: Executable, *, bad_input: str | None = None, **params: Any
    ) -> Iterator[Any]:
        """Rows of a statement (with the values of its bind parameters), streamed inside one
        read transaction.

        `bad_input` names what the user gave when an error of the statement can only come
        from it (a search expression): such errors become BadInput.
        """
        conn = self.store.connection
        try:
            if conn.in_transaction():
                yield from conn.execute(statement, params)
                return
            with conn.begin():
                yield from conn.execute(statement, params)
        except DBAPIError as error:
            if bad_input and self.dialect.bad_search(error):
                raise BadInput(f"{bad_input} ({error.orig})") from error
            raise

    def _all(self, statement: Executable, **params: Any) -> list[Any]:
        """Every row of a statement."""
        return list(self._rows(statement, **params))

    def _scalar(self, statement: Executable, **params: Any) -> Any:
        """The first column of the first row of a statement."""
        return self._all(statement, **params)[0][0]

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction around several queries, so that they all see the same data."""
        conn = self.store.connection
        if conn.in_transaction():
            yield
            return
        with conn.begin():
            yield

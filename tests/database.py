"""Reading a test database the way another process would: a fresh connection of its own, on
either backend, with plain SQL (`:name` parameters)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError


class Row(tuple[Any, ...]):
    """A result row read by position (`row[0]`) or by column name (`row["url"]`, `dict(row)`)."""

    _names: tuple[str, ...]

    def __new__(cls, values: tuple[Any, ...], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._names.index(key))
        return super().__getitem__(key)

    def keys(self) -> tuple[str, ...]:
        """The column names (so that `dict(row)` works)."""
        return self._names


def rows(db_url: str, sql: str, **params: Any) -> list[Row]:
    """The rows of one query, on a connection opened and closed for it."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params)
            names = tuple(result.keys())
            return [Row(tuple(row), names) for row in result]
    finally:
        engine.dispose()


def value(db_url: str, sql: str, **params: Any) -> Any:
    """The first column of the first row of one query."""
    return rows(db_url, sql, **params)[0][0]


#: What a read of a database that is still being created may raise (no file, no table yet).
NOT_READY = (OperationalError, ProgrammingError)

"""The `sql` command's sandbox: one analyst's SQL statement, unable to change the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cppcc_watch.errors import BadInput
from cppcc_watch.query.reader import Reader


class Sandbox(Reader):
    """The `sql` and `runs` queries of `Query`."""

    def runs(self, *, spider: str | None = None, limit: int | None = 20) -> list[dict[str, Any]]:
        """The crawl log, newest first, as plain dicts of `crawl_runs` columns."""
        return self.store.runs(limit=limit, spider=spider)

    def sql(self, statement: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows of one read-only SQL statement, as dicts (streamed); parameters as `:name`.

        Statements that write (or attach other files, or change settings) are refused with
        BadInput; the database is never changed. On SQLite a `mode=ro` connection, `PRAGMA
        query_only` and an authorizer that allows reading only see to it; on PostgreSQL the
        statement is one query, run in a READ ONLY transaction that is rolled back.
        """
        if not statement.strip():
            raise BadInput("no SQL statement given")
        yield from self.dialect.read_only_rows(self.store.connection, statement, params or {})

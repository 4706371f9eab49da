"""The analyst API: the one place where queries over the database are written.

The CLI's `articles`, `entities`, `trends`, `cooccur`, `runs` and `sql` commands and the report
are thin shells over `Query`; notebooks use it directly::

    from cppcc_watch.query import Query, records
    with Query.open("sqlite:///data/cppcc_watch.db") as q:
        rows = list(records(q.articles(city="Xian", theme="climate change", since="2024")))
        # pandas.DataFrame(rows), if pandas is installed; it is not a dependency

The same code runs on SQLite and PostgreSQL (SQLAlchemy Core; the differences, full-text search
and read-only sessions, are in `cppcc_watch.store.dialects`). Names resolve through the
gazetteer, the organization registry, the theme ids and the `entities` table, so that any alias
or acronym works (`names`). Dates are YYYY, YYYY-MM or YYYY-MM-DD: `since` is the start of that
period, `until` its end (inclusive), compared with the articles' local publication time
(`dates`). Large results are generators reading the database as they go. The database is
opened read-only.

One concern per module: `dates`, `names`, `results` (the row dataclasses and `records`),
`articles` (lists and search), `counts` (top entities, trends, co-occurrence, totals) and
`sandbox` (the `sql` command). Speed: see benchmarks/queries.py.
"""

from __future__ import annotations

from cppcc_watch.query.articles import SEARCH_DEPTH, Articles
from cppcc_watch.query.counts import TREND_PERIODS, Counts
from cppcc_watch.query.dates import DateRange, period_bounds
from cppcc_watch.query.results import (
    ARTICLE_COLUMNS,
    ENTITY_COLUMNS,
    SEARCH_COLUMNS,
    ArticleEntity,
    ArticleResult,
    Cooccurrence,
    EntityCount,
    EntityRef,
    SourceTotal,
    TrendPoint,
    records,
)
from cppcc_watch.query.sandbox import Sandbox
from cppcc_watch.store import Store
from cppcc_watch.store.dialects.sqlite import fts_query


class Query(Articles, Counts, Sandbox):
    """Read-only queries over a cppcc-watch database (see the package docstring)."""

    @classmethod
    def open(cls, url: str) -> Query:
        """Open the database at `url` read-only."""
        return cls(Store.open(url, readonly=True))

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    def __enter__(self) -> Query:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


__all__ = [
    "ARTICLE_COLUMNS",
    "ENTITY_COLUMNS",
    "SEARCH_COLUMNS",
    "SEARCH_DEPTH",
    "TREND_PERIODS",
    "ArticleEntity",
    "ArticleResult",
    "Cooccurrence",
    "DateRange",
    "EntityCount",
    "EntityRef",
    "Query",
    "SourceTotal",
    "TrendPoint",
    "fts_query",
    "period_bounds",
    "records",
]

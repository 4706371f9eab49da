"""What the report shows, read from the database through the Query API in one pass.

`gather` returns plain data (no HTML, no charts), so that the figures and the page can be built
and tested apart from the database, and so that the report's cost on a large database is the
cost of these few queries (see benchmarks/report.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cppcc_watch.query import (
    ArticleEntity,
    ArticleResult,
    DateRange,
    EntityCount,
    Query,
    SourceTotal,
    TrendPoint,
)

#: How many of each thing the report shows.
TOP_THEMES = 8
TOP_CITIES = 15
TOP_ORGANIZATIONS = 15
COOCCUR_ORGANIZATIONS = 10
COOCCUR_PROVINCES = 20
LATEST_ARTICLES = 25
RECENT_RUNS = 40


@dataclass(frozen=True)
class Scope:
    """What the report covers: a date range and a source (None: all), and when it was made."""

    since: str | None
    until: str | None
    source: str | None
    database: str
    generated_at: str

    @property
    def label(self) -> str:
        """The scope in words ("all sources, 2024-01 to 2024-06")."""
        source = f"source {self.source}" if self.source else "all sources"
        if self.since and self.until:
            dates = f"published {self.since} to {self.until}"
        elif self.since:
            dates = f"published since {self.since}"
        elif self.until:
            dates = f"published until {self.until}"
        else:
            dates = "all dates"
        return f"{source}, {dates}"


@dataclass(frozen=True)
class ThemeSeries:
    """A theme's articles per month over the report's months."""

    theme: str
    articles: int
    points: list[TrendPoint]


@dataclass(frozen=True)
class SharedArticles:
    """Articles naming both a row entity and a column entity: `counts[row][column]`."""

    rows: list[EntityCount]
    columns: list[EntityCount]
    counts: list[list[int]]

    def share(self, row: int, column: int) -> float:
        """The share of the row entity's articles that also name the column entity."""
        articles = self.rows[row].articles
        return self.counts[row][column] / articles if articles else 0.0


@dataclass
class ReportData:
    """Everything the report shows (lists are empty when there is nothing to show)."""

    scope: Scope
    stored_articles: int
    totals: list[SourceTotal] = field(default_factory=list)
    themes: list[ThemeSeries] = field(default_factory=list)
    theme_counts: list[EntityCount] = field(default_factory=list)
    provinces: list[EntityCount] = field(default_factory=list)
    cities: list[EntityCount] = field(default_factory=list)
    organizations: list[EntityCount] = field(default_factory=list)
    cooccurrence: SharedArticles | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    latest: list[tuple[ArticleResult, list[ArticleEntity]]] = field(default_factory=list)

    @property
    def articles(self) -> int:
        """Articles in the report's scope."""
        return sum(total.articles for total in self.totals)


def gather(
    query: Query,
    *,
    since: str | None = None,
    until: str | None = None,
    source: str | None = None,
    database: str = "",
) -> ReportData:
    """Read what the report shows for a date range and source (BadInput for bad dates or an
    unknown source)."""
    DateRange.parse(since, until)
    scope = Scope(since, until, source, database, datetime.now(UTC).isoformat(timespec="seconds"))
    stored = sum(total.articles for total in query.source_totals())
    data = ReportData(scope, stored)
    data.totals = query.source_totals(source=source, since=since, until=until)
    data.runs = query.runs(spider=source, limit=RECENT_RUNS)
    if not data.articles:
        return data
    window: dict[str, Any] = {"since": since, "until": until, "source": source}
    data.theme_counts = query.top_entities(kind="theme", top=None, **window)
    # Every theme's line spans the same months: those of the articles in scope.
    first = since or min((t.first[:7] for t in data.totals if t.first), default=None)
    last = until or max((t.last[:7] for t in data.totals if t.last), default=None)
    data.themes = [
        ThemeSeries(
            theme.name,
            theme.articles,
            query.trend(theme.name, kind="theme", since=first, until=last, source=source),
        )
        for theme in data.theme_counts[:TOP_THEMES]
    ]
    data.provinces = query.top_entities(kind="province", top=None, **window)
    data.cities = query.top_entities(kind="city", top=TOP_CITIES, **window)
    data.organizations = query.top_entities(kind="organization", top=TOP_ORGANIZATIONS, **window)
    organizations = data.organizations[:COOCCUR_ORGANIZATIONS]
    provinces = data.provinces[:COOCCUR_PROVINCES]
    if organizations and provinces:
        counts = query.shared_articles(
            [org.id for org in organizations], [p.id for p in provinces], **window
        )
        data.cooccurrence = SharedArticles(organizations, provinces, counts)
    latest = list(query.articles(limit=LATEST_ARTICLES, **window))
    entities = query.entities_of([article.id for article in latest])
    data.latest = [(article, entities[article.id]) for article in latest]
    return data

"""What queries return: one frozen dataclass per kind of row, and `records` for plain dicts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

#: The columns the CLI prints, in order, for entity counts, article lists and searches.
ENTITY_COLUMNS = ("kind", "name", "acronym", "province", "articles", "mentions", "focus_articles")
ARTICLE_COLUMNS = ("published_at", "source", "title", "url", "id")
SEARCH_COLUMNS = ("published_at", "source", "title", "snippet", "url", "id")


@dataclass(frozen=True)
class ArticleResult:
    """An article matching a filter; `snippet` and `score` (lower is better) only for searches."""

    id: int
    published_at: str | None
    source: str
    section: str | None
    title: str | None
    url: str
    snippet: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class EntityCount:
    """An entity with the number of articles mentioning it, of its mentions in them, and of
    the articles it is the focus of (`focus_articles`: places only, 0 for other kinds)."""

    id: int
    kind: str
    name: str
    acronym: str | None
    province: str | None
    articles: int
    mentions: int
    focus_articles: int


@dataclass(frozen=True)
class Cooccurrence:
    """An entity found in `articles` of the articles of another, `share` of them (0 to 1)."""

    id: int
    kind: str
    name: str
    acronym: str | None
    province: str | None
    articles: int
    share: float


@dataclass(frozen=True)
class TrendPoint:
    """Articles mentioning an entity in one period (`period`: YYYY-MM, or a week's Monday)."""

    period: str
    articles: int


@dataclass(frozen=True)
class SourceTotal:
    """A source's articles in a date range, with the first and last publication times."""

    source: str
    articles: int
    first: str | None
    last: str | None


@dataclass(frozen=True)
class ArticleEntity:
    """An entity an article mentions: `count` times, and whether as its `focus`."""

    kind: str
    name: str
    acronym: str | None
    province: str | None
    count: int
    focus: bool


@dataclass(frozen=True)
class EntityRef:
    """What a name given by a user resolved to: its kind, canonical name and entity ids.

    `ids` is empty when the name is known (a gazetteer place, a registry organization, a theme)
    but no stored article mentions it.
    """

    kind: str
    name: str
    ids: tuple[int, ...]


def records(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Plain dicts of query results (dataclasses or dicts), for CSV/JSON or a DataFrame."""
    for row in rows:
        yield asdict(row) if is_dataclass(row) and not isinstance(row, type) else dict(row)

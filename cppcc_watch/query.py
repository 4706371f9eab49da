"""The analyst API: the one place where queries over the database are written.

The CLI's `articles`, `entities`, `trends`, `cooccur`, `runs` and `sql` commands are thin shells
over `Query`; notebooks use it directly::

    from cppcc_watch.query import Query, records
    with Query.open("sqlite:///data/cppcc_watch.db") as q:
        rows = list(records(q.articles(city="Xian", theme="climate change", since="2024")))
        # pandas.DataFrame(rows), if pandas is installed; it is not a dependency

Names resolve through the gazetteer, the organization registry and the theme ids, so that any
alias or acronym works ("Tibet" is Xizang, "Xian" is Xi'an, "CAST", "cppcc"); then through the
`entities` table. An unknown name is a `BadInput` naming the closest known names. Dates are
YYYY, YYYY-MM or YYYY-MM-DD: `since` is the start of that period, `until` its end (inclusive),
compared with the articles' local publication time. Large results are generators reading the
database as they go. The database is opened read-only.

Speed (docs/SPEC.md §7, benchmarks/queries.py): article lists walk an index newest-first
(`mentions(entity_id, published_at, ...)` for an entity, driven by the rarest filter), top lists
and monthly timelines read the `entity_months` summary for whole months and `mentions` by date
for the partial months at the ends of a range. Both carry the article's source, so counts of one
source (`source="chinadaily"`) take the same paths, and the summary counts the articles each
entity is the focus of (`EntityCount.focus_articles`).
"""

from __future__ import annotations

import csv
import difflib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from cppcc_watch.errors import BadInput
from cppcc_watch.extract.gazetteer import Gazetteer, fold
from cppcc_watch.extract.organizations import DEFAULT_REGISTRY
from cppcc_watch.extract.themes import THEMES
from cppcc_watch.store import Store
from cppcc_watch.store.schema import ENTITY_KINDS

#: Rows counted, at most, to pick the most selective entity filter.
SELECTIVITY_PROBE = 5_000
#: A search ranks at most this many matches: the most recently stored ones (see `articles`).
SEARCH_DEPTH = 20_000
TREND_PERIODS = ("month", "week")
ENTITY_COLUMNS = ("kind", "name", "acronym", "province", "articles", "mentions", "focus_articles")
ARTICLE_COLUMNS = ("published_at", "source", "title", "url", "id")
SEARCH_COLUMNS = ("published_at", "source", "title", "snippet", "url", "id")
_FTS_OPERATORS = re.compile(r'["*():^+]|\b(?:AND|OR|NOT|NEAR)\b')


# -- results ----------------------------------------------------------------------------------


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


# -- dates ------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def period_bounds(text: str) -> tuple[date, date]:
    """The first day of a YYYY, YYYY-MM or YYYY-MM-DD period and the first day after it."""
    match = _DATE_RE.match(text.strip())
    if not match:
        raise BadInput(f"bad date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year = int(match.group(1))
    month, day = (int(part) if part else None for part in match.groups()[1:])
    try:
        if month is None:
            return date(year, 1, 1), date(year + 1, 1, 1)
        first = date(year, month, day or 1)
    except ValueError as error:
        raise BadInput(f"bad date {text!r}: {error}") from error
    if day is None:
        return first, _next_month(first)
    return first, first + timedelta(days=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass(frozen=True)
class DateRange:
    """Publication dates from `start` (inclusive) to `end` (exclusive); None is open-ended."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None) -> DateRange:
        """The range from the start of `since` to the end of `until` (both optional)."""
        start = period_bounds(since)[0] if since else None
        end = period_bounds(until)[1] if until else None
        if start and end and start >= end:
            raise BadInput(f"--since {since} is after --until {until}")
        return cls(start, end)

    @property
    def bounded(self) -> bool:
        """Whether either end is set."""
        return self.start is not None or self.end is not None

    def where(self, column: str, params: dict[str, Any], suffix: str = "") -> list[str]:
        """SQL conditions on a published_at column (ISO text), adding their parameters."""
        conditions = []
        if self.start:
            params[f"date_start{suffix}"] = self.start.isoformat()
            conditions.append(f"{column} >= :date_start{suffix}")
        if self.end:
            params[f"date_end{suffix}"] = self.end.isoformat()
            conditions.append(f"{column} < :date_end{suffix}")
        return conditions

    def split_months(self) -> tuple[tuple[str, str] | None, list[DateRange]]:
        """The whole months inside the range (first, last-exclusive, as YYYY-MM) and the rest.

        The rest is at most two partial months at the ends. No whole month: (None, [self]).
        """
        first = self.start if not self.start or self.start.day == 1 else _next_month(self.start)
        last = self.end.replace(day=1) if self.end else None
        if first and last and first >= last:
            return None, [self]
        edges = []
        if self.start and first and self.start < first:
            edges.append(DateRange(self.start, first))
        if self.end and last and last < self.end:
            edges.append(DateRange(last, self.end))
        low = first.strftime("%Y-%m") if first else ""
        high = last.strftime("%Y-%m") if last else "9999-99"
        return (low, high), edges


# -- names ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """The names a user may give for each kind: folded form -> canonical name (and province)."""

    forms: dict[str, dict[str, list[tuple[str, str | None]]]]

    def lookup(self, kind: str, name: str) -> list[tuple[str, str | None]]:
        return self.forms[kind].get(fold(name), [])


@cache
def _known_names() -> _Known:
    """Every canonical name and alias of the gazetteer, the registry and the themes."""
    forms: dict[str, dict[str, list[tuple[str, str | None]]]] = {k: {} for k in ENTITY_KINDS}

    def add(kind: str, form: str, value: tuple[str, str | None]) -> None:
        found = forms[kind].setdefault(fold(form), [])
        if value not in found:
            found.append(value)

    gazetteer = Gazetteer.load()
    for province in gazetteer.provinces:
        for form in (province.name, *province.aliases):
            add("province", form, (province.name, None))
    for city in gazetteer.cities:
        for form in (city.name, *city.aliases, *city.guarded):
            add("city", form, (city.name, city.province))
    for name, acronym, aliases in _registry():
        for form in (name, acronym, *aliases):
            if form:
                add("organization", form, (name, None))
    for theme in THEMES:
        add("theme", theme, (theme, None))
        add("theme", theme.replace("_", " "), (theme, None))
    return _Known(forms)


def _registry() -> Iterator[tuple[str, str, list[str]]]:
    """(name, acronym, aliases) of each organization of the packaged registry."""
    with DEFAULT_REGISTRY.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        next(rows, None)
        for row in rows:
            if row and row[0].strip():
                name, acronym, aliases = [*row, "", "", ""][:3]
                parts = [a.strip() for a in aliases.split("|") if a.strip()]
                yield name.strip(), acronym.strip(), parts


def _theme_form(name: str) -> str:
    """A theme id from the ways people write it ("Food security", "food-security")."""
    return re.sub(r"[^a-z0-9]+", "_", fold(name)).strip("_")


# -- the API ----------------------------------------------------------------------------------


class Query:
    """Read-only queries over a cppcc-watch database (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        """Query the database of an open Store (`Query.open` opens one read-only)."""
        self.store = store

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

    # -- low level ------------------------------------------------------------------------------

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Rows of a query, streamed inside one read transaction."""
        conn = self.store.connection
        if conn.in_transaction():
            yield from self._execute(conn, sql, params)
            return
        with conn.begin():
            yield from self._execute(conn, sql, params)

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """One read transaction around several queries, so that they all see the same data."""
        conn = self.store.connection
        if conn.in_transaction():
            yield
            return
        with conn.begin():
            yield

    def _all(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        return list(self._rows(sql, params))

    @staticmethod
    def _execute(conn: Connection, sql: str, params: dict[str, Any] | None) -> Iterator[Any]:
        try:
            result = conn.exec_driver_sql(sql, params or {})
        except DBAPIError as error:
            if "MATCH :q" in sql and isinstance(error.orig, sqlite3.OperationalError):
                raise BadInput(f"bad search expression ({error.orig})") from error
            raise
        yield from result

    # -- names ----------------------------------------------------------------------------------

    def resolve(self, name: str, kind: str | None = None) -> EntityRef:
        """The entity a user's name stands for: any alias or acronym, in any case.

        Without `kind`, provinces are tried first, then cities, organizations and themes. A city
        shared by two provinces (Suzhou) is ambiguous unless written "Suzhou, Jiangsu".
        Unknown names raise BadInput with the closest known names.
        """
        if kind is not None and kind not in ENTITY_KINDS:
            raise BadInput(f"unknown kind {kind!r}: use one of {', '.join(ENTITY_KINDS)}")
        if not name.strip():
            raise BadInput("an entity name cannot be empty")
        for candidate in [kind] if kind else list(ENTITY_KINDS):
            found = self._resolve_kind(name, candidate)  # type: ignore[arg-type]
            if found is not None:
                return found
        raise BadInput(self._unknown_message(name, kind))

    def _resolve_kind(self, name: str, kind: str) -> EntityRef | None:
        city, _, province = name.partition(",") if kind == "city" else (name, "", "")
        known = _known_names().lookup(kind, city)
        if kind == "theme":
            theme = _theme_form(name)
            known = [(theme, None)] if theme in THEMES else []
        if province.strip():
            parent = Gazetteer.load().province(province.strip())
            known = [k for k in known if parent is not None and k[1] == parent.name]
        if len(known) > 1:
            options = "; ".join(f"'{n}, {p}'" for n, p in known)
            raise BadInput(f"{name!r} names {len(known)} cities: write {options}")
        if known:
            canonical, parent_name = known[0]
            return EntityRef(kind, canonical, self._entity_ids(kind, canonical, parent_name))
        stored = self._stored_entities(kind, city.strip())
        if not stored:
            return None
        if len({row.name for row in stored}) > 1:
            names = ", ".join(sorted({row.name for row in stored}))
            raise BadInput(f"{name!r} is ambiguous: {names}")
        return EntityRef(kind, stored[0].name, tuple(row.id for row in stored))

    def _entity_ids(self, kind: str, name: str, province: str | None) -> tuple[int, ...]:
        params = {"kind": kind, "name": name, "province": province}
        sql = "SELECT id FROM entities WHERE kind = :kind AND name = :name"
        if province is not None:
            sql += " AND province = :province"
        return tuple(row.id for row in self._all(sql, params))

    def _stored_entities(self, kind: str, name: str) -> list[Any]:
        """Entities of a kind whose name or acronym is `name`, ignoring case (found by crawls)."""
        return self._all(
            "SELECT id, name FROM entities WHERE kind = :kind"
            " AND (name = :name COLLATE NOCASE OR acronym = :name COLLATE NOCASE)",
            {"kind": kind, "name": name},
        )

    def _unknown_message(self, name: str, kind: str | None) -> str:
        kinds = [kind] if kind else list(ENTITY_KINDS)
        names: dict[str, str] = {}
        known = _known_names()
        for each in kinds:
            for values in known.forms[each].values():
                for canonical, _ in values:
                    names.setdefault(fold(canonical), canonical)
            for form, values in known.forms[each].items():
                names.setdefault(form, values[0][0])
        in_clause, params = _in(kinds)
        for row in self._rows(
            f"SELECT name, acronym FROM entities WHERE kind IN ({in_clause})", params
        ):
            names.setdefault(fold(row.name), row.name)
            if row.acronym:
                names.setdefault(fold(row.acronym), row.name)
        wanted = fold(name)
        close = difflib.get_close_matches(wanted, list(names), n=8, cutoff=0.6)
        close += sorted(form for form in names if wanted in form and len(wanted) >= 3)[:8]
        suggestions = list(dict.fromkeys(names[form] for form in close))[:5]
        what = kind or "entity"
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        return f"unknown {what} {name!r}{hint}"

    # -- articles -------------------------------------------------------------------------------

    def articles(
        self,
        *,
        province: str | None = None,
        city: str | None = None,
        org: str | None = None,
        theme: str | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        search: str | None = None,
        limit: int | None = None,
    ) -> Iterator[ArticleResult]:
        """Articles matching every filter given: newest first, or best match first with `search`.

        Place, organization and theme filters accept any alias; `search` is a full-text query
        over titles and bodies (words, all required; or FTS5 syntax: "a phrase", OR, NOT, x*),
        ranked by BM25. A search matching more than SEARCH_DEPTH (20,000) articles ranks the
        20,000 most recently stored of them, which keeps it fast on millions of articles.
        """
        dates = DateRange.parse(since, until)
        refs = [
            self.resolve(value, kind)
            for kind, value in (
                ("province", province),
                ("city", city),
                ("organization", org),
                ("theme", theme),
            )
            if value
        ]
        if any(not ref.ids for ref in refs):
            return iter(())
        if search is not None and search.strip():
            return self._search(search, refs, source, dates, limit)
        if refs:
            return self._by_entity(refs, source, dates, limit)
        return self._by_date(source, dates, limit)

    def _by_date(self, source: str | None, dates: DateRange, limit: int | None) -> Iterator[Any]:
        params: dict[str, Any] = {}
        where = dates.where("a.published_at", params)
        if source:
            # "+": walk the dates index newest first and stop at the limit, rather than
            # collect and sort every article of the source.
            where.append("+a.source = :source")
            params["source"] = source
        sql = (
            f"SELECT {_ARTICLE_FIELDS} FROM articles a"
            f"{_where(where)} ORDER BY a.published_at DESC, a.id DESC{_limit(limit, params)}"
        )
        return (ArticleResult(*row) for row in self._rows(sql, params))

    def _by_entity(
        self, refs: list[EntityRef], source: str | None, dates: DateRange, limit: int | None
    ) -> Iterator[Any]:
        refs = sorted(refs, key=self._frequency)
        params: dict[str, Any] = {}
        driver, driver_params = _in(refs[0].ids, "d")
        params.update(driver_params)
        where = [f"m.entity_id IN ({driver})", *dates.where("m.published_at", params)]
        for number, ref in enumerate(refs[1:]):
            ids, id_params = _in(ref.ids, f"f{number}")
            params.update(id_params)
            where.append(
                f"EXISTS (SELECT 1 FROM mentions f WHERE f.article_id = m.article_id"
                f" AND f.entity_id IN ({ids}))"
            )
        if source:
            where.append("a.source = :source")
            params["source"] = source
        # CROSS JOIN keeps SQLite on the mentions index, newest first, instead of a sort.
        sql = (
            f"SELECT {_ARTICLE_FIELDS} FROM mentions m CROSS JOIN articles a"
            f" ON a.id = m.article_id{_where(where)}"
            f" ORDER BY m.published_at DESC, m.article_id DESC{_limit(limit, params)}"
        )
        return (ArticleResult(*row) for row in self._rows(sql, params))

    def _frequency(self, ref: EntityRef) -> int:
        """How many articles mention the entity, counted up to SELECTIVITY_PROBE."""
        ids, params = _in(ref.ids)
        params["probe"] = SELECTIVITY_PROBE
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM mentions WHERE entity_id IN ({ids}) LIMIT :probe)"
        )
        return int(self._all(sql, params)[0][0])

    def _search(
        self,
        text: str,
        refs: list[EntityRef],
        source: str | None,
        dates: DateRange,
        limit: int | None,
    ) -> Iterator[Any]:
        params: dict[str, Any] = {"q": fts_query(text)}
        where = ["articles_fts MATCH :q"]
        # Filters become id sets built once ("+" keeps SQLite from handing them to FTS5 as
        # rowid look-ups, one posting-list walk each): an entity's articles from the mentions
        # index, with the date range when there is one; a short date range from the dates index.
        for number, ref in enumerate(refs):
            ids, id_params = _in(ref.ids, f"f{number}")
            params.update(id_params)
            dated = dates.where("published_at", params) if number == 0 else []
            where.append(
                "+articles_fts.rowid IN (SELECT article_id FROM mentions WHERE"
                f" {' AND '.join([f'entity_id IN ({ids})', *dated])})"
            )
        article_filters = [] if refs else dates.where("a.published_at", params)
        if article_filters and _short(dates):
            where.append(
                "+articles_fts.rowid IN (SELECT a.id FROM articles a"
                f" WHERE {' AND '.join(article_filters)})"
            )
            article_filters = []
        if source:
            article_filters.append("a.source = :source")
            params["source"] = source
        where += article_filters
        joined = " CROSS JOIN articles a ON a.id = articles_fts.rowid" if article_filters else ""
        params["depth"] = SEARCH_DEPTH
        # The newest matches (a walk down the index, stopping early), ranked; then titles and
        # snippets for the rows kept only.
        sql = (
            "WITH recent AS MATERIALIZED (SELECT articles_fts.rowid AS id, rank FROM articles_fts"
            f"{joined}{_where(where)} ORDER BY articles_fts.rowid DESC LIMIT :depth),"
            " hits AS MATERIALIZED (SELECT id, rank FROM recent"
            f" ORDER BY rank{_limit(limit, params)})"
            f" SELECT {_ARTICLE_FIELDS},"
            " snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet, hits.rank"
            " FROM hits CROSS JOIN articles_fts CROSS JOIN articles a"
            " ON articles_fts.rowid = hits.id AND a.id = hits.id"
            " WHERE articles_fts MATCH :q ORDER BY hits.rank"
        )
        return (ArticleResult(*row) for row in self._rows(sql, params))

    # -- entities ---------------------------------------------------------------------------------

    def top_entities(
        self,
        *,
        kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
        top: int | None = 20,
        by: str = "articles",
        source: str | None = None,
    ) -> list[EntityCount]:
        """The entities mentioned in the most articles in a date range (or `by="mentions"`),
        of one source (spider) only when `source` is given."""
        if kind is not None and kind not in ENTITY_KINDS:
            raise BadInput(f"unknown kind {kind!r}: use one of {', '.join(ENTITY_KINDS)}")
        if by not in ("articles", "mentions"):
            raise BadInput(f"cannot order by {by!r}: use articles or mentions")
        dates = DateRange.parse(since, until)
        params: dict[str, Any] = {}
        extra = _and(self._by_source(source, "source", params))
        if kind:
            params["kind"] = kind
            extra += " AND entity_id IN (SELECT id FROM entities WHERE kind = :kind)"
        parts = self._count_parts(dates, params, extra)
        other = "mentions" if by == "articles" else "articles"
        sql = (
            "SELECT e.id, e.kind, e.name, e.acronym, e.province,"
            " sum(c.articles) AS articles, sum(c.mentions) AS mentions,"
            " sum(c.focus) AS focus_articles"
            f" FROM ({' UNION ALL '.join(parts)}) c JOIN entities e ON e.id = c.entity_id"
            f" GROUP BY e.id, e.kind, e.name, e.acronym, e.province"
            f" ORDER BY {by} DESC, {other} DESC, e.name{_limit(top, params)}"
        )
        return [EntityCount(*row) for row in self._rows(sql, params)]

    def _count_parts(self, dates: DateRange, params: dict[str, Any], extra: str) -> list[str]:
        """SELECTs of (entity_id, articles, mentions, focus) whose union covers the date range."""
        months, edges = dates.split_months()
        parts = []
        if months is not None:
            params.update(month_low=months[0], month_high=months[1])
            lower = "month > '' AND month >= :month_low" if dates.bounded else "1 = 1"
            parts.append(
                "SELECT entity_id, articles, mentions, focus_articles AS focus FROM entity_months"
                f" WHERE {lower} AND month < :month_high{extra}"
            )
        for number, edge in enumerate(edges):
            where = " AND ".join(edge.where("published_at", params, f"_{number}"))
            parts.append(
                "SELECT entity_id, 1 AS articles, count AS mentions,"
                f" CASE WHEN focus THEN 1 ELSE 0 END AS focus FROM mentions WHERE {where}{extra}"
            )
        return parts

    def _by_source(self, source: str | None, column: str, params: dict[str, Any]) -> list[str]:
        """The SQL condition `<column> = :source` for a known source (else BadInput); none
        without a source. `column` is a summary's or a mention's source ("x.source")."""
        if source is None:
            return []
        params["source"] = self._known_source(source)
        return [f"{column} = :source"]

    def _known_source(self, source: str) -> str:
        """A source name as given, when it is a spider's or stored articles'; else BadInput."""
        from cppcc_watch.sites import SITES

        if source in SITES:
            return source
        if self._all("SELECT 1 FROM articles WHERE source = :s LIMIT 1", {"s": source}):
            return source
        raise BadInput(f"unknown source {source!r}: use one of {', '.join(SITES)}")

    def trend(
        self,
        name: str,
        *,
        kind: str | None = None,
        by: str = "month",
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
    ) -> list[TrendPoint]:
        """Articles mentioning an entity or theme per month or week, every period listed.

        Periods run from `since` (or the first article) to `until` (or the last); weeks are
        labelled by their Monday (YYYY-MM-DD). `source` counts one spider's articles only.
        """
        if by not in TREND_PERIODS:
            raise BadInput(f"cannot count by {by!r}: use month or week")
        ref = self.resolve(name, kind)
        dates = DateRange.parse(since, until)
        params: dict[str, Any] = {}
        sources = self._by_source(source, "source", params)
        if by == "month":
            counts = self._monthly(ref, dates, params, sources)
        else:
            counts = self._weekly(ref, dates, params, sources)
        if not counts:
            return []
        return [TrendPoint(p, counts.get(p, 0)) for p in _periods(by, dates, sorted(counts))]

    def _monthly(
        self, ref: EntityRef, dates: DateRange, params: dict[str, Any], conditions: list[str]
    ) -> dict[str, int]:
        """Articles per month: summary rows for whole months, mentions for partial ones.

        `conditions` are more SQL conditions (the source), their values in `params`.
        """
        if not ref.ids:
            return {}
        extra = _and(conditions)
        ids, id_params = _in(ref.ids)
        params.update(id_params)
        months, edges = dates.split_months()
        parts = []
        if months is not None:
            params.update(month_low=months[0], month_high=months[1])
            parts.append(
                "SELECT month AS period, articles AS n FROM entity_months WHERE entity_id IN"
                f" ({ids}) AND month > '' AND month >= :month_low AND month < :month_high{extra}"
            )
        for number, edge in enumerate(edges):
            where = " AND ".join(edge.where("published_at", params, f"_{number}"))
            parts.append(
                "SELECT substr(published_at, 1, 7) AS period, 1 AS n FROM mentions"
                f" WHERE entity_id IN ({ids}) AND {where}{extra}"
            )
        sql = f"SELECT period, sum(n) FROM ({' UNION ALL '.join(parts)}) GROUP BY 1"
        return {row[0]: int(row[1]) for row in self._rows(sql, params) if row[1]}

    def _weekly(
        self, ref: EntityRef, dates: DateRange, params: dict[str, Any], conditions: list[str]
    ) -> dict[str, int]:
        """Articles per week (by Monday), from the first to the last week with a mention."""
        span = self._span(ref, dates, dict(params), conditions)
        if span is None:
            return {}
        ids, id_params = _in(ref.ids)
        params.update(id_params)
        params.update(
            first=_monday(span[0]),
            last=_monday(span[1]),
            low=dates.start.isoformat() if dates.start else "",
            high=dates.end.isoformat() if dates.end else "~",
        )
        # One index range count per week: cheaper than grouping every mention by its day.
        sql = (
            "WITH RECURSIVE weeks(week) AS (SELECT :first UNION ALL"
            " SELECT date(week, '+7 days') FROM weeks WHERE week < :last)"
            " SELECT week, (SELECT count(*) FROM mentions WHERE entity_id IN"
            f" ({ids}) AND published_at >= max(week, :low)"
            f" AND published_at < min(date(week, '+7 days'), :high){_and(conditions)})"
            " FROM weeks"
        )
        return {week: int(count) for week, count in self._rows(sql, params) if count}

    def _span(
        self, ref: EntityRef, dates: DateRange, params: dict[str, Any], conditions: list[str]
    ) -> tuple[date, date] | None:
        """The dates of the first and last mention of the entity in the range, if any."""
        where = [
            "entity_id = :entity",
            "published_at > ''",
            *dates.where("published_at", params),
            *conditions,
        ]
        found: list[date] = []
        for entity_id in ref.ids:
            params["entity"] = entity_id
            for order in ("ASC", "DESC"):
                sql = (
                    f"SELECT substr(published_at, 1, 10) FROM mentions{_where(where)}"
                    f" ORDER BY published_at {order} LIMIT 1"
                )
                for (day,) in self._rows(sql, params):
                    try:
                        found.append(date.fromisoformat(day))
                    except ValueError:
                        continue  # a malformed date cannot be placed in a week
        return (min(found), max(found)) if found else None

    def cooccur(
        self,
        name: str,
        *,
        kind: str | None = None,
        with_kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
        top: int | None = 20,
        source: str | None = None,
    ) -> list[Cooccurrence]:
        """Entities mentioned in the same articles as `name`, by number of shared articles.

        `share` is the fraction of `name`'s articles (in the date range, of `source` when
        given) that also mention the other entity. The work grows with the number of `name`'s
        articles (about 3 µs each): an entity in hundreds of thousands of articles takes a
        second or more unless a date range or a source narrows it.
        """
        if with_kind is not None and with_kind not in ENTITY_KINDS:
            raise BadInput(f"unknown kind {with_kind!r}: use one of {', '.join(ENTITY_KINDS)}")
        ref = self.resolve(name, kind)
        dates = DateRange.parse(since, until)
        ids, params = _in(ref.ids, "x")
        by_source = self._by_source(source, "x.source", params)
        if not ref.ids:
            return []
        where = [f"x.entity_id IN ({ids})", *dates.where("x.published_at", params), *by_source]
        total = int(self._all(f"SELECT count(*) FROM mentions x{_where(where)}", params)[0][0])
        where.append(f"o.entity_id NOT IN ({ids})")
        if with_kind:
            params["kind"] = with_kind
            # "+": a filter on each row, not one index look-up per entity of the kind.
            where.append("+o.entity_id IN (SELECT id FROM entities WHERE kind = :kind)")
        # Shared articles only: the other entity's mention count would cost a table read per row.
        sql = (
            "SELECT e.id, e.kind, e.name, e.acronym, e.province, c.articles FROM ("
            "SELECT o.entity_id, count(*) AS articles"
            f" FROM mentions x CROSS JOIN mentions o ON o.article_id = x.article_id{_where(where)}"
            f" GROUP BY o.entity_id ORDER BY articles DESC, o.entity_id{_limit(top, params)}"
            ") c JOIN entities e ON e.id = c.entity_id ORDER BY c.articles DESC, e.name"
        )
        return [
            Cooccurrence(
                row.id,
                row.kind,
                row.name,
                row.acronym,
                row.province,
                row.articles,
                round(row.articles / total, 4) if total else 0.0,
            )
            for row in self._rows(sql, params)
        ]

    def shared_articles(
        self,
        rows: Sequence[int],
        columns: Sequence[int],
        *,
        since: str | None = None,
        until: str | None = None,
        source: str | None = None,
    ) -> list[list[int]]:
        """For every pair of entity ids (one of `rows`, one of `columns`): the articles in the
        date range (and source) that mention both, as a rows x columns table of counts.

        Each entity's articles are read once from the mentions index, as a bit set of article
        ids; a count is then the size of an intersection. This stays fast, and reads the disk in
        order, where one `cooccur` per row would look up every article of every row.
        """
        dates = DateRange.parse(since, until)
        params: dict[str, Any] = {}
        where = ["entity_id = :entity", *dates.where("published_at", params)]
        where += self._by_source(source, "source", params)
        sql = f"SELECT article_id FROM mentions{_where(where)}"

        def articles_of(entity_id: int, size: int) -> int:
            bits = bytearray(size)
            for (article_id,) in self._rows(sql, {**params, "entity": entity_id}):
                bits[article_id >> 3] |= 1 << (article_id & 7)
            return int.from_bytes(bits, "little")

        table = [[0] * len(columns) for _ in rows]
        with self._snapshot():  # no article stored meanwhile can fall outside the bit sets
            size = int(self._all("SELECT coalesce(max(id), 0) FROM articles")[0][0]) // 8 + 1
            row_sets = [articles_of(entity_id, size) for entity_id in rows]
            for j, entity_id in enumerate(columns):
                column = articles_of(entity_id, size)
                for i, row in enumerate(row_sets):
                    table[i][j] = (row & column).bit_count()
        return table

    # -- totals and single articles ------------------------------------------------------------

    def source_totals(
        self, *, source: str | None = None, since: str | None = None, until: str | None = None
    ) -> list[SourceTotal]:
        """Articles per source published in a date range (dated articles only when bounded)."""
        params: dict[str, Any] = {}
        where = ["source = :source", *DateRange.parse(since, until).where("published_at", params)]
        sources = [self._known_source(source)] if source else self._sources()
        # One range of the (source, published_at) index per source: counted without reading
        # a single article row.
        sql = f"SELECT count(*), min(published_at), max(published_at) FROM articles{_where(where)}"
        totals = []
        for name in sources:
            [(count, first, last)] = self._all(sql, {**params, "source": name})
            if count:
                totals.append(SourceTotal(name, int(count), first, last))
        return sorted(totals, key=lambda total: (-total.articles, total.source))

    def _sources(self) -> list[str]:
        """The sources of the stored articles, each found by one index seek."""
        sql = (
            "WITH RECURSIVE sources(name) AS (SELECT min(source) FROM articles"
            " UNION ALL SELECT (SELECT min(source) FROM articles WHERE source > name)"
            " FROM sources WHERE name IS NOT NULL) SELECT name FROM sources WHERE name IS NOT NULL"
        )
        return [row[0] for row in self._rows(sql)]

    def entities_of(self, article_ids: Sequence[int]) -> dict[int, list[ArticleEntity]]:
        """The entities each article mentions, by kind then most mentioned first."""
        found: dict[int, list[ArticleEntity]] = {article_id: [] for article_id in article_ids}
        if not found:
            return found
        ids, params = _in(list(found))
        sql = (
            "SELECT m.article_id, e.kind, e.name, e.acronym, e.province, m.count, m.focus"
            f" FROM mentions m JOIN entities e ON e.id = m.entity_id WHERE m.article_id IN ({ids})"
            " ORDER BY m.article_id, e.kind, m.focus DESC, m.count DESC, e.name"
        )
        for row in self._rows(sql, params):
            article_id, kind, name, acronym, province, count, focus = row
            found[article_id].append(
                ArticleEntity(kind, name, acronym, province, count, bool(focus))
            )
        return found

    # -- crawl log and SQL ------------------------------------------------------------------------

    def runs(self, *, spider: str | None = None, limit: int | None = 20) -> list[dict[str, Any]]:
        """The crawl log, newest first, as plain dicts of `crawl_runs` columns."""
        return self.store.runs(limit=limit, spider=spider)

    def sql(self, statement: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Rows of one read-only SQL statement, as dicts (streamed).

        Statements that write (or attach other files, or change settings) are refused with
        BadInput; the database is never changed.
        """
        if not statement.strip():
            raise BadInput("no SQL statement given")
        raw = self.store.connection.connection.driver_connection
        if isinstance(raw, sqlite3.Connection):
            raw.set_authorizer(_read_only_authorizer)
        try:
            cursor = raw.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(statement, params or {})
            except sqlite3.DatabaseError as error:
                raise BadInput(_sql_error(error)) from error
            except sqlite3.ProgrammingError as error:
                raise BadInput(f"SQL error: {error}") from error
            columns = [item[0] for item in cursor.description or ()]
            for row in cursor:
                yield dict(zip(columns, row, strict=True))
        finally:
            if isinstance(raw, sqlite3.Connection):
                raw.set_authorizer(None)


_ARTICLE_FIELDS = "a.id, a.published_at, a.source, a.section, a.title, a.url"


def fts_query(text: str) -> str:
    """An FTS5 query for the user's search text.

    Plain words become quoted terms, all required (so "Xi'an" or "COVID-19" cannot be a syntax
    error); text using FTS5 syntax ("a phrase", OR, NOT, NEAR, prefix*) is passed as written.
    """
    if _FTS_OPERATORS.search(text):
        return text
    terms = [word.replace('"', "") for word in text.split()]
    return " ".join(f'"{term}"' for term in terms if term)


def _read_only_authorizer(action: int, arg1: Any, arg2: Any, _db: Any, _trigger: Any) -> int:
    """SQLite authorizer for `Query.sql`: reading only (no writes, ATTACH or pragma changes)."""
    reading = {
        sqlite3.SQLITE_SELECT,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_FUNCTION,
        sqlite3.SQLITE_RECURSIVE,
    }
    if action in reading:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg2 is None or arg1 in _SCHEMA_PRAGMAS):
        return sqlite3.SQLITE_OK  # reading a setting, or describing the schema
    return sqlite3.SQLITE_DENY


_SCHEMA_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
    }
)


def _sql_error(error: sqlite3.DatabaseError) -> str:
    message = str(error)
    if "not authorized" in message or "readonly" in message or "query_only" in message:
        return (
            "the sql command is read-only: this statement would change the database or its "
            "settings, so it was refused (nothing was changed)"
        )
    return f"SQL error: {message}"


def _in(values: Sequence[Any], prefix: str = "v") -> tuple[str, dict[str, Any]]:
    """Placeholders for `IN (...)` and their parameters, named `prefix` + a number."""
    params = {f"{prefix}{number}": value for number, value in enumerate(values)}
    return ", ".join(f":{name}" for name in params), params


def _and(conditions: list[str]) -> str:
    """Conditions to append to a WHERE clause (" AND a AND b"), or ""."""
    return "".join(f" AND {condition}" for condition in conditions)


def _where(conditions: list[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _limit(limit: int | None, params: dict[str, Any]) -> str:
    if limit is None:
        return ""
    params["limit"] = int(limit)
    return " LIMIT :limit"


def _short(dates: DateRange) -> bool:
    """Whether a date range is bounded and at most about a year long."""
    return bool(dates.start and dates.end and (dates.end - dates.start).days <= 400)


def _monday(day: date) -> str:
    return (day - timedelta(days=day.weekday())).isoformat()


def _periods(by: str, dates: DateRange, found: list[str]) -> list[str]:
    """Every month (YYYY-MM) or week (Monday) from the range's start, or the first found
    period, to its end, or the last found period."""
    if by == "month":
        first = dates.start.replace(day=1) if dates.start else date.fromisoformat(found[0] + "-01")
        last = (
            (dates.end - timedelta(days=1)).replace(day=1)
            if dates.end
            else date.fromisoformat(found[-1] + "-01")
        )
        months, current = [], first
        while current <= last:
            months.append(current.strftime("%Y-%m"))
            current = _next_month(current)
        return months
    start = (
        date.fromisoformat(_monday(dates.start)) if dates.start else date.fromisoformat(found[0])
    )
    end = (
        date.fromisoformat(_monday(dates.end - timedelta(days=1)))
        if dates.end
        else date.fromisoformat(found[-1])
    )
    weeks = []
    while start <= end:
        weeks.append(start.isoformat())
        start += timedelta(days=7)
    return weeks


__all__ = [
    "ArticleResult",
    "Cooccurrence",
    "DateRange",
    "EntityCount",
    "EntityRef",
    "Query",
    "TrendPoint",
    "fts_query",
    "period_bounds",
    "records",
]

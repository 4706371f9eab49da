"""Counts: top entities, trends, co-occurrence, shared articles, per-source totals, and the
entities of given articles.

Top lists and monthly timelines read the `entity_months` summary for whole months and
`mentions` by date for the partial months at the ends of a range. Both carry the article's
source, so counts of one source (`source="chinadaily"`) take the same paths, and the summary
counts the articles each entity is the focus of (`EntityCount.focus_articles`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from cppcc_watch.errors import BadInput
from cppcc_watch.query.dates import DateRange, monday
from cppcc_watch.query.names import Names, check_kind
from cppcc_watch.query.results import (
    ArticleEntity,
    Cooccurrence,
    EntityCount,
    EntityRef,
    SourceTotal,
    TrendPoint,
)
from cppcc_watch.store.dialects import add_days, ordered_join, unindexed
from cppcc_watch.store.schema import ARTICLES, ENTITIES, ENTITY_MONTHS, MENTIONS

TREND_PERIODS = ("month", "week")
#: What every count result says of its entity (EntityCount and Cooccurrence lead with these).
_ENTITY_FIELDS = (
    ENTITIES.c.id,
    ENTITIES.c.kind,
    ENTITIES.c.name,
    ENTITIES.c.acronym,
    ENTITIES.c.province,
)


class Counts(Names):
    """The counting queries of `Query`."""

    # -- top entities ----------------------------------------------------------------------------

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
        check_kind(kind)
        if by not in ("articles", "mentions"):
            raise BadInput(f"cannot order by {by!r}: use articles or mentions")
        dates = DateRange.parse(since, until)
        known_source = self._known_source(source) if source is not None else None
        parts = _count_parts(dates, kind, known_source)
        counts = union_all(*parts).subquery("c") if len(parts) > 1 else parts[0].subquery("c")
        articles = func.sum(counts.c.articles).label("articles")
        mentions = func.sum(counts.c.mentions).label("mentions")
        first, second = (articles, mentions) if by == "articles" else (mentions, articles)
        statement = (
            select(
                *_ENTITY_FIELDS,
                articles,
                mentions,
                func.sum(counts.c.focus).label("focus_articles"),
            )
            .select_from(counts.join(ENTITIES, ENTITIES.c.id == counts.c.entity_id))
            .group_by(
                *_ENTITY_FIELDS,
            )
            .order_by(first.desc(), second.desc(), ENTITIES.c.name)
            .limit(top)
        )
        return [
            EntityCount(
                row.id,
                row.kind,
                row.name,
                row.acronym,
                row.province,
                int(row.articles),
                int(row.mentions),
                int(row.focus_articles),
            )
            for row in self._rows(statement)
        ]

    # -- trends ----------------------------------------------------------------------------------

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
        known_source = self._known_source(source) if source is not None else None
        if not ref.ids:
            return []
        if by == "month":
            counts = self._monthly(ref, dates, known_source)
        else:
            counts = self._weekly(ref, dates, known_source)
        if not counts:
            return []
        return [TrendPoint(p, counts.get(p, 0)) for p in dates.periods(by, sorted(counts))]

    def _monthly(self, ref: EntityRef, dates: DateRange, source: str | None) -> dict[str, int]:
        """Articles per month: summary rows for whole months, mentions for partial ones."""
        months, edges = dates.split_months()
        parts: list[Select[Any]] = []
        if months is not None:
            parts.append(
                select(
                    ENTITY_MONTHS.c.month.label("period"), ENTITY_MONTHS.c.articles.label("n")
                ).where(
                    ENTITY_MONTHS.c.entity_id.in_(ref.ids),
                    ENTITY_MONTHS.c.month > "",
                    ENTITY_MONTHS.c.month >= months[0],
                    ENTITY_MONTHS.c.month < months[1],
                    *_of_source(ENTITY_MONTHS.c.source, source),
                )
            )
        for edge in edges:
            parts.append(
                select(
                    func.substr(MENTIONS.c.published_at, 1, 7).label("period"),
                    literal(1, Integer).label("n"),
                ).where(
                    MENTIONS.c.entity_id.in_(ref.ids),
                    *edge.conditions(MENTIONS.c.published_at),
                    *_of_source(MENTIONS.c.source, source),
                )
            )
        counts = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        statement = select(counts.c.period, func.sum(counts.c.n)).group_by(counts.c.period)
        return {period: int(n) for period, n in self._rows(statement) if n}

    def _weekly(self, ref: EntityRef, dates: DateRange, source: str | None) -> dict[str, int]:
        """Articles per week (by Monday), from the first to the last week with a mention."""
        span = self._span(ref, dates, source)
        if span is None:
            return {}
        first, last = monday(span[0]).isoformat(), monday(span[1]).isoformat()
        seed = select(cast(literal(first), Text).label("week")).cte("weeks", recursive=True)
        weeks = seed.union_all(select(add_days(seed.c.week, 7)).where(seed.c.week < last))
        # One index range count per week: cheaper than grouping every mention by its day.
        count = (
            select(func.count())
            .where(
                MENTIONS.c.entity_id.in_(ref.ids),
                MENTIONS.c.published_at >= weeks.c.week,
                MENTIONS.c.published_at < add_days(weeks.c.week, 7),
                *dates.conditions(MENTIONS.c.published_at),
                *_of_source(MENTIONS.c.source, source),
            )
            .scalar_subquery()
        )
        statement = select(weeks.c.week, count)
        return {week: int(n) for week, n in self._rows(statement) if n}

    def _span(
        self, ref: EntityRef, dates: DateRange, source: str | None
    ) -> tuple[date, date] | None:
        """The dates of the first and last mention of the entity in the range, if any."""
        found: list[date] = []
        for entity_id in ref.ids:
            for order in (MENTIONS.c.published_at.asc(), MENTIONS.c.published_at.desc()):
                statement = (
                    select(func.substr(MENTIONS.c.published_at, 1, 10))
                    .where(
                        MENTIONS.c.entity_id == entity_id,
                        MENTIONS.c.published_at > "",
                        *dates.conditions(MENTIONS.c.published_at),
                        *_of_source(MENTIONS.c.source, source),
                    )
                    .order_by(order)
                    .limit(1)
                )
                for (day,) in self._rows(statement):
                    try:
                        found.append(date.fromisoformat(day))
                    except ValueError:
                        continue  # a malformed date cannot be placed in a week
        return (min(found), max(found)) if found else None

    # -- co-occurrence -----------------------------------------------------------------------

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
        check_kind(with_kind)
        ref = self.resolve(name, kind)
        dates = DateRange.parse(since, until)
        known_source = self._known_source(source) if source is not None else None
        if not ref.ids:
            return []
        x, o = _OF_NAME, _OTHER
        where = [
            x.c.entity_id.in_(ref.ids),
            *dates.conditions(x.c.published_at),
            *_of_source(x.c.source, known_source),
        ]
        total = int(self._scalar(select(func.count()).select_from(x).where(*where)))
        where.append(o.c.entity_id.not_in(ref.ids))
        if with_kind:
            # A filter on each row, not one index look-up per entity of the kind.
            kind_ids = select(ENTITIES.c.id).where(ENTITIES.c.kind == with_kind)
            where.append(unindexed(o.c.entity_id).in_(kind_ids))
        # Shared articles only: the other entity's mention count would cost a table read per row.
        shared = func.count().label("articles")
        counts = (
            select(o.c.entity_id, shared)
            .select_from(ordered_join(x, o, o.c.article_id == x.c.article_id))
            .where(*where)
            .group_by(o.c.entity_id)
            .order_by(shared.desc(), o.c.entity_id)
            .limit(top)
            .subquery("c")
        )
        statement = (
            select(
                *_ENTITY_FIELDS,
                counts.c.articles,
            )
            .select_from(counts.join(ENTITIES, ENTITIES.c.id == counts.c.entity_id))
            .order_by(counts.c.articles.desc(), ENTITIES.c.name)
        )
        return [
            Cooccurrence(
                row.id,
                row.kind,
                row.name,
                row.acronym,
                row.province,
                int(row.articles),
                round(row.articles / total, 4) if total else 0.0,
            )
            for row in self._rows(statement)
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
        known_source = self._known_source(source) if source is not None else None
        where = [
            *dates.conditions(MENTIONS.c.published_at),
            *_of_source(MENTIONS.c.source, known_source),
        ]

        def articles_of(entity_id: int, last: int) -> int:
            bits = bytearray(last // 8 + 1)
            statement = select(MENTIONS.c.article_id).where(
                MENTIONS.c.entity_id == entity_id, MENTIONS.c.article_id <= last, *where
            )
            for (article_id,) in self._rows(statement):
                bits[article_id >> 3] |= 1 << (article_id & 7)
            return int.from_bytes(bits, "little")

        table = [[0] * len(columns) for _ in rows]
        # One snapshot on SQLite; elsewhere articles stored meanwhile (ids past `last`) are
        # left out, so that every bit set counts the same articles.
        with self._snapshot():
            last = int(self._scalar(select(func.coalesce(func.max(ARTICLES.c.id), 0))))
            row_sets = [articles_of(entity_id, last) for entity_id in rows]
            for j, entity_id in enumerate(columns):
                column = articles_of(entity_id, last)
                for i, row in enumerate(row_sets):
                    table[i][j] = (row & column).bit_count()
        return table

    # -- totals and single articles ------------------------------------------------------------

    def source_totals(
        self, *, source: str | None = None, since: str | None = None, until: str | None = None
    ) -> list[SourceTotal]:
        """Articles per source published in a date range (dated articles only when bounded)."""
        dates = DateRange.parse(since, until)
        sources = [self._known_source(source)] if source else self._sources()
        totals = []
        for name in sources:
            # One range of the (source, published_at) index per source: counted without reading
            # a single article row.
            statement = select(
                func.count(), func.min(ARTICLES.c.published_at), func.max(ARTICLES.c.published_at)
            ).where(ARTICLES.c.source == name, *dates.conditions(ARTICLES.c.published_at))
            [(count, first, last)] = self._all(statement)
            if count:
                totals.append(SourceTotal(name, int(count), first, last))
        return sorted(totals, key=lambda total: (-total.articles, total.source))

    def _sources(self) -> list[str]:
        """The sources of the stored articles, each found by one index seek."""
        start = select(func.min(ARTICLES.c.source).label("name")).cte("sources", recursive=True)
        after = (
            select(func.min(ARTICLES.c.source))
            .where(ARTICLES.c.source > start.c.name)
            .scalar_subquery()
        )
        sources = start.union_all(select(after).where(start.c.name.is_not(None)))
        statement = select(sources.c.name).where(sources.c.name.is_not(None))
        return [row[0] for row in self._rows(statement)]

    def entities_of(self, article_ids: Sequence[int]) -> dict[int, list[ArticleEntity]]:
        """The entities each article mentions, by kind then most mentioned first."""
        found: dict[int, list[ArticleEntity]] = {article_id: [] for article_id in article_ids}
        if not found:
            return found
        statement = (
            select(
                MENTIONS.c.article_id,
                ENTITIES.c.kind,
                ENTITIES.c.name,
                ENTITIES.c.acronym,
                ENTITIES.c.province,
                MENTIONS.c.count,
                MENTIONS.c.focus,
            )
            .select_from(MENTIONS.join(ENTITIES, ENTITIES.c.id == MENTIONS.c.entity_id))
            .where(MENTIONS.c.article_id.in_(list(found)))
            .order_by(
                MENTIONS.c.article_id,
                ENTITIES.c.kind,
                MENTIONS.c.focus.desc(),
                MENTIONS.c.count.desc(),
                ENTITIES.c.name,
            )
        )
        for article_id, kind, name, acronym, province, count, focus in self._rows(statement):
            found[article_id].append(
                ArticleEntity(kind, name, acronym, province, count, bool(focus))
            )
        return found


# Built once: an alias costs more to build than a small statement takes to run.
_OF_NAME, _OTHER = MENTIONS.alias("x"), MENTIONS.alias("o")


def _of_source(column: ColumnElement[Any], source: str | None) -> list[ColumnElement[bool]]:
    """`column = source` when a source is given (already checked to be known)."""
    return [] if source is None else [column == source]


def _count_parts(dates: DateRange, kind: str | None, source: str | None) -> list[Select[Any]]:
    """SELECTs of (entity_id, articles, mentions, focus) whose union covers the date range."""
    months, edges = dates.split_months()
    parts = []
    if months is not None:
        lower = (
            [ENTITY_MONTHS.c.month > "", ENTITY_MONTHS.c.month >= months[0]]
            if dates.bounded
            else []
        )
        parts.append(
            select(
                ENTITY_MONTHS.c.entity_id,
                ENTITY_MONTHS.c.articles,
                ENTITY_MONTHS.c.mentions,
                ENTITY_MONTHS.c.focus_articles.label("focus"),
            ).where(
                *lower,
                ENTITY_MONTHS.c.month < months[1],
                *_of_source(ENTITY_MONTHS.c.source, source),
                *_of_kind(ENTITY_MONTHS.c.entity_id, kind),
            )
        )
    for edge in edges:
        parts.append(
            select(
                MENTIONS.c.entity_id,
                literal(1, Integer).label("articles"),
                MENTIONS.c.count.label("mentions"),
                case((MENTIONS.c.focus, 1), else_=0).label("focus"),
            ).where(
                *edge.conditions(MENTIONS.c.published_at),
                *_of_source(MENTIONS.c.source, source),
                *_of_kind(MENTIONS.c.entity_id, kind),
            )
        )
    return parts


def _of_kind(entity_id: ColumnElement[Any], kind: str | None) -> list[ColumnElement[bool]]:
    if kind is None:
        return []
    return [entity_id.in_(select(ENTITIES.c.id).where(ENTITIES.c.kind == kind))]

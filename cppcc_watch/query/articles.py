"""Article lists: by date, by the entities they mention, and full-text search.

Article lists walk an index newest-first (`mentions(entity_id, published_at, ...)` for an
entity, driven by the rarest filter, or `articles(published_at)`), so that a limit stops them
early; a search ranks the newest matches (see `Articles.articles`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.sql.elements import ColumnElement

from cppcc_watch.query.dates import DateRange
from cppcc_watch.query.names import Names
from cppcc_watch.query.results import ArticleResult, EntityRef
from cppcc_watch.store.dialects import SearchRequest, ordered_join, unindexed
from cppcc_watch.store.schema import ARTICLES, MENTIONS

#: Rows counted, at most, to pick the most selective entity filter.
SELECTIVITY_PROBE = 5_000
#: A search ranks at most this many matches: the most recently stored ones (see `articles`).
SEARCH_DEPTH = 20_000
ARTICLE_FIELDS = (
    ARTICLES.c.id,
    ARTICLES.c.published_at,
    ARTICLES.c.source,
    ARTICLES.c.section,
    ARTICLES.c.title,
    ARTICLES.c.url,
)


class Articles(Names):
    """The `articles` query of `Query`."""

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
        over titles and bodies (words, all required; or the FTS5 syntax: "a phrase", OR, NOT,
        x*), ranked (BM25 on SQLite, ts_rank_cd on PostgreSQL). A search matching more than
        SEARCH_DEPTH (20,000) articles ranks the 20,000 most recently stored of them, which
        keeps it fast on millions of articles.
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
            statement = self.dialect.search(
                SearchRequest(
                    search,
                    ARTICLE_FIELDS,
                    [ref.ids for ref in refs],
                    dates.start,
                    dates.end,
                    source,
                    limit,
                    SEARCH_DEPTH,
                )
            )
            return self._results(statement, bad_input="bad search expression")
        if refs:
            return self._by_entity(refs, source, dates, limit)
        return self._by_date(source, dates, limit)

    def _results(self, statement: Select[Any], bad_input: str | None = None) -> Iterator[Any]:
        return (ArticleResult(*row) for row in self._rows(statement, bad_input=bad_input))

    def _by_date(self, source: str | None, dates: DateRange, limit: int | None) -> Iterator[Any]:
        statement = select(*ARTICLE_FIELDS)
        if source:
            # Walk the dates index newest first and stop at the limit, rather than collect
            # and sort every article of the source.
            statement = statement.where(unindexed(ARTICLES.c.source) == source)
        return self._newest_first(statement, ARTICLES.c.published_at, ARTICLES.c.id, dates, limit)

    def _by_entity(
        self, refs: list[EntityRef], source: str | None, dates: DateRange, limit: int | None
    ) -> Iterator[Any]:
        if len(refs) > 1:
            refs = sorted(refs, key=self._frequency)
        mention = _MENTION
        where: list[ColumnElement[bool]] = [mention.c.entity_id.in_(refs[0].ids)]
        for ref in refs[1:]:
            other = _ALSO
            also = select(other.c.article_id).where(
                other.c.article_id == mention.c.article_id, other.c.entity_id.in_(ref.ids)
            )
            where.append(also.exists())  # the primary key index alone answers it
        if source:
            where.append(ARTICLES.c.source == source)
        # Read in this order, SQLite stays on the mentions index, newest first, with no sort.
        statement = (
            select(*ARTICLE_FIELDS)
            .select_from(ordered_join(mention, ARTICLES, ARTICLES.c.id == mention.c.article_id))
            .where(*where)
        )
        return self._newest_first(
            statement, mention.c.published_at, mention.c.article_id, dates, limit
        )

    def _newest_first(
        self,
        statement: Select[Any],
        published_at: ColumnElement[Any],
        article_id: ColumnElement[Any],
        dates: DateRange,
        limit: int | None,
    ) -> Iterator[Any]:
        """The statement's articles by `published_at`, newest first, then the undated ones
        (newest stored first), at most `limit`.

        Two statements, each an index walk in the index's order: one ORDER BY with undated
        articles last would make PostgreSQL sort (its indexes put NULL first going down).
        """
        dated = (
            statement.where(published_at.is_not(None), *dates.conditions(published_at))
            .order_by(published_at.desc(), article_id.desc())
            .limit(limit)
        )
        with self._snapshot():
            count = 0
            for row in self._rows(dated):
                count += 1
                yield ArticleResult(*row)
            if dates.bounded or (limit is not None and count >= limit):
                return
            undated = (
                statement.where(published_at.is_(None))
                .order_by(article_id.desc())
                .limit(None if limit is None else limit - count)
            )
            yield from (ArticleResult(*row) for row in self._rows(undated))

    def _frequency(self, ref: EntityRef) -> int:
        """How many articles mention the entity, counted up to SELECTIVITY_PROBE."""
        return int(self._scalar(_FREQUENCY, ids=list(ref.ids)))


# Built once (aliases and subqueries cost more to build than small statements take to run).
_MENTION, _ALSO = MENTIONS.alias("m"), MENTIONS.alias("f")
_FREQUENCY = select(func.count()).select_from(
    select(MENTIONS.c.article_id)
    .where(MENTIONS.c.entity_id.in_(bindparam("ids", expanding=True)))
    .limit(SELECTIVITY_PROBE)
    .subquery()
)

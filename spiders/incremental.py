"""Spider middleware that knows which articles are stored, so that the spiders only choose links.

A spider yields a request for every article a listing page links (marked with the article's
canonical URL, `events.ARTICLE`) and for the listing's next page. This middleware, for each
response's output at once:

- drops the requests for articles stored already (under their URL or an alias, a URL that
  redirected to them) or requested already in this run, and stops scheduling new articles after
  CPPCC_WATCH_MAX_ARTICLES of them;
- with CPPCC_WATCH_RECHECK_DAYS = N > 0, lets through (after the new ones, at a lower priority)
  the requests for stored articles published within the last N days, once per run, so that a
  correction is stored as a new version;
- drops the next listing page when the page linked nothing new: a listing walk ends at the first
  page without a new article (rechecks never extend it), unless the spider's previous run was
  interrupted or failed, when every listing is walked to its end to finish that run's work.

It also remembers the URLs that redirected to an article's first page, and records them as the
article's aliases once the article is stored (the next run then knows the listed URL).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from cppcc_watch.config import CrawlConfig
from cppcc_watch.store.articles import KnownArticle
from cppcc_watch.store.runs import last_status

from .base import NewsSpider
from .config import crawl_config
from .events import ARTICLE, KIND, stat
from .storage import StoreExtension

logger = logging.getLogger(__name__)

# how the previous run ended when this one must finish its work (walk listings to the end)
CATCH_UP = ("interrupted", "failed")
# the sources' offset, assumed for a stored time that carries none
SOURCE_TZ = timezone(timedelta(hours=8))


def published_within(published_at: str | None, days: float, now: datetime) -> bool:
    """Whether an ISO 8601 publication time lies within `days` days before `now` (or after it).

    A time without an offset is read in the sources' +08:00; a missing or unreadable time, or
    `days` <= 0, is never within.
    """
    if not published_at or days <= 0:
        return False
    try:
        when = datetime.fromisoformat(published_at)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=SOURCE_TZ)
    return when >= now - timedelta(days=days)


class IncrementalMiddleware:
    """Filters the spider's requests by what the database holds (see the module docstring)."""

    def __init__(self, crawler: Crawler, config: CrawlConfig, storage: StoreExtension) -> None:
        self.crawler = crawler
        self.config = config
        self.storage = storage
        self.scheduled: set[str] = set()  # canonical URLs of the articles requested in this run
        self.new_requested = 0
        self.catch_up = False
        self.redirected_from: dict[str, set[str]] = {}  # article URL -> URLs that led to it

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        """Build the middleware with the crawl's config and database."""
        middleware = cls(crawler, crawl_config(crawler), StoreExtension.of(crawler))
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        return middleware

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Learn how the spider's previous run ended, then pass the start requests on."""
        spider = self.crawler.spider
        assert spider is not None
        previous = last_status(self.storage.store, spider.name)
        self.catch_up = previous in CATCH_UP
        if self.catch_up:
            logger.info("the previous run %s: walking every listing to the end", previous)
        async for request in start:
            yield request

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        """Filter the requests of one response's output (see the module docstring)."""
        yield from self._filter(response, list(result))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        """The same, for an asynchronous output."""
        for output in self._filter(response, [o async for o in result]):
            yield output

    def _filter(self, response: Response, outputs: list[Any]) -> Iterator[Any]:
        self._note_redirects(response)
        articles = [o for o in outputs if isinstance(o, Request) and ARTICLE in o.meta]
        if not articles:
            yield from outputs
            return
        yield from (o for o in outputs if not isinstance(o, Request))
        known = self.storage.store.known_articles(r.meta[ARTICLE] for r in articles)
        fresh = False
        for request in articles:
            canonical = request.meta[ARTICLE]
            if canonical in known or canonical in self.scheduled:
                continue
            if self.config.max_articles and self.new_requested >= self.config.max_articles:
                return  # enough new articles: no recheck, no further listing page either
            fresh = True
            self.new_requested += 1
            yield self._scheduled(request, canonical)
        yield from self._rechecks(articles, known)
        walk_on = fresh or self.catch_up
        for request in outputs:
            if not isinstance(request, Request) or ARTICLE in request.meta:
                continue
            if walk_on or request.meta.get(KIND) != "listing":
                yield request

    def _rechecks(
        self, articles: list[Request], known: dict[str, KnownArticle]
    ) -> Iterator[Request]:
        """The requests for the stored articles published within the recheck window and not
        requested yet in this run, under any of their URLs (lower priority than new articles)."""
        if self.config.recheck_days <= 0:
            return
        now = datetime.now(UTC)
        for request in articles:
            canonical = request.meta[ARTICLE]
            article = known.get(canonical)
            if article is None or canonical in self.scheduled or article.url in self.scheduled:
                continue
            if published_within(article.published_at, self.config.recheck_days, now):
                self.scheduled.add(article.url)
                self.crawler.stats.inc_value(stat("rechecks"))
                yield self._scheduled(request.replace(priority=-1), canonical)

    def _scheduled(self, request: Request, canonical: str) -> Request:
        """Let an article request through: the article counts as requested in this run."""
        self.scheduled.add(canonical)
        self.crawler.stats.inc_value(stat("articles_requested"))
        return request

    def _note_redirects(self, response: Response) -> None:
        """Keep the URLs that redirected (on the site) to an article's first page."""
        spider = self.crawler.spider
        origins = response.meta.get("redirect_urls")
        if ARTICLE not in response.meta or not origins or not isinstance(spider, NewsSpider):
            return
        final = spider.canonical_url(response.url)
        aliases = {spider.canonical_url(url) for url in origins} - {final}
        if aliases:
            self.redirected_from.setdefault(final, set()).update(aliases)

    def item_scraped(self, item: Any) -> None:
        """An article went through every pipeline (it is stored): record its aliases."""
        aliases = self.redirected_from.pop(getattr(item, "url", ""), None)
        if aliases:
            self.storage.store.add_aliases(item.url, aliases)

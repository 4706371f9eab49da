"""What both news spiders share: walk section listings newest first, follow article links
that are not stored yet, stitch multi-page articles, and stop a listing walk at the first page
with nothing new.

With CPPCC_WATCH_RECHECK_DAYS = N > 0, a stored article that a visited listing page links and
that was published within the last N days is requested again (once per run, after the new ones),
so that a correction is stored as a new version. Rechecks never extend the walk: a listing page
whose links are all stored (rechecks or not) ends it, as before, so they cost at most the links
of the pages the walk visits anyway.

Parsing is left to the page objects of `cppcc_watch.sites`; this module only decides what to fetch.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from cppcc_watch.items import Article
from cppcc_watch.sites.common import merge_pages
from cppcc_watch.store.articles import KnownArticle
from cppcc_watch.store.batch import open_shared, release_shared
from cppcc_watch.store.runs import last_status

STAT = "cppcc_watch/{}".format
request_failed = object()  # signal: a request failed for good (args: request, reason)
page_rejected = object()  # signal: a downloaded page could not be used (args: url, reason)
# how the previous run ended when this one must finish its work (walk listings to the end)
CATCH_UP = ("interrupted", "failed")

# Content-Types a page may be served with (besides none at all)
_PAGE_TYPES = frozenset(
    ("text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml")
)
_LISTING_PAGE = re.compile(r"_(\d+)\.html?$")
# the sources' offset, assumed for a stored time that carries none
SOURCE_TZ = timezone(timedelta(hours=8))


def listing_page_number(url: str) -> int:
    """The page number of a listing URL (`news_3.html`, `page_3.html` -> 3; `news.html` -> 1)."""
    match = _LISTING_PAGE.search(urlsplit(url).path)
    return int(match.group(1)) if match else 1


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


def section_name(url: str) -> str:
    """A section's short name from its listing URL (`/china/society/page_1.html` -> society)."""
    path = urlsplit(url).path.rstrip("/")
    parts = [p for p in path.split("/") if p]
    if parts and re.fullmatch(r"page_\d+\.html?", parts[-1]):
        parts = parts[:-1]
    last = parts[-1] if parts else urlsplit(url).netloc
    return _LISTING_PAGE.sub("", last).removesuffix(".html").removesuffix(".htm")


def describe_failure(failure: Failure) -> str:
    """One short human reason for a failed request."""
    host = urlsplit(failure.request.url).hostname if hasattr(failure, "request") else None
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(CannotResolveHostError, DNSLookupError):
        return f"cannot reach {host}: DNS lookup failed"
    if failure.check(DownloadCancelledError):
        return f"download from {host} cancelled: {failure.getErrorMessage()}"[:300]
    if failure.check(DownloadTimeoutError, TimeoutError, TCPTimedOutError):
        return f"cannot reach {host}: timed out"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError):
        return f"cannot reach {host}: connection refused"
    if failure.check(ResponseDataLossError, ConnectionLost, DownloadFailedError):
        return f"download from {host} broke off"
    if failure.check(IgnoreRequest):
        return str(failure.value) or "request ignored"
    message = failure.getErrorMessage().strip().splitlines()
    return f"{failure.type.__name__}: {message[0] if message else ''}".rstrip(": ")


class NewsSpider(scrapy.Spider):
    """Base spider: `site` names the page-object module of `cppcc_watch.sites` it crawls."""

    site: ClassVar[ModuleType]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        """Read the CPPCC_WATCH_* settings the walk depends on."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.allowed_domains = list(cls.site.ALLOWED_DOMAINS)
        sections = settings.getdict("CPPCC_WATCH_SECTIONS")
        spider.start_pages = list(sections.get(cls.name, []))
        spider.max_listing_pages = settings.getint("CPPCC_WATCH_MAX_LISTING_PAGES")
        spider.max_articles = settings.getint("CPPCC_WATCH_MAX_ARTICLES")
        spider.recheck_days = settings.getfloat("CPPCC_WATCH_RECHECK_DAYS")
        spider.db_url = settings.get("CPPCC_WATCH_DB")
        spider.scheduled: set[str] = set()
        spider.new_requested = 0
        spider.pending_aliases: dict[str, set[str]] = {}
        spider.catch_up = False
        crawler.signals.connect(spider._close_store, signal=signals.spider_closed)
        crawler.signals.connect(spider._store_aliases, signal=signals.item_scraped)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Request the first listing page of every configured section (none when another crawl
        of this spider holds the lock: the run log has said so)."""
        if self.crawler.stats.get_value(STAT("busy")):
            return
        self.store = open_shared(self.db_url)  # one connection with the run log and pipeline
        self.store.mark_stale_runs()
        previous = last_status(self.store, self.name)
        self.catch_up = previous in CATCH_UP
        if self.catch_up:
            self.logger.info("the previous run %s: walking every listing to the end", previous)
        for url in self.start_pages:
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section": section_name(url)},
                meta={"cppcc_watch_kind": "listing"},
            )

    def parse_listing(self, response: Response, section: str) -> Any:
        """Follow the listing's article links that are not stored yet, and the stored ones due
        for a recheck, then maybe its next page (only when some link was new)."""
        if not self._usable(response):
            return
        stats = self.crawler.stats
        stats.inc_value(STAT("listing_pages"))
        page = self.site.ListingPage(response.text, response.url, selector=response.selector)
        links = page.article_links()
        stats.inc_value(STAT("links_found"), len(links))
        by_canonical: dict[str, str] = {}
        for link in links:
            by_canonical.setdefault(self.site.canonical_url(link), link)
        known = self.store.known_articles(by_canonical)
        fresh = [
            (canonical, link)
            for canonical, link in by_canonical.items()
            if canonical not in known and canonical not in self.scheduled
        ]
        for canonical, link in fresh:
            if self.max_articles and self.new_requested >= self.max_articles:
                return
            self.new_requested += 1
            yield self._article_request(response, canonical, link, section)
        yield from self._rechecks(response, known, by_canonical, section)
        if listing_page_number(response.url) >= self.max_listing_pages:
            return
        if not fresh and not self.catch_up:
            return
        next_pages = sorted(
            (
                url
                for url in page.next_page_links()
                if listing_page_number(url) > page.current_page()
            ),
            key=listing_page_number,
        )
        if next_pages:
            yield response.follow(
                next_pages[0],
                callback=self.parse_listing,
                errback=self.on_error,
                cb_kwargs={"section": section},
                meta={"cppcc_watch_kind": "listing"},
            )

    def _rechecks(
        self,
        response: Response,
        known: dict[str, KnownArticle],
        by_canonical: dict[str, str],
        section: str,
    ) -> Iterator[scrapy.Request]:
        """Requests for the stored articles of a listing page published within the recheck
        window and not requested yet in this run, under any of their URLs (lower priority than
        new articles)."""
        if self.recheck_days <= 0:
            return
        now = datetime.now(UTC)
        for canonical, article in known.items():
            if canonical in self.scheduled or article.url in self.scheduled:
                continue
            if published_within(article.published_at, self.recheck_days, now):
                self.scheduled.add(article.url)
                self.crawler.stats.inc_value(STAT("rechecks"))
                yield self._article_request(
                    response, canonical, by_canonical[canonical], section, priority=-1
                )

    def _article_request(
        self, response: Response, canonical: str, link: str, section: str, priority: int = 0
    ) -> scrapy.Request:
        """The request for an article's first page; the article counts as scheduled."""
        self.scheduled.add(canonical)
        self.crawler.stats.inc_value(STAT("articles_requested"))
        return response.follow(
            link,
            callback=self.parse_article,
            errback=self.on_error,
            cb_kwargs={"section": section, "parts": {}},
            meta={"cppcc_watch_kind": "article"},
            priority=priority,
        )

    def parse_article(self, response: Response, section: str, parts: dict[int, Article]) -> Any:
        """Parse one page of an article; fetch its remaining pages, then yield the whole article."""
        if not self._usable(response):
            return
        self.crawler.stats.inc_value(STAT("article_pages"))
        page = self.site.ArticlePage(response.text, response.url, selector=response.selector)
        article = page.to_article(source=self.name, section=section)
        article.fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        if not parts:
            self._note_redirects(response, article.url)
        parts = {**parts, self.site.page_number(response.url): article}
        remaining = sorted(
            (url for url in page.page_links() if self.site.page_number(url) not in parts),
            key=self.site.page_number,
        )
        if remaining:
            yield response.follow(
                remaining[0],
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"section": section, "parts": parts},
                meta={"cppcc_watch_kind": "article"},
                dont_filter=True,
            )
            return
        self.crawler.stats.inc_value(STAT("parsed"))
        yield merge_pages([parts[n] for n in sorted(parts)])

    def _note_redirects(self, response: Response, article_url: str) -> None:
        """Keep the URLs that redirected (on the site) to an article's first page, to be stored
        as its aliases once the article is stored: the next run then knows the listed URL."""
        origins = {self.site.canonical_url(url) for url in response.meta.get("redirect_urls", ())}
        origins.discard(article_url)
        if origins:
            self.pending_aliases.setdefault(article_url, set()).update(origins)

    def _store_aliases(self, item: Any, response: Response, spider: scrapy.Spider) -> None:
        """An article went through every pipeline (it is stored): record its aliases."""
        aliases = self.pending_aliases.pop(getattr(item, "url", ""), None)
        if aliases and spider is self:
            self.store.add_aliases(item.url, aliases)

    def _usable(self, response: Response) -> bool:
        """Whether a response is an HTML page; if not, it is recorded as a rejected page.

        Scrapy picks the response class from the URL too (an `.htm` URL gives an HtmlResponse
        even for an image), so a declared non-text Content-Type is refused as well.
        """
        kind = response.headers.get(b"Content-Type", b"").decode("latin-1")
        media = kind.split(";")[0].strip().lower()
        if isinstance(response, TextResponse) and (not media or media in _PAGE_TYPES):
            return True
        kind = kind or "none"
        reason = f"not an HTML page (Content-Type: {kind}, {len(response.body)} bytes)"
        self.crawler.stats.inc_value(STAT("bad_pages"))
        self.crawler.signals.send_catch_log(
            signal=page_rejected, url=response.url, reason=reason[:300]
        )
        return False

    def on_error(self, failure: Failure) -> None:
        """Count and record a request that failed for good; the crawl goes on."""
        request = failure.request
        reason = describe_failure(failure)
        kind = request.meta.get("cppcc_watch_kind", "request")
        self.crawler.stats.inc_value(STAT("failed_requests"))
        if not self.crawler.stats.get_value(STAT("first_error")):
            self.crawler.stats.set_value(STAT("first_error"), reason)
        origins = request.meta.get("redirect_urls")
        if origins:  # name the page that redirected, not the end of the chain
            reason = f"{reason} (redirected to {request.url})"
            request = request.replace(url=origins[0])
        self.crawler.signals.send_catch_log(
            signal=request_failed, request=request, reason=f"{kind} page: {reason}"
        )

    def _close_store(self, spider: scrapy.Spider) -> None:
        store = getattr(self, "store", None)
        if store is not None:
            release_shared(store)

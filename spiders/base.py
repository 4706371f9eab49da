"""What both news spiders share: walk section listings newest first (at most
CPPCC_WATCH_MAX_LISTING_PAGES pages deep), follow their article links, and stitch multi-page
articles.

The spiders only choose links; which of them are worth fetching (not stored yet, or due for a
recheck) and when a listing walk ends is decided by the incremental middleware
(`spiders.incremental`). Parsing is left to the page objects of `cppcc_watch.sites`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import scrapy
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
from scrapy.statscollectors import StatsCollector
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from cppcc_watch.config import CrawlConfig
from cppcc_watch.items import Article
from cppcc_watch.sites.common import merge_pages

from .config import crawl_config
from .events import ARTICLE, KIND, page_rejected, request_failed, stat

# Content-Types a page may be served with (besides none at all)
_PAGE_TYPES = frozenset(
    ("text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml")
)
_LISTING_PAGE = re.compile(r"_(\d+)\.html?$")


def listing_page_number(url: str) -> int:
    """The page number of a listing URL (`news_3.html`, `page_3.html` -> 3; `news.html` -> 1)."""
    match = _LISTING_PAGE.search(urlsplit(url).path)
    return int(match.group(1)) if match else 1


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

    site: ModuleType
    allowed_domains: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.site.ALLOWED_DOMAINS)

    @property
    def config(self) -> CrawlConfig:
        """The crawl's config (once the crawl has started)."""
        return crawl_config(self.crawler)

    def canonical_url(self, url: str) -> str:
        """The URL an article of the site is stored under."""
        return str(self.site.canonical_url(url))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Request the first listing page of every configured section."""
        for url in self.config.start_pages(self.name):
            yield self._listing_request(url, section_name(url))

    def parse_listing(self, response: Response, section: str) -> Iterator[scrapy.Request]:
        """Request every article the listing links (under its first link), then the next
        listing page unless the walk is at its deepest."""
        html = self._html(response)
        if html is None:
            return
        stats = self._stats
        stats.inc_value(stat("listing_pages"))
        page = self.site.ListingPage(html.text, html.url, selector=html.selector)
        links = page.article_links()
        stats.inc_value(stat("links_found"), len(links))
        by_canonical: dict[str, str] = {}
        for link in links:
            by_canonical.setdefault(self.canonical_url(link), link)
        for canonical, link in by_canonical.items():
            yield response.follow(
                link,
                callback=self.parse_article,
                errback=self.on_error,
                cb_kwargs={"section": section, "parts": {}},
                meta={KIND: "article", ARTICLE: canonical},
            )
        if listing_page_number(response.url) >= self.config.max_listing_pages:
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
            yield self._listing_request(response.urljoin(next_pages[0]), section)

    def _listing_request(self, url: str, section: str) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.on_error,
            cb_kwargs={"section": section},
            meta={KIND: "listing"},
        )

    def parse_article(
        self, response: Response, section: str, parts: dict[int, Article]
    ) -> Iterator[scrapy.Request | Article]:
        """Parse one page of an article; fetch its remaining pages, then yield the whole article."""
        html = self._html(response)
        if html is None:
            return
        self._stats.inc_value(stat("article_pages"))
        page = self.site.ArticlePage(html.text, html.url, selector=html.selector)
        article = page.to_article(source=self.name, section=section)
        article.fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
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
                meta={KIND: "article"},
                dont_filter=True,
            )
            return
        self._stats.inc_value(stat("parsed"))
        yield merge_pages([parts[n] for n in sorted(parts)])

    def _html(self, response: Response) -> TextResponse | None:
        """The response if it is an HTML page; if not, it is recorded as a rejected page.

        Scrapy picks the response class from the URL too (an `.htm` URL gives an HtmlResponse
        even for an image), so a declared non-text Content-Type is refused as well.
        """
        kind = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        media = kind.split(";")[0].strip().lower()
        if isinstance(response, TextResponse) and (not media or media in _PAGE_TYPES):
            return response
        kind = kind or "none"
        reason = f"not an HTML page (Content-Type: {kind}, {len(response.body)} bytes)"
        self._stats.inc_value(stat("bad_pages"))
        self.crawler.signals.send_catch_log(
            signal=page_rejected, url=response.url, reason=reason[:300]
        )
        return None

    def on_error(self, failure: Failure) -> None:
        """Count and record a request that failed for good; the crawl goes on."""
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]
        reason = describe_failure(failure)
        self._stats.inc_value(stat("failed_requests"))
        origins = request.meta.get("redirect_urls")
        if origins:  # name the page that redirected, not the end of the chain
            reason = f"{reason} (redirected to {request.url})"
            request = request.replace(url=origins[0])
        self.crawler.signals.send_catch_log(
            signal=request_failed,
            request=request,
            kind=request.meta.get(KIND, "request"),
            reason=reason,
        )

    @property
    def _stats(self) -> StatsCollector:
        return self.crawler.stats

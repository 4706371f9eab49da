"""Downloader middlewares that make unattended crawls safe: retries that back off, and an offsite
check that no request escapes (redirects and retries included).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep

from .config import crawl_config
from .events import KIND, request_failed, stat

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

RETRY_DELAY = "cppcc_watch_retry_delay"
RETRY_AFTER = "cppcc_watch_retry_after"


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """The wait a Retry-After header asks for (seconds, or an HTTP date), if it is readable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number `attempt` (1, 2...): base, 2 x base, 4 x base, <= cap."""
    if base <= 0 or attempt < 1:
        return 0.0
    return min(cap, base * 2 ** (attempt - 1))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS), with each retry
    held back by an exponential delay (CPPCC_WATCH_RETRY_BACKOFF, capped at
    CPPCC_WATCH_RETRY_BACKOFF_MAX) so that a struggling server is not hammered; a longer
    Retry-After from the server (429, 503) is obeyed, within the same cap."""

    backoff: float
    backoff_max: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        """Read the retry and backoff settings."""
        middleware = super().from_crawler(crawler)
        config = crawl_config(crawler)
        middleware.backoff = config.retry_backoff
        middleware.backoff_max = config.retry_backoff_max
        return middleware

    def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Retry a response with a retryable status, noting the server's Retry-After."""
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None:
            request.meta[RETRY_AFTER] = wait
        return super().process_response(request, response)

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        asked = request.meta.pop(RETRY_AFTER, 0.0)
        if retry is not None:
            retry.meta.pop(RETRY_AFTER, None)
            attempt = retry.meta.get("retry_times", 1)
            delay = backoff_delay(attempt, self.backoff, self.backoff_max)
            retry.meta[RETRY_DELAY] = min(max(delay, asked), self.backoff_max)
        return retry

    async def process_request(self, request: Request) -> None:  # type: ignore[override]
        """Wait out a retry's delay before it is downloaded (the domain's slot stays free)."""
        delay = request.meta.pop(RETRY_DELAY, 0.0)
        if delay > 0:
            await sleep(delay)


class StrictOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite check applied to every request, even `dont_filter` ones.

    Scrapy skips the check for requests with `dont_filter`, and redirects and retries inherit
    that flag: an article's second page, or a retried request, redirected to a spam clone would
    be followed. The news spiders never need an offsite request, so none gets through.
    """

    def process_request(self, request: Request) -> None:  # type: ignore[override]
        """Refuse a request to a host outside the spider's allowed domains."""
        if request.dont_filter and not request.meta.get("allow_offsite"):
            request = request.replace(dont_filter=False)
        super().process_request(request)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Refuse an offsite request as it is scheduled; a refused redirect is a failed request
        of the page that redirected (Scrapy would drop it silently)."""
        try:
            self.process_request(request)
        except IgnoreRequest as refused:
            origins = request.meta.get("redirect_urls")
            if origins:
                self.crawler.stats.inc_value(stat("failed_requests"))
                self.crawler.signals.send_catch_log(
                    signal=request_failed,
                    request=request.replace(url=origins[0]),
                    kind=request.meta.get(KIND, "request"),
                    reason=f"redirect to another site refused ({request.url}: {refused})",
                )
            raise

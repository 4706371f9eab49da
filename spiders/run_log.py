"""Scrapy extension that owns a spider's run: it takes the crawl lock, writes the run to the crawl
log (`crawl_runs`) with its rejects, and closes it with a health verdict (the run's own counts,
then a comparison with the spider's previous successful runs).

It holds the run's state (its id, the lock, how it ended and why) for whoever started the crawl:
`RunLog.of(crawler).spider_run()` once the crawl is over.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from cppcc_watch.config import CrawlConfig
from cppcc_watch.crawl import SpiderRun
from cppcc_watch.health import RunCounts, assess_history, assess_run
from cppcc_watch.store.locks import CrawlBusy, CrawlLock
from cppcc_watch.store.runs import (
    close_orphaned_runs,
    figures_of,
    previous_runs,
    save_figures,
)

from .config import crawl_config
from .events import KIND, page_rejected, request_failed, stat
from .storage import StoreExtension

logger = logging.getLogger(__name__)

# close reasons that mean the run was stopped from outside rather than finished
_INTERRUPTED = {"shutdown", "cancelled"}
#: The close reason of a crawl that found another crawl of its spider holding the lock.
BUSY = "busy"


class RunLog:
    """Records one `crawl_runs` row per spider run, every reject, and the run's final status."""

    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.run_id: int | None = None
        self.lock: CrawlLock | None = None
        self.status: str | None = None  # once the run is over: ok, failed, interrupted, busy
        self.reason: str | None = None
        self.counts = RunCounts()
        self.first_error = ""  # the first request that failed for good
        self.first_store_error = ""  # the first article a pipeline failed on

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunLog:
        """Connect the extension to the signals it records."""
        ext = cls(crawler, crawl_config(crawler))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.request_failed, signal=request_failed)
        crawler.signals.connect(ext.page_rejected, signal=page_rejected)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    @classmethod
    def of(cls, crawler: Crawler) -> RunLog | None:
        """The crawler's run log, if its extensions were built and include one."""
        try:
            return crawler.get_extension(cls)
        except RuntimeError:  # the crawl failed before its extensions were built
            return None

    @property
    def busy(self) -> bool:
        """Whether the crawl found another crawl of its spider holding the lock."""
        return self.status == BUSY

    def spider_run(self) -> SpiderRun | None:
        """How the run ended, once it has (None before, or if it never closed)."""
        if self.status is None:
            return None
        counts = self.counts
        return SpiderRun(
            spider=self.crawler.spidercls.name,
            run_id=self.run_id,
            status=self.status,
            reason=self.reason,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            rejected=counts.rejected,
            failed_requests=counts.failed_requests,
            retries=counts.retries,
        )

    @property
    def _storage(self) -> StoreExtension:
        return StoreExtension.of(self.crawler)

    def spider_opened(self, spider: Spider) -> None:
        """Take the crawl lock and open the run's row (status "running").

        When another crawl of this spider holds the lock, no row is written and the spider is
        closed at once (reason "busy") without a request.
        """
        lock = CrawlLock(self.config.db, spider.name)
        try:
            self.lock = lock.acquire()
        except CrawlBusy as busy:
            logger.error("%s", busy)
            self.status, self.reason = BUSY, str(busy)
            raise CloseSpider(BUSY) from None
        storage = self._storage
        storage.commit()  # the run's rows are written in transactions of their own
        store = storage.store
        store.mark_stale_runs()
        close_orphaned_runs(store, spider.name)  # holding the lock: they are dead
        config = self.config
        settings: dict[str, Any] = {
            "CPPCC_WATCH_MAX_LISTING_PAGES": config.max_listing_pages,
            "CPPCC_WATCH_MAX_ARTICLES": config.max_articles,
            "CPPCC_WATCH_RECHECK_DAYS": config.recheck_days,
            "CPPCC_WATCH_MIRROR": config.mirror,
            "sections": list(config.start_pages(spider.name)),
        }
        self.run_id = store.start_run(spider.name, settings=settings)

    def _reject(self, url: str, stage: str, reason: str) -> None:
        self.crawler.stats.inc_value(stat(f"rejected/{stage}"))
        if self.run_id is not None:
            storage = self._storage
            storage.commit()
            storage.store.record_reject(url, stage, reason[:500], run_id=self.run_id)

    def item_dropped(
        self, item: Any, response: Response, exception: Exception, spider: Spider
    ) -> None:
        """An article the validate pipeline refused."""
        self.crawler.stats.inc_value(stat("rejected"))
        self._reject(getattr(item, "url", response.url), "validate", str(exception))

    def item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Failure
    ) -> None:
        """An article a pipeline failed on (the store, say, or the failed commit of its batch,
        with no response): recorded, the crawl goes on."""
        stats = self.crawler.stats
        stats.inc_value(stat("rejected"))
        stats.inc_value(stat("store_errors"))
        message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self.first_store_error = self.first_store_error or message[:200]
        url = getattr(item, "url", None) or (response.url if response is not None else "")
        self._reject(url, "store", message)

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A page the spider could not handle."""
        self._reject(response.url, "parse", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def request_failed(self, request: Request, kind: str, reason: str) -> None:
        """A request that failed after its retries."""
        self.first_error = self.first_error or reason
        self._reject(request.url, "request", f"{kind} page: {reason}")

    def request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect back to a page already fetched (a redirect loop): the page failed."""
        origins = request.meta.get("redirect_urls")
        if not origins:
            return
        kind = request.meta.get(KIND, "request")
        self.crawler.stats.inc_value(stat("failed_requests"))
        self._reject(origins[0], "request", f"{kind} page: redirect loop back to {request.url}")

    def page_rejected(self, url: str, reason: str) -> None:
        """A downloaded page the spider could not use (not HTML, say)."""
        self._reject(url, "parse", reason)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the run with its counts and health verdict."""
        try:
            if self.run_id is not None:
                self._finish(spider, reason)
        except Exception as error:
            self.status, self.reason = "failed", f"the run could not be closed: {error}"
            raise
        finally:
            if self.lock is not None:
                self.lock.release()
                self.lock = None

    def _read_counts(self) -> RunCounts:
        stats = self.crawler.stats

        def count(name: str) -> int:
            return int(stats.get_value(name, 0) or 0)

        figures = {field: count(stat(field)) for field in RunCounts.__dataclass_fields__}
        figures["retries"] = count("retry/count")
        figures["retries_exhausted"] = count("retry/max_reached")
        return RunCounts(**figures)

    def _verdict(self, spider: Spider, counts: RunCounts) -> tuple[str, str | None]:
        """The run's own health verdict, then the comparison with earlier runs."""
        verdict = assess_run(
            counts,
            min_field_share=self.config.min_field_share,
            first_error=self.first_error,
            first_store_error=self.first_store_error,
        )
        if verdict.status == "ok" and self.config.health_runs > 0:
            earlier = previous_runs(
                self._storage.store, spider.name, before=self.run_id, limit=self.config.health_runs
            )
            verdict = assess_history(
                counts,
                [RunCounts.from_json(figures_of(run)) for run in earlier],
                drop=self.config.health_drop,
            )
        return verdict.status, verdict.reason

    def _finish(self, spider: Spider, reason: str) -> None:
        assert self.run_id is not None
        storage = self._storage
        storage.commit()  # the last articles' batch: the counts are what the database holds
        counts = self.counts = self._read_counts()
        status, why = self._verdict(spider, counts)
        if reason in _INTERRUPTED:
            status, why = "interrupted", f"stopped before the end ({reason})"
        elif reason not in ("finished", "closespider_itemcount"):
            why = f"{why}; closed: {reason}" if why else f"closed: {reason}"
        store = storage.store
        save_figures(store, self.run_id, counts.to_json())
        store.finish_run(
            self.run_id,
            status=status,
            reason=why,
            counts={
                "listing_pages": counts.listing_pages,
                "article_pages": counts.article_pages,
                "new": counts.new,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "rejected": counts.rejected,
                "failed_requests": counts.failed_requests,
                "retries": counts.retries,
            },
        )
        self.status, self.reason = status, why

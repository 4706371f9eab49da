"""Scrapy extension that owns a spider's run: it takes the crawl lock, writes the run to the crawl
log (`crawl_runs`) with its rejects, and closes it with a health verdict (the run's own counts,
then a comparison with the spider's previous successful runs)."""

from __future__ import annotations

import json
import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from cppcc_watch.health import RunCounts, assess_history, assess_run
from cppcc_watch.store import Store
from cppcc_watch.store.batch import commit_pending, open_shared, release_shared
from cppcc_watch.store.locks import CrawlBusy, CrawlLock
from cppcc_watch.store.runs import (
    close_orphaned_runs,
    figures_of,
    previous_runs,
    save_figures,
)

from .base import STAT, page_rejected, request_failed

logger = logging.getLogger(__name__)

# close reasons that mean the run was stopped from outside rather than finished
_INTERRUPTED = {"shutdown", "cancelled"}


class RunLog:
    """Records one `crawl_runs` row per spider run, every reject, and the run's final status."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_url = crawler.settings.get("CPPCC_WATCH_DB")
        self.min_field_share = crawler.settings.getfloat("CPPCC_WATCH_MIN_FIELD_SHARE")
        self.history_runs = crawler.settings.getint("CPPCC_WATCH_HEALTH_RUNS")
        self.history_drop = crawler.settings.getfloat("CPPCC_WATCH_HEALTH_DROP")
        self.store: Store | None = None
        self.run_id: int | None = None
        self.lock: CrawlLock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunLog:
        """Connect the extension to the signals it records."""
        if not crawler.settings.get("CPPCC_WATCH_DB"):
            raise NotConfigured("CPPCC_WATCH_DB is empty")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.request_failed, signal=request_failed)
        crawler.signals.connect(ext.page_rejected, signal=page_rejected)
        crawler.signals.connect(ext.request_dropped, signal=signals.request_dropped)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        """Take the crawl lock and open the run's row (status "running").

        When another crawl of this spider holds the lock, no row is written and the spider is
        told (stat `cppcc_watch/busy`) to request nothing.
        """
        lock = CrawlLock(self.db_url, spider.name)
        try:
            self.lock = lock.acquire()
        except CrawlBusy as busy:
            logger.error("%s", busy)
            self.crawler.stats.set_value(STAT("busy"), str(busy))
            self.crawler.stats.set_value(STAT("status"), "busy")
            self.crawler.stats.set_value(STAT("reason"), str(busy))
            return
        self.store = open_shared(self.db_url)
        commit_pending(self.store)  # the run's rows are written in transactions of their own
        self.store.mark_stale_runs()
        close_orphaned_runs(self.store, spider.name)  # holding the lock: they are dead
        settings = {
            name: self.crawler.settings.get(name)
            for name in (
                "CPPCC_WATCH_MAX_LISTING_PAGES",
                "CPPCC_WATCH_MAX_ARTICLES",
                "CPPCC_WATCH_RECHECK_DAYS",
                "CPPCC_WATCH_MIRROR",
            )
        }
        settings["sections"] = getattr(spider, "start_pages", [])
        self.run_id = self.store.start_run(spider.name, settings=json.loads(json.dumps(settings)))
        self.crawler.stats.set_value(STAT("run_id"), self.run_id)

    def _reject(self, url: str, stage: str, reason: str) -> None:
        self.crawler.stats.inc_value(STAT(f"rejected/{stage}"))
        if self.store is not None:
            commit_pending(self.store)
            self.store.record_reject(url, stage, reason[:500], run_id=self.run_id)

    def item_dropped(
        self, item: Any, response: Response, exception: Exception, spider: Spider
    ) -> None:
        """An article the validate pipeline refused."""
        self.crawler.stats.inc_value(STAT("rejected"))
        self._reject(getattr(item, "url", response.url), "validate", str(exception))

    def item_error(
        self, item: Any, response: Response | None, spider: Spider, failure: Any
    ) -> None:
        """An article a pipeline failed on (the store, say, or the failed commit of its batch,
        with no response): recorded, the crawl goes on."""
        stats = self.crawler.stats
        stats.inc_value(STAT("rejected"))
        stats.inc_value(STAT("store_errors"))
        message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        if not stats.get_value(STAT("first_store_error")):
            stats.set_value(STAT("first_store_error"), message[:200])
        url = getattr(item, "url", None) or (response.url if response is not None else "")
        self._reject(url, "store", message)

    def spider_error(self, failure: Any, response: Response, spider: Spider) -> None:
        """A page the spider could not handle."""
        self._reject(response.url, "parse", f"{failure.type.__name__}: {failure.getErrorMessage()}")

    def request_failed(self, request: Request, reason: str) -> None:
        """A request that failed after its retries."""
        self._reject(request.url, "request", reason)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        """A redirect back to a page already fetched (a redirect loop): the page failed."""
        origins = request.meta.get("redirect_urls")
        if not origins:
            return
        kind = request.meta.get("cppcc_watch_kind", "request")
        self.crawler.stats.inc_value(STAT("failed_requests"))
        self._reject(origins[0], "request", f"{kind} page: redirect loop back to {request.url}")

    def page_rejected(self, url: str, reason: str) -> None:
        """A downloaded page the spider could not use (not HTML, say)."""
        self._reject(url, "parse", reason)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the run with its counts and health verdict."""
        try:
            self._finish(spider, reason)
        finally:
            if self.store is not None:
                store, self.store = self.store, None
                release_shared(store)
            if self.lock is not None:
                self.lock.release()
                self.lock = None

    def _counts(self) -> RunCounts:
        stats = self.crawler.stats

        def count(name: str) -> int:
            return int(stats.get_value(name, 0) or 0)

        figures = {field: count(STAT(field)) for field in RunCounts.__dataclass_fields__}
        figures["retries"] = count("retry/count")
        figures["retries_exhausted"] = count("retry/max_reached")
        return RunCounts(**figures)

    def _verdict(self, spider: Spider, counts: RunCounts) -> tuple[str, str | None]:
        """The run's own health verdict, then the comparison with earlier runs."""
        assert self.store is not None and self.run_id is not None
        verdict = assess_run(
            counts,
            min_field_share=self.min_field_share,
            first_error=self.crawler.stats.get_value(STAT("first_error"), "") or "",
            first_store_error=self.crawler.stats.get_value(STAT("first_store_error"), "") or "",
        )
        if verdict.status == "ok" and self.history_runs > 0:
            earlier = previous_runs(
                self.store, spider.name, before=self.run_id, limit=self.history_runs
            )
            verdict = assess_history(
                counts,
                [RunCounts.from_json(figures_of(run)) for run in earlier],
                drop=self.history_drop,
            )
        return verdict.status, verdict.reason

    def _finish(self, spider: Spider, reason: str) -> None:
        if self.store is None or self.run_id is None:
            return
        commit_pending(self.store)  # when the store pipeline is not the last to close
        stats = self.crawler.stats
        counts = self._counts()
        status, why = self._verdict(spider, counts)
        if reason in _INTERRUPTED:
            status, why = "interrupted", f"stopped before the end ({reason})"
        elif reason not in ("finished", "closespider_itemcount"):
            why = f"{why}; closed: {reason}" if why else f"closed: {reason}"
        stats.set_value(STAT("status"), status)
        stats.set_value(STAT("reason"), why)
        stats.set_value(STAT("retries"), counts.retries)
        save_figures(self.store, self.run_id, counts.to_json())
        self.store.finish_run(
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

"""Pipeline: store each article (and its entities, when extracted) in the database."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.python.failure import Failure

from cppcc_watch.store import UpsertResult
from spiders.events import stat
from spiders.storage import StoreExtension


class StorePipeline:
    """Upserts articles by canonical URL into the crawl's article batch (see
    `spiders.storage.StoreExtension`, which commits it every CPPCC_WATCH_COMMIT_ARTICLES articles
    or CPPCC_WATCH_COMMIT_SECONDS, whichever comes first, and when the spider closes).

    New, updated and unchanged articles are counted when their batch is committed, so the run's
    counts are what the database holds. An article the database refused is an item error, as is
    every article of a batch whose commit failed (the run log records them; the crawl goes on).
    """

    def __init__(self, crawler: Crawler, storage: StoreExtension) -> None:
        self.crawler = crawler
        self.storage = storage

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """Build the pipeline on the crawl's StoreExtension."""
        return cls(crawler, StoreExtension.of(crawler))

    def process_item(self, item: Any) -> Any:
        """Upsert one article in the open batch."""
        self.storage.upsert(item, self._stored, lambda error: self._lost(item, error))
        return item

    def _stored(self, result: UpsertResult) -> None:
        self.crawler.stats.inc_value(stat(result.status))

    def _lost(self, item: Any, error: Exception) -> None:
        """An article its batch's failed commit took with it: an item error like any other."""
        self.crawler.signals.send_catch_log(
            signal=signals.item_error,
            item=item,
            response=None,
            spider=self.crawler.spider,
            failure=Failure(error),
        )

"""Pipeline: store each article (and its entities, when extracted) in the database."""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import call_later
from twisted.python.failure import Failure

from cppcc_watch.store import Store, UpsertResult
from cppcc_watch.store.batch import (
    ArticleBatch,
    article_batch,
    commit_pending,
    open_shared,
    release_shared,
)


class StorePipeline:
    """Upserts articles by canonical URL, in batches (CPPCC_WATCH_COMMIT_ARTICLES articles or
    CPPCC_WATCH_COMMIT_SECONDS, whichever comes first; the last batch when the spider closes).

    New, updated and unchanged articles are counted when their batch is committed, so the run's
    counts are what the database holds. An article the database refused is an item error, as is
    every article of a batch whose commit failed (the run log records them; the crawl goes on).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_url = crawler.settings.get("CPPCC_WATCH_DB")
        self.every = crawler.settings.getint("CPPCC_WATCH_COMMIT_ARTICLES")
        self.seconds = crawler.settings.getfloat("CPPCC_WATCH_COMMIT_SECONDS")
        self.stats = crawler.stats
        self.store: Store | None = None
        self.batch: ArticleBatch | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """Read the database URL (CPPCC_WATCH_DB) and the batch settings."""
        return cls(crawler)

    def open_spider(self) -> None:
        """Open the database (creating or upgrading its schema), shared with the crawl's other
        parts."""
        self.store = open_shared(self.db_url)
        self.batch = article_batch(
            self.store, every=self.every, seconds=self.seconds, schedule=call_later
        )

    def close_spider(self) -> None:
        """Commit the open batch (the run log's close reads its counts) and release the database."""
        if self.store is not None:
            store, self.store, self.batch = self.store, None, None
            try:
                commit_pending(store)
            finally:
                release_shared(store)

    def process_item(self, item: Any) -> Any:
        """Upsert one article in the open batch."""
        assert self.batch is not None
        self.batch.upsert(item, self._stored, lambda error: self._lost(item, error))
        return item

    def _stored(self, result: UpsertResult) -> None:
        self.stats.inc_value(f"cppcc_watch/{result.status}")

    def _lost(self, item: Any, error: Exception) -> None:
        """An article its batch's failed commit took with it: an item error like any other."""
        self.crawler.signals.send_catch_log(
            signal=signals.item_error,
            item=item,
            response=None,
            spider=self.crawler.spider,
            failure=Failure(error),
        )

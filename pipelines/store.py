"""Pipeline: store each article (and its entities, when extracted) in the database."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from cppcc_watch.store.repository import Store


class StorePipeline:
    """Upserts articles by canonical URL; counts new, updated and unchanged ones."""

    def __init__(self, db_url: str, stats: StatsCollector):
        self.db_url = db_url
        self.stats = stats
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        """Read the database URL from CPPCC_WATCH_DB."""
        return cls(crawler.settings.get("CPPCC_WATCH_DB"), crawler.stats)

    def open_spider(self) -> None:
        """Open the database (creating or upgrading its schema)."""
        self.store = Store.open(self.db_url)

    def close_spider(self) -> None:
        """Release the database."""
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item: Any) -> Any:
        """Store one article in one transaction."""
        assert self.store is not None
        result = self.store.upsert_article(item)
        self.stats.inc_value(f"cppcc_watch/{result.status}")
        return item

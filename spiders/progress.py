"""Scrapy extension printing one self-updating progress line per spider on a terminal."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from .config import crawl_config
from .events import stat


class Progress:
    """Shows listing pages, article pages and new/updated articles as the crawl goes."""

    def __init__(self, crawler: Crawler, interval: float = 0.5):
        self.crawler = crawler
        self.interval = interval
        self._last = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        """Enabled by CPPCC_WATCH_PROGRESS (the CLI sets it when stderr is a terminal)."""
        if not crawl_config(crawler).progress:
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.tick, signal=signals.response_received)
        crawler.signals.connect(ext.tick, signal=signals.item_scraped)
        crawler.signals.connect(ext.done, signal=signals.spider_closed)
        return ext

    def _line(self, spider: Spider) -> str:
        stats = self.crawler.stats

        def value(name: str) -> int:
            return int(stats.get_value(stat(name), 0) or 0)

        return (
            f"{spider.name}: {value('listing_pages')} listing pages, "
            f"{value('article_pages')} article pages, {value('new')} new, "
            f"{value('updated')} updated, {value('failed_requests')} failed"
        )

    def tick(self, spider: Spider, **_: Any) -> None:
        """Refresh the line at most every `interval` seconds."""
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            sys.stderr.write("\r\033[K" + self._line(spider))
            sys.stderr.flush()

    def done(self, spider: Spider, reason: str) -> None:
        """Leave the final figures on their own line."""
        sys.stderr.write("\r\033[K" + self._line(spider) + "\n")
        sys.stderr.flush()

"""Pipeline: extract provinces, cities, organizations and themes from each article."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from cppcc_watch.extract import extract_entities
from spiders.config import crawl_config


class ExtractPipeline:
    """Attaches the article's entities (`Article.entities`) for the store to save."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Enabled unless CPPCC_WATCH_EXTRACT is false."""
        if not crawl_config(crawler).extract:
            raise NotConfigured
        return cls()

    def process_item(self, item: Any) -> Any:
        """Extract the entities of one article's title and body."""
        item.entities = extract_entities(item.body or "", title=item.title or "")
        return item

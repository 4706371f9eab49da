"""Pipeline: refuse articles that lack what makes them an article, and tidy the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from cppcc_watch.items import content_hash
from spiders.events import stat

REQUIRED = ("url", "source", "title", "body")


class ValidatePipeline:
    """Drops an article without URL, source, title or body (the reason is recorded by the run log);
    counts how many articles had each field, for the crawl's health check."""

    def __init__(self, stats: StatsCollector):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        """Build the pipeline with the crawler's stats."""
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        """Validate and normalize one article."""
        adapter = ItemAdapter(item)
        for field, figure in (
            ("title", "with_title"),
            ("published_at", "with_date"),
            ("body", "with_body"),
        ):
            if adapter.get(field):
                self.stats.inc_value(stat(figure))
        for field in ("title", "author", "outlet", "section"):
            value = adapter.get(field)
            if isinstance(value, str):
                adapter[field] = " ".join(value.split()) or None
        body = adapter.get("body")
        if isinstance(body, str):
            adapter["body"] = "\n".join(line.strip() for line in body.splitlines() if line.strip())
        missing = [field for field in REQUIRED if not adapter.get(field)]
        if missing:
            raise DropItem(f"article without {' or '.join(missing)}")
        adapter["content_hash"] = content_hash(adapter["title"], adapter["body"])
        if not adapter.get("fetched_at"):
            adapter["fetched_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return item

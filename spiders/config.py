"""The crawl's typed config, built once per crawler and reached through it.

`ConfigAddon` (in the ADDONS setting) reads the CPPCC_WATCH_* settings into a `CrawlConfig`
when Scrapy applies the crawler's settings, before any extension, middleware or pipeline is
built; `crawl_config(crawler)` gives it to them (and to the spider, once the crawl started).
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

from cppcc_watch.config import CrawlConfig


class ConfigAddon:
    """Scrapy add-on that holds the crawler's CrawlConfig."""

    def __init__(self) -> None:
        self.config: CrawlConfig | None = None

    def update_settings(self, settings: BaseSettings) -> None:
        """Read the crawler's final settings into its CrawlConfig (BadInput if one is bad)."""
        self.config = CrawlConfig.from_settings(settings)


def crawl_config(crawler: Crawler) -> CrawlConfig:
    """The CrawlConfig of a crawler whose settings have been applied."""
    addon = crawler.get_addon(ConfigAddon)
    if addon is None or addon.config is None:
        raise NotConfigured("no crawl config: spiders.config.ConfigAddon is not in ADDONS")
    return addon.config

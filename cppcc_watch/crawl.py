"""Run the project's spiders in this process, into the database, and report how each run went.

Spiders are loaded by name through Scrapy's spider loader (SPIDER_MODULES), so the library never
imports the crawl layer directly. Each spider's crawl lock is taken before Scrapy starts: a crawl
that overlaps another crawl of the same spider into the same database stops at once (CrawlBusy,
exit code 75) without touching the database.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from cppcc_watch.errors import BadInput
from cppcc_watch.store.locks import CrawlLock


@dataclass(frozen=True)
class SpiderRun:
    """How one spider's run ended, as the crawl log recorded it."""

    spider: str
    run_id: int | None
    status: str
    reason: str | None
    new: int
    updated: int
    unchanged: int
    rejected: int
    failed_requests: int
    retries: int = 0


def project_settings(db_url: str, overrides: dict[str, Any] | None = None) -> Settings:
    """The project's Scrapy settings with the database and the user's overrides applied."""
    settings = Settings()
    settings.setmodule("cppcc_watch.settings", priority="project")
    settings.set("CPPCC_WATCH_DB", db_url, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def spider_names(settings: Settings) -> list[str]:
    """The names of the spiders the project has."""
    return sorted(SpiderLoader.from_settings(settings).list())


def run_crawl(names: list[str], settings: Settings) -> list[SpiderRun]:
    """Crawl with the named spiders (all when empty) at once; blocks until all have finished.

    Raises CrawlBusy, before any request, when another crawl of one of them is running.
    """
    known = spider_names(settings)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadInput(f"unknown spider {unknown[0]!r}; known spiders: {', '.join(known)}")
    chosen = list(dict.fromkeys(names)) or known
    with ExitStack() as locks:
        for name in chosen:
            locks.enter_context(CrawlLock(settings.get("CPPCC_WATCH_DB"), name))
        process = CrawlerProcess(settings)
        crawlers = [process.create_crawler(name) for name in chosen]
        for crawler in crawlers:
            process.crawl(crawler)
        process.start()
    runs = []
    for crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}

        def count(key: str, stats: dict[str, Any] = stats) -> int:
            return int(stats.get(f"cppcc_watch/{key}", 0) or 0)

        runs.append(
            SpiderRun(
                spider=crawler.spidercls.name,
                run_id=stats.get("cppcc_watch/run_id"),
                status=stats.get("cppcc_watch/status", "failed"),
                reason=stats.get("cppcc_watch/reason")
                or (None if "cppcc_watch/status" in stats else "the spider did not run"),
                new=count("new"),
                updated=count("updated"),
                unchanged=count("unchanged"),
                rejected=count("rejected"),
                failed_requests=count("failed_requests"),
                retries=count("retries"),
            )
        )
    return runs

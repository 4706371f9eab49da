"""Run the project's spiders in this process, into the database, and report how each run went.

Spiders are loaded by name through Scrapy's spider loader (SPIDER_MODULES), and each run's
outcome is read from the crawl's run recorder (the extension that writes the crawl log), so the
library never imports the crawl layer directly. Each spider's crawl lock is taken before Scrapy
starts: a crawl that overlaps another crawl of the same spider into the same database stops at
once (CrawlBusy, exit code 75) before any request.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from cppcc_watch.config import CrawlConfig
from cppcc_watch.errors import BadInput
from cppcc_watch.store import Store
from cppcc_watch.store.locks import CrawlLock, check_writable


@dataclass(frozen=True)
class SpiderRun:
    """How one spider's run ended, as the crawl log recorded it."""

    spider: str
    run_id: int | None
    status: str
    reason: str | None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed_requests: int = 0
    retries: int = 0


@runtime_checkable
class RunRecorder(Protocol):
    """The crawl extension that records a spider's run (the project's run log)."""

    def spider_run(self) -> SpiderRun | None:
        """How the run ended, once it has."""


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

    Raises, before any request: BadInput for an unknown spider or a bad CPPCC_WATCH_* setting,
    DatabaseError when the database cannot be opened (its schema is upgraded) or written, and
    CrawlBusy when another crawl of one of the spiders is running.
    """
    config = CrawlConfig.from_settings(settings)
    known = spider_names(settings)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadInput(f"unknown spider {unknown[0]!r}; known spiders: {', '.join(known)}")
    chosen = list(dict.fromkeys(names)) or known
    with Store.open(config.db) as store:  # SQLite would only refuse a write deep in the crawl
        check_writable(store)
    with ExitStack() as locks:
        for name in chosen:
            locks.enter_context(CrawlLock(config.db, name))
        process = CrawlerProcess(settings)
        crawlers = [process.create_crawler(name) for name in chosen]
        for crawler in crawlers:
            process.crawl(crawler)
        process.start()
    return [_outcome(crawler) for crawler in crawlers]


def _outcome(crawler: Crawler) -> SpiderRun:
    """How a crawler's run ended, from its run recorder."""
    try:
        extensions = crawler.extensions.middlewares
    except RuntimeError:  # the crawl failed before its extensions were built
        extensions = ()
    for extension in extensions:
        if isinstance(extension, RunRecorder):
            run = extension.spider_run()
            if run is not None:
                return run
    name = crawler.spidercls.name
    return SpiderRun(spider=name, run_id=None, status="failed", reason="the spider did not run")

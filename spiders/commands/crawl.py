"""`scrapy crawl SPIDER` with the exit code `cppcc-watch crawl` gives an overlapping crawl.

Scrapy's own command exits 0 whenever the crawler started, so a cron job could not tell a crawl
that found another crawl of its spider holding the lock (the run log then logs one error line and
closes the spider before any request) from one that ran. This command is Scrapy's, and exits 75
(EX_TEMPFAIL, `EXIT_BUSY`) in that case. A bad CPPCC_WATCH_* setting is a usage error.
"""

from __future__ import annotations

import argparse

from scrapy import Spider
from scrapy.commands import crawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from cppcc_watch.config import CrawlConfig
from cppcc_watch.errors import BadInput
from cppcc_watch.store.locks import EXIT_BUSY
from spiders.run_log import RunLog


class Command(crawl.Command):
    """Scrapy's `crawl`, exiting 75 when the spider's crawl lock was held by another crawl."""

    def __init__(self) -> None:
        super().__init__()
        self._crawlers: list[Crawler] = []

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        self._crawlers.append(crawler)
        return crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Run the spider as Scrapy does; then exit 75 if it found its crawl lock busy."""
        assert self.settings is not None
        try:
            CrawlConfig.from_settings(self.settings)
        except BadInput as error:
            raise UsageError(str(error), print_help=False) from None
        super().run(args, opts)
        if self.exitcode == 0 and any(
            (run_log := RunLog.of(crawler)) is not None and run_log.busy
            for crawler in self._crawlers
        ):
            self.exitcode = EXIT_BUSY

"""`scrapy crawl SPIDER` with the exit code `cppcc-watch crawl` gives an overlapping crawl.

Scrapy's own command exits 0 whenever the crawler started, so a cron job could not tell a crawl
that found another crawl of its spider holding the lock (the run log then logs one error line and
the spider requests nothing) from one that ran. This command is Scrapy's, and exits 75
(EX_TEMPFAIL, `EXIT_BUSY`) in that case.
"""

from __future__ import annotations

import argparse

from scrapy import Spider
from scrapy.commands import crawl
from scrapy.crawler import Crawler

from cppcc_watch.store.locks import EXIT_BUSY
from spiders.base import STAT


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
        super().run(args, opts)
        if self.exitcode == 0 and any(
            crawler.stats is not None and crawler.stats.get_value(STAT("busy"))
            for crawler in self._crawlers
        ):
            self.exitcode = EXIT_BUSY

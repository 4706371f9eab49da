"""Scrapy extension that owns the crawl's database: its Store and the batch articles are
committed in. The store pipeline, the incremental middleware and the run log reach it through
the crawler (`StoreExtension.of(crawler)`).

The database is opened on first use in the crawl (the run log's, when the spider opens) and
committed and closed when the spider closes, after the run log has closed the run (it comes
after the run log in EXTENSIONS). Spiders that crawl the same database in one process share
one Store: one connection, so one write transaction, which a batch keeps open across many
articles (on SQLite a second connection of the process would wait for that one's write lock
with the reactor blocked). Reads through it see the articles of the open batch, so an article
stored a moment ago is never requested again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import call_later

from cppcc_watch.config import CrawlConfig
from cppcc_watch.items import Article
from cppcc_watch.store import Store, UpsertResult
from cppcc_watch.store.batch import ArticleBatch

from .config import crawl_config


@dataclass
class _Database:
    """An open database of this process, with its article batch and how many crawls use it."""

    store: Store
    batch: ArticleBatch
    users: int = 0


class StoreExtension:
    """The crawl's Store and article batch (CPPCC_WATCH_DB, CPPCC_WATCH_COMMIT_ARTICLES and
    CPPCC_WATCH_COMMIT_SECONDS)."""

    # The databases open in this process, by URL: each crawl's extension joins the one of its
    # database, and the last to close commits and closes it.
    _databases: ClassVar[dict[str, _Database]] = {}

    def __init__(self, config: CrawlConfig) -> None:
        self.config = config
        self._database: _Database | None = None
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreExtension:
        """Build the extension from the crawl's config; it closes the database with the spider."""
        extension = cls(crawl_config(crawler))
        crawler.signals.connect(extension.close, signal=signals.spider_closed)
        return extension

    @classmethod
    def of(cls, crawler: Crawler) -> StoreExtension:
        """The crawler's StoreExtension (its extensions must have been built)."""
        extension = crawler.get_extension(cls)
        if extension is None:
            raise NotConfigured(f"{cls.__module__}.{cls.__name__} is not in EXTENSIONS")
        return extension

    @property
    def store(self) -> Store:
        """The crawl's Store (the database is opened, its schema upgraded, on first use)."""
        return self._open().store

    def upsert(
        self,
        article: Article,
        stored: Callable[[UpsertResult], None],
        lost: Callable[[Exception], None],
    ) -> None:
        """Upsert an article in the open batch; `stored(result)` is called once the batch is
        committed, `lost(error)` if its commit failed. An article the database refuses raises."""
        self._open().batch.upsert(article, stored, lost)

    def commit(self) -> None:
        """Commit the open batch, if any (before writing anything in a transaction of its own)."""
        if self._database is not None:
            self._database.batch.commit()

    def close(self) -> None:
        """Commit the open batch and leave the database; the last crawl using it closes it."""
        database, self._database = self._database, None
        self._closed = True
        if database is None:
            return
        database.users -= 1
        try:
            database.batch.commit()
        finally:
            if database.users == 0:
                del self._databases[self.config.db]
                database.store.close()

    def _open(self) -> _Database:
        if self._database is None:
            if self._closed:
                raise RuntimeError("the crawl's database was closed with its spider")
            database = self._databases.get(self.config.db)
            if database is None:
                store = Store.open(self.config.db)
                batch = ArticleBatch(
                    store,
                    every=self.config.commit_articles,
                    seconds=self.config.commit_seconds,
                    schedule=call_later,
                )
                database = self._databases[self.config.db] = _Database(store, batch)
            database.users += 1
            self._database = database
        return self._database

"""One crawl per spider and database at a time: a lock that dies with its process.

`CrawlLock` takes the database's crawl lock of one spider through its dialect: on SQLite an
exclusive `flock` on `<database>-crawl-<spider>.lock` next to the (real) database file; on
PostgreSQL an advisory lock held by a connection of its own, so two machines never crawl the
same spider into one database. Either way the lock goes when the holding process ends, however
it ends (SIGKILL included), so a stale lock cannot block the next cron run, and a crawl that
finds it taken is told who holds it. Within one process the lock is re-entrant (the CLI takes
it before starting Scrapy, and the crawl's run log takes it again).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cppcc_watch.errors import CppccWatchError
from cppcc_watch.store.dialects import HeldLock, LockTaken, dialect_named
from cppcc_watch.store.schema import RUNS
from cppcc_watch.store.store import Store

#: Exit code of a crawl that found another crawl of the same spider running (EX_TEMPFAIL).
EXIT_BUSY = 75


@dataclass
class _Holding:
    """A crawl lock this process holds, and how many of its parts hold it."""

    lock: HeldLock
    holders: int = 1


_HELD: dict[str, _Holding] = {}  # by lock name


class CrawlBusy(CppccWatchError):
    """Another crawl of the same spider is writing to the same database."""

    exit_code = EXIT_BUSY


class CrawlLock:
    """The crawl lock of one spider on one database."""

    def __init__(self, db_url: str, spider: str) -> None:
        self.db_url = db_url
        self.spider = spider
        self.held = False
        self._name: str | None = None  # of the lock held (None: none needed)

    def acquire(self) -> CrawlLock:
        """Take the lock, or raise CrawlBusy naming the crawl that holds it."""
        if self.held:
            return self
        name = self._lock_name()
        if name is not None:
            holding = _HELD.get(name)
            if holding is not None:
                holding.holders += 1
            else:
                _HELD[name] = _Holding(self._take())
        self.held, self._name = True, name
        return self

    def release(self) -> None:
        """Give the lock back (to this process's other holders, or to the database)."""
        name, self.held, self._name = self._name, False, None
        holding = _HELD.get(name) if name is not None else None
        if holding is None or name is None:
            return
        holding.holders -= 1
        if holding.holders == 0:
            del _HELD[name]
            holding.lock.release()

    def __enter__(self) -> CrawlLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def _lock_name(self) -> str | None:
        """The lock's name in this process (None: no lock, as for an in-memory database)."""
        try:
            url = make_url(self.db_url)
        except ArgumentError:
            return None
        return dialect_named(url.get_backend_name()).crawl_lock_name(url, self.spider)

    def _take(self) -> HeldLock:
        url = make_url(self.db_url)
        try:
            return dialect_named(url.get_backend_name()).take_crawl_lock(url, self.spider)
        except LockTaken as taken:
            raise CrawlBusy(
                f"another crawl of {self.spider} is running on this database ({taken}); "
                "this one exits without crawling"
            ) from None


def check_writable(store: Store) -> None:
    """Raise DatabaseError now if the database cannot be written (a read-only file, say).

    A crawl checks this before its first request: a database only refuses a write when one is
    tried, and a crawl's first write happens deep inside Scrapy. The probe deletes no row and is
    rolled back, so nothing in the database changes.
    """
    try:
        with store.transaction() as conn:
            conn.execute(delete(RUNS).where(RUNS.c.id == -1))
            raise _Probed
    except _Probed:
        pass


class _Probed(Exception):
    """Rolls the write probe back."""

"""Article upserts committed in batches.

On SQLite a commit, not the SQL, is the main cost of storing an article; a crawl therefore keeps
one write transaction open across many articles (`ArticleBatch`). While it is open, that
connection holds the database's write lock: every part of a crawl process writes through the
same Store (the crawl's StoreExtension shares one per database), committing the open batch
before it writes anything in a transaction of its own.

Reads through that Store see the articles of the open batch (same connection). Other connections
and processes see a batch when it is committed, all of it or none of it; after a crash (even
SIGKILL) only the articles of the batch in progress are missing, and the next crawl fetches them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Protocol

from cppcc_watch.items import Article
from cppcc_watch.store.articles import UpsertResult
from cppcc_watch.store.store import Store

logger = logging.getLogger(__name__)

#: Seconds the write lock is left free after each batch (a waiting writer polls every 100 ms).
REST_SECONDS = 0.15


class Timer(Protocol):
    """A scheduled call that can be called off (Scrapy's `call_later` result, say)."""

    def cancel(self) -> None:
        """Call it off; nothing happens if it already ran."""


#: schedule(seconds, function) -> Timer: call `function` once, `seconds` from now.
Schedule = Callable[[float, Callable[[], None]], Timer]


@dataclass
class _Pending:
    """An article upserted in the open batch, and who to tell when the batch ends."""

    result: UpsertResult
    stored: Callable[[UpsertResult], None]
    lost: Callable[[Exception], None]


class ArticleBatch:
    """Upserts articles into one open transaction, committed every `every` articles or `seconds`
    after the batch's first article, whichever comes first, and whenever `commit()` is called.

    Each upsert is still all-or-nothing (a savepoint): one that fails is undone alone and its
    error raised to the caller, and the batch goes on. The outcome of an article is reported once
    its batch has ended: `stored(result)` after the commit, or `lost(error)` when the commit failed
    (or the database abandoned the transaction) and the whole batch was rolled back. `every=1`
    commits each article at once.

    After each commit the write lock is left free for `rest` seconds, articles meanwhile going in
    a transaction each (free between two articles): another writer waiting for the lock (a crawl
    in another process, `reprocess`, a second crawl's write probe) polls it every 100 ms at most,
    and would hardly ever find it free if the next batch began at once.
    """

    def __init__(
        self,
        store: Store,
        *,
        every: int = 100,
        seconds: float = 0.5,
        schedule: Schedule | None = None,
        rest: float = REST_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.every = max(1, every)
        self.seconds = seconds
        self.schedule = schedule if seconds > 0 else None
        self.rest = rest
        self.clock = clock
        self._transaction: ExitStack | None = None
        self._pending: list[_Pending] = []
        self._timer: Timer | None = None
        self._rest_until = 0.0

    @property
    def pending(self) -> int:
        """Articles upserted in the open batch, not committed yet."""
        return len(self._pending)

    @property
    def is_open(self) -> bool:
        """Whether a batch transaction is open."""
        return self._transaction is not None

    def upsert(
        self,
        article: Article,
        stored: Callable[[UpsertResult], None],
        lost: Callable[[Exception], None],
    ) -> UpsertResult:
        """Upsert an article in the open batch (opening one if needed); commit when it is full.

        Right after a commit (for `rest` seconds) the article gets a transaction of its own.
        """
        if self._transaction is None:
            if self.rest > 0 and self.clock() < self._rest_until:
                result = self.store.upsert_article(article)
                stored(result)
                return result
            self._begin()
        try:
            result = self.store.upsert_article(article)
        except Exception as error:
            if not self.store.transaction_alive():
                self._abandon(error)  # the database rolled back everything: the batch is lost
            raise
        self._pending.append(_Pending(result, stored, lost))
        if len(self._pending) >= self.every:
            self.commit()
        return result

    def commit(self) -> None:
        """Commit the open batch, if any, and report its articles stored (or lost, on failure)."""
        transaction = self._end()
        if transaction is None:
            return
        pending, self._pending = self._pending, []
        try:
            transaction.close()
            self._rest_until = self.clock() + self.rest
        except Exception as error:  # any failure loses the batch; each article is reported
            self._report_lost(pending, error)
            return
        for article in pending:
            article.stored(article.result)

    def _begin(self) -> None:
        transaction = ExitStack()
        transaction.enter_context(self.store.transaction())
        self._transaction = transaction
        if self.schedule is not None:
            self._timer = self.schedule(self.seconds, self.commit)

    def _end(self) -> ExitStack | None:
        """Forget the open transaction and its timer; return the transaction to finish."""
        transaction, self._transaction = self._transaction, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return transaction

    def _abandon(self, error: Exception) -> None:
        transaction = self._end()
        pending, self._pending = self._pending, []
        if transaction is not None:
            with suppress(Exception):  # rolling back what the database already rolled back
                transaction.__exit__(type(error), error, error.__traceback__)
        self._report_lost(pending, error)

    @staticmethod
    def _report_lost(pending: list[_Pending], error: Exception) -> None:
        if pending:
            logger.error("%d articles were not stored: the batch failed (%s)", len(pending), error)
        for article in pending:
            try:
                article.lost(error)
            except Exception:  # one report failing must not hide the others
                logger.exception("reporting a lost article failed")

"""One crawl per spider and database at a time: a lock file that dies with its process.

`CrawlLock` takes an exclusive `flock` on `<database>-crawl-<spider>.lock` next to the SQLite file
(for other databases: in the temp directory, keyed by the URL, so it guards one host only). The
kernel drops the lock when the holding process ends, however it ends (SIGKILL included), so a
stale lock cannot block the next cron run. The file keeps the holder's pid, host and start time
for the message the second crawl prints. Within one process the lock is re-entrant (the CLI takes
it before starting Scrapy, and the crawl's run log takes it again).
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cppcc_watch.errors import CppccWatchError
from cppcc_watch.store.dialects.sqlite import sqlite_path
from cppcc_watch.store.repository import RUNS, Store

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process lock
    fcntl = None  # type: ignore[assignment]

#: Exit code of a crawl that found another crawl of the same spider running (EX_TEMPFAIL).
EXIT_BUSY = 75

# path -> [file descriptor, how many holders in this process]
_HELD: dict[str, list[int]] = {}


class CrawlBusy(CppccWatchError):
    """Another crawl of the same spider is writing to the same database."""

    exit_code = EXIT_BUSY


def lock_path(db_url: str, spider: str) -> Path | None:
    """The lock file of `spider`'s crawls into `db_url` (None for an in-memory database)."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return None
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        return None if path is None else path.with_name(f"{path.name}-crawl-{spider}.lock")
    digest = hashlib.sha1(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cppcc-watch-{digest}-crawl-{spider}.lock"


class CrawlLock:
    """The crawl lock of one spider on one database."""

    def __init__(self, db_url: str, spider: str) -> None:
        self.spider = spider
        self.path = lock_path(db_url, spider)
        self.held = False

    def acquire(self) -> CrawlLock:
        """Take the lock, or raise CrawlBusy naming the crawl that holds it."""
        if self.held or self.path is None or fcntl is None:
            self.held = True
            return self
        key = str(self.path.resolve())
        if key in _HELD:
            _HELD[key][1] += 1
            self.held = True
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise CrawlBusy(
                f"another crawl of {self.spider} is running on this database ({holder}); "
                "this one exits without crawling"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {started}\n".encode(), 0)
        _HELD[key] = [fd, 1]
        self.held = True
        return self

    def release(self) -> None:
        """Give the lock back (the file stays; an unlocked file means no crawl)."""
        if not self.held:
            return
        self.held = False
        if self.path is None or fcntl is None:
            return
        key = str(self.path.resolve())
        entry = _HELD.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _HELD[key]
            os.close(entry[0])  # closing the descriptor releases the flock

    def __enter__(self) -> CrawlLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def check_writable(store: Store) -> None:
    """Raise DatabaseError now if the database cannot be written (a read-only file, say).

    A crawl checks this before its first request: SQLite only refuses a write when one is tried,
    and a crawl's first write happens deep inside Scrapy. The probe deletes no row and is
    rolled back, so nothing in the file changes.
    """
    try:
        with store.transaction():
            store.connection.execute(delete(RUNS).where(RUNS.c.id == -1))
            raise _Probed
    except _Probed:
        pass


class _Probed(Exception):
    """Rolls the write probe back."""


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"

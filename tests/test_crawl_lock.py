"""Crashes and concurrency with real processes: a crawl killed with SIGKILL mid-way, two crawls of
the same spider at once (cron overlap), and analysts reading while a crawl writes."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from cppcc_watch.store.dialects.sqlite import SqliteDialect
from cppcc_watch.store.locks import EXIT_BUSY, CrawlBusy, CrawlLock
from tests.chaos_server import ChaosMirror
from tests.test_end_to_end import (
    A1,
    A2,
    A3,
    A4,
    A5,
    A6,
    CD_LINKED,
    CPPCC_LINKED,
    SECTIONS,
    build_sites,
)
from tests.unattended import QUICK, ROOT, crawl, query, start_crawl, wait_for


def lock_path(db_url: str, spider: str) -> Path | None:
    """The lock file of a spider's crawls into a SQLite database."""
    return SqliteDialect().lock_path(make_url(db_url), spider)


def stored_urls(db_url: str) -> set[str]:
    return {r[0] for r in query(db_url, "SELECT url FROM articles")}


def assert_consistent(db_url: str) -> None:
    """No half-written article, and SQLite finds nothing wrong with the file."""
    assert query(db_url, "PRAGMA integrity_check")[0][0] == "ok"
    assert query(db_url, "PRAGMA foreign_key_check") == []
    assert query(db_url, "SELECT url FROM articles WHERE title IS NULL OR body IS NULL") == []
    assert query(db_url, "SELECT a.url FROM articles a WHERE NOT EXISTS "
                 "(SELECT 1 FROM raw_pages p WHERE p.article_id = a.id)") == []  # fmt: skip
    orphans = "SELECT COUNT(*) FROM mentions WHERE article_id NOT IN (SELECT id FROM articles)"
    assert query(db_url, orphans)[0][0] == 0
    fts = query(db_url, "SELECT COUNT(*) FROM articles_fts")[0][0]
    assert fts == query(db_url, "SELECT COUNT(*) FROM articles")[0][0]


def test_a_crawl_killed_mid_way_loses_nothing_and_the_next_run_finishes_the_work(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'killed.db'}"
    with ChaosMirror() as mirror:
        build_sites(mirror)
        # an article of the second listing page hangs (one of the host's two download slots)
        mirror.hold(A5.url, 60)
        first = start_crawl(db_url, mirror, "cppcc", DOWNLOAD_TIMEOUT=90)
        try:
            wait_for(
                lambda: {A1.url, A2.url, A3.url, A6.url} <= stored_urls(db_url),
                what="the first listing page's articles",
            )
            wait_for(
                lambda: any(A5.url.endswith(p) for p in mirror.requested("en.cppcc.gov.cn")),
                what="the hanging request",
            )
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        mirror.release.set()
        before = {r["url"]: dict(r) for r in query(db_url, "SELECT * FROM articles")}
        killed_run = dict(query(db_url, "SELECT * FROM crawl_runs")[0])
        assert killed_run["status"] == "running" and killed_run["pid"] == first.pid
        assert_consistent(db_url)
        lock = lock_path(db_url, "cppcc")
        assert lock is not None and lock.exists()
        assert not lock_is_held(db_url, "cppcc")  # the kernel dropped the dead crawl's lock

        mirror.slow.clear()
        mirror.reset_log()
        second = crawl(db_url, mirror, "cppcc")
    assert second.returncode == 0, second.stderr
    after = {r["url"]: dict(r) for r in query(db_url, "SELECT * FROM articles")}
    assert set(after) == {s.url for s in CPPCC_LINKED}  # page 2 was walked although page 1 is old
    for url, row in before.items():
        assert after[url]["body"] == row["body"] and after[url]["id"] == row["id"]
    assert A5.url not in before and after[A5.url]["body"] == A5.body
    assert_consistent(db_url)
    runs = {r["id"]: dict(r) for r in query(db_url, "SELECT * FROM crawl_runs")}
    assert runs[killed_run["id"]]["status"] == "interrupted"
    assert f"process {first.pid} ended without finishing" in runs[killed_run["id"]]["reason"]
    assert [r["status"] for r in runs.values() if r["id"] != killed_run["id"]] == ["ok"]


def test_an_overlapping_crawl_exits_at_once_and_readers_never_see_a_locked_database(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "overlap.db"
    db_url = f"sqlite:///{db_path}"
    reader_errors: list[str] = []
    with ChaosMirror(delay=0.05) as mirror:
        build_sites(mirror)
        mirror.hold(A5.url, 60)  # the first crawl waits on these until released below
        mirror.hold(CD_LINKED[-1].url, 60)
        first = start_crawl(db_url, mirror)
        try:
            wait_for(
                lambda: len(query(db_url, "SELECT 1 FROM crawl_runs WHERE status='running'")) == 2,
                what="both runs to start",
            )
            started = time.monotonic()
            second = crawl(db_url, mirror, "cppcc")
            second_took = time.monotonic() - started
            scrapy_argv = [
                sys.executable, "-m", "scrapy", "crawl", "cppcc", "-s", f"CPPCC_WATCH_DB={db_url}",
                "-s", f"CPPCC_WATCH_MIRROR={mirror.url}", "-s", "LOG_LEVEL=ERROR",
            ]  # fmt: skip
            via_scrapy = subprocess.run(
                scrapy_argv, cwd=ROOT, capture_output=True, text=True, timeout=60
            )
            reads = 0
            for _ in range(2):
                reader_errors += read_while_crawling(db_path, db_url)
                reads += 1
            mirror.release.set()
            while first.poll() is None:
                reader_errors += read_while_crawling(db_path, db_url)
                reads += 1
        finally:
            if first.poll() is None:
                first.kill()
            out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == EXIT_BUSY
    assert second_took < 10
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert "another crawl of cppcc is running on this database (pid" in lines[0]
    assert "another crawl of cppcc is running" in via_scrapy.stderr
    assert via_scrapy.returncode == EXIT_BUSY
    assert reads >= 2
    assert reader_errors == []
    assert stored_urls(db_url) == {s.url for s in [*CPPCC_LINKED, *CD_LINKED]}
    runs = query(db_url, "SELECT spider, status FROM crawl_runs ORDER BY id")
    assert sorted(tuple(r) for r in runs) == [("chinadaily", "ok"), ("cppcc", "ok")]
    assert "cppcc: ok: 6 new" in out


def read_while_crawling(db_path: Path, db_url: str) -> list[str]:
    """One round of analyst reads: plain sqlite3 (default 5 s timeout) and `cppcc-watch runs`."""
    errors: list[str] = []
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("SELECT COUNT(*) FROM articles").fetchone()
        conn.execute("SELECT COUNT(*) FROM mentions JOIN entities ON entities.id = entity_id")
        conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'CPPCC'").fetchall()
    except sqlite3.Error as error:
        errors.append(f"sqlite3: {error}")
    finally:
        conn.close()
    result = subprocess.run(
        [sys.executable, "-m", "cppcc_watch", "--db", db_url, "runs", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        errors.append(f"runs: {result.stderr.strip()}")
    else:
        json.loads(result.stdout)
    return errors


PROBE = (
    "import sys; from cppcc_watch.store.locks import CrawlLock, CrawlBusy\n"
    "try:\n    CrawlLock(sys.argv[1], 'cppcc').acquire()\n"
    "except CrawlBusy as e:\n    print(e); sys.exit(75)\n"
)
HOLDER = (
    "import sys, time; from cppcc_watch.store.locks import CrawlLock\n"
    "CrawlLock(sys.argv[1], 'cppcc').acquire(); print('held', flush=True); time.sleep(120)\n"
)


def other_process(db_url: str) -> subprocess.CompletedProcess:
    """Another process trying to take the cppcc crawl lock (exit 75 and the message if busy)."""
    return subprocess.run(
        [sys.executable, "-c", PROBE, db_url], capture_output=True, text=True, cwd=ROOT
    )


def test_the_lock_is_reentrant_in_a_process_and_exclusive_across_processes(db_url: str) -> None:
    with CrawlLock(db_url, "cppcc"), CrawlLock(db_url, "cppcc"):
        busy = other_process(db_url)
        assert busy.returncode == 75
        assert "another crawl of cppcc is running on this database" in busy.stdout
        assert f"pid {os.getpid()} on " in busy.stdout
        with CrawlLock(db_url, "chinadaily") as other_spider:  # another spider is free
            assert other_spider.held
    assert other_process(db_url).returncode == 0
    assert issubclass(CrawlBusy, Exception) and CrawlBusy.exit_code == EXIT_BUSY


def test_the_lock_dies_with_its_process_even_on_sigkill(db_url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = other_process(db_url)
        assert busy.returncode == 75, busy.stderr
        assert f"pid {holder.pid} on " in busy.stdout
        if db_url.startswith("postgresql"):
            assert "connected from 127.0.0.1" in busy.stdout
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    wait_for(lambda: other_process(db_url).returncode == 0, what="the lock to be free")


def test_a_symbolic_link_to_the_database_shares_its_lock(tmp_path: Path) -> None:
    real = tmp_path / "data" / "real.db"
    real.parent.mkdir()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    real_url, link_url = f"sqlite:///{real}", f"sqlite:///{link}"
    assert lock_path(link_url, "cppcc") == lock_path(real_url, "cppcc")
    with CrawlLock(link_url, "cppcc"):
        assert other_process(real_url).returncode == 75
    with CrawlLock(real_url, "cppcc"):
        assert other_process(link_url).returncode == 75
    assert other_process(link_url).returncode == 0


def scrapy_crawl(db_url: str, mirror: ChaosMirror, spider: str) -> subprocess.CompletedProcess:
    """`scrapy crawl SPIDER` from the project root, with the settings `cppcc-watch crawl` gets."""
    values = {
        **QUICK,
        "CPPCC_WATCH_DB": db_url,
        "CPPCC_WATCH_SECTIONS": json.dumps(SECTIONS),
        "CPPCC_WATCH_MIRROR": mirror.url,
        "LOG_LEVEL": "ERROR",
    }
    options = [x for name, value in values.items() for x in ("-s", f"{name}={value}")]
    argv = [sys.executable, "-m", "scrapy", "crawl", spider, *options]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_scrapy_crawl_exits_75_with_one_line_when_the_lock_is_busy(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'scrapy.db'}"
    with ChaosMirror() as mirror:
        build_sites(mirror)
        with CrawlLock(db_url, "cppcc"):  # this process is the crawl that holds it
            busy = scrapy_crawl(db_url, mirror, "cppcc")
            requested_while_busy = mirror.requested("en.cppcc.gov.cn")
        free = scrapy_crawl(db_url, mirror, "cppcc")
    assert busy.returncode == EXIT_BUSY, busy.stderr
    lines = busy.stderr.strip().splitlines()
    assert len(lines) == 1, busy.stderr
    assert f"another crawl of cppcc is running on this database (pid {os.getpid()} " in lines[0]
    assert requested_while_busy == []
    assert free.returncode == 0, free.stderr
    assert stored_urls(db_url) == {s.url for s in CPPCC_LINKED}
    runs = query(db_url, "SELECT spider, status FROM crawl_runs")
    assert [tuple(r) for r in runs] == [("cppcc", "ok")]  # the busy crawl wrote no run


def test_sigterm_stores_what_was_fetched_and_closes_the_run_as_interrupted(
    tmp_path: Path,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'term.db'}"
    with ChaosMirror() as mirror:
        build_sites(mirror)
        for story in (A4, A5):
            mirror.hold(story.url, 1.5)
        crawl_process = start_crawl(db_url, mirror, "cppcc")
        wait_for(
            lambda: any(A4.url.endswith(p) for p in mirror.requested("en.cppcc.gov.cn")),
            what="the held request",
        )
        crawl_process.send_signal(signal.SIGTERM)
        out, err = crawl_process.communicate(timeout=60)
    assert crawl_process.returncode == 1
    assert "stopped before the end (shutdown)" in err
    stored = query(db_url, "SELECT COUNT(*) FROM articles")[0][0]
    assert stored >= 4  # the first listing page's articles, at least
    runs = query(db_url, "SELECT status, new FROM crawl_runs")
    assert [tuple(r) for r in runs] == [("interrupted", stored)]
    assert f"cppcc: interrupted: {stored} new" in out
    assert_consistent(db_url)
    assert not lock_is_held(db_url, "cppcc")


def lock_is_held(db_url: str, spider: str) -> bool:
    path = lock_path(db_url, spider)
    assert path is not None
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False

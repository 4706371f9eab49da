"""Two crawls of different spiders started at once from two processes into one fresh database
(two cron jobs on a new install): both create the schema at the same moment, and every article is
stored once."""

from __future__ import annotations

from tests.chaos_server import ChaosMirror
from tests.database import rows
from tests.test_end_to_end import CD_LINKED, CPPCC_LINKED, build_sites
from tests.unattended import start_crawl


def test_two_first_crawls_at_once_store_every_article_once(db_url: str) -> None:
    with ChaosMirror() as mirror:
        build_sites(mirror)
        crawls = {spider: start_crawl(db_url, mirror, spider) for spider in ("cppcc", "chinadaily")}
        ended = {spider: process.communicate(timeout=120) for spider, process in crawls.items()}
    said = {spider: out + err for spider, (out, err) in ended.items()}
    for spider, process in crawls.items():
        assert process.returncode == 0, said
        assert f"{spider}: ok: " in said[spider]
    rejects = rows(db_url, "SELECT stage, url, reason FROM rejects WHERE stage != 'validate'")
    expected = {s.url for s in [*CPPCC_LINKED, *CD_LINKED]}
    assert all("robots.txt" in r["reason"] for r in rejects), [tuple(r) for r in rejects]
    stored = rows(db_url, "SELECT url FROM articles")
    assert sorted(r["url"] for r in stored) == sorted(expected), said
    twice = "SELECT kind, name FROM entities GROUP BY kind, name HAVING COUNT(*) > 1"
    assert rows(db_url, twice) == []
    runs = rows(db_url, "SELECT spider, status, new FROM crawl_runs ORDER BY spider")
    assert [tuple(r) for r in runs] == [
        ("chinadaily", "ok", len(CD_LINKED)),
        ("cppcc", "ok", len(CPPCC_LINKED)),
    ]

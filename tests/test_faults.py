"""Crawls against a server that misbehaves on purpose: 5xx answers, stalls, dropped connections,
truncated bodies, redirects (on-site, off-site, loops) and pages whose template changed. The real
Scrapy engine runs in a subprocess and writes a real database (SQLite, then PostgreSQL)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from spiders.middlewares import backoff_delay, retry_after_seconds
from tests import sitegen
from tests.chaos_server import FAULTS, RETRY_AFTER, ChaosMirror
from tests.test_end_to_end import (
    A1,
    A3,
    A4,
    A5,
    A6,
    B1,
    B3,
    CD,
    CD_LINKED,
    CPPCC,
    CPPCC_LINKED,
    REGIONAL,
    build_sites,
    cd_story,
    listing_item,
    serve_cd_story,
)
from tests.unattended import crawl, figures, query

ALL = [*CPPCC_LINKED, *CD_LINKED]


def stored(db_url: str) -> dict[str, dict]:
    return {r["url"]: dict(r) for r in query(db_url, "SELECT * FROM articles")}


def test_faults_on_a_third_of_first_requests_are_retried_and_every_article_stored_once(
    db_url: str,
) -> None:
    with ChaosMirror(stall=5.0) as mirror:
        build_sites(mirror)
        pages = sorted(
            f"http://{host}{path}"
            for host, path in mirror.pages
            if not path.endswith("robots.txt") and "c_967300" not in path
        )
        special = (B3.url.removeprefix("https://"), B1.url.removeprefix("https://"))
        faulty = [url for url in pages if not url.endswith(special)][::3]
        for number, url in enumerate(faulty):
            mirror.fail(url, FAULTS[number % len(FAULTS)])
        mirror.fail(B3.url, "503", "503", "503", "503")  # fails for good after 3 retries
        mirror.fail(B1.url, RETRY_AFTER)  # waits the second the server asks for
        planned = {key: len(queue) for key, queue in mirror.faults.items()}
        result = crawl(
            db_url,
            mirror,
            RETRY_TIMES=3,
            DOWNLOAD_TIMEOUT=3,  # a stall outlasts it; a slow answer on a busy machine does not
            CPPCC_WATCH_RETRY_BACKOFF=0.2,
            CPPCC_WATCH_RETRY_BACKOFF_MAX=5,
            CPPCC_WATCH_MIN_FIELD_SHARE=0.5,  # the fixture's bodiless page plus B3: 3 of 4
        )
        used = sum(planned[key] - len(queue) for key, queue in mirror.faults.items())
        b3_times = mirror.times_of(B3.url)
        b1_times = mirror.times_of(B1.url)
    assert len(faulty) >= len(FAULTS)  # a third of the pages: every kind of fault
    assert result.returncode == 0, result.stderr
    articles = stored(db_url)
    assert set(articles) == {s.url for s in ALL if s is not B3}
    for story in ALL:
        if story is not B3:
            assert articles[story.url]["body"] == story.body, story.url
    pages_kept = query(db_url, "SELECT article_id, COUNT(*) AS n FROM raw_pages GROUP BY 1")
    by_id = {r["id"]: r["url"] for r in articles.values()}
    expected_pages = {s.url: len(s.paragraphs) for s in ALL}
    assert {by_id[r["article_id"]]: r["n"] for r in pages_kept} == {
        url: expected_pages[url] for url in articles
    }
    runs = {r["spider"]: dict(r) for r in query(db_url, "SELECT * FROM crawl_runs")}
    assert runs["chinadaily"]["failed_requests"] == 1
    assert runs["cppcc"]["failed_requests"] == 1  # the page robots.txt forbids
    assert {r["status"] for r in runs.values()} == {"ok"}
    retries = sum(figures(db_url, run["id"])["retries"] for run in runs.values())
    assert retries == sum(run["retries"] for run in runs.values())  # the column, too
    exhausted = sum(figures(db_url, run["id"])["retries_exhausted"] for run in runs.values())
    assert used >= len(faulty)  # every planned fault was met (B3's fourth answer included)
    # each fault cost one retry, B3's last answer was given up on; a connection dropped after
    # reuse may be retried inside Twisted's connection pool, unseen by Scrapy
    drops = sum(1 for n in range(len(faulty)) if FAULTS[n % len(FAULTS)] == "drop")
    assert used - 1 - drops <= retries <= used - 1
    assert exhausted == 1
    rejects = query(
        db_url,
        "SELECT url, reason FROM rejects WHERE stage = 'request' AND reason NOT LIKE '%robots%'",
    )
    assert [(r["url"], r["reason"]) for r in rejects] == [(B3.url, "article page: HTTP 503")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(b3_times)]
    assert len(gaps) == 3
    for gap, wanted in zip(gaps, (0.2, 0.4, 0.8), strict=True):
        assert gap >= wanted * 0.9, gaps  # backed off, doubling
    assert len(b1_times) == 2 and b1_times[1] - b1_times[0] >= 0.95  # Retry-After, not 0.2 s
    assert "retries" in result.stdout


def test_redirects_on_site_are_followed_off_site_refused_and_loops_bounded(
    db_url: str,
) -> None:
    spam = "http://www.chinadaily.com.cn.spam-clone.example"
    with ChaosMirror() as mirror:
        build_sites(mirror)
        regional_a5 = A5.url.replace(CPPCC, REGIONAL)
        mirror.add(regional_a5, mirror.pages[("en.cppcc.gov.cn", A5.url[len(CPPCC) :])].body)
        mirror.add(A5.url, b"", status=301, headers={"Location": regional_a5})
        mirror.add(A4.url, b"", status=302, headers={"Location": f"{spam}/2024-02/20/x.htm"})
        second_page = A1.url.replace(".htm", "_2.htm")  # requested with dont_filter
        mirror.add(second_page, b"", status=302, headers={"Location": f"{spam}/page2.htm"})
        looped = A3.url.replace(".htm", "_loop.htm")
        mirror.add(A3.url, b"", status=301, headers={"Location": looped})
        mirror.add(looped, b"", status=301, headers={"Location": A3.url})
        for n in range(1, 30):  # an endless chain of on-site redirects
            mirror.add(
                f"{REGIONAL}/chain/{n}.htm",
                b"",
                status=301,
                headers={"Location": f"{REGIONAL}/chain/{n + 1}.htm"},
            )
        a6_regional = A6.url.replace(CPPCC, REGIONAL)
        mirror.add(a6_regional, b"", status=302, headers={"Location": f"{REGIONAL}/chain/1.htm"})
        result = crawl(db_url, mirror, "cppcc", REDIRECT_MAX_TIMES=5)
        hosts = {host for host, _ in mirror.requests}
        chain = [p for p in mirror.requested("regional.chinadaily.com.cn") if "/chain/" in p]
        loop_hits = [p for p in mirror.requested("en.cppcc.gov.cn") if "c_967551" in p]
    assert result.returncode == 0, result.stderr
    articles = stored(db_url)
    assert articles[A5.url]["body"] == A5.body  # followed on site, stored under its real URL
    assert A4.url not in articles and A1.url not in articles and A3.url not in articles
    assert not any("spam-clone" in host for host in hosts)
    reasons = {r["url"]: r["reason"] for r in query(db_url, "SELECT * FROM rejects")}
    assert reasons[A4.url].startswith("article page: redirect to another site refused")
    assert f"{spam}/page2.htm" in reasons[second_page]
    assert len(chain) == 5  # REDIRECT_MAX_TIMES
    assert "max redirections" in reasons[a6_regional]
    assert len(loop_hits) <= 3  # the ping-pong stops at the duplicate filter...
    assert "redirect loop" in reasons[A3.url]  # ...and is recorded


def test_a_changed_template_fails_the_run_with_the_reason(db_url: str) -> None:
    with ChaosMirror() as mirror:
        build_sites(mirror)
        mirror.add(
            f"{CPPCC}/news.html", "<html><body><div class='new-look'>Welcome</div></body></html>"
        )
        mirror.add(f"{REGIONAL}/surveys.html", "<html><body><p>Moved</p></body></html>")
        for story in CD_LINKED:
            path = story.url.removeprefix(CD)
            mirror.add(
                story.url,
                f"<html><head><title>{story.title}</title></head><body>"
                f"<div class='redesign'></div></body></html>",
            )
            mirror.add(story.url.replace(".html", "_2.html"), "<html></html>")
            assert path
        result = crawl(db_url, mirror)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    runs = {r["spider"]: dict(r) for r in query(db_url, "SELECT * FROM crawl_runs")}
    assert runs["cppcc"]["status"] == "failed"
    assert "yielded no article links" in runs["cppcc"]["reason"]
    assert runs["chinadaily"]["status"] == "failed"
    assert "articles had a body" in runs["chinadaily"]["reason"]
    assert "template" in errors[0]
    assert query(db_url, "SELECT COUNT(*) FROM articles")[0][0] == 0


def test_a_run_far_worse_than_the_previous_ones_fails(db_url: str) -> None:
    lenient = {"CPPCC_WATCH_MIN_FIELD_SHARE": 0}  # only the comparison with history judges
    with ChaosMirror() as mirror:
        build_sites(mirror)
        first = crawl(db_url, mirror, "chinadaily", **lenient)
        assert first.returncode == 0, first.stderr
        fresh = [
            cd_story(
                f"65f00000a31082fc043ba{n:03d}", "2024-03-09 10:00", f"Bodiless {n}", [[]], None
            )
            for n in range(3)
        ]
        section = "/china/governmentandpolicy"
        mirror.add(
            f"{CD}{section}/page_1.html",
            sitegen.chinadaily_listing(section, [listing_item(s) for s in fresh], 1, 1),
        )
        for story in fresh:
            serve_cd_story(mirror, story)
        second = crawl(db_url, mirror, "chinadaily", **lenient)
    assert second.returncode == 1
    assert "had bodies" in second.stderr
    run = dict(query(db_url, "SELECT * FROM crawl_runs ORDER BY id DESC")[0])
    assert run["status"] == "failed"
    assert run["reason"].startswith("0% of the articles had bodies where the last 1 run(s) had 80%")


def test_backoff_doubles_up_to_its_cap_and_reads_retry_after() -> None:
    assert [backoff_delay(n, 2.0, 10.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]
    assert backoff_delay(3, 0, 10.0) == 0.0
    now = datetime(2026, 3, 14, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(b"Sat, 14 Mar 2026 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds(b"Sat, 14 Mar 2026 07:00:00 GMT", now) == 0.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None

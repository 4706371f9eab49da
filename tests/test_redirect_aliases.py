"""Redirected articles: an article whose listing URL redirects on the site is stored under its
final URL and remembered under the listed one (`article_aliases`), so the next run does not
download it again. End-to-end crawls through the real engine against the 127.0.0.1 mirror."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace

from tests import sitegen
from tests.database import rows
from tests.mirror_server import Mirror
from tests.test_end_to_end import (
    CPPCC,
    REGIONAL,
    Story,
    cppcc_story,
    listing_item,
    serve_cppcc_story,
)
from tests.test_recheck import article_paths
from tests.test_recheck import crawl as crawl_cppcc

NEWS = {"cppcc": [f"{CPPCC}/news.html"]}
NEWS_AND_SURVEYS = {"cppcc": [f"{CPPCC}/news.html", f"{REGIONAL}/surveys.html"]}
SPAM = "http://en.cppcc.gov.cn.spam-clone.example"

# MOVED is listed under c_900020 but the site answers 301 with its new path, c_900021;
# HOSTED is listed on http://en.cppcc.gov.cn and answered 301 with https://regional...;
# PLAIN is an ordinary article.
MOVED = cppcc_story(900021, "2024-03-08", "A moved article", [["Advisors met in Hefei, Anhui."]])
MOVED_LISTED = f"{CPPCC}/2024-03/07/c_900020.htm"
HOSTED = cppcc_story(900022, "2024-03-07", "Served from the regional host", [["Text in Jilin."]])
PLAIN = cppcc_story(900023, "2024-03-07", "An ordinary article", [["Advisors met in Lhasa."]])
OFFSITE = f"{CPPCC}/2024-03/07/c_900024.htm"


def build(mirror: Mirror, surveys: list[dict] | None = None, offsite: bool = False) -> None:
    """Serve news.html (MOVED under its old URL, HOSTED, PLAIN, maybe OFFSITE) and its articles."""
    items = [{**listing_item(MOVED), "url": MOVED_LISTED}, listing_item(HOSTED)]
    items += [listing_item(PLAIN)]
    if offsite:
        items += [{**listing_item(PLAIN), "title": "Redirected away", "url": OFFSITE}]
    mirror.add(f"{CPPCC}/news.html", sitegen.cppcc_listing("news", items, 1, 1))
    if surveys:
        mirror.add(f"{REGIONAL}/surveys.html", sitegen.cppcc_listing("surveys", surveys, 1, 1))
    mirror.add(MOVED_LISTED, b"", status=301, headers={"Location": MOVED.url})
    serve_cppcc_story(mirror, MOVED)
    hosted_there = HOSTED.url.replace(CPPCC, REGIONAL).replace("http://", "https://")
    mirror.add(HOSTED.url, b"", status=301, headers={"Location": hosted_there})
    serve_cppcc_story(mirror, HOSTED, "https://regional.chinadaily.com.cn/cppcc")
    serve_cppcc_story(mirror, PLAIN)
    mirror.add(OFFSITE, b"", status=302, headers={"Location": f"{SPAM}/2024-03/07/c_900023.htm"})
    mirror.add(f"{SPAM}/2024-03/07/c_900023.htm", b"spam")


def crawl(db_url: str, mirror: Mirror, **settings: str) -> subprocess.CompletedProcess:
    """One `cppcc-watch crawl cppcc` of the news section (unless settings say otherwise)."""
    return crawl_cppcc(db_url, mirror, **{"CPPCC_WATCH_SECTIONS": json.dumps(NEWS), **settings})


def path_of(url: str) -> str:
    return url.split("://", 1)[1]


def test_a_redirected_article_is_not_downloaded_again(db_url: str) -> None:
    with Mirror() as mirror:
        build(mirror)
        first = crawl(db_url, mirror)
        assert first.returncode == 0, first.stderr[-2000:]
        first_fetched = article_paths(mirror)
        mirror.reset_log()
        second = crawl(db_url, mirror)
        assert second.returncode == 0, second.stderr[-2000:]
        second_fetched = article_paths(mirror)

    stored = {r["url"]: r for r in rows(db_url, "SELECT * FROM articles")}
    assert set(stored) == {MOVED.url, HOSTED.url, PLAIN.url}  # under their canonical URLs
    assert path_of(MOVED_LISTED) in first_fetched and path_of(MOVED.url) in first_fetched
    aliases = rows(
        db_url,
        "SELECT al.url, a.url AS article FROM article_aliases al JOIN articles a"
        " ON a.id = al.article_id",
    )
    # the scheme and host change needs no alias: the canonical URL is the same
    assert [(r["url"], r["article"]) for r in aliases] == [(MOVED_LISTED, MOVED.url)]

    assert second_fetched == []  # the second run downloads no article page
    runs = rows(db_url, "SELECT * FROM crawl_runs ORDER BY id")
    assert [(r["status"], r["new"], r["article_pages"]) for r in runs] == [
        ("ok", 3, 3),
        ("ok", 0, 0),
    ]


def test_an_off_site_redirect_stays_refused_and_makes_no_alias(db_url: str) -> None:
    with Mirror() as mirror:
        build(mirror, offsite=True)
        crawl(db_url, mirror)
        mirror.reset_log()
        crawl(db_url, mirror)
        second_fetched = article_paths(mirror)
        hosts = {host for host, _ in mirror.requests}
    assert not any("spam-clone" in host for host in hosts)
    assert second_fetched == [path_of(OFFSITE)]  # refused, so never known: asked again
    aliases = rows(db_url, "SELECT url FROM article_aliases ORDER BY url")
    assert [r["url"] for r in aliases] == [MOVED_LISTED]
    rejects = rows(db_url, "SELECT run_id, url, reason FROM rejects ORDER BY id")
    assert [(r["run_id"], r["url"]) for r in rejects] == [(1, OFFSITE), (2, OFFSITE)]
    assert all("redirect to another site refused" in r["reason"] for r in rejects)


def test_a_recheck_fetches_an_aliased_article_once(db_url: str) -> None:
    changed: Story = replace(MOVED, paragraphs=[["Advisors met in Hefei and Wuhu, Anhui."]])
    with Mirror() as mirror:
        build(mirror)
        assert crawl(db_url, mirror).returncode == 0
        # the final URL is now linked too (from surveys): both listing links are the same article
        build(mirror, surveys=[listing_item(MOVED)])
        serve_cppcc_story(mirror, changed)
        serve_cppcc_story(mirror, changed, REGIONAL)
        mirror.reset_log()
        result = crawl(
            db_url,
            mirror,
            CPPCC_WATCH_RECHECK_DAYS="100000",
            CPPCC_WATCH_SECTIONS=json.dumps(NEWS_AND_SURVEYS),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        fetched = article_paths(mirror)
    assert sum(p.endswith("/c_900021.htm") for p in fetched) == 1, fetched  # on any host
    assert fetched.count(path_of(PLAIN.url)) == 1, fetched
    run = rows(db_url, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert (run["new"], run["updated"], run["unchanged"]) == (0, 1, 2)
    assert json.loads(run["settings_json"])["figures"]["rechecks"] == 3  # not MOVED twice
    assert rows(db_url, "SELECT * FROM rejects WHERE run_id = :id", id=run["id"]) == []
    stored = rows(db_url, "SELECT body, version FROM articles WHERE url = :url", url=MOVED.url)
    assert [(r["body"], r["version"]) for r in stored] == [(changed.body, 2)]

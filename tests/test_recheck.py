"""Rechecks (CPPCC_WATCH_RECHECK_DAYS): stored articles published recently are fetched again so
that corrections are stored as new versions. End-to-end crawls through the real engine against
the 127.0.0.1 mirror, plus the pure window rule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from spiders.incremental import SOURCE_TZ, published_within
from tests import sitegen
from tests.database import rows
from tests.mirror_server import Mirror
from tests.test_end_to_end import (
    CPPCC,
    REGIONAL,
    ROOT,
    Story,
    cppcc_story,
    listing_item,
    serve_cppcc_story,
)

SECTIONS = {"cppcc": [f"{CPPCC}/news.html", f"{REGIONAL}/surveys.html"]}
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "0",
    "CPPCC_WATCH_SECTIONS": json.dumps(SECTIONS),
}
WINDOW = "3"


def days_ago(days: int) -> str:
    """The date `days` days before today at the sources (+08:00), as YYYY-MM-DD."""
    return (datetime.now(SOURCE_TZ) - timedelta(days=days)).date().isoformat()


# On news.html: two recent articles (RECENT over two pages, also linked from the regional host's
# surveys listing) and one published long before the window; on news_2.html: another recent one.
RECENT = cppcc_story(
    900001,
    days_ago(1),
    "Advisors discuss rural revitalization",
    [
        ["CPPCC members discussed rural revitalization in Henan."],
        ["They visited grain farms in Zhengzhou."],
    ],
)
SAME = cppcc_story(
    900002, days_ago(1), "Standing Committee meets", [["The Standing Committee met in Beijing."]]
)
OLD = cppcc_story(
    900003, days_ago(40), "An older survey in Yunnan", [["Members surveyed Kunming, Yunnan."]]
)
DEEP = cppcc_story(
    900004, days_ago(2), "Recent, but on page two", [["Advisors met in Chengdu, Sichuan."]]
)
CORRECTED = ["They visited grain farms in Zhengzhou and Luoyang. (Corrected)"]


def corrected(story: Story, last_page: list[str]) -> Story:
    """The story with its last page's text replaced (a correction published on the site)."""
    return replace(story, paragraphs=[*story.paragraphs[:-1], last_page])


def build(mirror: Mirror, stories: dict[str, Story], robots: str = "User-agent: *\nAllow: /\n"):
    """Serve the two CPPCC listings and their articles (`stories` by name)."""
    mirror.add(f"{CPPCC}/robots.txt", robots, content_type="text/plain")
    page1 = [listing_item(stories[name]) for name in ("RECENT", "SAME", "OLD")]
    page2 = [listing_item(stories["DEEP"])]
    mirror.add(f"{CPPCC}/news.html", sitegen.cppcc_listing("news", page1, 1, 2))
    mirror.add(f"{CPPCC}/news_2.html", sitegen.cppcc_listing("news", page2, 2, 2))
    regional = {**listing_item(stories["RECENT"]), "url": RECENT.url.replace(CPPCC, REGIONAL)}
    mirror.add(f"{REGIONAL}/surveys.html", sitegen.cppcc_listing("surveys", [regional], 1, 1))
    for story in stories.values():
        serve_cppcc_story(mirror, story)
    serve_cppcc_story(mirror, stories["RECENT"], REGIONAL)


def crawl(db_url: str, mirror: Mirror, **settings: str) -> subprocess.CompletedProcess:
    """One `cppcc-watch crawl cppcc` against the mirror, with extra settings."""
    merged = {**FAST, "CPPCC_WATCH_MIRROR": mirror.url, **settings}
    options = [x for name, value in merged.items() for x in ("-s", f"{name}={value}")]
    argv = [sys.executable, "-m", "cppcc_watch", "--db", db_url, "crawl", "cppcc", *options]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def article_paths(mirror: Mirror) -> list[str]:
    """Article pages requested since the last reset (host + path, any host)."""
    return [p for p in mirror.requested() if "/c_" in p]


def tail(story: Story) -> str:
    """The `YYYY-MM/DD/c_N` part shared by every URL of a story's first page."""
    return story.url.removeprefix(CPPCC + "/").removesuffix(".htm")


def requests_of(paths: list[str], story: Story) -> list[str]:
    """The requested paths of one story's pages, on any host."""
    return [p for p in paths if tail(story) in p]


def last_run(db_url: str) -> dict:
    return dict(rows(db_url, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0])


@pytest.fixture(scope="module")
def site(module_db_url: str) -> Iterator[tuple[Mirror, str]]:
    """A mirror whose articles have all been crawled once, with rechecks on."""
    db_url = module_db_url
    stories = {"RECENT": RECENT, "SAME": SAME, "OLD": OLD, "DEEP": DEEP}
    with Mirror() as mirror:
        build(mirror, stories)
        first = crawl(db_url, mirror, CPPCC_WATCH_RECHECK_DAYS=WINDOW)
        assert first.returncode == 0, first.stderr[-2000:]
        assert last_run(db_url)["new"] == 4
        # on the first run nothing is stored: each article once, RECENT's two pages once each
        fetched = article_paths(mirror)
        assert len(fetched) == 5 and len(set(fetched)) == 5, fetched
        yield mirror, db_url


def test_a_corrected_recent_article_is_stored_as_version_2(site) -> None:
    mirror, db_url = site
    changed = {
        "RECENT": corrected(RECENT, CORRECTED),
        "SAME": SAME,
        "OLD": corrected(OLD, ["Members surveyed Kunming and Dali, Yunnan."]),
        "DEEP": corrected(DEEP, ["Advisors met in Chengdu and Mianyang, Sichuan."]),
    }
    build(mirror, changed)
    mirror.reset_log()
    result = crawl(db_url, mirror, CPPCC_WATCH_RECHECK_DAYS=WINDOW)
    assert result.returncode == 0, result.stderr[-2000:]
    fetched = article_paths(mirror)

    # RECENT (both pages, once, though two listings link it) and SAME are fetched again...
    assert len(requests_of(fetched, RECENT)) == 2, fetched
    assert len(requests_of(fetched, SAME)) == 1, fetched
    # ...OLD, published before the window, is not, and the walk stopped at page 1 as before
    assert requests_of(fetched, OLD) == []
    assert "/news_2.html" not in mirror.requested("en.cppcc.gov.cn")
    assert requests_of(fetched, DEEP) == []
    assert len(fetched) == 3

    run = last_run(db_url)
    assert (run["status"], run["new"], run["updated"], run["unchanged"]) == ("ok", 0, 1, 1)
    assert json.loads(run["settings_json"])["figures"]["rechecks"] == 2
    stored = {r["url"]: r for r in rows(db_url, "SELECT * FROM articles")}
    assert stored[RECENT.url]["version"] == 2
    assert stored[RECENT.url]["changed_at"] is not None
    assert stored[RECENT.url]["body"].endswith(CORRECTED[0])
    assert (stored[SAME.url]["version"], stored[OLD.url]["version"]) == (1, 1)
    assert "Dali" not in stored[OLD.url]["body"]
    versions = rows(
        db_url,
        "SELECT v.version, v.body FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "WHERE a.url = :url",
        url=RECENT.url,
    )
    assert [(v["version"], v["body"]) for v in versions] == [(1, RECENT.body)]


def test_rechecks_obey_robots_txt(site) -> None:
    mirror, db_url = site
    stories = {"RECENT": RECENT, "SAME": SAME, "OLD": OLD, "DEEP": DEEP}
    build(mirror, stories, robots=f"User-agent: *\nDisallow: /{tail(SAME)}\n")
    mirror.reset_log()
    result = crawl(db_url, mirror, CPPCC_WATCH_RECHECK_DAYS=WINDOW)
    assert result.returncode == 0, result.stderr[-2000:]
    fetched = article_paths(mirror)
    assert requests_of(fetched, SAME) == []
    assert len(requests_of(fetched, RECENT)) == 2
    rejects = rows(
        db_url, "SELECT url, reason FROM rejects WHERE run_id = :id", id=last_run(db_url)["id"]
    )
    assert [(r["url"], "robots.txt" in r["reason"]) for r in rejects] == [(SAME.url, True)]


@pytest.mark.parametrize("settings", [{}, {"CPPCC_WATCH_RECHECK_DAYS": "0"}])
def test_without_rechecks_no_stored_article_is_requested(site, settings) -> None:
    mirror, db_url = site
    build(
        mirror,
        {"RECENT": corrected(RECENT, ["Changed again."]), "SAME": SAME, "OLD": OLD, "DEEP": DEEP},
    )
    mirror.reset_log()
    result = crawl(db_url, mirror, **settings)
    assert result.returncode == 0, result.stderr[-2000:]
    assert article_paths(mirror) == []
    run = last_run(db_url)
    assert (run["status"], run["new"], run["updated"], run["unchanged"]) == ("ok", 0, 0, 0)


@pytest.mark.parametrize(
    ("published_at", "days", "within"),
    [
        ("2026-03-10T09:00:00+08:00", 2, True),  # 1 h after "now" minus 2 days
        ("2026-03-10T07:00:00+08:00", 2, False),  # 1 h before
        ("2026-03-12T08:00:00+08:00", 2, True),  # later than now (a clock skew): recent
        ("2026-03-10T09:00:00", 2, True),  # no offset: read in +08:00
        ("2026-03-10T07:00:00", 2, False),
        ("2026-03-12", 1, True),  # a date alone is its midnight at +08:00
        ("2026-03-11", 1, False),
        ("2026-03-11T23:00:00+08:00", 0, False),  # 0 days: rechecks are off
        ("2026-03-11T23:00:00+08:00", -1, False),
        (None, 5, False),
        ("", 5, False),
        ("yesterday", 5, False),
        ("2026-03-11T12:00:00+00:00", 0.5, True),  # half a day
    ],
)
def test_published_within(published_at: str | None, days: float, within: bool) -> None:
    now = datetime(2026, 3, 12, 0, 0, tzinfo=UTC)  # 08:00 on 2026-03-12 at the sources
    assert published_within(published_at, days, now) is within

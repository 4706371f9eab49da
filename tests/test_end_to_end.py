# ruff: noqa: E501 - the fixture stories are prose lines.
"""End-to-end crawls: the real Scrapy engine, in a real process, crawls a fixture copy of both sites
served on 127.0.0.1 (through CPPCC_WATCH_MIRROR) into a real database, a SQLite file or a
PostgreSQL database in turn."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import sitegen
from tests.database import rows
from tests.mirror_server import Mirror

ROOT = Path(__file__).resolve().parent.parent
CPPCC = "http://en.cppcc.gov.cn"
REGIONAL = "https://regional.chinadaily.com.cn/cppcc"
CD = "https://www.chinadaily.com.cn"
SECTIONS = {
    "cppcc": [f"{CPPCC}/news.html", f"{REGIONAL}/surveys.html"],
    "chinadaily": [f"{CD}/china/governmentandpolicy/page_1.html"],
}
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "0",
    "CPPCC_WATCH_SECTIONS": json.dumps(SECTIONS),
}
BOILERPLATE = (
    "Copyright",
    "Presented by China Daily",
    "京ICP备",
    "Share - WeChat",
    ".jpg",
    "[Photo",
    "Back to the Top",
    "Editor:",
    "<",
    "Next",
)


@dataclass
class Story:
    """An article of the fixture sites, as the crawl must store it."""

    url: str
    title: str
    paragraphs: list[list[str]]  # per page
    published_at: str
    outlet: str | None
    author: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def body(self) -> str:
        return "\n".join(p for page in self.paragraphs for p in page)


def cppcc_story(
    n: int, day: str, title: str, pages: list[list[str]], source: str | None = "Xinhua"
) -> Story:
    return Story(
        url=f"{CPPCC}/{day[:7]}/{day[8:]}/c_{n}.htm",
        title=title,
        paragraphs=pages,
        published_at=f"{day}T00:00:00+08:00",
        outlet={"chinadaily.com.cn": "China Daily", None: "CPPCC"}.get(source, source),
        extra={"source": source, "day": day},
    )


def cd_story(ws: str, when: str, title: str, pages: list[list[str]], author: str | None) -> Story:
    day = when[:10]
    return Story(
        url=f"{CD}/a/{day[:4]}{day[5:7]}/{day[8:]}/WS{ws}.html",
        title=title,
        paragraphs=pages,
        published_at=f"{day}T{when[11:]}:00+08:00",
        outlet="China Daily",
        author=author,
        extra={"when": when},
    )


A1 = cppcc_story(
    967532,
    "2024-03-03",
    "CPPCC members survey science organizations in Sichuan and Shaanxi",
    [
        [
            "Members of the CPPCC National Committee visited Chengdu, Sichuan province, to survey international science organizations.",
            "They met researchers at the China Association for Science and Technology (CAST).",
        ],
        [
            "In Xi'an, Shaanxi province, the team discussed innovation and talent with local officials.",
            "CAST said it would deepen international cooperation.",
        ],
    ],
)
A2 = cppcc_story(
    967540,
    "2024-03-04",
    "Standing Committee session closes in Beijing",
    [
        [
            "BEIJING -- The Standing Committee of the CPPCC National Committee closed its session on Monday.",
            "Wang Huning presided over the closing meeting.",
        ],
    ],
    source="Xinhua",
)
A3 = cppcc_story(
    967551,
    "2024-03-05",
    "China Zhi Gong Party to submit 35 proposals",
    [
        [
            "The China Zhi Gong Party will submit 35 proposals on food security and rural revitalization.",
            "The proposals cover grain output in Henan and Heilongjiang.",
        ],
    ],
    source=None,
)
A4 = cppcc_story(
    967401,
    "2024-02-20",
    "Political advisors discuss ecological protection of the Yellow River",
    [
        [
            "Political advisors discussed ecological protection along the Yellow River in Gansu and Ningxia."
        ],
    ],
    source="chinadaily.com.cn",
)
A5 = cppcc_story(
    967402,
    "2024-02-21",
    "Vice-chairperson inspects elderly care in Guangdong",
    [
        ["A CPPCC vice-chairperson inspected elderly care services in Guangzhou and Shenzhen."],
    ],
)
A6 = cppcc_story(
    967600,
    "2024-03-06",
    "Advisors survey rural revitalization in Yunnan",
    [
        ["CPPCC members travelled to Kunming, Yunnan province, to survey rural revitalization."],
    ],
)
BLOCKED = cppcc_story(967300, "2024-01-10", "A page robots.txt forbids", [["Never fetched."]])
NEW1 = cppcc_story(
    967700,
    "2024-03-10",
    "CPPCC annual session opens",
    [["The second session of the 14th CPPCC National Committee opened in Beijing."]],
)
NEW2 = cppcc_story(
    967701,
    "2024-03-11",
    "Advisors on new quality productive forces",
    [["Advisors discussed new quality productive forces in Jiangsu."]],
)

B1 = cd_story(
    "65e572bca31082fc043ba784",
    "2024-03-04 10:30",
    "Top political advisor stresses unity",
    [
        [
            "Wang Huning, chairman of the CPPCC National Committee, stressed unity at a meeting in Beijing.",
            "He called on political advisors to contribute to Chinese modernization.",
        ],
        ["The meeting was attended by members of the eight non-Communist parties."],
    ],
    author="CAO YIN",
)
B2 = cd_story(
    "65e5730aa31082fc043ba790",
    "2024-03-04 11:05",
    "Hainan free trade port draws investors",
    [
        ["Hainan province attracted more foreign investment last year, officials in Haikou said."],
    ],
    author=None,
)
B3 = cd_story(
    "65e57400a31082fc043ba7a1",
    "2024-03-04 12:00",
    "Grain output hits record",
    [
        ["China's grain output reached a record high, the National Bureau of Statistics said."],
    ],
    author="WANG XIAOYU",
)
B4 = cd_story(
    "65e4000aa31082fc043ba700",
    "2024-03-03 09:00",
    "Scientists in Hefei unveil quantum computer",
    [
        ["Researchers in Hefei, Anhui province, unveiled a quantum computer."],
    ],
    author="ZHANG ZHIHAO",
)
EMPTY = cd_story(
    "65e3000aa31082fc043ba600", "2024-03-02 08:00", "A page that lost its body", [[]], author=None
)

CPPCC_LINKED = [A1, A2, A3, A4, A5, A6]
CD_LINKED = [B1, B2, B3, B4]
SPAM = "http://www.chinadaily.com.cn.spam-clone.example/a/202403/04/WS65e572bca31082fc043ba799.html"


def listing_item(story: Story) -> dict:
    return {
        "url": story.url,
        "title": story.title,
        "date": story.published_at[:10],
        "datetime": story.extra.get("when", ""),
        "summary": story.paragraphs[0][0] if story.paragraphs[0] else "",
    }


def with_spam(html: str) -> str:
    return html.replace(
        "</body>",
        f'<a href="{SPAM}">Hot news</a><a href="//spam-clone.example/2024-03/03/c_967999.htm">More</a></body>',
    )


def serve_cppcc_story(mirror: Mirror, story: Story, host_url: str = CPPCC) -> None:
    path = story.url.removeprefix(CPPCC)
    pages = len(story.paragraphs)
    for number, paragraphs in enumerate(story.paragraphs, start=1):
        page_path = path if number == 1 else path.replace(".htm", f"_{number}.htm")
        html = sitegen.cppcc_article(
            story.title,
            story.extra["day"],
            story.extra["source"],
            paragraphs,
            page=number,
            pages=pages,
            path=path,
            caption="[Photo/Xinhua]" if story is A1 and number == 1 else None,
        )
        mirror.add(host_url + page_path, html)


def serve_cd_story(mirror: Mirror, story: Story) -> None:
    path = story.url.removeprefix(CD)
    pages = len(story.paragraphs)
    for number, paragraphs in enumerate(story.paragraphs, start=1):
        page_path = path if number == 1 else path.replace(".html", f"_{number}.html")
        html = sitegen.chinadaily_article(
            story.title,
            story.extra["when"],
            story.author,
            "chinadaily.com.cn",
            paragraphs,
            page=number,
            pages=pages,
            path=path,
        )
        mirror.add(CD + page_path, html)


def build_sites(mirror: Mirror, news_top: list[Story] = ()) -> None:
    """Serve the fixture sites: two CPPCC hosts and China Daily, with robots.txt and spam links."""
    mirror.add(
        f"{CPPCC}/robots.txt", "User-agent: *\nDisallow: /2024-01/\n", content_type="text/plain"
    )
    mirror.add(
        "https://regional.chinadaily.com.cn/robots.txt",
        "User-agent: *\nAllow: /\n",
        content_type="text/plain",
    )
    mirror.add(f"{CD}/robots.txt", "User-agent: *\nDisallow: /e/\n", content_type="text/plain")
    news1 = [*news_top, A1, A2, A3]
    mirror.add(
        f"{CPPCC}/news.html",
        with_spam(sitegen.cppcc_listing("news", [listing_item(s) for s in news1], 1, 2)),
    )
    mirror.add(
        f"{CPPCC}/news_2.html",
        sitegen.cppcc_listing("news", [listing_item(s) for s in (A4, A5, BLOCKED)], 2, 2),
    )
    mirror.add(
        f"{REGIONAL}/surveys.html",
        sitegen.cppcc_listing(
            "surveys",
            [
                {**listing_item(A2), "url": A2.url.replace(CPPCC, REGIONAL)},
                {**listing_item(A6), "url": A6.url.replace(CPPCC, REGIONAL)},
            ],
            1,
            1,
        ),
    )
    for story in [*news_top, A1, A2, A3, A4, A5, BLOCKED]:
        serve_cppcc_story(mirror, story)
    serve_cppcc_story(mirror, A2, "https://regional.chinadaily.com.cn/cppcc")
    serve_cppcc_story(mirror, A6, "https://regional.chinadaily.com.cn/cppcc")
    section = "/china/governmentandpolicy"
    mirror.add(
        f"{CD}{section}/page_1.html",
        with_spam(
            sitegen.chinadaily_listing(section, [listing_item(s) for s in (B1, B2, B3)], 1, 2)
        ),
    )
    mirror.add(
        f"{CD}{section}/page_2.html",
        sitegen.chinadaily_listing(section, [listing_item(s) for s in (B4, EMPTY)], 2, 2),
    )
    for story in CD_LINKED:
        serve_cd_story(mirror, story)
    mirror.add(
        EMPTY.url,
        sitegen.chinadaily_article(
            EMPTY.title, EMPTY.extra["when"], None, "Xinhua", [], path=EMPTY.url.removeprefix(CD)
        ),
    )


def crawl(
    db_url: str, mirror: Mirror, *args: str, command: str = "cppcc-watch"
) -> subprocess.CompletedProcess:
    settings = {**FAST, "CPPCC_WATCH_MIRROR": mirror.url}
    options = [x for name, value in settings.items() for x in ("-s", f"{name}={value}")]
    if command == "scrapy":
        argv = [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            *args,
            *options,
            "-s",
            f"CPPCC_WATCH_DB={db_url}",
        ]
    else:
        argv = [sys.executable, "-m", "cppcc_watch", "--db", db_url, "crawl", *args, *options]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def article_paths(mirror: Mirror) -> list[str]:
    return [p for p in mirror.requested() if "/c_" in p or "/a/" in p]


@pytest.fixture(scope="module")
def first_crawl(module_db_url: str) -> Iterator[tuple[Mirror, str, subprocess.CompletedProcess]]:
    with Mirror() as mirror:
        build_sites(mirror)
        result = crawl(module_db_url, mirror)
        yield mirror, module_db_url, result


def test_first_crawl_stores_every_article_once_with_exact_fields(first_crawl) -> None:
    _, db_url, result = first_crawl
    assert result.returncode == 0, result.stderr
    stored = {row["url"]: row for row in rows(db_url, "SELECT * FROM articles")}
    assert set(stored) == {s.url for s in [*CPPCC_LINKED, *CD_LINKED]}
    for story in [*CPPCC_LINKED, *CD_LINKED]:
        row = stored[story.url]
        assert row["title"] == story.title
        assert row["body"] == story.body
        assert row["published_at"] == story.published_at
        assert row["outlet"] == story.outlet
        assert row["source"] == ("cppcc" if story.url.startswith(CPPCC) else "chinadaily")
        if story.author:
            assert row["author"].lower() == story.author.lower()
        for words in BOILERPLATE:
            assert words not in row["body"], (story.url, words)
    assert stored[A6.url]["section"] == "surveys"
    assert stored[B1.url]["section"] == "governmentandpolicy"


def test_first_crawl_joins_pages_and_keeps_raw_html(first_crawl) -> None:
    _, db_url, _ = first_crawl
    pages = rows(
        db_url,
        "SELECT p.url, p.page_number FROM raw_pages p JOIN articles a ON a.id = p.article_id "
        "WHERE a.url = :url ORDER BY p.page_number",
        url=A1.url,
    )
    assert [r["page_number"] for r in pages] == [1, 2]
    assert pages[1]["url"].endswith("c_967532_2.htm")
    assert rows(db_url, "SELECT COUNT(*) AS n FROM raw_pages")[0]["n"] == 12


def test_first_crawl_is_polite_and_stays_on_the_sites(first_crawl) -> None:
    mirror, _, _ = first_crawl
    hosts = {h for h, _ in mirror.requests}
    assert hosts == {"en.cppcc.gov.cn", "regional.chinadaily.com.cn", "www.chinadaily.com.cn"}
    assert "/robots.txt" in mirror.requested("en.cppcc.gov.cn")
    assert not [p for p in mirror.requested() if p.endswith(BLOCKED.url.removeprefix(CPPCC))]
    fetched = article_paths(mirror)
    assert len(fetched) == len(set(fetched)), "an article page was downloaded twice"
    assert sum(p.endswith("c_967540.htm") for p in fetched) == 1  # one host only


def test_first_crawl_logs_the_run_and_the_rejects(first_crawl) -> None:
    _, db_url, result = first_crawl
    runs = {r["spider"]: r for r in rows(db_url, "SELECT * FROM crawl_runs")}
    assert runs["cppcc"]["status"] == "ok"
    assert runs["cppcc"]["new"] == 6
    assert runs["chinadaily"]["new"] == 4
    assert runs["chinadaily"]["rejected"] == 1
    assert runs["cppcc"]["listing_pages"] == 3
    assert runs["cppcc"]["article_pages"] == 7
    rejects = rows(db_url, "SELECT * FROM rejects")
    reasons = {r["url"]: r["reason"] for r in rejects}
    assert "without body" in reasons[EMPTY.url]
    assert "robots.txt" in reasons[BLOCKED.url]
    assert "cppcc: ok: 6 new" in result.stdout


def test_first_crawl_extracts_entities(first_crawl) -> None:
    _, db_url, _ = first_crawl
    found = rows(
        db_url,
        "SELECT e.kind, e.name FROM mentions m JOIN entities e ON e.id = m.entity_id "
        "JOIN articles a ON a.id = m.article_id WHERE a.url = :url",
        url=A1.url,
    )
    names = {(r["kind"], r["name"]) for r in found}
    assert ("province", "Sichuan") in names
    assert ("city", "Chengdu") in names
    assert ("organization", "China Association for Science and Technology") in names


def test_recrawls_download_only_what_is_new(first_crawl) -> None:
    mirror, db_url, _ = first_crawl
    mirror.reset_log()
    second = crawl(db_url, mirror)
    assert second.returncode == 0, second.stderr
    assert article_paths(mirror) == []
    assert "/news_2.html" not in mirror.requested("en.cppcc.gov.cn")  # stopped at page 1
    runs = rows(db_url, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 2")
    assert {r["status"] for r in runs} == {"ok"}
    assert {r["new"] for r in runs} == {0}

    build_sites(mirror, news_top=[NEW1, NEW2])
    mirror.reset_log()
    third = crawl(db_url, mirror, "cppcc")
    assert third.returncode == 0, third.stderr
    assert sorted(article_paths(mirror)) == sorted(
        s.url.removeprefix("http://") for s in (NEW1, NEW2)
    )
    count = rows(db_url, "SELECT COUNT(*) AS n FROM articles")[0]["n"]
    assert count == len(CPPCC_LINKED) + len(CD_LINKED) + 2


def test_scrapy_crawl_works_from_the_project_root(db_url: str) -> None:
    with Mirror() as mirror:
        build_sites(mirror)
        result = crawl(db_url, mirror, "chinadaily", command="scrapy")
    assert result.returncode == 0, result.stderr[-2000:]
    urls = {r["url"] for r in rows(db_url, "SELECT url FROM articles")}
    assert urls == {s.url for s in CD_LINKED}


def test_unreachable_sites_fail_with_one_line(db_url: str) -> None:
    with Mirror() as mirror:  # serves nothing: every page is a 404
        result = crawl(db_url, mirror)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("cppcc-watch: crawl failed: ")
    assert "could not fetch any listing page (HTTP 404)" in errors[0]
    runs = rows(db_url, "SELECT status, reason FROM crawl_runs")
    assert [r["status"] for r in runs] == ["failed", "failed"]


def test_a_bad_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not a database" * 100)
    with Mirror() as mirror:
        result = crawl(f"sqlite:///{bad}", mirror)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a" in result.stderr.lower()
    assert bad.read_bytes() == b"this is not a database" * 100


def test_max_articles_limits_the_new_articles_of_each_spider(db_url: str) -> None:
    with Mirror() as mirror:
        build_sites(mirror)
        result = crawl(db_url, mirror, "--max-articles", "2")
        fetched = [p for p in article_paths(mirror) if not p.endswith(("_2.htm", "_2.html"))]
    assert result.returncode == 0, result.stderr
    sources = rows(db_url, "SELECT source, COUNT(*) AS n FROM articles GROUP BY source")
    assert {r["source"]: r["n"] for r in sources} == {"cppcc": 2, "chinadaily": 2}
    assert len(fetched) == 4  # no article beyond the limit was even requested
    runs = rows(db_url, "SELECT spider, new FROM crawl_runs")
    assert {r["spider"]: r["new"] for r in runs} == {"cppcc": 2, "chinadaily": 2}

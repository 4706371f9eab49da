"""The HTML generator's pages round-trip through the site page objects."""

from __future__ import annotations

import pytest

from cppcc_watch.sites import chinadaily, cppcc
from cppcc_watch.sites.common import merge_pages
from tests.sitegen import chinadaily_article, chinadaily_listing, cppcc_article, cppcc_listing

PARAGRAPHS = [
    "BEIJING -- Political advisors met in Beijing on Monday.",
    "They discussed rural revitalization in Yunnan & Guizhou <provinces>.",
    "The meeting was presided over by the chairman.",
]


@pytest.mark.parametrize("source", ["Xinhua", "chinadaily.com.cn", None])
def test_cppcc_article_round_trip(source: str | None) -> None:
    html = cppcc_article(
        "Advisors discuss rural revitalization",
        "2024-03-04",
        source,
        PARAGRAPHS,
        caption="Advisors at the meeting, March 4, 2024. [Photo/Xinhua]",
        path="/2024-03/04/c_967700.htm",
    )
    page = cppcc.ArticlePage(html, "http://en.cppcc.gov.cn/2024-03/04/c_967700.htm")
    article = page.to_article("cppcc", section="news")
    assert article.title == "Advisors discuss rural revitalization"
    assert article.published_at == "2024-03-04T00:00:00+08:00"
    assert (
        article.outlet
        == {"Xinhua": "Xinhua", "chinadaily.com.cn": "China Daily", None: "CPPCC"}[source]
    )
    assert article.body == "\n".join(PARAGRAPHS)
    assert article.captions == ["Advisors at the meeting, March 4, 2024. [Photo/Xinhua]"]
    assert page.page_links() == []


def test_cppcc_multipage_round_trip() -> None:
    host = "https://regional.chinadaily.com.cn/cppcc"
    parts = []
    for number in range(1, 5):
        path = "/2024-03/04/c_967700.htm" if number == 1 else f"/2024-03/04/c_967700_{number}.htm"
        html = cppcc_article(
            "Long story",
            "2024-03-04",
            "China Daily",
            [f"Part {number}."],
            page=number,
            pages=4,
            path=path,
        )
        page = cppcc.ArticlePage(html, host + path)
        assert page.page_links() == [
            f"{host}/2024-03/04/c_967700.htm",
            *(f"{host}/2024-03/04/c_967700_{n}.htm" for n in range(2, 5)),
        ]
        parts.append(page.to_article("cppcc"))
    merged = merge_pages(parts)
    assert merged.url == "http://en.cppcc.gov.cn/2024-03/04/c_967700.htm"
    assert merged.body == "Part 1.\nPart 2.\nPart 3.\nPart 4."


def test_cppcc_listing_round_trip() -> None:
    items = [
        {
            "url": f"/2024-03/{day:02d}/c_9677{day:02d}.htm",
            "title": f"Item {day}",
            "date": f"2024-03-{day:02d}",
            "summary": "Summary.",
        }
        for day in (9, 8, 7)
    ]
    for host in ("http://en.cppcc.gov.cn", "https://regional.chinadaily.com.cn/cppcc"):
        page = cppcc.ListingPage(cppcc_listing("news", items, 3, 10), f"{host}/news_3.html")
        assert page.current_page() == 3
        assert page.article_links() == [host + item["url"] for item in items]
        assert page.next_page_links() == [f"{host}/news_{n}.html" for n in (4, 5, 10)]
    last = cppcc.ListingPage(
        cppcc_listing("news", items, 10, 10), "http://en.cppcc.gov.cn/news_10.html"
    )
    assert last.next_page_links() == []
    single = cppcc.ListingPage(
        cppcc_listing("members", items, 1, 1), "http://en.cppcc.gov.cn/members.html"
    )
    assert single.next_page_links() == []


@pytest.mark.parametrize(
    ("author", "outlet", "want_author", "want_outlet"),
    [
        ("CAO YIN", "chinadaily.com.cn", "Cao Yin", "China Daily"),
        (None, "Xinhua", None, "Xinhua"),
        ("Hou Liqiang", "China Daily", "Hou Liqiang", "China Daily"),
    ],
)
def test_chinadaily_article_round_trip(
    author: str | None, outlet: str, want_author: str | None, want_outlet: str
) -> None:
    path = "/a/202403/04/WS65e572bca31082fc043ba784.html"
    html = chinadaily_article(
        "Advisors discuss rural revitalization",
        "2024-03-04 09:30",
        author,
        outlet,
        PARAGRAPHS,
        path=path,
    )
    page = chinadaily.ArticlePage(html, "https://www.chinadaily.com.cn" + path)
    article = page.to_article("chinadaily")
    assert article.title == "Advisors discuss rural revitalization"
    assert article.published_at == "2024-03-04T09:30:00+08:00"
    assert article.author == want_author
    assert article.outlet == want_outlet
    assert article.body == "\n".join(PARAGRAPHS)
    assert page.page_links() == []


def test_chinadaily_multipage_round_trip() -> None:
    base = "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784"
    urls = [f"{base}.html", f"{base}_2.html", f"{base}_3.html"]
    parts = []
    for number, url in enumerate(urls, start=1):
        path = url.removeprefix("https://www.chinadaily.com.cn")
        html = chinadaily_article(
            "Long",
            "2024-03-04 09:30",
            None,
            "China Daily",
            [f"Part {number}."],
            page=number,
            pages=3,
            path=path,
        )
        page = chinadaily.ArticlePage(html, url)
        assert page.page_links() == urls
        parts.append(page.to_article("chinadaily"))
    assert merge_pages(parts).body == "Part 1.\nPart 2.\nPart 3."


def test_chinadaily_listing_round_trip() -> None:
    items = [
        {
            "url": f"https://www.chinadaily.com.cn/a/202403/0{n}/WS65e572bca31082fc043ba78{n}.html",
            "title": f"Item {n}",
            "datetime": f"2024-03-0{n} 10:00",
        }
        for n in (5, 4, 3)
    ]
    section = "/china/governmentandpolicy"
    html = chinadaily_listing(section, items, 1, 7)
    assert 'href="//www.chinadaily.com.cn/a/' in html
    page = chinadaily.ListingPage(html, f"https://www.chinadaily.com.cn{section}/page_1.html")
    assert page.article_links() == [item["url"] for item in items]
    assert page.next_page_links() == [
        f"https://www.chinadaily.com.cn{section}/page_{n}.html" for n in (2, 3, 7)
    ]
    last = chinadaily.ListingPage(
        chinadaily_listing(section, items, 7, 7),
        f"https://www.chinadaily.com.cn{section}/page_7.html",
    )
    assert last.next_page_links() == []


def test_generated_pages_carry_the_boilerplate() -> None:
    cp = cppcc_article("T", "2024-03-04", None, ["P."], path="/2024-03/04/c_1.htm")
    cd = chinadaily_article(
        "T",
        "2024-03-04 09:30",
        None,
        "Xinhua",
        ["P."],
        path="/a/202403/04/WS65e572bca31082fc043ba784.html",
    )
    for html in (cp, cd):
        for furniture in ("Copyright", "All rights reserved", "Share - ", "Related Stories"):
            assert furniture in html
    assert "Presented by China Daily" in cp and "京ICP备08100501号-1" in cp
    for page in (
        cppcc.ArticlePage(cp, "http://en.cppcc.gov.cn/2024-03/04/c_1.htm"),
        chinadaily.ArticlePage(
            cd, "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html"
        ),
    ):
        assert page.body() == "P."


def test_bad_paths_are_refused() -> None:
    with pytest.raises(ValueError):
        cppcc_article("T", "2024-03-04", None, ["P."], path="/news.html")
    with pytest.raises(ValueError):
        chinadaily_article(
            "T", "2024-03-04 09:30", None, "Xinhua", ["P."], path="/china/page_1.html"
        )


def test_a_page_without_body_text_has_an_empty_body() -> None:
    """The footer's paragraphs never stand in for a missing body."""
    cp = cppcc_article("T", "2024-03-04", None, [], path="/2024-03/04/c_1.htm")
    cd = chinadaily_article(
        "T",
        "2024-03-04 09:30",
        None,
        "Xinhua",
        [],
        path="/a/202403/04/WS65e572bca31082fc043ba784.html",
    )
    assert cppcc.ArticlePage(cp, "http://en.cppcc.gov.cn/2024-03/04/c_1.htm").body() == ""
    url = "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html"
    assert chinadaily.ArticlePage(cd, url).body() == ""

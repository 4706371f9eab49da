"""Saved-page fixture tests of the site page objects (tests/fixtures/<site>/<case>/).

Each article case compares every field of `ArticlePage.to_article(...).to_json()` plus
`page_links()` with `expected.json`; each listing case compares `article_links()` and
`next_page_links()`. Re-print expectations with `scripts/update_fixtures.py` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cppcc_watch.items import Article, RawPage, content_hash
from cppcc_watch.sites import SITES, chinadaily, cppcc, site_for_url
from cppcc_watch.sites.common import (
    clean_text,
    is_boilerplate,
    merge_pages,
    normalize_author,
    normalize_outlet,
    split_caption,
)

FIXTURES = Path(__file__).parent / "fixtures"
BOILERPLATE = [
    "Copyright",
    "All rights reserved",
    "Presented by China Daily",
    "京ICP备",
    "Back to the Top",
    "Share -",
    "WeChat",
    "Related Stories",
    "Editor:",
    "Script",
    "1999-01-01",
    ".jpg",
    "Most Viewed",
]


def _cases(kind: str) -> list[Path]:
    return sorted(
        d
        for site in SITES
        for d in (FIXTURES / site).glob(f"{kind}-*")
        if (d / "expected.json").exists()
    )


def _load(case: Path) -> tuple[str, str, dict]:
    html = (case / "page.html").read_text(encoding="utf-8")
    url = (case / "url.txt").read_text(encoding="utf-8").strip()
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return html, url, expected


ARTICLE_CASES = _cases("article")
LISTING_CASES = _cases("listing")


def test_enough_fixtures() -> None:
    """The brief asks for at least five article cases per site and listings for both."""
    for site in SITES:
        assert len([c for c in ARTICLE_CASES if c.parent.name == site]) >= 5
        assert any(c.parent.name == site for c in LISTING_CASES)


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_article_fixture(case: Path) -> None:
    html, url, expected = _load(case)
    site = site_for_url(url)
    assert site is SITES[case.parent.name]
    assert site.is_article_url(url)
    page = site.ArticlePage(html, url)
    got = page.to_article(site.NAME).to_json()
    got["page_links"] = page.page_links()
    for key in expected:
        assert got[key] == expected[key], key
    assert set(got) == set(expected)


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_article_text_has_no_boilerplate(case: Path) -> None:
    html, url, _ = _load(case)
    site = site_for_url(url)
    article = site.ArticlePage(html, url).to_article(site.NAME)
    text = "\n".join([article.title or "", article.body or "", *article.captions])
    for phrase in BOILERPLATE:
        assert phrase not in text, phrase


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_article_keeps_raw_page(case: Path) -> None:
    html, url, _ = _load(case)
    site = site_for_url(url)
    article = site.ArticlePage(html, url).to_article(site.NAME, section="news")
    assert article.pages == [RawPage(url, html)]
    assert article.section == "news"
    assert article.fetched_at is None


@pytest.mark.parametrize("case", LISTING_CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_listing_fixture(case: Path) -> None:
    html, url, expected = _load(case)
    site = site_for_url(url)
    assert site is SITES[case.parent.name]
    page = site.ListingPage(html, url)
    assert page.article_links() == expected["article_links"]
    assert page.next_page_links() == expected["next_page_links"]
    assert all(site.is_article_url(link) for link in page.article_links())


def test_listing_current_page() -> None:
    case = FIXTURES / "cppcc" / "listing-surveys-2"
    html, url, _ = _load(case)
    assert cppcc.ListingPage(html, url).current_page() == 2
    case = FIXTURES / "chinadaily" / "listing-governmentandpolicy"
    html, url, _ = _load(case)
    assert chinadaily.ListingPage(html, url).current_page() == 1


@pytest.mark.parametrize("site_name", list(SITES))
def test_multipage_articles_merge_in_page_order(site_name: str) -> None:
    site = SITES[site_name]
    parts = []
    for number in (1, 2):
        html, url, expected = _load(FIXTURES / site_name / f"article-multipage-{number}")
        parts.append((site.ArticlePage(html, url).to_article(site.NAME), expected))
    merged = merge_pages([article for article, _ in parts])
    first, second = (expected for _, expected in parts)
    assert merged.url == first["url"] == second["url"]
    assert merged.title == first["title"]
    assert merged.body == first["body"] + "\n" + second["body"]
    assert merged.captions == first["captions"] + second["captions"]
    assert [p.url for p in merged.pages] == [a.pages[0].url for a, _ in parts]
    assert merged.content_hash == content_hash(merged.title, merged.body)


def test_merge_pages_needs_a_page() -> None:
    with pytest.raises(ValueError):
        merge_pages([])


def test_merge_single_page_is_unchanged() -> None:
    article = Article(
        url="u", source="cppcc", title="T", body="B", content_hash=content_hash("T", "B")
    )
    assert merge_pages([article]) == article


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html>",
        "<p>only a paragraph</p>",
        "<<<>>> not html",
        "<html><body></body></html>",
    ],
)
@pytest.mark.parametrize("site_name", list(SITES))
def test_odd_html_never_raises(site_name: str, html: str) -> None:
    site = SITES[site_name]
    url = {
        "cppcc": "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm",
        "chinadaily": "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
    }[site_name]
    article = site.ArticlePage(html, url).to_article(site.NAME)
    assert article.published_at is not None and article.published_at.startswith("2024-03-0")
    assert article.body in ("", None) or "only a paragraph" in article.body
    assert site.ArticlePage(html, url).page_links() == []
    listing = site.ListingPage(html, url)
    assert listing.article_links() == []
    assert listing.next_page_links() == []


@pytest.mark.parametrize(
    ("text", "body", "credit"),
    [
        ("Text. [Photo/Xinhua]", "Text.", "[Photo/Xinhua]"),
        ("Text.[Xinhua/Zhang Ling]", "Text.", "[Xinhua/Zhang Ling]"),
        ("Text. [Photo by Qi Bo] ", "Text.", "[Photo by Qi Bo]"),
        ("Text. [Zou Hong/China Daily]", "Text.", "[Zou Hong/China Daily]"),
        ("Text. (Xinhua/Li Xueren)", "Text.", "(Xinhua/Li Xueren)"),
        ("Text. [Photo provided to China Daily]", "Text.", "[Photo provided to China Daily]"),
        ("The two sessions (NPC/CPPCC)", "The two sessions (NPC/CPPCC)", None),
        ("He spoke (in Beijing).", "He spoke (in Beijing).", None),
        ("Rates [see table] rose", "Rates [see table] rose", None),
    ],
)
def test_split_caption(text: str, body: str, credit: str | None) -> None:
    assert split_caption(text) == (body, credit)


@pytest.mark.parametrize(
    ("text", "boilerplate"),
    [
        ("1678700495153043593.jpg", True),
        ("王沪宁_副本.jpg", True),
        ("77.jpeg", True),
        ("Share - WeChat", True),
        ("Share", True),
        ("< 1 ... 5 6 7 8 9 ... 13 >", True),
        ("Prev Next 1 2 3", True),
        ("Next Page", True),
        ("Copyright © The National Committee of the CPPCC. All rights reserved.", True),
        ("Presented by China Daily.", True),
        ("京ICP备08100501号-1", True),
        ("Back to the Top", True),
        ("Editor: Wang Qian", True),
        ("[Editor: Li Yan]", True),
        ("Related Stories", True),
        ("Related:", True),
        ("\u00a0\u3000 ", True),
        ("Share prices rose on Monday.", False),
        ("The Copyright Law was amended in 2020.", False),
        ("2024", False),
        ("The editor of the newspaper spoke.", False),
        ("He uploaded photo.jpg to the site and left.", False),
    ],
)
def test_is_boilerplate(text: str, boilerplate: bool) -> None:
    assert is_boilerplate(text) is boilerplate


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("By CAO YIN", "Cao Yin"),
        ("By ZHANG YI and HU YONGQI", "Zhang Yi and Hu Yongqi"),
        ("By He Dan and Wu Wencong", "He Dan and Wu Wencong"),
        ("By CAO YIN in Beijing", "Cao Yin"),
        (
            "By ZHAO YANRONG in Shanghai and LI LEI in Beijing",
            "Zhao Yanrong and Li Lei",
        ),
        ("by O'NEIL SMITH-JONES", "O'Neil Smith-Jones"),
        ("By ", None),
        (None, None),
    ],
)
def test_normalize_author(byline: str | None, author: str | None) -> None:
    assert normalize_author(byline) == author


@pytest.mark.parametrize(
    ("source", "outlet"),
    [
        ("chinadaily.com.cn", "China Daily"),
        ("China Daily", "China Daily"),
        ("Xinhua", "Xinhua"),
        ("Source: Xinhua", "Xinhua"),
        ("Global Times", "Global Times"),
        ("", None),
        (None, None),
    ],
)
def test_normalize_outlet(source: str | None, outlet: str | None) -> None:
    assert normalize_outlet(source) == outlet


def test_leading_filename_is_stripped_from_a_paragraph() -> None:
    html = (
        "<div id='Content'><p>1678700495153043593.jpg Wang Huning attends the meeting.</p>"
        "<p>He uploaded photo.jpg to the site.</p></div>"
    )
    page = cppcc.ArticlePage(html, "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm")
    assert page.body() == "Wang Huning attends the meeting.\nHe uploaded photo.jpg to the site."


def test_clean_text_normalizes_every_space() -> None:
    assert clean_text("\u00a0 a\u3000\u3000b\n\t c\u200b ") == "a b c"


def test_script_and_style_text_never_counts() -> None:
    html = (
        "<html><head><script>var t = 'Updated: 1999-01-01 Fake';</script></head><body>"
        "<h1>Real title</h1><div id='Content'><p>Body.<script>document.write('x')</script></p>"
        "<style>p{}</style></div></body></html>"
    )
    page = cppcc.ArticlePage(html, "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm")
    assert page.published_at() == "2024-03-03T00:00:00+08:00"
    assert page.outlet() == "CPPCC"
    assert page.body() == "Body."


@pytest.mark.parametrize(
    ("date_html", "source"),
    [
        ('<div class="x"><em>Updated: 2024-02-28</em> <b>Xinhua</b></div>', "Xinhua"),
        ('<div class="x">Updated: 2024-02-28 <b>chinadaily.com.cn</b></div>', "chinadaily.com.cn"),
        ('<p class="x">Updated: 2024-02-28</p>', None),
        ("<div><span>Updated: 2024-02-28</span><span>" + "long text " * 10 + "</span></div>", None),
    ],
)
def test_cppcc_date_line_found_outside_known_containers(date_html: str, source: str | None) -> None:
    html = f"<html><body><h1>T</h1>{date_html}<div id='Content'><p>Body.</p></div></body></html>"
    page = cppcc.ArticlePage(html, "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm")
    assert page.published_at() == "2024-02-28T00:00:00+08:00"
    assert page.source() == source
    assert page.body() == "Body."


def test_fallback_block_is_never_the_footer() -> None:
    footer = "".join(
        f"<p>Footer line {n} about the site and its many partner links.</p>" for n in range(8)
    )
    html = (
        "<html><body><div class='content-x'><p>The only body paragraph.</p></div>"
        f"<div class='footer'>{footer}</div></body></html>"
    )
    page = chinadaily.ArticlePage(
        html, "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html"
    )
    assert page.body() == "The only body paragraph."

"""Parametrized tests of the URL heuristics of both sites (docs/DESIGN.md, example 7)."""

from __future__ import annotations

import pytest

from cppcc_watch.sites import SITES, chinadaily, cppcc, site_for_url
from cppcc_watch.sites.common import iso_beijing, url_date

CPPCC_CANONICAL = "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm"
CD_CANONICAL = "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html"


@pytest.mark.parametrize(
    "url",
    [
        "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm",
        "https://en.cppcc.gov.cn/2024-03/03/c_967532.htm",
        "https://regional.chinadaily.com.cn/cppcc/2024-03/03/c_967532.htm",
        "http://subsites.chinadaily.com.cn/cppcc/2024-03/03/c_967532.htm",
        "http://subsites.chinadaily.com.cn/cppcc/2024-03/03/c_967532_3.htm",
        "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm?from=timeline&isappinstalled=0",
        "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm#top",
        "HTTP://EN.CPPCC.GOV.CN/2024-03/03/c_967532_2.htm",
    ],
)
def test_cppcc_canonical_url(url: str) -> None:
    assert cppcc.is_article_url(url)
    assert cppcc.canonical_url(url) == CPPCC_CANONICAL


@pytest.mark.parametrize(
    "url",
    [
        "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
        "http://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
        "https://global.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
        "http://china.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
        "https://cn.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
        "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784_2.html",
        "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html?from=groupmessage",
        "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html#page2",
    ],
)
def test_chinadaily_canonical_url(url: str) -> None:
    assert chinadaily.is_article_url(url)
    assert chinadaily.canonical_url(url) == CD_CANONICAL


@pytest.mark.parametrize(
    ("site", "url", "number"),
    [
        (cppcc, "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm", 1),
        (cppcc, "https://regional.chinadaily.com.cn/cppcc/2019-03/05/c_566139_7.htm", 7),
        (cppcc, "http://en.cppcc.gov.cn/2019-03/05/c_566139_13.htm?x=1", 13),
        (cppcc, "http://en.cppcc.gov.cn/news.html", 1),
        (cppcc, "http://en.cppcc.gov.cn/news_9.html", 9),
        (cppcc, "https://regional.chinadaily.com.cn/cppcc/vicechairpersonsnews_104.html", 104),
        (chinadaily, CD_CANONICAL, 1),
        (chinadaily, CD_CANONICAL.replace(".html", "_3.html"), 3),
        (chinadaily, "https://www.chinadaily.com.cn/china/governmentandpolicy", 1),
        (chinadaily, "https://www.chinadaily.com.cn/china/governmentandpolicy/page_1.html", 1),
        (chinadaily, "https://www.chinadaily.com.cn/china/governmentandpolicy/page_12.html", 12),
        (chinadaily, "https://www.chinadaily.com.cn/somewhere/else.pdf", 1),
    ],
)
def test_page_number(site, url: str, number: int) -> None:
    assert site.page_number(url) == number


@pytest.mark.parametrize(
    ("url", "site_name", "kind"),
    [
        ("http://en.cppcc.gov.cn/2021-04/27/c_629877.htm", "cppcc", "article"),
        ("https://regional.chinadaily.com.cn/cppcc/2023-03/14/c_868898.htm", "cppcc", "article"),
        ("http://subsites.chinadaily.com.cn/cppcc/2024-03/03/c_967532.htm", "cppcc", "article"),
        ("http://en.cppcc.gov.cn/news_9.html", "cppcc", "listing"),
        ("http://en.cppcc.gov.cn/internationalexchanges_3.html", "cppcc", "listing"),
        ("https://regional.chinadaily.com.cn/cppcc/surveys_23.html", "cppcc", "listing"),
        ("http://en.cppcc.gov.cn/1stsessionof14thcppcc.html", "cppcc", "listing"),
        ("http://en.cppcc.gov.cn/", "cppcc", "listing"),
        ("http://en.cppcc.gov.cn/images/logo.png", "cppcc", "other"),
        ("http://en.cppcc.gov.cn/2024-03/03/c_967532.html", "cppcc", "other"),
        ("http://en.cppcc.gov.cn/2024-3/3/c_967532.htm", "cppcc", "other"),
        # The same CMS path on another China Daily subsite is not the CPPCC site.
        ("https://regional.chinadaily.com.cn/wic/2026-01/20/c_1155829.htm", "chinadaily", "other"),
        ("http://shanxi.chinadaily.com.cn/2022-03/10/c_724494.htm", "chinadaily", "other"),
        (
            "https://www.chinadaily.com.cn/a/202005/27/WS5ecdcb0ba310a8b241158c43.html",
            "chinadaily",
            "article",
        ),
        ("https://www.chinadaily.com.cn/china/governmentandpolicy", "chinadaily", "listing"),
        (
            "https://www.chinadaily.com.cn/china/governmentandpolicy/page_2.html",
            "chinadaily",
            "listing",
        ),
        ("https://www.chinadaily.com.cn/china/59b8d010a3108c54ed7dfc25", "chinadaily", "listing"),
        ("https://www.chinadaily.com.cn/rss/china_rss.xml", "chinadaily", "other"),
        ("https://www.chinadaily.com.cn/a/202005/27/WS5ecdcb0ba310a8b.html", "chinadaily", "other"),
        ("https://img2.chinadaily.com.cn/images/202403/04/65e5.jpeg", "chinadaily", "other"),
        (
            "https://global.chinadaily.com.cn/china/2013-03/06/content_16285158.htm",
            "chinadaily",
            "other",
        ),
        # Spam clones copying the paths on other domains belong to no site.
        ("http://en.cppcc.gov.cn.spam-news.top/2024-02/19/c_967390.htm", None, "other"),
        (
            "https://www.chinadaily.com.cn.info-clone.xyz/a/202403/03/WS65e44bf2a31082fc043b9b00.html",
            None,
            "other",
        ),
        (
            "https://fakechinadaily.com.cn/a/202403/03/WS65e44bf2a31082fc043b9b00.html",
            None,
            "other",
        ),
        ("http://en.npc.gov.cn.cdurl.cn/2022-10/22/c_823470.htm", None, "other"),
        ("http://www.xinhuanet.com/english/2024-02/18/c_1310766.htm", None, "other"),
        ("not a url", None, "other"),
    ],
)
def test_classification(url: str, site_name: str | None, kind: str) -> None:
    site = site_for_url(url)
    assert (site.NAME if site else None) == site_name
    for module in SITES.values():
        is_ours = module is site
        assert module.is_article_url(url) == (is_ours and kind == "article")


@pytest.mark.parametrize(
    ("site", "url"),
    [
        (cppcc, "http://en.cppcc.gov.cn/news_2.html?x=1#y"),
        (chinadaily, "https://www.chinadaily.com.cn/china/governmentandpolicy/page_2.html#top"),
    ],
)
def test_canonical_url_of_other_pages_only_strips_query(site, url: str) -> None:
    assert site.canonical_url(url) == url.split("?")[0].split("#")[0]


def test_site_constants() -> None:
    assert cppcc.NAME == "cppcc"
    assert chinadaily.NAME == "chinadaily"
    assert cppcc.ALLOWED_DOMAINS == [
        "en.cppcc.gov.cn",
        "regional.chinadaily.com.cn",
        "subsites.chinadaily.com.cn",
    ]
    assert chinadaily.ALLOWED_DOMAINS == ["chinadaily.com.cn"]
    assert {"cppcc": cppcc, "chinadaily": chinadaily} == SITES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Updated: 2024-02-28", "2024-02-28T00:00:00+08:00"),
        ("Updated: 2023-12-29 15:13", "2023-12-29T15:13:00+08:00"),
        ("2023-12-29 15:13:07", "2023-12-29T15:13:07+08:00"),
        ("Updated: 2024-2-3 9:05", "2024-02-03T09:05:00+08:00"),
        ("2024-13-45 then 2024-03-04", "2024-03-04T00:00:00+08:00"),
        ("no date here", None),
        (None, None),
    ],
)
def test_iso_beijing(text: str | None, expected: str | None) -> None:
    assert iso_beijing(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://en.cppcc.gov.cn/2024-03/03/c_967532.htm", "2024-03-03T00:00:00+08:00"),
        (CD_CANONICAL, "2024-03-04T00:00:00+08:00"),
        ("http://en.cppcc.gov.cn/news.html", None),
    ],
)
def test_url_date(url: str, expected: str | None) -> None:
    assert url_date(url) == expected

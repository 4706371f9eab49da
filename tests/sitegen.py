"""HTML generator for the two sites' page templates, as saved in tests/fixtures/.

Pure functions that render CPPCC and China Daily article and listing pages with the real templates'
furniture (menus, share bars, related lists, footers), so the end-to-end test and the crawl
benchmark can serve a local mirror that the page objects parse like the saved pages.
"""

# ruff: noqa: E501 - the page templates keep the sites' long HTML lines as they are.
from __future__ import annotations

import re
from datetime import date
from html import escape

CPPCC_FOOTER = (
    "<p>Copyright &copy; The National Committee of the Chinese People's Political Consultative "
    "Conference. All rights reserved.</p>\n<p>Presented by China Daily.</p>\n"
    '<p><a href="https://beian.miit.gov.cn/" target="_blank">京ICP备08100501号-1</a></p>'
)
CPPCC_SECTIONS = [
    ("news", "News"),
    ("vicechairpersons", "Vice-Chairpersons"),
    ("surveys", "Surveys"),
    ("internationalexchanges", "International Exchanges"),
    ("members", "Members"),
    ("aboutus", "About Us"),
]
CD = "//www.chinadaily.com.cn"
CD_FOOTER = (
    "<p>Copyright 1995 - <script>var oTime = new Date(); document.write(oTime.getFullYear());"
    "</script>. All rights reserved. The content (including but not limited to text, photo, "
    "multimedia information, etc) published in this site belongs to China Daily Information Co "
    "(CDIC). Without written authorization from CDIC, such content shall not be republished or "
    "used in any form. Note: Browsers with 1024*768 or higher resolution are suggested for this "
    "site.</p>\n<p>License for publishing multimedia online 0108263</p>\n"
    "<p>Registration Number: 130349</p>"
)

_CPPCC_ARTICLE_RE = re.compile(r"^(.*/)c_(\d+)(?:_\d+)?\.htm$")
_CD_ARTICLE_RE = re.compile(r"^(.*/)(WS[0-9a-fA-F]{24})(?:_\d+)?\.html$")


def _pager_numbers(page: int, pages: int) -> list[int | None]:
    """Page numbers shown by a pager: first, last and a window around the current (None = "...")."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and out[-1] is not None and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out


def _pager(page: int, pages: int, href) -> str:
    """A "< 1 ... 5 6 7 ... 13 >" pager whose links come from href(n)."""
    parts = []
    if page > 1:
        parts.append(f'<a href="{href(page - 1)}">&lt;</a>')
    for number in _pager_numbers(page, pages):
        if number is None:
            parts.append("<span>...</span>")
        elif number == page:
            parts.append(f'<span class="currpage">{number}</span>')
        else:
            parts.append(f'<a href="{href(number)}">{number}</a>')
    if page < pages:
        parts.append(f'<a href="{href(page + 1)}">&gt;</a>')
    return " ".join(parts)


def _cppcc_head(title: str, description: str, depth: int) -> str:
    up = "../" * depth
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<title>{escape(title)} - CPPCC</title>
<meta name="keywords" content="CPPCC, Chinese People's Political Consultative Conference" />
<meta name="description" content="{escape(description)}" />
<meta property="og:title" content="{escape(title)}" />
<link rel="stylesheet" type="text/css" href="{up}css/style.css" />
<script type="text/javascript" src="{up}js/jquery.min.js"></script>
<script type="text/javascript">var shareInfo = "Updated: 1999-01-01 Script Source"; document.write('<p>Script paragraph</p>');</script>
<style type="text/css">.art_cont p {{ text-indent: 2em; }} /* Updated: 1999-01-01 */</style>
</head>
<body>
<div class="topbar"><div class="w1000"><a href="http://www.cppcc.gov.cn/" target="_blank">中文</a> | <a href="{up}index.html">Home</a></div></div>
<div class="header">
<div class="logo"><a href="{up}index.html"><img src="{up}images/logo.png" alt="The National Committee of the Chinese People's Political Consultative Conference" /></a></div>
<div class="nav"><ul>
<li><a href="{up}index.html">Home</a></li>
{"".join(f'<li><a href="{up}{s}.html">{n}</a></li>' + chr(10) for s, n in CPPCC_SECTIONS)}</ul></div>
</div>
"""


def _cppcc_tail(up: str) -> str:
    return f"""<div class="footer">
{CPPCC_FOOTER}
<p><a class="gotop" href="#top">Back to the Top</a></p>
</div>
<script type="text/javascript">var _hmt = _hmt || []; (function() {{ var hm = document.createElement("script"); }})();</script>
</body>
</html>
"""


def _cppcc_related(up: str) -> str:
    items = [
        ("2024-02/27/c_967600.htm", "CPPCC members make suggestions on rural revitalization"),
        ("2024-02/26/c_967570.htm", "Political advisors discuss high-quality development"),
        ("2024-02/25/c_967544.htm", "Democratic parties prepare proposals for annual session"),
    ]
    links = "".join(f'<li><a href="{up}{href}">{escape(t)}</a></li>\n' for href, t in items)
    return f"""<div class="art_right">
<div class="related"><h3>Related Stories</h3><ul>
{links}</ul></div>
<div class="hot"><h3>Latest News</h3><ul><li><a href="{up}news.html">More news</a></li></ul></div>
</div>
"""


def cppcc_article(
    title: str,
    date: str,
    source: str | None,
    paragraphs: list[str],
    *,
    caption: str | None = None,
    page: int = 1,
    pages: int = 1,
    path: str,
    image_alt: str = "1678700495153043593.jpg",
) -> str:
    """A CPPCC article page ("Updated: DATE SOURCE" line, #Content paragraphs, optional pager).

    With a caption, an image whose alt text is its upload filename comes first, then the caption.
    `path` is the article's path on en.cppcc.gov.cn ("/2024-03/03/c_967532.htm").
    """
    match = _CPPCC_ARTICLE_RE.match(path)
    if not match:
        raise ValueError(f"not a CPPCC article path: {path}")
    article_id = match.group(2)
    up = "../../"
    image = ""
    if caption:
        image = (
            f'<p align="center"><img src="{up}images/{article_id}.jpg" '
            f'alt="{escape(image_alt)}" /></p>\n<p align="center">{escape(caption)}</p>\n'
        )
    body = "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    pager = ""
    if pages > 1:

        def href(n: int) -> str:
            return f"c_{article_id}.htm" if n == 1 else f"c_{article_id}_{n}.htm"

        pager = f'<div id="div_currpage" class="page">{_pager(page, pages, href)}</div>\n'
    source_html = f' <span class="source">{escape(source)}</span>' if source else ""
    return (
        _cppcc_head(title, paragraphs[0] if paragraphs else title, 2)
        + f"""<div class="w1000 main">
<div class="crumb"><a href="{up}index.html">Home</a> &gt; <a href="{up}news.html">News</a></div>
<div class="art_cont">
<h1>{escape(title)}</h1>
<div class="art_info"><span class="date">Updated: {escape(date)}</span>{source_html}</div>
<div class="share"><span>Share - </span><a class="wechat" href="javascript:void(0)">WeChat</a> <a class="weibo" href="javascript:void(0)">Weibo</a></div>
<div id="Content">
{image}{body}</div>
{pager}</div>
{_cppcc_related(up)}</div>
"""
        + _cppcc_tail(up)
    )


def _us_date(iso_day: str) -> str:
    day = date.fromisoformat(iso_day)
    return day.strftime("%B %d, %Y")


def cppcc_listing(section: str, items: list[dict], page: int, pages: int) -> str:
    """A CPPCC section listing page: items (url, title, date, summary) and a numbered pager.

    Item URLs on the site become relative hrefs ("2024-03/03/c_967532.htm"), as on the real site;
    pager links go to `{section}.html` and `{section}_{N}.html`.
    """
    rows = []
    for item in items:
        href = _cppcc_relative(item["url"])
        rows.append(
            f'<li><h3><a href="{escape(href)}" target="_blank">{escape(item["title"])}</a></h3>'
            f"<p>{escape(item.get('summary', ''))}</p>"
            f'<span class="time">{_us_date(item["date"])}</span></li>\n'
        )

    def href(n: int) -> str:
        return f"{section}.html" if n == 1 else f"{section}_{n}.html"

    pager = ""
    if pages > 1:
        more = f' <a href="{href(page + 1)}">Next</a>' if page < pages else ""
        pager = f'<div id="div_currpage" class="page">{_pager(page, pages, href)}{more}</div>\n'
    title = dict(CPPCC_SECTIONS).get(section, section)
    return (
        _cppcc_head(title, f"{title} - CPPCC", 0)
        + f"""<div class="w1000 main">
<div class="list_left">
<div class="crumb"><a href="index.html">Home</a> &gt; {escape(title)}</div>
<ul class="list_ul">
{"".join(rows)}</ul>
{pager}</div>
{_cppcc_related("")}</div>
"""
        + _cppcc_tail("")
    )


def _cppcc_relative(url: str) -> str:
    """The relative href of a CPPCC site URL or path, as the site's listings write them."""
    for prefix in (
        "http://en.cppcc.gov.cn/",
        "https://en.cppcc.gov.cn/",
        "https://regional.chinadaily.com.cn/cppcc/",
        "http://subsites.chinadaily.com.cn/cppcc/",
    ):
        if url.startswith(prefix):
            return url[len(prefix) :]
    if url.startswith("/") and not url.startswith("//"):
        return url[1:]
    return url


def _cd_head(title: str, description: str, meta: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{escape(title)} - Chinadaily.com.cn</title>
<meta name="keywords" content="CPPCC, two sessions, political advisors">
<meta name="description" content="{escape(description)}">
<meta property="og:title" content="{escape(title)}">
<meta property="og:type" content="article">
{meta}<link rel="stylesheet" href="{CD}/css/2018/common.css">
<script src="{CD}/js/2018/jquery.min.js"></script>
<script>var pubInfo = "By SCRIPT WRITER | Updated: 1999-01-01 00:00"; document.write('<p>Script paragraph</p>');</script>
<style>#Content p {{ margin: 0 0 1em; }}</style>
</head>
<body>
<div class="topBar"><div class="topBar-box"><a href="//global.chinadaily.com.cn" target="_blank">Global Edition</a> <a href="//cn.chinadaily.com.cn" target="_blank">中文</a> <a href="{CD}/e/" target="_blank">Epaper</a> <a href="{CD}/mobile/" target="_blank">Mobile</a></div></div>
<div class="header">
<div class="logo"><a href="{CD}"><img src="{CD}/image_e/2018/logo.png" alt="China Daily"></a></div>
<div class="topNav"><ul class="dropdown">
<li><a href="{CD}/china">China</a><ul class="sub"><li><a href="{CD}/china/governmentandpolicy">National affairs</a></li><li><a href="{CD}/china/society">Society</a></li><li><a href="{CD}/china/scitech">Innovation</a></li></ul></li>
<li><a href="{CD}/world">World</a></li>
<li><a href="{CD}/business">Business</a></li>
<li><a href="{CD}/opinion">Opinion</a></li>
<li><a href="{CD}/culture">Culture</a></li>
</ul></div>
</div>
"""


def _cd_tail() -> str:
    return f"""<div class="footer"><div class="footer-box">
<ul><li><a href="{CD}/e/static_e/about/">About China Daily</a></li><li><a href="{CD}/e/static_e/advertise/">Advertise on Site</a></li><li><a href="{CD}/e/static_e/contact/">Contact Us</a></li><li><a href="{CD}/e/static_e/job/">Job Offer</a></li></ul>
{CD_FOOTER}
</div></div>
<script>var _bd = 1; (function(){{ var s = document.createElement("script"); }})();</script>
</body>
</html>
"""


def _cd_breadcrumb() -> str:
    return (
        f'<div id="bread-nav" class="bread-nav"><a href="{CD}">Home</a>/ '
        f'<a href="{CD}/china">China</a>/ '
        f'<a href="{CD}/china/governmentandpolicy">National affairs</a></div>\n'
    )


def _cd_related() -> str:
    items = [
        (
            "/a/202403/03/WS65e46a5aa31082fc043b9c01.html",
            "Top political advisory body starts session",
        ),
        ("/a/202403/03/WS65e44bf2a31082fc043b9b95.html", "Political advisors gather in Beijing"),
        (
            "/a/202403/02/WS65e2f0d3a31082fc043b9a4e.html",
            "CPPCC spokesperson holds news conference",
        ),
        (
            "/a/202403/02/WS65e2c4b1a31082fc043b99d7.html",
            "Advisors focus on new quality productive forces",
        ),
        (
            "/a/202403/01/WS65e1a7b9a31082fc043b97f2.html",
            "What to watch at this year's two sessions",
        ),
        ("/a/202402/29/WS65e04f2ca31082fc043b9511.html", "Members' proposals address rural issues"),
    ]
    links = "".join(
        f'<li><a href="{CD}{h}" target="_blank">{escape(t)}</a></li>\n' for h, t in items
    )
    return f'<div class="related-news"><div class="tit">Related Stories</div><ul>\n{links}</ul></div>\n'


def _cd_right() -> str:
    return f"""<div class="rt_art">
<div class="mb10"><h3>Most Viewed in 24 Hours</h3><ul>
<li><a href="{CD}/a/202403/04/WS65e5a2d1a31082fc043ba7c1.html">Premier to deliver government work report</a></li>
<li><a href="{CD}/a/202403/04/WS65e59b0ea31082fc043ba7a2.html">Spokesperson answers questions on defense budget</a></li>
</ul></div>
<div class="mb10"><h3>Top News</h3><ul><li><a href="{CD}/china">China</a></li></ul></div>
</div>
"""


def chinadaily_article(
    title: str,
    datetime: str,
    author: str | None,
    outlet: str,
    paragraphs: list[str],
    *,
    page: int = 1,
    pages: int = 1,
    path: str,
) -> str:
    """A China Daily article page: by-line "By AUTHOR | OUTLET | Updated: DATETIME", #Content.

    `path` is the page's path on www.chinadaily.com.cn ("/a/202403/04/WS….html"); with
    pages > 1 an embedded `#div_currpage` pager links the other pages (protocol-relative).
    """
    match = _CD_ARTICLE_RE.match(path)
    if not match:
        raise ValueError(f"not a China Daily article path: {path}")
    head, article_id = match.groups()
    byline = " | ".join(
        [f"By {author}"] * bool(author) + [outlet] * bool(outlet) + [f"Updated: {datetime}"]
    )
    body = "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    pager = ""
    if pages > 1:

        def href(n: int) -> str:
            name = f"{article_id}.html" if n == 1 else f"{article_id}_{n}.html"
            return f"{CD}{head}{name}"

        nxt = f' <a href="{href(page + 1)}" class="pagestyle">Next</a>' if page < pages else ""
        pager = f'<div id="div_currpage">{_pager(page, pages, href)}{nxt}</div>\n'
    meta = (
        f'<meta name="source" content="{escape(outlet)}">\n'
        f'<meta name="author" content="{escape(author or "")}">\n'
        '<meta name="editor" content="Li Yan">\n'
        f'<meta name="publishdate" content="{escape(datetime)}:00">\n'
    )
    return (
        _cd_head(title, paragraphs[0] if paragraphs else title, meta)
        + f"""<div class="main_art">
{_cd_breadcrumb()}<div class="lft_art" id="lft-art">
<h1>{escape(title)}</h1>
<div class="info"><span class="info_l">{escape(byline)}</span><span class="info_r"><a class="wx" href="javascript:void(0)">Share - WeChat</a> <a class="fb" href="https://www.facebook.com/sharer.php">Facebook</a> <a class="tw" href="https://twitter.com/share">Twitter</a></span></div>
<div id="Content">
{body}{pager}</div>
<div class="urlShareArea"><span>Share - WeChat</span> <a href="javascript:void(0)">Copy link</a></div>
{_cd_related()}</div>
{_cd_right()}</div>
"""
        + _cd_tail()
    )


def chinadaily_listing(section_path: str, items: list[dict], page: int, pages: int) -> str:
    """A China Daily section page (`{section_path}/page_N.html`): tw3_01_2 items and a pager.

    Items are dicts of url (absolute or a path on www), title and datetime ("YYYY-MM-DD HH:MM");
    hrefs are protocol-relative, and a "Next" link follows the numbered links.
    """
    rows = []
    for item in items:
        href = _protocol_relative(item["url"])
        rows.append(
            '<div class="mb10 tw3_01_2">\n'
            f'<span class="tw3_01_2_p"><a href="{escape(href)}" target="_blank">'
            f'<img src="//img2.chinadaily.com.cn/images/thumb.jpeg" alt=""></a></span>\n'
            f'<span class="tw3_01_2_t"><h4><a href="{escape(href)}" target="_blank">'
            f"{escape(item['title'])}</a></h4><b>{escape(item['datetime'])}</b></span>\n</div>\n"
        )

    def href(n: int) -> str:
        return f"{CD}{section_path}/page_{n}.html"

    pager = ""
    if pages > 1:
        nxt = (
            f' <span class="next"><a href="{href(page + 1)}">Next</a></span>'
            if page < pages
            else ""
        )
        pager = f'<div class="selectpage">{_pager(page, pages, href)}{nxt}</div>\n'
    return (
        _cd_head("National affairs", "China Daily national affairs news")
        + f"""<div class="main_art">
{_cd_breadcrumb()}<div class="lft_art" id="lft-art">
{"".join(rows)}{pager}</div>
{_cd_right()}</div>
"""
        + _cd_tail()
    )


def _protocol_relative(url: str) -> str:
    """A China Daily URL or path as the protocol-relative href the site writes."""
    if url.startswith(("http://", "https://")):
        return "//" + url.split("://", 1)[1]
    if url.startswith("/") and not url.startswith("//"):
        return f"{CD}{url}"
    return url

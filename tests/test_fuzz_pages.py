"""Malformed and adversarial pages against every page object, and bad pages in a real crawl.

The fuzz is a seeded mutation of the saved fixture pages (reproducible: a failure names its seed
and mutation): broken and unclosed tags, cut pages, wrong or missing charset declarations, GBK
bytes, BOMs, binary data, empty bodies, deep nesting, big pages, entity floods and script- or
style-injected text. Each document is decoded the way the crawl decodes it (Scrapy's
HtmlResponse) and given to the listing and article page objects of both sites: no exception may
escape, and no text taken from a page may carry script or style content.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

from parsel import Selector
from scrapy.http import HtmlResponse

from cppcc_watch.sites import chinadaily, cppcc
from tests.chaos_server import ChaosMirror
from tests.test_end_to_end import A1, A3, A5, B1, B2, B4, CD, build_sites
from tests.unattended import crawl, query

FIXTURES = Path(__file__).parent / "fixtures"
MARK = "INJECTEDxSCRIPTxMARK"
DOCUMENTS = 1050
SEED = 20260314
URLS = {
    cppcc: {
        "article": "http://en.cppcc.gov.cn/2024-03/03/c_967532.htm",
        "listing": "http://en.cppcc.gov.cn/news.html",
    },
    chinadaily: {
        "article": "https://www.chinadaily.com.cn/a/202403/04/WS65e572bca31082fc043ba784.html",
        "listing": "https://www.chinadaily.com.cn/china/governmentandpolicy/page_1.html",
    },
}
OPEN_TAGS = ("<div>", "<p>", "<table><tr><td>", "<b>", "<ul><li>", "<span class='x'>", "<a href='")
INJECTIONS = (
    f"<script>document.write('{MARK}');</script>",
    f"<script type='text/javascript'>var x = '<p>{MARK}</p>';</script>",
    f"<style>.{MARK} {{ color: red }}</style>",
    f"<SCRIPT>/*<![CDATA[*/ {MARK} /*]]>*/</SCRIPT>",
    f"<noscript><style>{MARK}</style></noscript>",
    f"<script>{MARK}",  # never closed: the rest of the page is script
)
_SPOTS = re.compile(r"<(?:p|div|h1|span|td|li|body|title)\b")


def fixture_pages() -> list[str]:
    return [path.read_text("utf-8") for path in sorted(FIXTURES.glob("*/*/page.html"))]


def cut(rng: random.Random, html: str) -> str:
    return html[: rng.randrange(len(html) + 1)]


def drop_slices(rng: random.Random, html: str) -> str:
    for _ in range(rng.randint(1, 20)):
        start = rng.randrange(len(html) + 1)
        html = html[:start] + html[start + rng.randint(1, 200) :]
    return html


def repeat_slices(rng: random.Random, html: str) -> str:
    for _ in range(rng.randint(1, 10)):
        start = rng.randrange(len(html) + 1)
        piece = html[start : start + rng.randint(1, 400)]
        at = rng.randrange(len(html) + 1)
        html = html[:at] + piece * rng.randint(1, 5) + html[at:]
    return html


def unclosed_tags(rng: random.Random, html: str) -> str:
    for _ in range(rng.randint(1, 30)):
        at = rng.randrange(len(html) + 1)
        html = html[:at] + rng.choice(OPEN_TAGS) + html[at:]
    return html


def no_closing_tags(rng: random.Random, html: str) -> str:
    return re.sub(r"</(p|div|span|a|li|td|tr|table|h1|body|html)>", "", html)


def deep_nesting(rng: random.Random, html: str) -> str:
    depth = rng.choice((300, 1000, 5000))
    tag = rng.choice(("div", "p", "span", "table", "b"))
    at = html.find("<body")
    at = html.find(">", at) + 1 if at >= 0 else 0
    return html[:at] + f"<{tag}>" * depth + html[at:] + f"</{tag}>" * rng.randint(0, depth)


def entity_flood(rng: random.Random, html: str) -> str:
    junk = "".join(rng.choice(_ENTITIES) for _ in range(500))
    at = rng.randrange(len(html) + 1)
    return html[:at] + junk + html[at:]


def long_lines(rng: random.Random, html: str) -> str:
    at = html.find("<p>")
    word = rng.choice(("x", "Beijing ", "省", "\u200b"))
    return html[: at + 3] + word * rng.randint(10_000, 100_000) + html[at + 3 :]


_ENTITIES = (
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "&amp;",
    "&nbsp;",
    "&bogus;",
    "\x00",
    "\x0b",
    "\ufeff",
)

MUTATIONS: dict[str, Callable[[random.Random, str], str]] = {
    "cut": cut,
    "drop_slices": drop_slices,
    "repeat_slices": repeat_slices,
    "unclosed_tags": unclosed_tags,
    "no_closing_tags": no_closing_tags,
    "deep_nesting": deep_nesting,
    "entity_flood": entity_flood,
    "long_lines": long_lines,
}


def inject_scripts(rng: random.Random, html: str) -> str:
    """Put script/style elements right after opening tags (where text would be taken from)."""
    spots = [match.start() for match in _SPOTS.finditer(html)]
    for at in sorted(rng.sample(spots, min(len(spots), rng.randint(1, 8))), reverse=True):
        end = html.find(">", at)
        if end < 0:
            continue
        injection = rng.choice(INJECTIONS[:-1])
        html = html[: end + 1] + injection + html[end + 1 :]
    if rng.random() < 0.2:
        at = html.rfind("</p>")
        html = html[:at] + INJECTIONS[-1] + html[at:] if at >= 0 else html
    return html


def encode(rng: random.Random, html: str) -> tuple[bytes, str]:
    """Bytes and Content-Type header, with right, wrong or missing charset declarations."""
    choice = rng.randrange(8)
    if choice == 0:
        return html.encode("gbk", "replace"), "text/html; charset=gbk"
    if choice == 1:  # GBK bytes declared as UTF-8
        return html.encode("gbk", "replace"), "text/html; charset=utf-8"
    if choice == 2:  # GBK bytes, declared only in a meta tag
        declared = html.replace("<head>", '<head><meta charset="gb2312">', 1)
        return declared.encode("gbk", "replace"), "text/html"
    if choice == 3:  # no declaration at all
        return html.encode("utf-8"), "text/html"
    if choice == 4:  # a charset nobody knows
        return html.encode("utf-8"), "text/html; charset=x-unknown-42"
    if choice == 5:  # a BOM that disagrees with the header
        return b"\xff\xfe" + html.encode("utf-8"), "text/html; charset=utf-8"
    if choice == 6:
        return html.encode("utf-16"), "text/html; charset=utf-16"
    return html.encode("utf-8"), "text/html; charset=utf-8"


def odd_documents(rng: random.Random) -> list[tuple[bytes, str]]:
    """Pages that are not HTML at all, or barely."""
    return [
        (b"", "text/html"),
        (b" \n\t ", "text/html; charset=utf-8"),
        (bytes(rng.randrange(256) for _ in range(rng.randint(1, 5000))), "text/html"),
        (b"\x00" * 1000, "text/html"),
        (b"\x89PNG\r\n\x1a\n" + bytes(2000), "text/html"),
        (b"<html><head><title>", "text/html"),
        (b"<", "text/html"),
        (b"<!DOCTYPE html><html><body></body></html>", "text/html"),
        (b"<?xml version='1.0' encoding='ebcdic'?><html/>", "text/html"),
        (b"<html>" + b"<p>big " * 200_000 + b"</html>", "text/html"),
        ("<title>只有标题</title>".encode("gbk"), "text/html; charset=gbk"),
        (b"<div>" * 20_000, "text/html"),
    ]


def documents(count: int, seed: int) -> list[tuple[str, bytes, str]]:
    """`count` documents: (what was done, body bytes, Content-Type)."""
    rng = random.Random(seed)
    pages = fixture_pages()
    out: list[tuple[str, bytes, str]] = [
        (f"odd #{n}", body, kind) for n, (body, kind) in enumerate(odd_documents(rng))
    ]
    while len(out) < count:
        html = rng.choice(pages)
        names = rng.sample(sorted(MUTATIONS), rng.randint(1, 3))
        for name in names:
            html = MUTATIONS[name](rng, html)
        injected = rng.random() < 0.5
        if injected:
            html = inject_scripts(rng, html)
            names.append("inject_scripts")
        body, kind = encode(rng, html)
        out.append((f"#{len(out)} {'+'.join(names)} as {kind}", body, kind))
    return out


def shown_as_text(text: str) -> bool:
    """Whether the parsed page itself shows the mark as text (outside script and style): when an
    injection lands inside <title>, an attribute or a comment, its markup is text, not script."""
    page = Selector(text=text or "<html></html>")
    visible = page.xpath(
        "//text()[contains(., $mark) and not(ancestor::script) and not(ancestor::style)]"
        " | //@*[contains(., $mark)]",
        mark=MARK,
    )
    return bool(visible)


def exercise(site: object, url: str, kind: str, text: str) -> list[str]:
    """Everything the spider asks of a page object; returns the text values it gave."""
    if kind == "listing":
        listing = site.ListingPage(text, url)  # type: ignore[attr-defined]
        links = listing.article_links() + listing.next_page_links()
        assert isinstance(listing.current_page(), int)
        assert all(isinstance(link, str) for link in links)
        return links
    page = site.ArticlePage(text, url)  # type: ignore[attr-defined]
    article = page.to_article(source=site.NAME, section="news")  # type: ignore[attr-defined]
    links = page.page_links()
    values = [
        article.title,
        article.body,
        article.author,
        article.outlet,
        article.published_at,
        *article.captions,
    ]
    assert all(value is None or isinstance(value, str) for value in values)
    return [v for v in values if v] + links


def test_malformed_pages_never_raise_and_never_leak_script_text() -> None:
    docs = documents(DOCUMENTS, SEED)
    assert len(docs) >= 1000
    fed = checked = 0
    for what, body, content_type in docs:
        response_text = None
        shown = None
        for site, urls in URLS.items():
            for kind, url in urls.items():
                if response_text is None:
                    response = HtmlResponse(
                        url=url, body=body, headers={"Content-Type": content_type}
                    )
                    response_text = response.text
                try:
                    values = exercise(site, url, kind, response_text)
                except Exception as error:  # pragma: no cover - the failure report
                    raise AssertionError(
                        f"{site.NAME} {kind} page raised on seed {SEED} document {what}: "
                        f"{type(error).__name__}: {error}"
                    ) from error
                fed += 1
                leaked = [v for v in values if MARK in v]
                if leaked and shown is None:
                    shown = shown_as_text(response_text)
                assert not leaked or shown, f"{site.NAME} {kind}, {SEED}, {what}: {leaked}"
                checked += MARK in response_text and not shown
    assert fed == 4 * len(docs)
    assert checked >= 1000  # page objects given script-injected pages and not fooled


def test_bad_pages_in_a_crawl_are_rejected_with_their_reason(db_url: str) -> None:
    with ChaosMirror() as mirror:
        build_sites(mirror)

        def served(url: str) -> str:
            return mirror.pages[("www.chinadaily.com.cn", url.removeprefix(CD))].body.decode()

        mirror.add(A1.url, bytes(range(256)) * 40, content_type="application/octet-stream")
        mirror.add(A3.url, b"", content_type="text/html")
        mirror.add(A5.url, b"<html><body>" + b"<p>too big</p>" * 20_000, content_type="text/html")
        gbk = served(B1.url).replace("meeting in Beijing", "meeting in 北京")
        mirror.add(B1.url, gbk.encode("gbk"), content_type="text/html; charset=gbk")
        script = f"<script>var leak = '{MARK}';</script><style>p.{MARK} {{}}</style>"
        b2 = served(B2.url)
        mirror.add(B2.url, b2.replace('<div id="Content">', f'<div id="Content">{script}'))
        nested = served(B4.url)
        mirror.add(B4.url, nested.replace("<body>", "<body>" + "<div>" * 3000, 1))
        result = crawl(
            db_url,
            mirror,
            DOWNLOAD_MAXSIZE=100_000,
            DOWNLOAD_WARNSIZE=50_000,
            CPPCC_WATCH_MIN_FIELD_SHARE=0,
        )
    assert "Traceback" not in result.stderr, result.stderr
    reasons = {r["url"]: (r["stage"], r["reason"]) for r in query(db_url, "SELECT * FROM rejects")}
    assert reasons[A1.url][0] == "parse"
    assert reasons[A1.url][1].startswith("not an HTML page (Content-Type: application/octet-stream")
    assert reasons[A3.url] == ("validate", "article without title or body")
    assert reasons[A5.url][0] == "request" and "cancelled" in reasons[A5.url][1]
    stored = {r["url"]: dict(r) for r in query(db_url, "SELECT * FROM articles")}
    assert "meeting in 北京" in stored[B1.url]["body"]
    assert MARK not in stored[B2.url]["body"] and stored[B2.url]["body"] == B2.body
    assert B4.url in stored or B4.url in reasons
    leaked = query(db_url, "SELECT COUNT(*) FROM articles WHERE body LIKE :mark", mark=f"%{MARK}%")
    assert leaked[0][0] == 0

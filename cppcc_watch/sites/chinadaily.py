"""China Daily English (www.chinadaily.com.cn): URL rules and page objects.

Articles are `//{sub}.chinadaily.com.cn/a/YYYYMM/DD/WS<24 hex>[_N].html` on any subdomain;
listings are section paths such as `/china/governmentandpolicy/page_2.html` (research/sites.md §2).
The CPPCC subsite under regional./subsites.chinadaily.com.cn/cppcc/ belongs to `sites.cppcc`.

The by-line `span.info_l` reads "By AUTHOR | source | Updated: YYYY-MM-DD HH:MM" or
"source | Updated: ..."; when it names no source, the outlet is China Daily itself.
"""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from cppcc_watch.sites.common import (
    BaseArticlePage,
    BaseListingPage,
    clean_text,
    find_container,
    first_text,
    iso_beijing,
    links_containing,
    meta_content,
    normalize_author,
    normalize_outlet,
    strip_query,
    strip_title_suffix,
    updated_line,
    url_date,
)

NAME = "chinadaily"
ALLOWED_DOMAINS = ["chinadaily.com.cn"]
CANONICAL_HOST = "www.chinadaily.com.cn"

_ARTICLE_RE = re.compile(r"^/a/(\d{6})/(\d{2})/(WS[0-9a-fA-F]{24})(?:_(\d+))?\.html$")
_LISTING_RES = (
    re.compile(r"^/(?!a/)((?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+)/page_(\d+)\.html$"),
    re.compile(r"^/(?!a/)((?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+)?(?:\.html|/)?()$"),
)
_CPPCC_PREFIXED_HOSTS = {"regional.chinadaily.com.cn", "subsites.chinadaily.com.cn"}

TITLE_CSS = (".lft_art h1", "#lft-art h1", ".ce_art h1", "h1")
INFO_CSS = ("span.info_l", ".info_l", "div.info")
BODY_CSS = (
    ".lft_art #Content",
    "#lft-art #Content",
    ".ce_art #Content",
    "#Content",
    ".article",
)
LIST_CSS = ("#lft-art div.tw3_01_2", "div.tw3_01_2", "#lft-art", ".lft_art")


def is_china_daily_host(url: str) -> bool:
    """True for chinadaily.com.cn and its subdomains, except the CPPCC subsite's /cppcc/ paths."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "chinadaily.com.cn" and not host.endswith(".chinadaily.com.cn"):
        return False
    path = parts.path or "/"
    return not (host in _CPPCC_PREFIXED_HOSTS and (path == "/cppcc" or path.startswith("/cppcc/")))


def _article_match(url: str) -> re.Match[str] | None:
    if not is_china_daily_host(url):
        return None
    return _ARTICLE_RE.match(urlsplit(url).path)


def _listing_match(url: str) -> re.Match[str] | None:
    if not is_china_daily_host(url):
        return None
    path = urlsplit(url).path or "/"
    return _LISTING_RES[0].match(path) or _LISTING_RES[1].match(path)


def is_article_url(url: str) -> bool:
    """True for an article page (`/a/YYYYMM/DD/WS….html`, any page) on a China Daily host."""
    return _article_match(url) is not None


def is_listing_url(url: str) -> bool:
    """True for a section page (`/china/governmentandpolicy`, `.../page_3.html`) or home."""
    return _listing_match(url) is not None


def canonical_url(url: str) -> str:
    """`https://www.chinadaily.com.cn/a/YYYYMM/DD/WS….html` whatever the subdomain or page.

    Other URLs only lose their query and fragment.
    """
    match = _article_match(url)
    if not match:
        return strip_query(url)
    month, day, article_id, _ = match.groups()
    return f"https://{CANONICAL_HOST}/a/{month}/{day}/{article_id}.html"


def page_number(url: str) -> int:
    """The page number of an article (`WS…_2.html` -> 2) or listing (`page_3.html` -> 3)."""
    match = _article_match(url) or _listing_match(url)
    if match and match.groups()[-1]:
        return int(match.groups()[-1])
    return 1


def listing_section(url: str) -> str | None:
    """The section path of a listing URL (`/china/governmentandpolicy`); None if not a listing."""
    match = _listing_match(url)
    if not match:
        return None
    return "/" + (match.group(1) or "")


class ListingPage(BaseListingPage):
    """A China Daily section page (`/china/governmentandpolicy/page_N.html`)."""

    list_css = LIST_CSS
    is_article_url = staticmethod(is_article_url)
    page_number = staticmethod(page_number)
    listing_section = staticmethod(listing_section)


class ArticlePage(BaseArticlePage):
    """A China Daily article page: the standard template (`.lft_art`) or a gallery (`.ce_art`)."""

    canonical_url = staticmethod(canonical_url)

    def title(self) -> str | None:
        """The h1 headline, else og:title, else `<title>` without " - Chinadaily.com.cn"."""
        return (
            first_text(self.sel, TITLE_CSS)
            or meta_content(self.sel, "og:title")
            or strip_title_suffix(self.sel.xpath("//title/text()").get())
        )

    @cached_property
    def _info_parts(self) -> list[str]:
        """The by-line split on "|": [author?, source?, "Updated: ..."]."""
        for found in self.sel.css("span.info_l, .info_l"):
            # Gallery by-lines hold child nodes (share links): their own text nodes come first.
            own = clean_text(" ".join(found.xpath("./text()").getall()))
            if "Updated" in own or "|" in own:
                return [clean_text(p) for p in own.split("|") if clean_text(p)]
        line = updated_line(self.sel, INFO_CSS) or ""
        return [clean_text(p) for p in line.split("|") if clean_text(p)]

    def published_at(self) -> str | None:
        """The "Updated: YYYY-MM-DD HH:MM" time in Beijing time, else the URL's date."""
        for part in reversed(self._info_parts):
            stamp = iso_beijing(part)
            if stamp:
                return stamp
        return url_date(self.url)

    def author(self) -> str | None:
        """The by-line name without "By " (all-caps names title-cased); None when none is shown."""
        for part in self._info_parts:
            if re.match(r"^By\s", part, re.IGNORECASE):
                return normalize_author(part)
        return None

    def source(self) -> str | None:
        """The source part of the by-line ("chinadaily.com.cn", "Xinhua"), as shown."""
        for part in self._info_parts:
            if re.match(r"^By\s", part, re.IGNORECASE) or iso_beijing(part) or "Updated" in part:
                continue
            return part
        return meta_content(self.sel, "source")

    def outlet(self) -> str | None:
        """Who wrote it: "China Daily" for chinadaily.com.cn or no source, else as shown."""
        return normalize_outlet(self.source()) or "China Daily"

    def body_container(self) -> Selector | None:
        """`#Content` inside the article block."""
        return find_container(self.sel, BODY_CSS)

    def page_links(self) -> list[str]:
        """All pages of a multi-page article (`WS….html`, `WS…_2.html`...); [] for one page."""
        own = _article_match(self.url)
        if not own:
            return []
        numbers = {page_number(self.url)}
        for link in links_containing(self.sel, self.url, own.group(3)):
            match = _article_match(link)
            if match and match.group(1, 2, 3) == own.group(1, 2, 3):
                numbers.add(page_number(link))
        last = max(numbers)
        if last < 2:
            return []
        parts = urlsplit(self.url)
        head = parts.path.rsplit("/", 1)[0]
        article_id = own.group(3)
        names = [f"{article_id}.html"] + [f"{article_id}_{n}.html" for n in range(2, last + 1)]
        return [urlunsplit((parts.scheme, parts.netloc, f"{head}/{n}", "", "")) for n in names]

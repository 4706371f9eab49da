"""China Daily English (www.chinadaily.com.cn): URL rules and page objects.

Articles are `//{sub}.chinadaily.com.cn/a/YYYYMM/DD/WS<24 hex>[_N].html` on any subdomain,
canonical on `https://www.chinadaily.com.cn`; listings are section paths such as
`/china/governmentandpolicy/page_2.html` (docs/research/sites.md §2).
The CPPCC subsite under regional./subsites.chinadaily.com.cn/cppcc/ belongs to `sites.cppcc`.

The by-line `span.info_l` reads "By AUTHOR | source | Updated: YYYY-MM-DD HH:MM" or
"source | Updated: ..."; when it names no source, the outlet is China Daily itself.
"""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urlsplit

from parsel import Selector

from cppcc_watch.sites.common import (
    BaseArticlePage,
    BaseListingPage,
    UrlRules,
    clean_text,
    find_container,
    iso_beijing,
    meta_content,
    normalize_author,
    normalize_outlet,
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


def site_path(url: str) -> str | None:
    """The path of a URL on chinadaily.com.cn or a subdomain, or None if not on the site (the CPPCC
    subsite's /cppcc/ paths are not)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "chinadaily.com.cn" and not host.endswith(".chinadaily.com.cn"):
        return None
    path = parts.path or "/"
    if host in _CPPCC_PREFIXED_HOSTS and (path == "/cppcc" or path.startswith("/cppcc/")):
        return None
    return path


URLS = UrlRules(
    site_path,
    _ARTICLE_RE,
    _LISTING_RES,
    canonical=f"https://{CANONICAL_HOST}/a/{{0}}/{{1}}/{{2}}.html",
    page_file="{0}{1}.html",
)
is_article_url = URLS.is_article_url
canonical_url = URLS.canonical_url
page_number = URLS.page_number


def listing_section(url: str) -> str | None:
    """The section path of a listing URL (`/china/governmentandpolicy`); None if not a listing."""
    match = URLS.listing_match(url)
    if not match:
        return None
    return "/" + (match.group(1) or "")


class ListingPage(BaseListingPage):
    """A China Daily section page (`/china/governmentandpolicy/page_N.html`)."""

    urls = URLS
    list_css = LIST_CSS
    listing_section = staticmethod(listing_section)


class ArticlePage(BaseArticlePage):
    """A China Daily article page: the standard template (`.lft_art`) or a gallery (`.ce_art`)."""

    urls = URLS
    title_css = TITLE_CSS

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

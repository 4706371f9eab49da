"""The CPPCC National Committee's English site: URL rules and page objects.

The same CMS serves the same paths on en.cppcc.gov.cn and under /cppcc/ on regional. and
subsites.chinadaily.com.cn (docs/research/sites.md §1). Articles are `/YYYY-MM/DD/c_N[_P].htm`,
canonical on `http://en.cppcc.gov.cn`; listings are `{section}[_{N}].html`. The page selectors
are unverified, so each field tries the known selectors first and then generic fallbacks (first
h1, the "Updated:" line, the URL's date, the largest block of paragraphs).

When the date line names no source, the outlet is "CPPCC": the committee's own site published it.
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
    find_container,
    iso_beijing,
    normalize_outlet,
    updated_line,
    url_date,
)

NAME = "cppcc"
ALLOWED_DOMAINS = ["en.cppcc.gov.cn", "regional.chinadaily.com.cn", "subsites.chinadaily.com.cn"]
CANONICAL_HOST = "en.cppcc.gov.cn"
MAX_SOURCE_LENGTH = 60

# Host -> path prefix under which the CPPCC site lives on that host.
_PREFIXES = {
    "en.cppcc.gov.cn": "",
    "regional.chinadaily.com.cn": "/cppcc",
    "subsites.chinadaily.com.cn": "/cppcc",
}
_ARTICLE_RE = re.compile(r"^/(\d{4}-\d{2})/(\d{2})/c_(\d+)(?:_(\d+))?\.htm$")
_LISTING_RE = re.compile(r"^/(?:([A-Za-z0-9]+)(?:_(\d+))?\.html)?$")
_DATE_LINE_RE = re.compile(
    r"Updated\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*(.*)$",
    re.IGNORECASE,
)

TITLE_CSS = (".art_cont h1", "#Title", "h1")
DATE_LINE_CSS = (".art_info", ".info", ".date", ".time")
BODY_CSS = ("#Content", ".art_cont #Content", ".TRS_Editor", "div.art_cont")
LIST_CSS = ("ul.list_ul", "#list", ".list_left", ".list_main")


def site_path(url: str) -> str | None:
    """The path of a URL within the CPPCC site (host prefix removed), or None if not on the site."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in _PREFIXES:
        return None
    prefix, path = _PREFIXES[host], parts.path or "/"
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :] or "/"
    return path


URLS = UrlRules(
    site_path,
    _ARTICLE_RE,
    (_LISTING_RE,),
    canonical=f"http://{CANONICAL_HOST}/{{0}}/{{1}}/c_{{2}}.htm",
    page_file="c_{0}{1}.htm",
)
is_article_url = URLS.is_article_url
canonical_url = URLS.canonical_url
page_number = URLS.page_number


def listing_section(url: str) -> str | None:
    """The section name of a listing URL (`surveys_2.html` -> "surveys"); None for the home page."""
    match = URLS.listing_match(url)
    return match.group(1) if match else None


class ListingPage(BaseListingPage):
    """A CPPCC section listing page (`news.html`, `surveys_2.html`) on any of the three hosts."""

    urls = URLS
    list_css = LIST_CSS
    listing_section = staticmethod(listing_section)


class ArticlePage(BaseArticlePage):
    """An article page of the CPPCC site (any of the three hosts)."""

    urls = URLS
    title_css = TITLE_CSS

    @cached_property
    def _date_line(self) -> re.Match[str] | None:
        line = updated_line(self.sel, DATE_LINE_CSS)
        return _DATE_LINE_RE.search(line) if line else None

    def published_at(self) -> str | None:
        """The "Updated:" date at midnight Beijing time (the site shows no time), else the URL's."""
        match = self._date_line
        return (iso_beijing(match.group(1)) if match else None) or url_date(self.url)

    def source(self) -> str | None:
        """The source named after the date ("chinadaily.com.cn", "Xinhua") as shown, or None."""
        match = self._date_line
        if not match:
            return None
        source = match.group(2).strip(" |:-–—")
        # A long tail is page text that followed the date, not a source name.
        return source if 0 < len(source) <= MAX_SOURCE_LENGTH else None

    def outlet(self) -> str | None:
        """Who wrote it: "China Daily", "Xinhua"... and "CPPCC" when the page names no source."""
        return normalize_outlet(self.source()) or "CPPCC"

    def body_container(self) -> Selector | None:
        """`#Content` (or the art_cont block) holding the paragraphs."""
        return find_container(self.sel, BODY_CSS)

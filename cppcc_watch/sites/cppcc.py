"""The CPPCC National Committee's English site: URL rules and page objects.

The same CMS serves the same paths on en.cppcc.gov.cn and under /cppcc/ on regional. and
subsites.chinadaily.com.cn (research/sites.md §1). Articles are `/YYYY-MM/DD/c_N[_P].htm`, listings
are `{section}[_{N}].html`. The page selectors are unverified, so each field tries the known
selectors first and then generic fallbacks (first h1, the "Updated:" line, the URL's date, the
largest block of paragraphs).

When the date line names no source, the outlet is "CPPCC": the committee's own site published it.
"""

from __future__ import annotations

import re
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from cppcc_watch.sites.common import (
    BaseArticlePage,
    BaseListingPage,
    find_container,
    first_text,
    iso_beijing,
    links_containing,
    meta_content,
    normalize_outlet,
    strip_query,
    strip_title_suffix,
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


def _article_match(url: str) -> re.Match[str] | None:
    path = site_path(url)
    return _ARTICLE_RE.match(path) if path is not None else None


def _listing_match(url: str) -> re.Match[str] | None:
    path = site_path(url)
    return _LISTING_RE.match(path) if path is not None else None


def is_article_url(url: str) -> bool:
    """True for an article page (any page of it) on one of the three CPPCC hosts."""
    return _article_match(url) is not None


def is_listing_url(url: str) -> bool:
    """True for the home page or a section listing page (`news.html`, `surveys_2.html`)."""
    return _listing_match(url) is not None


def canonical_url(url: str) -> str:
    """`http://en.cppcc.gov.cn/YYYY-MM/DD/c_N.htm` for any page of an article on any host.

    Other URLs only lose their query and fragment.
    """
    match = _article_match(url)
    if not match:
        return strip_query(url)
    month, day, article_id, _ = match.groups()
    return f"http://{CANONICAL_HOST}/{month}/{day}/c_{article_id}.htm"


def page_number(url: str) -> int:
    """The page number of an article page (`c_N_3.htm` -> 3) or listing (`news_9.html` -> 9)."""
    match = _article_match(url) or _listing_match(url)
    if match and match.groups()[-1]:
        return int(match.groups()[-1])
    return 1


def listing_section(url: str) -> str | None:
    """The section name of a listing URL (`surveys_2.html` -> "surveys"); None for the home page."""
    match = _listing_match(url)
    return match.group(1) if match else None


def _replace_path_tail(url: str, filename: str) -> str:
    parts = urlsplit(url)
    head = parts.path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/{filename}", "", ""))


class ListingPage(BaseListingPage):
    """A CPPCC section listing page (`news.html`, `surveys_2.html`) on any of the three hosts."""

    list_css = LIST_CSS
    is_article_url = staticmethod(is_article_url)
    page_number = staticmethod(page_number)
    listing_section = staticmethod(listing_section)


class ArticlePage(BaseArticlePage):
    """An article page of the CPPCC site (any of the three hosts)."""

    canonical_url = staticmethod(canonical_url)

    def title(self) -> str | None:
        """The headline: the article's h1, else og:title, else `<title>` without the site name."""
        return (
            first_text(self.sel, TITLE_CSS)
            or meta_content(self.sel, "og:title")
            or strip_title_suffix(self.sel.xpath("//title/text()").get())
        )

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

    def page_links(self) -> list[str]:
        """All pages of a multi-page article (`c_N.htm`, `c_N_2.htm`...); [] for a single page.

        The pager skips pages ("< 1 ... 5 6 7 ... 13 >"), so every page up to the highest linked
        number is listed, on this page's host.
        """
        own = _article_match(self.url)
        if not own:
            return []
        numbers = {page_number(self.url)}
        for link in links_containing(self.sel, self.url, f"c_{own.group(3)}"):
            match = _article_match(link)
            if match and match.group(1, 2, 3) == own.group(1, 2, 3):
                numbers.add(page_number(link))
        last = max(numbers)
        if last < 2:
            return []
        article_id = own.group(3)
        names = [f"c_{article_id}.htm"] + [f"c_{article_id}_{n}.htm" for n in range(2, last + 1)]
        return [_replace_path_tail(self.url, name) for name in names]

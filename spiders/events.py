"""What the crawl's parts tell each other through the crawler: the project's own signals, and
the name under which a figure of the run is counted in Scrapy's stats (stats hold figures only).
"""

from __future__ import annotations

#: A request failed for good (args: request, kind, reason): "listing" or "article" page, and
#: one short human reason ("HTTP 503", "cannot reach HOST: timed out"...).
request_failed = object()
#: A downloaded page could not be used (args: url, reason).
page_rejected = object()

#: Request meta: what a request fetches ("listing" or "article" page).
KIND = "cppcc_watch_kind"
#: Request meta of an article's first page: the article's canonical URL (set by the spider; the
#: incremental middleware drops the request when the article is stored).
ARTICLE = "cppcc_watch_article"


def stat(name: str) -> str:
    """The stats key of one of the run's figures (`new` -> cppcc_watch/new)."""
    return f"cppcc_watch/{name}"

"""Download handler that can send every request to a local mirror of the sites.

With CPPCC_WATCH_MIRROR=http://127.0.0.1:PORT the request goes to that server with the original host
in the Host header and the original path and query; the response comes back under the original URL,
so robots.txt, offsite filtering, link following and the stored items all see the real sites.
Without the setting it is Scrapy's plain HTTP/1.1 handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from .config import crawl_config

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


def mirrored_url(url: str, mirror: str) -> tuple[str, str]:
    """The mirror URL a request for `url` goes to, and the Host header it carries."""
    original = urlsplit(url)
    base = urlsplit(mirror)
    target = urlunsplit((base.scheme, base.netloc, original.path or "/", original.query, ""))
    return target, original.netloc


class MirrorDownloadHandler(HTTP11DownloadHandler):
    """HTTP(S) handler that redirects traffic to CPPCC_WATCH_MIRROR when it is set."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._mirror = crawl_config(crawler).mirror

    async def download_request(self, request: Request) -> Response:
        """Fetch `request`, through the mirror when one is configured."""
        if not self._mirror:
            return await super().download_request(request)
        target, host = mirrored_url(request.url, self._mirror)
        mirrored = request.replace(url=target)
        mirrored.headers[b"Host"] = host.encode("ascii")
        response = await super().download_request(mirrored)
        return response.replace(url=request.url)

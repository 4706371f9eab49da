"""A local HTTP server standing in for the news sites: serves pages by Host header and path,
and logs every request, so tests can count what a crawl downloaded."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Page:
    """One response the mirror gives."""

    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and can send a page's status line and headers."""

    def send_head(self, page: Page) -> None:
        """Status line and headers of `page` (the caller ends the headers and writes the body)."""
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        for name, value in page.headers.items():
            self.send_header(name, value)

    def log_message(self, format: str, *args: object) -> None:
        pass


class Mirror:
    """Pages of several hosts, served on 127.0.0.1; `requests` lists (host, path) in order."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], Page] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def add(self, url: str, body: str | bytes, **kwargs: object) -> None:
        """Serve `body` at the real URL `url` (scheme ignored)."""
        parts = urlsplit(url)
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[(parts.netloc, parts.path or "/")] = Page(data, **kwargs)  # type: ignore[arg-type]

    def requested(self, host: str | None = None) -> list[str]:
        """Paths requested so far (of one host, or all as host+path)."""
        with self._lock:
            if host is None:
                return [h + p for h, p in self.requests]
            return [p for h, p in self.requests if h == host]

    def reset_log(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self.requests.clear()

    @property
    def url(self) -> str:
        """Base URL to give CPPCC_WATCH_MIRROR."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def page_for(self, host: str, path: str) -> Page:
        """The page served at (host, path), or a 404 page."""
        return self.pages.get((host, path)) or Page(
            b"<html><body>Not found</body></html>", status=404
        )

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        """Start serving on a free 127.0.0.1 port with this request handler."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def __enter__(self) -> Mirror:
        mirror = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                host = self.headers.get("Host", "")
                path = urlsplit(self.path).path
                with mirror._lock:
                    mirror.requests.append((host, path))
                page = mirror.page_for(host, path)
                self.send_head(page)
                self.end_headers()
                self.wfile.write(page.body)

        self.serve(Handler)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

"""A mirror of the sites (see tests/mirror_server.py) that misbehaves on purpose.

`ChaosMirror` serves the same pages by Host header and path, logs every request with its time,
and can, per (host, path): answer the first requests with a fault (HTTP 500/503, a stall past the
client's timeout, a dropped connection, a truncated body), always fail, and delay every answer
(to make a crawl slow enough to kill or to read from while it writes).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlsplit

from tests.mirror_server import Mirror, Page, QuietHandler

FAULTS = ("500", "503", "stall", "drop", "truncate")
RETRY_AFTER = "429-retry-after-1"  # a 429 answer asking for a second's wait


class ChaosMirror(Mirror):
    """A Mirror with faults: `faults[(host, path)]` is a list of faults for the first requests."""

    def __init__(self, *, stall: float = 3.0, delay: float = 0.0) -> None:
        super().__init__()
        self.faults: dict[tuple[str, str], list[str]] = {}
        self.times: list[tuple[float, str, str]] = []  # (monotonic time, host, path)
        self.stall = stall
        self.delay = delay
        self.slow: dict[tuple[str, str], float] = {}
        self.release = threading.Event()  # set it to answer every held (slow) request at once

    def fail(self, url: str, *faults: str) -> None:
        """Answer the next requests of `url` with these faults, in order, then normally."""
        parts = urlsplit(url)
        self.faults[(parts.netloc, parts.path or "/")] = list(faults)

    def hold(self, url: str, seconds: float) -> None:
        """Answer requests of `url` only after `seconds` (or when `release` is set)."""
        parts = urlsplit(url)
        self.slow[(parts.netloc, parts.path or "/")] = seconds

    def times_of(self, url: str) -> list[float]:
        """When each request for `url` arrived (monotonic seconds)."""
        parts = urlsplit(url)
        with self._lock:
            return [t for t, h, p in self.times if (h, p) == (parts.netloc, parts.path or "/")]

    def __enter__(self) -> ChaosMirror:
        mirror = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    super().handle()  # (a client that gave up or was killed is no error)

            def do_GET(self) -> None:
                host = self.headers.get("Host", "")
                path = urlsplit(self.path).path
                with mirror._lock:
                    mirror.requests.append((host, path))
                    mirror.times.append((time.monotonic(), host, path))
                    queue = mirror.faults.get((host, path))
                    fault = queue.pop(0) if queue else None
                if mirror.delay:
                    time.sleep(mirror.delay)
                held = mirror.slow.get((host, path))
                if held:
                    mirror.release.wait(held)
                page = mirror.page_for(host, path)
                if fault in ("500", "503"):
                    page = Page(b"<html>Server error</html>", status=int(fault))
                elif fault == RETRY_AFTER:
                    page = Page(b"Slow down", status=429, headers={"Retry-After": "1"})
                elif fault == "stall":
                    time.sleep(mirror.stall)
                elif fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    self._answer(page, fault)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a stall)
                    self.close_connection = True

            def _answer(self, page: Page, fault: str | None) -> None:
                self.send_head(page)
                if fault == "truncate":
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(page.body[: len(page.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.end_headers()
                self.wfile.write(page.body)

        self.serve(Handler)
        return self

"""The browser harness catches what a report test relies on it to catch, on tiny local pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium, load, needs_chromium, open_page, output_dir

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium shared by this module's tests."""
    with chromium() as launched:
        yield launched


class _CountingHandler(BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"reached")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on 127.0.0.1 that records the paths it is asked for."""
    hits: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def _page(tmp_path: Path, body: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(f"<!doctype html><meta charset=utf-8><title>t</title>{body}", "utf-8")
    return path


def test_clean_page_has_no_problems(tmp_path: Path, browser: Browser) -> None:
    page = _page(tmp_path, "<h1>Hello</h1><script>console.log('fine')</script>")
    report = load(page, browser=browser)
    assert report.problems() == []
    assert report.console == {"log": ["fine"]}


def test_console_error_is_reported(tmp_path: Path, browser: Browser) -> None:
    page = _page(tmp_path, "<script>console.error('chart failed', 42)</script>")
    report = load(page, browser=browser)
    assert report.console_errors == ["chart failed 42"]
    assert report.problems() == ["console error: chart failed 42"]


def test_uncaught_exception_is_reported(tmp_path: Path, browser: Browser) -> None:
    page = _page(tmp_path, "<script>undefinedFunction()</script>")
    report = load(page, browser=browser)
    assert len(report.page_errors) == 1
    assert "undefinedFunction is not defined" in report.page_errors[0]


def test_outside_requests_are_blocked_and_reported(
    tmp_path: Path, browser: Browser, local_server: tuple[int, list[str]]
) -> None:
    port, hits = local_server
    local = f"http://127.0.0.1:{port}/x"
    page = _page(
        tmp_path,
        f"""<script src="https://cdn.example.com/x.js"></script>
        <img src="http://127.0.0.1:{port}/img.png">
        <script>
          window.done = false;
          fetch("{local}").then(r => r.text()).catch(e => "blocked")
            .then(t => {{ window.result = t; window.done = true; }});
        </script>""",
    )
    report = load(page, browser=browser, wait_for="window.done === true")
    assert sorted(report.outside_requests) == sorted(
        ["https://cdn.example.com/x.js", f"http://127.0.0.1:{port}/img.png", local]
    )
    assert hits == [], "a blocked request reached the server"
    assert report.failed_requests == []
    assert len(report.problems()) >= 3


def test_failed_local_resource_is_reported(tmp_path: Path, browser: Browser) -> None:
    page = _page(tmp_path, '<script src="missing.js"></script>')
    report = load(page, browser=browser)
    assert len(report.failed_requests) == 1
    assert "missing.js" in report.failed_requests[0]


def test_wait_for_waits_for_a_late_flag(tmp_path: Path, browser: Browser) -> None:
    page = _page(
        tmp_path,
        "<script>setTimeout(() => { document.body.dataset.n = '3'; "
        "window.reportReady = true; }, 300)</script>",
    )
    with open_page(page, browser=browser, wait_for="window.reportReady === true") as opened:
        assert opened.evaluate("document.body.dataset.n") == "3"
        assert opened.evaluate("(x) => x * 2", 21) == 42


def test_wait_for_that_never_comes_fails_with_the_page_errors(
    tmp_path: Path, browser: Browser
) -> None:
    page = _page(tmp_path, "<script>throw new Error('render broke')</script>")
    with pytest.raises(AssertionError, match="render broke"):
        load(page, browser=browser, wait_for="window.reportReady === true", timeout_s=0.5)


def test_screenshot_is_a_png(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPPCC_WATCH_TEST_OUTPUT", str(tmp_path / "out"))
    page = _page(tmp_path, "<h1 style='color:#c00'>Screenshot 截图</h1>")
    shot = output_dir() / "browser-harness.png"
    load(page, browser=browser, screenshot=shot)
    data = shot.read_bytes()
    assert shot.parent == tmp_path / "out"
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 1000


def test_open_page_launches_its_own_browser(tmp_path: Path) -> None:
    page = _page(tmp_path, "<p id=p>own</p>")
    with open_page(page) as opened:
        assert opened.evaluate("document.getElementById('p').textContent") == "own"

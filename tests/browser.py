"""Test support: open a local HTML file in headless Chromium and report what went wrong.

Built on Playwright for Python, but driving Debian's `chromium` package rather than a browser
that Playwright downloads. Every request that is not file:, data:, blob: or about: is blocked
before it leaves the machine and recorded, so a page that needs the network shows up as such.

    with open_page(report_html, wait_for="window.reportReady === true") as page:
        assert page.report.problems() == []
        assert page.evaluate("document.querySelectorAll('.js-plotly-plot').length") == 3
        page.screenshot(output_dir() / "report.png")

Tests that use it carry `@needs_chromium`, so they skip (with the reason) where no browser is
installed. Launching takes about half a second; a module-scoped fixture around `chromium()`
passed as `browser=` shares one browser between tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    Request,
    Route,
    WebSocketRoute,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM: str | None = _find_chromium()

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason=(
        "no `chromium` on PATH: Debian's chromium package is not installed "
        "(.ci/run installs it with apt-get; locally: apt-get install chromium)"
    ),
)


def output_dir() -> Path:
    """Where tests write artifacts such as screenshots: $CPPCC_WATCH_TEST_OUTPUT or test-output/."""
    path = Path(os.environ.get("CPPCC_WATCH_TEST_OUTPUT") or ROOT / "test-output")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class PageReport:
    """What a page did while it was open: console messages, uncaught errors and requests."""

    url: str
    console: dict[str, list[str]] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    @property
    def console_errors(self) -> list[str]:
        """The texts of console.error() calls (and errors Chromium logs to the console)."""
        return self.console.get("error", [])

    def problems(self) -> list[str]:
        """Everything a healthy self-contained page must not have, one readable line each."""
        return [
            *(f"console error: {text}" for text in self.console_errors),
            *(f"uncaught error: {text}" for text in self.page_errors),
            *(f"outside request (blocked): {url}" for url in self.outside_requests),
            *(f"failed request: {line}" for line in self.failed_requests),
        ]


@dataclass
class OpenPage:
    """A page that is still open: its live report plus ways to query and photograph it."""

    page: Page
    report: PageReport

    def evaluate(self, js: str, arg: Any = None) -> Any:
        """Run a JS expression (or function, called with `arg`) in the page and return its value."""
        return self.page.evaluate(js, arg)

    def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        """Write a PNG of the page to `path` (parents created) and return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


_running: list[Playwright] = []


@contextmanager
def _playwright() -> Iterator[Playwright]:
    # The sync API refuses to start twice in one thread, so nested users share the running one.
    if _running:
        yield _running[-1]
        return
    with sync_playwright() as playwright:
        _running.append(playwright)
        try:
            yield playwright
        finally:
            _running.pop()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch Debian's headless Chromium (never a downloaded one) and close it afterwards."""
    if CHROMIUM is None:
        pytest.skip(needs_chromium.kwargs["reason"])
    with _playwright() as playwright:
        # Playwright gives each launch a fresh temporary profile directory.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


@contextmanager
def open_page(
    path: Path,
    *,
    browser: Browser | None = None,
    wait_for: str | None = None,
    timeout_s: float = 15,
    viewport: tuple[int, int] = (1280, 900),
) -> Iterator[OpenPage]:
    """Open file `path` in a fresh browser context, wait for load (and for `wait_for` to be
    truthy), and yield it; outside requests are blocked and recorded. Launches its own
    browser unless one is given."""
    with ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(chromium())
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block"
        )
        stack.callback(context.close)
        context.set_default_timeout(timeout_s * 1000)
        report = PageReport(url=path.resolve().as_uri())
        blocked: set[str] = set()

        def route(route: Route) -> None:
            url = route.request.url
            if _is_local(url):
                route.continue_()
                return
            report.outside_requests.append(url)
            blocked.add(url)
            route.abort("blockedbyclient")

        def route_ws(ws: WebSocketRoute) -> None:
            # Not calling ws.connect_to_server() keeps the socket inside the browser.
            report.outside_requests.append(ws.url)
            ws.close()

        def failed(request: Request) -> None:
            if request.url not in blocked:
                report.failed_requests.append(f"{request.url} ({request.failure})")

        context.route("**/*", route)
        context.route_web_socket("**/*", route_ws)
        page = context.new_page()
        page.on("console", lambda msg: report.console.setdefault(msg.type, []).append(msg.text))
        page.on("pageerror", lambda error: report.page_errors.append(str(error)))
        page.on("requestfailed", failed)
        page.goto(report.url, wait_until="load")
        if wait_for is not None:
            try:
                page.wait_for_function(wait_for)
            except PlaywrightTimeout:
                problems = "; ".join(report.problems()) or "none recorded"
                raise AssertionError(
                    f"{wait_for!r} still not true after {timeout_s}s (problems: {problems})"
                ) from None
        yield OpenPage(page=page, report=report)


def load(
    path: Path,
    *,
    browser: Browser | None = None,
    wait_for: str | None = None,
    timeout_s: float = 15,
    screenshot: Path | None = None,
) -> PageReport:
    """Open `path` as `open_page` does, optionally save a screenshot, and return the report."""
    with open_page(path, browser=browser, wait_for=wait_for, timeout_s=timeout_s) as page:
        if screenshot is not None:
            page.screenshot(screenshot)
        return page.report

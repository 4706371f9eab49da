"""The datasette metadata file in the repository, and datasette serving a seeded database with it.

The serving test starts `datasette` on 127.0.0.1 (a free port, a subprocess, a bounded wait), runs
canned queries through its JSON API and checks their rows. It is skipped, with the reason, when
datasette (the optional `datasette` extra) is not installed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cppcc_watch.store import Store
from cppcc_watch.store.metadata import datasette_metadata
from tests.test_query import seed

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "datasette" / "metadata.json"
STARTUP_SECONDS = 30.0


def test_the_metadata_file_is_current() -> None:
    """datasette/metadata.json is what `python -m cppcc_watch.store.metadata` prints."""
    assert METADATA.is_file(), "run: python -m cppcc_watch.store.metadata > datasette/metadata.json"
    on_disk = json.loads(METADATA.read_text(encoding="utf-8"))
    assert on_disk == datasette_metadata(), (
        "datasette/metadata.json is stale; regenerate it with "
        "python -m cppcc_watch.store.metadata > datasette/metadata.json"
    )


def _datasette() -> str | None:
    """The datasette executable of this environment, if installed."""
    beside = Path(sys.executable).parent / "datasette"
    return str(beside) if beside.exists() else shutil.which("datasette")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, no proxy


def _get(url: str) -> Any:
    with _LOCAL.open(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.fixture
def served(sqlite_url: str, db_path: Path) -> Iterator[str]:
    """The base URL of datasette serving a seeded cppcc_watch.db with the repository metadata
    (datasette reads SQLite files only)."""
    executable = _datasette()
    if executable is None:
        pytest.skip("datasette is not installed (pip install -e '.[datasette]')")
    path = db_path
    with Store.open(sqlite_url) as store:
        seed(store)
    port = _free_port()
    process = subprocess.Popen(
        [executable, "serve", str(path), "-m", str(METADATA), "-h", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                _get(f"{base}/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    error = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"datasette did not start within {STARTUP_SECONDS} s: {error}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_datasette_runs_canned_queries_with_the_metadata(served: str) -> None:
    found = _get(f"{served}/cppcc_watch/entity_by_month.json?name=food_security&_shape=array")
    assert found == [
        {"month": "2023-12", "articles": 1, "mentions": 2},
        {"month": "2024-02", "articles": 1, "mentions": 2},
    ]
    both = _get(
        f"{served}/cppcc_watch/articles_mentioning_both.json"
        "?first=Xi%27an&second=climate_change&_shape=array"
    )
    assert [row["title"] for row in both] == ["Advisers survey Xi'an on climate change"]
    period = _get(
        f"{served}/cppcc_watch/entities_in_period.json"
        "?kind=province&since=2024-01-01&until=2025-01-01&_shape=array"
    )
    assert {row["name"]: row["articles"] for row in period} == {
        "Shaanxi": 1,
        "Xizang": 1,
        "Henan": 1,
        "Jiangsu": 1,
    }


def test_datasette_shows_the_descriptions_and_full_text_search(served: str) -> None:
    metadata = _get(f"{served}/-/metadata.json")
    tables = metadata["databases"]["cppcc_watch"]["tables"]
    assert tables["articles"]["columns"]["url"].startswith("Canonical URL")
    searched = _get(f"{served}/cppcc_watch/articles.json?_search=grain&_shape=array&_col=title")
    assert {row["title"] for row in searched} == {
        "Grain harvest in Henan",
        "Heilongjiang granary",
        "Undated note on grain",
    }

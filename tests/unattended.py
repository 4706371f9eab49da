"""Helpers of the unattended-crawl tests: run `cppcc-watch crawl` in a real process against a
127.0.0.1 mirror, and read the database it writes on a connection of their own."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.database import NOT_READY
from tests.database import rows as query
from tests.mirror_server import Mirror
from tests.test_end_to_end import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
QUICK = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CPPCC_WATCH_RETRY_BACKOFF": "0",
}


def crawl_argv(db_url: str, mirror: Mirror, *args: str, **settings: Any) -> list[str]:
    """The command line of a crawl of the fixture sites served by `mirror`."""
    values = {
        **QUICK,
        "CPPCC_WATCH_SECTIONS": json.dumps(SECTIONS),
        "CPPCC_WATCH_MIRROR": mirror.url,
        **{name: str(value) for name, value in settings.items()},
    }
    options = [x for name, value in values.items() for x in ("-s", f"{name}={value}")]
    return [sys.executable, "-m", "cppcc_watch", "--db", db_url, "crawl", *args, *options]


def crawl(db_url: str, mirror: Mirror, *args: str, **settings: Any) -> subprocess.CompletedProcess:
    """Run a crawl to the end in a subprocess."""
    argv = crawl_argv(db_url, mirror, *args, **settings)
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def start_crawl(db_url: str, mirror: Mirror, *args: str, **settings: Any) -> subprocess.Popen:
    """Start a crawl in a subprocess and return at once."""
    argv = crawl_argv(db_url, mirror, *args, **settings)
    return subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll until `condition()` is true, failing the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (sqlite3.OperationalError, *NOT_READY):
            pass  # the database or its tables may not exist yet
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def figures(db_url: str, run_id: int) -> dict[str, int]:
    """The figures a run kept in its settings_json."""
    raw = query(db_url, "SELECT settings_json FROM crawl_runs WHERE id = :id", id=run_id)[0][0]
    return json.loads(raw)["figures"]

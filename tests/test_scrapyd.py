"""Scheduling through scrapyd: start scrapyd on 127.0.0.1 (a free port, a temp directory), deploy
the project's egg (deploy/build_egg.py), schedule a crawl of the local mirror through the HTTP
API, wait for it to finish, and find the articles in the database."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mirror_server import Mirror
from tests.test_end_to_end import CD_LINKED, SECTIONS, build_sites
from tests.unattended import ROOT, query

SCRAPYD = Path(sys.executable).with_name("scrapyd")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, endpoint: str, data: dict | None = None) -> dict:
    """One scrapyd API call (a POST when `data` is given); returns its JSON answer."""
    encoded = urllib.parse.urlencode(list(_pairs(data))).encode() if data is not None else None
    request = urllib.request.Request(f"{base}/{endpoint}", data=encoded)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _pairs(data: dict) -> Iterator[tuple[str, str]]:
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            yield name, str(item)


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    if not SCRAPYD.exists() or shutil.which("scrapyd-deploy", path=str(SCRAPYD.parent)) is None:
        pytest.skip("scrapyd and scrapyd-client are not installed (pip install '.[test]')")
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\npoll_interval = 0.2\n"
        "eggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\nitems_dir =\n"
    )
    process = subprocess.Popen(
        [str(SCRAPYD)], cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if call(base, "daemonstatus.json")["status"] == "ok":
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"scrapyd did not start: {process.stdout.read()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def test_scrapyd_runs_a_deployed_crawl_into_the_database(scrapyd: str, tmp_path: Path) -> None:
    egg = tmp_path / "cppcc_watch.egg"
    built = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "build_egg.py"), str(egg)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert built.stdout.strip() == str(egg)
    # the project's scrapy.cfg deploy target, pointed at this scrapyd
    project = tmp_path / "project"
    project.mkdir()
    config = (ROOT / "scrapy.cfg").read_text()
    assert "[deploy]" in config and "project = cppcc_watch" in config
    (project / "scrapy.cfg").write_text(config.replace("http://localhost:6800/", scrapyd + "/"))
    deployed = subprocess.run(
        [str(SCRAPYD.with_name("scrapyd-deploy")), "--egg", str(egg), "--version", "1"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert '"status": "ok"' in deployed.stdout + deployed.stderr
    assert call(scrapyd, "listspiders.json?project=cppcc_watch")["spiders"] == [
        "chinadaily",
        "cppcc",
    ]
    db_path = tmp_path / "scheduled.db"
    db_url = f"sqlite:///{db_path}"
    with Mirror() as mirror:
        build_sites(mirror)
        scheduled = call(
            scrapyd,
            "schedule.json",
            {
                "project": "cppcc_watch",
                "spider": "chinadaily",
                "setting": [
                    f"CPPCC_WATCH_DB={db_url}",
                    f"CPPCC_WATCH_MIRROR={mirror.url}",
                    f"CPPCC_WATCH_SECTIONS={json.dumps(SECTIONS)}",
                    "DOWNLOAD_DELAY=0",
                    "AUTOTHROTTLE_ENABLED=False",
                ],
            },
        )
        assert scheduled["status"] == "ok", scheduled
        job = scheduled["jobid"]
        deadline = time.monotonic() + 60
        while True:
            jobs = call(scrapyd, "listjobs.json?project=cppcc_watch")
            if any(j["id"] == job for j in jobs["finished"]):
                break
            assert time.monotonic() < deadline, f"the job did not finish: {jobs}"
            time.sleep(0.2)
    log = next((tmp_path / "scrapyd" / "logs").rglob(f"{job}.log"), None)
    log_text = log.read_text() if log else "(no log)"
    stored = (
        {r[0] for r in query(db_url, "SELECT url FROM articles")} if db_path.exists() else set()
    )
    assert stored == {s.url for s in CD_LINKED}, log_text[-3000:]
    runs = query(db_url, "SELECT spider, status, new FROM crawl_runs")
    assert [tuple(r) for r in runs] == [("chinadaily", "ok", len(CD_LINKED))]
    mentions = query(db_url, "SELECT COUNT(*) FROM mentions")[0][0]
    assert mentions > 0  # extraction ran inside the deployed egg too

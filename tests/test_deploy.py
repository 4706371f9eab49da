"""The scheduling files in deploy/: each is documented in the README, runs the real command, and
treats an overlapping run (exit 75) as what it is."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cppcc_watch.store.locks import EXIT_BUSY

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text("utf-8")


def test_every_deploy_file_is_documented_in_the_readme() -> None:
    files = [p.relative_to(ROOT).as_posix() for p in DEPLOY.rglob("*") if p.is_file()]
    files = [f for f in files if "__pycache__" not in f]
    assert len(files) >= 5
    for name in files:
        assert f"`{name}`" in README, name
    assert "exit code 75" in README


def test_the_cron_line_runs_the_crawl_every_hour() -> None:
    lines = [
        line
        for line in (DEPLOY / "cron" / "cppcc-watch").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(lines) == 1
    minute, hour, day, month, weekday, user, *command = lines[0].split()
    assert (minute, hour, day, month, weekday) == ("17", "*", "*", "*", "*")
    assert user == "cppcc"
    assert "cppcc-watch crawl" in " ".join(command)


def units() -> dict[str, configparser.ConfigParser]:
    found = {}
    for path in sorted((DEPLOY / "systemd").iterdir()):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(path)
        found[path.name] = parser
    return found


def test_the_systemd_timer_starts_the_crawl_service() -> None:
    found = units()
    service = found["cppcc-watch-crawl.service"]["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"].endswith("/cppcc-watch crawl")
    assert str(EXIT_BUSY) in service["SuccessExitStatus"].split()
    timer = found["cppcc-watch-crawl.timer"]
    assert timer["Timer"]["Unit"] == "cppcc-watch-crawl.service"
    assert timer["Timer"]["OnCalendar"] == "hourly"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_finds_nothing_wrong_with_the_units() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    paths = [str(p) for p in sorted((DEPLOY / "systemd").iterdir())]
    result = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True)
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "is not executable" not in line  # /opt/cppcc-watch is not here
    ]
    assert complaints == []


def test_the_scrapyd_config_and_deploy_target() -> None:
    parser = configparser.ConfigParser()
    parser.read(DEPLOY / "scrapyd" / "scrapyd.conf")
    assert parser["scrapyd"]["bind_address"] == "127.0.0.1"
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "scrapy.cfg")
    assert cfg["settings"]["default"] == "cppcc_watch.settings"
    assert cfg["deploy"]["project"] == "cppcc_watch"


def test_the_egg_holds_the_crawl_layer_and_the_settings_entry_point(tmp_path: Path) -> None:
    egg = tmp_path / "x.egg"
    subprocess.run(
        [sys.executable, str(DEPLOY / "build_egg.py"), str(egg)], check=True, capture_output=True
    )
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert {"spiders/base.py", "spiders/run_log.py", "pipelines/store.py"} <= names
    assert "[scrapy]\nsettings = cppcc_watch.settings" in entry_points

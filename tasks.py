#!/usr/bin/env python3
"""The project's two jobs, with all set-up included, for a fresh machine that has Python 3.11+:

    python3 tasks.py crawl [CRAWL OPTIONS]   # crawl both sites into data/cppcc_watch.db
    python3 tasks.py test  [PYTEST OPTIONS]  # lint, type-check and run the test suite

Each creates .venv/ on first use and re-installs the project there only when pyproject.toml changes.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _python_ok() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py may be started by an older python3
        newer = (
            shutil.which("python3.11") or shutil.which("python3.12") or shutil.which("python3.13")
        )
        if newer:
            os.execv(newer, [newer, __file__, *sys.argv[1:]])
        found = ".".join(map(str, sys.version_info[:2]))
        sys.exit(f"tasks.py: Python 3.11 or newer is needed (found {found})")


def ensure_env(extras: str) -> None:
    """Create .venv and install the project (with `extras`) unless it is already up to date."""
    _python_ok()
    python = BIN / "python"
    if not python.exists():
        print("tasks.py: creating .venv", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".stamp-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == key:
        return
    print(f"tasks.py: installing the project into .venv ({extras or 'base'})", file=sys.stderr)
    target = f".[{extras}]" if extras else "."
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            target,
        ],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(key)


def crawl(args: list[str]) -> int:
    """Crawl both sites (or the spiders named in `args`) into the default database."""
    ensure_env("")
    return subprocess.run([str(BIN / "cppcc-watch"), "crawl", *args], cwd=ROOT).returncode


def ensure_postgresql() -> None:
    """Install the distribution's PostgreSQL server (as root, with apt-get) when it is missing.

    The tests start a throwaway server of their own from its binaries (initdb, pg_ctl); without
    them, and without a way to install them, the PostgreSQL half of the tests skips and says so.
    """
    if shutil.which("initdb") or glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return
    if os.name == "nt" or os.geteuid() != 0 or not shutil.which("apt-get"):
        print("tasks.py: no PostgreSQL server binaries: its tests will skip", file=sys.stderr)
        return
    print("tasks.py: installing PostgreSQL (apt-get) for the database tests", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
    ):
        if subprocess.run(step, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
            print(f"tasks.py: {' '.join(step)} failed", file=sys.stderr)
            return


def test(args: list[str]) -> int:
    """Lint with ruff, type-check the packages with mypy, then run the tests with pytest."""
    ensure_env("test")
    ensure_postgresql()
    for check in ([str(BIN / "ruff"), "check", "."], [str(BIN / "mypy")]):
        if subprocess.run(check, cwd=ROOT).returncode:
            return 1
    # Two workers, a test module each at a time (module fixtures stay in one process): the
    # suite's crawls and servers are mostly waiting, so this halves its time on 2 cores.
    workers = ["-n", "2", "--dist", "loadfile"]
    if any(arg.startswith(("-n", "--numprocesses")) for arg in args):
        workers = []
    return subprocess.run(
        [str(BIN / "python"), "-m", "pytest", *workers, *args], cwd=ROOT
    ).returncode


def main() -> int:
    """Dispatch `crawl` or `test`."""
    jobs = {"crawl": crawl, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in jobs:
        print("usage: python3 tasks.py crawl|test [ARGS...]", file=sys.stderr)
        return 2
    return jobs[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

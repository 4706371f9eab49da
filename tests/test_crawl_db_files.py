"""`cppcc-watch crawl` and the database file: a missing directory is created; a read-only file, a
newer schema, a file that is not a database or a directory in its place stop the crawl before any
request with one line and exit code 2, and the file is left exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cppcc_watch.cli import cli
from cppcc_watch.store import Store
from tests.chaos_server import ChaosMirror
from tests.test_end_to_end import CD_LINKED, build_sites
from tests.unattended import ROOT, crawl, crawl_argv, query


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def crawl_in_process(db: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(
        cli, ["--db", db, "crawl", "-s", "CPPCC_WATCH_MIRROR=http://127.0.0.1:9"]
    )
    return result.exit_code, result.stderr.strip().splitlines()


def test_a_missing_directory_is_created(tmp_path: Path) -> None:
    db_path = tmp_path / "new" / "deeper" / "watch.db"
    with ChaosMirror() as mirror:
        build_sites(mirror)
        result = crawl(f"sqlite:///{db_path}", mirror, "chinadaily")
    assert result.returncode == 0, result.stderr
    urls = {r[0] for r in query(f"sqlite:///{db_path}", "SELECT url FROM articles")}
    assert urls == {s.url for s in CD_LINKED}


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    db_path = tmp_path / "future.db"
    Store.open(f"sqlite:///{db_path}").close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = digest(db_path)
    code, lines = crawl_in_process(f"sqlite:///{db_path}")
    assert code == 2
    assert len(lines) == 1 and "newer cppcc-watch" in lines[0]
    assert digest(db_path) == before


@pytest.mark.parametrize("content", [b"\x00\xff" * 3000, b"SQLite format 3\x00" + b"\x07" * 4000])
def test_a_file_that_is_not_a_database_is_refused_and_left_alone(
    tmp_path: Path, content: bytes
) -> None:
    db_path = tmp_path / "junk.db"
    db_path.write_bytes(content)
    code, lines = crawl_in_process(f"sqlite:///{db_path}")
    assert code == 2
    assert len(lines) == 1 and "database" in lines[0]
    assert db_path.read_bytes() == content


def test_a_directory_in_place_of_the_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "watch.db").mkdir()
    code, lines = crawl_in_process(f"sqlite:///{tmp_path / 'watch.db'}")
    assert code == 2
    assert len(lines) == 1 and "cannot be opened" in lines[0]


def _without_write_rights() -> list[str] | None:
    """A command prefix under which file permissions hold (root ignores them otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def test_a_read_only_database_is_refused_before_any_request(tmp_path: Path) -> None:
    prefix = _without_write_rights()
    if prefix is None:
        pytest.skip("running as root without setpriv: a read-only file would still be written")
    db_path = tmp_path / "readonly.db"
    with ChaosMirror() as mirror:
        build_sites(mirror)
        first = crawl(f"sqlite:///{db_path}", mirror, "chinadaily")
        assert first.returncode == 0, first.stderr
        db_path.chmod(0o444)
        before = digest(db_path)
        mirror.reset_log()
        argv = crawl_argv(f"sqlite:///{db_path}", mirror, "chinadaily")
        result = subprocess.run(
            [*prefix, *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        requested = mirror.requested()
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0]
    assert requested == []
    assert digest(db_path) == before
    assert len(query(f"sqlite:///{db_path}", "SELECT * FROM crawl_runs")) == 1

"""Shared pytest fixtures: databases on both backends, and an open Store.

`db_url` is a fresh database on each backend in turn: a SQLite file in the test's temporary
directory, then a new database on a throwaway PostgreSQL server (`tests/pg_server.py`, one per
test session). Tests of SQLite itself (the file, its locks, its pragmas) take `sqlite_url`.
A module not yet able to run on PostgreSQL is listed in NOT_PORTED (or marks itself
`sqlite_only`): its `db_url` is then SQLite alone.

Where PostgreSQL cannot start, its tests skip with the reason; under CI (`CI` set) they fail
instead, since CI must run them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cppcc_watch.store import Store
from tests.pg_server import PostgresServer, ServerUnavailable, start_server

BACKENDS = ("sqlite", "postgresql")
_database_numbers = itertools.count(1)

#: Test modules whose `db_url` is SQLite only until they are ported to PostgreSQL.
NOT_PORTED = {
    "test_cli.py",
    "test_crawl_db_files.py",
    "test_deploy.py",
    "test_end_to_end.py",
    "test_faults.py",
    "test_recheck.py",
    "test_redirect_aliases.py",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the module's db_url is SQLite only (not ported to PostgreSQL yet)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in NOT_PORTED:
            item.add_marker(pytest.mark.sqlite_only)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole test session."""
    try:
        server = start_server()
    except ServerUnavailable as error:
        message = f"PostgreSQL is not available: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A SQLAlchemy URL of a fresh, empty PostgreSQL database."""
    return pg_server.create_database(f"test_{os.getpid()}_{next(_database_numbers)}")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's SQLite file lives (not created yet)."""
    return tmp_path / "cppcc_watch.db"


@pytest.fixture
def sqlite_url(db_path: Path) -> str:
    """A SQLAlchemy URL of a fresh SQLite file in the test's temporary directory."""
    return f"sqlite:///{db_path}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A fresh database on each backend in turn (SQLite only in `sqlite_only` modules)."""
    if request.param == "sqlite":
        return sqlite_url
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("not ported to PostgreSQL yet")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open Store on a fresh database, closed after the test."""
    opened = Store.open(db_url)
    yield opened
    opened.close()

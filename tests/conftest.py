"""Shared pytest fixtures: databases on both backends, and an open Store.

`db_url` is a fresh database on each backend in turn: a SQLite file in the test's temporary
directory, then a new database on a throwaway PostgreSQL server (`tests/pg_server.py`, one per
test process: each worker of a parallel run has its own). Tests of SQLite itself (the file, its
locks, its pragmas) take `sqlite_url`.
`module_db_url` is the same for the tests of a module that follow one database through steps.

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
    return _fresh_database(pg_server)


def _fresh_database(server: PostgresServer) -> str:
    return server.create_database(f"test_{os.getpid()}_{next(_database_numbers)}")


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
    """A fresh database on each backend in turn."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh database on each backend in turn, shared by the tests of one module (for tests
    that follow one crawl through several steps)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'cppcc_watch.db'}"
    return _fresh_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open Store on a fresh database, closed after the test."""
    opened = Store.open(db_url)
    yield opened
    opened.close()

"""Shared pytest fixtures: a database URL and an open Store in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cppcc_watch.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's SQLite file lives (not created yet)."""
    return tmp_path / "cppcc_watch.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    """A SQLAlchemy URL of a fresh SQLite file in the test's temporary directory."""
    return f"sqlite:///{db_path}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open Store on a fresh database, closed after the test."""
    opened = Store.open(db_url)
    yield opened
    opened.close()

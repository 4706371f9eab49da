"""Tests of opening a database (store.engine and the dialects' engine sections): SQLite's file,
settings and read-only mode; PostgreSQL's driver, server errors, read-only sessions; messages
that name the database without its password."""

from __future__ import annotations

import hashlib
import socket
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store import Store, open_engine
from cppcc_watch.store.engine import describe


def digest(path: Path) -> str:
    """A fingerprint of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- SQLite --------------------------------------------------------------------------------------


@pytest.mark.parametrize("readonly", [False, True])
def test_a_file_that_is_not_sqlite_is_a_database_error(db_path: Path, readonly: bool) -> None:
    db_path.write_bytes(b"<html>not a database</html>\n" * 200)
    before = digest(db_path)
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        Store.open(f"sqlite:///{db_path}", readonly=readonly)
    assert digest(db_path) == before


def test_a_directory_that_cannot_be_created_is_a_database_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(DatabaseError, match=r"directory .*data.* cannot be created"):
        open_engine(f"sqlite:///{blocker / 'cppcc_watch.db'}")


def test_readonly_never_creates_a_missing_database(db_path: Path) -> None:
    with pytest.raises(DatabaseError, match="does not exist"):
        Store.open(f"sqlite:///{db_path}", readonly=True)
    assert not db_path.exists()


def test_sqlite_settings(sqlite_url: str, db_path: Path) -> None:
    engine = open_engine(sqlite_url)
    with engine.connect() as conn:
        settings = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in (
                "journal_mode",
                "foreign_keys",
                "busy_timeout",
                "synchronous",
                "wal_autocheckpoint",
            )
        }
    engine.dispose()
    assert settings == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
        "wal_autocheckpoint": 10000,
    }
    import sqlite3

    with sqlite3.connect(db_path) as conn:  # WAL is a property of the file, seen by any reader
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert describe(open_engine(sqlite_url, readonly=True)) == str(db_path)


def test_a_readonly_sqlite_engine_refuses_writes(sqlite_url: str, db_path: Path) -> None:
    Store.open(sqlite_url).close()
    before = digest(db_path)
    engine = open_engine(sqlite_url, readonly=True)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM articles").scalar() == 0
        conn.exec_driver_sql("PRAGMA query_only = OFF")  # mode=ro holds even so
        with pytest.raises(DatabaseError, match="read-only"):
            conn.exec_driver_sql("CREATE TABLE scratch (x)")
    engine.dispose()
    assert digest(db_path) == before


# -- PostgreSQL ----------------------------------------------------------------------------------


def test_a_readonly_postgresql_engine_refuses_every_write(pg_url: str) -> None:
    Store.open(pg_url).close()
    engine = open_engine(pg_url, readonly=True)
    writes = (
        "CREATE TABLE scratch (x integer)",
        "INSERT INTO crawl_runs (spider, started_at, status) VALUES ('x', 'now', 'ok')",
        "SELECT nextval('articles_id_seq')",  # a function with a side effect
    )
    for statement in writes:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 0
            with pytest.raises(DatabaseError, match="read-only; it cannot be written"):
                conn.execute(text(statement))
    engine.dispose()
    writer = open_engine(pg_url)
    with writer.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar() == 0
        assert conn.execute(text("SELECT last_value FROM articles_id_seq")).scalar() == 1
    writer.dispose()


def test_a_plain_postgresql_url_uses_psycopg(pg_url: str) -> None:
    engine = open_engine(pg_url.replace("postgresql+psycopg://", "postgresql://"))
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_describe_never_shows_a_password(pg_url: str) -> None:
    # The test server trusts every local connection, so any password is accepted.
    with_password = pg_url.replace("cppcc@", "cppcc:s3cret@")
    for url in (with_password, f"{pg_url}?password=s3cret&application_name=check"):
        engine = open_engine(url)
        assert "s3cret" not in describe(engine)
        assert describe(engine).startswith("postgresql+psycopg://cppcc@127.0.0.1:")
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_one_line() -> None:
    port = _closed_port()
    with pytest.raises(DatabaseError) as caught:
        open_engine(f"postgresql+psycopg://cppcc:s3cret@127.0.0.1:{port}/watch")
    message = str(caught.value)
    assert message.startswith(f"cannot connect to PostgreSQL at 127.0.0.1:{port}: ")
    assert "refused" in message.lower()
    assert "\n" not in message and "s3cret" not in message


def test_a_missing_database_on_the_server_is_one_line(pg_url: str) -> None:
    with pytest.raises(DatabaseError, match=r'cannot connect to PostgreSQL at .*"nosuch" does not'):
        open_engine(pg_url.rsplit("/", 1)[0] + "/nosuch")


def test_a_missing_driver_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an absent package looks like
    with pytest.raises(
        DatabaseError, match=r"install the postgres extra: pip install 'cppcc-watch\[postgres\]'"
    ):
        open_engine("postgresql+psycopg://cppcc@127.0.0.1:5432/watch")


def test_another_kind_of_database_is_refused() -> None:
    with pytest.raises(DatabaseError, match="SQLite or PostgreSQL, not mysql"):
        open_engine("mysql://user@127.0.0.1/watch")

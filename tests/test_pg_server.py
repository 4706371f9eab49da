"""The throwaway PostgreSQL server the database tests run on."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tests.pg_server import PostgresServer


def test_each_database_is_new_and_listens_on_loopback(pg_server: PostgresServer) -> None:
    first = pg_server.create_database("probe_one")
    second = pg_server.create_database("probe_two")
    assert "127.0.0.1" in first and first != second
    engine = create_engine(first)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x integer)"))
            conn.execute(text("INSERT INTO t VALUES (41)"))
            assert conn.execute(text("SELECT x + 1 FROM t")).scalar() == 42
            assert conn.execute(text("SHOW listen_addresses")).scalar() == "127.0.0.1"
    finally:
        engine.dispose()
    engine = create_engine(second)
    try:
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE tablename = 't'"))
            assert tables.scalar() == 0
    finally:
        engine.dispose()

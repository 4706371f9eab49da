"""Tests of opening a database and of its versioned schema (store.engine, store.migrations)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from cppcc_watch.errors import DatabaseError, SchemaTooNew
from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article
from cppcc_watch.store import MIGRATIONS, SCHEMA_VERSION, Store, migrations, open_engine, upgrade
from cppcc_watch.store.metadata import QUERIES, TABLES, datasette_metadata
from cppcc_watch.store.schema import METADATA

FTS_TABLES = {"articles_fts"}


def digest(path: Path) -> str:
    """A fingerprint of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def applied(path: Path) -> list[str]:
    """The migration names recorded in a database file, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]


def test_upgrade_builds_the_schema_from_an_empty_database(db_url: str, db_path: Path) -> None:
    engine = open_engine(db_url)
    done = upgrade(engine)
    engine.dispose()
    assert done == [name for name, _ in MIGRATIONS]
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2
    assert applied(db_path) == done
    with sqlite3.connect(db_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"articles", "entities", "mentions", "mention_spans", "crawl_runs", "rejects"} <= tables
    assert {"article_versions", "raw_pages", "articles_fts"} <= tables


def test_upgrade_is_idempotent(db_url: str, db_path: Path) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    with sqlite3.connect(db_path) as conn:
        before = conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall()
    assert upgrade(engine) == []
    engine.dispose()
    Store.open(db_url).close()
    with sqlite3.connect(db_path) as conn:
        after = conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall()
    assert after == before


def test_models_mirror_the_migrated_schema(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    inspector = inspect(engine)
    tables = {
        name
        for name in inspector.get_table_names()
        if not any(name.startswith(fts) for fts in FTS_TABLES) and name != "schema_migrations"
    }
    assert tables == set(METADATA.tables)
    for name, table in METADATA.tables.items():
        columns = {column["name"]: column for column in inspector.get_columns(name)}
        assert set(columns) == {column.name for column in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable or column.primary_key, (
                f"{name}.{column.name}"
            )
        indexes = {index["name"] for index in inspector.get_indexes(name)}
        assert indexes == {index.name for index in table.indexes}, name
    engine.dispose()


def test_upgrade_from_an_older_schema_keeps_data_and_indexes_it(
    db_url: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    engine = open_engine(db_url)
    assert upgrade(engine) == ["0001_initial_schema"]
    engine.dispose()
    monkeypatch.undo()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO articles (url, source, title, body, fetched_at, content_hash,"
            " first_seen_at) VALUES ('http://x/1', 'cppcc', 'Grain output', 'Harvest in Henan',"
            " '2026-01-01T00:00:00+00:00', 'h', '2026-01-01T00:00:00+00:00')"
        )
        conn.execute("UPDATE articles SET published_at = '2026-01-01T08:00:00+08:00'")
        conn.execute(
            "INSERT INTO entities (key, kind, name) VALUES ('province:Henan', 'province', 'Henan')"
        )
        conn.execute(
            "INSERT INTO mentions (article_id, entity_id, count, focus) VALUES (1, 1, 1, 1)"
        )
    with pytest.raises(DatabaseError, match="run any write command"):
        Store.open(db_url, readonly=True)
    Store.open(db_url).close()
    assert applied(db_path) == [name for name, _ in MIGRATIONS]
    with sqlite3.connect(db_path) as conn:
        found = conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'henan'")
        assert found.fetchall() == [(1,)]
        mentions = conn.execute("SELECT entity_id, published_at FROM mentions").fetchall()
        assert mentions == [(1, "2026-01-01T08:00:00+08:00")]


def test_a_database_from_a_newer_release_is_refused_and_left_alone(
    db_url: str, db_path: Path
) -> None:
    Store.open(db_url).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES ('9999_from_the_future', '2030-01-01T00:00:00')"
        )
    before = digest(db_path)
    with pytest.raises(SchemaTooNew, match="newer cppcc-watch"):
        Store.open(db_url)
    with pytest.raises(SchemaTooNew):
        Store.open(db_url, readonly=True)
    engine = open_engine(db_url)
    with pytest.raises(SchemaTooNew):
        upgrade(engine)
    engine.dispose()
    assert digest(db_path) == before


@pytest.mark.parametrize("readonly", [False, True])
def test_a_file_that_is_not_sqlite_is_a_database_error(db_path: Path, readonly: bool) -> None:
    db_path.write_bytes(b"<html>not a database</html>\n" * 200)
    before = digest(db_path)
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        Store.open(f"sqlite:///{db_path}", readonly=readonly)
    assert digest(db_path) == before


def test_tables_not_made_by_cppcc_watch_are_refused(db_url: str, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, headline TEXT)")
    with pytest.raises(DatabaseError, match="tables not made by cppcc-watch"):
        Store.open(db_url)
    with sqlite3.connect(db_path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master")]
    assert tables == ["articles"]


def test_the_directory_of_a_new_database_is_created(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deeper" / "cppcc_watch.db"
    Store.open(f"sqlite:///{path}").close()
    assert path.is_file()
    assert applied(path) == [name for name, _ in MIGRATIONS]


def test_a_directory_that_cannot_be_created_is_a_database_error(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(DatabaseError, match=r"directory .*data.* cannot be created"):
        open_engine(f"sqlite:///{blocker / 'cppcc_watch.db'}")


def test_readonly_never_creates_a_missing_database(db_path: Path) -> None:
    with pytest.raises(DatabaseError, match="does not exist"):
        Store.open(f"sqlite:///{db_path}", readonly=True)
    assert not db_path.exists()


def test_sqlite_settings(db_url: str, db_path: Path) -> None:
    engine = open_engine(db_url)
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
    with sqlite3.connect(db_path) as conn:  # WAL is a property of the file, seen by any reader
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_readonly_engine_refuses_writes(db_url: str, db_path: Path) -> None:
    Store.open(db_url).close()
    before = digest(db_path)
    engine = open_engine(db_url, readonly=True)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM articles").scalar() == 0
        conn.exec_driver_sql("PRAGMA query_only = OFF")  # mode=ro holds even so
        with pytest.raises(DatabaseError, match="read-only"):
            conn.exec_driver_sql("CREATE TABLE scratch (x)")
    engine.dispose()
    assert digest(db_path) == before


def test_every_table_view_and_column_is_described(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    inspector = inspect(engine)
    names = [
        name
        for name in [*inspector.get_table_names(), *inspector.get_view_names()]
        if not name.startswith("articles_fts")
    ]
    described = {name: {column["name"] for column in inspector.get_columns(name)} for name in names}
    engine.dispose()
    assert set(described) == set(TABLES)
    for name, columns in described.items():
        assert set(TABLES[name][1]) == columns, name
        assert all(TABLES[name][1].values()) and TABLES[name][0], name
    meta = datasette_metadata("cppcc_watch")["databases"]["cppcc_watch"]
    assert meta["tables"]["articles"]["fts_table"] == "articles_fts"


def test_canned_queries_run(store: Store, db_path: Path) -> None:
    body = "Grain output rose in Henan."
    henan = Entity("province", "Henan", [Mention(21, 26, "Henan", body)], focus=True)
    grain = Entity("theme", "food_security", [Mention(0, 5, "Grain", body)])
    for n in range(2):
        store.upsert_article(
            Article(
                url=f"http://x/{n}",
                source="cppcc",
                title=f"Harvest {n}",
                published_at=f"2026-0{n + 1}-01T00:00:00+08:00",
                body=body,
                entities=Extraction(provinces=[henan], themes=[grain]),
            )
        )
    store.finish_run(store.start_run("cppcc"), status="ok", reason=None, counts={"new": 2})
    params = {
        "q": "grain",
        "name": "Henan",
        "kind": "province",
        "since": "2026-01-01",
        "until": "2027-01-01",
        "first": "Henan",
        "second": "food_security",
    }
    results = {}
    with sqlite3.connect(db_path) as conn:
        for name, query in QUERIES.items():
            results[name] = conn.execute(query["sql"], params).fetchall()
    assert all(results.values()), [name for name, found in results.items() if not found]
    assert results["monthly_trend"] == [("2026-01", 1), ("2026-02", 1)]
    assert results["top_entities"][0][:1] + results["top_entities"][0][3:] == ("Henan", 2, 2, 2)
    assert results["cooccurring"] == [("theme", "food_security", 2)]

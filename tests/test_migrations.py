"""Tests of the versioned schema (store.migrations) on both backends: a new database gets the
schema of `store/schema.py`, a database of release 0.1.0 upgrades in place with every row kept,
databases that are too new, half-upgraded or someone else's are refused, two processes upgrading
one database at once both succeed, and the triggers keep the summary and the search in sync."""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, cast, delete, func, insert, inspect, select, text, update

from cppcc_watch.errors import DatabaseError, SchemaTooNew
from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article
from cppcc_watch.store import Store, open_engine, pending_migrations, upgrade
from cppcc_watch.store.metadata import QUERIES, TABLES, datasette_metadata
from cppcc_watch.store.migrations import legacy
from cppcc_watch.store.schema import ARTICLES, ENTITIES, ENTITY_MONTHS, MENTIONS, METADATA

FIXTURE = Path(__file__).parent / "fixtures" / "databases" / "release-0.1.0.db"
HEAD = "0010_release_0_1"
#: Tables that are not in schema.py: the schema logs, and the full-text index (FTS5's shadow
#: tables on SQLite, a tsvector table on PostgreSQL), which the query layer reads by itself.
NOT_IN_SCHEMA = {"alembic_version", legacy.LOG_TABLE}


def digest(path: Path) -> str:
    """A fingerprint of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def in_schema(name: str) -> bool:
    """Whether a table of the database is one that schema.py describes."""
    return name not in NOT_IN_SCHEMA and not name.startswith("articles_fts")


def revision(engine: Engine) -> list[str]:
    """The rows of the database's Alembic version table."""
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT version_num FROM alembic_version")))


def table_names(url: str) -> set[str]:
    """The tables of a database (read through a fresh engine)."""
    engine = open_engine(url, readonly=True)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def file_contents(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a SQLite file, read with plain sqlite3 (rows sorted)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"'), key=repr) for name in names}


# -- a new database ------------------------------------------------------------------------------


def test_upgrade_builds_the_schema_from_an_empty_database(db_url: str) -> None:
    engine = open_engine(db_url)
    assert pending_migrations(engine) == [HEAD]
    assert upgrade(engine) == [HEAD]
    assert revision(engine) == [HEAD]
    assert pending_migrations(engine) == []
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(METADATA.tables) | {"articles_fts", "alembic_version"} <= tables


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        log = conn.execute(text("SELECT * FROM schema_migrations")).all()
    assert [row[0] for row in log] == [legacy.MOVED_TO_ALEMBIC]
    assert upgrade(engine) == []
    Store.open(db_url).close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM schema_migrations")).all() == log
    assert revision(engine) == [HEAD]
    engine.dispose()


def test_the_migrated_schema_is_the_one_schema_py_describes(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    inspector = inspect(engine)
    tables = {name for name in inspector.get_table_names() if in_schema(name)}
    assert tables == set(METADATA.tables)
    for name, table in METADATA.tables.items():
        columns = {column["name"]: column for column in inspector.get_columns(name)}
        assert list(columns) == [column.name for column in table.columns], name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable or column.primary_key, (
                f"{name}.{column.name}"
            )
        assert inspector.get_pk_constraint(name)["constrained_columns"] == [
            column.name for column in table.primary_key
        ], name
        indexes = {
            index["name"]: index["column_names"]
            for index in inspector.get_indexes(name)
            if "duplicates_constraint" not in index
        }
        assert indexes == {
            index.name: [column.name for column in index.columns] for index in table.indexes
        }, name
        foreign_keys = {
            (
                tuple(key["constrained_columns"]),
                key["referred_table"],
                tuple(key["referred_columns"]),
                key["options"].get("ondelete"),
            )
            for key in inspector.get_foreign_keys(name)
        }
        assert foreign_keys == {
            (
                tuple(column.name for column in key.columns),
                key.referred_table.name,
                tuple(element.column.name for element in key.elements),
                key.ondelete,
            )
            for key in table.foreign_key_constraints
        }, name
    assert set(inspector.get_view_names()) == {
        "article_entities",
        "entity_stats",
        "mention_evidence",
        "entity_monthly",
    }
    engine.dispose()


def test_a_readonly_open_of_a_database_without_schema_asks_for_a_write(db_url: str) -> None:
    open_engine(db_url).dispose()  # the SQLite file exists, empty
    with pytest.raises(DatabaseError, match=f"1 migrations to apply, up to {HEAD}.*write command"):
        Store.open(db_url, readonly=True)
    assert "alembic_version" not in table_names(db_url)


def test_the_directory_of_a_new_database_is_created(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deeper" / "cppcc_watch.db"
    Store.open(f"sqlite:///{path}").close()
    assert path.is_file()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


# -- a database of release 0.1.0 -----------------------------------------------------------------


@pytest.fixture
def release_0_1(tmp_path: Path) -> Path:
    """A copy of the database written by release 0.1.0."""
    path = tmp_path / "release-0.1.0.db"
    shutil.copyfile(FIXTURE, path)
    return path


def test_a_release_0_1_database_is_upgraded_in_place_with_every_row_kept(
    release_0_1: Path,
) -> None:
    before = file_contents(release_0_1)
    assert [name for (name, _) in before[legacy.LOG_TABLE]] == list(legacy.RELEASE_0_1)
    url = f"sqlite:///{release_0_1}"
    engine = open_engine(url)
    assert pending_migrations(engine) == []
    assert upgrade(engine) == []  # stamped, nothing rebuilt
    assert revision(engine) == [HEAD]
    assert upgrade(engine) == []
    engine.dispose()
    after = file_contents(release_0_1)
    log = after.pop(legacy.LOG_TABLE)
    assert [name for (name, _) in log] == [*legacy.RELEASE_0_1, legacy.MOVED_TO_ALEMBIC]
    assert set(log) > set(before.pop(legacy.LOG_TABLE))
    assert after.pop("alembic_version") == [(HEAD,)]
    assert after == before
    assert len(after["articles"]) == 3 and len(after["mentions"]) == 19

    with sqlite3.connect(release_0_1) as conn:
        found = conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'cppcc'")
        assert found.fetchall()
    engine = open_engine(url)
    summary, sums = summary_and_sums(engine)
    assert summary == sums and len(summary) == 19

    with Store.open(url) as store:  # and it takes new articles, its triggers at work
        store.upsert_article(henan_article("http://example.org/after-upgrade"))
    assert search(engine, "harvest") == [max(row[0] for row in after["articles"]) + 1]
    summary, sums = summary_and_sums(engine)
    assert summary == sums and len(summary) == 20
    engine.dispose()


def test_a_release_0_1_database_can_be_read_before_any_upgrade(release_0_1: Path) -> None:
    before = file_contents(release_0_1)
    with Store.open(f"sqlite:///{release_0_1}", readonly=True) as store:
        assert {run["spider"] for run in store.runs()} == {"cppcc", "chinadaily"}
    assert file_contents(release_0_1) == before


def test_a_half_upgraded_release_0_1_database_is_refused(release_0_1: Path) -> None:
    with sqlite3.connect(release_0_1) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE name = '0010_article_aliases'")
        conn.execute("DROP TABLE article_aliases")
    before = file_contents(release_0_1)
    with pytest.raises(DatabaseError, match=r"9 of the 10 .* with cppcc-watch 0\.1\.0 first") as e:
        Store.open(f"sqlite:///{release_0_1}")
    assert len(str(e.value).splitlines()) == 1
    assert file_contents(release_0_1) == before


def test_a_release_0_1_log_with_unknown_migrations_is_too_new(release_0_1: Path) -> None:
    with sqlite3.connect(release_0_1) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES ('0012_from_elsewhere', '2030-01-01')")
    before = file_contents(release_0_1)
    with pytest.raises(SchemaTooNew, match="'0012_from_elsewhere' is unknown"):
        Store.open(f"sqlite:///{release_0_1}")
    assert file_contents(release_0_1) == before


def test_a_release_0_1_database_on_postgresql_is_refused(pg_url: str) -> None:
    engine = open_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_migrations (name TEXT, applied_at TEXT)"))
        for name in legacy.RELEASE_0_1:
            conn.execute(text("INSERT INTO schema_migrations VALUES (:n, 'then')"), {"n": name})
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"0\.1\.0, which built no full-text search"):
        Store.open(pg_url)
    assert table_names(pg_url) == {legacy.LOG_TABLE}


# -- databases that are refused ------------------------------------------------------------------


def test_a_database_from_a_newer_release_is_refused_and_left_alone(
    db_url: str, db_path: Path
) -> None:
    Store.open(db_url).close()
    engine = open_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    sqlite = db_url.startswith("sqlite")
    before = digest(db_path) if sqlite else table_names(db_url)
    with pytest.raises(SchemaTooNew, match=r"newer cppcc-watch .*'0099_from_the_future'"):
        Store.open(db_url)
    with pytest.raises(SchemaTooNew):
        Store.open(db_url, readonly=True)
    engine = open_engine(db_url)
    with pytest.raises(SchemaTooNew):
        upgrade(engine)
    with pytest.raises(SchemaTooNew):
        pending_migrations(engine)
    assert revision(engine) == ["0099_from_the_future"]
    engine.dispose()
    assert (digest(db_path) if sqlite else table_names(db_url)) == before


def test_tables_not_made_by_cppcc_watch_are_refused(db_url: str) -> None:
    engine = open_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE articles (id INTEGER PRIMARY KEY, headline TEXT)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="tables not made by cppcc-watch"):
        Store.open(db_url)
    assert table_names(db_url) == {"articles"}


# -- processes upgrading together ----------------------------------------------------------------


def _upgrade_when_all_are_ready(url: str, ready: Any, results: Any) -> None:
    engine = open_engine(url)
    ready.wait()
    results.put(upgrade(engine))
    engine.dispose()


def test_two_processes_upgrading_one_new_database_at_once_both_succeed(db_url: str) -> None:
    open_engine(db_url).dispose()  # the SQLite file exists, in WAL mode, before they start
    context = multiprocessing.get_context("spawn")
    ready, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_upgrade_when_all_are_ready, args=(db_url, ready, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert sorted([results.get(timeout=5), results.get(timeout=5)]) == [[], [HEAD]]
    engine = open_engine(db_url)
    assert revision(engine) == [HEAD]
    engine.dispose()


# -- the triggers --------------------------------------------------------------------------------


def henan_article(url: str) -> Article:
    """An article about the harvest in Henan, with its entities."""
    body = "Grain output rose in Henan."
    return Article(
        url=url,
        source="cppcc",
        title="Harvest",
        published_at="2026-01-05T00:00:00+08:00",
        body=body,
        entities=Extraction(
            provinces=[Entity("province", "Henan", [Mention(21, 26, "Henan", body)], focus=True)]
        ),
    )


def summary_and_sums(engine: Engine) -> tuple[list[Any], list[Any]]:
    """`entity_months`, and what a GROUP BY over `mentions` says it should hold."""
    month = func.coalesce(func.substr(MENTIONS.c.published_at, 1, 7), "")
    source = func.coalesce(MENTIONS.c.source, "")
    focus = func.sum(cast(MENTIONS.c.focus, Integer))
    with engine.connect() as conn:
        summary = conn.execute(select(ENTITY_MONTHS).order_by(*ENTITY_MONTHS.primary_key)).all()
        sums = conn.execute(
            select(MENTIONS.c.entity_id, month, source, func.count(), func.sum(MENTIONS.c.count))
            .add_columns(focus)
            .group_by(MENTIONS.c.entity_id, month, source)
            .order_by(MENTIONS.c.entity_id, month, source)
        ).all()
    return [tuple(row) for row in summary], [tuple(row) for row in sums]


def search(engine: Engine, word: str) -> list[int]:
    """Ids of the articles whose title or body has `word`, through the full-text index."""
    if engine.dialect.name == "sqlite":
        query = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :word ORDER BY rowid"
    else:
        query = (
            "SELECT article_id FROM articles_fts"
            " WHERE document @@ to_tsquery('simple', :word) ORDER BY article_id"
        )
    with engine.connect() as conn:
        return list(conn.scalars(text(query), {"word": word}))


def test_triggers_keep_the_summary_and_the_search_in_sync(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    stamp = {"fetched_at": "2026-01-01", "content_hash": "h", "first_seen_at": "2026-01-01"}
    with engine.begin() as conn:
        conn.execute(
            insert(ENTITIES),
            [
                {"id": n, "key": f"province:{name}", "kind": "province", "name": name}
                for n, name in enumerate(("Henan", "Sichuan", "Xizang"), start=1)
            ],
        )
        conn.execute(
            insert(ARTICLES),
            [
                {"id": n, "url": f"u{n}", "source": source, "title": title, "body": body, **stamp}
                for n, source, title, body in (
                    (1, "cppcc", "Grain in Henan", None),
                    (2, "chinadaily", None, "Henan and Sichuan"),
                    (3, "cppcc", "Floods", "Rain"),
                )
            ],
        )
        conn.execute(
            insert(MENTIONS),
            [
                {
                    "article_id": a,
                    "entity_id": e,
                    "count": c,
                    "focus": f,
                    "published_at": p,
                    "source": s,
                }
                for a, e, c, f, p, s in (
                    (1, 1, 3, True, "2026-01-05T08:00:00+08:00", "cppcc"),
                    (2, 1, 1, False, "2026-01-20T08:00:00+08:00", "chinadaily"),
                    (2, 2, 2, True, "2026-01-20T08:00:00+08:00", "chinadaily"),
                    (3, 1, 1, False, None, "cppcc"),
                    (3, 3, 4, True, "2026-02-01T08:00:00+08:00", None),
                )
            ],
        )
    summary, sums = summary_and_sums(engine)
    assert summary == sums and len(summary) == 5
    assert search(engine, "henan") == [1, 2]

    changes = (
        update(MENTIONS).where(MENTIONS.c.article_id == 1).values(count=7, focus=False),
        update(MENTIONS).where(MENTIONS.c.article_id == 2).values(published_at="2026-03-01"),
        update(MENTIONS).where(MENTIONS.c.entity_id == 3).values(entity_id=2, source="cppcc"),
        delete(MENTIONS).where(MENTIONS.c.article_id == 3, MENTIONS.c.entity_id == 1),
        delete(ARTICLES).where(ARTICLES.c.id == 1),  # its mentions go too (ON DELETE CASCADE)
    )
    for change in changes:
        with engine.begin() as conn:
            conn.execute(change)
        summary, sums = summary_and_sums(engine)
        assert summary == sums, change
    assert len(summary) == 3

    with engine.begin() as conn:
        conn.execute(update(ARTICLES).where(ARTICLES.c.id == 3).values(title="Henan floods"))
        conn.execute(update(ARTICLES).where(ARTICLES.c.id == 2).values(body="Sichuan alone"))
    assert search(engine, "henan") == [3]
    assert search(engine, "sichuan") == [2]
    assert search(engine, "grain") == []
    with engine.connect() as conn:
        indexed = conn.scalar(select(func.count()).select_from(text("articles_fts")))
    assert indexed == 2
    engine.dispose()


# -- what the schema's descriptions cover --------------------------------------------------------


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


def test_canned_queries_run(sqlite_url: str, db_path: Path) -> None:
    body = "Grain output rose in Henan."
    henan = Entity("province", "Henan", [Mention(21, 26, "Henan", body)], focus=True)
    grain = Entity("theme", "food_security", [Mention(0, 5, "Grain", body)])
    with Store.open(sqlite_url) as store:
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

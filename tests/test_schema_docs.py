"""docs/schema.md cannot drift: its tables and views are generated from the column descriptions
of cppcc_watch.store.metadata; its tables, views, columns, types, indexes and triggers are the
migrated schema's on both databases, and every SQL example runs on a seeded database and returns
rows (an example whose first line is `-- SQLite` or `-- PostgreSQL` runs on that one only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, inspect, text

from cppcc_watch.store import Store, open_engine
from cppcc_watch.store.metadata import migrated_sqlite, with_schema_markdown
from cppcc_watch.store.schema import RUNS
from tests.test_query import seed

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DOC = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
SECTION_RE = re.compile(r"^### `(\w+)` \((table|view)\)\n(.*?)(?=^##)", re.M | re.S)
COLUMN_RE = re.compile(r"^\| `(\w+)` \| ([^|]+) \| ((?:[^|\\]|\\.)+) \|$", re.M)
EXAMPLES = re.findall(r"```sql\n(.*?)```", SCHEMA_DOC, re.S)
#: The documented (SQLite) type of a column, as PostgreSQL names it.
POSTGRESQL_TYPES = {"FLOAT": "DOUBLE PRECISION", "BLOB": "BYTEA"}
#: Objects of one database only: PostgreSQL's search index is a GIN index on a table, and a
#: deleted article's row leaves that table by ON DELETE CASCADE instead of a trigger.
ONLY_ON = {"sqlite": {"articles_fts_delete"}, "postgresql": {"ix_articles_fts_document"}}


def documented() -> dict[str, tuple[str, str]]:
    """Table or view name -> (its kind, its section text)."""
    return {name: (kind, body) for name, kind, body in SECTION_RE.findall(SCHEMA_DOC + "\n##")}


def for_backend(names: set[str], backend: str) -> set[str]:
    """The documented names that exist on `backend`."""
    elsewhere = set().union(*(only for other, only in ONLY_ON.items() if other != backend))
    return names - elsewhere


@pytest.fixture
def schema_db(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database holding the seeded test articles."""
    with Store.open(db_url) as store:
        seed(store)
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


def test_the_tables_and_views_are_generated_from_the_metadata() -> None:
    engine = migrated_sqlite()
    try:
        generated = with_schema_markdown(SCHEMA_DOC, engine)
    finally:
        engine.dispose()
    assert generated == SCHEMA_DOC, (
        "docs/schema.md is stale; regenerate it with "
        "python -m cppcc_watch.store.metadata --schema-doc docs/schema.md"
    )


def declared_types(engine: Engine, name: str) -> dict[str, str]:
    """Column -> its type as the database declares it (SQLite: as written in the DDL)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"PRAGMA table_info({name})").all()
        return {row[1]: row[2].upper() or "-" for row in rows}
    return {
        column["name"]: column["type"].compile(dialect=engine.dialect)
        for column in inspect(engine).get_columns(name)
    }


def test_every_table_and_view_is_documented_with_its_columns(schema_db: Engine) -> None:
    sections = documented()
    inspector = inspect(schema_db)
    objects = {
        **{name: "table" for name in inspector.get_table_names()},
        **{name: "view" for name in inspector.get_view_names()},
    }
    objects = {
        name: kind
        for name, kind in objects.items()
        if not name.startswith(("articles_fts", "sqlite_"))
    }
    assert {name: kind for name, (kind, _) in sections.items()} == objects
    sqlite = schema_db.dialect.name == "sqlite"
    for name, (kind, body) in sections.items():
        types = declared_types(schema_db, name)
        rows = COLUMN_RE.findall(body)
        assert sorted(column for column, _, _ in rows) == sorted(types), name
        for column, declared, description in rows:
            expected = declared.split(" (")[0]
            if sqlite:
                assert expected == types[column], f"{name}.{column}"
            elif expected != "-" and kind == "table":  # view columns: computed on PostgreSQL
                assert POSTGRESQL_TYPES.get(expected, expected) == types[column], f"{name}.{column}"
            assert description.strip(), f"{name}.{column} has no description"


def indexes_and_triggers(engine: Engine) -> tuple[set[str], set[str]]:
    """The names of the indexes (not those of keys and unique constraints) and triggers."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT type, name FROM sqlite_master WHERE type = 'trigger'"
                " OR (type = 'index' AND sql IS NOT NULL)"
            ).all()
        else:
            rows = conn.exec_driver_sql(
                "SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal"
                " UNION ALL SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public'"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ).all()
    return {name for kind, name in rows if kind == "index"}, {
        name for kind, name in rows if kind == "trigger"
    }


def test_every_index_and_trigger_is_documented_and_exists(schema_db: Engine) -> None:
    backend = schema_db.dialect.name
    indexes, triggers = indexes_and_triggers(schema_db)
    assert for_backend(set(re.findall(r"`(ix_\w+)`", SCHEMA_DOC)), backend) == indexes
    mentioned = set(re.findall(r"`(\w+_(?:insert|delete|update))`", SCHEMA_DOC))
    assert for_backend(mentioned, backend) == triggers


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_every_sql_example_runs_and_finds_rows(schema_db: Engine, example: str) -> None:
    only = re.match(r"-- (SQLite|PostgreSQL)\n", example)
    if only and only.group(1).lower() != schema_db.dialect.name:
        pytest.skip(f"an example for {only.group(1)}")
    with schema_db.begin() as conn:
        conn.execute(
            insert(RUNS).values(
                spider="cppcc",
                started_at="2026-01-01T00:00:00+00:00",
                status="failed",
                reason="no articles",
            )
        )
        rows = conn.execute(text(example)).all()
    assert rows, example
    assert len(EXAMPLES) >= 6

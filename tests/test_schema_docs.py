"""docs/schema.md cannot drift: its tables and views are generated from the column descriptions
of cppcc_watch.store.metadata, its tables, views, columns, types and indexes are the migrated
schema's, and every SQL example runs on a seeded database and returns rows."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from cppcc_watch.store import Store
from cppcc_watch.store.metadata import migrated_sqlite, with_schema_markdown
from tests.test_query import seed

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DOC = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
SECTION_RE = re.compile(r"^### `(\w+)` \((table|view)\)\n(.*?)(?=^##)", re.M | re.S)
COLUMN_RE = re.compile(r"^\| `(\w+)` \| ([^|]+) \| ((?:[^|\\]|\\.)+) \|$", re.M)
EXAMPLES = re.findall(r"```sql\n(.*?)```", SCHEMA_DOC, re.S)


def documented() -> dict[str, tuple[str, str]]:
    """Table or view name -> (its kind, its section text)."""
    return {name: (kind, body) for name, kind, body in SECTION_RE.findall(SCHEMA_DOC + "\n##")}


@pytest.fixture
def schema_db(db_path: Path, db_url: str) -> Path:
    """A migrated database file holding the seeded test articles."""
    with Store.open(db_url) as store:
        seed(store)
    return db_path


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


def test_every_table_and_view_is_documented_with_its_columns(schema_db: Path) -> None:
    sections = documented()
    with sqlite3.connect(schema_db) as conn:
        objects = {
            name: kind
            for name, kind in conn.execute(
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
                " AND name NOT LIKE 'articles_fts%' AND name NOT LIKE 'sqlite_%'"
            )
        }
        assert {name: kind for name, (kind, _) in sections.items()} == objects
        for name, (_, body) in sections.items():
            columns = {row[1]: row for row in conn.execute(f"PRAGMA table_info({name})")}
            rows = COLUMN_RE.findall(body)
            assert sorted(column for column, _, _ in rows) == sorted(columns), name
            for column, declared, description in rows:
                actual = columns[column][2].upper() or "-"
                assert declared.split(" (")[0] == actual, f"{name}.{column}"
                assert description.strip(), f"{name}.{column} has no description"


def test_every_index_is_documented_and_exists(schema_db: Path) -> None:
    with sqlite3.connect(schema_db) as conn:
        indexes = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
        triggers = {
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    mentioned = set(re.findall(r"`(ix_\w+)`", SCHEMA_DOC))
    assert mentioned == indexes
    assert set(re.findall(r"`(\w+_(?:insert|delete|update))`", SCHEMA_DOC)) == triggers


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_every_sql_example_runs_and_finds_rows(schema_db: Path, example: str) -> None:
    with sqlite3.connect(schema_db) as conn:
        conn.execute(
            "INSERT INTO crawl_runs (spider, started_at, status, reason)"
            " VALUES ('cppcc', '2026-01-01T00:00:00+00:00', 'failed', 'no articles')"
        )
        rows = conn.execute(example).fetchall()
    assert rows, example
    assert len(EXAMPLES) >= 6

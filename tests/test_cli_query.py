"""CLI tests of the analyst commands (articles, entities, trends, cooccur, sql) with CliRunner.

Each runs against the small seeded database of tests/test_query.py (on each backend) and parses
the output.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cppcc_watch.cli import cli
from cppcc_watch.store import Store
from tests.test_query import CAST, CPPCC, fingerprint, seed


@pytest.fixture
def seeded(db_url: str) -> str:
    """The URL of a database holding the seeded articles."""
    with Store.open(db_url) as store:
        seed(store)
    return db_url


def run(db_url: str, *args: str) -> Result:
    """Invoke `cppcc-watch --db URL ARGS...` in-process."""
    return CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)


def parsed(result: Result, fmt: str) -> list[dict[str, Any]]:
    """The records printed in `fmt` (csv values are text)."""
    assert result.exit_code == 0, result.output
    if fmt == "json":
        return json.loads(result.stdout)
    if fmt == "jsonl":
        return [json.loads(line) for line in result.stdout.splitlines()]
    return list(csv.DictReader(io.StringIO(result.stdout)))


FORMATS = ("json", "jsonl", "csv")


@pytest.mark.parametrize("fmt", FORMATS)
def test_articles_in_each_format(seeded: str, fmt: str) -> None:
    rows = parsed(run(seeded, "articles", "--org", "CAST", "--format", fmt), fmt)
    assert [row["title"] for row in rows] == [
        "Suzhou science park",
        "Grain harvest in Henan",
        "Ecology of Xizang plateau",
    ]
    assert list(rows[0]) == ["published_at", "source", "title", "url", "id"]


def test_articles_as_a_table(seeded: str) -> None:
    result = run(seeded, "articles", "--province", "Tibet", "--format", "table")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["published_at", "source", "title", "url", "id"]
    assert "Ecology of Xizang plateau" in lines[2]
    assert len(lines) == 3


def test_articles_filters_combine_and_dates_parse(seeded: str) -> None:
    rows = parsed(
        run(
            seeded,
            "articles",
            "--org",
            "cppcc",
            "--theme",
            "food security",
            "--since",
            "2023-12",
            "--until",
            "2024-02-20",
            "--format",
            "json",
        ),
        "json",
    )
    assert [row["title"] for row in rows] == ["Grain harvest in Henan", "Heilongjiang granary"]
    rows = parsed(
        run(seeded, "articles", "--city", "Xian", "--source", "cppcc", "--format", "jsonl"), "jsonl"
    )
    assert [row["title"] for row in rows] == ["Advisers survey Xi'an on climate change"]


def test_articles_search_shows_snippets(seeded: str) -> None:
    rows = parsed(
        run(seeded, "articles", "--search", "grain", "--limit", "2", "--format", "json"), "json"
    )
    assert len(rows) == 2
    assert all("[" in row["snippet"] for row in rows)
    assert "snippet" in rows[0]


def test_no_row_cap_on_machine_formats_but_a_page_for_tables(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cppcc_watch.cli.TABLE_ROWS", 3)
    with Store.open(db_url) as store:
        seed(store)
    assert len(parsed(run(db_url, "articles", "--format", "csv"), "csv")) == 6
    table = run(db_url, "articles", "--format", "table")
    assert len(table.stdout.splitlines()) == 2 + 3
    assert "first 3 rows" in table.stderr
    assert (
        len(run(db_url, "articles", "--format", "table", "--limit", "5").stdout.splitlines()) == 7
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_entities_in_each_format(seeded: str, fmt: str) -> None:
    rows = parsed(run(seeded, "entities", "--kind", "organization", "--format", fmt), fmt)
    assert [(row["name"], str(row["articles"]), str(row["mentions"])) for row in rows] == [
        (CPPCC, "3", "6"),
        (CAST, "3", "3"),
    ]


def test_entities_trends_and_cooccur_by_source(seeded: str) -> None:
    rows = parsed(run(seeded, "entities", "--source", "chinadaily", "--format", "csv"), "csv")
    assert list(rows[0]) == [
        "kind",
        "name",
        "acronym",
        "province",
        "articles",
        "mentions",
        "focus_articles",
    ]
    assert (rows[0]["name"], rows[0]["articles"]) == (CAST, "2")
    assert {row["name"] for row in rows} >= {"Xizang", "Suzhou", "Jiangsu"}
    assert CPPCC not in {row["name"] for row in rows}
    points = parsed(run(seeded, "trends", "CAST", "--source", "cppcc", "--format", "json"), "json")
    assert points == [{"period": "2024-02", "articles": 1}]
    weeks = run(
        seeded, "trends", "CAST", "--by", "week", "--source", "chinadaily", "--format", "json"
    )
    assert sum(row["articles"] for row in parsed(weeks, "json")) == 2
    found = parsed(run(seeded, "cooccur", "CAST", "--source", "cppcc", "--format", "json"), "json")
    assert {row["name"] for row in found} == {CPPCC, "Henan", "food_security"}
    assert all(row["share"] == 1.0 for row in found)


def test_entities_in_a_date_range_ranked_by_mentions(seeded: str) -> None:
    rows = parsed(
        run(
            seeded,
            "entities",
            "--since",
            "2024-02",
            "--until",
            "2024-02",
            "--by",
            "mentions",
            "--top",
            "2",
            "--format",
            "json",
        ),
        "json",
    )
    assert [(row["name"], row["mentions"]) for row in rows] == [("Xizang", 3), (CAST, 2)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_trends_in_each_format(seeded: str, fmt: str) -> None:
    rows = parsed(run(seeded, "trends", "food security", "--format", fmt), fmt)
    assert [(row["period"], str(row["articles"])) for row in rows] == [
        ("2023-12", "1"),
        ("2024-01", "0"),
        ("2024-02", "1"),
    ]


def test_trends_by_week(seeded: str) -> None:
    rows = parsed(
        run(
            seeded,
            "trends",
            "CAST",
            "--by",
            "week",
            "--since",
            "2024-02",
            "--until",
            "2024-02",
            "--format",
            "json",
        ),
        "json",
    )
    assert rows[0] == {"period": "2024-01-29", "articles": 1}
    assert [row["period"] for row in rows][-1] == "2024-02-26"
    assert sum(row["articles"] for row in rows) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_cooccur_in_each_format(seeded: str, fmt: str) -> None:
    rows = parsed(
        run(seeded, "cooccur", "food security", "--kind", "organization", "--format", fmt), fmt
    )
    assert [(row["name"], str(row["articles"])) for row in rows] == [(CPPCC, "2"), (CAST, "1")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_sql_in_each_format(seeded: str, fmt: str) -> None:
    rows = parsed(
        run(
            seeded,
            "sql",
            "SELECT kind, count(*) AS n FROM entities WHERE kind = :k GROUP BY kind",
            "-p",
            "k",
            "theme",
            "--format",
            fmt,
        ),
        fmt,
    )
    assert [(row["kind"], str(row["n"])) for row in rows] == [("theme", "4")]


def test_sql_refuses_a_write_and_leaves_the_database_alone(seeded: str) -> None:
    before = fingerprint(seeded)
    result = run(seeded, "sql", "DELETE FROM articles")
    assert result.exit_code == 2
    assert "read-only" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fingerprint(seeded) == before
    assert parsed(
        run(seeded, "sql", "SELECT count(*) AS n FROM articles", "--format", "json"), "json"
    ) == [{"n": 6}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["articles", "--province", "Sichaun"], "did you mean: Sichuan"),
        (["articles", "--org", "CASTT"], "CAST"),
        (["trends", "foood security"], "food_security"),
        (["cooccur", "Xizhang"], "Xizang"),
        (["articles", "--since", "2024-13"], "bad date"),
        (["articles", "--since", "2025", "--until", "2024"], "after"),
        (["articles", "--city", "Suzhou"], "Suzhou, Jiangsu"),
        (["sql", "SELECT * FROM nowhere"], "nowhere"),
        (["articles", "--search", '"unclosed'], "bad search"),
        (["entities", "--source", "xinhua"], "unknown source 'xinhua'"),
        (["trends", "CAST", "--source", "xinhua"], "cppcc, chinadaily"),
        (["cooccur", "CAST", "--source", "xinhua"], "unknown source"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(seeded: str, args: list[str], message: str) -> None:
    result = run(seeded, *args, "--format", "json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "fmt", "expected"),
    [
        (["articles", "--province", "Sichuan"], "json", "[]\n"),
        (["articles", "--since", "2030"], "jsonl", ""),
        (["entities", "--since", "2030"], "table", "(no rows)\n"),
        (["trends", "Sichuan"], "json", "[]\n"),
        (["cooccur", "Yunnan"], "jsonl", ""),
        (["sql", "SELECT 1 AS x WHERE 1 = 0"], "json", "[]\n"),
    ],
)
def test_empty_results(seeded: str, args: list[str], fmt: str, expected: str) -> None:
    result = run(seeded, *args, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run(f"sqlite:///{tmp_path / 'none.db'}", "articles")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "none.db").exists()

"""The command line through click's runner: output, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cppcc_watch.cli import cli
from cppcc_watch.items import Article, RawPage
from cppcc_watch.store import Store
from tests.database import rows

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cppcc-watch: ")
    return lines[0]


@pytest.mark.parametrize("case", ["cppcc/article-plain", "chinadaily/article-byline"])
def test_parse_prints_the_article_of_a_saved_page(case: str) -> None:
    folder = FIXTURES / case
    url = (folder / "url.txt").read_text().strip()
    result = run("parse", str(folder / "page.html"), "--url", url)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    expected = json.loads((folder / "expected.json").read_text())
    for field in ("url", "title", "published_at", "outlet", "body", "author"):
        assert data[field] == expected[field]


def test_parse_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    page = FIXTURES / "cppcc/article-plain/page.html"
    result = run("parse", str(page), "--url", "http://example.com/2024-01/01/c_1.htm")
    assert result.exit_code == 2
    assert "not an article URL" in one_error_line(result)
    result = run(
        "parse",
        str(tmp_path / "missing.html"),
        "--url",
        "http://en.cppcc.gov.cn/2024-01/01/c_1.htm",
    )
    assert result.exit_code == 2
    assert "no such file" in one_error_line(result)
    result = run("parse", str(page))
    assert result.exit_code == 2
    assert "--url" in one_error_line(result)


def test_parse_of_a_page_without_body_exits_1(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"\x00\xff binary junk")
    result = run("parse", str(empty), "--url", "http://en.cppcc.gov.cn/2024-01/01/c_1.htm")
    assert result.exit_code == 1
    assert "a crawl would reject it" in one_error_line(result)


def test_unknown_command_and_option_are_one_line() -> None:
    result = run("nosuchcommand")
    assert result.exit_code == 2
    one_error_line(result)
    result = run("runs", "--limit", "zero")
    assert result.exit_code == 2
    one_error_line(result)


def test_crawl_refuses_unknown_spider_and_bad_settings(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = run("--db", db, "crawl", "nosuchspider")
    assert result.exit_code == 2
    assert "unknown spider 'nosuchspider'" in one_error_line(result)
    result = run("--db", db, "crawl", "-s", "NOEQUALSIGN")
    assert result.exit_code == 2
    assert "NAME=VALUE" in one_error_line(result)


def test_a_database_whose_directory_cannot_be_made_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("--db", f"sqlite:///{blocker}/sub/db.sqlite", "crawl")
    assert result.exit_code == 2
    one_error_line(result)


def seed(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        store.upsert_article(
            Article(
                url="http://en.cppcc.gov.cn/2024-03/03/c_1.htm",
                source="cppcc",
                title="T",
                body="Advisors met in Chengdu, Sichuan province.",
                pages=[RawPage("http://en.cppcc.gov.cn/2024-03/03/c_1.htm", "<p>x</p>")],
            )
        )
        run_id = store.start_run("cppcc")
        store.finish_run(
            run_id,
            status="ok",
            reason=None,
            counts={
                "listing_pages": 2,
                "article_pages": 1,
                "new": 1,
                "updated": 0,
                "unchanged": 0,
                "rejected": 0,
                "failed_requests": 0,
            },
        )
        failed = store.start_run("chinadaily")
        store.finish_run(
            failed,
            status="failed",
            reason="could not fetch any listing page",
            counts={
                "listing_pages": 0,
                "article_pages": 0,
                "new": 0,
                "updated": 0,
                "unchanged": 0,
                "rejected": 0,
                "failed_requests": 6,
            },
        )
    finally:
        store.close()


def test_runs_prints_the_crawl_log_in_every_format(db_url: str) -> None:
    seed(db_url)
    result = run("--db", db_url, "runs", "--format", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["spider"] for r in records] == ["chinadaily", "cppcc"]
    assert records[0]["status"] == "failed" and records[0]["failed_requests"] == 6
    assert records[1]["new"] == 1 and records[1]["listing_pages"] == 2
    assert records[1]["retries"] == 0
    result = run("--db", db_url, "runs", "--spider", "cppcc", "--format", "csv")
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("id,spider,started_at") and len(lines) == 2
    result = run("--db", db_url, "runs", "--format", "table")
    assert "could not fetch any listing page" in result.stdout
    result = run("--db", db_url, "runs", "--format", "jsonl", "--limit", "1")
    assert len(result.stdout.strip().splitlines()) == 1


def test_runs_on_a_missing_database_is_one_line(tmp_path: Path) -> None:
    result = run("--db", f"sqlite:///{tmp_path / 'none.db'}", "runs")
    assert result.exit_code == 2
    one_error_line(result)
    assert not (tmp_path / "none.db").exists()


def test_extract_reads_stdin_and_prints_the_contract_keys() -> None:
    text = "CPPCC members visited Chengdu, Sichuan province, and met CAST officials."
    result = run("extract", "-", input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"provinces", "cities", "organizations", "themes"}
    assert [p["name"] for p in data["provinces"]] == ["Sichuan"]
    assert data["cities"][0]["name"] == "Chengdu" and data["cities"][0]["province"] == "Sichuan"


def test_extract_shows_organization_type_and_place_and_theme_evidence() -> None:
    text = (
        "Members of the Chengdu Municipal Committee of the CPPCC and the Ministry of Education "
        "surveyed rural schools, and suggested more support for vocational education."
    )
    data = json.loads(run("extract", "-", input=text).stdout)
    organizations = {o["name"]: o for o in data["organizations"]}
    local = organizations["Chengdu Municipal Committee of the Chinese People's Political "
                          "Consultative Conference"]  # fmt: skip
    assert (local["type"], local["province"], local["city"]) == ("advisory", "Sichuan", "Chengdu")
    ministry = organizations["Ministry of Education"]
    assert (ministry["type"], ministry["province"], ministry["city"]) == ("government", None, None)
    themes = {t["name"]: t for t in data["themes"]}
    assert themes["education_talent"]["score"] > 0
    assert "vocational education" in themes["education_talent"]["cues"]
    assert data["cities"] == []  # Chengdu is only inside the committee's name


def test_extract_survives_binary_and_empty_input() -> None:
    result = run("extract", "-", input=b"\x00\xff\xfe garbage \x80")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["provinces"] == []
    result = run("extract", "-", input="")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "provinces": [],
        "cities": [],
        "organizations": [],
        "themes": [],
    }


def test_reprocess_refreshes_stored_entities(db_url: str) -> None:
    seed(db_url)
    result = run("--db", db_url, "reprocess")
    assert result.exit_code == 0, result.output
    assert "reprocessed 1 articles" in result.stdout
    found = rows(db_url, "SELECT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id")
    assert {"Sichuan", "Chengdu"} <= {row[0] for row in found}


def test_a_closed_pipe_is_not_an_error(db_url: str) -> None:
    import subprocess
    import sys

    store = Store.open(db_url)
    for _ in range(600):  # ~180 KB of output: more than a pipe buffer holds
        run_id = store.start_run("cppcc")
        store.finish_run(run_id, status="ok", reason=None, counts={"new": 0})
    store.close()
    command = f"{sys.executable} -m cppcc_watch --db {db_url} runs --limit 600 --format jsonl"
    shell = f"{command} | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True)
    assert len(result.stdout.splitlines()) == 1
    assert "error" not in result.stderr.lower()

"""The crawl's parts and how they find each other: the typed config read from the settings, the
store the crawls of one process share, and bad settings refused with one line."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cppcc_watch.cli import cli
from cppcc_watch.config import CrawlConfig, setting_name
from cppcc_watch.crawl import project_settings
from cppcc_watch.errors import BadInput, DatabaseError
from cppcc_watch.settings import DEFAULT_SECTIONS, SETTINGS
from cppcc_watch.store import UpsertResult
from spiders.storage import StoreExtension
from tests.database import rows
from tests.test_end_to_end import ROOT
from tests.test_store import make_article

CPPCC_NEWS = "http://en.cppcc.gov.cn/news.html"


def config_of(db_url: str, **overrides: object) -> CrawlConfig:
    return CrawlConfig.from_settings(project_settings(db_url, dict(overrides)))


def test_the_config_has_a_field_for_every_setting_of_the_registry() -> None:
    fields = {setting_name(field.name) for field in dataclasses.fields(CrawlConfig)}
    assert fields == {setting.name for setting in SETTINGS}


def test_the_config_reads_command_line_text_as_typed_values(sqlite_url: str) -> None:
    config = config_of(
        sqlite_url,
        CPPCC_WATCH_MAX_ARTICLES="5",
        CPPCC_WATCH_RECHECK_DAYS="2.5",
        CPPCC_WATCH_EXTRACT="False",
        CPPCC_WATCH_MIRROR="http://127.0.0.1:8000/",
        CPPCC_WATCH_SECTIONS=json.dumps({"cppcc": [CPPCC_NEWS]}),
    )
    assert (config.db, config.max_articles, config.recheck_days) == (sqlite_url, 5, 2.5)
    assert config.extract is False and config.mirror == "http://127.0.0.1:8000"
    assert config.start_pages("cppcc") == (CPPCC_NEWS,)
    assert config.start_pages("chinadaily") == tuple(DEFAULT_SECTIONS["chinadaily"])  # kept
    assert config.start_pages("nosuchspider") == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_articles = 7  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("CPPCC_WATCH_SECTIONS", "notjson", "a JSON object of spider name -> list of URLs"),
        ("CPPCC_WATCH_SECTIONS", '["http://x"]', "a JSON object"),
        ("CPPCC_WATCH_SECTIONS", '{"cppcc": "http://x"}', "a JSON object"),
        ("CPPCC_WATCH_SECTIONS", '{"cppcc": ["news.html"]}', "a JSON object"),
        ("CPPCC_WATCH_MAX_ARTICLES", "ten", "a whole number >= 0"),
        ("CPPCC_WATCH_MAX_LISTING_PAGES", "-1", "a whole number >= 0"),
        ("CPPCC_WATCH_RECHECK_DAYS", "soon", "a number >= 0"),
        ("CPPCC_WATCH_COMMIT_SECONDS", "nan", "a number >= 0"),
        ("CPPCC_WATCH_MIN_FIELD_SHARE", "1.5", "a share between 0 and 1"),
        ("CPPCC_WATCH_EXTRACT", "maybe", "True or False"),
        ("CPPCC_WATCH_DB", " ", "a non-empty text"),
    ],
)
def test_a_bad_setting_is_named_with_what_it_expects(
    sqlite_url: str, name: str, value: str, words: str
) -> None:
    with pytest.raises(BadInput) as raised:
        config_of(sqlite_url, **{name: value})
    message = str(raised.value)
    assert message.startswith(f"setting {name} expects ")
    assert words in message and repr(value) in message
    assert "\n" not in message


def test_a_bad_setting_stops_the_crawl_with_one_line_before_the_database_is_made(
    sqlite_url: str, db_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["--db", sqlite_url, "crawl", "-s", "CPPCC_WATCH_SECTIONS=notjson"]
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cppcc-watch: setting CPPCC_WATCH_SECTIONS ")
    assert not db_path.exists()


def test_scrapy_crawl_calls_a_bad_setting_a_usage_error(sqlite_url: str) -> None:
    argv = [sys.executable, "-m", "scrapy", "crawl", "cppcc", "-s", f"CPPCC_WATCH_DB={sqlite_url}"]
    argv += ["-s", "CPPCC_WATCH_MAX_ARTICLES=ten"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "setting CPPCC_WATCH_MAX_ARTICLES expects a whole number >= 0" in result.stderr
    assert "Traceback" not in result.stderr


def committed_urls(db_url: str) -> set[str]:
    """The article URLs another connection (another process, an analyst) sees."""
    return {row[0] for row in rows(db_url, "SELECT url FROM articles")}


def test_the_crawls_of_one_process_share_one_store_and_the_last_closes_it(db_url: str) -> None:
    config = config_of(db_url, CPPCC_WATCH_COMMIT_SECONDS=0)
    first, second = StoreExtension(config), StoreExtension(config)
    stored: list[UpsertResult] = []
    lost: list[Exception] = []
    first.upsert(make_article(1), stored.append, lost.append)
    assert first.store is second.store  # one connection: the other crawl sees the open batch
    assert set(second.store.known_articles([make_article(1).url])) == {make_article(1).url}
    assert committed_urls(db_url) == set()
    first.close()  # the first spider closes: its batch is committed, the database stays open
    assert committed_urls(db_url) == {make_article(1).url}
    second.upsert(make_article(2), stored.append, lost.append)
    store = second.store
    second.close()  # the last one: committed and closed
    assert committed_urls(db_url) == {make_article(1).url, make_article(2).url}
    assert [r.status for r in stored] == ["new", "new"] and lost == []
    with pytest.raises(DatabaseError, match="closed"):
        store.known_articles(["http://x/1"])
    with pytest.raises(RuntimeError, match="closed"):
        second.upsert(make_article(3), stored.append, lost.append)
    again = StoreExtension(config)  # a later crawl in the same process opens it anew
    assert again.store is not store
    again.close()

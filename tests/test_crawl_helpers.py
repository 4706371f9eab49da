"""Pure helpers of the crawl layer: listing page numbers, section names, mirror URLs, output."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cppcc_watch.output import write_records
from spiders.base import listing_page_number, section_name
from spiders.mirror import mirrored_url


@pytest.mark.parametrize(
    ("url", "number"),
    [
        ("http://en.cppcc.gov.cn/news.html", 1),
        ("http://en.cppcc.gov.cn/news_9.html", 9),
        ("https://regional.chinadaily.com.cn/cppcc/surveys_23.html", 23),
        ("https://www.chinadaily.com.cn/china/society/page_1.html", 1),
        ("https://www.chinadaily.com.cn/china/society/page_12.html", 12),
    ],
)
def test_listing_page_number(url: str, number: int) -> None:
    assert listing_page_number(url) == number


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://en.cppcc.gov.cn/news.html", "news"),
        ("http://en.cppcc.gov.cn/internationalexchanges_3.html", "internationalexchanges"),
        ("https://regional.chinadaily.com.cn/cppcc/surveys.html", "surveys"),
        (
            "https://www.chinadaily.com.cn/china/governmentandpolicy/page_1.html",
            "governmentandpolicy",
        ),
    ],
)
def test_section_name(url: str, name: str) -> None:
    assert section_name(url) == name


def test_mirrored_url_keeps_path_query_and_host() -> None:
    target, host = mirrored_url(
        "https://regional.chinadaily.com.cn/cppcc/2023-03/14/c_868898.htm?x=1#frag",
        "http://127.0.0.1:8123",
    )
    assert target == "http://127.0.0.1:8123/cppcc/2023-03/14/c_868898.htm?x=1"
    assert host == "regional.chinadaily.com.cn"


ROWS = [
    {"id": 1, "name": "Sichuan", "tags": ["a"]},
    {"id": 2, "name": "Xi'an, Shaanxi", "tags": []},
]


def test_output_json_is_one_array() -> None:
    out = io.StringIO()
    assert write_records(ROWS, "json", out) == 2
    assert json.loads(out.getvalue()) == ROWS


def test_output_jsonl_csv_and_table() -> None:
    out = io.StringIO()
    write_records(ROWS, "jsonl", out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == ROWS
    out = io.StringIO()
    write_records(ROWS, "csv", out)
    assert list(csv.reader(io.StringIO(out.getvalue())))[2] == ["2", "Xi'an, Shaanxi", "[]"]
    out = io.StringIO()
    write_records(ROWS, "table", out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["id", "name", "tags"]
    assert "Xi'an, Shaanxi" in lines[3]


def test_output_empty() -> None:
    out = io.StringIO()
    assert write_records([], "json", out) == 0
    assert json.loads(out.getvalue()) == []

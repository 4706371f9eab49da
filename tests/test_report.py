"""The HTML report: built from a seeded database (on each backend), checked as data, as HTML and
in Chromium.

The seeded articles go through the real extractor and the real store; expected figures are
recounted from the database with plain SQL, not taken from the report code.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cppcc_watch.cli import cli
from cppcc_watch.extract.facade import extract_entities
from cppcc_watch.items import Article
from cppcc_watch.query import Query
from cppcc_watch.report import gather, render, write_report
from cppcc_watch.store import Store
from tests.browser import needs_chromium, open_page, output_dir
from tests.conftest import BACKENDS
from tests.test_query import plain

PLACES = [
    ("Xi'an", "Shaanxi"),
    ("Chengdu", "Sichuan"),
    ("Lhasa", "Xizang"),
    ("Zhengzhou", "Henan"),
    ("Harbin", "Heilongjiang"),
    ("Suzhou", "Jiangsu"),
    ("Guangzhou", "Guangdong"),
    ("Kunming", "Yunnan"),
]
ORGANIZATIONS = [
    "the China Association for Science and Technology (CAST)",
    "the Chinese Academy of Sciences",
    "the Ministry of Ecology and Environment",
    "the National Development and Reform Commission",
]
THEMES = [
    "food security and grain production",
    "climate change and carbon emissions",
    "rural revitalization in the countryside",
    "scientific and technological innovation",
    "ecological protection of rivers and wetlands",
]
MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)][:18]


def _article(number: int, rng: random.Random) -> Article:
    city, province = rng.choice(PLACES)
    other_city, other_province = rng.choice(PLACES)
    org = rng.choice(ORGANIZATIONS)
    theme = rng.choice(THEMES)
    month = MONTHS[number % len(MONTHS)]
    title = f"CPPCC members survey {city} on {theme.split(' and ')[0]}"
    body = "\n".join(
        [
            f"Members of the Chinese People's Political Consultative Conference (CPPCC) visited "
            f"{city}, {province} province, to study {theme}.",
            f"Experts from {org} joined the trip, which also reached {other_city} in "
            f"{other_province}.",
            f"They said {theme} matters for {province}.",
        ]
    )
    return Article(
        url=f"http://en.cppcc.gov.cn/{month}/{number:04d}.htm",
        source="cppcc" if number % 3 else "chinadaily",
        section="news",
        title=title,
        published_at=f"{month}-{1 + number % 27:02d}T09:{number % 60:02d}:00+08:00",
        body=body,
        entities=extract_entities(body, title),
    )


def seed(store: Store, articles: int = 90) -> None:
    """Store `articles` generated articles (real extraction) and a few crawl runs."""
    rng = random.Random(6)
    for number in range(articles):
        store.upsert_article(_article(number, rng))
    for spider, status, reason, new in [
        ("cppcc", "ok", None, 40),
        ("chinadaily", "ok", None, 20),
        ("cppcc", "failed", "every request failed: DNS lookup failed", 0),
        ("chinadaily", "ok", None, 10),
        ("cppcc", "ok", None, 20),
    ]:
        run = store.start_run(spider)
        counts = {"new": new, "article_pages": new, "failed_requests": 3 * (status == "failed")}
        store.finish_run(run, status=status, reason=reason, counts=counts)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database holding the generated articles (shared by this module's tests),
    on each backend in turn."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'seeded.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database(f"report_{os.getpid()}")
    with Store.open(url) as store:
        seed(store)
    return url


@pytest.fixture
def empty(db_url: str) -> str:
    """The URL of a database with the schema and no articles."""
    Store.open(db_url).close()
    return db_url


def sql(url: str, statement: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of a plain SQL query (a `?` for each parameter), independent of the code under test."""
    numbers = iter(range(len(params)))
    named = re.sub(r"\?", lambda _: f":p{next(numbers)}", statement)
    return plain(url, named, **{f"p{number}": value for number, value in enumerate(params)})


def run(url: str, *args: str) -> Result:
    """Invoke `cppcc-watch --db URL ARGS...` in-process."""
    return CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)


@pytest.fixture
def query(seeded: str) -> Iterator[Query]:
    with Query.open(seeded) as q:
        yield q


# -- what the report shows -----------------------------------------------------------------------


def test_counts_agree_with_the_database(query: Query, seeded: str) -> None:
    data = gather(query)
    assert data.articles == data.stored_articles == 90
    by_source = dict(sql(seeded, "SELECT source, count(*) FROM articles GROUP BY source"))
    assert {t.source: t.articles for t in data.totals} == by_source
    rows = sql(
        seeded,
        "SELECT e.name, count(*), sum(CASE WHEN m.focus THEN 1 ELSE 0 END) FROM mentions m"
        " JOIN entities e ON e.id = m.entity_id WHERE e.kind = 'province' GROUP BY e.name",
    )
    expected = {name: articles for name, articles, _ in rows}
    focus = {name: focused for name, _, focused in rows}
    assert {p.name: p.articles for p in data.provinces} == expected
    assert {p.name: p.focus_articles for p in data.provinces} == focus
    assert 0 < sum(focus.values()) < sum(expected.values())


def test_cooccurrence_cells_count_articles_naming_both(query: Query, seeded: str) -> None:
    shared = gather(query).cooccurrence
    assert shared is not None and shared.rows and shared.columns
    for i, org in enumerate(shared.rows):
        for j, province in enumerate(shared.columns):
            [(both,)] = sql(
                seeded,
                "SELECT count(*) FROM mentions o JOIN mentions p ON p.article_id = o.article_id"
                " WHERE o.entity_id = ? AND p.entity_id = ?",
                org.id,
                province.id,
            )
            assert shared.counts[i][j] == both
            assert shared.share(i, j) == both / org.articles
    assert sum(map(sum, shared.counts)) > 0


def test_shared_articles_follow_dates_and_source(query: Query, seeded: str) -> None:
    [(org, province)] = sql(
        seeded,
        "SELECT o.entity_id, p.entity_id FROM mentions o JOIN mentions p USING (article_id)"
        " JOIN entities eo ON eo.id = o.entity_id JOIN entities ep ON ep.id = p.entity_id"
        " WHERE eo.kind = 'organization' AND ep.kind = 'province'"
        " GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1",
    )
    [(expected,)] = sql(
        seeded,
        "SELECT count(*) FROM mentions o JOIN mentions p USING (article_id)"
        " JOIN articles a ON a.id = o.article_id WHERE o.entity_id = ? AND p.entity_id = ?"
        " AND a.source = 'cppcc' AND a.published_at >= '2024-04-01'"
        " AND a.published_at < '2025-01-01'",
        org,
        province,
    )
    narrowed = query.shared_articles(
        [org], [province], since="2024-04", until="2024", source="cppcc"
    )
    assert narrowed == [[expected]]
    assert 0 < expected < query.shared_articles([org], [province])[0][0]


def test_themes_over_time_are_monthly_and_ranked(query: Query, seeded: str) -> None:
    data = gather(query)
    totals = [series.articles for series in data.themes]
    assert totals == sorted(totals, reverse=True) and len(totals) >= 4
    top = data.themes[0]
    expected = dict(
        sql(
            seeded,
            "SELECT substr(m.published_at, 1, 7), count(*) FROM mentions m"
            " JOIN entities e ON e.id = m.entity_id WHERE e.kind = 'theme' AND e.name = ?"
            " GROUP BY 1",
            top.theme,
        )
    )
    assert {p.period: p.articles for p in top.points if p.articles} == expected


def test_latest_articles_are_newest_first_with_their_entities(query: Query) -> None:
    data = gather(query)
    dates = [article.published_at for article, _ in data.latest]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    _, entities = data.latest[0]
    kinds = {entity.kind for entity in entities}
    assert {"province", "city", "organization", "theme"} <= kinds
    assert any(e.focus for e in entities if e.kind == "province")


def test_source_and_dates_narrow_every_part(query: Query, seeded: str) -> None:
    data = gather(query, source="chinadaily", since="2024-03", until="2024-08")
    [(expected,)] = sql(
        seeded,
        "SELECT count(*) FROM articles WHERE source = 'chinadaily'"
        " AND published_at >= '2024-03-01' AND published_at < '2024-09-01'",
    )
    assert data.articles == expected > 0
    assert [t.source for t in data.totals] == ["chinadaily"]
    assert {run["spider"] for run in data.runs} == {"chinadaily"}
    assert all(a.source == "chinadaily" for a, _ in data.latest)
    assert all("2024-03" <= (a.published_at or "")[:7] <= "2024-08" for a, _ in data.latest)
    for series in data.themes:
        assert all("2024-03" <= p.period <= "2024-08" for p in series.points)
    assert sum(p.articles for p in data.provinces) <= sum(
        p.articles for p in gather(query).provinces
    )


# -- the page --------------------------------------------------------------------------------------


def test_the_cli_writes_a_self_contained_page(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "report.html"
    result = run(seeded, "report", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "90 articles in scope" in result.stderr
    page = out.read_text(encoding="utf-8")
    for section in ("themes", "provinces", "cities", "organizations", "cooccurrence", "crawls"):
        assert f'id="chart-{section}"' in page
    # Nothing is fetched: no external scripts, styles, frames or images.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "Plotly.newPlot" in page and len(page) > 1_000_000
    assert 'href="http://en.cppcc.gov.cn/' in page  # the latest articles link to their source
    # The figures behind the charts are in the page too, to read without hovering.
    assert re.search(r"<td>Shaanxi</td><td>\d+</td><td>\d+</td>", page)


def test_text_from_the_database_is_escaped(db_url: str) -> None:
    with Store.open(db_url) as store:
        store.upsert_article(
            Article(
                url="http://en.cppcc.gov.cn/x.htm",
                source="cppcc",
                title="<script>alert(1)</script> in Shaanxi",
                published_at="2024-05-01T10:00:00+08:00",
                body="Shaanxi </script> news",
                entities=extract_entities("Shaanxi </script> news", "Shaanxi"),
            )
        )
    with Query.open(db_url) as q:
        page = render(gather(q))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_empty_database_says_there_is_nothing_yet(empty: str, tmp_path: Path) -> None:
    out = tmp_path / "empty.html"
    result = run(empty, "report", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert 'id="nothing-yet"' in page and "Nothing yet" in page
    assert "Plotly" not in page and len(page) < 20_000
    assert "No crawl runs recorded yet." in page


def test_a_scope_without_articles_says_so(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "later.html"
    assert run(seeded, "report", "--out", str(out), "--since", "2030").exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert "No articles in this scope" in page and "90 in all" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2024-13"], "bad date '2024-13'"),
        (["--since", "2025", "--until", "2024"], "is after"),
        (["--source", "cpcc"], "unknown source 'cpcc': use one of cppcc, chinadaily"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    seeded: str, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "r.html"
    result = run(seeded, "report", "--out", str(out), *args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_an_unwritable_destination_is_one_line_and_keeps_the_old_file(
    seeded: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run(seeded, "report", "--out", str(blocker / "r.html"))
    assert result.exit_code == 2
    assert "cannot write the report" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "not a folder"


def test_a_failed_report_leaves_the_previous_one(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    with Query.open(seeded) as q:
        write_report(q, out)
    before = out.read_bytes()
    assert run(seeded, "report", "--out", str(out), "--since", "nope").exit_code == 2
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# -- in a browser ----------------------------------------------------------------------------------

# What each chart draws, as CSS selectors of Plotly's SVG marks.
MARKS = {
    "chart-themes": ".scatterlayer .trace path.js-line",
    "chart-provinces": "path.choroplethlocation",
    "focus-dots": "#chart-provinces .scattergeo path.point",
    "chart-cities": ".barlayer .point path",
    "chart-organizations": ".barlayer .point path",
    "chart-cooccurrence": ".heatmaplayer image",
    "chart-crawls": ".barlayer .point path",
}
COUNT_MARKS = """(marks) => Object.fromEntries(Object.entries(marks).map(([id, selector]) =>
    [id, id.startsWith("chart-") ? document.querySelectorAll(`#${id} ${selector}`).length
    : document.querySelectorAll(selector).length]))"""


@needs_chromium
def test_the_report_renders_in_chromium(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    with Query.open(seeded) as q:
        data = write_report(q, out)
    with open_page(out, wait_for="document.documentElement.dataset.report") as page:
        assert page.evaluate("document.documentElement.dataset.report") == "ready"
        marks = page.evaluate(COUNT_MARKS, MARKS)
        shot = page.screenshot(output_dir() / "report.png")
        print(f"report screenshot: {shot}")
        assert page.report.problems() == []
    assert marks["chart-provinces"] == 34
    assert marks["focus-dots"] == sum(1 for p in data.provinces if p.focus_articles) > 0
    assert marks["chart-themes"] == len(data.themes)
    assert marks["chart-cities"] == len(data.cities)
    assert marks["chart-organizations"] == len(data.organizations)
    assert marks["chart-cooccurrence"] >= 1
    assert marks["chart-crawls"] == len(data.runs)
    assert shot.stat().st_size > 50_000


@needs_chromium
def test_the_empty_report_renders_in_chromium(empty: str, tmp_path: Path) -> None:
    out = tmp_path / "empty.html"
    with Query.open(empty) as q:
        write_report(q, out)
    with open_page(out) as page:
        text = page.evaluate("document.body.innerText")
        page.screenshot(output_dir() / "report-empty.png")
        assert page.report.problems() == []
    assert "Nothing yet" in text

"""Tests of the analyst API (cppcc_watch.query) on a small seeded database, on each backend.

`seed()` is shared with the CLI tests: six articles naming places, organizations and themes, with
dates on both sides of month and year boundaries and one article without a date. Expected
figures are recounted with plain SQL (`plain`), not with the code under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import GeneratorType

import pytest
from sqlalchemy import text

from cppcc_watch.errors import BadInput
from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article
from cppcc_watch.query import DateRange, Query, fts_query, period_bounds, records
from cppcc_watch.store import Store, open_engine

CPPCC = "Chinese People's Political Consultative Conference"
CAST = "China Association for Science and Technology"


def _entity(kind: str, name: str, text: str, times: int = 1, **attributes: object) -> Entity:
    mentions = [Mention(0, len(text), text, text) for _ in range(times)]
    return Entity(kind, name, mentions, **attributes)  # type: ignore[arg-type]


def _places(*entities: Entity) -> Extraction:
    by_kind: dict[str, list[Entity]] = {"province": [], "city": [], "organization": [], "theme": []}
    for entity in entities:
        by_kind[entity.kind].append(entity)
    return Extraction(
        provinces=by_kind["province"],
        cities=by_kind["city"],
        organizations=by_kind["organization"],
        themes=by_kind["theme"],
    )


SHAANXI = _entity("province", "Shaanxi", "Shaanxi", code="CN-SN")
XIAN = _entity("city", "Xi'an", "Xi'an", 2, province="Shaanxi")
XIZANG = _entity("province", "Xizang", "Xizang", 3, code="CN-XZ")
HENAN = _entity("province", "Henan", "Henan")
HEILONGJIANG = _entity("province", "Heilongjiang", "Heilongjiang")
JIANGSU = _entity("province", "Jiangsu", "Jiangsu")
SUZHOU = _entity("city", "Suzhou", "Suzhou", province="Jiangsu")
ORG_CPPCC = _entity("organization", CPPCC, "CPPCC", 2, acronym="CPPCC")
ORG_CAST = _entity("organization", CAST, "CAST", acronym="CAST")
CLIMATE = _entity("theme", "climate_change", "climate change")
FOOD = _entity("theme", "food_security", "grain", 2)
ECOLOGY = _entity("theme", "ecology_environment", "ecology")
SCIENCE = _entity("theme", "science_technology", "science")

ARTICLES = [
    (
        "a1",
        "cppcc",
        "2024-01-15T09:00:00+08:00",
        "Advisers survey Xi'an on climate change",
        "CPPCC members visited Xi'an, Shaanxi, to study climate change adaptation.",
        (SHAANXI, XIAN, ORG_CPPCC, CLIMATE),
    ),
    (
        "a2",
        "chinadaily",
        "2024-02-03T10:00:00+08:00",
        "Ecology of Xizang plateau",
        "Scientists from CAST studied the ecology of Xizang. Xizang wetlands grow.",
        (XIZANG, ORG_CAST, ECOLOGY),
    ),
    (
        "a3",
        "cppcc",
        "2024-02-20T11:00:00+08:00",
        "Grain harvest in Henan",
        "CPPCC and CAST experts discussed grain output and food security in Henan.",
        (HENAN, ORG_CPPCC, ORG_CAST, FOOD),
    ),
    (
        "a4",
        "cppcc",
        "2023-12-31T23:00:00+08:00",
        "Heilongjiang granary",
        "Food security: Heilongjiang grain reserves, said the CPPCC.",
        (HEILONGJIANG, ORG_CPPCC, FOOD),
    ),
    (
        "a5",
        "chinadaily",
        "2024-03-05T08:00:00+08:00",
        "Suzhou science park",
        "Suzhou in Jiangsu opened a science park with CAST.",
        (JIANGSU, SUZHOU, ORG_CAST, SCIENCE),
    ),
    (
        "a6",
        "cppcc",
        None,
        "Undated note on grain",
        "An undated note about grain and food security.",
        (FOOD,),
    ),
]


def seed(store: Store) -> None:
    """Store the six test articles (with their mentions) and one crawl run."""
    for slug, source, published, title, body, entities in ARTICLES:
        store.upsert_article(
            Article(
                url=f"http://en.cppcc.gov.cn/{slug}.htm",
                source=source,
                section="news",
                title=title,
                published_at=published,
                body=body,
                entities=_places(*entities),
            )
        )
    run = store.start_run("cppcc")
    store.finish_run(run, status="ok", reason=None, counts={"new": 6, "article_pages": 6})


@pytest.fixture
def seeded(db_url: str) -> str:
    """The URL of a database holding the seeded articles."""
    with Store.open(db_url) as store:
        seed(store)
    return db_url


@pytest.fixture
def query(seeded: str) -> Iterator[Query]:
    """A read-only Query over the seeded database."""
    with Query.open(seeded) as opened:
        yield opened


def plain(url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Rows of a plain SQL statement (committed when it writes), independent of the query API.

    Whole numbers come back as int on both backends (PostgreSQL's sums are numeric).
    """
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            rows = list(result) if result.returns_rows else []
    finally:
        engine.dispose()
    return [
        tuple(int(v) if isinstance(v, Decimal) and v == int(v) else v for v in row) for row in rows
    ]


def fingerprint(url: str) -> object:
    """What would show any change to the database: the SQLite file's bytes; on PostgreSQL the
    tables, their row counts, the articles' titles and the sequences."""
    if url.startswith("sqlite"):
        return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()
    tables = [
        str(name)
        for (name,) in plain(
            url,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' ORDER BY 1",
        )
    ]
    return (
        {table: plain(url, f'SELECT count(*) FROM "{table}"') for table in tables},
        plain(url, "SELECT string_agg(id || ':' || title, ',' ORDER BY id) FROM articles"),
        plain(url, "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"),
    )


def titles(rows: object) -> list[str]:
    """Titles of article results, in order."""
    return [row.title for row in rows]  # type: ignore[attr-defined]


# -- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first", "after"),
    [
        ("2024", "2024-01-01", "2025-01-01"),
        ("2024-02", "2024-02-01", "2024-03-01"),
        ("2024-12", "2024-12-01", "2025-01-01"),
        ("2024-02-29", "2024-02-29", "2024-03-01"),
        (" 2023-12-31 ", "2023-12-31", "2024-01-01"),
    ],
)
def test_periods_are_years_months_or_days(text: str, first: str, after: str) -> None:
    start, end = period_bounds(text)
    assert (start.isoformat(), end.isoformat()) == (first, after)


@pytest.mark.parametrize("text", ["24", "2024-2", "2024-13", "2023-02-29", "2024/01", "soon", ""])
def test_bad_dates_are_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match="date"):
        period_bounds(text)


def test_since_after_until_is_bad_input() -> None:
    with pytest.raises(BadInput, match="after"):
        DateRange.parse("2025", "2024")


def test_a_range_splits_into_whole_months_and_partial_ends() -> None:
    months, edges = DateRange.parse("2024-01-15", "2024-04-10").split_months()
    assert months == ("2024-02", "2024-04")
    assert [(e.start.isoformat(), e.end.isoformat()) for e in edges] == [  # type: ignore[union-attr]
        ("2024-01-15", "2024-02-01"),
        ("2024-04-01", "2024-04-11"),
    ]
    assert DateRange.parse("2024-01-03", "2024-01-20").split_months()[0] is None
    assert DateRange.parse("2024", "2024").split_months() == (("2024-01", "2025-01"), [])


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Tibet", None, ("province", "Xizang")),
        ("Xian", None, ("city", "Xi'an")),
        ("xi'an", "city", ("city", "Xi'an")),
        ("CAST", None, ("organization", CAST)),
        ("cppcc", None, ("organization", CPPCC)),
        ("CPPCC National Committee", "organization", ("organization", CPPCC)),
        ("food security", None, ("theme", "food_security")),
        ("Food-Security", "theme", ("theme", "food_security")),
        ("Suzhou, Jiangsu", "city", ("city", "Suzhou")),
    ],
)
def test_any_alias_or_acronym_resolves(
    query: Query, name: str, kind: str | None, expected: tuple[str, str]
) -> None:
    ref = query.resolve(name, kind)
    assert (ref.kind, ref.name) == expected
    assert len(ref.ids) == 1


def test_a_known_name_without_articles_resolves_to_no_ids(query: Query) -> None:
    assert query.resolve("Sichuan").ids == ()
    assert list(query.articles(province="Sichuan")) == []


@pytest.mark.parametrize(
    ("name", "kind", "suggested"),
    [
        ("Sichaun", "province", "Sichuan"),
        ("Xizhang", None, "Xizang"),
        ("Chengduu", "city", "Chengdu"),
        ("food securty", "theme", "food_security"),
        ("China Asociation for Science and Technology", None, CAST),
    ],
)
def test_unknown_names_suggest_the_closest(
    query: Query, name: str, kind: str | None, suggested: str
) -> None:
    with pytest.raises(BadInput, match="unknown") as error:
        query.resolve(name, kind)
    assert suggested in str(error.value)
    assert "did you mean" in str(error.value)


def test_a_city_name_shared_by_two_provinces_must_say_which(query: Query) -> None:
    with pytest.raises(BadInput, match="'Suzhou, Jiangsu'"):
        query.resolve("Suzhou", "city")


def test_an_organization_found_only_by_crawls_resolves_by_name_any_case(
    db_url: str, query: Query
) -> None:
    query.close()
    with Store.open(db_url) as store:
        store.upsert_article(
            Article(
                url="http://en.cppcc.gov.cn/a7.htm",
                source="cppcc",
                title="Wuxi Lake Institute",
                body="The Wuxi Lake Institute (WLI) opened.",
                published_at="2024-04-01T00:00:00+08:00",
                entities=_places(_entity("organization", "Wuxi Lake Institute", "WLI")),
            )
        )
    with Query.open(db_url) as fresh:
        assert fresh.resolve("wuxi lake institute").name == "Wuxi Lake Institute"
        assert titles(fresh.articles(org="Wuxi Lake Institute")) == ["Wuxi Lake Institute"]


# -- articles -------------------------------------------------------------------------------------


def test_articles_are_newest_first_and_streamed(query: Query) -> None:
    rows = query.articles()
    assert isinstance(rows, GeneratorType)
    assert titles(rows) == [
        "Suzhou science park",
        "Grain harvest in Henan",
        "Ecology of Xizang plateau",
        "Advisers survey Xi'an on climate change",
        "Heilongjiang granary",
        "Undated note on grain",
    ]


def test_each_filter(query: Query) -> None:
    assert titles(query.articles(province="Tibet")) == ["Ecology of Xizang plateau"]
    assert titles(query.articles(city="Xian")) == ["Advisers survey Xi'an on climate change"]
    assert titles(query.articles(org="CAST")) == [
        "Suzhou science park",
        "Grain harvest in Henan",
        "Ecology of Xizang plateau",
    ]
    assert titles(query.articles(theme="food security")) == [
        "Grain harvest in Henan",
        "Heilongjiang granary",
        "Undated note on grain",
    ]
    assert titles(query.articles(source="chinadaily")) == [
        "Suzhou science park",
        "Ecology of Xizang plateau",
    ]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2024", None, ["a5", "a3", "a2", "a1"]),
        (None, "2023", ["a4"]),
        ("2024-02", "2024-02", ["a3", "a2"]),
        ("2024-02-03", "2024-02-03", ["a2"]),
        ("2023-12-31", "2024-01-15", ["a1", "a4"]),
        ("2025", None, []),
    ],
)
def test_date_ranges_include_both_ends(
    query: Query, since: str | None, until: str | None, expected: list[str]
) -> None:
    rows = query.articles(since=since, until=until)
    assert [row.url.rsplit("/", 1)[1][:-4] for row in rows] == expected


def test_filters_combine(query: Query) -> None:
    assert titles(query.articles(org="cppcc", theme="food_security", since="2024")) == [
        "Grain harvest in Henan"
    ]
    assert titles(query.articles(org="CAST", source="chinadaily", until="2024-02")) == [
        "Ecology of Xizang plateau"
    ]
    assert titles(query.articles(city="Xian", theme="climate change", org="CPPCC")) == [
        "Advisers survey Xi'an on climate change"
    ]
    assert list(query.articles(city="Xian", theme="food security")) == []


def test_limit(query: Query) -> None:
    assert len(list(query.articles(limit=2))) == 2
    assert len(list(query.articles(org="CAST", limit=1))) == 1


def test_search_is_ranked_with_a_snippet(query: Query) -> None:
    rows = list(query.articles(search="grain"))
    assert {row.title for row in rows} == {
        "Grain harvest in Henan",
        "Heilongjiang granary",
        "Undated note on grain",
    }
    assert [row.score for row in rows] == sorted(row.score for row in rows)  # type: ignore[misc]
    assert all("[grain]" in (row.snippet or "").lower() for row in rows)


def test_search_combines_with_filters_and_takes_plain_words(query: Query) -> None:
    assert titles(query.articles(search="grain", org="CPPCC", since="2024")) == [
        "Grain harvest in Henan"
    ]
    assert titles(query.articles(search="Xi'an climate")) == [
        "Advisers survey Xi'an on climate change"
    ]
    assert set(titles(query.articles(search='"food security" NOT Henan'))) == {
        "Undated note on grain",
        "Heilongjiang granary",
    }
    assert list(query.articles(search="nonexistentword")) == []


def test_search_with_dates_and_source(query: Query) -> None:
    assert titles(query.articles(search="grain", since="2024-02", until="2024-02")) == [
        "Grain harvest in Henan"
    ]
    assert set(titles(query.articles(search="grain", since="2023"))) == {
        "Grain harvest in Henan",
        "Heilongjiang granary",
    }
    assert titles(
        query.articles(search="Xizang OR Suzhou", source="chinadaily", until="2024-02")
    ) == ["Ecology of Xizang plateau"]
    assert titles(query.articles(search="grain", city="Xian")) == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("gra*", {"Grain harvest in Henan", "Heilongjiang granary", "Undated note on grain"}),
        ("(Xizang OR Suzhou) AND science", {"Suzhou science park"}),
        ("grain NOT (Henan OR Heilongjiang)", {"Undated note on grain"}),
        ("climate AND change", {"Advisers survey Xi'an on climate change"}),
        (
            '"science park" OR "climate change"',
            {"Suzhou science park", "Advisers survey Xi'an on climate change"},
        ),
    ],
)
def test_search_syntax_is_the_same_on_both_backends(
    query: Query, search: str, expected: set[str]
) -> None:
    assert set(titles(query.articles(search=search))) == expected


@pytest.mark.parametrize("search", ['"unclosed AND', "grain OR", "(grain", "NOT", "grain AND ()"])
def test_a_broken_search_expression_is_bad_input(query: Query, search: str) -> None:
    with pytest.raises(BadInput, match="bad search expression"):
        list(query.articles(search=search))


def test_fts_query_quotes_plain_words() -> None:
    assert fts_query("Xi'an  climate") == '"Xi\'an" "climate"'
    assert fts_query('"food security" OR grain') == '"food security" OR grain'


# -- entities, trends, co-occurrence ---------------------------------------------------------


def test_top_entities_count_articles_and_mentions(query: Query) -> None:
    top = query.top_entities(kind="organization")
    assert [(e.name, e.articles, e.mentions) for e in top] == [
        (CPPCC, 3, 6),
        (CAST, 3, 3),
    ]
    assert query.top_entities(kind="organization", by="mentions", since="2024-02")[0].name == CAST
    themes = query.top_entities(kind="theme", top=1)
    assert [(e.name, e.articles, e.mentions) for e in themes] == [("food_security", 3, 6)]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (None, None),
        ("2024", None),
        (None, "2024-02-10"),
        ("2024-01-15", "2024-02-20"),
        ("2023-12-31", "2024-03"),
        ("2024-02-04", "2024-02-19"),
    ],
)
def test_top_entities_in_a_range_match_a_count_over_mentions(
    query: Query, seeded: str, since: str | None, until: str | None
) -> None:
    dates = DateRange.parse(since, until)
    conditions, params = ["1 = 1"], {}
    if dates.start:
        conditions.append("m.published_at >= :s")
        params["s"] = dates.start.isoformat()
    if dates.end:
        conditions.append("m.published_at < :e")
        params["e"] = dates.end.isoformat()
    expected = set(
        plain(
            seeded,
            "SELECT e.name, count(*), sum(m.count) FROM mentions m JOIN entities e"
            f" ON e.id = m.entity_id WHERE {' AND '.join(conditions)} GROUP BY e.id, e.name",
            **params,
        )
    )
    found = query.top_entities(since=since, until=until, top=None)
    assert {(e.name, e.articles, e.mentions) for e in found} == expected


def test_entity_months_follow_updates_and_deletes(seeded: str) -> None:
    with Store.open(seeded) as store:
        store.upsert_article(
            Article(
                url="http://en.cppcc.gov.cn/a3.htm",
                source="cppcc",
                title="Grain harvest in Henan (updated)",
                body="Moved to March.",
                published_at="2024-03-01T00:00:00+08:00",
                entities=_places(HENAN, FOOD),
            )
        )
        article_id = store.article_id("http://en.cppcc.gov.cn/a1.htm")
        assert article_id is not None
        store.replace_entities(article_id, _places(XIAN))
    plain(seeded, "DELETE FROM articles WHERE url LIKE '%/a2.htm'")
    summary = set(
        plain(
            seeded,
            "SELECT entity_id, month, source, articles, mentions, focus_articles"
            " FROM entity_months",
        )
    )
    recount = set(
        plain(
            seeded,
            "SELECT entity_id, coalesce(substr(published_at, 1, 7), '') AS month, source,"
            " count(*), sum(count), sum(CASE WHEN focus THEN 1 ELSE 0 END) FROM mentions"
            " GROUP BY entity_id, month, source",
        )
    )
    assert summary == recount
    assert any(month == "2024-03" for _, month, *_ in summary)


def test_trend_by_month_lists_every_month(query: Query) -> None:
    points = query.trend("food security")
    assert [(p.period, p.articles) for p in points] == [
        ("2023-12", 1),
        ("2024-01", 0),
        ("2024-02", 1),
    ]
    ranged = query.trend("CAST", since="2024-01", until="2024-04")
    assert [(p.period, p.articles) for p in ranged] == [
        ("2024-01", 0),
        ("2024-02", 2),
        ("2024-03", 1),
        ("2024-04", 0),
    ]
    partial = query.trend("CAST", since="2024-02-10", until="2024-03-04")
    assert [(p.period, p.articles) for p in partial] == [("2024-02", 1), ("2024-03", 0)]


def test_trend_by_week_labels_weeks_by_their_monday(query: Query) -> None:
    points = query.trend("CPPCC", by="week", since="2024-01-01", until="2024-01-21")
    assert [(p.period, p.articles) for p in points] == [
        ("2024-01-01", 0),
        ("2024-01-08", 0),
        ("2024-01-15", 1),
    ]
    assert query.trend("CPPCC", by="week")[0].period == "2023-12-25"


def test_trend_of_an_entity_without_articles_is_empty(query: Query) -> None:
    assert query.trend("Sichuan") == []
    with pytest.raises(BadInput, match="month or week"):
        query.trend("Henan", by="year")


def test_cooccurrence(query: Query) -> None:
    found = query.cooccur("CAST")
    assert (found[0].name, found[0].articles) in {(CPPCC, 1), ("Xizang", 1)}
    assert {e.name for e in found} == {
        CPPCC,
        "Xizang",
        "ecology_environment",
        "Henan",
        "food_security",
        "Jiangsu",
        "Suzhou",
        "science_technology",
    }
    themes = query.cooccur("food security", with_kind="organization")
    assert [(e.name, e.articles, e.share) for e in themes] == [
        (CPPCC, 2, 0.6667),
        (CAST, 1, 0.3333),
    ]
    dated = query.cooccur("food security", with_kind="organization", since="2024")
    assert [(e.name, e.articles, e.share) for e in dated] == [(CAST, 1, 1.0), (CPPCC, 1, 1.0)]
    assert [e.name for e in query.cooccur("CAST", with_kind="city", since="2024-03")] == ["Suzhou"]


def test_runs_and_records(query: Query) -> None:
    runs = query.runs()
    assert runs[0]["spider"] == "cppcc" and runs[0]["new"] == 6
    rows = list(records(query.top_entities(kind="province", top=1)))
    assert rows == [
        {
            "id": rows[0]["id"],
            "kind": "province",
            "name": "Xizang",
            "acronym": None,
            "province": None,
            "articles": 1,
            "mentions": 3,
            "focus_articles": 0,
        }
    ]


# -- sql ---------------------------------------------------------------------------------------


def test_sql_reads_with_parameters(query: Query, seeded: str) -> None:
    rows = list(
        query.sql("SELECT name FROM entities WHERE kind = :kind ORDER BY name", {"kind": "theme"})
    )
    assert rows[0] == {"name": "climate_change"}
    describe = (
        "PRAGMA table_info(articles)"
        if seeded.startswith("sqlite")
        else "SELECT column_name AS name FROM information_schema.columns"
        " WHERE table_name = 'articles'"
    )
    assert "published_at" in {row["name"] for row in query.sql(describe)}
    like = "SELECT name FROM entities WHERE name LIKE '%zang' AND kind = :k"
    assert list(query.sql(like, {"k": "province"})) == [{"name": "Xizang"}]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM articles",
        "UPDATE articles SET title = 'x'",
        "INSERT INTO crawl_runs (spider, started_at, status) VALUES ('x', 'now', 'ok')",
        "DROP TABLE articles",
        "CREATE TABLE scratch (x)",
        "PRAGMA query_only = OFF",
        "ATTACH DATABASE 'other.db' AS other",
        "VACUUM",
        "SELECT 1; DELETE FROM articles",
        "COMMIT",
    ],
)
def test_sql_refuses_to_write_and_changes_nothing(
    sqlite_url: str, db_path: Path, statement: str
) -> None:
    with Store.open(sqlite_url) as store:
        seed(store)
    before = fingerprint(sqlite_url)
    with Query.open(sqlite_url) as query:
        with pytest.raises(BadInput, match=r"read-only|SQL error"):
            list(query.sql(statement))
        assert list(query.sql("SELECT count(*) AS n FROM articles")) == [{"n": 6}]
    assert fingerprint(sqlite_url) == before
    assert not (db_path.parent / "other.db").exists()


#: A function that writes, created before the sandbox is opened.
SCRIBBLE = (
    "CREATE FUNCTION scribble() RETURNS integer LANGUAGE sql AS"
    " $$ INSERT INTO crawl_runs (spider, started_at, status) VALUES ('x', 'now', 'ok')"
    " RETURNING id $$"
)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM articles",
        "UPDATE articles SET title = 'x'",
        "INSERT INTO crawl_runs (spider, started_at, status) VALUES ('x', 'now', 'ok')",
        "DROP TABLE articles",
        "CREATE TABLE scratch (x integer)",
        "SELECT nextval('articles_id_seq')",
        "SELECT scribble()",
        "WITH gone AS (DELETE FROM articles RETURNING id) SELECT count(*) FROM gone",
        "SELECT 1; DELETE FROM articles",
        "COMMIT",
        "SET default_transaction_read_only = off",
        "COPY articles TO STDOUT",
        "COPY (SELECT 1) TO '{out}'",
        "COPY crawl_runs FROM '{out}'",
        "SELECT lo_export(lo_from_bytea(0, 'x'), '{out}')",
    ],
)
def test_sql_on_postgresql_refuses_to_write_and_changes_nothing(
    pg_url: str, tmp_path: Path, statement: str
) -> None:
    out = tmp_path / "written.txt"
    with Store.open(pg_url) as store:
        seed(store)
    plain(pg_url, SCRIBBLE)
    before = fingerprint(pg_url)
    with Query.open(pg_url) as query:
        with pytest.raises(BadInput, match=r"read-only|SQL error"):
            list(query.sql(statement.format(out=out)))
        assert list(query.sql("SELECT count(*) AS n FROM articles")) == [{"n": 6}]
    assert fingerprint(pg_url) == before
    assert not out.exists()


def test_sql_on_postgresql_cannot_lift_read_only_for_later_statements(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        seed(store)
    before = fingerprint(pg_url)
    with Query.open(pg_url) as query:
        lifted = "SELECT set_config('default_transaction_read_only', 'off', false) AS value"
        assert list(query.sql(lifted)) == [{"value": "off"}]
        assert list(query.sql("SELECT pg_advisory_lock(1) AS locked")) == [{"locked": ""}]
        with pytest.raises(BadInput, match="read-only"):
            list(query.sql("SELECT nextval('articles_id_seq')"))
        assert list(query.articles(limit=1))
    assert fingerprint(pg_url) == before


def test_sql_errors_are_bad_input(query: Query) -> None:
    with pytest.raises(BadInput, match=r"no such table|does not exist"):
        list(query.sql("SELECT * FROM nowhere"))
    with pytest.raises(BadInput, match="no SQL"):
        list(query.sql("  "))
    with pytest.raises(BadInput, match="SQL error"):
        list(query.sql("SELECT name FROM entities WHERE kind = :kind"))


@pytest.mark.parametrize("by", ["month", "week"])
@pytest.mark.parametrize(
    ("since", "until"),
    [(None, None), ("2024-01-10", None), (None, "2024-02-04"), ("2024-01-31", "2024-03-04")],
)
def test_trends_match_a_count_of_dated_mentions(
    query: Query, seeded: str, by: str, since: str | None, until: str | None
) -> None:
    dates = DateRange.parse(since, until)
    days = [
        date.fromisoformat(str(day))
        for (day,) in plain(
            seeded,
            "SELECT substr(m.published_at, 1, 10) FROM mentions m JOIN entities e"
            " ON e.id = m.entity_id WHERE e.name = :name AND m.published_at > ''",
            name=CAST,
        )
    ]
    expected: dict[str, int] = {}
    for day in days:
        if (dates.start and day < dates.start) or (dates.end and day >= dates.end):
            continue
        key = (
            day.strftime("%Y-%m") if by == "month" else (day - timedelta(day.weekday())).isoformat()
        )
        expected[key] = expected.get(key, 0) + 1
    points = query.trend("CAST", by=by, since=since, until=until)
    assert {p.period: p.articles for p in points if p.articles} == expected
    assert [p.period for p in points] == sorted(p.period for p in points)

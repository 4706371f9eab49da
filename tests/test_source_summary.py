"""Counts by source and of focus articles (migration 0008): `mentions.source`, `entity_months`
by entity, month and source with `focus_articles`, and the Query API's `source=` arguments.

Every figure is checked against a plain GROUP BY over mentions joined with articles (the
article's own `source` and `published_at`, not the copies on mentions), on each backend.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from cppcc_watch.errors import BadInput
from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article
from cppcc_watch.query import DateRange, Query
from cppcc_watch.store import Store
from tests.test_query import plain

SOURCES = ("cppcc", "chinadaily")
POOL = [
    *(Entity("province", name) for name in ("Henan", "Sichuan", "Xizang", "Guangdong")),
    *(Entity("city", name, province="Sichuan") for name in ("Chengdu", "Mianyang")),
    *(Entity("organization", name) for name in ("CPPCC", "CAST", "NPC")),
    *(Entity("theme", name) for name in ("food_security", "climate_change")),
]
FIRST_DAY = date(2023, 11, 20)
RANGES = [
    (None, None),
    ("2024", None),
    ("2023-12", "2024-02"),
    ("2023-12-10", "2024-02-20"),
    ("2024-01-05", "2024-01-25"),
    (None, "2024-02-03"),
]


def _extraction(rng: random.Random) -> Extraction:
    """A few entities of the pool, with 1-3 mentions each and, for places, a random focus."""
    found: dict[str, list[Entity]] = {"province": [], "city": [], "organization": [], "theme": []}
    for template in rng.sample(POOL, rng.randint(1, 5)):
        mentions = [Mention(0, 4, "text", "text") for _ in range(rng.randint(1, 3))]
        place = template.kind in ("province", "city")
        found[template.kind].append(
            Entity(
                template.kind,
                template.name,
                mentions,
                focus=place and rng.random() < 0.5,
                province=template.province,
            )
        )
    return Extraction(
        provinces=found["province"],
        cities=found["city"],
        organizations=found["organization"],
        themes=found["theme"],
    )


def _article(number: int, rng: random.Random) -> Article:
    """Article `number`: a random source, a date over five months (some undated), entities."""
    day = FIRST_DAY + timedelta(days=rng.randrange(130))
    published = (
        None if number % 17 == 0 else f"{day.isoformat()}T{rng.randint(0, 23):02d}:00:00+08:00"
    )
    return Article(
        url=f"http://en.cppcc.gov.cn/s{number}.htm",
        source=rng.choice(SOURCES),
        title=f"Article {number}",
        body=f"Body {number}",
        published_at=published,
        entities=_extraction(rng),
    )


def fill(store: Store, count: int = 120, seed: int = 3) -> None:
    """Store `count` random articles (deterministic for a seed), in one transaction."""
    rng = random.Random(seed)
    with store.transaction():
        for number in range(count):
            store.upsert_article(_article(number, rng))


@pytest.fixture
def filled(db_url: str) -> str:
    """The URL of a database holding the random articles."""
    with Store.open(db_url) as store:
        fill(store)
    return db_url


@pytest.fixture
def query(filled: str) -> Iterator[Query]:
    """A read-only Query over the filled database."""
    with Query.open(filled) as opened:
        yield opened


#: 1 for a mention that is its article's focus, else 0 (a boolean on PostgreSQL).
FOCUS = "CASE WHEN m.focus THEN 1 ELSE 0 END"


def expected_counts(
    url: str, since: str | None, until: str | None, source: str | None
) -> dict[str, tuple[int, int, int]]:
    """Entity name -> (articles, mentions, focus articles), grouped over mentions x articles."""
    dates = DateRange.parse(since, until)
    conditions, params = ["1 = 1"], {}
    if dates.start:
        conditions.append("a.published_at >= :s")
        params["s"] = dates.start.isoformat()
    if dates.end:
        conditions.append("a.published_at < :e")
        params["e"] = dates.end.isoformat()
    if source:
        conditions.append("a.source = :source")
        params["source"] = source
    rows = plain(
        url,
        f"SELECT e.name, count(*), sum(m.count), sum({FOCUS}) FROM mentions m"
        " JOIN articles a ON a.id = m.article_id JOIN entities e ON e.id = m.entity_id"
        f" WHERE {' AND '.join(conditions)} GROUP BY e.id, e.name",
        **params,
    )
    return {str(name): (articles, mentions, focus) for name, articles, mentions, focus in rows}


def summary_and_recount(url: str) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The rows of entity_months, and the same figures recomputed from mentions x articles."""
    summary = set(
        plain(
            url,
            "SELECT entity_id, month, source, articles, mentions, focus_articles"
            " FROM entity_months",
        )
    )
    recount = plain(
        url,
        "SELECT m.entity_id, coalesce(substr(a.published_at, 1, 7), ''), a.source,"
        f" count(*), sum(m.count), sum({FOCUS}) FROM mentions m"
        " JOIN articles a ON a.id = m.article_id GROUP BY 1, 2, 3",
    )
    return summary, set(recount)


# -- the summary ---------------------------------------------------------------------------------


def test_mentions_carry_their_articles_source(filled: str) -> None:
    [(differing,)] = plain(
        filled,
        "SELECT count(*) FROM mentions m JOIN articles a ON a.id = m.article_id"
        " WHERE m.source IS DISTINCT FROM a.source"
        " OR m.published_at IS DISTINCT FROM a.published_at",
    )
    sources = {row[0] for row in plain(filled, "SELECT DISTINCT source FROM mentions")}
    assert differing == 0
    assert sources == set(SOURCES)


def test_the_summary_equals_a_recount_after_inserts(filled: str) -> None:
    summary, recount = summary_and_recount(filled)
    assert summary == recount
    assert {row[2] for row in summary} == set(SOURCES)
    assert any(row[5] > 0 for row in summary) and any(row[1] == "" for row in summary)


def test_triggers_follow_updates_reprocessing_and_deletes(filled: str) -> None:
    rng = random.Random(99)
    with Store.open(filled) as store:
        for number in range(0, 40, 3):  # a new text: new date, source and entities
            changed = _article(number + 1000, rng)
            changed.url = f"http://en.cppcc.gov.cn/s{number}.htm"
            store.upsert_article(changed)
        for number in range(1, 40, 4):  # reprocess: other counts and focus, same article
            article_id = store.article_id(f"http://en.cppcc.gov.cn/s{number}.htm")
            assert article_id is not None
            store.replace_entities(article_id, _extraction(rng))
    plain(filled, "UPDATE mentions SET focus = NOT focus WHERE article_id % 5 = 0")
    plain(filled, "UPDATE mentions SET count = count + 2 WHERE article_id % 7 = 0")
    plain(filled, "DELETE FROM articles WHERE id % 6 = 0")
    plain(filled, "DELETE FROM mentions WHERE article_id % 11 = 0")
    summary, recount = summary_and_recount(filled)
    assert summary == recount
    assert all(row[3] > 0 for row in summary)  # emptied rows are removed


def test_entity_monthly_sums_the_sources(filled: str) -> None:
    view = plain(
        filled, "SELECT entity_id, month, articles, mentions, focus_articles FROM entity_monthly"
    )
    recount = plain(
        filled,
        "SELECT m.entity_id, coalesce(substr(m.published_at, 1, 7), ''), count(*),"
        f" sum(m.count), sum({FOCUS}) FROM mentions m GROUP BY 1, 2",
    )
    assert set(view) == set(recount)


# -- the query API -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [None, *SOURCES])
@pytest.mark.parametrize(("since", "until"), RANGES)
def test_top_entities_by_source_match_a_grouped_join(
    query: Query, filled: str, source: str | None, since: str | None, until: str | None
) -> None:
    found = query.top_entities(since=since, until=until, top=None, source=source)
    assert {e.name: (e.articles, e.mentions, e.focus_articles) for e in found} == (
        expected_counts(filled, since, until, source)
    )


def test_focus_articles_are_counted_for_places_only(query: Query, filled: str) -> None:
    places = query.top_entities(kind="province", top=None, source="chinadaily")
    assert any(e.focus_articles for e in places)
    assert all(0 <= e.focus_articles <= e.articles for e in places)
    assert all(e.focus_articles == 0 for e in query.top_entities(kind="organization", top=None))
    expected = expected_counts(filled, "2024-01-10", "2024-03-20", "cppcc")
    cities = query.top_entities(kind="city", since="2024-01-10", until="2024-03-20", source="cppcc")
    assert {e.name: e.focus_articles for e in cities} == {
        name: counts[2] for name, counts in expected.items() if name in ("Chengdu", "Mianyang")
    }


@pytest.mark.parametrize("by", ["month", "week"])
@pytest.mark.parametrize("source", [None, *SOURCES])
@pytest.mark.parametrize(("since", "until"), RANGES)
def test_trends_by_source_match_a_grouped_join(
    query: Query, filled: str, by: str, source: str | None, since: str | None, until: str | None
) -> None:
    dates = DateRange.parse(since, until)
    of_source = " AND a.source = :source" if source else ""
    days = [
        date.fromisoformat(str(day))
        for (day,) in plain(
            filled,
            "SELECT substr(a.published_at, 1, 10) FROM mentions m"
            " JOIN articles a ON a.id = m.article_id JOIN entities e ON e.id = m.entity_id"
            f" WHERE e.name = 'Henan' AND a.published_at > ''{of_source}",
            **({"source": source} if source else {}),
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
    points = query.trend("Henan", by=by, since=since, until=until, source=source)
    assert {p.period: p.articles for p in points if p.articles} == expected
    assert expected


@pytest.mark.parametrize("source", [None, *SOURCES])
@pytest.mark.parametrize(("since", "until"), [(None, None), ("2023-12-10", "2024-02-20")])
def test_cooccur_by_source_matches_a_grouped_join(
    query: Query, filled: str, source: str | None, since: str | None, until: str | None
) -> None:
    dates = DateRange.parse(since, until)
    params = {
        "s": dates.start.isoformat() if dates.start else "",
        "e": dates.end.isoformat() if dates.end else "~",
    }
    articles = (
        "SELECT a.id FROM articles a JOIN mentions m ON m.article_id = a.id"
        " JOIN entities e ON e.id = m.entity_id WHERE e.name = 'Henan'"
        " AND coalesce(a.published_at, '') >= :s AND coalesce(a.published_at, '') < :e"
    )
    if source:
        articles += " AND a.source = :source"
        params["source"] = source
    if dates.bounded:
        articles += " AND a.published_at IS NOT NULL"
    [(total,)] = plain(filled, f"SELECT count(*) FROM ({articles}) x", **params)
    expected = {
        str(name): n
        for name, n in plain(
            filled,
            "SELECT e.name, count(*) FROM mentions m JOIN entities e ON e.id = m.entity_id"
            f" WHERE m.article_id IN ({articles}) AND e.name != 'Henan' GROUP BY e.id, e.name",
            **params,
        )
    }
    found = query.cooccur(
        "Henan", kind="province", since=since, until=until, top=None, source=source
    )
    assert {c.name: c.articles for c in found} == expected
    assert all(c.share == round(c.articles / total, 4) for c in found)
    assert expected


@pytest.mark.parametrize(
    "call",
    [
        lambda q: q.top_entities(source="xinhua"),
        lambda q: q.trend("Henan", source="xinhua"),
        lambda q: q.trend("Henan", by="week", source="xinhua"),
        lambda q: q.cooccur("Henan", source="xinhua"),
        lambda q: q.cooccur("Yunnan", source="xinhua"),
    ],
)
def test_an_unknown_source_is_bad_input_naming_the_known_ones(query: Query, call: Any) -> None:
    with pytest.raises(BadInput, match=r"unknown source 'xinhua'.*cppcc, chinadaily"):
        call(query)


def test_a_source_only_stored_articles_have_is_known(db_url: str) -> None:
    with Store.open(db_url) as store:
        henan = Entity("province", "Henan", [Mention(0, 5, "Henan", "Henan")], focus=True)
        store.upsert_article(
            Article(
                url="http://example.org/1",
                source="mirror",
                title="Henan",
                published_at="2024-01-02T00:00:00+08:00",
                entities=Extraction(provinces=[henan]),
            )
        )
    with Query.open(db_url) as query:
        found = query.top_entities(source="mirror")
        assert [(e.name, e.articles, e.focus_articles) for e in found] == [("Henan", 1, 1)]
        assert query.top_entities(source="cppcc") == []

"""Tests of the Store on real databases, SQLite files and PostgreSQL (cppcc_watch.store)."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, text

from cppcc_watch.errors import DatabaseError
from cppcc_watch.extract.types import Entity, Extraction, Mention
from cppcc_watch.items import Article, RawPage, content_hash
from cppcc_watch.store import Store, open_engine
from cppcc_watch.store.articles import KnownArticle
from cppcc_watch.store.dialects import postgresql as postgresql_dialect
from cppcc_watch.store.dialects import sqlite as sqlite_dialect

BODY = "Members met in Chengdu, Sichuan province.\nThe CPPCC discussed grain security."


def make_article(n: int = 1, body: str = BODY, **fields: object) -> Article:
    """A plausible article with one raw page."""
    url = f"http://en.cppcc.gov.cn/2026-11/28/c_{n}.htm"
    values: dict[str, object] = {
        "url": url,
        "source": "cppcc",
        "section": "news",
        "title": f"Article {n}",
        "published_at": "2026-11-28T09:30:00+08:00",
        "author": "Li Ming",
        "outlet": "CPPCC",
        "body": body,
        "captions": ["A photo caption"],
        "pages": [RawPage(url=url, html=f"<html><p>{body}</p></html>")],
    }
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def mention(text: str, body: str = BODY, field: str = "body") -> Mention:
    """A mention of `text` at its first place in `body`."""
    start = body.index(text)
    return Mention(start, start + len(text), text, body[max(0, start - 10) : start + 30], field)


def extraction(*entities: Entity) -> Extraction:
    """An Extraction holding these entities, sorted by kind."""
    result = Extraction()
    lists = {
        "province": result.provinces,
        "city": result.cities,
        "organization": result.organizations,
        "theme": result.themes,
    }
    for entity in entities:
        lists.get(entity.kind, result.themes).append(entity)
    return result


def sample_entities() -> Extraction:
    """Sichuan, Chengdu (in Sichuan), the CPPCC and a theme, with their mentions."""
    return extraction(
        Entity("province", "Sichuan", [mention("Sichuan")], focus=True, code="CN-SC"),
        Entity("city", "Chengdu", [mention("Chengdu")], province="Sichuan", latitude=30.66),
        Entity(
            "organization",
            "Chinese People's Political Consultative Conference",
            [mention("CPPCC")],
            acronym="CPPCC",
        ),
        Entity("theme", "food_security", [mention("grain security")]),
    )


def rows(db_url: str, sql: str, **params: object) -> list[tuple]:
    """Query the database with plain SQL on a connection of its own, as an analyst would."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def execute(db_url: str, sql: str, **params: object) -> None:
    """Change the database with plain SQL (foreign keys enforced), committed at once."""
    engine = open_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def file_digest(path: Path) -> str:
    """A fingerprint of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- articles --------------------------------------------------------------------------------


def test_a_new_article_is_stored_with_its_pages(store: Store, db_url: str) -> None:
    second = RawPage(url="http://en.cppcc.gov.cn/2026-11/28/c_1_2.htm", html="<p>page two</p>")
    article = make_article()
    article.pages.append(second)
    result = store.upsert_article(article)
    assert result.status == "new"
    (row,) = rows(
        db_url,
        "SELECT id, url, source, section, title, published_at, author, outlet, body, captions,"
        " fetched_at, content_hash, first_seen_at, changed_at, version FROM articles",
    )
    assert row[:9] == (
        result.article_id,
        article.url,
        "cppcc",
        "news",
        "Article 1",
        "2026-11-28T09:30:00+08:00",
        "Li Ming",
        "CPPCC",
        BODY,
    )
    assert row[9] == '["A photo caption"]'
    fetched_at = datetime.fromisoformat(row[10])
    assert fetched_at.utcoffset() is not None and fetched_at.utcoffset().total_seconds() == 0
    assert row[11] == content_hash("Article 1", BODY)
    assert row[12:] == (row[10], None, 1)
    assert rows(db_url, "SELECT page_number, url FROM raw_pages ORDER BY page_number") == [
        (1, article.url),
        (2, second.url),
    ]
    assert store.raw_pages(result.article_id) == article.pages
    assert store.article_id(article.url) == result.article_id


def same_text_again() -> Article:
    """Article 1 fetched again later: other markup and extraction, the same title and body."""
    again = make_article(fetched_at="2026-11-28T05:00:00+00:00", entities=sample_entities())
    again.pages = [RawPage(url=again.url, html="<html>different markup, same text</html>")]
    return again


def test_the_same_content_again_is_unchanged(store: Store, db_url: str) -> None:
    first = store.upsert_article(make_article(fetched_at="2026-11-28T01:00:00+00:00"))
    result = store.upsert_article(same_text_again())
    assert (result.status, result.article_id) == ("unchanged", first.article_id)
    assert rows(db_url, "SELECT fetched_at, version FROM articles WHERE id = 1") == [
        ("2026-11-28T01:00:00+00:00", 1)
    ]
    assert store.raw_pages(first.article_id)[0].html.startswith("<html><p>")
    assert rows(db_url, "SELECT count(*) FROM mentions") == [(0,)]


def test_an_unchanged_article_writes_nothing_to_the_file(sqlite_url: str, db_path: Path) -> None:
    with Store.open(sqlite_url) as store:
        store.upsert_article(make_article(fetched_at="2026-11-28T01:00:00+00:00"))
        watcher = sqlite3.connect(db_path)  # data_version changes when another connection writes
        try:
            before = watcher.execute("PRAGMA data_version").fetchone()
            assert store.upsert_article(same_text_again()).status == "unchanged"
            assert watcher.execute("PRAGMA data_version").fetchone() == before
            store.upsert_article(make_article(2))
            assert watcher.execute("PRAGMA data_version").fetchone() != before  # the probe works
        finally:
            watcher.close()


def test_a_changed_article_is_updated_and_its_history_kept(store: Store, db_url: str) -> None:
    original = make_article(fetched_at="2026-11-28T01:00:00+00:00", entities=sample_entities())
    first = store.upsert_article(original)
    new_body = "Members met in Wuhan, Hubei province."
    changed = make_article(
        body=new_body,
        title="Article 1 (corrected)",
        fetched_at="2026-11-29T01:00:00+00:00",
        entities=extraction(Entity("province", "Hubei", [mention("Hubei", new_body)])),
    )
    result = store.upsert_article(changed)
    assert (result.status, result.article_id) == ("updated", first.article_id)
    (row,) = rows(
        db_url,
        "SELECT title, body, content_hash, fetched_at, first_seen_at, changed_at, version"
        " FROM articles",
    )
    assert row == (
        "Article 1 (corrected)",
        new_body,
        content_hash("Article 1 (corrected)", new_body),
        "2026-11-29T01:00:00+00:00",
        "2026-11-28T01:00:00+00:00",
        "2026-11-29T01:00:00+00:00",
        2,
    )
    (version,) = store.versions(first.article_id)
    assert version["version"] == 1
    assert (version["title"], version["body"]) == ("Article 1", BODY)
    assert version["content_hash"] == content_hash("Article 1", BODY)
    assert version["fetched_at"] == "2026-11-28T01:00:00+00:00"
    assert version["replaced_at"] == "2026-11-29T01:00:00+00:00"
    assert [page.html for page in store.raw_pages(first.article_id)] == [
        f"<html><p>{new_body}</p></html>"
    ]
    assert rows(db_url, "SELECT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id") == [
        ("Hubei",)
    ]
    assert rows(db_url, "SELECT text FROM mention_spans") == [("Hubei",)]


def test_a_changed_article_without_extraction_loses_its_stale_mentions(
    store: Store, db_url: str
) -> None:
    store.upsert_article(make_article(entities=sample_entities()))
    store.upsert_article(make_article(body="Something else entirely."))
    assert rows(db_url, "SELECT count(*) FROM mentions") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM mention_spans") == [(0,)]


def test_raw_html_is_stored_compressed_and_round_trips(store: Store, db_url: str) -> None:
    html = "<html><body>" + "".join(
        f"<div class='nav'><a href='/section/{i}'>Section {i} 中国</a></div>\n" for i in range(4000)
    )
    article = make_article(pages=[RawPage(url="http://en.cppcc.gov.cn/x.htm", html=html)])
    article_id = store.upsert_article(article).article_id
    ((blob,),) = rows(db_url, "SELECT html_gz FROM raw_pages")
    assert blob[:2] == b"\x1f\x8b"  # gzip, readable by any tool
    assert len(blob) < len(html.encode("utf-8")) / 5
    assert gzip.decompress(blob).decode("utf-8") == html
    assert store.raw_pages(article_id) == article.pages


def test_deleting_an_article_deletes_everything_that_hangs_off_it(
    store: Store, db_url: str
) -> None:
    store.upsert_article(make_article(entities=sample_entities()))
    store.upsert_article(make_article(body="changed", entities=sample_entities()))
    execute(db_url, "DELETE FROM articles")
    counts = [
        rows(db_url, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("article_versions", "raw_pages", "mentions", "mention_spans")
    ]
    assert counts == [0, 0, 0, 0]
    assert rows(db_url, "SELECT count(*) FROM entities") == [(4,)]  # entities outlive articles


def test_full_text_search_follows_inserts_and_updates(store: Store, db_url: str) -> None:
    store.upsert_article(make_article())
    search = (
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :word"
        if db_url.startswith("sqlite")
        else "SELECT article_id FROM articles_fts"
        " WHERE document @@ plainto_tsquery('simple', :word)"
    )
    assert rows(db_url, search, word="grain") == [(1,)]
    store.upsert_article(make_article(body="A talk on carbon neutrality."))
    assert rows(db_url, search, word="grain") == []
    assert rows(db_url, search, word="neutrality") == [(1,)]


# -- entities and mentions -------------------------------------------------------------------


def test_entities_mentions_and_spans_are_stored(store: Store, db_url: str) -> None:
    article_id = store.upsert_article(make_article(entities=sample_entities())).article_id
    entities = rows(
        db_url,
        "SELECT e.kind, e.name, e.acronym, e.code, e.province, p.name, m.count, m.focus"
        " FROM mentions m JOIN entities e ON e.id = m.entity_id"
        " LEFT JOIN entities p ON p.id = e.parent_id WHERE m.article_id = :id ORDER BY e.kind",
        id=article_id,
    )
    assert entities == [
        ("city", "Chengdu", None, None, "Sichuan", "Sichuan", 1, 0),
        ("organization", "Chinese People's Political Consultative Conference", "CPPCC", None,
         None, None, 1, 0),
        ("province", "Sichuan", None, "CN-SC", None, None, 1, 1),
        ("theme", "food_security", None, None, None, None, 1, 0),
    ]  # fmt: skip
    spans = rows(
        db_url,
        'SELECT field, start, "end", text, snippet FROM mention_spans ORDER BY start',
    )
    assert [span[3] for span in spans] == ["Chengdu", "Sichuan", "CPPCC", "grain security"]
    for field, start, end, found, snippet in spans:
        assert field == "body"
        assert BODY[start:end] == found
        assert found in snippet


def test_mentions_carry_their_articles_publication_time(store: Store, db_url: str) -> None:
    article_id = store.upsert_article(make_article(entities=sample_entities())).article_id
    assert rows(db_url, "SELECT DISTINCT published_at FROM mentions") == [
        ("2026-11-28T09:30:00+08:00",)
    ]
    store.upsert_article(
        make_article(
            body=BODY + " More.",
            published_at="2026-11-29T10:00:00+08:00",
            entities=sample_entities(),
        )
    )
    assert rows(db_url, "SELECT DISTINCT published_at FROM mentions") == [
        ("2026-11-29T10:00:00+08:00",)
    ]
    store.replace_entities(article_id, sample_entities())
    assert rows(db_url, "SELECT count(*), min(published_at) FROM mentions") == [
        (4, "2026-11-29T10:00:00+08:00")
    ]


def test_a_city_links_its_province_even_when_the_province_is_not_mentioned(
    store: Store, db_url: str
) -> None:
    body = "A forum opened in Chengdu."
    city = Entity("city", "Chengdu", [mention("Chengdu", body)], province="Sichuan")
    store.upsert_article(make_article(body=body, entities=extraction(city)))
    assert rows(
        db_url,
        "SELECT c.key, p.kind, p.name FROM entities c JOIN entities p ON p.id = c.parent_id",
    ) == [("city:Chengdu|Sichuan", "province", "Sichuan")]
    assert rows(db_url, "SELECT count(*) FROM mentions") == [(1,)]  # Sichuan is not mentioned
    later = Entity("province", "Sichuan", [mention("Sichuan")], code="CN-SC", region="Southwest")
    store.upsert_article(make_article(2, entities=extraction(later)))
    assert rows(db_url, "SELECT code, region FROM entities WHERE kind = 'province'") == [
        ("CN-SC", "Southwest")
    ]  # one row, given the attributes the later article added


def test_cities_of_the_same_name_in_two_provinces_are_two_entities(
    store: Store, db_url: str
) -> None:
    body = "Suzhou in Jiangsu and Suzhou in Anhui signed an agreement."
    first = Mention(0, 6, "Suzhou", body[:30])
    second = Mention(21, 27, "Suzhou", body[10:40])
    store.upsert_article(
        make_article(
            body=body,
            entities=extraction(
                Entity("city", "Suzhou", [first], province="Jiangsu"),
                Entity("city", "Suzhou", [second], province="Anhui"),
            ),
        )
    )
    assert rows(
        db_url,
        "SELECT c.name, p.name, m.count FROM entities c"
        " JOIN entities p ON p.id = c.parent_id JOIN mentions m ON m.entity_id = c.id"
        " ORDER BY p.name",
    ) == [("Suzhou", "Anhui", 1), ("Suzhou", "Jiangsu", 1)]


def test_one_entity_listed_twice_is_one_mention_row(store: Store, db_url: str) -> None:
    cppcc = "Chinese People's Political Consultative Conference"
    store.upsert_article(
        make_article(
            entities=extraction(
                Entity("organization", cppcc, [mention("CPPCC")], acronym="CPPCC"),
                Entity("organization", cppcc, [mention("Members")], focus=True),
            )
        )
    )
    assert rows(db_url, "SELECT count, focus FROM mentions") == [(2, 1)]
    assert rows(db_url, "SELECT count(*) FROM mention_spans") == [(2,)]


def test_replace_entities_swaps_an_articles_mentions(store: Store, db_url: str) -> None:
    article_id = store.upsert_article(make_article(entities=sample_entities())).article_id
    store.replace_entities(
        article_id, extraction(Entity("theme", "rural_revitalization", [mention("Members")]))
    )
    assert rows(db_url, "SELECT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id") == [
        ("rural_revitalization",)
    ]
    assert rows(db_url, "SELECT text FROM mention_spans") == [("Members",)]
    with pytest.raises(DatabaseError, match="No article with id 999"):
        store.replace_entities(999, Extraction())


def test_a_failed_upsert_leaves_no_partial_article(store: Store, db_url: str) -> None:
    body = "The State Council met in Beijing."
    bad = extraction(
        Entity("organization", "State Council", [mention("State Council", body)]),
        Entity("person", "Someone", [mention("Beijing", body)]),
    )
    with pytest.raises(ValueError, match="unknown entity kind 'person'"):
        store.upsert_article(make_article(body=body, entities=bad))
    for table in ("articles", "raw_pages", "entities", "mentions", "mention_spans"):
        assert rows(db_url, f"SELECT count(*) FROM {table}") == [(0,)], table
    # The State Council row was rolled back: the Store must not reuse its id.
    good = extraction(Entity("organization", "State Council", [mention("State Council", body)]))
    store.upsert_article(make_article(body=body, entities=good))
    assert rows(db_url, "SELECT e.name FROM mentions m JOIN entities e ON e.id = m.entity_id") == [
        ("State Council",)
    ]


def test_a_row_the_database_refuses_is_a_database_error_and_rolled_back(
    store: Store, db_url: str
) -> None:
    bad_span = Mention(0, 7, None, "Members met")  # type: ignore[arg-type]
    with pytest.raises(DatabaseError, match=r"(?i)not[ -]null"):
        store.upsert_article(make_article(entities=extraction(Entity("theme", "x", [bad_span]))))
    for table in ("articles", "raw_pages", "entities", "mentions", "mention_spans"):
        assert rows(db_url, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_a_span_of_an_unknown_field_is_refused_before_anything_is_written(
    store: Store, db_url: str
) -> None:
    bad_span = Mention(0, 7, "Members", "Members met", field="caption")
    with pytest.raises(ValueError, match="unknown span field 'caption'"):
        store.upsert_article(make_article(entities=extraction(Entity("theme", "x", [bad_span]))))
    for table in ("articles", "raw_pages", "mentions", "mention_spans"):
        assert rows(db_url, f"SELECT count(*) FROM {table}") == [(0,)], table


def test_a_failed_upsert_inside_a_transaction_spares_the_others(store: Store, db_url: str) -> None:
    bad = extraction(Entity("place", "Nowhere", [mention("Members")]))
    with store.transaction():
        store.upsert_article(make_article(1, entities=sample_entities()))
        with pytest.raises(ValueError):
            store.upsert_article(make_article(2, entities=bad))
        store.upsert_article(make_article(3))
        urls = [make_article(n).url for n in (1, 2, 3)]
        assert set(store.known_articles(urls)) == {
            urls[0],
            urls[2],
        }  # reads see the open transaction
    assert rows(db_url, "SELECT url FROM articles ORDER BY id") == [
        (make_article(1).url,),
        (make_article(3).url,),
    ]
    assert rows(db_url, "SELECT count(DISTINCT article_id) FROM raw_pages") == [(2,)]


def test_an_exception_escaping_a_transaction_rolls_it_all_back(store: Store, db_url: str) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_article(make_article(1, entities=sample_entities()))
        raise RuntimeError("crawl aborted")
    assert rows(db_url, "SELECT count(*) FROM articles") == [(0,)]
    store.upsert_article(make_article(2, entities=sample_entities()))  # no stale cached ids
    assert rows(db_url, "SELECT count(*) FROM mentions") == [(4,)]


# -- reading ---------------------------------------------------------------------------------


def test_known_articles_answers_for_more_urls_than_sqlite_binds(store: Store) -> None:
    with store.transaction():
        for n in range(0, 2400, 2):
            store.upsert_article(make_article(n, pages=[]))
    asked = [make_article(n).url for n in range(2400)]
    known = set(store.known_articles(iter(asked + asked[:10])))
    assert known == {make_article(n).url for n in range(0, 2400, 2)}
    assert set(store.known_articles([])) == set()


def test_known_articles_gives_the_publication_time_else_the_first_fetch(store: Store) -> None:
    store.upsert_article(make_article(1))
    store.upsert_article(make_article(2, published_at=None, fetched_at="2026-11-28T03:00:00+00:00"))
    urls = [make_article(n).url for n in (1, 2, 3)]
    assert store.known_articles(urls) == {
        urls[0]: KnownArticle(urls[0], "2026-11-28T09:30:00+08:00"),
        urls[1]: KnownArticle(urls[1], "2026-11-28T03:00:00+00:00"),
    }


def test_aliases_make_a_url_known_as_its_article(store: Store, db_url: str) -> None:
    store.upsert_article(make_article(1))
    store.upsert_article(make_article(2))
    first, second = make_article(1).url, make_article(2).url
    moved = "http://en.cppcc.gov.cn/2026-11/27/c_99.htm"
    assert store.add_aliases("http://en.cppcc.gov.cn/nowhere.htm", [moved]) == 0  # not stored
    assert store.add_aliases(first, [moved, first]) == 1  # an article is not its own alias
    known = store.known_articles([moved, second, "http://x/unknown"])
    assert known == {
        moved: KnownArticle(first, "2026-11-28T09:30:00+08:00"),
        second: KnownArticle(second, "2026-11-28T09:30:00+08:00"),
    }
    assert set(store.known_articles([moved])) == {moved}
    assert store.add_aliases(second, [moved, second]) == 1  # the redirect now goes elsewhere
    assert store.known_articles([moved])[moved].url == second
    assert store.add_aliases(first, [second]) == 1
    assert store.known_articles([second])[second].url == second  # a stored article wins
    assert rows(db_url, "SELECT url, article_id FROM article_aliases ORDER BY url") == [
        (moved, 2),
        (second, 1),
    ]


def test_iter_articles_streams_in_id_order_and_allows_writes(store: Store) -> None:
    for n in range(5):
        store.upsert_article(make_article(n, captions=[] if n else ["caption"]))
    seen = []
    for article_id, article in store.iter_articles(batch_size=2, with_pages=True):
        seen.append((article_id, article.url))
        assert article.body == BODY and article.entities is None
        assert article.pages == make_article(int(article.url.split("c_")[1][:-4])).pages
        store.replace_entities(article_id, sample_entities())
    assert seen == [(n + 1, make_article(n).url) for n in range(5)]
    first = next(store.iter_articles())[1]
    assert first.captions == ["caption"] and first.content_hash == content_hash("Article 0", BODY)
    assert next(store.iter_articles())[1].pages == []


def test_a_reader_reads_while_a_write_transaction_is_open(store: Store, db_url: str) -> None:
    store.upsert_article(make_article(1))
    with store.transaction():
        store.upsert_article(make_article(2))
        assert rows(db_url, "SELECT count(*) FROM articles") == [(1,)]
    assert rows(db_url, "SELECT count(*) FROM articles") == [(2,)]


def test_two_stores_on_one_database_take_turns(db_url: str) -> None:
    first, second = Store.open(db_url), Store.open(db_url)
    try:
        first.upsert_article(make_article(1, entities=sample_entities()))
        second.upsert_article(make_article(2, entities=sample_entities()))
        assert set(second.known_articles([make_article(1).url])) == {make_article(1).url}
    finally:
        first.close()
        second.close()
    assert rows(db_url, "SELECT count(*) FROM entities") == [(4,)]


def test_a_database_locked_too_long_is_a_clear_error(
    sqlite_url: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_dialect, "BUSY_TIMEOUT_MS", 50)
    with Store.open(sqlite_url) as store:
        other = sqlite3.connect(db_path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(DatabaseError, match=r"locked by another writer .* 0.05 s"):
                store.upsert_article(make_article())
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert store.upsert_article(make_article()).status == "new"


def test_a_postgresql_writer_waits_for_the_write_lock_and_gives_up_clearly(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgresql_dialect, "LOCK_TIMEOUT_MS", 50)
    with Store.open(pg_url) as store:
        other = create_engine(pg_url, poolclass=NullPool)
        try:
            with other.connect() as holder:  # another writer, in the middle of its transaction
                holder.execute(
                    text("SELECT pg_advisory_lock(:key)"),
                    {"key": postgresql_dialect.WRITE_LOCK_KEY},
                )
                with pytest.raises(DatabaseError, match=r"locked by another writer .* 0.05 s"):
                    store.upsert_article(make_article())
        finally:
            other.dispose()
        assert store.upsert_article(make_article()).status == "new"


# -- read-only -------------------------------------------------------------------------------


def test_a_readonly_store_reads_but_refuses_writes(db_url: str, db_path: Path) -> None:
    with Store.open(db_url) as writer:
        writer.upsert_article(make_article())
        writer.start_run("cppcc")
    sqlite = db_url.startswith("sqlite")
    before = file_digest(db_path) if sqlite else None
    with Store.open(db_url, readonly=True) as reader:
        assert [run["spider"] for run in reader.runs()] == ["cppcc"]
        assert set(reader.known_articles([make_article().url])) == {make_article().url}
        with pytest.raises(DatabaseError, match="read-only"):
            reader.upsert_article(make_article(2))
        with pytest.raises(DatabaseError, match="read-only"):
            reader.record_reject("http://x", "parse", "why")
    assert rows(db_url, "SELECT count(*) FROM articles") == [(1,)]
    assert rows(db_url, "SELECT count(*) FROM rejects") == [(0,)]
    if sqlite:
        assert file_digest(db_path) == before


# -- crawl runs and rejects ------------------------------------------------------------------


def test_runs_are_logged_newest_first(store: Store) -> None:
    first = store.start_run("cppcc", settings={"CPPCC_WATCH_MAX_ARTICLES": 10})
    second = store.start_run("chinadaily")
    (running,) = store.runs(spider="chinadaily")
    assert running["status"] == "running" and running["finished_at"] is None
    assert running["host"] and running["pid"] > 0
    store.finish_run(
        first,
        status="ok",
        reason=None,
        counts={"listing_pages": 3, "article_pages": 20, "new": 18, "updated": 1, "unchanged": 1},
    )
    runs = store.runs()
    assert [run["id"] for run in runs] == [second, first]
    done = runs[1]
    assert (done["status"], done["listing_pages"], done["new"], done["rejected"]) == (
        "ok",
        3,
        18,
        0,
    )
    assert done["finished_at"] >= done["started_at"]
    assert done["settings_json"] == '{"CPPCC_WATCH_MAX_ARTICLES": 10}'
    assert [run["id"] for run in store.runs(limit=1)] == [second]
    with pytest.raises(ValueError, match="unknown run counts: pages"):
        store.finish_run(second, status="ok", reason=None, counts={"pages": 1})
    with pytest.raises(ValueError):
        store.finish_run(second, status="running", reason=None, counts={})
    with pytest.raises(DatabaseError, match="No crawl run"):
        store.finish_run(999, status="failed", reason="x", counts={})


def test_rejects_are_recorded_per_run(store: Store) -> None:
    run_id = store.start_run("cppcc")
    store.record_reject("http://a", "request", "HTTP 404", run_id=run_id)
    store.record_reject("http://b", "validate", "no title")
    assert [(r["url"], r["stage"], r["reason"]) for r in store.rejects(run_id)] == [
        ("http://a", "request", "HTTP 404")
    ]
    assert [r["run_id"] for r in store.rejects()] == [run_id, None]
    with pytest.raises(ValueError, match="unknown reject stage"):
        store.record_reject("http://c", "somewhere", "why")


def test_stale_running_runs_are_marked_interrupted(store: Store, db_url: str) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(ended.stdout)
    stale = store.start_run("cppcc")
    alive = store.start_run("chinadaily")
    execute(db_url, "UPDATE crawl_runs SET pid = :pid WHERE id = :id", pid=dead_pid, id=stale)
    assert store.mark_stale_runs() == 1
    statuses = {run["id"]: (run["status"], run["reason"]) for run in store.runs()}
    assert statuses[stale] == ("interrupted", f"process {dead_pid} ended without finishing the run")
    assert statuses[alive] == ("running", None)
    assert store.mark_stale_runs() == 0

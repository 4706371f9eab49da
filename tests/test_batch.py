"""Article batches of a crawl on a real SQLite file: what is visible to whom and when, commits by
count and by time, a failing article or commit, the lock left free between batches, and a crawl
whose batch cannot be committed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cppcc_watch.errors import DatabaseError
from cppcc_watch.extract.types import Entity
from cppcc_watch.store import Store, UpsertResult
from cppcc_watch.store.batch import ArticleBatch
from tests.test_store import (
    execute,
    extraction,
    make_article,
    mention,
    rows,
    sample_entities,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Timers:
    """A schedule that records the calls it is asked for; the test fires them."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, Callable[[], None], list[bool]]] = []

    def __call__(self, seconds: float, function: Callable[[], None]) -> Timers.Handle:
        cancelled = [False]
        self.calls.append((seconds, function, cancelled))
        return Timers.Handle(cancelled)

    class Handle:
        def __init__(self, cancelled: list[bool]) -> None:
            self.cancelled = cancelled

        def cancel(self) -> None:
            self.cancelled[0] = True

    def fire_due(self) -> None:
        for _, function, cancelled in self.calls:
            if not cancelled[0]:
                cancelled[0] = True
                function()


class Outcomes:
    """What a batch reported for each article."""

    def __init__(self) -> None:
        self.stored: list[UpsertResult] = []
        self.lost: list[str] = []

    def upsert(self, batch: ArticleBatch, n: int, **fields: object) -> UpsertResult:
        return batch.upsert(
            make_article(n, **fields), self.stored.append, lambda e: self.lost.append(str(e))
        )


def committed_urls(db_url: str) -> set[str]:
    """The article URLs another connection (another process, an analyst) sees."""
    return {row[0] for row in rows(db_url, "SELECT url FROM articles")}


@pytest.fixture
def batch(store: Store) -> Iterator[ArticleBatch]:
    made = ArticleBatch(store, every=3, seconds=0, rest=0)
    yield made
    made.commit()


def test_a_batch_is_seen_by_its_own_connection_at_once_and_by_others_when_committed(
    store: Store, batch: ArticleBatch, db_url: str
) -> None:
    outcomes = Outcomes()
    urls = [make_article(n).url for n in (1, 2)]
    for n in (1, 2):
        assert outcomes.upsert(batch, n).status == "new"
    assert set(store.known_articles(urls)) == set(urls)  # the spider's check sees the open batch
    assert committed_urls(db_url) == set()
    assert outcomes.stored == [] and batch.pending == 2  # counted only once committed
    outcomes.upsert(batch, 3)  # the third fills the batch: committed
    assert committed_urls(db_url) == {make_article(n).url for n in (1, 2, 3)}
    assert [r.status for r in outcomes.stored] == ["new", "new", "new"]
    assert not batch.is_open and outcomes.lost == []


def test_an_article_twice_in_one_batch_is_unchanged_the_second_time(
    batch: ArticleBatch, db_url: str
) -> None:
    outcomes = Outcomes()
    outcomes.upsert(batch, 1)
    outcomes.upsert(batch, 1)
    outcomes.upsert(batch, 1, body="A new text.")
    assert [r.status for r in outcomes.stored] == ["new", "unchanged", "updated"]
    assert committed_urls(db_url) == {make_article(1).url}


def test_the_timer_commits_a_batch_that_is_not_full(store: Store, db_url: str) -> None:
    timers = Timers()
    batch = ArticleBatch(store, every=100, seconds=0.5, schedule=timers, rest=0)
    outcomes = Outcomes()
    outcomes.upsert(batch, 1)
    outcomes.upsert(batch, 2)
    assert [seconds for seconds, _, _ in timers.calls] == [0.5]  # one timer, from the first
    timers.fire_due()
    assert committed_urls(db_url) == {make_article(1).url, make_article(2).url}
    assert len(outcomes.stored) == 2
    outcomes.upsert(batch, 3)
    batch.commit()  # an explicit commit calls the next timer off
    assert timers.calls[-1][2] == [True]
    assert len(outcomes.stored) == 3


def test_a_failing_article_is_undone_alone_and_the_batch_goes_on(
    batch: ArticleBatch, db_url: str
) -> None:
    outcomes = Outcomes()
    outcomes.upsert(batch, 1)
    with pytest.raises(ValueError, match="unknown entity kind"):
        outcomes.upsert(batch, 2, entities=extraction(Entity(kind="person", name="Li Ming")))
    outcomes.upsert(batch, 3)
    batch.commit()
    assert committed_urls(db_url) == {make_article(1).url, make_article(3).url}
    assert len(outcomes.stored) == 2 and outcomes.lost == []


def test_a_failed_commit_loses_the_whole_batch_reports_each_article_and_the_next_one_works(
    store: Store, batch: ArticleBatch, db_url: str
) -> None:
    with store.transaction():
        store.connection.exec_driver_sql(
            "CREATE TABLE trap (article_id INTEGER REFERENCES articles (id) "
            "DEFERRABLE INITIALLY DEFERRED)"
        )
    outcomes = Outcomes()
    outcomes.upsert(batch, 1)
    outcomes.upsert(batch, 2)
    store.connection.exec_driver_sql("INSERT INTO trap VALUES (-5)")  # fails only at commit
    batch.commit()
    assert len(outcomes.lost) == 2 and "foreign key" in outcomes.lost[0].lower()
    assert outcomes.stored == []
    assert committed_urls(db_url) == set()
    assert set(store.known_articles([make_article(1).url])) == set()  # rolled back on this side too
    outcomes.upsert(batch, 1)
    batch.commit()
    assert committed_urls(db_url) == {make_article(1).url}
    assert [r.status for r in outcomes.stored] == ["new"]


def test_the_rows_of_a_batchs_articles_are_read_back_before_the_commit(
    store: Store, batch: ArticleBatch, db_url: str
) -> None:
    outcomes = Outcomes()
    article_id = outcomes.upsert(batch, 1, entities=sample_entities()).article_id
    assert store.raw_pages(article_id) == make_article(1).pages  # the Store's reads see them
    assert rows(db_url, "SELECT count(*) FROM mentions") == [(0,)]  # others see nothing yet
    batch.commit()
    assert rows(db_url, "SELECT count(*) FROM mentions") == [(4,)]
    assert rows(db_url, "SELECT count(*) FROM mention_spans") == [(4,)]


def fail_spans_with_text(db_url: str, text: str) -> None:
    """Make the database refuse any span whose text is `text` (as a broken disk would)."""
    if db_url.startswith("sqlite"):
        execute(
            db_url,
            f"CREATE TRIGGER refuse BEFORE INSERT ON mention_spans WHEN new.text = '{text}' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        return
    execute(
        db_url,
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.text = '{text}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$",
    )
    execute(
        db_url,
        "CREATE TRIGGER refuse BEFORE INSERT ON mention_spans "
        "FOR EACH ROW EXECUTE FUNCTION refuse()",
    )


@pytest.mark.parametrize("ended_by", ["commit", "read"])
def test_kept_rows_the_database_refuses_lose_the_whole_batch(
    store: Store, batch: ArticleBatch, db_url: str, ended_by: str
) -> None:
    fail_spans_with_text(db_url, "Members")
    outcomes = Outcomes()
    outcomes.upsert(batch, 1, entities=sample_entities())
    members = extraction(Entity("theme", "membership", [mention("Members")]))
    outcomes.upsert(batch, 2, entities=members)  # kept: refused only when written
    if ended_by == "read":
        with pytest.raises(DatabaseError, match=r"refused.* The transaction was rolled back\."):
            store.known_articles([make_article(1).url])
        assert not store.transaction_alive()
    batch.commit()
    assert len(outcomes.lost) == 2 and outcomes.stored == []
    assert committed_urls(db_url) == set()
    assert rows(db_url, "SELECT count(*) FROM entities") == [(0,)]
    outcomes.upsert(batch, 3, entities=sample_entities())  # the Store goes on
    batch.commit()
    assert committed_urls(db_url) == {make_article(3).url}
    assert rows(db_url, "SELECT count(*) FROM mention_spans") == [(4,)]


def test_after_a_commit_the_lock_is_left_free_for_a_while(store: Store, db_url: str) -> None:
    clock = Clock()
    batch = ArticleBatch(store, every=2, seconds=0, rest=0.15, clock=clock)
    outcomes = Outcomes()
    outcomes.upsert(batch, 1)
    outcomes.upsert(batch, 2)  # full: committed
    outcomes.upsert(batch, 3)  # resting: its own transaction, committed at once
    assert not batch.is_open and make_article(3).url in committed_urls(db_url)
    assert len(outcomes.stored) == 3
    clock.now += 0.2
    outcomes.upsert(batch, 4)  # rested: a new batch
    assert batch.is_open and make_article(4).url not in committed_urls(db_url)
    batch.commit()


def test_every_one_is_one_transaction_per_article(store: Store, db_url: str) -> None:
    batch = ArticleBatch(store, every=1, seconds=0, rest=0)
    outcomes = Outcomes()
    outcomes.upsert(batch, 1)
    assert not batch.is_open and committed_urls(db_url) == {make_article(1).url}
    assert [r.status for r in outcomes.stored] == ["new"]


def test_a_crawl_whose_batch_cannot_be_committed_records_every_article_and_catches_up(
    tmp_path: Path,
) -> None:
    """A real crawl (both spiders in one process, one shared Store); one article makes the commit
    of its batch fail: the batch's articles are store rejects, not counted; the next run fetches
    them."""
    from tests.chaos_server import ChaosMirror
    from tests.test_end_to_end import A3, CD_LINKED, CPPCC_LINKED, build_sites
    from tests.unattended import crawl, query

    db_path = tmp_path / "trap.db"
    db_url = f"sqlite:///{db_path}"
    Store.open(db_url).close()
    conn = sqlite3.connect(db_path)
    conn.executescript(
        "CREATE TABLE trap (article_id INTEGER REFERENCES articles (id) "
        "DEFERRABLE INITIALLY DEFERRED);"
        f"CREATE TRIGGER trap_one AFTER INSERT ON articles WHEN new.url = '{A3.url}' "
        "BEGIN INSERT INTO trap VALUES (-1); END;"
    )
    conn.close()
    with ChaosMirror() as mirror:
        build_sites(mirror)
        first = crawl(db_url, mirror, CPPCC_WATCH_COMMIT_SECONDS=30)
        stored = committed_urls(db_url)
        lost = {r[0] for r in query(db_url, "SELECT url FROM rejects WHERE stage = 'store'")}
        runs = {r["spider"]: dict(r) for r in query(db_url, "SELECT * FROM crawl_runs")}
        conn = sqlite3.connect(db_path)
        conn.execute("DROP TRIGGER trap_one")
        conn.commit()
        conn.close()
        second = crawl(db_url, mirror)
    every = {s.url for s in [*CPPCC_LINKED, *CD_LINKED]}
    assert A3.url in lost and A3.url not in stored
    assert lost | stored == every and not lost & stored  # each article stored or recorded
    assert runs["cppcc"]["new"] + runs["chinadaily"]["new"] == len(stored)  # counts are exact
    assert first.returncode == 1  # the cppcc run stored less than it lost
    assert "cppcc: ok: " in second.stdout, second.stderr  # (chinadaily's few are a fixture's)
    assert committed_urls(db_url) == every

"""Crawl health against history: a run compared with the same source's previous successful runs,
the figures the crawl log keeps for that, and runs whose pipelines failed on every article."""

from __future__ import annotations

import os

import pytest

from cppcc_watch.health import RunCounts, assess_history, assess_run
from cppcc_watch.store import Store
from cppcc_watch.store.runs import (
    close_orphaned_runs,
    figures_of,
    last_status,
    previous_runs,
    save_figures,
)


def run(parsed: int = 10, title: int = 10, date: int = 10, body: int = 10, new: int = 10):
    return RunCounts(
        listing_pages=2,
        links_found=parsed,
        articles_requested=parsed,
        parsed=parsed,
        with_title=title,
        with_date=date,
        with_body=body,
        new=new,
    )


USUAL = [run(), run(body=9, new=8), run(date=9, new=12)]


def test_a_run_like_the_previous_ones_is_ok() -> None:
    assert assess_history(run(body=9, new=9), USUAL).status == "ok"


def test_without_history_nothing_is_compared() -> None:
    assert assess_history(run(body=0, new=0), []).status == "ok"


@pytest.mark.parametrize(
    ("current", "words"),
    [
        (run(body=1), "10% of the articles had bodies where the last 3 run(s) had 100%"),
        (run(date=2), "20% of the articles had dates where the last 3 run(s) had 100%"),
        (run(title=0, new=0), "0% of the articles had titles"),
        (run(parsed=1, title=1, date=1, body=1, new=1), "only 1 new article(s) where the last 3"),
    ],
)
def test_a_run_far_worse_than_usual_fails_with_the_reason(current: RunCounts, words: str) -> None:
    verdict = assess_history(current, USUAL)
    assert verdict.status == "failed"
    assert words in (verdict.reason or "")


def test_few_new_articles_are_normal_for_a_source_that_usually_has_few() -> None:
    hourly = [run(parsed=2, title=2, date=2, body=2, new=2) for _ in range(5)]
    assert assess_history(RunCounts(listing_pages=1, links_found=20), hourly).status == "ok"


def test_one_big_first_crawl_does_not_make_an_incremental_run_fail() -> None:
    assert assess_history(RunCounts(listing_pages=2, links_found=40), [run(new=300)]).status == "ok"


def test_a_drop_of_zero_turns_the_comparison_off() -> None:
    assert assess_history(run(body=0), USUAL, drop=0).status == "ok"


def test_pipelines_failing_on_every_article_fail_the_run() -> None:
    counts = RunCounts(
        listing_pages=1, links_found=4, articles_requested=4, parsed=4, with_title=4,
        with_date=4, with_body=4, store_errors=4,
    )  # fmt: skip
    verdict = assess_run(counts, first_store_error="NotADirectoryError: data/orgs.tsv")
    assert verdict.status == "failed"
    assert verdict.reason == (
        "4 article(s) could not be extracted or stored, 0 were (NotADirectoryError: data/orgs.tsv)"
    )
    assert assess_run(RunCounts(**{**counts.to_json(), "new": 9})).status == "ok"


def test_figures_are_kept_with_the_run_and_read_back(db_url: str) -> None:
    with Store.open(db_url) as store:
        ids = []
        for status, new in (("ok", 5), ("failed", 0), ("ok", 7), ("interrupted", 1)):
            run_id = store.start_run("cppcc", settings={"CPPCC_WATCH_MAX_ARTICLES": 0})
            figures = run(new=new).to_json()
            save_figures(store, run_id, figures)
            store.finish_run(run_id, status=status, reason=None, counts={"new": new})
            ids.append(run_id)
        other = store.start_run("chinadaily")
        store.finish_run(other, status="ok", reason=None, counts={"new": 1})
        current = store.start_run("cppcc")
        earlier = previous_runs(store, "cppcc", before=current, limit=5)
        assert [r["id"] for r in earlier] == [ids[2], ids[0]]  # ok runs of cppcc, newest first
        assert RunCounts.from_json(figures_of(earlier[0])) == run(new=7)
        assert figures_of(store.runs(spider="chinadaily")[0])["new"] == 1  # no figures: columns
        assert last_status(store, "cppcc", before=current) == "interrupted"
        assert last_status(store, "chinadaily", before=other) is None
        settings = store.runs(spider="cppcc", limit=None)[-1]["settings_json"]
        assert '"CPPCC_WATCH_MAX_ARTICLES": 0' in settings  # the settings stay beside them


def test_runs_left_running_are_closed_by_the_next_lock_holder_even_if_their_pid_lives(
    db_url: str,
) -> None:
    with Store.open(db_url) as store:
        orphan = store.start_run("cppcc")  # "running", with this (live) process's pid
        other = store.start_run("chinadaily")
        assert store.mark_stale_runs() == 0  # the pid is alive: liveness alone cannot tell
        assert close_orphaned_runs(store, "cppcc") == 1
        rows = {r["id"]: r for r in store.runs()}
        assert rows[orphan]["status"] == "interrupted"
        assert rows[orphan]["reason"] == f"process {os.getpid()} ended without finishing the run"
        assert rows[orphan]["finished_at"]
        assert rows[other]["status"] == "running"

"""The crawl health verdict: which counts make a run failed, and the reason given."""

from __future__ import annotations

import pytest

from cppcc_watch.health import RunCounts, assess_run

HEALTHY = RunCounts(
    listing_pages=3,
    article_pages=10,
    links_found=30,
    parsed=10,
    with_title=10,
    with_date=10,
    with_body=10,
    new=10,
    articles_requested=10,
)


def test_a_healthy_run_is_ok() -> None:
    assert assess_run(HEALTHY).status == "ok"


def test_an_incremental_run_with_nothing_new_is_ok() -> None:
    counts = RunCounts(listing_pages=5, links_found=50)
    assert assess_run(counts) == assess_run(counts).__class__("ok")


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        (RunCounts(), "could not fetch any listing page (DNS lookup failed for x)"),
        (RunCounts(listing_pages=4), "yielded no article links"),
        (RunCounts(listing_pages=1, links_found=5, articles_requested=5), "none of the 5 article"),
        (
            RunCounts(
                listing_pages=1,
                links_found=10,
                parsed=10,
                with_title=10,
                with_date=10,
                with_body=3,
                articles_requested=10,
            ),
            "only 3 of 10 articles had a body",
        ),
        (
            RunCounts(
                listing_pages=1,
                links_found=10,
                parsed=10,
                with_title=5,
                with_date=10,
                with_body=10,
                articles_requested=10,
            ),
            "only 5 of 10 articles had a title",
        ),
    ],
)
def test_failed_runs_say_why(counts: RunCounts, words: str) -> None:
    verdict = assess_run(counts, first_error="DNS lookup failed for x")
    assert verdict.status == "failed"
    assert words in (verdict.reason or "")


def test_the_field_share_threshold_is_a_setting() -> None:
    counts = RunCounts(
        listing_pages=1,
        links_found=10,
        parsed=10,
        with_title=10,
        with_date=7,
        with_body=10,
        articles_requested=10,
    )
    assert assess_run(counts, min_field_share=0.8).status == "failed"
    assert assess_run(counts, min_field_share=0.5).status == "ok"

"""Crawl health: whether a run's counts mean it worked, and if not, why (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunCounts:
    """What one spider run did; the numbers a health verdict is drawn from."""

    listing_pages: int = 0
    article_pages: int = 0
    links_found: int = 0
    parsed: int = 0
    with_title: int = 0
    with_date: int = 0
    with_body: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed_requests: int = 0
    articles_requested: int = 0


@dataclass(frozen=True)
class Verdict:
    """The status of a run ("ok" or "failed") and the reason when it failed."""

    status: str
    reason: str | None = None


def assess_run(
    counts: RunCounts, *, min_field_share: float = 0.8, first_error: str = ""
) -> Verdict:
    """Decide whether a run succeeded: a source that yields nothing, or far fewer fields, failed."""
    detail = f" ({first_error})" if first_error else ""
    if counts.listing_pages == 0:
        return Verdict("failed", f"could not fetch any listing page{detail}")
    if counts.links_found == 0:
        return Verdict(
            "failed",
            f"{counts.listing_pages} listing page(s) yielded no article links "
            "(has the page template changed?)",
        )
    if counts.articles_requested and counts.parsed == 0:
        return Verdict(
            "failed",
            f"none of the {counts.articles_requested} article pages requested could be fetched"
            f"{detail}",
        )
    if counts.parsed:
        for field, present in (
            ("a title", counts.with_title),
            ("a date", counts.with_date),
            ("a body", counts.with_body),
        ):
            share = present / counts.parsed
            if share < min_field_share:
                return Verdict(
                    "failed",
                    f"only {present} of {counts.parsed} articles had {field} "
                    f"({share:.0%} < {min_field_share:.0%}; has the page template changed?)",
                )
    return Verdict("ok")

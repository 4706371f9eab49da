"""Crawl health: whether a run's counts mean it worked, and if not, why (docs/SPEC.md §5).

Two checks: `assess_run` judges a run on its own counts (nothing fetched, no links, too few
fields); `assess_history` compares it with the same source's previous successful runs (a share of
titles, dates or bodies, or a number of new articles, far below its usual level).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from statistics import median
from typing import Any


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
    rechecks: int = 0
    retries: int = 0
    retries_exhausted: int = 0
    store_errors: int = 0

    def to_json(self) -> dict[str, int]:
        """The counts as a plain dict (what the crawl log keeps of a run's figures)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunCounts:
        """Counts from a dict written by `to_json` (unknown keys ignored, missing ones 0)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: int(v or 0) for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Verdict:
    """The status of a run ("ok" or "failed") and the reason when it failed."""

    status: str
    reason: str | None = None


def assess_run(
    counts: RunCounts,
    *,
    min_field_share: float = 0.8,
    first_error: str = "",
    first_store_error: str = "",
) -> Verdict:
    """Decide whether a run succeeded: a source that yields nothing, or far fewer fields, failed;
    so did a run whose pipelines failed on more articles than they stored."""
    detail = f" ({first_error})" if first_error else ""
    stored = counts.new + counts.updated + counts.unchanged
    if counts.store_errors and counts.store_errors >= stored:
        why = f" ({first_store_error})" if first_store_error else ""
        return Verdict(
            "failed",
            f"{counts.store_errors} article(s) could not be extracted or stored, "
            f"{stored} were{why}",
        )
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


#: A run's figure below this share of its usual level (the median of earlier runs) is "far worse".
DEFAULT_DROP = 0.25
#: The number of new articles is compared only when the usual number is at least this...
MIN_USUAL_NEW = 4
#: ...over at least this many previous runs (one big first crawl is not "usual").
MIN_RUNS_FOR_NEW = 3
_FIELDS = (("titles", "with_title"), ("dates", "with_date"), ("bodies", "with_body"))


def assess_history(
    current: RunCounts, previous: list[RunCounts], *, drop: float = DEFAULT_DROP
) -> Verdict:
    """Compare a run with the source's previous successful runs (newest first).

    Failed when the share of parsed articles with a title, a date or a body falls below `drop`
    times its median over `previous`, or when the number of new articles does (once there are
    MIN_RUNS_FOR_NEW previous runs and the usual number is at least MIN_USUAL_NEW: an hourly crawl
    that usually finds nothing new is not judged on it). Runs that parsed nothing carry no field
    shares.
    """
    if not previous or drop <= 0:
        return Verdict("ok")
    runs = len(previous)
    if current.parsed:
        for label, name in _FIELDS:
            shares = [getattr(run, name) / run.parsed for run in previous if run.parsed]
            if not shares:
                continue
            usual = median(shares)
            share = getattr(current, name) / current.parsed
            if share < drop * usual:
                return Verdict(
                    "failed",
                    f"{share:.0%} of the articles had {label} where the last {len(shares)} "
                    f"run(s) had {usual:.0%} (has the page template changed?)",
                )
    usual_new = median(run.new for run in previous)
    if runs >= MIN_RUNS_FOR_NEW and usual_new >= MIN_USUAL_NEW and current.new < drop * usual_new:
        return Verdict(
            "failed",
            f"only {current.new} new article(s) where the last {runs} run(s) had a median of "
            f"{usual_new:g} (has the listing changed?)",
        )
    return Verdict("ok")

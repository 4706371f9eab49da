"""The crawl log's memory: a run's full figures, and what earlier runs of a spider did.

The health check compares a run with the same spider's previous successful runs, and a run that
follows an interrupted or failed one walks its listings deeper to finish the work. The figures
that `crawl_runs` has no column for (articles parsed, with a title/date/body, retries) are kept
in the run's `settings_json`, under the key "figures".
"""

from __future__ import annotations

import json
import socket
from contextlib import nullcontext
from typing import Any

from sqlalchemy import String, select, update

from cppcc_watch.store.repository import RUNS, Store, utc_now

FIGURES = "figures"


def save_figures(store: Store, run_id: int, figures: dict[str, int]) -> None:
    """Keep a run's figures in its `settings_json` (next to the settings it ran with)."""
    with store.transaction():
        conn = store.connection
        raw = conn.execute(select(RUNS.c.settings_json).where(RUNS.c.id == run_id)).scalar()
        data = _load(raw)
        data[FIGURES] = {name: int(value) for name, value in figures.items()}
        conn.execute(
            update(RUNS)
            .where(RUNS.c.id == run_id)
            .values(settings_json=json.dumps(data, sort_keys=True, default=str))
        )


def close_orphaned_runs(store: Store, spider: str) -> int:
    """Mark the spider's runs on this host still "running" as "interrupted"; count them.

    Call it holding the spider's crawl lock: a live crawl of the spider would hold the lock, so
    these runs' processes are gone, even when their pid has been reused since.
    """
    with store.transaction():
        result = store.connection.execute(
            update(RUNS)
            .where(
                RUNS.c.spider == spider,
                RUNS.c.status == "running",
                RUNS.c.host == socket.gethostname(),
            )
            .values(
                status="interrupted",
                finished_at=utc_now(),
                reason="process " + RUNS.c.pid.cast(String) + " ended without finishing the run",
            )
        )
    return int(result.rowcount or 0)


def figures_of(run: dict[str, Any]) -> dict[str, int]:
    """The figures of a `crawl_runs` row (as a dict): its saved figures over its count columns."""
    counts = {
        name: int(run.get(name) or 0)
        for name in ("listing_pages", "article_pages", "new", "updated", "unchanged")
    }
    counts.update(_load(run.get("settings_json")).get(FIGURES) or {})
    return counts


def previous_runs(
    store: Store, spider: str, *, before: int | None, limit: int, status: str | None = "ok"
) -> list[dict[str, Any]]:
    """The spider's finished runs (older than run `before`, if given), newest first; only the
    `status` ones unless it is None."""
    query = (
        select(RUNS)
        .where(RUNS.c.spider == spider, RUNS.c.status != "running")
        .order_by(RUNS.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(RUNS.c.id < before)
    if status is not None:
        query = query.where(RUNS.c.status == status)
    conn = store.connection
    with nullcontext() if conn.in_transaction() else conn.begin():
        return [dict(row._mapping) for row in conn.execute(query)]


def last_status(store: Store, spider: str, *, before: int | None = None) -> str | None:
    """How the spider's previous finished run ended ("ok", "failed", "interrupted"), if any."""
    runs = previous_runs(store, spider, before=before, limit=1, status=None)
    return runs[0]["status"] if runs else None


def _load(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

"""The Store's crawl log: one row per run of a spider, what it counted, what it rejected, and what
earlier runs of the spider did.

The health check compares a run with the same spider's previous successful runs, and a run that
follows an interrupted or failed one walks its listings deeper to finish the work. The figures
that `crawl_runs` has no column for (articles parsed, with a title/date/body, retries) are kept
in the run's `settings_json`, under the key "figures".

A run still "running" whose process is gone is closed as "interrupted" (`_interrupt`, the one
place that says how), found either way: by its pid no longer alive on this host
(`Store.mark_stale_runs`), or by the crawl lock of its spider being free (`close_orphaned_runs`).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, insert, select, update

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.base import StoreBase, utc_now
from cppcc_watch.store.schema import REJECT_STAGES, REJECTS, RUN_COUNTS, RUN_STATUSES, RUNS

FIGURES = "figures"


class Runs(StoreBase):
    """The Store's crawl runs and rejects."""

    def start_run(self, spider: str, *, settings: dict[str, Any] | None = None) -> int:
        """Record that a spider's run started in this process; return the run id."""
        with self._write() as conn:
            result = conn.execute(
                insert(RUNS).values(
                    spider=spider,
                    started_at=utc_now(),
                    status="running",
                    pid=os.getpid(),
                    host=socket.gethostname(),
                    settings_json=(
                        None
                        if settings is None
                        else json.dumps(settings, sort_keys=True, default=str)
                    ),
                )
            )
            key = result.inserted_primary_key
            if key is None:
                raise DatabaseError("The database did not report the id of a new row.")
            return int(key[0])

    def finish_run(
        self, run_id: int, *, status: str, reason: str | None, counts: dict[str, int]
    ) -> None:
        """Record how a run ended ("ok", "failed" or "interrupted"), why, and its counts.

        `counts` keys are among RUN_COUNTS (listing_pages, article_pages, new, updated,
        unchanged, rejected, failed_requests, retries); any other key is a ValueError.
        """
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(f"a run cannot finish with status {status!r}")
        unknown = sorted(set(counts) - set(RUN_COUNTS))
        if unknown:
            raise ValueError(f"unknown run counts: {', '.join(unknown)}")
        with self._write() as conn:
            result = conn.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id)
                .values(
                    status=status,
                    reason=reason,
                    finished_at=utc_now(),
                    **{key: int(value) for key, value in counts.items()},
                )
            )
            if result.rowcount == 0:
                raise DatabaseError(f"No crawl run with id {run_id} in {self.label}.")

    def record_reject(self, url: str, stage: str, reason: str, run_id: int | None = None) -> None:
        """Record that a URL or item was dropped at `stage` (request|parse|validate|store)."""
        if stage not in REJECT_STAGES:
            raise ValueError(f"unknown reject stage {stage!r}")
        with self._write() as conn:
            conn.execute(
                insert(REJECTS).values(
                    run_id=run_id, url=url, stage=stage, reason=reason, at=utc_now()
                )
            )

    def runs(self, limit: int | None = 50, spider: str | None = None) -> list[dict[str, Any]]:
        """The crawl log, newest first, as plain dicts of `crawl_runs` columns."""
        query = select(RUNS).order_by(RUNS.c.id.desc())
        if spider is not None:
            query = query.where(RUNS.c.spider == spider)
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def rejects(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Recorded rejects, oldest first (only those of one run when `run_id` is given)."""
        query = select(REJECTS).order_by(REJECTS.c.id)
        if run_id is not None:
            query = query.where(REJECTS.c.run_id == run_id)
        with self.reading() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def mark_stale_runs(self) -> int:
        """Mark 'running' runs of this host whose process is gone as 'interrupted'; count them."""
        with self.reading() as conn:
            rows = conn.execute(
                select(RUNS.c.id, RUNS.c.pid).where(
                    RUNS.c.status == "running", RUNS.c.host == socket.gethostname()
                )
            ).all()
        stale = [row.id for row in rows if row.pid is not None and not _pid_alive(row.pid)]
        if not stale:
            return 0
        with self._write() as conn:
            return _interrupt(conn, RUNS.c.id.in_(stale))


def close_orphaned_runs(store: Runs, spider: str) -> int:
    """Mark the spider's runs on this host still "running" as "interrupted"; count them.

    Call it holding the spider's crawl lock: a live crawl of the spider would hold the lock, so
    these runs' processes are gone, even when their pid has been reused since.
    """
    with store.transaction() as conn:
        return _interrupt(conn, RUNS.c.spider == spider)


def _interrupt(conn: Connection, which: ColumnElement[bool]) -> int:
    """Close the runs of this host still "running" that `which` picks as "interrupted", their
    process having ended without finishing them; count them."""
    result = conn.execute(
        update(RUNS)
        .where(which, RUNS.c.status == "running", RUNS.c.host == socket.gethostname())
        .values(
            status="interrupted",
            finished_at=utc_now(),
            reason="process " + RUNS.c.pid.cast(String) + " ended without finishing the run",
        )
    )
    return int(result.rowcount or 0)


def save_figures(store: Runs, run_id: int, figures: dict[str, int]) -> None:
    """Keep a run's figures in its `settings_json` (next to the settings it ran with)."""
    with store.transaction() as conn:
        raw = conn.execute(select(RUNS.c.settings_json).where(RUNS.c.id == run_id)).scalar()
        data = _load(raw)
        data[FIGURES] = {name: int(value) for name, value in figures.items()}
        conn.execute(
            update(RUNS)
            .where(RUNS.c.id == run_id)
            .values(settings_json=json.dumps(data, sort_keys=True, default=str))
        )


def figures_of(run: dict[str, Any]) -> dict[str, int]:
    """The figures of a `crawl_runs` row (as a dict): its saved figures over its count columns."""
    counts = {
        name: int(run.get(name) or 0)
        for name in ("listing_pages", "article_pages", "new", "updated", "unchanged")
    }
    counts.update(_load(run.get("settings_json")).get(FIGURES) or {})
    return counts


def previous_runs(
    store: Runs, spider: str, *, before: int | None, limit: int, status: str | None = "ok"
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
    with store.reading() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def last_status(store: Runs, spider: str, *, before: int | None = None) -> str | None:
    """How the spider's previous finished run ended ("ok", "failed", "interrupted"), if any."""
    runs = previous_runs(store, spider, before=before, limit=1, status=None)
    return runs[0]["status"] if runs else None


def _load(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True

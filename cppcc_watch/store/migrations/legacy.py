"""Databases written by release 0.1.0, before the schema moved to Alembic.

Release 0.1.0 built its schema with ten hand-made migrations and logged their names in the
table `schema_migrations`. A SQLite database listing all ten has exactly the schema of the
baseline revision 0010_release_0_1, so it is stamped at that revision and upgraded from there;
the log stays, with one more name (`MOVED_TO_ALEMBIC`) that release 0.1.0 does not know, so that
release refuses the database as written by a newer one. A log listing only some of the ten
needs release 0.1.0 to finish its own upgrade first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Connection, MetaData, Table, Text, insert, inspect, select

from cppcc_watch.errors import DatabaseError, SchemaTooNew

LOG_TABLE = "schema_migrations"
RELEASE_0_1 = (
    "0001_initial_schema",
    "0002_articles_fts",
    "0003_views",
    "0004_mentions_published_at",
    "0005_crawl_runs_retries",
    "0006_entity_months",
    "0007_entity_monthly_view",
    "0008_source_summary",
    "0009_articles_source_published",
    "0010_article_aliases",
)
#: The name this release adds to the log (the baseline revision writes it into new databases).
MOVED_TO_ALEMBIC = "0011_moved_to_alembic"
#: The revision a complete release-0.1.0 database is stamped at.
BASELINE = "0010_release_0_1"

_LOG = Table(
    LOG_TABLE, MetaData(), Column("name", Text, primary_key=True), Column("applied_at", Text)
)


def logged_migrations(conn: Connection) -> list[str] | None:
    """The names in the database's `schema_migrations`, or None when it has no such table."""
    if not inspect(conn).has_table(LOG_TABLE):
        return None
    return list(conn.scalars(select(_LOG.c.name).order_by(_LOG.c.name)))


def check_release_0_1(conn: Connection, names: list[str], label: str) -> None:
    """Make sure a database without an Alembic revision is a complete release-0.1.0 SQLite one."""
    unknown = [name for name in names if name not in RELEASE_0_1 and name != MOVED_TO_ALEMBIC]
    if unknown:
        raise SchemaTooNew(
            f"The database {label} was written by a newer cppcc-watch (schema migration "
            f"{unknown[-1]!r} is unknown to this release); upgrade cppcc-watch to use it."
        )
    missing = [name for name in RELEASE_0_1 if name not in names]
    if missing:
        raise DatabaseError(
            f"The database {label} has only {len(RELEASE_0_1) - len(missing)} of the "
            f"{len(RELEASE_0_1)} schema migrations of release 0.1.0 (missing {missing[0]}); "
            "upgrade it with cppcc-watch 0.1.0 first (any write command, such as crawl)."
        )
    if conn.dialect.name != "sqlite":
        raise DatabaseError(
            f"The database {label} was written by cppcc-watch 0.1.0, which built no full-text "
            "search nor summary triggers on PostgreSQL; it cannot be upgraded in place: "
            "crawl into a new database."
        )


def mark_moved(conn: Connection, names: list[str]) -> None:
    """Add `MOVED_TO_ALEMBIC` to the log of a release-0.1.0 database (once)."""
    if MOVED_TO_ALEMBIC not in names:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn.execute(insert(_LOG).values(name=MOVED_TO_ALEMBIC, applied_at=now))

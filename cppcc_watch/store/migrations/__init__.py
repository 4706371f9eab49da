"""The versioned schema: Alembic revisions in `versions/`, run from code (no alembic.ini).

`upgrade(engine)` brings a database to the newest revision and `pending_migrations(engine)`
says what that would apply. Revisions are frozen once released: each writes out its own DDL
instead of importing `schema.py`, and a schema change is a new revision (`0011_...`). The
database's revision is in Alembic's `alembic_version` table; one written by a newer release
(a revision this release does not know) raises SchemaTooNew and is left alone. A database
written by release 0.1.0 is recognised by its migration log (see `legacy`).

The upgrade holds the database's migration lock (see `Dialect.migration_transaction`) from the
check of the current revision to the commit, so processes starting together never race: the
second waits, then finds nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from cppcc_watch.errors import DatabaseError, SchemaTooNew
from cppcc_watch.store.dialects import dialect_of
from cppcc_watch.store.engine import describe
from cppcc_watch.store.migrations import legacy

SCRIPT_LOCATION = Path(__file__).resolve().parent
#: Tables whose presence, with no schema log of either kind, means the database is another's.
_OWN_TABLES = ("articles", "entities", "mentions", "crawl_runs")


def _config() -> Config:
    """Alembic's configuration, made in code: only where the revisions are."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION).replace("%", "%%"))
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@dataclass
class _Plan:
    """What an upgrade of one database has to do."""

    pending: list[str]
    #: The names in release 0.1.0's log, for a database still to be stamped at the baseline.
    legacy_log: list[str] | None = field(default=None)


def _plan(conn: Connection, label: str) -> _Plan:
    """Read the database's schema state and say what is left to apply."""
    script = _script()
    heads = MigrationContext.configure(conn).get_current_heads()
    if heads:
        known = {revision.revision for revision in script.walk_revisions()}
        unknown = [head for head in heads if head not in known]
        if unknown:
            raise SchemaTooNew(
                f"The database {label} was written by a newer cppcc-watch (schema migration "
                f"{unknown[0]!r} is unknown to this release); upgrade cppcc-watch to use it."
            )
        return _Plan(_after(script, heads[0]))
    names = legacy.logged_migrations(conn)
    if names is not None:
        legacy.check_release_0_1(conn, names, label)
        return _Plan(_after(script, legacy.BASELINE), legacy_log=names)
    foreign = [name for name in _OWN_TABLES if inspect(conn).has_table(name)]
    if foreign:
        raise DatabaseError(
            f"The database {label} already has tables not made by cppcc-watch "
            f"({', '.join(foreign)}); use another database file."
        )
    return _Plan(_after(script, None))


def _after(script: ScriptDirectory, current: str | None) -> list[str]:
    """The revisions after `current` (None: all of them), oldest first."""
    newer = script.iterate_revisions("heads", current or "base")
    return [revision.revision for revision in reversed(list(newer))]


def pending_migrations(engine: Engine) -> list[str]:
    """The revisions this database still needs, oldest first (SchemaTooNew when too new).

    A database of release 0.1.0 not yet stamped needs only what came after it: its schema is
    the baseline's, so a read-only open can use it as it is.
    """
    with engine.connect() as conn, conn.begin():
        return _plan(conn, describe(engine)).pending


def upgrade(engine: Engine) -> list[str]:
    """Bring the database to the newest revision; return the revisions applied, oldest first.

    Everything happens in one transaction holding the migration lock, after re-reading the
    database's revision under that lock; a release-0.1.0 database is stamped at the baseline
    first (nothing of it is rebuilt).
    """
    label = describe(engine)
    with engine.connect() as conn:
        with conn.begin():
            plan = _plan(conn, label)
        if not plan.pending and plan.legacy_log is None:
            return []
        with dialect_of(conn).migration_transaction(conn):
            plan = _plan(conn, label)
            config = _config()
            applied: list[str] = []
            config.attributes.update(connection=conn, applied=applied)
            if plan.legacy_log is not None:
                legacy.mark_moved(conn, plan.legacy_log)
                command.stamp(config, legacy.BASELINE)
            if plan.pending:
                command.upgrade(config, "heads")
    return applied

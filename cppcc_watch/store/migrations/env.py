"""Alembic's environment: run the revisions on the connection that `upgrade()` hands in.

There is no alembic.ini and no offline (SQL script) mode: `cppcc_watch.store.migrations` builds
the configuration in code and passes an open connection, already inside the transaction that
holds the migration lock, in `config.attributes["connection"]`. Each revision applied is added
to `config.attributes["applied"]`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo

config = context.config
applied: list[str] = config.attributes["applied"]


def _record(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    if step.is_upgrade and not step.is_stamp and step.up_revision_id is not None:
        applied.append(step.up_revision_id)


context.configure(connection=config.attributes["connection"], on_version_apply=_record)
with context.begin_transaction():
    context.run_migrations()

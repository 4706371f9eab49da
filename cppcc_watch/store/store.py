"""The Store: the cppcc-watch database as pipelines, the CLI and notebooks write and read it.

Pipelines, the CLI and notebooks work through `Store` (sqlite-utils style: the library is the
API, the CLI a thin shell). Its parts, by what they store:
- `base.StoreBase`: the connection, its read and write transactions;
- `articles.Articles`: articles with their versions, raw pages and aliases;
- `mentions.Mentions`: entities and the mentions of them;
- `runs.Runs`: the crawl log, its rejects and figures.

Writing many articles, `with store.transaction(): ...` groups them into one commit (each upsert
inside still all-or-nothing, through a savepoint): on SQLite a commit, not the SQL, is the main
cost of an upsert.
"""

from __future__ import annotations

from cppcc_watch.errors import DatabaseError
from cppcc_watch.store.articles import Articles
from cppcc_watch.store.engine import describe, open_engine
from cppcc_watch.store.migrations import pending_migrations, upgrade
from cppcc_watch.store.runs import Runs


class Store(Articles, Runs):
    """The cppcc-watch database: articles, entities, mentions, crawl runs and rejects."""

    @classmethod
    def open(cls, url: str, *, readonly: bool = False) -> Store:
        """Open the database at `url`, upgrading its schema first unless `readonly`.

        A read-only open of a database whose schema is missing or outdated raises DatabaseError:
        any write command (a crawl, reprocess) upgrades it.
        """
        engine = open_engine(url, readonly=readonly)
        try:
            if readonly:
                pending = pending_migrations(engine)
                if pending:
                    raise DatabaseError(
                        f"The database {describe(engine)} has an outdated or missing schema "
                        f"({len(pending)} migrations to apply, up to {pending[-1]}); "
                        "run any write command (such as crawl) to upgrade it."
                    )
            else:
                upgrade(engine)
            return cls(engine, readonly=readonly)
        except BaseException:
            engine.dispose()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

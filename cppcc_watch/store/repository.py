"""The store's API: upsert articles with their pages and mentions, log crawl runs and rejects.

Pipelines, the CLI and notebooks write through `Store` (sqlite-utils style: the library is the
API, the CLI a thin shell). A `Store` keeps one connection; every write is one transaction that
takes SQLite's write lock at once (BEGIN IMMEDIATE), so an article is never stored without its
pages and mentions, and two writers wait for each other instead of failing. Reads run in short
transactions so that no snapshot is held between calls.

Writing many articles, `with store.transaction(): ...` groups them into one commit (each upsert
inside still all-or-nothing, through a savepoint): on SQLite a commit, not the SQL, is the
main cost of an upsert. Hold such a transaction briefly: it keeps other writers waiting.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from cppcc_watch.errors import DatabaseError
from cppcc_watch.extract.types import Entity, Extraction
from cppcc_watch.items import Article, RawPage, content_hash
from cppcc_watch.store.dialects import IMMEDIATE
from cppcc_watch.store.engine import (
    database_error,
    describe,
    is_sqlite,
    keep_temp_files_in_memory,
    open_engine,
)
from cppcc_watch.store.migrations import pending_migrations, upgrade
from cppcc_watch.store.schema import (
    ALIASES,
    ARTICLES,
    ENTITIES,
    ENTITY_KINDS,
    MENTIONS,
    PAGES,
    REJECT_STAGES,
    REJECTS,
    RUN_COUNTS,
    RUN_STATUSES,
    RUNS,
    SPANS,
    VERSIONS,
)

#: Rows per `IN (...)` query: below SQLite's oldest limit of 999 bound variables.
IN_CHUNK = 500
GZIP_LEVEL = 6
_ENTITY_ATTRIBUTES = ("acronym", "code", "province", "region", "latitude", "longitude")

ARTICLE_COLUMNS = (
    "url",
    "source",
    "section",
    "title",
    "published_at",
    "updated_at",
    "author",
    "outlet",
    "body",
    "captions",
    "fetched_at",
    "content_hash",
)
_VERSION_COLUMNS = (
    "article_id",
    "version",
    "content_hash",
    "title",
    "body",
    "fetched_at",
    "replaced_at",
)
_PAGE_COLUMNS = ("article_id", "url", "page_number", "html_gz", "fetched_at")
_MENTION_COLUMNS = ("article_id", "entity_id", "published_at", "source", "count", "focus")
_SPAN_COLUMNS = ("article_id", "entity_id", "field", "start", "end", "text", "snippet")


class _Prepared:
    """A statement compiled once for the database's dialect, run on the driver's cursor.

    The upsert runs thousands of times per second; this skips SQLAlchemy's per-call statement
    handling (a third of the upsert's time) while keeping portable SQL and the transaction of
    the SQLAlchemy connection. Driver errors are turned into DatabaseError by `Store._write`.
    """

    def __init__(self, statement: Any, dialect: Any, keys: Iterable[str] | None = None) -> None:
        compiled = statement.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        self.sql = compiled.string
        self.order = list(compiled.positiontup or ()) if compiled.positional else None

    def _params(self, values: dict[str, Any]) -> Any:
        if self.order is None:
            return values
        return tuple([values[name] for name in self.order])

    def run(self, conn: Connection, values: dict[str, Any]) -> Any:
        """Execute with one set of named values; return the driver's cursor."""
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(self.sql, self._params(values))
        return cursor

    def first(self, conn: Connection, values: dict[str, Any]) -> tuple[Any, ...] | None:
        """Execute a query; return its first row as a tuple, or None."""
        row = self.run(conn, values).fetchone()
        return None if row is None else tuple(row)

    def run_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Execute once per row (executemany)."""
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(self.sql, [self._params(row) for row in rows])


class _Statements:
    """The upsert's statements, prepared for one dialect."""

    def __init__(self, dialect: Any) -> None:
        by_article: Any = bindparam("article_id")
        self.find_article = _Prepared(
            select(
                ARTICLES.c.id,
                ARTICLES.c.content_hash,
                ARTICLES.c.title,
                ARTICLES.c.body,
                ARTICLES.c.fetched_at,
                ARTICLES.c.version,
            ).where(ARTICLES.c.url == bindparam("url")),
            dialect,
        )
        self.insert_article = _Prepared(
            insert(ARTICLES).returning(ARTICLES.c.id),
            dialect,
            (*ARTICLE_COLUMNS, "first_seen_at", "changed_at", "version"),
        )
        self.update_article = _Prepared(
            update(ARTICLES).where(ARTICLES.c.id == by_article),
            dialect,
            (*ARTICLE_COLUMNS[1:], "changed_at", "version"),
        )
        self.insert_version = _Prepared(insert(VERSIONS), dialect, _VERSION_COLUMNS)
        entity_columns = (*_ENTITY_ATTRIBUTES, "parent_id")
        self.find_entity = _Prepared(
            select(ENTITIES.c.id, *(ENTITIES.c[name] for name in entity_columns)).where(
                ENTITIES.c.key == bindparam("key")
            ),
            dialect,
        )
        self.insert_entity = _Prepared(
            insert(ENTITIES).returning(ENTITIES.c.id),
            dialect,
            ("key", "kind", "name", *entity_columns),
        )
        self.insert_pages = _Prepared(insert(PAGES), dialect, _PAGE_COLUMNS)
        self.delete_pages = _Prepared(
            delete(PAGES).where(PAGES.c.article_id == by_article), dialect
        )
        self.insert_mentions = _Prepared(insert(MENTIONS), dialect, _MENTION_COLUMNS)
        self.insert_spans = _Prepared(insert(SPANS), dialect, _SPAN_COLUMNS)
        self.delete_mentions = _Prepared(
            delete(MENTIONS).where(MENTIONS.c.article_id == by_article), dialect
        )
        self.delete_spans = _Prepared(
            delete(SPANS).where(SPANS.c.article_id == by_article), dialect
        )


@dataclass(frozen=True)
class KnownArticle:
    """A stored article as a crawl sees it: its canonical URL (not the URL asked about when that
    one is an alias) and its `published_at` (else its `first_seen_at`)."""

    url: str
    published_at: str | None


@dataclass(frozen=True)
class UpsertResult:
    """What `Store.upsert_article` did: "new", "updated" or "unchanged", and the article's id."""

    status: str
    article_id: int


def utc_now() -> str:
    """The current UTC time as ISO 8601 text, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def entity_key(entity: Entity) -> str:
    """An entity's identity in the `entities` table ("city:Suzhou|Jiangsu", "theme:health")."""
    if entity.kind == "city":
        return f"city:{entity.name}|{entity.province or ''}"
    return f"{entity.kind}:{entity.name}"


def compress_html(html: str) -> bytes:
    """Raw HTML as stored in `raw_pages.html_gz`: gzip-compressed UTF-8."""
    return gzip.compress(html.encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0)


def decompress_html(blob: bytes) -> str:
    """The HTML text of a `raw_pages.html_gz` value."""
    return gzip.decompress(blob).decode("utf-8")


class Store:
    """The cppcc-watch database: articles, entities, mentions, crawl runs and rejects."""

    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        """Wrap an engine whose schema is up to date (use `Store.open` to get one)."""
        self.engine = engine
        self.readonly = readonly
        self.label = describe(engine)
        self._conn: Connection | None = engine.connect()
        if not readonly:
            keep_temp_files_in_memory(engine, self._conn.connection.driver_connection)
        self._entity_ids: dict[str, _KnownEntity] = {}
        self._pending_entities: list[dict[str, _KnownEntity]] = []
        self._sql = _Statements(engine.dialect)
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error

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

    def close(self) -> None:
        """Release the connection and the engine; the Store cannot be used afterwards.

        A writer first lets SQLite refresh its query-planner statistics (`PRAGMA optimize`,
        bounded by `analysis_limit`, so it stays quick on a big database).
        """
        if self._conn is not None:
            if not self.readonly and is_sqlite(self.engine):
                self._optimize(self._conn)
            self._conn.close()
            self._conn = None
        self.engine.dispose()

    @staticmethod
    def _optimize(conn: Connection) -> None:
        try:
            if conn.in_transaction():
                conn.rollback()
            conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
            conn.exec_driver_sql("PRAGMA optimize")
            conn.commit()
        except (SQLAlchemyError, DatabaseError):
            conn.rollback()  # statistics are an optimisation; never fail a close for them

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------

    @property
    def connection(self) -> Connection:
        """The Store's single connection (for callers that need a custom query)."""
        if self._conn is None:
            raise DatabaseError(f"The database {self.label} is closed.")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group many writes into one transaction, committed at the end (much faster on SQLite).

        Each write inside (an upsert, a run record) still succeeds or fails as a whole, through
        a savepoint; an exception escaping the block rolls back everything it wrote.
        """
        with self._write():
            yield self

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A short read transaction (or the write transaction already open)."""
        conn = self.connection
        if conn.in_transaction():
            yield conn
            return
        with conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction holding the write lock, or a savepoint inside an open one.

        Rolled back on any error. Entity ids inserted inside are remembered only once their
        rows are committed (or their savepoint released): a rolled-back insert never happened.
        """
        if self.readonly:
            raise DatabaseError(
                f"The database {self.label} is open read-only; it cannot be written."
            )
        conn = self.connection
        outer = not self._pending_entities
        pending: dict[str, _KnownEntity] = {}
        self._pending_entities.append(pending)
        try:
            if outer:
                conn.info[IMMEDIATE] = True
                with conn.begin():
                    yield conn
            else:
                with _savepoint(conn, f"cppcc_watch_{len(self._pending_entities)}"):
                    yield conn
        except self._driver_error as error:  # raised by the prepared statements
            raise database_error(self.engine, error) or DatabaseError(
                f"Writing to the database {self.label} failed: {error}."
            ) from error
        finally:
            self._pending_entities.pop()
            conn.info.pop(IMMEDIATE, None)
        (self._pending_entities[-1] if self._pending_entities else self._entity_ids).update(pending)

    def _cached_entity(self, key: str) -> _KnownEntity | None:
        """An entity this Store knows, committed or pending in the open transaction."""
        found = self._entity_ids.get(key)
        if found is None:
            for pending in self._pending_entities:
                found = pending.get(key, found)
        return found

    # -- articles ----------------------------------------------------------------------------

    def upsert_article(self, article: Article) -> UpsertResult:
        """Store an article by its canonical URL: insert it, update it if changed, or skip it.

        "new": inserted with its raw pages (and mentions when `article.entities` is set).
        "unchanged": same content hash as stored; nothing is written.
        "updated": the previous title/body/hash/fetch time go to `article_versions`, the row is
        updated (version + 1, `changed_at` set) and its raw pages replaced; its mentions are
        replaced by `article.entities`, or removed when that is None (they described the old
        text). Everything happens in one transaction.
        """
        fetched_at = article.fetched_at or utc_now()
        digest = article.content_hash or content_hash(article.title, article.body)
        values = _article_values(article, fetched_at, digest)
        with self._write() as conn:
            sql = self._sql
            row = sql.find_article.first(conn, {"url": article.url})
            if row is None:
                values.update(first_seen_at=fetched_at, changed_at=None, version=1)
                article_id = sql.insert_article.first(conn, values)[0]  # type: ignore[index]
                status = "new"
            elif row[1] == digest:
                return UpsertResult("unchanged", row[0])
            else:
                article_id, old_hash, old_title, old_body, old_fetched_at, version = row
                sql.insert_version.run(
                    conn,
                    {
                        "article_id": article_id,
                        "version": version,
                        "content_hash": old_hash,
                        "title": old_title,
                        "body": old_body,
                        "fetched_at": old_fetched_at,
                        "replaced_at": fetched_at,
                    },
                )
                values.update(article_id=article_id, changed_at=fetched_at, version=version + 1)
                sql.update_article.run(conn, values)
                sql.delete_pages.run(conn, {"article_id": article_id})
                self._delete_mentions(conn, article_id)
                status = "updated"
            if article.pages:
                pages = _page_rows(article_id, article.pages, fetched_at)
                sql.insert_pages.run_many(conn, pages)
            if article.entities is not None:
                self._insert_mentions(
                    conn, article_id, article.published_at, article.source, article.entities
                )
        return UpsertResult(status, article_id)

    def replace_entities(self, article_id: int, extraction: Extraction) -> None:
        """Replace an article's mentions and spans with a new extraction (for reprocess)."""
        with self._write() as conn:
            row = conn.execute(
                select(ARTICLES.c.published_at, ARTICLES.c.source).where(
                    ARTICLES.c.id == article_id
                )
            ).first()
            if row is None:
                raise DatabaseError(f"No article with id {article_id} in {self.label}.")
            self._delete_mentions(conn, article_id)
            self._insert_mentions(conn, article_id, row.published_at, row.source, extraction)

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of these canonical URLs are stored already (as articles or their aliases)."""
        return set(self.known_articles(urls))

    def known_articles(self, urls: Iterable[str]) -> dict[str, KnownArticle]:
        """Which of these canonical URLs are stored articles or aliases of one (URLs that
        redirected to it), each with the article's URL and date: what a crawl needs to skip a
        known article, or to decide whether it is recent enough to be fetched again."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, KnownArticle] = {}
        columns = (ARTICLES.c.url, ARTICLES.c.published_at, ARTICLES.c.first_seen_at)
        with self._read() as conn:
            for start in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[start : start + IN_CHUNK]
                aliased = conn.execute(
                    select(ALIASES.c.url, *columns)
                    .join(ARTICLES, ARTICLES.c.id == ALIASES.c.article_id)
                    .where(ALIASES.c.url.in_(chunk))
                ).all()
                direct = conn.execute(
                    select(ARTICLES.c.url, *columns).where(ARTICLES.c.url.in_(chunk))
                ).all()
                for row in [*aliased, *direct]:  # a stored article wins over an alias
                    found[row[0]] = KnownArticle(row[1], row[2] or row[3])
        return found

    def add_aliases(self, article_url: str, aliases: Iterable[str]) -> int:
        """Remember that these URLs lead to the article stored under `article_url` (they
        redirected to it); an alias already recorded moves to this article. Returns how many
        were written: 0 when no such article is stored (nothing to point at)."""
        urls = sorted(set(aliases) - {article_url})
        if not urls:
            return 0
        with self._write() as conn:
            article_id = conn.execute(
                select(ARTICLES.c.id).where(ARTICLES.c.url == article_url)
            ).scalar()
            if article_id is None:
                return 0
            conn.execute(delete(ALIASES).where(ALIASES.c.url.in_(urls)))
            seen_at = utc_now()
            conn.execute(
                insert(ALIASES),
                [{"url": url, "article_id": article_id, "seen_at": seen_at} for url in urls],
            )
        return len(urls)

    def raw_pages(self, article_id: int) -> list[RawPage]:
        """An article's stored pages, in page order, with their HTML decompressed."""
        with self._read() as conn:
            rows = conn.execute(
                select(PAGES.c.url, PAGES.c.html_gz)
                .where(PAGES.c.article_id == article_id)
                .order_by(PAGES.c.page_number)
            ).all()
        return [RawPage(url=row.url, html=decompress_html(row.html_gz)) for row in rows]

    def iter_articles(
        self, batch_size: int = 500, *, with_pages: bool = False
    ) -> Iterator[tuple[int, Article]]:
        """Every stored article as `(article_id, Article)`, ordered by id, read in batches.

        `entities` is None; `pages` are loaded only `with_pages`. Each batch is read in its own
        short transaction, so the caller may write (e.g. `replace_entities`) between items.
        """
        last_id = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    select(ARTICLES)
                    .where(ARTICLES.c.id > last_id)
                    .order_by(ARTICLES.c.id)
                    .limit(batch_size)
                ).all()
            if not rows:
                return
            for row in rows:
                article = _article_from_row(row)
                if with_pages:
                    article.pages = self.raw_pages(row.id)
                yield row.id, article
            last_id = rows[-1].id

    def versions(self, article_id: int) -> list[dict[str, Any]]:
        """An article's previous states, oldest first, as plain dicts of `article_versions`."""
        with self._read() as conn:
            rows = conn.execute(
                select(VERSIONS).where(VERSIONS.c.article_id == article_id).order_by(VERSIONS.c.id)
            )
            return [dict(row._mapping) for row in rows]

    def article_id(self, url: str) -> int | None:
        """The id of the article stored under this canonical URL, if any."""
        with self._read() as conn:
            return conn.execute(select(ARTICLES.c.id).where(ARTICLES.c.url == url)).scalar()

    # -- crawl runs and rejects --------------------------------------------------------------

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
            return _new_id(result)

    def finish_run(
        self, run_id: int, *, status: str, reason: str | None, counts: dict[str, int]
    ) -> None:
        """Record how a run ended ("ok", "failed" or "interrupted"), why, and its counts.

        `counts` keys are among RUN_COUNTS (listing_pages, article_pages, new, updated,
        unchanged, rejected, failed_requests); any other key is a ValueError.
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
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def rejects(self, run_id: int | None = None) -> list[dict[str, Any]]:
        """Recorded rejects, oldest first (only those of one run when `run_id` is given)."""
        query = select(REJECTS).order_by(REJECTS.c.id)
        if run_id is not None:
            query = query.where(REJECTS.c.run_id == run_id)
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def mark_stale_runs(self) -> int:
        """Mark 'running' runs of this host whose process is gone as 'interrupted'; count them."""
        host = socket.gethostname()
        with self._read() as conn:
            rows = conn.execute(
                select(RUNS.c.id, RUNS.c.pid).where(RUNS.c.status == "running", RUNS.c.host == host)
            ).all()
        stale = [row for row in rows if row.pid is not None and not _pid_alive(row.pid)]
        if not stale:
            return 0
        with self._write() as conn:
            for row in stale:
                conn.execute(
                    update(RUNS)
                    .where(RUNS.c.id == row.id, RUNS.c.status == "running")
                    .values(
                        status="interrupted",
                        finished_at=utc_now(),
                        reason=f"process {row.pid} ended without finishing the run",
                    )
                )
        return len(stale)

    # -- helpers -----------------------------------------------------------------------------

    def _delete_mentions(self, conn: Connection, article_id: int) -> None:
        self._sql.delete_spans.run(conn, {"article_id": article_id})
        self._sql.delete_mentions.run(conn, {"article_id": article_id})

    def _insert_mentions(
        self,
        conn: Connection,
        article_id: int,
        published_at: str | None,
        source: str,
        extraction: Extraction,
    ) -> None:
        """Insert an article's mentions and spans, with copies of its date and source."""
        mentions: dict[int, dict[str, Any]] = {}
        spans: list[dict[str, Any]] = []
        for entity in extraction.all():
            entity_id = self._entity_id(conn, entity)
            row = mentions.setdefault(
                entity_id,
                {
                    "article_id": article_id,
                    "entity_id": entity_id,
                    "published_at": published_at,
                    "source": source,
                    "count": 0,
                    "focus": False,
                },
            )
            row["count"] += entity.count
            row["focus"] = row["focus"] or bool(entity.focus)
            spans.extend(
                {
                    "article_id": article_id,
                    "entity_id": entity_id,
                    "field": mention.field,
                    "start": mention.start,
                    "end": mention.end,
                    "text": mention.text,
                    "snippet": mention.snippet,
                }
                for mention in entity.mentions
            )
        if mentions:
            self._sql.insert_mentions.run_many(conn, list(mentions.values()))
        if spans:
            self._sql.insert_spans.run_many(conn, spans)

    def _entity_id(self, conn: Connection, entity: Entity) -> int:
        """The id of an entity's row, inserting it (or filling in new attributes) as needed."""
        if entity.kind not in ENTITY_KINDS:
            raise ValueError(f"unknown entity kind {entity.kind!r} ({entity.name!r})")
        key = entity_key(entity)
        attributes = _attributes(entity)
        known = self._cached_entity(key)
        if known is not None and _nothing_new(attributes, known.attributes):
            return known.id
        values = dict(zip(_ENTITY_ATTRIBUTES, attributes, strict=True))
        if entity.kind == "city" and known is None:
            values["parent_id"] = (
                self._province_id(conn, entity.province) if entity.province else None
            )
        saved = self._save_entity(conn, key, entity.kind, entity.name, values)
        self._pending_entities[-1][key] = saved
        return saved.id

    def _province_id(self, conn: Connection, name: str) -> int:
        """The id of a province by name, created bare when no article named it yet."""
        return self._entity_id(conn, Entity(kind="province", name=name))

    def _save_entity(
        self, conn: Connection, key: str, kind: str, name: str, values: dict[str, Any]
    ) -> _KnownEntity:
        """Insert an entity, or fill in the attributes its row lacks or has different."""
        row = self._sql.find_entity.first(conn, {"key": key})
        if row is None:
            new = {"key": key, "kind": kind, "name": name, "parent_id": None, **values}
            entity_id = self._sql.insert_entity.first(conn, new)[0]  # type: ignore[index]
            attributes = tuple(values[column] for column in _ENTITY_ATTRIBUTES)
            return _KnownEntity(entity_id, attributes)
        entity_id, *stored_values = row
        stored = dict(zip((*_ENTITY_ATTRIBUTES, "parent_id"), stored_values, strict=True))
        changed = {
            column: value
            for column, value in values.items()
            if value is not None and stored[column] != value
        }
        if changed:
            conn.execute(update(ENTITIES).where(ENTITIES.c.id == entity_id).values(changed))
        stored |= changed
        return _KnownEntity(entity_id, tuple(stored[column] for column in _ENTITY_ATTRIBUTES))


@dataclass(frozen=True)
class _KnownEntity:
    """An entity row's id and attributes as stored (see _ENTITY_ATTRIBUTES)."""

    id: int
    attributes: tuple[Any, ...]


def _attributes(entity: Entity) -> tuple[Any, ...]:
    """An entity's attributes in _ENTITY_ATTRIBUTES order (`province` is for cities only)."""
    return (
        entity.acronym,
        entity.code,
        entity.province if entity.kind == "city" else None,
        entity.region,
        entity.latitude,
        entity.longitude,
    )


def _nothing_new(attributes: tuple[Any, ...], stored: tuple[Any, ...]) -> bool:
    """Whether every attribute an extraction gives is already stored."""
    return attributes == stored or all(
        new is None or new == old for new, old in zip(attributes, stored, strict=True)
    )


def _new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just added."""
    key = result.inserted_primary_key
    if key is None:
        raise DatabaseError("The database did not report the id of a new row.")
    return int(key[0])


@contextmanager
def _savepoint(conn: Connection, name: str) -> Iterator[None]:
    """A savepoint inside the open transaction: released on success, rolled back to on error.

    Plain SQL on the driver's cursor rather than `Connection.begin_nested()`, which costs more
    than the upsert it guards (SQLAlchemy does not track these savepoints either way).
    """
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
        cursor.execute(f"RELEASE SAVEPOINT {name}")
        raise
    cursor.execute(f"RELEASE SAVEPOINT {name}")


def _page_rows(article_id: int, pages: list[RawPage], fetched_at: str) -> list[dict[str, Any]]:
    """`raw_pages` rows for an article's pages, numbered from 1, HTML compressed."""
    return [
        {
            "article_id": article_id,
            "url": page.url,
            "page_number": number,
            "html_gz": compress_html(page.html),
            "fetched_at": fetched_at,
        }
        for number, page in enumerate(pages, start=1)
    ]


def _article_values(article: Article, fetched_at: str, digest: str) -> dict[str, Any]:
    """The `articles` columns an upsert writes from an Article."""
    return {
        "url": article.url,
        "source": article.source,
        "section": article.section,
        "title": article.title,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "author": article.author,
        "outlet": article.outlet,
        "body": article.body,
        "captions": json.dumps(article.captions, ensure_ascii=False) if article.captions else None,
        "fetched_at": fetched_at,
        "content_hash": digest,
    }


def _article_from_row(row: Any) -> Article:
    """An Article (without pages or entities) from an `articles` row."""
    return Article(
        url=row.url,
        source=row.source,
        section=row.section,
        title=row.title,
        published_at=row.published_at,
        updated_at=row.updated_at,
        author=row.author,
        outlet=row.outlet,
        body=row.body,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        captions=json.loads(row.captions) if row.captions else [],
    )


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

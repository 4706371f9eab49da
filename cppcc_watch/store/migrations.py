"""Versioned schema: named migrations applied in order and recorded in `schema_migrations`.

Each migration is a (name, function(connection)) pair in `MIGRATIONS`, applied once, in its own
transaction, by `upgrade()`. A migration's DDL is frozen once released: it declares its own tables
here instead of importing `schema.py`, so later schema changes never rewrite history; a new schema
change is a new migration appended to the list. A database that records a migration this release
does not know was written by a newer release: `upgrade()` raises SchemaTooNew and leaves it alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)

from cppcc_watch.errors import DatabaseError, SchemaTooNew
from cppcc_watch.store.dialects import IMMEDIATE
from cppcc_watch.store.engine import describe

MIGRATIONS_TABLE = "schema_migrations"

Migration = tuple[str, Callable[[Connection], None]]


def _kinds_check(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


def _0001_initial_schema(conn: Connection) -> None:
    """Articles with versions and raw pages, entities and mentions, crawl runs and rejects."""
    meta = MetaData()
    Table(
        "articles",
        meta,
        Column("id", Integer, primary_key=True),
        Column("url", Text, nullable=False, unique=True),
        Column("source", Text, nullable=False),
        Column("section", Text),
        Column("title", Text),
        Column("published_at", Text),
        Column("updated_at", Text),
        Column("author", Text),
        Column("outlet", Text),
        Column("body", Text),
        Column("captions", Text),
        Column("fetched_at", Text, nullable=False),
        Column("content_hash", Text, nullable=False),
        Column("first_seen_at", Text, nullable=False),
        Column("changed_at", Text),
        Column("version", Integer, nullable=False, server_default="1"),
        Index("ix_articles_source", "source"),
        Index("ix_articles_section", "section"),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_fetched_at", "fetched_at"),
    )
    Table(
        "article_versions",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "article_id",
            Integer,
            ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("version", Integer, nullable=False),
        Column("content_hash", Text, nullable=False),
        Column("title", Text),
        Column("body", Text),
        Column("fetched_at", Text, nullable=False),
        Column("replaced_at", Text, nullable=False),
    )
    Table(
        "raw_pages",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        Column("url", Text, nullable=False),
        Column("page_number", Integer, nullable=False),
        Column("html_gz", LargeBinary, nullable=False),
        Column("fetched_at", Text, nullable=False),
        UniqueConstraint("article_id", "page_number"),
    )
    Table(
        "entities",
        meta,
        Column("id", Integer, primary_key=True),
        Column("key", Text, nullable=False, unique=True),
        Column("kind", Text, nullable=False),
        Column("name", Text, nullable=False),
        Column("acronym", Text),
        Column("code", Text),
        Column("province", Text),
        Column("region", Text),
        Column("latitude", Float),
        Column("longitude", Float),
        Column("parent_id", Integer, ForeignKey("entities.id", ondelete="SET NULL"), index=True),
        _kinds_check("kind", ("province", "city", "organization", "theme"), "ck_entities_kind"),
        Index("ix_entities_kind_name", "kind", "name"),
    )
    Table(
        "mentions",
        meta,
        Column(
            "article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
        ),
        Column(
            "entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
        ),
        Column("count", Integer, nullable=False),
        Column("focus", Boolean, nullable=False, server_default="0"),
        Index("ix_mentions_entity", "entity_id", "article_id"),
    )
    Table(
        "mention_spans",
        meta,
        Column("id", Integer, primary_key=True),
        Column("article_id", Integer, nullable=False),
        Column("entity_id", Integer, nullable=False),
        Column("field", Text, nullable=False),
        Column("start", Integer, nullable=False),
        Column("end", Integer, nullable=False),
        Column("text", Text, nullable=False),
        Column("snippet", Text),
        ForeignKeyConstraint(
            ["article_id", "entity_id"],
            ["mentions.article_id", "mentions.entity_id"],
            ondelete="CASCADE",
        ),
        _kinds_check("field", ("title", "body"), "ck_mention_spans_field"),
        Index("ix_mention_spans_mention", "article_id", "entity_id"),
    )
    Table(
        "crawl_runs",
        meta,
        Column("id", Integer, primary_key=True),
        Column("spider", Text, nullable=False),
        Column("started_at", Text, nullable=False),
        Column("finished_at", Text),
        Column("status", Text, nullable=False),
        Column("reason", Text),
        *(
            Column(name, Integer, nullable=False, server_default="0")
            for name in (
                "listing_pages",
                "article_pages",
                "new",
                "updated",
                "unchanged",
                "rejected",
                "failed_requests",
            )
        ),
        Column("pid", Integer),
        Column("host", Text),
        Column("settings_json", Text),
        _kinds_check("status", ("running", "ok", "failed", "interrupted"), "ck_crawl_runs_status"),
        Index("ix_crawl_runs_spider", "spider"),
    )
    Table(
        "rejects",
        meta,
        Column("id", Integer, primary_key=True),
        Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True),
        Column("url", Text, nullable=False),
        Column("stage", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("at", Text, nullable=False),
        _kinds_check("stage", ("request", "parse", "validate", "store"), "ck_rejects_stage"),
    )
    meta.create_all(conn)


_FTS_SQLITE = (
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)


def _0002_articles_fts(conn: Connection) -> None:
    """Full-text search over article titles and bodies (SQLite FTS5, kept in sync by triggers).

    Other databases get no full-text table; the query layer falls back to LIKE there.
    """
    if conn.dialect.name != "sqlite":
        return
    for statement in _FTS_SQLITE:
        conn.exec_driver_sql(statement)


_VIEWS = (
    """CREATE VIEW article_entities AS
    SELECT m.article_id, a.url, a.title, a.source, a.section, a.published_at,
        m.entity_id, e.kind, e.name, e.acronym, e.province, m.count, m.focus
    FROM mentions m
    JOIN articles a ON a.id = m.article_id
    JOIN entities e ON e.id = m.entity_id""",
    """CREATE VIEW entity_stats AS
    SELECT e.id AS entity_id, e.kind, e.name, e.acronym, e.province, e.code,
        e.latitude, e.longitude,
        count(m.article_id) AS articles,
        coalesce(sum(m.count), 0) AS mentions,
        coalesce(sum(CASE WHEN m.focus THEN 1 ELSE 0 END), 0) AS focus_articles
    FROM entities e
    LEFT JOIN mentions m ON m.entity_id = e.id
    GROUP BY e.id, e.kind, e.name, e.acronym, e.province, e.code, e.latitude, e.longitude""",
    """CREATE VIEW mention_evidence AS
    SELECT s.article_id, a.url, a.title, s.entity_id, e.kind, e.name,
        s.field, s.start, s."end", s.text, s.snippet
    FROM mention_spans s
    JOIN articles a ON a.id = s.article_id
    JOIN entities e ON e.id = s.entity_id""",
)


def _0003_views(conn: Connection) -> None:
    """Views for the common joins: article_entities, entity_stats, mention_evidence."""
    for statement in _VIEWS:
        conn.exec_driver_sql(statement)


def _0004_mentions_published_at(conn: Connection) -> None:
    """A copy of the article's publication time on each mention, indexed with the entity."""
    conn.exec_driver_sql("ALTER TABLE mentions ADD COLUMN published_at TEXT")
    conn.exec_driver_sql(
        "UPDATE mentions SET published_at ="
        " (SELECT published_at FROM articles WHERE articles.id = mentions.article_id)"
    )
    conn.exec_driver_sql("DROP INDEX ix_mentions_entity")
    conn.exec_driver_sql(
        "CREATE INDEX ix_mentions_entity_published"
        " ON mentions (entity_id, published_at, article_id)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_mentions_published ON mentions (published_at, entity_id)")


def _0005_crawl_runs_retries(conn: Connection) -> None:
    """How many times a run retried requests (each failed request is retried, backed off)."""
    conn.exec_driver_sql("ALTER TABLE crawl_runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0")


_MONTH_KEY = "coalesce(substr({row}.published_at, 1, 7), '')"


def _entity_months_triggers() -> tuple[str, ...]:
    """Triggers keeping `entity_months` equal to the sums over `mentions`."""
    add = (
        "INSERT INTO entity_months (entity_id, month, articles, mentions)"
        f" VALUES (new.entity_id, {_MONTH_KEY.format(row='new')}, 1, new.count)"
        " ON CONFLICT (entity_id, month) DO UPDATE SET articles = articles + 1,"
        " mentions = mentions + excluded.mentions;"
    )
    old_month = _MONTH_KEY.format(row="old")
    remove = (
        "UPDATE entity_months SET articles = articles - 1, mentions = mentions - old.count"
        f" WHERE entity_id = old.entity_id AND month = {old_month};"
        f" DELETE FROM entity_months WHERE entity_id = old.entity_id AND month = {old_month}"
        " AND articles <= 0;"
    )
    return (
        f"CREATE TRIGGER entity_months_insert AFTER INSERT ON mentions BEGIN {add} END",
        f"CREATE TRIGGER entity_months_delete AFTER DELETE ON mentions BEGIN {remove} END",
        "CREATE TRIGGER entity_months_update AFTER UPDATE OF entity_id, published_at, count"
        f" ON mentions BEGIN {remove} {add} END",
    )


def _0006_entity_months(conn: Connection) -> None:
    """Articles and mentions per entity and month (kept by triggers); mention counts by date.

    Top entities over long date ranges and monthly timelines then read a few thousand summary
    rows instead of millions of mentions; the partial months at the ends of a range are read
    from `mentions` through `ix_mentions_published_entity`, which now carries `count` too.
    The summary is filled and kept in sync on SQLite only (elsewhere the query layer reads
    `mentions` directly).
    """
    meta = MetaData()
    Table("entities", meta, Column("id", Integer, primary_key=True))  # referenced, exists
    months = Table(
        "entity_months",
        meta,
        Column(
            "entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
        ),
        Column("month", Text, primary_key=True),
        Column("articles", Integer, nullable=False),
        Column("mentions", Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    meta.create_all(conn, tables=[months])
    conn.exec_driver_sql("DROP INDEX ix_mentions_published")
    conn.exec_driver_sql(
        "CREATE INDEX ix_mentions_published_entity ON mentions (published_at, entity_id, count)"
    )
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql(
        "INSERT INTO entity_months (entity_id, month, articles, mentions)"
        f" SELECT entity_id, {_MONTH_KEY.format(row='mentions')}, count(*), sum(count)"
        " FROM mentions GROUP BY 1, 2"
    )
    for statement in _entity_months_triggers():
        conn.exec_driver_sql(statement)


def _0007_entity_monthly_view(conn: Connection) -> None:
    """View entity_monthly: the per-month summary with each entity's kind and name."""
    conn.exec_driver_sql(
        """CREATE VIEW entity_monthly AS
        SELECT em.entity_id, e.kind, e.name, e.acronym, e.province, em.month,
            em.articles, em.mentions
        FROM entity_months em
        JOIN entities e ON e.id = em.entity_id"""
    )


#: KiB of page cache while a migration rebuilds large indexes and tables.
MIGRATION_CACHE_KB = 512 * 1024
_SOURCE_KEY = "coalesce({row}.source, '')"
_FOCUS = "CASE WHEN {row}.focus THEN 1 ELSE 0 END"


def _entity_months_by_source_triggers() -> tuple[str, ...]:
    """Triggers keeping `entity_months` (by entity, month and source) equal to `mentions`.

    The article's source comes from `mentions.source`, never from a look-up in `articles`.
    """
    add = (
        "INSERT INTO entity_months"
        " (entity_id, month, source, articles, mentions, focus_articles)"
        f" VALUES (new.entity_id, {_MONTH_KEY.format(row='new')},"
        f" {_SOURCE_KEY.format(row='new')}, 1, new.count, {_FOCUS.format(row='new')})"
        " ON CONFLICT (entity_id, month, source) DO UPDATE SET articles = articles + 1,"
        " mentions = mentions + excluded.mentions,"
        " focus_articles = focus_articles + excluded.focus_articles;"
    )
    key = (
        f"entity_id = old.entity_id AND month = {_MONTH_KEY.format(row='old')}"
        f" AND source = {_SOURCE_KEY.format(row='old')}"
    )
    remove = (
        "UPDATE entity_months SET articles = articles - 1, mentions = mentions - old.count,"
        f" focus_articles = focus_articles - {_FOCUS.format(row='old')} WHERE {key};"
        f" DELETE FROM entity_months WHERE {key} AND articles <= 0;"
    )
    return (
        f"CREATE TRIGGER entity_months_insert AFTER INSERT ON mentions BEGIN {add} END",
        f"CREATE TRIGGER entity_months_delete AFTER DELETE ON mentions BEGIN {remove} END",
        "CREATE TRIGGER entity_months_update"
        " AFTER UPDATE OF entity_id, published_at, source, count, focus"
        f" ON mentions BEGIN {remove} {add} END",
    )


_ENTITY_MONTHLY_BY_SOURCE = """CREATE VIEW entity_monthly AS
    SELECT em.entity_id, e.kind, e.name, e.acronym, e.province, em.month,
        sum(em.articles) AS articles, sum(em.mentions) AS mentions,
        sum(em.focus_articles) AS focus_articles
    FROM entity_months em
    JOIN entities e ON e.id = em.entity_id
    GROUP BY em.entity_id, em.month, e.kind, e.name, e.acronym, e.province"""


def _0008_source_summary(conn: Connection) -> None:
    """The article's source on each mention; `entity_months` by source, with focus articles.

    Counts by source (a mentions-articles join) and of the articles a place is the focus of
    (a scan of every mention) then read the summary, or the mention indexes, which now carry
    `focus` and `source` so that the partial months at the ends of a range stay index-only.
    Set-based statements only: on 10 million mentions this is a few table and index scans.
    """
    sqlite = conn.dialect.name == "sqlite"
    if not sqlite:
        _source_summary(conn, sqlite=False)
        return
    # Sorts for the indexes and the summary stay in memory up to the cache size.
    cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{MIGRATION_CACHE_KB}")
    try:
        for trigger in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER entity_months_{trigger}")
        _source_summary(conn, sqlite=True)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {cache_size}")


def _source_summary(conn: Connection, *, sqlite: bool) -> None:
    """The steps of `_0008_source_summary` (the SQLite triggers are dropped already)."""
    conn.exec_driver_sql("DROP VIEW entity_monthly")
    conn.exec_driver_sql("DROP INDEX ix_mentions_entity_published")
    conn.exec_driver_sql("DROP INDEX ix_mentions_published_entity")
    conn.exec_driver_sql("ALTER TABLE mentions ADD COLUMN source TEXT")
    if sqlite:
        # Each article's source from the small ix_articles_source index, not from the wide
        # article rows (gigabytes of text on a big database).
        conn.exec_driver_sql(
            "CREATE TEMP TABLE article_sources (id INTEGER PRIMARY KEY, source TEXT)"
        )
        conn.exec_driver_sql(
            "INSERT INTO temp.article_sources (id, source) SELECT id, source FROM articles"
        )
        sources = "temp.article_sources"
    else:
        sources = "articles"
    conn.exec_driver_sql(
        f"UPDATE mentions SET source = (SELECT source FROM {sources} s"
        " WHERE s.id = mentions.article_id)"
    )
    if sqlite:
        conn.exec_driver_sql("DROP TABLE temp.article_sources")
    conn.exec_driver_sql(
        "CREATE INDEX ix_mentions_entity_published"
        " ON mentions (entity_id, published_at, article_id, source)"
    )
    conn.exec_driver_sql(
        "CREATE INDEX ix_mentions_published_entity"
        " ON mentions (published_at, entity_id, count, focus, source)"
    )
    conn.exec_driver_sql("DROP TABLE entity_months")
    meta = MetaData()
    Table("entities", meta, Column("id", Integer, primary_key=True))  # referenced, exists
    months = Table(
        "entity_months",
        meta,
        Column(
            "entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
        ),
        Column("month", Text, primary_key=True),
        Column("source", Text, primary_key=True),
        Column("articles", Integer, nullable=False),
        Column("mentions", Integer, nullable=False),
        Column("focus_articles", Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    meta.create_all(conn, tables=[months])
    if sqlite:
        conn.exec_driver_sql(
            "INSERT INTO entity_months"
            " (entity_id, month, source, articles, mentions, focus_articles)"
            f" SELECT entity_id, {_MONTH_KEY.format(row='mentions')},"
            f" {_SOURCE_KEY.format(row='mentions')}, count(*), sum(count),"
            f" sum({_FOCUS.format(row='mentions')})"
            # One read of the narrow index that holds every column needed, then a sort; not
            # the entity index, which would look up every mention in the table.
            " FROM mentions INDEXED BY ix_mentions_published_entity GROUP BY 1, 2, 3"
        )
        for statement in _entity_months_by_source_triggers():
            conn.exec_driver_sql(statement)
    conn.exec_driver_sql(_ENTITY_MONTHLY_BY_SOURCE)


def _0009_articles_source_published(conn: Connection) -> None:
    """Index articles by (source, published_at): counts per source and date range, index-only."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_articles_source")
    conn.exec_driver_sql(
        "CREATE INDEX ix_articles_source_published ON articles (source, published_at)"
    )


def _0010_article_aliases(conn: Connection) -> None:
    """Table article_aliases: URLs that redirected to a stored article, so a crawl knows them."""
    meta = MetaData()
    Table("articles", meta, Column("id", Integer, primary_key=True))
    Table(
        "article_aliases",
        meta,
        Column("url", Text, primary_key=True),
        Column(
            "article_id",
            Integer,
            ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("seen_at", Text, nullable=False),
        Index("ix_article_aliases_article", "article_id"),
    )
    meta.tables["article_aliases"].create(conn)


MIGRATIONS: list[Migration] = [
    ("0001_initial_schema", _0001_initial_schema),
    ("0002_articles_fts", _0002_articles_fts),
    ("0003_views", _0003_views),
    ("0004_mentions_published_at", _0004_mentions_published_at),
    ("0005_crawl_runs_retries", _0005_crawl_runs_retries),
    ("0006_entity_months", _0006_entity_months),
    ("0007_entity_monthly_view", _0007_entity_monthly_view),
    ("0008_source_summary", _0008_source_summary),
    ("0009_articles_source_published", _0009_articles_source_published),
    ("0010_article_aliases", _0010_article_aliases),
]

SCHEMA_VERSION = len(MIGRATIONS)

_OWN_TABLES = ("articles", "entities", "mentions", "crawl_runs")


def applied_migrations(conn: Connection) -> list[str]:
    """Names of the migrations recorded in the database, oldest first ([] for a new database)."""
    if not inspect(conn).has_table(MIGRATIONS_TABLE):
        return []
    rows = conn.execute(text(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY name"))
    return [row[0] for row in rows]


def check_known(conn: Connection, label: str) -> list[str]:
    """The applied migrations, after making sure this release knows every one of them."""
    applied = applied_migrations(conn)
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise SchemaTooNew(
            f"The database {label} was written by a newer cppcc-watch (schema migration "
            f"{unknown[-1]!r} is unknown to this release); upgrade cppcc-watch to use it."
        )
    if not applied:
        foreign = [name for name in _OWN_TABLES if inspect(conn).has_table(name)]
        if foreign:
            raise DatabaseError(
                f"The database {label} already has tables not made by cppcc-watch "
                f"({', '.join(foreign)}); use another database file."
            )
    return applied


def pending_migrations(engine: Engine) -> list[str]:
    """Names of the migrations this database still needs (raises SchemaTooNew when too new)."""
    with engine.connect() as conn:
        applied = set(check_known(conn, describe(engine)))
    return [name for name, _ in MIGRATIONS if name not in applied]


def upgrade(engine: Engine) -> list[str]:
    """Apply every missing migration, each in its own transaction; return the names applied.

    Safe against another process upgrading at the same time: each step takes the write lock
    and re-reads what is applied before applying.
    """
    label = describe(engine)
    done: list[str] = []
    if not pending_migrations(engine):
        return done
    with engine.connect() as conn:
        _ensure_table(conn)
        for name, apply in MIGRATIONS:
            conn.info[IMMEDIATE] = True
            with conn.begin():
                if name in check_known(conn, label):
                    continue
                apply(conn)
                conn.execute(
                    text(f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (:n, :t)"),
                    {"n": name, "t": datetime.now(UTC).isoformat(timespec="seconds")},
                )
            done.append(name)
    return done


def _ensure_table(conn: Connection) -> None:
    """Create the migrations log itself when the database is new."""
    conn.info[IMMEDIATE] = True
    with conn.begin():
        if not inspect(conn).has_table(MIGRATIONS_TABLE):
            conn.exec_driver_sql(
                f"CREATE TABLE {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )

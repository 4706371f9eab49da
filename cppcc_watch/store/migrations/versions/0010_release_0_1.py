"""The schema of release 0.1.0, built in one step on SQLite or PostgreSQL.

Release 0.1.0 built this schema with ten hand-made migrations (0001_initial_schema ...
0010_article_aliases, logged in `schema_migrations`); a database it wrote is stamped at this
revision instead of running it (see `cppcc_watch.store.migrations.legacy`). Frozen: the tables,
triggers and views are written out here and never taken from `cppcc_watch.store.schema`, so that
later schema changes, which are new revisions, never rewrite this one.

Revision ID: 0010_release_0_1
Revises: (none)
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010_release_0_1"
down_revision = None
branch_labels = None
depends_on = None


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name)


def _articles_ref(ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey("articles.id", ondelete=ondelete)


def _tables() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("section", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("published_at", sa.Text),
        sa.Column("updated_at", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("outlet", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("captions", sa.Text),
        sa.Column("fetched_at", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("first_seen_at", sa.Text, nullable=False),
        sa.Column("changed_at", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Index("ix_articles_source_published", "source", "published_at"),
        sa.Index("ix_articles_section", "section"),
        sa.Index("ix_articles_published_at", "published_at"),
        sa.Index("ix_articles_fetched_at", "fetched_at"),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, _articles_ref(), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("fetched_at", sa.Text, nullable=False),
        sa.Column("replaced_at", sa.Text, nullable=False),
    )
    op.create_table(
        "raw_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, _articles_ref(), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("page_number", sa.Integer, nullable=False),
        sa.Column("html_gz", sa.LargeBinary, nullable=False),
        sa.Column("fetched_at", sa.Text, nullable=False),
        sa.UniqueConstraint("article_id", "page_number"),
    )
    op.create_table(
        "article_aliases",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("article_id", sa.Integer, _articles_ref(), nullable=False),
        sa.Column("seen_at", sa.Text, nullable=False),
        sa.Index("ix_article_aliases_article", "article_id"),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("acronym", sa.Text),
        sa.Column("code", sa.Text),
        sa.Column("province", sa.Text),
        sa.Column("region", sa.Text),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column(
            "parent_id", sa.Integer, sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
        ),
        _one_of("kind", ("province", "city", "organization", "theme"), "ck_entities_kind"),
        sa.Index("ix_entities_kind_name", "kind", "name"),
    )
    entity_ref = sa.ForeignKey("entities.id", ondelete="CASCADE")
    op.create_table(
        "mentions",
        sa.Column("article_id", sa.Integer, _articles_ref(), primary_key=True),
        sa.Column("entity_id", sa.Integer, entity_ref, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("focus", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("published_at", sa.Text),
        sa.Column("source", sa.Text),
        sa.Index(
            "ix_mentions_entity_published", "entity_id", "published_at", "article_id", "source"
        ),
        sa.Index(
            "ix_mentions_published_entity",
            "published_at",
            "entity_id",
            "count",
            "focus",
            "source",
        ),
    )
    op.create_table(
        "mention_spans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("snippet", sa.Text),
        sa.ForeignKeyConstraint(
            ["article_id", "entity_id"],
            ["mentions.article_id", "mentions.entity_id"],
            ondelete="CASCADE",
        ),
        _one_of("field", ("title", "body"), "ck_mention_spans_field"),
        sa.Index("ix_mention_spans_mention", "article_id", "entity_id"),
    )
    counts = ("listing_pages", "article_pages", "new", "updated", "unchanged", "rejected")
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("spider", sa.Text, nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in (*counts, "failed_requests")
        ),
        sa.Column("pid", sa.Integer),
        sa.Column("host", sa.Text),
        sa.Column("settings_json", sa.Text),
        sa.Column("retries", sa.Integer, nullable=False, server_default="0"),
        _one_of("status", ("running", "ok", "failed", "interrupted"), "ck_crawl_runs_status"),
        sa.Index("ix_crawl_runs_spider", "spider"),
    )
    op.create_table(
        "rejects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
        ),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        _one_of("stage", ("request", "parse", "validate", "store"), "ck_rejects_stage"),
    )
    op.create_table(
        "entity_months",
        sa.Column(
            "entity_id",
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("articles", sa.Integer, nullable=False),
        sa.Column("mentions", sa.Integer, nullable=False),
        sa.Column("focus_articles", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )


# -- full-text search ------------------------------------------------------------------------

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
)

# Words of the title weigh more than words of the body (weights A and B for ts_rank_cd); the
# `simple` configuration lower-cases and splits like SQLite's unicode61, without stemming.
# A deleted article's row goes with it (ON DELETE CASCADE).
_FTS_POSTGRESQL = (
    """CREATE TABLE articles_fts (
        article_id integer PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        document tsvector NOT NULL)""",
    "CREATE INDEX ix_articles_fts_document ON articles_fts USING gin (document)",
    """CREATE FUNCTION articles_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO articles_fts (article_id, document)
        VALUES (NEW.id,
            setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector('simple', coalesce(NEW.body, '')), 'B'))
        ON CONFLICT (article_id) DO UPDATE SET document = excluded.document;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles
        FOR EACH ROW EXECUTE FUNCTION articles_fts_sync()""",
    """CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles
        FOR EACH ROW EXECUTE FUNCTION articles_fts_sync()""",
)


# -- the entity_months summary ---------------------------------------------------------------

# The row of entity_months a mention counts in, and what it adds there; `{row}` is new or old.
_MONTH = "coalesce(substr({row}.published_at, 1, 7), '')"
_SOURCE = "coalesce({row}.source, '')"
_FOCUS = "CASE WHEN {row}.focus THEN 1 ELSE 0 END"


def _add(row: str, summary: str = "") -> str:
    """SQL counting the mention `row` in its entity_months row.

    `summary` qualifies the summary's columns in the update ("entity_months." on PostgreSQL,
    where they would be ambiguous; nothing on SQLite, as release 0.1.0 wrote it).
    """
    return (
        "INSERT INTO entity_months (entity_id, month, source, articles, mentions, focus_articles)"
        f" VALUES ({row}.entity_id, {_MONTH.format(row=row)}, {_SOURCE.format(row=row)}, 1,"
        f" {row}.count, {_FOCUS.format(row=row)})"
        " ON CONFLICT (entity_id, month, source) DO UPDATE SET"
        f" articles = {summary}articles + 1, mentions = {summary}mentions + excluded.mentions,"
        f" focus_articles = {summary}focus_articles + excluded.focus_articles;"
    )


def _remove(row: str) -> str:
    """SQL taking the mention `row` out of its entity_months row (deleted when it reaches 0)."""
    key = (
        f"entity_id = {row}.entity_id AND month = {_MONTH.format(row=row)}"
        f" AND source = {_SOURCE.format(row=row)}"
    )
    return (
        f"UPDATE entity_months SET articles = articles - 1, mentions = mentions - {row}.count,"
        f" focus_articles = focus_articles - {_FOCUS.format(row=row)} WHERE {key};"
        f" DELETE FROM entity_months WHERE {key} AND articles <= 0;"
    )


_SUMMARY_COLUMNS = "entity_id, published_at, source, count, focus"

_SUMMARY_SQLITE = (
    f"CREATE TRIGGER entity_months_insert AFTER INSERT ON mentions BEGIN {_add('new')} END",
    f"CREATE TRIGGER entity_months_delete AFTER DELETE ON mentions BEGIN {_remove('old')} END",
    f"CREATE TRIGGER entity_months_update AFTER UPDATE OF {_SUMMARY_COLUMNS} ON mentions"
    f" BEGIN {_remove('old')} {_add('new')} END",
)

_SUMMARY_POSTGRESQL = (
    f"""CREATE FUNCTION entity_months_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN {_remove("OLD")} END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add("NEW", "entity_months.")} END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER entity_months_insert AFTER INSERT ON mentions
        FOR EACH ROW EXECUTE FUNCTION entity_months_sync()""",
    """CREATE TRIGGER entity_months_delete AFTER DELETE ON mentions
        FOR EACH ROW EXECUTE FUNCTION entity_months_sync()""",
    f"""CREATE TRIGGER entity_months_update AFTER UPDATE OF {_SUMMARY_COLUMNS} ON mentions
        FOR EACH ROW EXECUTE FUNCTION entity_months_sync()""",
)


# -- views -----------------------------------------------------------------------------------

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
    """CREATE VIEW entity_monthly AS
    SELECT em.entity_id, e.kind, e.name, e.acronym, e.province, em.month,
        sum(em.articles) AS articles, sum(em.mentions) AS mentions,
        sum(em.focus_articles) AS focus_articles
    FROM entity_months em
    JOIN entities e ON e.id = em.entity_id
    GROUP BY em.entity_id, em.month, e.kind, e.name, e.acronym, e.province""",
)


def _legacy_log() -> None:
    """Release 0.1.0's migration log, with one name it does not know.

    Release 0.1.0 then refuses this database as written by a newer release instead of writing
    to a schema it does not know.
    """
    log = op.create_table(
        "schema_migrations",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("applied_at", sa.Text, nullable=False),
    )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    op.bulk_insert(log, [{"name": "0011_moved_to_alembic", "applied_at": now}])


def upgrade() -> None:
    """Create every table, index, trigger and view of release 0.1.0."""
    _tables()
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in (
        *(_FTS_POSTGRESQL if postgresql else _FTS_SQLITE),
        *(_SUMMARY_POSTGRESQL if postgresql else _SUMMARY_SQLITE),
        *_VIEWS,
    ):
        op.execute(statement)
    _legacy_log()


def downgrade() -> None:
    """Not supported: a database is never taken back to an empty schema."""
    raise NotImplementedError("cppcc-watch never downgrades a database")

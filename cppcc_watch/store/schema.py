"""The database schema as SQLAlchemy Core tables: what each table and column holds.

This is the one description of the tables that the store, the query API and the migrations'
consistency test share. Migrations, not these objects, create and change tables (a test checks
that both agree); a migration's DDL is frozen once released and never imports this module.
Dates are ISO 8601 text; `fetched_at` and the other `*_at` times the tool records itself are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
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
)

# Defined with the extraction's types; store and query modules import it from here.
from cppcc_watch.extract.types import ENTITY_KINDS

RUN_STATUSES = ("running", "ok", "failed", "interrupted")
REJECT_STAGES = ("request", "parse", "validate", "store")
SPAN_FIELDS = ("title", "body")
RUN_COUNTS = (
    "listing_pages",
    "article_pages",
    "new",
    "updated",
    "unchanged",
    "rejected",
    "failed_requests",
    "retries",
)


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    """A CHECK constraint restricting a text column to a few values."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


METADATA = MetaData()

#: A news article, one row per canonical URL, in its latest fetched state.
ARTICLES = Table(
    "articles",
    METADATA,
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
    Column("captions", Text),  # JSON array of strings, NULL when none
    Column("fetched_at", Text, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("first_seen_at", Text, nullable=False),
    Column("changed_at", Text),
    Column("version", Integer, nullable=False, server_default="1"),
    Index("ix_articles_source_published", "source", "published_at"),
    Index("ix_articles_section", "section"),
    Index("ix_articles_published_at", "published_at"),
    Index("ix_articles_fetched_at", "fetched_at"),
)

#: A previous state of an article, kept when a re-fetch found it changed.
VERSIONS = Table(
    "article_versions",
    METADATA,
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

#: The raw HTML of one fetched page of an article, gzip-compressed UTF-8.
PAGES = Table(
    "raw_pages",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("url", Text, nullable=False),
    Column("page_number", Integer, nullable=False),
    Column("html_gz", LargeBinary, nullable=False),
    Column("fetched_at", Text, nullable=False),
    UniqueConstraint("article_id", "page_number"),
)

#: A province, city, organization or theme; a city links its province through `parent_id`.
#: `key` is the identity: "kind:name", and "city:name|province" for cities.
ENTITIES = Table(
    "entities",
    METADATA,
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
    one_of("kind", ENTITY_KINDS, "ck_entities_kind"),
    Index("ix_entities_kind_name", "kind", "name"),
)

#: That an article mentions an entity: how often, and whether it is the article's focus.
#: `published_at` and `source` are copies of the article's, written with the mentions, so that
#: per-entity timelines and counts by source are index range scans.
MENTIONS = Table(
    "mentions",
    METADATA,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("focus", Boolean, nullable=False, server_default="0"),
    Column("published_at", Text),
    Column("source", Text),
    Index("ix_mentions_entity_published", "entity_id", "published_at", "article_id", "source"),
    Index("ix_mentions_published_entity", "published_at", "entity_id", "count", "focus", "source"),
)

#: One occurrence of a mention: character offsets into the title or body, and a snippet.
SPANS = Table(
    "mention_spans",
    METADATA,
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
    one_of("field", SPAN_FIELDS, "ck_mention_spans_field"),
    Index("ix_mention_spans_mention", "article_id", "entity_id"),
)

#: A URL that redirected to a stored article (listed under one URL, stored under another).
ALIASES = Table(
    "article_aliases",
    METADATA,
    Column("url", Text, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("seen_at", Text, nullable=False),
    Index("ix_article_aliases_article", "article_id"),
)

#: One run of one spider: when, how it ended, and what it counted.
RUNS = Table(
    "crawl_runs",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("spider", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    *(
        Column(name, Integer, nullable=False, server_default="0")
        for name in RUN_COUNTS
        if name != "retries"
    ),
    Column("pid", Integer),
    Column("host", Text),
    Column("settings_json", Text),
    Column("retries", Integer, nullable=False, server_default="0"),
    one_of("status", RUN_STATUSES, "ck_crawl_runs_status"),
    Index("ix_crawl_runs_spider", "spider"),
)

#: A page or item that was dropped, at which stage and why.
REJECTS = Table(
    "rejects",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True),
    Column("url", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Text, nullable=False),
    one_of("stage", REJECT_STAGES, "ck_rejects_stage"),
)

#: How many articles of one month and source mention an entity, how often, and how many are
#: about it (its focus); kept equal to the sums over `mentions` by the database itself.
#: `month` is YYYY-MM of the articles' `published_at`, '' for articles without a date;
#: `source` the articles' spider ('' when a mention was written without it).
ENTITY_MONTHS = Table(
    "entity_months",
    METADATA,
    Column("entity_id", Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
    Column("month", Text, primary_key=True),
    Column("source", Text, primary_key=True),
    Column("articles", Integer, nullable=False),
    Column("mentions", Integer, nullable=False),
    Column("focus_articles", Integer, nullable=False),
    sqlite_with_rowid=False,
)

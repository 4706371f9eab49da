"""The database schema as SQLAlchemy declarative models: what each table and column holds.

These models mirror the schema that `migrations.py` builds; migrations, not these classes, create
and change tables (a test checks that both agree). The repository and the query module use the
models' tables to write portable SQL. Dates are ISO 8601 text; `fetched_at` and the other
`*_at` times the tool records itself are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ENTITY_KINDS = ("province", "city", "organization", "theme")
RUN_STATUSES = ("running", "ok", "failed", "interrupted")
REJECT_STAGES = ("request", "parse", "validate", "store")
SPAN_FIELDS = ("title", "body")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression restricting a text column to a few values."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base of every table of the store."""


class SchemaMigration(Base):
    """A schema migration applied to this database, by name (see migrations.py)."""

    __tablename__ = "schema_migrations"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    applied_at: Mapped[str] = mapped_column(Text)


class ArticleRow(Base):
    """A news article, one row per canonical URL, in its latest fetched state."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_source_published", "source", "published_at"),
        Index("ix_articles_section", "section"),
        Index("ix_articles_published_at", "published_at"),
        Index("ix_articles_fetched_at", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    captions: Mapped[str | None] = mapped_column(Text)  # JSON array of strings, NULL when none
    fetched_at: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class ArticleVersion(Base):
    """A previous state of an article, kept when a re-fetch found it changed."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[str] = mapped_column(Text)


class RawPageRow(Base):
    """The raw HTML of one fetched page of an article, gzip-compressed UTF-8."""

    __tablename__ = "raw_pages"
    __table_args__ = (UniqueConstraint("article_id", "page_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    page_number: Mapped[int] = mapped_column(Integer)
    html_gz: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[str] = mapped_column(Text)


class EntityRow(Base):
    """A province, city, organization or theme; a city links its province through `parent_id`.

    `key` is the identity: "kind:name", and "city:name|province" for cities, since two cities
    may share a name in different provinces.
    """

    __tablename__ = "entities"
    __table_args__ = (
        CheckConstraint(_one_of("kind", ENTITY_KINDS), name="ck_entities_kind"),
        Index("ix_entities_kind_name", "kind", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    acronym: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )


class MentionRow(Base):
    """That an article mentions an entity: how often, and whether it is the article's focus."""

    __tablename__ = "mentions"
    __table_args__ = (
        Index("ix_mentions_entity_published", "entity_id", "published_at", "article_id", "source"),
        Index(
            "ix_mentions_published_entity", "published_at", "entity_id", "count", "focus", "source"
        ),
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer)
    focus: Mapped[bool] = mapped_column(Boolean, server_default="0")
    # A copy of articles.published_at, so that per-entity timelines and "newest articles about X"
    # are one index range scan; the Store rewrites it whenever it writes the article's mentions.
    published_at: Mapped[str | None] = mapped_column(Text)
    # A copy of articles.source (the spider), for counts by source; written like published_at.
    source: Mapped[str | None] = mapped_column(Text)


class MentionSpan(Base):
    """One occurrence of a mention: character offsets into the title or body, and a snippet."""

    __tablename__ = "mention_spans"
    __table_args__ = (
        ForeignKeyConstraint(
            ["article_id", "entity_id"],
            ["mentions.article_id", "mentions.entity_id"],
            ondelete="CASCADE",
        ),
        CheckConstraint(_one_of("field", SPAN_FIELDS), name="ck_mention_spans_field"),
        Index("ix_mention_spans_mention", "article_id", "entity_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    snippet: Mapped[str | None] = mapped_column(Text)


class ArticleAlias(Base):
    """A URL that redirected to a stored article (listed under one URL, stored under another)."""

    __tablename__ = "article_aliases"
    __table_args__ = (Index("ix_article_aliases_article", "article_id"),)

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    seen_at: Mapped[str] = mapped_column(Text)


class CrawlRun(Base):
    """One run of one spider: when, how it ended, and what it counted."""

    __tablename__ = "crawl_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="ck_crawl_runs_status"),
        Index("ix_crawl_runs_spider", "spider"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(Text)
    started_at: Mapped[str] = mapped_column(Text)
    finished_at: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    listing_pages: Mapped[int] = mapped_column(Integer, server_default="0")
    article_pages: Mapped[int] = mapped_column(Integer, server_default="0")
    new: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, server_default="0")
    rejected: Mapped[int] = mapped_column(Integer, server_default="0")
    failed_requests: Mapped[int] = mapped_column(Integer, server_default="0")
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(Text)
    settings_json: Mapped[str | None] = mapped_column(Text)
    retries: Mapped[int] = mapped_column(Integer, server_default="0")


class Reject(Base):
    """A page or item that was dropped, at which stage and why."""

    __tablename__ = "rejects"
    __table_args__ = (CheckConstraint(_one_of("stage", REJECT_STAGES), name="ck_rejects_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(Text)


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


class EntityMonth(Base):
    """How many articles of one month and source mention an entity, how often, and how many
    are about it (its focus); kept by triggers on `mentions`.

    `month` is YYYY-MM of the articles' `published_at`, '' for articles without a date;
    `source` the articles' spider ('' when a mention was written without it).
    """

    __tablename__ = "entity_months"
    __table_args__ = ({"sqlite_with_rowid": False},)

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    articles: Mapped[int] = mapped_column(Integer)
    mentions: Mapped[int] = mapped_column(Integer)
    focus_articles: Mapped[int] = mapped_column(Integer)

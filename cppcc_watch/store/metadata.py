"""What every table, view and column of the database means, and canned queries, for datasette.

`TABLES` is the one place the schema is described in words. Two files are made from it, and
tests check that both are current:
- `python -m cppcc_watch.store.metadata > datasette/metadata.json`: datasette's metadata (table
  and column descriptions, full-text search, canned queries), for
  `datasette data/cppcc_watch.db -m datasette/metadata.json`;
- `python -m cppcc_watch.store.metadata --schema-doc docs/schema.md`: the tables-and-views part
  of that page, with the columns, types, keys and indexes of a freshly migrated database.
A test checks that every table and column of the migrated schema is described here, and that
every canned query runs.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.types import NullType

from cppcc_watch.store import open_engine, upgrade
from cppcc_watch.store.schema import ENTITY_KINDS, REJECT_STAGES, RUN_STATUSES, SPAN_FIELDS


def _one_of(values: tuple[str, ...]) -> str:
    """The allowed values of a column as a sentence: `a, b or c.`"""
    return f"{', '.join(values[:-1])} or {values[-1]}."


TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "articles": (
        "News articles, one row per canonical URL, in their latest fetched state.",
        {
            "id": "Article id.",
            "url": "Canonical URL (no tracking query, no fragment): the article's identity.",
            "source": "Spider that fetched it: cppcc or chinadaily.",
            "section": "Site section it was listed in.",
            "title": "Headline.",
            "published_at": "Publication time, ISO 8601 with the source's +08:00 offset.",
            "updated_at": "Update time shown by the page, if any (ISO 8601).",
            "author": "By-line, if any.",
            "outlet": "Who wrote it, as the page says (China Daily, Xinhua, CPPCC...).",
            "body": "Plain text, one paragraph per line.",
            "captions": "Photo captions, as a JSON array of strings (NULL when none).",
            "fetched_at": "When this state was fetched (UTC, ISO 8601).",
            "content_hash": "SHA-256 of title and body: a change marks a new version.",
            "first_seen_at": "When the article was first stored (UTC).",
            "changed_at": "When its text last changed (UTC); NULL if never.",
            "version": "1 for the first state, +1 at each change (see article_versions).",
        },
    ),
    "article_versions": (
        "Previous states of changed articles (the row before each change).",
        {
            "id": "Version row id.",
            "article_id": "The article (articles.id).",
            "version": "The version number this state had.",
            "content_hash": "Its content hash.",
            "title": "Its headline.",
            "body": "Its text.",
            "fetched_at": "When this state was fetched (UTC).",
            "replaced_at": "When a newer state replaced it (UTC).",
        },
    ),
    "article_aliases": (
        "URLs that redirected to a stored article (listed under one URL, stored under another), "
        "so that a crawl knows them and does not fetch the article again. A redirect that only "
        "changes the scheme or the host (http to https, the regional copy) needs none: the "
        "canonical URL is the same.",
        {
            "url": "The canonical form of the URL that redirected.",
            "article_id": "The article it led to (articles.id).",
            "seen_at": "When the redirect was last followed to this article (UTC).",
        },
    ),
    "raw_pages": (
        "Raw HTML of every stored page of an article, to re-parse without re-crawling.",
        {
            "id": "Page row id.",
            "article_id": "The article (articles.id).",
            "url": "URL the page was fetched from.",
            "page_number": "1 for the first page of a multi-page article, then 2, 3...",
            "html_gz": "The HTML, gzip-compressed UTF-8.",
            "fetched_at": "When it was fetched (UTC).",
        },
    ),
    "entities": (
        "Provinces, cities, organizations and themes found in articles.",
        {
            "id": "Entity id.",
            "key": "Identity: kind:name, or city:name|province for cities.",
            "kind": _one_of(ENTITY_KINDS),
            "name": "Canonical name (a theme's id for themes).",
            "acronym": "An organization's acronym, where known.",
            "code": "ISO 3166-2 code of a province; administrative code of a city.",
            "province": "A city's province (by name).",
            "region": "A province's region (North China, Southwest China...).",
            "latitude": "Latitude of a province or city.",
            "longitude": "Longitude of a province or city.",
            "parent_id": "A city's province (entities.id).",
        },
    ),
    "mentions": (
        "Which articles mention which entities, how often, and whether as their focus.",
        {
            "article_id": "The article (articles.id).",
            "entity_id": "The entity (entities.id).",
            "count": "Number of mentions in title and body.",
            "focus": "1 when the place is what the article is about (title, lead, most named).",
            "published_at": "Copy of the article's published_at, for fast per-entity timelines.",
            "source": "Copy of the article's source (its spider), for fast counts by source.",
        },
    ),
    "mention_spans": (
        "Each mention's position and context: the evidence for a mention.",
        {
            "id": "Span id.",
            "article_id": "The article (articles.id).",
            "entity_id": "The entity (entities.id).",
            "field": _one_of(SPAN_FIELDS),
            "start": "Character offset where the mention starts in that field.",
            "end": "Character offset just after the mention.",
            "text": "The text as written.",
            "snippet": "Surrounding text.",
        },
    ),
    "crawl_runs": (
        "The crawl log: one row per spider run.",
        {
            "id": "Run id.",
            "spider": "Spider name.",
            "started_at": "Start (UTC).",
            "finished_at": "End (UTC); NULL while running.",
            "status": _one_of(RUN_STATUSES),
            "reason": "Why it failed or was interrupted (health check, errors).",
            "listing_pages": "Listing pages fetched.",
            "article_pages": "Article pages fetched.",
            "new": "Articles stored for the first time.",
            "updated": "Articles whose text changed.",
            "unchanged": "Articles fetched again with the same text.",
            "rejected": "Items dropped (see rejects).",
            "failed_requests": "Requests that failed after retries.",
            "pid": "Process id of the crawl.",
            "host": "Host it ran on.",
            "settings_json": 'Settings of the run, and its full figures under "figures", as JSON.',
            "retries": "Requests retried (5xx, timeouts, dropped connections), backed off.",
        },
    ),
    "rejects": (
        "Pages and items dropped during crawls, and why.",
        {
            "id": "Reject id.",
            "run_id": "The run (crawl_runs.id), if known.",
            "url": "The page or article URL.",
            "stage": _one_of(REJECT_STAGES),
            "reason": "Why it was dropped.",
            "at": "When (UTC).",
        },
    ),
    "entity_months": (
        "Per entity, month and source: articles mentioning it, mentions, and articles it is "
        "the focus of (a summary of mentions, kept in sync by triggers).",
        {
            "entity_id": "The entity (entities.id).",
            "month": "Publication month YYYY-MM of the articles ('' when undated).",
            "source": "The articles' spider: cppcc or chinadaily.",
            "articles": "Articles of that month and source mentioning the entity.",
            "mentions": "Mentions of the entity in those articles.",
            "focus_articles": "Those of the articles the entity is the focus of (places only).",
        },
    ),
    "alembic_version": (
        "The schema revision of this database (Alembic); a newer release upgrades it in place.",
        {"version_num": "Revision id, such as 0010_release_0_1."},
    ),
    "schema_migrations": (
        "Schema migrations of release 0.1.0 applied to this database, by name; the last, "
        "0011_moved_to_alembic, makes that release refuse it (later ones are in alembic_version).",
        {"name": "Migration name.", "applied_at": "When it was applied (UTC)."},
    ),
    "article_entities": (
        "View: every mention with its article and entity (one row per article and entity).",
        {
            "article_id": "The article.",
            "url": "Its URL.",
            "title": "Its headline.",
            "source": "Its spider.",
            "section": "Its section.",
            "published_at": "Its publication time.",
            "entity_id": "The entity.",
            "kind": "Entity kind.",
            "name": "Entity name.",
            "acronym": "Organization acronym.",
            "province": "A city's province.",
            "count": "Mentions in this article.",
            "focus": "1 when the place is the article's focus.",
        },
    ),
    "entity_stats": (
        "View: each entity with how many articles mention it.",
        {
            "entity_id": "The entity.",
            "kind": "Entity kind.",
            "name": "Entity name.",
            "acronym": "Organization acronym.",
            "province": "A city's province.",
            "code": "ISO 3166-2 or administrative code.",
            "latitude": "Latitude.",
            "longitude": "Longitude.",
            "articles": "Articles mentioning it.",
            "mentions": "Mentions over all articles.",
            "focus_articles": "Articles it is the focus of.",
        },
    ),
    "entity_monthly": (
        "View: articles and mentions per entity and month, with the entity's kind and name "
        "(from entity_months; fast for timelines).",
        {
            "entity_id": "The entity.",
            "kind": "Entity kind.",
            "name": "Entity name.",
            "acronym": "Organization acronym.",
            "province": "A city's province.",
            "month": "Publication month YYYY-MM ('' for undated articles).",
            "articles": "Articles of that month mentioning the entity (all sources).",
            "mentions": "Mentions of the entity in those articles.",
            "focus_articles": "Those of the articles the entity is the focus of (places only).",
        },
    ),
    "mention_evidence": (
        "View: each mention span with its article and entity.",
        {
            "article_id": "The article.",
            "url": "Its URL.",
            "title": "Its headline.",
            "entity_id": "The entity.",
            "kind": "Entity kind.",
            "name": "Entity name.",
            "field": _one_of(SPAN_FIELDS),
            "start": "Start offset.",
            "end": "End offset.",
            "text": "The text as written.",
            "snippet": "Surrounding text.",
        },
    ),
}

QUERIES: dict[str, dict[str, str]] = {
    "search": {
        "title": "Full-text search of titles and bodies",
        "sql": (
            "SELECT a.published_at, a.title, a.url,"
            " snippet(articles_fts, 1, '[', ']', '...', 16) AS excerpt"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            " WHERE articles_fts MATCH :q ORDER BY rank LIMIT 100"
        ),
    },
    "articles_mentioning": {
        "title": "Articles mentioning an entity, newest first",
        "sql": (
            "SELECT published_at, title, url, kind, count, focus FROM article_entities"
            " WHERE name = :name ORDER BY published_at DESC LIMIT 200"
        ),
    },
    "top_entities": {
        "title": "Most-mentioned entities of a kind",
        "sql": (
            "SELECT name, province, acronym, articles, mentions, focus_articles"
            " FROM entity_stats WHERE kind = :kind ORDER BY articles DESC LIMIT 100"
        ),
    },
    "monthly_trend": {
        "title": "Articles per month mentioning an entity",
        "sql": (
            "SELECT substr(published_at, 1, 7) AS month, count(*) AS articles"
            " FROM article_entities WHERE name = :name GROUP BY month ORDER BY month"
        ),
    },
    "cooccurring": {
        "title": "Entities mentioned in the same articles as an entity",
        "sql": (
            "SELECT other.kind, other.name, count(*) AS articles"
            " FROM article_entities AS this"
            " JOIN article_entities AS other ON other.article_id = this.article_id"
            " AND other.entity_id != this.entity_id"
            " WHERE this.name = :name GROUP BY other.entity_id, other.kind, other.name"
            " ORDER BY articles DESC LIMIT 50"
        ),
    },
    "entities_in_period": {
        "title": "Entities of a kind by articles in a date range (since and until: YYYY-MM-DD)",
        "sql": (
            "SELECT e.name, e.province, e.acronym, count(*) AS articles, sum(m.count) AS mentions"
            " FROM mentions m JOIN entities e ON e.id = m.entity_id"
            " WHERE e.kind = :kind AND m.published_at >= :since AND m.published_at < :until"
            " GROUP BY e.id, e.name, e.province, e.acronym ORDER BY articles DESC LIMIT 100"
        ),
    },
    "entity_by_month": {
        "title": "Articles per month mentioning an entity (fast: from entity_months)",
        "sql": (
            "SELECT month, sum(articles) AS articles, sum(mentions) AS mentions"
            " FROM entity_monthly WHERE name = :name AND month > ''"
            " GROUP BY month ORDER BY month"
        ),
    },
    "articles_mentioning_both": {
        "title": "Articles mentioning two entities (e.g. Xi'an and climate_change), newest first",
        "sql": (
            "SELECT a.published_at, a.title, a.url FROM articles a"
            " WHERE a.id IN (SELECT m.article_id FROM mentions m JOIN entities e"
            " ON e.id = m.entity_id WHERE e.name = :first)"
            " AND a.id IN (SELECT m.article_id FROM mentions m JOIN entities e"
            " ON e.id = m.entity_id WHERE e.name = :second)"
            " ORDER BY a.published_at DESC LIMIT 200"
        ),
    },
    "recent_runs": {
        "title": "Latest crawl runs",
        "sql": (
            "SELECT id, spider, started_at, finished_at, status, reason, listing_pages,"
            " article_pages, new, updated, unchanged, rejected, failed_requests"
            " FROM crawl_runs ORDER BY id DESC LIMIT 50"
        ),
    },
}


def datasette_metadata(database: str = "cppcc_watch") -> dict[str, Any]:
    """Datasette metadata for a database file named `database` (its file name without .db)."""
    tables: dict[str, Any] = {
        name: {"description": description, "columns": dict(columns)}
        for name, (description, columns) in TABLES.items()
    }
    tables["articles"].update(fts_table="articles_fts", fts_pk="id")
    return {
        "title": "cppcc-watch",
        "description": "CPPCC and China Daily news, with the places, organizations and "
        "themes they mention.",
        "databases": {
            database: {
                "tables": tables,
                "queries": {name: dict(query) for name, query in QUERIES.items()},
            }
        },
    }


#: The lines around the part of docs/schema.md that `schema_markdown` writes.
DOC_START = (
    "<!-- Generated from cppcc_watch/store/metadata.py (TABLES) and the migrated schema by\n"
    "     python -m cppcc_watch.store.metadata --schema-doc docs/schema.md: edit it there. -->"
)
DOC_END = "<!-- End of the generated part. -->"


def schema_markdown(engine: Engine) -> str:
    """Every table and view of the database at `engine`, described from `TABLES`, in Markdown.

    Columns, declared types, keys, NOT NULL and indexes are read from the database itself (a
    migrated SQLite database for docs/schema.md); a table, view or column that `TABLES` does not
    describe raises KeyError.
    """
    inspector = inspect(engine)
    names = {name: "table" for name in inspector.get_table_names()}
    names.update({name: "view" for name in inspector.get_view_names()})
    undescribed = [n for n in names if n not in TABLES and not n.startswith("articles_fts")]
    if undescribed:
        raise KeyError(f"not described in TABLES: {', '.join(sorted(undescribed))}")
    parts = []
    for name, (description, columns) in TABLES.items():
        keys = set(inspector.get_pk_constraint(name)["constrained_columns"] or ())
        rows = [
            f"| `{column['name']}` | {_declared(column, keys)} | {_cell(columns[column['name']])} |"
            for column in inspector.get_columns(name)
        ]
        indexes = [
            f"`{index['name']}` ({', '.join(str(c) for c in index['column_names'])})"
            for index in inspector.get_indexes(name)
        ]
        parts.append(
            "\n".join(
                [
                    f"### `{name}` ({names[name]})",
                    "",
                    textwrap.fill(description, 100),
                    "",
                    "| column | type | description |",
                    "| --- | --- | --- |",
                    *rows,
                    *(["", f"Indexes: {'; '.join(indexes)}."] if indexes else []),
                ]
            )
        )
    return "\n\n".join(parts) + "\n"


def _cell(text: str) -> str:
    """`text` as a Markdown table cell (its pipes escaped)."""
    return text.replace("|", "\\|")


def _declared(column: Any, keys: set[str]) -> str:
    """A column's declared type ("-" for none), with "(key)" or "(not null)"."""
    declared = "-" if isinstance(column["type"], NullType) else str(column["type"])
    if column["name"] in keys:
        return f"{declared} (key)"
    return declared if column["nullable"] else f"{declared} (not null)"


def with_schema_markdown(doc: str, engine: Engine) -> str:
    """`doc` with its generated part (between DOC_START and DOC_END) made anew from `engine`."""
    head, start, rest = doc.partition(DOC_START)
    _, end, tail = rest.partition(DOC_END)
    if not start or not end:
        raise ValueError("the document has no generated part (DOC_START ... DOC_END)")
    return f"{head}{DOC_START}\n\n{schema_markdown(engine)}\n{DOC_END}{tail}"


def migrated_sqlite() -> Engine:
    """A new in-memory SQLite database with every migration applied: the schema to describe."""
    engine = open_engine("sqlite://")
    upgrade(engine)
    return engine


def main(argv: list[str] | None = None) -> None:
    """Print the datasette metadata as JSON, or rewrite the generated part of a schema page."""
    parser = argparse.ArgumentParser(prog="python -m cppcc_watch.store.metadata")
    parser.add_argument(
        "--schema-doc",
        type=Path,
        metavar="FILE",
        help="rewrite the tables and views of FILE (docs/schema.md) instead of printing JSON",
    )
    args = parser.parse_args(argv)
    if args.schema_doc is None:
        print(json.dumps(datasette_metadata(), indent=2, ensure_ascii=False))
        return
    engine = migrated_sqlite()
    try:
        doc = args.schema_doc.read_text(encoding="utf-8")
        args.schema_doc.write_text(with_schema_markdown(doc, engine), encoding="utf-8")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()

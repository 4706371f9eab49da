"""What every table, view and column of the database means, and canned queries, for datasette.

`TABLES` is the one place the schema is described in words; `datasette_metadata()` turns it into
datasette's metadata (table and column descriptions, full-text search, canned queries).
Run `python -m cppcc_watch.store.metadata > datasette/metadata.json` (the copy in the repository,
checked by a test), then `datasette data/cppcc_watch.db -m datasette/metadata.json`. A test checks
that every table and column of the migrated schema is described here, and that every canned
query runs.
"""

from __future__ import annotations

import json
from typing import Any

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
        "so that a crawl knows them and does not fetch the article again.",
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
    "schema_migrations": (
        "Schema migrations applied to this database, by name.",
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


def main() -> None:
    """Print the datasette metadata as JSON."""
    print(json.dumps(datasette_metadata(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

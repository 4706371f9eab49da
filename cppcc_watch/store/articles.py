"""The Store's articles: upserts that keep each article's earlier versions, its raw pages, the
URLs that redirected to it, and what a crawl asks before fetching (which URLs are stored).

An article is identified by its canonical URL and told changed by its content hash: storing it
again with the same text writes nothing; a new text moves the old one to `article_versions`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, delete, insert, select, update

from cppcc_watch.items import Article, RawPage, content_hash
from cppcc_watch.store.base import Rows, utc_now
from cppcc_watch.store.mentions import Mentions
from cppcc_watch.store.schema import ALIASES, ARTICLES, PAGES, VERSIONS

#: URLs per `IN (...)` query: below SQLite's oldest limit of 999 bound variables.
IN_CHUNK = 500
GZIP_LEVEL = 6

_STORED = select(
    ARTICLES.c.id,
    ARTICLES.c.content_hash,
    ARTICLES.c.title,
    ARTICLES.c.body,
    ARTICLES.c.fetched_at,
    ARTICLES.c.version,
).where(ARTICLES.c.url == bindparam("url"))
_UPDATE = update(ARTICLES).where(ARTICLES.c.id == bindparam("article_id"))
_INSERT_VERSION = insert(VERSIONS)
_DELETE_PAGES = delete(PAGES).where(PAGES.c.article_id == bindparam("article_id"))


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


def compress_html(html: str) -> bytes:
    """Raw HTML as stored in `raw_pages.html_gz`: gzip-compressed UTF-8."""
    return gzip.compress(html.encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0)


def decompress_html(blob: bytes) -> str:
    """The HTML text of a `raw_pages.html_gz` value."""
    return gzip.decompress(blob).decode("utf-8")


class Articles(Mentions):
    """The Store's articles, their versions, raw pages and aliases."""

    @cached_property
    def _insert_article(self) -> Executable:
        """The statement that inserts a new article and returns its id (nothing for a URL
        stored already)."""
        return self.dialect.insert_new(ARTICLES, ["url"]).returning(ARTICLES.c.id)

    @cached_property
    def _save_aliases(self) -> Executable:
        """The statement that points an alias at an article, wherever it pointed before."""
        return self.dialect.insert_or_update(ALIASES, ["url"], ["article_id", "seen_at"])

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
        values = _article_values(article, fetched_at)
        keep = self._keeps_rows()
        if keep and self._keeps_rows_of(article.url):
            self._flush()  # an article written twice in one transaction: its rows first
        with self._write(flush=not keep) as conn:
            article_id = conn.execute(
                self._insert_article,
                {**values, "first_seen_at": fetched_at, "changed_at": None, "version": 1},
            ).scalar()
            status = "new"
            if article_id is None:
                stored = conn.execute(_STORED, {"url": article.url}).one()
                article_id = stored.id
                if stored.content_hash == values["content_hash"]:
                    return UpsertResult("unchanged", article_id)
                self._replace(conn, stored, values, fetched_at)
                status = "updated"
            rows: Rows = {PAGES: _page_rows(article_id, article.pages, fetched_at)}
            if article.entities is not None:
                rows |= self._mention_rows(
                    conn, article_id, article.published_at, article.source, article.entities
                )
            if not keep:
                self._insert(conn, rows)
        if keep:
            self._keep(article.url, rows)
        return UpsertResult(status, article_id)

    def _replace(
        self, conn: Connection, stored: Any, values: dict[str, Any], fetched_at: str
    ) -> None:
        """Move a stored article's text to `article_versions`, write the new one over it, and
        remove the rows that hung off the old text (pages, mentions and spans)."""
        article_id = stored.id
        conn.execute(
            _INSERT_VERSION,
            {
                "article_id": article_id,
                "version": stored.version,
                "content_hash": stored.content_hash,
                "title": stored.title,
                "body": stored.body,
                "fetched_at": stored.fetched_at,
                "replaced_at": fetched_at,
            },
        )
        changed = {name: value for name, value in values.items() if name != "url"}
        conn.execute(
            _UPDATE,
            {
                **changed,
                "changed_at": fetched_at,
                "version": stored.version + 1,
                "article_id": article_id,
            },
        )
        conn.execute(_DELETE_PAGES, {"article_id": article_id})
        self._delete_mentions(conn, article_id)

    def known_articles(self, urls: Iterable[str]) -> dict[str, KnownArticle]:
        """Which of these canonical URLs are stored articles or aliases of one (URLs that
        redirected to it), each with the article's URL and date: what a crawl needs to skip a
        known article, or to decide whether it is recent enough to be fetched again."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, KnownArticle] = {}
        columns = (ARTICLES.c.url, ARTICLES.c.published_at, ARTICLES.c.first_seen_at)
        with self.reading() as conn:
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
            seen_at = utc_now()
            conn.execute(
                self._save_aliases,
                [{"url": url, "article_id": article_id, "seen_at": seen_at} for url in urls],
            )
        return len(urls)

    def raw_pages(self, article_id: int) -> list[RawPage]:
        """An article's stored pages, in page order, with their HTML decompressed."""
        with self.reading() as conn:
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
            with self.reading() as conn:
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
        with self.reading() as conn:
            rows = conn.execute(
                select(VERSIONS).where(VERSIONS.c.article_id == article_id).order_by(VERSIONS.c.id)
            )
            return [dict(row._mapping) for row in rows]

    def article_id(self, url: str) -> int | None:
        """The id of the article stored under this canonical URL, if any."""
        with self.reading() as conn:
            return conn.execute(select(ARTICLES.c.id).where(ARTICLES.c.url == url)).scalar()


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


def _article_values(article: Article, fetched_at: str) -> dict[str, Any]:
    """The `articles` columns an upsert writes from an Article (its content hash computed when
    the Article has none)."""
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
        "content_hash": article.content_hash or content_hash(article.title, article.body),
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

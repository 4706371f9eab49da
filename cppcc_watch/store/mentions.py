"""The Store's entities and mentions: which provinces, cities, organizations and themes an
article mentions, where, and how often.

An entity's row is found by its key ("city:Suzhou|Jiangsu"), inserted on first sight and given
the attributes a later extraction adds (one upsert through the dialect). The Store remembers the
ids it wrote or read, so an article's mentions usually cost no entity lookup at all; ids written
in a transaction or savepoint are remembered only once it has ended well (a rolled-back insert
never happened).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, Executable, bindparam, delete, select

from cppcc_watch.errors import DatabaseError
from cppcc_watch.extract.types import Entity, Extraction
from cppcc_watch.store.base import Rows, StoreBase
from cppcc_watch.store.schema import (
    ARTICLES,
    ENTITIES,
    ENTITY_KINDS,
    MENTIONS,
    SPAN_FIELDS,
    SPANS,
)

#: The entity columns an extraction may fill in, in the order `_KnownEntity.attributes` keeps.
ENTITY_ATTRIBUTES = ("acronym", "code", "province", "region", "latitude", "longitude")

_DELETE_MENTIONS = delete(MENTIONS).where(MENTIONS.c.article_id == bindparam("article_id"))
_DELETE_SPANS = delete(SPANS).where(SPANS.c.article_id == bindparam("article_id"))


def entity_key(entity: Entity) -> str:
    """An entity's identity in the `entities` table ("city:Suzhou|Jiangsu", "theme:health")."""
    if entity.kind == "city":
        return f"city:{entity.name}|{entity.province or ''}"
    return f"{entity.kind}:{entity.name}"


@dataclass(frozen=True)
class _KnownEntity:
    """An entity row's id and attributes as stored (see ENTITY_ATTRIBUTES)."""

    id: int
    attributes: tuple[Any, ...]


class EntityIds:
    """The entities a Store knows by key: committed ones, and those of each open write level
    (the transaction, its savepoints), kept apart until their level ends well."""

    def __init__(self) -> None:
        self._committed: dict[str, _KnownEntity] = {}
        self._levels: list[dict[str, _KnownEntity]] = []

    def get(self, key: str) -> _KnownEntity | None:
        """An entity known committed, or written in a level still open."""
        for level in reversed(self._levels):
            found = level.get(key)
            if found is not None:
                return found
        return self._committed.get(key)

    def put(self, key: str, entity: _KnownEntity) -> None:
        """Remember an entity written or read in the innermost open level."""
        self._levels[-1][key] = entity

    @contextmanager
    def level(self) -> Iterator[None]:
        """A write level: what it remembers joins the enclosing one (or the committed ones)
        when it ends without an error, and is forgotten otherwise."""
        level: dict[str, _KnownEntity] = {}
        self._levels.append(level)
        try:
            yield
        finally:
            self._levels.pop()
        (self._levels[-1] if self._levels else self._committed).update(level)


class Mentions(StoreBase):
    """The Store's entities, mentions and their spans."""

    def __init__(self, engine: Engine, *, readonly: bool = False) -> None:
        super().__init__(engine, readonly=readonly)
        self._entities = EntityIds()

    @contextmanager
    def _write(self, *, flush: bool = True) -> Iterator[Connection]:
        with self._entities.level(), super()._write(flush=flush) as conn:
            yield conn

    @cached_property
    def _save_entity(self) -> Executable:
        """The statement that inserts an entity, or gives its row the attributes it lacks or
        has different, and returns the row's id and attributes."""
        return self.dialect.insert_or_update(
            ENTITIES, ["key"], [*ENTITY_ATTRIBUTES, "parent_id"], fill=True
        ).returning(ENTITIES.c.id, *(ENTITIES.c[name] for name in ENTITY_ATTRIBUTES))

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
            rows = self._mention_rows(conn, article_id, row.published_at, row.source, extraction)
            self._insert(conn, rows)

    def _delete_mentions(self, conn: Connection, article_id: int) -> None:
        conn.execute(_DELETE_SPANS, {"article_id": article_id})
        conn.execute(_DELETE_MENTIONS, {"article_id": article_id})

    def _mention_rows(
        self,
        conn: Connection,
        article_id: int,
        published_at: str | None,
        source: str,
        extraction: Extraction,
    ) -> Rows:
        """An article's mention and span rows, with copies of its date and source; its
        entities' rows are written now as needed. Entities of an unknown kind and spans of an
        unknown field are a ValueError (the database would refuse them)."""
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
            for mention in entity.mentions:
                if mention.field not in SPAN_FIELDS:
                    raise ValueError(f"unknown span field {mention.field!r} ({entity.name!r})")
                spans.append(
                    {
                        "article_id": article_id,
                        "entity_id": entity_id,
                        "field": mention.field,
                        "start": mention.start,
                        "end": mention.end,
                        "text": mention.text,
                        "snippet": mention.snippet,
                    }
                )
        return {MENTIONS: list(mentions.values()), SPANS: spans}

    def _entity_id(self, conn: Connection, entity: Entity) -> int:
        """The id of an entity's row, inserting it (or filling in new attributes) as needed."""
        if entity.kind not in ENTITY_KINDS:
            raise ValueError(f"unknown entity kind {entity.kind!r} ({entity.name!r})")
        key = entity_key(entity)
        attributes = _attributes(entity)
        known = self._entities.get(key)
        if known is not None and _nothing_new(attributes, known.attributes):
            return known.id
        parent_id = None
        if entity.kind == "city" and known is None and entity.province:
            parent_id = self._entity_id(conn, Entity(kind="province", name=entity.province))
        row = conn.execute(
            self._save_entity,
            {
                "key": key,
                "kind": entity.kind,
                "name": entity.name,
                "parent_id": parent_id,
                **dict(zip(ENTITY_ATTRIBUTES, attributes, strict=True)),
            },
        ).one()
        saved = _KnownEntity(row[0], tuple(row[1:]))
        self._entities.put(key, saved)
        return saved.id


def _attributes(entity: Entity) -> tuple[Any, ...]:
    """An entity's attributes in ENTITY_ATTRIBUTES order (`province` is for cities only)."""
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

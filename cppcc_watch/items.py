"""The Article item: what one news article is, as spiders yield it and the store keeps it."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cppcc_watch.extract.types import Extraction


@dataclass
class RawPage:
    """One fetched HTML page of an article (an article may span several)."""

    url: str
    html: str


@dataclass
class Article:
    """A news article (docs/SPEC.md §3). Dates are ISO 8601 strings; `fetched_at` is UTC."""

    url: str
    source: str
    section: str | None = None
    title: str | None = None
    published_at: str | None = None
    updated_at: str | None = None
    author: str | None = None
    outlet: str | None = None
    body: str | None = None
    fetched_at: str | None = None
    content_hash: str | None = None
    captions: list[str] = field(default_factory=list)
    pages: list[RawPage] = field(default_factory=list)
    entities: Extraction | None = None

    def to_json(self) -> dict[str, Any]:
        """The article's fields as JSON-ready data, without raw pages or entities."""
        data = asdict(self)
        data.pop("pages")
        data.pop("entities")
        return data


def content_hash(title: str | None, body: str | None) -> str:
    """A stable fingerprint of an article's title and body, to tell a changed article."""
    text = f"{title or ''}\n\n{body or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""The CPPCC_WATCH_* settings of a crawl, read once and typed.

`CrawlConfig.from_settings(settings)` reads every setting of the registry in
`cppcc_watch.settings` (the one list of their names, defaults and help) into a frozen
`CrawlConfig`; a value that cannot be used raises BadInput naming the setting. The crawl's
components read their settings from it, never from Scrapy's settings directly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from scrapy.settings import BaseSettings

from cppcc_watch.errors import BadInput
from cppcc_watch.settings import DEFAULT_SECTIONS

PREFIX = "CPPCC_WATCH_"


def setting_name(field: str) -> str:
    """The setting a CrawlConfig field is read from (`max_articles` -> CPPCC_WATCH_MAX_ARTICLES)."""
    return PREFIX + field.upper()


@dataclass(frozen=True)
class CrawlConfig:
    """One crawl's CPPCC_WATCH_* settings; each field is the setting of the same name (see the
    registry in `cppcc_watch.settings` for what each means)."""

    db: str
    sections: Mapping[str, tuple[str, ...]]
    max_listing_pages: int
    max_articles: int
    recheck_days: float
    mirror: str
    min_field_share: float
    health_runs: int
    health_drop: float
    retry_backoff: float
    retry_backoff_max: float
    extract: bool
    commit_articles: int
    commit_seconds: float
    progress: bool

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlConfig:
        """Read and check the settings; BadInput names the first one that cannot be used."""
        read = _Reader(settings)
        return cls(
            db=read.text("db", required=True),
            sections=read.sections("sections"),
            max_listing_pages=read.count("max_listing_pages"),
            max_articles=read.count("max_articles"),
            recheck_days=read.amount("recheck_days"),
            mirror=read.text("mirror").rstrip("/"),
            min_field_share=read.share("min_field_share"),
            health_runs=read.count("health_runs"),
            health_drop=read.share("health_drop"),
            retry_backoff=read.amount("retry_backoff"),
            retry_backoff_max=read.amount("retry_backoff_max"),
            extract=read.flag("extract"),
            commit_articles=read.count("commit_articles"),
            commit_seconds=read.amount("commit_seconds"),
            progress=read.flag("progress"),
        )

    def start_pages(self, spider: str) -> tuple[str, ...]:
        """The first listing pages of the sections a spider walks."""
        return self.sections.get(spider, ())


class _Reader:
    """Reads settings by CrawlConfig field name, turning a bad value into one BadInput line."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings

    def _bad(self, field: str, wanted: str) -> BadInput:
        value = self.settings.get(setting_name(field))
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        return BadInput(f"setting {setting_name(field)} expects {wanted}, got {shown[:80]!r}")

    def text(self, field: str, *, required: bool = False) -> str:
        value = self.settings.get(setting_name(field))
        if value is None:
            value = ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self._bad(field, "a non-empty text" if required else "a text")
        return value.strip()

    def count(self, field: str) -> int:
        try:
            value = self.settings.getint(setting_name(field))
        except (TypeError, ValueError):
            value = -1
        if value < 0:
            raise self._bad(field, "a whole number >= 0")
        return value

    def amount(self, field: str) -> float:
        try:
            value = self.settings.getfloat(setting_name(field))
        except (TypeError, ValueError):
            value = -1.0
        if not value >= 0:  # NaN too
            raise self._bad(field, "a number >= 0")
        return value

    def share(self, field: str) -> float:
        value = self.amount(field)
        if value > 1:
            raise self._bad(field, "a share between 0 and 1")
        return value

    def flag(self, field: str) -> bool:
        try:
            return self.settings.getbool(setting_name(field))
        except (TypeError, ValueError):
            raise self._bad(field, "True or False") from None

    def sections(self, field: str) -> Mapping[str, tuple[str, ...]]:
        """Spider name -> first listing pages; a spider the setting leaves out keeps its
        defaults."""
        wanted = 'a JSON object of spider name -> list of URLs, e.g. {"cppcc": ["http://..."]}'
        try:
            given: Any = self.settings.getdict(setting_name(field))
        except (TypeError, ValueError):
            raise self._bad(field, wanted) from None
        pages = {name: tuple(urls) for name, urls in DEFAULT_SECTIONS.items()}
        for name, urls in given.items():
            if not isinstance(urls, list | tuple) or not all(
                isinstance(url, str) and url.startswith(("http://", "https://")) for url in urls
            ):
                raise self._bad(field, wanted)
            pages[str(name)] = tuple(urls)
        return MappingProxyType(pages)

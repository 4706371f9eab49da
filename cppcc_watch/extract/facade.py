"""One call from an article's text to its entities: `extract_entities(body, title)`.

The pipeline, `reprocess` and the `extract` command all go through here. The matchers
(organizations, places, themes) and the gazetteer are built once per process and reused for
every article.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from cppcc_watch.extract.types import Entity, Extraction, Mention

SNIPPET_CONTEXT = 60
_SPACE_RE = re.compile(r"\s+")
# A dateline at the start of the lead: "BEIJING --", "XI'AN -", "LHASA —".
_DATELINE_RE = re.compile(r"[A-Z][A-Z'’.\- ]*[A-Z.]\s*(?:--|-|—|–)\s")


@dataclass(frozen=True)
class _Hit:
    """A match in the combined text, already resolved to its entity key."""

    kind: str
    key: tuple[str, ...]
    start: int
    end: int
    text: str


class Extractor:
    """Runs the three matchers over a title and body and assembles an `Extraction`.

    The matchers are passed in, so benchmarks can build one with enlarged data;
    `default_extractor()` is the shared instance built from the packaged data.
    """

    def __init__(self, organizations: Any, places: Any, themes: Any, gazetteer: Any) -> None:
        self.organizations = organizations
        self.places = places
        self.themes = themes
        self.gazetteer = gazetteer
        self._themes_exclude = _accepts_exclude(themes.find)

    def extract(self, body: str, title: str = "") -> Extraction:
        """The entities of one article (see `extract_entities`)."""
        body, title = _check_text(body, "body"), _check_text(title or "", "title")
        if not body.strip() and not title.strip():
            return Extraction()
        text = f"{title}\n{body}"
        hits, acronyms = self._hits(text)
        located = _Locator(title, body)
        entities: dict[tuple[str, ...], Entity] = {}
        first_seen: dict[tuple[str, ...], int] = {}
        for hit in sorted(hits, key=lambda h: h.start):
            entity = entities.get(hit.key)
            if entity is None:
                entity = entities[hit.key] = self._new_entity(hit, acronyms)
                first_seen[hit.key] = hit.start
            entity.mentions.append(located.mention(hit.start, hit.end, hit.text))
        ordered = sorted(entities, key=lambda k: (-entities[k].count, first_seen[k]))
        result = Extraction()
        groups = {
            "province": result.provinces,
            "city": result.cities,
            "organization": result.organizations,
            "theme": result.themes,
        }
        for key in ordered:
            groups[entities[key].kind].append(entities[key])
        lead = located.lead_span()
        _mark_focus(result.provinces, lead)
        _mark_focus(result.cities, lead)
        return result

    def _hits(self, text: str) -> tuple[list[_Hit], dict[str, str]]:
        """Every hit of the three matchers, and the acronym of each organization that has one."""
        org_hits = self.organizations.find(text)
        org_spans = [(h.start, h.end) for h in org_hits]
        hits = [
            _Hit("organization", ("organization", h.name), h.start, h.end, h.text) for h in org_hits
        ]
        acronyms: dict[str, str] = {}
        for h in org_hits:
            if getattr(h, "acronym", None):
                acronyms.setdefault(h.name, h.acronym)
        for h in self.places.find(text, exclude=org_spans):
            key = (
                ("province", h.name) if h.kind == "province" else ("city", h.name, h.province or "")
            )
            hits.append(_Hit(key[0], key, h.start, h.end, h.text))
        if self._themes_exclude:
            theme_hits = self.themes.find(text, exclude=org_spans)
        else:
            theme_hits = self.themes.find(text)
        hits.extend(_Hit("theme", ("theme", h.theme), h.start, h.end, h.text) for h in theme_hits)
        return hits, acronyms

    def _new_entity(self, hit: _Hit, acronyms: dict[str, str]) -> Entity:
        name = hit.key[1]
        entity = Entity(kind=hit.kind, name=name)
        if hit.kind == "organization":
            entity.acronym = acronyms.get(name)
        elif hit.kind == "province":
            record = self.gazetteer.province(name)
            if record is not None:
                entity.code, entity.region = record.code, record.region
                entity.latitude, entity.longitude = record.latitude, record.longitude
        elif hit.kind == "city":
            entity.province = hit.key[2] or None
            record = self.gazetteer.city(name, province=entity.province)
            if record is not None:
                entity.province = record.province
                entity.code = record.code
                entity.latitude, entity.longitude = record.latitude, record.longitude
        return entity


class _Locator:
    """Maps offsets in "title\\nbody" back to a field, and cuts snippets from that field."""

    def __init__(self, title: str, body: str) -> None:
        self.title = title
        self.body = body
        self.body_offset = len(title) + 1

    def mention(self, start: int, end: int, text: str) -> Mention:
        if start < self.body_offset - 1:
            field, source, base = "title", self.title, 0
        else:
            field, source, base = "body", self.body, self.body_offset
        local_start = max(0, start - base)
        local_end = min(len(source), end - base)
        return Mention(
            start=local_start,
            end=local_end,
            text=text,
            snippet=snippet(source, local_start, local_end),
            field=field,
        )

    def lead_span(self) -> tuple[int, int]:
        """Body offsets of the lead paragraph (first non-empty line), without its dateline."""
        position = 0
        for line in self.body.split("\n"):
            if line.strip():
                dateline = _DATELINE_RE.match(line.lstrip())
                skip = len(line) - len(line.lstrip()) + (dateline.end() if dateline else 0)
                return position + skip, position + len(line)
            position += len(line) + 1
        return 0, 0


def snippet(text: str, start: int, end: int, context: int = SNIPPET_CONTEXT) -> str:
    """About `context` characters either side of text[start:end], cut on word boundaries,
    whitespace collapsed, with "…" where the text was cut."""
    left_from = max(0, start - context)
    if left_from > 0:
        space = text.find(" ", left_from, start)
        left_from = space + 1 if space != -1 else left_from
    right_to = min(len(text), end + context)
    if right_to < len(text):
        space = text.rfind(" ", end, right_to)
        right_to = space if space != -1 else right_to
    piece = _SPACE_RE.sub(" ", text[left_from:right_to]).strip()
    prefix = "…" if left_from > 0 else ""
    suffix = "…" if right_to < len(text) else ""
    return f"{prefix}{piece}{suffix}"


def _mark_focus(places: list[Entity], lead: tuple[int, int]) -> None:
    """Focus = named in the title, or in the lead paragraph outside its dateline, or the most
    mentioned of its kind (when several tie, each of them if mentioned at least twice)."""
    for entity in places:
        entity.focus = any(
            m.field == "title" or (m.field == "body" and lead[0] <= m.start < lead[1])
            for m in entity.mentions
        )
    if not places:
        return
    top = max(e.count for e in places)
    leaders = [e for e in places if e.count == top]
    if len(leaders) == 1 or top >= 2:
        for entity in leaders:
            entity.focus = True


def _check_text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"extract_entities: {what} must be str, not {type(value).__name__}")


def _accepts_exclude(find: Callable[..., Any]) -> bool:
    try:
        return "exclude" in inspect.signature(find).parameters
    except (TypeError, ValueError):
        return False


@cache
def default_extractor() -> Extractor:
    """The process-wide extractor over the packaged gazetteer, registry and cues (built once)."""
    from cppcc_watch.extract.gazetteer import Gazetteer
    from cppcc_watch.extract.organizations import OrganizationMatcher
    from cppcc_watch.extract.places import PlaceMatcher
    from cppcc_watch.extract.themes import ThemeMatcher

    return Extractor(OrganizationMatcher(), PlaceMatcher(), ThemeMatcher(), Gazetteer.load())


def extract_entities(body: str, title: str = "") -> Extraction:
    """Provinces, cities, organizations and themes of an article's title and body.

    Offsets of each mention are relative to its field ("title" or "body"). A place is the article's
    focus when it is named in the title or in the lead paragraph (the first non-empty body line; a
    leading dateline such as "BEIJING --" does not count), or when it is the most-mentioned place of
    its kind (provinces and cities separately; on a tie, every tied place mentioned at least twice).
    Entities are ordered by mention count, then by first appearance. Empty text gives an empty
    Extraction; a non-str argument raises TypeError.
    """
    return default_extractor().extract(body, title)

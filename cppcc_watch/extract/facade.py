"""One call from an article's text to its entities: `extract_entities(body, title)`.

The pipeline, `reprocess` and the `extract` command all go through here. The matchers
(organizations, places, themes) and the gazetteer are built once per process and reused for
every article.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from functools import cache
from typing import Any, NamedTuple

from cppcc_watch.extract.types import ENTITY_KINDS, Entity, Extraction, Mention

SNIPPET_CONTEXT = 60
# Texts longer than this are matched piecewise (see Extractor._grouped_hits_chunked).
CHUNK_SIZE = 100_000
# A dateline at the start of the lead: "BEIJING --", "XI'AN -", "LHASA —".
_DATELINE_RE = re.compile(r"[A-Z][A-Z'’.\- ]*[A-Z.]\s*(?:--|-|—|–)\s")


class _Span(NamedTuple):
    """A hit moved to another offset (texts matched piecewise)."""

    start: int
    end: int
    text: str


# kind -> entity key (a name, or (name, province) for cities) -> hits in text order
_Grouped = dict[str, defaultdict[Any, list[Any]]]
# organization name -> its first hit (which carries acronym, type and place)
_OrgFirst = dict[str, Any]


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
        self._attributes: dict[tuple[str, ...], dict[str, Any]] = {}

    def extract(self, body: str, title: str = "") -> Extraction:
        """The entities of one article (see `extract_entities`)."""
        body, title = _check_text(body, "body"), _check_text(title or "", "title")
        if not body.strip() and not title.strip():
            return Extraction()
        text = f"{title}\n{body}"
        grouped, organizations = self._grouped_hits_chunked(text)
        located = _Locator(title, body)
        evidence = self._themes(grouped, text, located, organizations)
        result = Extraction()
        lists = {
            "province": result.provinces,
            "city": result.cities,
            "organization": result.organizations,
            "theme": result.themes,
        }
        mentions_of = located.mentions
        for kind, groups in grouped.items():
            ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0].start))
            target = lists[kind]
            for key, hits in ordered:
                entity = self._new_entity(kind, key, organizations)
                if kind == "theme":
                    entity.score, entity.cues = evidence[key].score, evidence[key].cues
                entity.mentions = mentions_of(hits)
                target.append(entity)
        lead = located.lead_span()
        _mark_focus(result.provinces, lead)
        _mark_focus(result.cities, lead)
        return result

    def _themes(
        self, grouped: _Grouped, text: str, located: _Locator, organizations: _OrgFirst
    ) -> dict[str, Any]:
        """Weigh the theme cues (themes.assess): keep in `grouped` the hits of the themes the text
        discusses, and return each one's evidence."""
        from cppcc_watch.extract.themes import assess

        base = located.body_offset
        lead_start, lead_end = located.lead_span()
        lead = (base + lead_start, base + lead_end)
        hits = [h for found in grouped["theme"].values() for h in found]
        hits.extend(_place_signals(text, grouped, base - 1, lead))
        hits.sort(key=_start)
        advisory = any(h.type == "advisory" for h in organizations.values())
        found = assess(hits, text, lead, base - 1, advisory)
        grouped["theme"] = defaultdict(list, {e.theme: list(e.hits) for e in found})
        return {e.theme: e for e in found}

    def _grouped_hits_chunked(self, text: str) -> tuple[_Grouped, _OrgFirst]:
        """`_grouped_hits`, run piecewise on texts longer than CHUNK_SIZE (cut at line breaks).

        Real articles are far shorter; this bounds the cost of any context rule on huge input.
        """
        if len(text) <= CHUNK_SIZE:
            return self._grouped_hits(text)
        grouped: _Grouped = {kind: defaultdict(list) for kind in ENTITY_KINDS}
        organizations: _OrgFirst = {}
        for offset, chunk in _chunks(text, CHUNK_SIZE):
            part, part_organizations = self._grouped_hits(chunk)
            for kind, groups in part.items():
                for key, hits in groups.items():
                    grouped[kind][key].extend(
                        replace(h, start=h.start + offset, end=h.end + offset)
                        if kind == "theme"
                        else _Span(h.start + offset, h.end + offset, h.text)
                        for h in hits
                    )
            for name, hit in part_organizations.items():
                known = organizations.get(name)
                if known is None or (known.acronym is None and hit.acronym is not None):
                    organizations[name] = hit
        return grouped, organizations

    def _grouped_hits(self, text: str) -> tuple[_Grouped, _OrgFirst]:
        """Every hit by kind and entity key (a name; (name, province) for cities), and each
        organization's first hit, with an acronym if one has it (the hits carry the type and
        place). Matchers return hits in text order, so each list is sorted."""
        organizations: defaultdict[Any, list[Any]] = defaultdict(list)
        provinces: defaultdict[Any, list[Any]] = defaultdict(list)
        cities: defaultdict[Any, list[Any]] = defaultdict(list)
        themes: defaultdict[Any, list[Any]] = defaultdict(list)
        first: _OrgFirst = {}
        candidates = self.places.candidates(text)
        org_hits = self.organizations.find(text, candidates)
        for h in org_hits:
            organizations[h.name].append(h)
            known = first.get(h.name)
            if known is None or (known.acronym is None and h.acronym is not None):
                first[h.name] = h
        org_spans = [(h.start, h.end) for h in org_hits]
        for h in self.places.find(text, exclude=org_spans, candidates=candidates):
            if h.kind == "province":
                provinces[h.name].append(h)
            else:
                cities[h.name, h.province].append(h)
        for h in self.themes.find(text, exclude=org_spans):
            themes[h.theme].append(h)
        grouped: _Grouped = {
            "province": provinces,
            "city": cities,
            "organization": organizations,
            "theme": themes,
        }
        return grouped, first

    def _new_entity(self, kind: str, key: Any, organizations: _OrgFirst) -> Entity:
        """An entity without mentions, with its gazetteer, registry or grammar attributes."""
        if kind == "theme":
            return Entity(kind, key)
        if kind == "organization":
            hit = organizations[key]
            return Entity(
                kind,
                key,
                acronym=hit.acronym,
                type=hit.type,
                province=hit.province,
                city=hit.city,
            )
        attributes = self._attributes.get((kind, key))
        if attributes is None:
            attributes = self._attributes[kind, key] = self._place_attributes(kind, key)
        name = key if kind == "province" else key[0]
        return Entity(kind, name, **attributes)

    def _place_attributes(self, kind: str, key: Any) -> dict[str, Any]:
        if kind == "province":
            p = self.gazetteer.province(key)
            if p is None:
                return {}
            return {
                "code": p.code,
                "region": p.region,
                "latitude": p.latitude,
                "longitude": p.longitude,
            }
        name, province = key
        c = self.gazetteer.city(name, province=province)
        if c is None:
            return {"province": province}
        return {
            "province": c.province,
            "code": c.code,
            "latitude": c.latitude,
            "longitude": c.longitude,
        }


class _Locator:
    """Maps offsets in "title\\nbody" back to a field, and cuts snippets from that field."""

    def __init__(self, title: str, body: str) -> None:
        self.title = title
        self.body = body
        self.body_offset = len(title) + 1

    def mentions(self, hits: list[Any]) -> list[Mention]:
        """Mentions for hits (start, end, text in the combined text), relative to their field."""
        title, body, base = self.title, self.body, self.body_offset
        title_end = base - 1
        result: list[Mention] = []
        append = result.append
        for h in hits:
            start, end = h.start, h.end
            if start < title_end:
                append(Mention(start, end, h.text, snippet(title, start, end), "title"))
            else:
                start, end = start - base, end - base  # no hit starts on the separator
                append(Mention(start, end, h.text, snippet(body, start, end), "body"))
        return result

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
    """About `context` characters either side of text[start:end], within its paragraph (line),
    cut on word boundaries, whitespace collapsed, with "…" where a sentence was cut."""
    low = start - context if start > context else 0
    newline = text.rfind("\n", low, start)
    if newline != -1:
        left_from, prefix = newline + 1, ""
    elif low > 0:
        space = text.find(" ", low, start)
        left_from, prefix = (space + 1 if space != -1 else low), "…"
    else:
        left_from, prefix = 0, ""
    high = end + context
    newline = text.find("\n", end, high)
    if newline != -1:
        right_to, suffix = newline, ""
    elif high < len(text):
        space = text.rfind(" ", end, high)
        right_to, suffix = (space if space != -1 else high), "…"
    else:
        right_to, suffix = len(text), ""
    piece = text[left_from:right_to]
    if "  " in piece or "\t" in piece or "\r" in piece or "\xa0" in piece or "\u3000" in piece:
        piece = " ".join(piece.split())
    return prefix + piece.strip() + suffix


def _chunks(text: str, size: int) -> list[tuple[int, str]]:
    """(offset, piece) of `text` cut into pieces of about `size` characters at line breaks."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            newline = text.rfind("\n", start + size // 2, end)
            end = newline + 1 if newline != -1 else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _mark_focus(places: list[Entity], lead: tuple[int, int]) -> None:
    """Focus = named in the title, or in the lead paragraph outside its dateline, or the most
    mentioned of its kind (when several tie, each of them if mentioned at least twice).

    `places` are ordered by mention count, and each one's mentions by position (title first).
    """
    lead_start, lead_end = lead
    for entity in places:
        for m in entity.mentions:  # the first mention past the dateline decides
            if m.field == "title":
                entity.focus = True
                break
            if m.start >= lead_start:
                entity.focus = m.start < lead_end
                break
    if not places:
        return
    top = places[0].count
    leaders = [e for e in places if e.count == top]
    if len(leaders) == 1 or top >= 2:
        for entity in leaders:
            entity.focus = True


def _place_signals(
    text: str, grouped: _Grouped, title_end: int, lead: tuple[int, int]
) -> list[Any]:
    """Theme signals of the title and lead: Hong Kong, Macao or Taiwan named there ("@hmt"), a
    foreign country named there ("@foreign")."""
    from cppcc_watch.extract.organization_types import country_mentions
    from cppcc_watch.extract.themes import ThemeHit

    def in_title_or_lead(start: int) -> bool:
        return start < title_end or lead[0] <= start < lead[1]

    signals = [
        ThemeHit(h.start, h.end, h.text, "@hmt")
        for name in _HONG_KONG_MACAO_TAIWAN
        for h in grouped["province"].get(name, [])
        if in_title_or_lead(h.start)
    ]
    for start, end in [*country_mentions(text, 0, title_end), *country_mentions(text, *lead)]:
        signals.append(ThemeHit(start, end, text[start:end], "@foreign"))
    return signals


_HONG_KONG_MACAO_TAIWAN = ("Hong Kong", "Macao", "Taiwan")


def _start(hit: Any) -> int:
    return int(hit.start)


def _check_text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"extract_entities: {what} must be str, not {type(value).__name__}")


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

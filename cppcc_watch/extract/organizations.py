"""Find named organizations in an article's text (docs/ENTITY_RULES.md, "organization").

Three sources of hits, merged so that every form of one organization gets one canonical name, a
type, and for a local body its province and city:
- the registry (organization_registry.py: central bodies and aliases), matched in one
  Aho-Corasick pass that also finds the organization words discovery starts from; acronyms and
  one-word forms match case-sensitively, longer forms in their usual cases; always on whole words;
- the grammar of local and subordinate bodies (organization_grammar.py): place + level + body,
  "Sichuan Provincial Committee of the CPPCC", "People's Government of X", coordinated plurals;
- discovery of organizations outside both: acronym definitions "Full Name (ACR)" (later bare "ACR"
  in the same text is the same organization) and capitalized phrases built around an
  organization word ("Xi'an Jiaotong University"), typed by organization_types.py.
Hits never overlap: the longest wins; on a tie the registry, then the grammar. Bodies inside bodies
and plurals of registry names are then joined or split (organization_nesting.py). Generic
references ("universities", "the team"), initiatives, plans, events and documents are not
organizations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ahocorasick

from cppcc_watch.extract.organization_grammar import OrganizationGrammar
from cppcc_watch.extract.organization_nesting import Known, compose, nested_name
from cppcc_watch.extract.organization_registry import (
    DEFAULT_REGISTRY,
    RegisteredOrg,
    Registry,
    RegistryEntry,
    read_registry,
)
from cppcc_watch.extract.organization_types import (
    country_named,
    foreign_countries,
    organization_type,
)
from cppcc_watch.extract.places import Candidate, PlaceMatcher

__all__ = [
    "DEFAULT_REGISTRY",
    "OrgHit",
    "OrganizationMatcher",
    "RegistryEntry",
    "read_registry",
]


def _words(text: str) -> list[str]:
    return text.split()


# Words that make a capitalized phrase an organization name ("head" words).
ORG_WORDS = frozenset(
    _words(
        """
        University Institute Institutes Academy Association Committee Commission Ministry Bureau
        Administration Federation Council Court Procuratorate Bank Group Company Corporation Corp
        Agency Office Government Society League Party Center Centre Foundation Hospital School
        College Department Organization Organisation Conservatory Authority Chamber Union Fund Press
        Corps Laboratory Lab Museum Library Front Senate Parliament Assembly Exchange Daily
        Secretariat Cooperative Brewery Winery Factory Guesthouse Embassy Consulate Majlis Duma
        Knesset Rada Co Ltd Inc Holdings
        """
    )
)
# Words that make a phrase an initiative, plan, event or document rather than an organization.
VENUES = frozenset({"Center", "Centre", "Hall", "Park"})
NON_ORG_WORDS = frozenset(
    _words(
        """
        Initiative Initiatives Plan Plans Report Reports Resolution Decision Decisions Law Laws
        Outline Opinions Regulation Regulations Program Programme Project Strategy Index Zone Area
        Agreement Treaty Convention Declaration Communique Session Sessions Meeting Meetings
        Conference Forum Summit Expo Fair Games Olympics Festival Week Day Award Awards Prize
        Campaign Action Guideline Guidelines Proposal Proposals Work Speech Constitution Charter
        Issues Questions Matters Document
        """
    )
)
# Modifiers that, with an organization word alone, give only a generic reference.
GENERIC_MODIFIERS = frozenset(
    _words(
        """
        National Provincial Municipal Local Central Standing Special Chinese China's People's
        State Relevant Related Top Major Leading Party Working General Main Key Grassroots County
        City Township Village District Regional Foreign International Joint Primary Secondary
        Middle Higher Medical Public Private Member Participating Democratic Political Federal The
        Global Several Various Many Other New Members Members' Members’
        """
    )
)
# Capitalized words that start sentences or clauses and are not part of a name.
LEADING_STOPWORDS = frozenset(
    _words(
        """
        The A An At In On For From By With To As And Of This That These Those Its His Her Their
        Our Both Many Some All Under During After Before Since While When Meanwhile Also Other
        Several Each Every Among Including According Via Across Through Within Between Then Thus
        However Moreover Besides Last Next Recently Today Yesterday Tomorrow Monday Tuesday
        Wednesday Thursday Friday Saturday Sunday January February March April May June July
        August September October November December Mr Ms Mrs Dr Prof Professor President Premier
        Chairman Chairwoman Vice Minister Mayor Governor Said Says If Such
        """
    )
)
_POSSESSIVES_IN_NAMES = frozenset(
    _words(
        "People Women Children Chairperson Chairpersons Workers Peasants Students Persons Writers"
        " Members"
    )
)
INNER_CONNECTORS = frozenset({"of", "for", "on", "and", "the", "&"})

_WORD = r"[A-Z][\w'’&-]*"
_RIGHT_RE = re.compile(
    r"(?:[ ](?:of|for|on|and)(?:[ ]the)?(?:[ ](?:" + _WORD + r"))+)+",
)
_CAP_WORD_RE = re.compile(r"^[A-Z][\w'’&-]*$")
_MODIFIES_NEXT_RE = re.compile(r" [A-Z][^A-Z\s]")
_DOC_PREFIX_RE = re.compile(
    r"\b(?:" + "|".join(sorted(NON_ORG_WORDS)) + r") (?:of|by|from) (?:the )?$"
)
_OF_NAME_RE = re.compile(r" of (?:the )?[A-Z]")
_ACRONYM_DEF_RE = re.compile(r"\(([A-Z][A-Za-z&-]{1,9})\)")
_PARENT_JOIN_RE = re.compile(r" (of|under|at) (the )?")
_COUNTRIES_WITH_THE = (
    "United ",
    "Netherlands",
    "Philippines",
    "Bahamas",
    "Gambia",
    "Maldives",
    "Marshall",
    "Solomon",
    "Czech",
    "Dominican",
    "Central African",
)
_IN_CHINA_RE = re.compile(r" in (?:Beijing|China)\b")
_CPPCC_COMMITTEE_RE = re.compile(r" committees?\b")
_CREDIT_RE = re.compile(r"[\[(](?:Photo|Photos|Video)\b[^\])\n]{0,100}[\])]")
# A registry name that goes on with more capitalized words ("Ministry of Foreign Affairs and
# Trade of Hungary", "Committee on Foreign Affairs of the Senate"): discovery may find a longer one.
_CONTINUED_RE = re.compile(r" (?:of|and|on|for)(?: the)? [A-Z]")
_PLACE_LED_HEADS = frozenset({"Institute", "Academy", "University", "College", "School"})
_FOREIGN_BODY_TYPES = frozenset({"government", "legislature"})
_CONTINUED_TYPES = frozenset({"government", "legislature", "advisory"})
_OF_COUNTRY_RE = re.compile(r" of (?:the )?([A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,2})")
_COUNTRY_BEFORE_RE = re.compile(r"(?<![\w'-])([A-Z][\w.-]*(?: [A-Z][\w.-]*)?) $")


@dataclass(slots=True)
class OrgHit:
    """One organization mention: offsets into the text, the text as written, canonical name,
    acronym, type, and the province and city of a local body. A coordinated plural ("the Yunnan
    and Guizhou provincial committees") is one hit per organization on the same span."""

    start: int
    end: int
    text: str
    name: str
    acronym: str | None
    type: str | None = None
    province: str | None = None
    city: str | None = None
    registry: bool = field(default=False, compare=False)  # from the registry


# Where a hit comes from, in the order that wins a tie between hits of the same span.
_REGISTRY, _GRAMMAR, _DISCOVERED = 0, 1, 2
# A bare number names a registry company ("360") only as "the 360" before a verb or punctuation.
_NUMBER_CONTEXT_RE = re.compile(
    r"(?:[.,;:)]|$| (?:said|says|held|has|had|is|was|will|launched|announced|reported|released)\b)"
)


class OrganizationMatcher:
    """Finds organizations in a text with the registry automaton, the grammar of local bodies
    and discovery rules."""

    def __init__(
        self, registry_path: Path | None = None, places: PlaceMatcher | None = None
    ) -> None:
        """Load the registry (default: the package registry), build the automaton; `places`
        gives the place forms the grammar starts from (default: the packaged gazetteer's)."""
        self.registry = Registry(registry_path or DEFAULT_REGISTRY)
        self._orgs = self.registry.orgs
        self._by_form = self.registry.by_form
        self._automaton = _build_automaton(self._by_form, self.registry.context_forms)
        self._places = places
        self._grammar: OrganizationGrammar | None = None

    @property
    def size(self) -> int:
        """How many organizations the registry holds."""
        return len(self._orgs)

    def find(self, text: str, places: list[Candidate] | None = None) -> list[OrgHit]:
        """Every organization mention in `text` (title + "\\n" + body), in order, no overlaps
        (but for the organizations of one coordinated plural, which share their span).

        `places` are the place matcher's candidates of `text`, when the caller has them.
        """
        original = text
        if "’" in text:
            text = text.replace("’", "'")  # same length: offsets hold
        matcher = self._place_matcher()
        if places is None:
            places = matcher.candidates(text)
        named = {name for _, _, form in places for name in form.provinces}
        named.update(c.name for _, _, form in places for c in form.cities)
        registry, heads = self._scan(text, named)
        registry = [hit for hit in registry if not _generic_cppcc(text, hit)]
        registry.extend(_embassies(text))
        grammar = self._grammar_hits(text, places, registry, matcher)
        definitions = list(self._acronym_definitions(text, registry))
        discovered = [*self._discovered_hits(text, heads, registry, grammar), *definitions]
        occupied = bytearray(len(text) + 1)
        hits = _select(registry, grammar, discovered, occupied)
        defined = _first_definitions(definitions)
        hits.extend(_defined_acronym_hits(text, defined, occupied))
        hits = _apply_definitions(hits, defined)
        hits.sort(key=lambda h: (h.start, h.name))
        hits = _drop_parenthesized_repeats(text, hits)
        hits = compose(text, hits, self._known, _new_hit(text))  # type: ignore[arg-type,assignment]
        hits = _merge_forms(_outside_credits(text, hits))
        if text is not original:
            hits = [replace(h, text=original[h.start : h.end]) for h in hits]
        return hits

    def _place_matcher(self) -> PlaceMatcher:
        if self._places is None:
            self._places = PlaceMatcher()
        if self._grammar is None:
            self._grammar = OrganizationGrammar(self._places.gazetteer)
        return self._places

    def _grammar_hits(
        self, text: str, places: list[Candidate], registry: list[OrgHit], matcher: PlaceMatcher
    ) -> list[OrgHit]:
        """The local bodies of the grammar as hits (one per body of a coordinated plural)."""
        assert self._grammar is not None
        hits = []
        for found in self._grammar.find(text, places, registry):
            surface = text[found.start : found.end]
            for body in found.bodies:
                hits.append(
                    OrgHit(
                        found.start,
                        found.end,
                        surface,
                        body.name,
                        None,
                        body.type,
                        body.province,
                        body.city,
                    )
                )
        return hits

    def _known(self, name: str) -> Known | None:
        """What the registry says of a name (for organization_nesting)."""
        org = self.registry.lookup(name)
        if org is None:
            return None
        return Known(org.name, org.type, org.parent)

    # -- registry -------------------------------------------------------------------------------

    def _scan(self, text: str, named: set[str]) -> tuple[list[OrgHit], list[tuple[int, int]]]:
        """One automaton pass: registry hits, and the organization words (for discovery).

        A context alias counts where the text names the place of one of its organizations. A
        registry form inside a longer one ("Communist Party" in "Communist Party of China") is
        left out: the longer name always wins it.
        """
        found: list[tuple[int, int, int]] = []
        heads: list[tuple[int, int]] = []
        context = self.registry.context_forms
        places = self.registry.context_places
        size = len(text)
        for last, (length, index, is_head, form) in self._automaton.iter(text):
            start = last - length + 1
            end = last + 1
            if (start and text[start - 1].isalnum()) or (end < size and text[end].isalnum()):
                continue
            if index >= 0:
                found.append((start, -end, index))
            elif index == -2:
                index = next((i for i in context[form] if places[i] & named), -1)
                if index >= 0:
                    found.append((start, -end, index))
            elif index == -3 and _number_names_org(text, start, end):
                found.append((start, -end, self._by_form[form]))
            if is_head:
                heads.append((start, end))
        short = _short_heads(text)
        if short:
            heads = sorted([*heads, *short])
        found.sort()
        orgs = self._orgs
        registry: list[OrgHit] = []
        reach = -1
        for start, negative_end, index in found:
            end = -negative_end
            if end <= reach:
                continue  # inside a longer registry name
            if named and _place_before(text, start, named):
                continue  # "Kunming Institute of Botany" is not the "Institute of Botany"
            reach = end
            org = orgs[index]
            hit = _registry_hit(start, end, text[start:end], org, org.acronym)
            registry.append(_foreign(text, hit) if org.type in _FOREIGN_BODY_TYPES else hit)
        return registry, heads

    def _canonical(self, name: str) -> RegisteredOrg | None:
        return self.registry.lookup(name)

    # -- discovery ------------------------------------------------------------------------------

    def _discovered_hits(
        self,
        text: str,
        heads: list[tuple[int, int]],
        registry: list[OrgHit],
        grammar: list[OrgHit],
    ) -> Iterator[OrgHit]:
        """Capitalized names around organization words, except words inside a registry name or
        a local body the grammar named."""
        if not heads:
            return
        skip_until = _title_case_title_end(text) if heads[0][0] < text.find("\n") else 0
        covered = bytearray(len(text) + 1)
        for body in grammar:
            covered[body.start : body.end] = b"\x01" * (body.end - body.start)
        registry_ends = set()
        for known in registry:
            if known.type not in _CONTINUED_TYPES or not _CONTINUED_RE.match(text, known.end):
                covered[known.start : known.end] = b"\x01" * (known.end - known.start)
            registry_ends.add(known.end)
        for head_start, head_end in heads:
            if head_start < skip_until:
                continue
            # "Wuhan University" is known, but "Wuhan University of Technology" is another name.
            if covered[head_start] and not (
                head_end in registry_ends
                and not covered[head_end]  # not inside a longer registry name
                and _OF_NAME_RE.match(text, head_end)
            ):
                continue
            phrase = _phrase_around(text, head_start, head_end)
            if phrase is None:
                continue
            phrase = _cut_registry_tail(text, *phrase, covered)
            phrase = _to_registry_end(phrase, registry)
            for start, end in _split_on_and(text, *self._cut_known_prefix(text, *phrase)):
                hit = self._discovered_hit(text, start, end)
                if hit is not None:
                    yield hit

    def _cut_known_prefix(self, text: str, start: int, end: int) -> tuple[int, int]:
        """ "Tencent and Lanzhou University": a registry name joined by "and" is not part of it."""
        phrase = text[start:end]
        position = phrase.find(" and ")
        while position > 0:
            if (
                phrase[:position] in self._by_form
                and phrase[:position].split()[-1] not in ORG_WORDS
                and any(w in ORG_WORDS for w in phrase[position + 5 :].split())
            ):  # but "Ministry of Foreign Affairs and Trade of Hungary" is one name
                return start + position + 5, end
            position = phrase.find(" and ", position + 1)
        return start, end

    def _discovered_hit(self, text: str, start: int, end: int) -> OrgHit | None:
        words = text[start:end].split()
        if not _looks_like_org(words):
            return None
        surface = text[start:end]
        name = _normalize(surface)
        org = self._canonical(name)
        if org is not None:
            return _registry_hit(start, end, surface, org, org.acronym)
        rewritten = self._rewrite_parent(name)
        if rewritten is not None:
            name, kind = rewritten
            return OrgHit(start, end, surface, name, None, kind)
        return OrgHit(start, end, surface, name, None, organization_type(name))

    def _rewrite_parent(self, name: str) -> tuple[str, str] | None:
        """The name and type of a discovered body named with its parent: "CPPCC General Office"
        -> "General Office of the <CPPCC>", "Secretariat of CAST" -> "Secretariat of the <CAST>",
        "Law School of Inner Mongolia University" -> "Law School, Inner Mongolia University"."""
        words = name.split(" ")
        if len(words) >= 3 and words[0] in self._by_form and words[0].isupper():
            owner = self._orgs[self._by_form[words[0]]]
            return f"{' '.join(words[1:])} of the {owner.name}", owner.type
        for match in reversed(list(_PARENT_JOIN_RE.finditer(name))):
            unit, rest = name[: match.start()], name[match.end() :]
            known = self._canonical(rest)
            if known is not None:
                parent, kind = known.name, known.type
            elif _looks_like_org(rest.split()):
                parent, kind = rest, organization_type(rest)
            else:
                continue
            body = self._canonical(unit)
            if body is not None and body.parent == parent:
                return body.name, body.type  # a registry body written with its parent
            article = "" if known is None or known.name == rest else "the "
            nested = nested_name(unit, parent, kind, match.group(1), match.group(2) or article)
            if nested is None and known is not None and len(unit.split()) >= 2:
                nested = f"{unit} of the {parent}"
            if nested is not None:
                return nested, "party" if "Party Members" in unit else kind
        return None

    def _acronym_definitions(self, text: str, registry: list[OrgHit]) -> Iterator[OrgHit]:
        """ "Full Name (ACR)": the long form as a hit, named and with acronym ACR."""
        known = {hit.end: hit for hit in registry if hit.acronym}
        for match in _ACRONYM_DEF_RE.finditer(text):
            acronym = match.group(1)
            before = match.start()
            while before > 0 and text[before - 1] == " ":
                before -= 1
            if before in known and known[before].acronym == acronym:
                yield known[before]  # a registry name followed by its own acronym
                continue
            span = _long_form(text, match.start(), acronym)
            if span is None:
                continue
            start, end = span
            surface = text[start:end]
            name = _normalize(surface)
            org = self._canonical(name)
            if org is None and not _looks_like_org(name.split(), defined=True):
                continue
            if org is not None:
                yield _registry_hit(start, end, surface, org, acronym)
            else:
                yield OrgHit(start, end, surface, name, acronym, organization_type(name))


# -- helpers --------------------------------------------------------------------------------------


def _short_heads(text: str) -> list[tuple[int, int]]:
    """ "Co" and "Inc" ending a company's name ("Dalian Shipbuilding Industry Co, ..."): found
    apart, as the automaton would find them at the start of every "Committee" and "Including"."""
    heads = []
    for word in _SHORT_HEADS_SPACED:
        position = text.find(word)
        while position >= 0:
            end = position + len(word)
            if end == len(text) or text[end] in _SHORT_HEAD_ENDS:
                heads.append((position + 1, end))
            position = text.find(word, end)
    return heads


_SHORT_HEADS = frozenset({"Co", "Inc"})
_SHORT_HEADS_SPACED = tuple(f" {word}" for word in sorted(_SHORT_HEADS))
_SHORT_HEAD_ENDS = frozenset(" ,.;:)\n")


def _place_before(text: str, start: int, named: set[str]) -> bool:
    """Whether a place name the text names stands right before a registry name that starts
    with an organization word: then the two are one longer name of another body."""
    if start < 2 or text[start - 1] != " ":
        return False
    space = text.rfind(" ", max(0, start - 30), start - 1)
    word = text[space + 1 : start - 1]
    if word not in named:
        return False
    first = text[start : text.find(" ", start, start + 20)]
    return first in _PLACE_LED_HEADS


def _registry_hit(
    start: int, end: int, surface: str, org: RegisteredOrg, acronym: str | None
) -> OrgHit:
    """A hit on [start, end) of registry organization `org`."""
    return OrgHit(start, end, surface, org.name, acronym, org.type, org.province, org.city, True)


def _number_names_org(text: str, start: int, end: int) -> bool:
    """Whether a number the registry knows as a company ("360") is that company here."""
    return text[max(0, start - 4) : start].lower() == "the " and bool(
        _NUMBER_CONTEXT_RE.match(text, end)
    )


def _generic_cppcc(text: str, hit: OrgHit) -> bool:
    """ "CPPCC committees", "a CPPCC committee": some CPPCC committee, not the national one."""
    return hit.text == "CPPCC" and _CPPCC_COMMITTEE_RE.match(text, hit.end) is not None


def _outside_credits(text: str, hits: list[OrgHit]) -> list[OrgHit]:
    """The hits outside photo and video credits ("[Photo/Xinhua]", "[Photo by Li Hua/China
    Daily]"): a credit names no organization the article discusses."""
    if "[Photo" not in text and "[Video" not in text and "(Photo" not in text:
        return hits
    credits = [m.span() for m in _CREDIT_RE.finditer(text)]
    if not credits:
        return hits
    return [h for h in hits if not any(s <= h.start and h.end <= e for s, e in credits)]


def _embassies(text: str) -> Iterator[OrgHit]:
    """A country's embassy in China, however written: "the Egyptian embassy in Beijing",
    "the Embassy of Egypt in China" -> "Embassy of Egypt in China"."""
    position = text.find("mbassy")
    while position > 0:
        start, end = position - 1, position + 6
        position = text.find("mbassy", end)
        if text[start] not in "Ee":
            continue
        before = _COUNTRY_BEFORE_RE.search(text, max(0, start - 30), start)
        after = _OF_COUNTRY_RE.match(text, end)
        country = None
        if before:
            words = before.group(1).split()
            country = country_named(" ".join(words[-2:])) or country_named(words[-1])
            if country:
                start -= len(words[-1]) + 1 if country_named(words[-1]) else 0
        if country is None and after:
            country = country_named(after.group(1)) or country_named(after.group(1).split()[0])
            end = after.start(1) + len(country or "")
        if country is None:
            continue
        place = _IN_CHINA_RE.match(text, end)
        end = place.end() if place else end
        article = "the " if country.startswith(_COUNTRIES_WITH_THE) else ""
        name = f"Embassy of {article}{country} in China"
        yield OrgHit(start, end, text[start:end], name, None, "international")


def _foreign(text: str, hit: OrgHit) -> OrgHit:
    """A registry ministry or parliament named with a foreign country is that country's:
    "Ministry of Transport of Kazakhstan", "Kazakh Ministry of Transport"."""
    countries = foreign_countries()
    after = _OF_COUNTRY_RE.match(text, hit.end) if text.startswith(" of ", hit.end) else None
    if after:
        words = after.group(1).split()
        for size in range(len(words), 0, -1):
            country = " ".join(words[:size])
            country = country if country in countries else country.rstrip(".")
            if country in countries:
                end = after.start(1) + len(country)
                name = f"{_normalize(hit.text)} of {country}"
                return OrgHit(hit.start, end, text[hit.start : end], name, None, "international")
    if hit.start < 2 or text[hit.start - 1] != " " or not text[hit.start - 2].isalpha():
        return hit
    words = text[max(0, hit.start - 30) : hit.start - 1].rsplit(" ", 2)[-2:]
    for size in (2, 1):
        country = " ".join(words[-size:])
        if len(words) >= size and country[:1].isupper() and country in countries:
            start = hit.start - len(country) - 1
            name = f"{country} {_normalize(hit.text)}"
            return OrgHit(start, hit.end, text[start : hit.end], name, None, "international")
    return hit


def _build_automaton(
    forms: dict[str, int], context_forms: dict[str, list[int]]
) -> ahocorasick.Automaton:
    """Registry forms -> (length, org index, is an organization word, form); context aliases
    have index -2 (resolved per text), numbers -3 (`_number_names_org`), organization words
    alone -1."""
    automaton = ahocorasick.Automaton()
    for form, index in forms.items():
        code = -3 if form.isdigit() else index  # a number names a company only in context
        automaton.add_word(form, (len(form), code, form in ORG_WORDS, form))
    for form in context_forms.keys() - forms.keys():
        automaton.add_word(form, (len(form), -2, form in ORG_WORDS, form))
    for word in ORG_WORDS - _SHORT_HEADS - forms.keys() - context_forms.keys():
        automaton.add_word(word, (len(word), -1, True, word))
    automaton.make_automaton()
    return automaton


def _normalize(surface: str) -> str:
    return " ".join(surface.replace("’", "'").split())


def _title_case_title_end(text: str) -> int:
    """Where discovery may start: after the title line when the title is in Title Case."""
    newline = text.find("\n")
    if newline <= 0:
        return 0
    words = [w for w in text[:newline].split() if len(w) > 3 and w[0].isalpha()]
    capitalized = sum(1 for w in words if w[0].isupper())
    return newline if len(words) >= 3 and capitalized >= 0.7 * len(words) else 0


def _phrase_around(text: str, head_start: int, head_end: int) -> tuple[int, int] | None:
    """The capitalized phrase built around the organization word at [head_start, head_end)."""
    if _MODIFIES_NEXT_RE.match(text, head_end):
        return None  # "Government Work Report": the word modifies a following name
    start = _extend_left(text, head_start)
    end = head_end
    right = _RIGHT_RE.match(text, head_end)
    if right and not _DOC_PREFIX_RE.search(text, max(0, start - 40), start):
        end = _trim_right(text, head_end, right.end())
    return start, end


def _extend_left(text: str, head_start: int) -> int:
    """Where the name around the organization word at `head_start` begins: its capitalized words.

    "Hong Kong and Macao Affairs Office" takes words across "and", unless the words before the
    "and" close an earlier name's "of" part: "Wuhan University of Technology and Sichuan
    University" gives "Sichuan University".
    """
    start = head_start
    lo = max(0, head_start - 120)
    tokens = text[lo:head_start].split(" ")
    tokens.pop()  # the empty string before the head word
    position = head_start - 1
    taken: list[tuple[str, int]] = []
    for index in range(len(tokens) - 1, -1, -1):
        raw = tokens[index]
        token = raw.rpartition("\n")[2]
        begin = position - len(token)
        if not token:
            break
        is_word = _CAP_WORD_RE.match(token) is not None and not _is_outside_possessive(token)
        if is_word or (token in ("and", "&") and taken):
            taken.append((token, begin))
        else:
            if _closes_earlier_name(tokens, index):
                taken = _after_earlier_name(taken)
            break
        if token != raw:
            break  # the line starts here
        position = begin - 1
    while taken and (taken[-1][0] in ("and", "&") or taken[-1][0] in LEADING_STOPWORDS):
        taken.pop()
    if taken:
        start = taken[-1][1]
    return start


def _closes_earlier_name(tokens: list[str], index: int) -> bool:
    """Whether `tokens[index]` is the "of" (for, on) inside a capitalized name ("University of")."""
    if tokens[index] not in ("of", "for", "on") or index == 0:
        return False
    return _CAP_WORD_RE.match(tokens[index - 1].rpartition("\n")[2]) is not None


def _after_earlier_name(taken: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The words (taken right to left) after those that end an earlier name's "of" part.

    As in `_split_on_and`: the words up to the first "and" end it, and so does the next part
    without an organization word ("of Science and Engineering and Wuhan University").
    """
    ands = [i for i, (word, _) in enumerate(taken) if word in ("and", "&")]
    if not ands:
        return taken
    cut = ands[-1]  # the leftmost "and"
    if len(ands) > 1 and not any(word in ORG_WORDS for word, _ in taken[ands[-2] + 1 : cut]):
        cut = ands[-2]
    return taken[:cut]


def _is_outside_possessive(token: str) -> bool:
    """ "China's" in "China's Ministry of Commerce" is not part of the name; "People's" can be."""
    if not token.endswith(("'s", "’s", "'", "’")):
        return False
    return token.rstrip("s").rstrip("'’") not in _POSSESSIVES_IN_NAMES


def _trim_right(text: str, head_end: int, right_end: int) -> int:
    """Where the "of ..." continuation of a name ends.

    It ends after an acronym ("of the CPPCC" + a person's name), before a connector followed by a
    date word ("University on Thursday"), and before a second organization joined by "and the".
    """
    words = text[head_end:right_end].split(" ")[1:]
    kept: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in INNER_CONNECTORS and following in LEADING_STOPWORDS:
            break
        if word == "and" and (following == "the" or following.isupper()):
            break
        kept.append(word)
        if word.isupper() and len(word) > 1:
            break
    while kept and kept[-1] in INNER_CONNECTORS:
        kept.pop()
    return head_end + len(" ".join(kept)) + (1 if kept else 0)


def _to_registry_end(phrase: tuple[int, int], registry: list[OrgHit]) -> tuple[int, int]:
    """A phrase that ends inside a registry name ends with it: "... of the CPPCC" + "National
    Committee" (the name goes on after the acronym)."""
    start, end = phrase
    for known in registry:
        if known.start < end < known.end and known.start >= start:
            return start, known.end
    return phrase


def _cut_registry_tail(text: str, start: int, end: int, covered: bytearray) -> tuple[int, int]:
    """ "... for Science and Technology and Foo University": a phrase that starts inside a
    registry name ("China Association for Science and Technology") starts after its "and"."""
    if not (start and covered[start - 1] and covered[start]):
        return start, end
    after = covered.find(0, start)
    if 0 <= after < end and text.startswith(" and ", after):
        return after + 5, end
    return start, end


def _split_on_and(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """ "Peking University and Tsinghua University" are two organizations.

    The phrase is cut at each "and"; a part without an organization word belongs to a neighbour:
    the first such part to the name before it when that name ends in an "of" part ("University of
    Science" + "Engineering"), the others to the name after it ("National Development" + "Reform
    Commission"), like the words `_extend_left` takes.
    """
    phrase = text[start:end]
    if " and " not in phrase:
        return [(start, end)]
    parts: list[tuple[int, int]] = []
    position = 0
    for match in re.finditer(" and ", phrase):
        parts.append((position, match.start()))
        position = match.end()
    parts.append((position, len(phrase)))
    names: list[list[int]] = []
    orphans: list[tuple[int, int]] = []
    for part_start, part_end in parts:
        if not any(w in ORG_WORDS for w in phrase[part_start:part_end].split()):
            orphans.append((part_start, part_end))
            continue
        if orphans and names and _ends_in_of_part(phrase[names[-1][0] : names[-1][1]]):
            names[-1][1] = orphans.pop(0)[1]
        names.append([orphans[0][0] if orphans else part_start, part_end])
        orphans = []
    if not names:
        return [(start, end)]
    if orphans:
        names[-1][1] = orphans[-1][1]
    return [(start + name_start, start + name_end) for name_start, name_end in names]


def _ends_in_of_part(name: str) -> bool:
    """Whether the name goes on after its last organization word with "of", "for" or "on"."""
    words = name.split()
    last = max(i for i, w in enumerate(words) if w in ORG_WORDS)
    return any(w in ("of", "for", "on") for w in words[last + 1 :])


def _looks_like_org(words: list[str], defined: bool = False) -> bool:
    """A capitalized name with an organization word, not generic, not a document or event."""
    if not words or words[0] in LEADING_STOPWORDS or words[0][:1].islower():
        return False
    if len(words) > 14 or any(
        w in NON_ORG_WORDS
        and (i + 1 == len(words) or words[i + 1] in INNER_CONNECTORS or words[i + 1] in VENUES)
        for i, w in enumerate(words)
    ):  # an event, document or venue ("Forum", "Law of", "Expo Center"), not a modifier
        return False
    if not any(w in ORG_WORDS for w in words):
        return False
    if defined:
        return True
    content = [w for w in words if w not in INNER_CONNECTORS]
    modifiers = [w for w in content if w not in ORG_WORDS] or content[:-1]
    return bool(modifiers) and not all(w in GENERIC_MODIFIERS for w in modifiers)


def _long_form(text: str, paren_start: int, acronym: str) -> tuple[int, int] | None:
    """The shortest capitalized phrase before "(ACR)" whose words' initials spell ACR.

    A variant of Schwartz & Hearst (2003): letters of the acronym are matched right to left to
    letters of the preceding words, the first letter to a word's initial.
    """
    end = paren_start
    while end > 0 and text[end - 1] == " ":
        end -= 1
    letters = acronym.lower()
    limit = min(len(letters) + 5, 2 * len(letters) + 2)
    window = text[max(0, end - 200) : end].rpartition("\n")[2]
    words = window.split(" ")[-limit:]
    offset = end - len(window)
    position = len(window)
    starts: list[int] = []
    for word in reversed(words):
        position -= len(word)
        if not (_CAP_WORD_RE.match(word) or word in INNER_CONNECTORS):
            break
        starts.append(position)
        position -= 1
    for count, start in enumerate(starts, 1):
        first = words[-count]
        if first[0].lower() != letters[0] or first in LEADING_STOPWORDS:
            continue
        if _initials_match(letters, window[start:].lower()):
            return offset + start, end
    return None


def _initials_match(letters: str, long_form: str) -> bool:
    position = len(long_form) - 1
    for index in range(len(letters) - 1, -1, -1):
        letter = letters[index]
        if not letter.isalpha():
            continue
        while position >= 0 and (
            long_form[position] != letter
            or (index == 0 and position > 0 and long_form[position - 1].isalnum())
        ):
            position -= 1
        if position < 0:
            return False
        position -= 1
    return True


def _select(
    registry: list[OrgHit], grammar: list[OrgHit], discovered: list[OrgHit], occupied: bytearray
) -> list[OrgHit]:
    """Non-overlapping hits, longest first; on a tie the registry, then the grammar, then
    discovery. Marks `occupied` (1 = taken). The organizations of one coordinated plural (grammar
    hits on one span) are taken together.

    A grammar or discovered hit replaces registry hits only when it contains them entirely.
    """
    inside_registry = bytearray(len(occupied))  # 1 at i when a registry hit spans i - 1 and i
    for hit in registry:
        inside_registry[hit.start + 1 : hit.end] = b"\x01" * (hit.end - hit.start - 1)
    candidates = [(h.start - h.end, _REGISTRY, h.start, i, h) for i, h in enumerate(registry)]
    candidates += [(h.start - h.end, _GRAMMAR, h.start, i, h) for i, h in enumerate(grammar)]
    candidates += [(h.start - h.end, _DISCOVERED, h.start, i, h) for i, h in enumerate(discovered)]
    candidates.sort(key=lambda c: c[:4])  # longest first, then by source, then leftmost
    chosen: list[OrgHit] = []
    plural: tuple[int, int] | None = None
    for _, source, _, _, hit in candidates:
        if source == _GRAMMAR and plural == (hit.start, hit.end):
            chosen.append(hit)
            continue
        if occupied.find(1, hit.start, hit.end) >= 0:
            continue
        if source and (inside_registry[hit.start] or inside_registry[hit.end]):
            continue  # it would cut a registry name in two
        chosen.append(hit)
        plural = (hit.start, hit.end) if source == _GRAMMAR else None
        occupied[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
    return chosen


def _new_hit(text: str) -> Any:
    """A maker of hits for organization_nesting: (start, end, name, type, province, city)."""

    def make(
        start: int, end: int, name: str, kind: str | None, province: str | None, city: str | None
    ) -> OrgHit:
        return OrgHit(start, end, text[start:end], name, None, kind, province, city)

    return make


def _first_definitions(definitions: list[OrgHit]) -> dict[str, OrgHit]:
    """The first definition of each acronym the text defines."""
    defined: dict[str, OrgHit] = {}
    for hit in definitions:
        if hit.acronym:
            defined.setdefault(hit.acronym, hit)
    return defined


def _defined_acronym_hits(
    text: str, defined: dict[str, OrgHit], occupied: bytearray
) -> Iterator[OrgHit]:
    """Bare uses of acronyms the text defined, where no other hit already sits."""
    if not defined:
        return
    alternatives = "|".join(re.escape(a) for a in sorted(defined, key=len, reverse=True))
    pattern = re.compile(r"(?<![\w-])(?:" + alternatives + r")(?![\w-])")
    for match in pattern.finditer(text):
        start, end = match.span()
        if occupied.find(1, start, end) >= 0:
            continue
        occupied[start:end] = b"\x01" * (end - start)
        acronym = match.group()
        yield replace(defined[acronym], start=start, end=end, text=acronym, acronym=acronym)


def _apply_definitions(hits: list[OrgHit], defined: dict[str, OrgHit]) -> list[OrgHit]:
    """An acronym the text defines means what the text says, even if the registry knows another."""
    return [
        replace(hit, name=defined[hit.text].name, acronym=hit.text)
        if hit.text in defined and hit.name != defined[hit.text].name
        else hit
        for hit in hits
    ]


def _drop_parenthesized_repeats(text: str, hits: list[OrgHit]) -> list[OrgHit]:
    """ "Full Name (ACR)" is one mention: drop the "(ACR)" hit right after its organization, or
    after a body whose name ends in it ("Central Committee of the Communist Party of China
    (CPC)": the CPC is only inside its Central Committee's name)."""
    kept: list[OrgHit] = []
    for hit in hits:
        previous = kept[-1] if kept else None
        if (
            previous is not None
            and (previous.name == hit.name or previous.name.endswith(f" {hit.name}"))
            and text[previous.end : hit.start].strip() == "("
            and text[hit.end : hit.end + 1] == ")"
        ):
            if previous.acronym is None and previous.name == hit.name:
                kept[-1] = replace(previous, acronym=hit.text)
            continue
        kept.append(hit)
    return kept


def _merge_forms(hits: list[OrgHit]) -> list[OrgHit]:
    """Give every hit of one organization the same acronym (the text's, else the registry's)."""
    acronyms: dict[str, str] = {}
    for hit in hits:
        if hit.acronym and hit.name not in acronyms:
            acronyms[hit.name] = hit.acronym
    return [
        replace(hit, acronym=acronyms[hit.name])
        if hit.acronym != acronyms.get(hit.name, hit.acronym)
        else hit
        for hit in hits
    ]

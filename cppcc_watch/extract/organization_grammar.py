"""Local and subordinate bodies: place + level + body (docs/ENTITY_RULES.md, "organization").

A local body's name holds a place, and one body is written many ways: "Sichuan Provincial
Committee of the CPPCC", "CPPCC Sichuan Provincial Committee", "Sichuan Provincial Political
Consultative Conference", "Sichuan Provincial CPPCC". The grammar starts from every place form of
the text (the place matcher's candidates, and county-level units such as "Wuyi county" that the
gazetteer does not hold), reads the level and the body around it, and gives the body's one
canonical name, its type, and its province and city:

    [PARENT] PLACE ['s] [LEVEL] BODY [of the PARENT]    CPPCC, CPC and democratic-party
                                                         committees, people's congresses,
                                                         governments, party schools, departments
    BODY of [the] PLACE [UNIT]                           People's Government of X Province,
                                                         Health Commission of X Autonomous Region
    UNIT of [the] LOCAL-BODY                             Standing Committee of the X Provincial
                                                         People's Congress, Leading Party
                                                         Members' Group of ...
    PLACE, PLACE and PLACE LEVEL BODIES [of the PARENT]  a coordinated plural: one body each

The hit's span covers the place, so the place inside such a name is not a place mention. A
county-level unit takes its province and city from the places named next to it in its sentence
("Wuyi county in Jinhua, Zhejiang province"); its name used alone later ("Wuyi CPPCC") is the same
unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from cppcc_watch.extract.gazetteer import Gazetteer
from cppcc_watch.extract.organization_types import organization_type
from cppcc_watch.extract.places import Candidate


def _words(text: str) -> list[str]:
    """The whitespace-separated words of `text`."""
    return text.split()


CPPCC = "Chinese People's Political Consultative Conference"
CPC = "Communist Party of China"
NPC = "National People's Congress"
_PARENT_NAMES = frozenset({CPPCC, CPC, NPC})
# The ethnic word in an autonomous region's full name.
_REGION_STEMS = {
    "Xinjiang": "Xinjiang Uygur",
    "Guangxi": "Guangxi Zhuang",
    "Ningxia": "Ningxia Hui",
    "Inner Mongolia": "Inner Mongolia",
    "Xizang": "Xizang",
}
_Q = "['’]"  # an apostrophe, straight or curly
_LEVEL_RE = re.compile(
    r" (?:(?:Uygur|Uyghur|Uighur|Zhuang|Hui) )?(?P<level>[Pp]ro\w*cial|[Pp]rovince|[Mm]unicipal"
    r"|[Mm]unicipality|[Cc]ity|[Cc]ounty|[Dd]istrict|[Tt]ownship|[Aa]ut\w+ [Rr]egion(?:al)?"
    r"|[Rr]egional|[Rr]egion)(?![\w'’-])"
)
_UNIT_WORDS = frozenset(_words("province municipality city region"))
_ORDINAL_RE = re.compile(r" \d{1,2}(?:st|nd|rd|th)(?= )")
_POSSESSIVE_RE = re.compile(_Q + r"s(?= )")
_BODY_RE = re.compile(
    r" (?:"
    r"(?P<cppcc>(?:Chinese People" + _Q + r"s )?Political Consultative Conference|CPPCC|PPCC)"
    r"|(?P<congress>(?:[Pp]eople" + _Q + r"s )?[Cc]ongress(?:es)?)"
    r"(?P<standing> [Ss]tanding [Cc]ommittees?)?"
    r"|(?P<government>(?:[Pp]eople" + _Q + r"s )?[Gg]overnments?)"
    r"|(?P<school>[Pp]arty [Ss]chools?)"
    r"|(?P<discipline>[Cc]ommissions? for [Dd]iscipline [Ii]nspection"
    r"|[Dd]iscipline [Ii]nspection [Cc]ommissions?)"
    r"|(?P<working>(?:[Pp]arty )?[Ww]orking [Cc]ommittees?)"
    r"|(?P<committee>(?:(?P<party>[Pp]arty|CPC|Communist Party) )?[Cc]ommittees?)"
    r")(?![\w'’-])"
)
_OF_RE = re.compile(r" (?:of|under) (?:the )?")
_ACRONYM_RE = re.compile(r" \([A-Z]{2,8}\)")
# The words of a name before " of (the) <place>" or " of (the) <local body>": capitalized words
# and the connectors inside names, or a few fixed lowercase bodies.
_NAME_BEFORE_OF_RE = re.compile(
    r"(?P<body>(?:(?:[A-Z][\w'’&-]*,?|and|&|for|on|of) )*?"
    r"(?:[A-Z][\w'’-]*|(?:CPPCC |CPC |[Pp]arty |[Pp]arty [Ww]orking )[Cc]ommittees?"
    r"|[Ss]tanding [Cc]ommittees?|[Ll]eading [Pp]arty [Mm]embers" + _Q + r"? [Gg]roups?"
    r"|[Pp]arty [Gg]roups?|(?:[Pp]eople" + _Q + r"s )?[Gg]overnments))"
    r" of (?:the )?$"
)
# Lowercase words that can end a name before "of": "Party committee of", "governments of".
_LOWER_NAME_ENDS = frozenset(_words("committee committees group groups government governments"))
_UNIT_AFTER_RE = re.compile(
    r" (?:(?:Uygur|Uyghur|Uighur|Zhuang|Hui) )?(?:[Pp]rovinces?|[Mm]unicipalit(?:y|ies)|[Cc]ity"
    r"|[Cc]ities|[Aa]ut\w+ [Rr]egions?|[Ss]pecial [Aa]dministrative [Rr]egions?)(?![\w-])"
)
_AND_THE_RE = re.compile(r",? and (?:the )?")
_CHAIN_RE = re.compile(r",? and |, ")
# A county-level unit the gazetteer does not hold: "Wuyi county", "Sanjiang Dong autonomous
# county", "Jinzhou district", "Zhongzhai township", "Xixian New Area".
_COUNTY_UNITS = (" county", " district", " township", " new area")
_NAME_WORD = r"[A-Z][a-z'’]+(?:-[A-Z]?[a-z'’]+)?"
_COUNTY_NAME_RE = re.compile(
    rf"(?<![\w'’-])(?:(?P<first>{_NAME_WORD}) )?(?P<second>{_NAME_WORD})"
    r"(?P<autonomous> [Aa]utonomous)?$"
)
_NOT_COUNTY_NAMES = frozenset(
    _words("""The A An This That Each Every One Another Its Their Our Which Whose No Any Some All
    Central Northern Southern Eastern Western North South East West New Old Rural Urban Border
    Poor Pilot Model Key""")
)
_SENTENCE_END_RE = re.compile(r"[.!?](?:\s|$)|\n")
_NPC_PLACE_END_RE = re.compile(r"[.,;:)]|$| (?!delegat|deput|member)[a-z]")
# Head words of bodies inside a local body ("Standing Committee of the ...").
_NESTED_HEADS = frozenset(
    _words("""Committee Group School Office Secretariat Council Commission Department Bureau
    Center Centre Administration""")
)
# Head words of a local department, bureau, commission or federation.
_LOCAL_HEADS = frozenset(
    _words("""Department Bureau Commission Administration Office Center Centre Agency Authority
    Federation Association Court Procuratorate Congress""")
)
_LOWER_BODY_WORDS = frozenset(
    _words("""government governments committee committees congress congresses people's people’s
    party cppcc provincial province municipal municipality city county district township
    autonomous regional region uygur uyghur uighur zhuang hui""")
)
# A body word a little after a place: worth parsing a plural or a possessive there.
_BODY_NEAR = (
    "ommittee", "overnment", "ongress", "PPCC", "epartment", "ureau", "ommission", "dministration",
    "ffice", "ederation", "ssociation", "ourt", "arty", "rocuratorate", "uthority", "gency",
    "enter", "entre",
)  # fmt: skip
# Words after a place that start no body.
_FUNCTION_WORDS = frozenset(
    _words("""and or in on of to the for with at from by as is was are were has have had will
    would said says also which where who that this its their a an into since after before
    during than while""")
)
_LOWER_HEAD_NEAR_RE = re.compile(
    r" (?:department|bureau|commission|administration|cent(?:er|re))\b"
)
_LOWER_HEADS = frozenset(_words("department bureau commission administration center centre"))
_LOCAL_TYPES = frozenset({"government", "people_org", "legislature", "party"})
_CONNECTORS = frozenset({"of", "and", "for", "on", "the", "&"})
_SMALL_WORDS = frozenset({"of", "and", "for", "on", "the", "in", "at", "to", "with", "&"})
_ARTICLES = frozenset({"The", "A", "An", "the", "a", "an"})


@dataclass(frozen=True)
class LocalBody:
    """One organization the grammar names: canonical name, type, and its province and city."""

    name: str
    type: str
    province: str | None
    city: str | None


@dataclass(frozen=True)
class GrammarHit:
    """A local body (several, for a coordinated plural) on the span [start, end) of the text."""

    start: int
    end: int
    bodies: tuple[LocalBody, ...]


@dataclass(frozen=True)
class _Place:
    """A place as the names of its bodies use it.

    `adjective` goes before a body ("Sichuan Provincial", "Ningbo Municipal", "Wuyi County"),
    `unit` after "of" ("Sichuan Province", "Xinjiang Uygur Autonomous Region"), `stem` before a
    level word as written ("Xinjiang Uygur" + "Autonomous Region Health Commission").
    """

    adjective: str
    unit: str
    province: str | None
    city: str | None
    stem: str


class _Anchor(NamedTuple):
    """A place form that may name a body: span, place, and whether its unit word was written
    ("Sichuan province", "Huayuan county": a level of its own)."""

    start: int
    end: int
    place: _Place
    with_unit: bool


@dataclass(frozen=True)
class _Parent:
    """A body written around a place that says whose committee it is (the CPPCC, the CPC...)."""

    start: int
    end: int
    name: str
    type: str


class OrganizationGrammar:
    """Finds local and subordinate bodies around the place forms of a text."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        """`gazetteer` tells a place's kind (province, autonomous region, city...)."""
        self.gazetteer = gazetteer
        self._provinces: dict[str, _Place | None] = {}

    def find(self, text: str, places: list[Candidate], parents: list[Any]) -> list[GrammarHit]:
        """The local bodies of `text`, in order, without overlaps.

        `places` are the place matcher's candidates; `parents` the registry's hits (objects with
        start, end, name and type), which say whose committee a "Provincial Committee" is.
        """
        return _Scan(self, text, places, parents).run()

    def place(self, form: Any, named: set[str]) -> _Place | None:
        """The place a candidate's form stands for (a province before a city of the same name;
        a city name shared by two provinces takes the one the text names), or None."""
        if form.provinces:
            name = form.provinces[0]
            if name not in self._provinces:
                self._provinces[name] = self._province_place(name)
            return self._provinces[name]
        cities = [c for c in form.cities if not c.guarded or c.province in named]
        if len(cities) > 1:
            cities = [c for c in cities if c.province in named]
        if len(cities) != 1:
            return None
        name, province = cities[0].name, cities[0].province
        return _Place(f"{name} Municipal", f"{name} Municipality", province, name, name)

    def _province_place(self, name: str) -> _Place | None:
        record = self.gazetteer.province(name)
        if record is None:
            return None
        if record.kind == "municipality":
            return _Place(f"{name} Municipal", f"{name} Municipality", name, name, name)
        if record.kind == "autonomous region":
            stem = _REGION_STEMS.get(name, name)
            return _Place(
                f"{stem} Autonomous Regional", f"{stem} Autonomous Region", name, None, stem
            )
        if record.kind == "province" and name != "Taiwan":
            return _Place(f"{name} Provincial", f"{name} Province", name, None, name)
        return None  # the bodies of Hong Kong, Macao and Taiwan are the registry's


class _Scan:
    """One pass of the grammar over one text.

    Most places name no body ("in Sichuan province, ..."): a quick look at the characters around
    each one (`_may_name_body`) decides whether to parse there, and a place is resolved (its
    kind, level and unit) only where the parse needs it.
    """

    def __init__(
        self, grammar: OrganizationGrammar, text: str, places: list[Candidate], parents: list[Any]
    ) -> None:
        self.grammar = grammar
        self.text = text
        self.places = places
        self.forms = {start: (end, form) for start, end, form in places}
        self.counties = {anchor.start: anchor for anchor in self._counties(places)}
        self.resolved: dict[int, _Anchor | None] = dict(self.counties)
        self.parent_at: dict[int, _Parent] = {}
        self.parent_ending: dict[int, _Parent] = {}
        for hit in sorted(parents, key=_longest_first):
            if hit.name in _PARENT_NAMES or hit.type == "democratic_party":
                parent = _parent(hit)
                if parent is not None:
                    self.parent_at.setdefault(hit.start, parent)
                    self.parent_ending.setdefault(hit.end, parent)

    @cached_property
    def named(self) -> set[str]:
        """The provinces the text names (for a city name two provinces share)."""
        return {name for _, _, form in self.places for name in form.provinces}

    def run(self) -> list[GrammarHit]:
        hits: list[GrammarHit] = []
        reach = 0
        if self.counties:
            spans = [(start, end) for start, end, _ in self.forms_in_order()]
        else:
            spans = [(start, end) for start, (end, _) in self.forms.items()]
        may_name_body = self._may_name_body
        for start, end in spans:
            if start < reach or not may_name_body(start, end):
                continue
            anchor = self.anchor_at(start)
            if anchor is None:
                continue
            hit = self._parse(anchor)
            if hit is not None and hit.start >= reach:
                hits.append(hit)
                reach = hit.end
        return hits

    def _parse(self, anchor: _Anchor) -> GrammarHit | None:
        chain, end = self._chain(anchor)
        found = self._body_after(anchor, chain, end) or self._body_before(anchor, chain, end)
        if found is None:
            return None
        start, end, bodies = found
        return self._nested(start, end, bodies)

    # -- anchors ---------------------------------------------------------------------------------

    def forms_in_order(self) -> list[tuple[int, int, Any]]:
        """(start, end, form or None) of every place form and county-level unit, in order; a
        gazetteer form inside a county-level unit ("Jinzhou" of "Jinzhou district") is left out."""
        if not self.counties:
            return [(start, end, form) for start, (end, form) in self.forms.items()]
        covered = [(a.start, a.end) for a in self.counties.values()]
        spans: list[tuple[int, int, Any]] = [
            (start, end, form)
            for start, (end, form) in self.forms.items()
            if not any(s <= start < e for s, e in covered)
        ]
        spans += [(a.start, a.end, None) for a in self.counties.values()]
        return sorted(spans, key=lambda span: span[0])

    def anchor_at(self, start: int) -> _Anchor | None:
        """The place that starts at `start`, resolved (None if there is none, or if it names no
        place a body can belong to)."""
        if start in self.resolved:
            return self.resolved[start]
        anchor = None
        if start in self.forms:
            end, form = self.forms[start]
            place = self.grammar.place(form, self.named)
            if place is not None:
                surface = self.text[start:end]
                with_unit = " " in surface and surface.rsplit(" ", 1)[1].lower() in _UNIT_WORDS
                anchor = _Anchor(start, end, place, with_unit)
        self.resolved[start] = anchor
        return anchor

    def _may_name_body(self, start: int, end: int) -> bool:
        """A quick test: could a body be named around the place at [start, end)? Not when
        a comma, a full stop or a plain lowercase word follows it and no "of" or parent precedes
        it."""
        text = self.text
        following = text[end : end + 1]
        if following == " " and text[end + 1 : end + 2].isupper():
            return True
        if following == " " and text.startswith(" and ", end):
            after = end + 5 in self.forms or end + 5 in self.counties
        elif following == " ":
            after = _may_start_body(text, end, None)
        elif following == ",":
            after = end + 2 in self.forms or end + 2 in self.counties
        else:
            after = following in ("'", "’")
        if (after and following != " ") or text.startswith(" and ", end):
            window = text[end : end + 120]
            after = after and any(word in window for word in _BODY_NEAR)
        if after:
            return True
        return (
            text.endswith((" of ", " of the "), 0, start) or self._parent_before(start) is not None
        )

    def _counties(self, places: list[Candidate]) -> Iterator[_Anchor]:
        """County-level units written with their unit word, and their names used alone."""
        text = self.text
        if not ("ounty" in text or "istrict" in text or "ownship" in text or "ew " in text):
            return
        known: dict[str, _Place] = {}
        spans = []
        for start, end, name, unit in _county_mentions(text):
            if name not in known:
                province, city = self._context_place(start, end, places)
                adjective = f"{name} {unit}"
                known[name] = _Place(adjective, adjective, province, city, adjective)
            spans.append((start, end))
            yield _Anchor(start, end, known[name], True)
        for name, place in known.items():
            pattern = r"(?<![\w'’-])" + re.escape(name).replace("'", "['’]") + r"(?![\w'’-])"
            for match in re.finditer(pattern, text):
                if not any(s <= match.start() < e for s, e in spans):
                    yield _Anchor(match.start(), match.end(), place, False)

    def _context_place(
        self, start: int, end: int, places: list[Candidate]
    ) -> tuple[str | None, str | None]:
        """The province and city a county-level unit lies in, from the places named next to it
        in its sentence ("Wuyi county in Jinhua, Zhejiang province"), after it first."""
        text = self.text
        stop = _SENTENCE_END_RE.search(text, end)
        limit = stop.start() if stop else len(text)
        begin = max(text.rfind("\n", 0, start), text.rfind(". ", 0, start)) + 1
        nearby = [form for s, e, form in places if end <= s < limit]
        nearby += [form for s, e, form in places if begin <= s and e <= start]
        province = city = None
        for form in nearby:
            place = self.grammar.place(form, self.named)
            if place is None:
                continue
            if city is None and place.city is not None:
                city = place.city
                province = province or place.province
            elif province is None:
                province = place.province
        return province, city

    # -- parsing ---------------------------------------------------------------------------------

    def _chain(self, anchor: _Anchor) -> tuple[list[_Anchor], int]:
        """The places of a coordinated plural starting here ("Yunnan, Guizhou and Sichuan", "the
        Guangdong provincial and Zhuhai municipal ..."), or just this one; and where the last one
        ends."""
        chain = [anchor]
        text = self.text
        position = anchor.end
        while True:
            level = _LEVEL_RE.match(text, position)
            after = level.end() if level else position
            match = _CHAIN_RE.match(text, after)
            following = self.anchor_at(match.end()) if match else None
            if match is None or following is None:
                return [anchor], anchor.end
            chain.append(following)
            position = following.end
            if "and" in match.group():
                return chain, position

    def _body_after(
        self, anchor: _Anchor, chain: list[_Anchor], end: int
    ) -> tuple[int, int, tuple[LocalBody, ...]] | None:
        """PLACE [LEVEL] BODY [of the PARENT], with a parent maybe written before the place."""
        text = self.text
        position = end
        possessive = _POSSESSIVE_RE.match(text, position)
        if possessive:
            position = possessive.end()
        ordinal = _ORDINAL_RE.match(text, position)
        if ordinal:
            position = ordinal.end()
        level = None if possessive else _LEVEL_RE.match(text, position)
        if level:
            position = level.end()
        leveled = level is not None or chain[-1].with_unit
        before = self._parent_before(anchor.start)
        if before is None and not _may_start_body(text, position, leveled or bool(possessive)):
            return None
        body = _BODY_RE.match(text, position)
        if body is None:
            npc = before is not None and before.name == NPC and not leveled
            if npc and _NPC_PLACE_END_RE.match(text, end):
                assert before is not None
                return before.start, end, tuple(_congress(a.place) for a in chain)
            if len(chain) > 1 or before is not None:
                return None
            named = self._named_body(position, leveled, possessive is not None)
            if named is None:
                return None
            body_end, words = named
            local = self._department(anchor, level.end() if level else end, words, possessive)
            return (anchor.start, body_end, (local,)) if local else None
        kind = body.lastgroup if body.lastgroup != "party" else "committee"
        if kind == "congress" and body.group("standing"):
            kind = "standing"
        body_end = body.end()
        parent = before
        if kind == "committee":
            after = self._parent_after(body_end)
            if after is not None:
                parent, body_end = after
            elif before is None and body.group("party"):
                parent = _Parent(0, 0, CPC, "party")
            elif before is None and not leveled:
                return None  # "the Ningbo committee": whose?
        elif before is not None and before.name not in (CPPCC, CPC):
            return None
        bodies = [_body(kind, a.place, parent) for a in chain]
        if any(b is None for b in bodies):
            return None
        start = before.start if before is not None else anchor.start
        return start, body_end, tuple(b for b in bodies if b is not None)

    def _named_body(
        self, position: int, leveled: bool, possessive: bool
    ) -> tuple[int, list[str]] | None:
        """The words of a department, bureau or commission after the place and level, and where
        they end: capitalized ("Department of Education", "Culture, Tourism, Radio, Film and
        Television Bureau"), or lowercase ("provincial development and reform commission",
        "'s education department", "health commission": three words at most without a level)."""
        text = self.text
        words: list[str] = []
        end = position
        lowercase = None
        for match in re.finditer(r" ([\w'’&-]+,?)", text[position : position + 160]):
            if position + match.start() != end:
                break
            word = match.group(1)
            bare = word.rstrip(",")
            if lowercase is None:
                lowercase = bare[:1].islower()
            if bare in _CONNECTORS and words:
                if not lowercase and self._ends_name(bare, words, position + match.end()):
                    break
            elif not (bare[:1].islower() if lowercase else bare[:1].isupper()):
                break
            words.append(word)
            end = position + match.end()
            if lowercase:
                if bare in _LOWER_HEADS and (leveled or possessive or len(words) > 1):
                    return end, words
                if bare != word or len(words) > (6 if leveled or possessive else 3):
                    return None
            elif len(words) > 12:
                return None
        if lowercase or lowercase is None:
            return None
        heads = [i for i, w in enumerate(words) if w.rstrip(",") in _LOCAL_HEADS]
        if not heads:
            return None
        last = heads[-1] + 1
        tail = words[last:]
        if tail and tail[0] in ("of", "for", "on"):
            last += len(tail)
            while last > heads[-1] + 1 and words[last - 1].rstrip(",") in _CONNECTORS:
                last -= 1
        kept = words[:last]
        if any(w.endswith(",") for w in kept[:-1]) and not ({"and", "&"} & set(kept)):
            return None
        kept[-1] = kept[-1].rstrip(",")
        return position + len(" " + " ".join(kept)), kept

    def _ends_name(self, word: str, words: list[str], after: int) -> bool:
        """Whether a connector ends a capitalized name rather than joining its words: "the"
        but after "of", and "and" before "the" or a place ("... Department of Education and the
        Guizhou Provincial Committee", "... Bureau and Chengdu ...")."""
        if word == "the":
            return words[-1] != "of"
        if word in ("and", "&"):
            return self.text.startswith("the ", after + 1) or after + 1 in self.forms
        return False

    def _department(
        self, anchor: _Anchor, level_end: int, words: list[str], possessive: Any
    ) -> LocalBody | None:
        """A department, bureau, commission or federation of a place, named as written, with the
        place's canonical name ("Tibet ..." -> "Xizang ...")."""
        place = anchor.place
        body = _title_words(" ".join(words))
        kind = organization_type(body)
        if kind not in _LOCAL_TYPES:
            return None
        if possessive:
            return LocalBody(f"{body} of {place.unit}", kind, place.province, place.city)
        written = _title_words(self.text[anchor.start : level_end])
        first = self.text[anchor.start : anchor.end]
        if not written.startswith(place.stem):
            name_words = len(first.split()) - (1 if anchor.with_unit else 0)
            rest = written.split()[max(1, name_words) :]
            written = " ".join([place.stem, *rest])
        return LocalBody(f"{written} {body}", kind, place.province, place.city)

    def _body_before(
        self, anchor: _Anchor, chain: list[_Anchor], end: int
    ) -> tuple[int, int, tuple[LocalBody, ...]] | None:
        """BODY of [the] PLACE [UNIT]: "People's Government of Sichuan Province", "Party
        committee of Zhongzhai township", "Health Commission of Xinjiang Uygur Autonomous
        Region", "the CPPCC committees of Anhui, Jiangxi and Shanxi provinces"."""
        found = self._name_before(anchor.start)
        if found is None:
            return None
        body_start, body = found
        unit = None if chain[-1].with_unit else _UNIT_AFTER_RE.match(self.text, end)
        end = unit.end() if unit else end
        key = _singular(body.lower().replace("’", "'"))
        kind = _BODIES_BEFORE.get(key)
        bodies = []
        for place in (a.place for a in chain):
            if kind is not None:
                local = _body(kind, place, None)
            elif len(chain) == 1 and any(w.rstrip(",") in _LOCAL_HEADS for w in body.split()):
                body_type = organization_type(body)
                name = f"{_title_words(body)} of {place.unit}"
                local = LocalBody(name, body_type, place.province, place.city)
                if body_type not in _LOCAL_TYPES:
                    return None
            else:
                return None
            if local is None:
                return None
            bodies.append(local)
        return body_start, end, tuple(bodies)

    def _name_before(self, start: int) -> tuple[int, str] | None:
        """The name written before " of (the) " at `start`, without a leading article, and where
        it starts."""
        text = self.text
        if text.endswith(" of ", 0, start):
            of = start - 4
        elif text.endswith(" of the ", 0, start):
            of = start - 8
        else:
            return None
        word = text[text.rfind(" ", max(0, of - 30), of) + 1 : of]
        if not (word[:1].isupper() or word.lower() in _LOWER_NAME_ENDS):
            return None  # "the capital of Sichuan": no name before "of"
        match = _NAME_BEFORE_OF_RE.search(text, max(0, start - 120), start)
        if match is None:
            return None
        body_start = match.start("body")
        words = match.group("body").split(" ")
        while words and (words[0] in _ARTICLES or words[0] in _CONNECTORS):
            body_start += len(words.pop(0)) + 1
        if not words:
            return None
        return body_start, " ".join(words)

    def _nested(self, start: int, end: int, bodies: tuple[LocalBody, ...]) -> GrammarHit:
        """Bodies inside the local body, as many levels as written: "Standing Committee of the X
        Provincial People's Congress", "Legislative Affairs Commission of the Standing Committee
        of the ...", "the standing committees of the X and the Y People's Congresses"."""
        while len(bodies) == 1:
            found = self._name_before(start)
            if found is None:
                break
            unit_start, written = found
            words = _title_words(written).split()
            singular = _title_words(_singular(words[-1].lower()))
            plural = singular != words[-1] and singular in _NESTED_HEADS
            words[-1] = singular if plural else words[-1]
            if words[-1] not in _NESTED_HEADS:
                break
            unit = " ".join(words)
            outers = [bodies[0]]
            if plural:
                following = self._next_body(end)
                if following is None:
                    break
                end, second = following
                outers.append(second)
            kind = "party" if "Party" in words and "Group" in words else None
            bodies = tuple(
                LocalBody(f"{unit} of the {o.name}", kind or o.type, o.province, o.city)
                for o in outers
            )
            start = unit_start
        return GrammarHit(start, end, bodies)

    def _next_body(self, end: int) -> tuple[int, LocalBody] | None:
        """The local body named after "and (the)" at `end`, and where it ends."""
        match = _AND_THE_RE.match(self.text, end)
        anchor = self.anchor_at(match.end()) if match else None
        if anchor is None:
            return None
        chain, chain_end = self._chain(anchor)
        found = self._body_after(anchor, chain, chain_end)
        if found is None or len(found[2]) != 1:
            return None
        return found[1], found[2][0]

    # -- parents ---------------------------------------------------------------------------------

    def _parent_before(self, start: int) -> _Parent | None:
        """The CPPCC, CPC or NPC written right before a place ("CPPCC Sichuan ..."), also with
        an "(ACR)" after it ("Chinese People's Political Consultative Conference (CPPCC) Tibet")."""
        text = self.text
        position = start - 1
        if position <= 0 or text[position] != " ":
            return None
        if text[position - 1] == ")":
            opening = text.rfind("(", max(0, position - 12), position)
            if opening <= 0 or text[opening - 1] != " ":
                return None
            position = opening - 1
        return self.parent_ending.get(position)

    def _parent_after(self, position: int) -> tuple[_Parent, int] | None:
        """ "of the CPPCC" after a committee, and where it ends (after an "(ACR)" too)."""
        match = _OF_RE.match(self.text, position)
        parent = self.parent_at.get(match.end()) if match else None
        if parent is None:
            return None
        acronym = _ACRONYM_RE.match(self.text, parent.end)
        return parent, acronym.end() if acronym else parent.end


def _singular(words: str) -> str:
    """The phrase with its last word in the singular ("cppcc committees" -> "cppcc committee")."""
    for plural, singular in (("ies", "y"), ("ses", "s"), ("s", "")):
        if words.endswith(plural) and not words.endswith("ss"):
            return words[: -len(plural)] + singular
    return words


def _may_start_body(text: str, position: int, leveled: bool | None) -> bool:
    """Whether the words at `position` may begin a body (a quick test before parsing): a
    capitalized word, a lowercase body or level word, or (`leveled` not None) a lowercase
    department a few words on, further after a level word or possessive."""
    if text[position : position + 1] != " ":
        return False
    if text[position + 1 : position + 2].isupper():
        return True
    space = text.find(" ", position + 1, position + 24)
    first = text[position + 1 : space if space > 0 else position + 24].rstrip(",.;:")
    if first.lower() in _LOWER_BODY_WORDS:
        return True
    if leveled is None or first in _FUNCTION_WORDS or not first[:1].isalpha():
        return False
    window = position + (60 if leveled else 40)
    return _LOWER_HEAD_NEAR_RE.search(text, position, window) is not None


def _county_mentions(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, name, unit) of each county-level unit written with its unit word: "Wuyi
    county" -> "Wuyi", "County"; "Sanjiang Dong autonomous county" -> "Sanjiang", "Dong
    Autonomous County"; "Xixian New Area" -> "Xixian", "New Area"."""
    lowered = text.lower()
    found = []
    for unit in _COUNTY_UNITS:
        position = lowered.find(unit)
        while position >= 0:
            end = position + len(unit)
            if end >= len(text) or not (text[end].isalnum() or text[end] in "'’-"):
                found.append((position, end))
            position = lowered.find(unit, end)
    for position, end in sorted(found):
        match = _COUNTY_NAME_RE.search(text, max(0, position - 40), position)
        if match is None:
            continue
        first, second = match.group("first"), match.group("second")
        if match.group("autonomous") and first and first not in _NOT_COUNTY_NAMES:
            name, start = first, match.start("first")
            unit = f"{second} Autonomous{text[position:end]}"
        else:
            name, start = second, match.start("second")
            unit = (
                f"Autonomous{text[position:end]}"
                if match.group("autonomous")
                else text[position:end]
            )
        if name in _NOT_COUNTY_NAMES:
            continue
        yield start, end, name.replace("’", "'"), _title_words(unit)


def _longest_first(hit: Any) -> int:
    return int(hit.start - hit.end)


def _parent(hit: Any) -> _Parent | None:
    """A registry hit that can own a local committee: the CPPCC, the CPC, the NPC, or a democratic
    party."""
    if hit.name in (CPPCC, CPC, NPC):
        return _Parent(hit.start, hit.end, hit.name, hit.type or "")
    if hit.type == "democratic_party" and not hit.name.startswith("Central Committee"):
        return _Parent(hit.start, hit.end, hit.name, "democratic_party")
    return None


# The canonical name and type of each body _BODY_RE names, from the place's adjective ("Sichuan
# Provincial") or unit ("Sichuan Province").
_TEMPLATES = {
    "cppcc": (f"{{adjective}} Committee of the {CPPCC}", "advisory"),
    "congress": ("{adjective} People's Congress", "legislature"),
    "standing": ("Standing Committee of the {adjective} People's Congress", "legislature"),
    "government": ("People's Government of {unit}", "government"),
    "school": (f"Party School of the {{adjective}} Committee of the {CPC}", "party"),
    "discipline": (f"{{adjective}} Commission for Discipline Inspection of the {CPC}", "party"),
    "working": (f"{{adjective}} Working Committee of the {CPC}", "party"),
}
# The bodies written before "of <place>" ("People's Government of"), as _TEMPLATES' kinds.
_BODIES_BEFORE = {
    "people's government": "government",
    "government": "government",
    "party committee": "committee",
    "committee": "committee",
    "cpc committee": "committee",
    "cppcc committee": "cppcc",
    "party working committee": "working",
    "working committee": "working",
}


def _body(kind: str | None, place: _Place, parent: _Parent | None) -> LocalBody | None:
    """The body of a place that `kind` (a group name of _BODY_RE) names; a committee's parent
    (default: the CPC) says whose committee it is."""
    if kind == "committee":
        owner = parent.name if parent else CPC
        if owner == NPC:
            return None
        owner_type = {CPPCC: "advisory", CPC: "party"}.get(owner, "democratic_party")
        name = f"{place.adjective} Committee of the {owner}"
        return LocalBody(name, owner_type, place.province, place.city)
    if kind not in _TEMPLATES:
        return None
    template, body_type = _TEMPLATES[kind]
    name = template.format(adjective=place.adjective, unit=place.unit)
    return LocalBody(name, body_type, place.province, place.city)


def _congress(place: _Place) -> LocalBody:
    body = _body("congress", place, None)
    assert body is not None
    return body


def _title_words(phrase: str) -> str:
    """The words of `phrase` in title case but the small words, apostrophes straightened
    ("provincial development and reform commission" -> "Provincial Development and Reform
    Commission")."""
    words = phrase.replace("’", "'").split()
    return " ".join(
        w if w.rstrip(",") in _SMALL_WORDS and i else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )

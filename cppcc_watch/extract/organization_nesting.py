"""Bodies inside bodies, and plurals that name several bodies (docs/ENTITY_RULES.md,
"organization"), from the organization hits of a text.

One organization is one entity however it is written, so a body named with its parent is one hit,
not two: "Committee on Proposals of the Chinese People's Political Consultative Conference (CPPCC)
National Committee", "Department of Archaeology at Zhengzhou University" (-> "Department of
Archaeology, Zhengzhou University"), "Ningxia University's institute for Hui ethnic studies",
"TDSL Central Committee". A parent named only inside its sub-body's name is not a mention of its
own. A plural names several: "Chinese Academy of Engineering/Sciences", "ministries of education
and finance". A body named by reference to one the text named before ("the standing committee of
the Federation", "the leading Party members group") is that body's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol


def _words(text: str) -> list[str]:
    """The whitespace-separated words of `text`."""
    return text.split()


# Sub-units named "<unit>, <parent>" when the parent is a university, academy, hospital or
# ministry ("Law School, Inner Mongolia University"); other bodies inside bodies are
# "<unit> of the <parent>" ("Secretariat of the All-China Women's Federation").
_COMMA_UNITS = frozenset(
    _words("Department School Institute Laboratory Lab College Center Centre Division")
)
_UNIT_HEADS = _COMMA_UNITS | frozenset(
    _words("Office Secretariat Branch Committee Group Council Commission Bureau")
)
# How a body's name writes its parent: the bodies of the CPPCC are "... of the CPPCC National
# Committee" (tests/labeled/README.md).
_PARENT_FORMS = {"Chinese People's Political Consultative Conference": "CPPCC National Committee"}
_COMMA_PARENTS = frozenset({"academic", "other", "government"})
_JOINS = {
    " of ": "of",
    " of the ": "of",
    " under ": "under",
    " under the ": "under",
    " at ": "at",
    " at the ": "at",
    ", ": "comma",
    "'s ": "possessive",
}
_LOWER_UNIT_RE = re.compile(
    r"(?P<unit>(?:institute|school|department|laboratory|college|center|centre)"
    r"(?: (?:for|of|on) (?:[A-Za-z][\w-]*)(?: (?!(?:held|has|have|had|is|was|will|said|and|in|"
    r"at|on|to|the|a|an)\b)[A-Za-z][\w-]*){0,4}))"
)
_REFERENCE_KEYS = (
    "standing committee",
    "secretariat",
    "general office",
    "leading party members",
    "party group",
)
_BACK_REFERENCE_RE = re.compile(
    r"(?P<unit>[Ss]tanding [Cc]ommittee|[Ss]ecretariat|[Gg]eneral [Oo]ffice"
    r"|[Ll]eading [Pp]arty [Mm]embers['’]? [Gg]roup|[Pp]arty [Gg]roup)"
    r"(?: of the (?P<head>[A-Z][a-z]+)(?! [A-Z])(?![\w'’-])|(?! of)(?![\w'’-]))"
)
_CENTRAL_COMMITTEE_RE = re.compile(r"(?: \([A-Z]{2,8}\))? [Cc]entral [Cc]ommittee(?![\w-])")
_SLASH_RE = re.compile(r"/([A-Z][\w-]*)")
_SMALL_WORDS = frozenset({"of", "and", "for", "on", "the"})
_REFERRED_TYPES = frozenset({"people_org", "advisory", "government", "legislature", "academic"})


class Hit(Protocol):
    """What this module needs of an organization hit (organizations.OrgHit)."""

    start: int
    end: int
    text: str
    name: str
    type: str | None
    province: str | None
    city: str | None
    registry: bool


@dataclass(frozen=True)
class Known:
    """What the registry says of a name: canonical name, type, and the canonical name of the
    registry body it belongs to ("... of the CPPCC National Committee" -> the CPPCC)."""

    name: str
    type: str
    parent: str | None


Lookup = Callable[[str], "Known | None"]


def compose(text: str, hits: list[Hit], lookup: Lookup, make: Callable[..., Hit]) -> list[Hit]:
    """The hits with bodies inside bodies joined, plurals split and references resolved.

    `hits` are in text order and do not overlap; `lookup` answers registry questions about a
    name; `make(start, end, name, type, province, city)` builds a new hit.
    """
    hits = _join_nested(text, hits, lookup, make)
    hits = _lowercase_units(text, hits, make)
    hits = _plurals(text, hits, lookup, make)
    return _references(text, hits, make)


def _join_nested(text: str, hits: list[Hit], lookup: Lookup, make: Callable[..., Hit]) -> list[Hit]:
    """ "A of the B", "A under B", "A at B", "A, B", "B's A" and "B Central Committee" as one
    hit where A is a body inside B."""
    result: list[Hit] = []
    for hit in hits:
        previous = result[-1] if result else None
        joined = _joined(text, previous, hit, lookup, make) if previous else None
        if joined is not None:
            result[-1] = joined
        else:
            result.append(hit)
    return [_central_committee(text, hit, lookup, make) for hit in result]


def _joined(
    text: str, first: Hit, second: Hit, lookup: Lookup, make: Callable[..., Hit]
) -> Hit | None:
    join = _JOINS.get(text[first.end : second.start].replace("’", "'"))
    if join is None:
        return None
    if join == "possessive":
        unit, parent = second, first
    else:
        unit, parent = first, second
    known = lookup(unit.name) if unit.registry else None
    written = unit.name
    if known is not None:
        if known.parent == parent.name and join in ("of", "under"):
            return make(first.start, second.end, unit.name, unit.type, parent.province, parent.city)
        if parent.province is None or join != "of":
            return None
        # a body the registry knows of a national parent, here of a local one: "the legislative
        # affairs commission of the Standing Committee of the Sichuan Provincial People's Congress"
        written = " ".join(
            w if w in _SMALL_WORDS else w[:1].upper() + w[1:] for w in unit.text.split()
        )
    name = nested_name(written, parent.name, parent.type, join)
    if name is None:
        return None
    kind = "party" if _is_party_group(written) else parent.type
    return make(first.start, second.end, name, kind, parent.province, parent.city)


def nested_name(
    unit: str, parent: str, parent_type: str | None, join: str, article: str = "the "
) -> str | None:
    """The canonical name of body `unit` inside organization `parent` (of type `parent_type`),
    written with `join` ("of", "under", "at", "comma" or "possessive"), or None if `unit` is not
    a sub-unit. A unit of a university, academy, hospital or ministry is "<unit>, <parent>"; any
    other is "<unit> of <article><parent>"."""
    words = unit.split()
    head = next((w for w in reversed(words) if w in _UNIT_HEADS), None)
    if head is None or (len(words) < 2 and head != "Secretariat"):
        return None
    comma = (
        head in _COMMA_UNITS
        and parent_type in _COMMA_PARENTS
        and not unit.startswith(("Affiliated", "First Affiliated", "Second Affiliated"))
    )
    if join == "comma" and not (comma and parent_type == "academic"):
        return None
    if join == "at" and not comma:
        return None
    if comma:
        return f"{unit}, {parent}"
    if parent.startswith("The "):
        article = ""
    parent = _PARENT_FORMS.get(parent, parent)
    return f"{unit} of {article}{parent}"


def _is_party_group(name: str) -> bool:
    lowered = name.lower()
    return "party members" in lowered or lowered.startswith("party group")


def _central_committee(text: str, hit: Hit, lookup: Lookup, make: Callable[..., Hit]) -> Hit:
    """ "TDSL Central Committee", "China Democratic League (CDL) Central Committee": the central
    committee of a party the registry knows."""
    match = _CENTRAL_COMMITTEE_RE.match(text, hit.end)
    if match is None:
        return hit
    known = lookup(f"Central Committee of the {hit.name}")
    if known is None:
        return hit
    return make(hit.start, match.end(), known.name, known.type, None, None)


def _lowercase_units(text: str, hits: list[Hit], make: Callable[..., Hit]) -> list[Hit]:
    """ "Ningxia University's institute for Hui ethnic studies": a unit written in lower case
    after a university's or academy's possessive."""
    result: list[Hit] = []
    for hit in hits:
        if hit.type == "academic" and text.startswith(("'s ", "’s "), hit.end):
            match = _LOWER_UNIT_RE.match(text, hit.end + 3)
            following = next((h.start for h in hits if h.start > hit.end), len(text))
            if match and match.end() <= following:
                unit = " ".join(
                    w if w in ("for", "of", "on") else w[:1].upper() + w[1:]
                    for w in match.group("unit").split()
                )
                hit = make(hit.start, match.end(), f"{unit}, {hit.name}", "academic", None, None)
        result.append(hit)
    return result


def _plurals(text: str, hits: list[Hit], lookup: Lookup, make: Callable[..., Hit]) -> list[Hit]:
    """ "Chinese Academy of Engineering/Sciences" and "ministries of education and finance":
    one registry body for each alternative."""
    result: list[Hit] = []
    for hit in hits:
        result.append(hit)
        match = _SLASH_RE.match(text, hit.end)
        if match and hit.registry:
            other = lookup(f"{hit.name.rsplit(' ', 1)[0]} {match.group(1)}")
            if other is not None:
                end = match.end()
                result[-1] = make(hit.start, end, hit.name, hit.type, hit.province, hit.city)
                result.append(make(hit.start, end, other.name, other.type, None, None))
    taken = [(h.start, h.end) for h in result]
    for start in _positions(text, "inistries of "):
        start -= 1
        if start < 0 or text[start] not in "Mm" or (start and text[start - 1].isalnum()):
            continue
        if any(s < start + 14 and start < e for s, e in taken):
            continue
        found = _ministries(text, start + 14, lookup)
        if found:
            end, names = found
            for known in names:
                result.append(make(start, end, known.name, known.type, None, None))
    result.sort(key=lambda h: h.start)
    return result


def _ministries(text: str, position: int, lookup: Lookup) -> tuple[int, list[Known]] | None:
    """The ministries named after "ministries of": "education and finance" -> Ministry of
    Education, Ministry of Finance (each must be a registry name)."""
    found: list[Known] = []
    while True:
        words = re.match(r"(?:[A-Za-z][\w-]*(?: |$)){1,6}", text[position : position + 80])
        if words is None:
            return None
        candidates = words.group().split()
        for size in range(len(candidates), 0, -1):
            phrase = " ".join(
                w[:1].upper() + w[1:] if w not in ("and", "of") else w for w in candidates[:size]
            )
            known = lookup(f"Ministry of {phrase}")
            if known is not None:
                found.append(known)
                position += len(" ".join(candidates[:size]))
                break
        else:
            return None
        separator = re.match(r",? and |, ", text[position : position + 6])
        if separator is None:
            return (position, found) if len(found) > 1 else None
        position += separator.end()


def _references(text: str, hits: list[Hit], make: Callable[..., Hit]) -> list[Hit]:
    """ "the standing committee of the Federation", "the leading Party members group": a body
    of the organization named before it (the last one whose name ends in that word; for a bare
    party group, the last one named)."""
    lowered = text.lower()
    starts = sorted(position for key in _REFERENCE_KEYS for position in _positions(lowered, key))
    added: list[Hit] = []
    for position in starts:
        match = _BACK_REFERENCE_RE.match(text, position)
        if match is None or (
            position and (text[position - 1].isalnum() or text[position - 1] == "-")
        ):
            continue
        start, end = match.span()
        if any(h.start < end and start < h.end for h in hits):
            continue
        before = [h for h in hits if h.end <= start and h.type in _REFERRED_TYPES]
        head = match.group("head")
        if head:
            before = [h for h in before if h.name.endswith(f" {head}")]
        if not before:
            continue
        parent = before[-1]
        unit = " ".join(
            w[:1].upper() + w[1:] for w in match.group("unit").replace("’", "'").split()
        )
        if unit == "Leading Party Members Group":
            unit = "Leading Party Members' Group"
        kind = "party" if _is_party_group(unit) else parent.type
        name = f"{unit} of the {_PARENT_FORMS.get(parent.name, parent.name)}"
        added.append(make(start, end, name, kind, parent.province, parent.city))
    if not added:
        return hits
    return sorted([*hits, *added], key=lambda h: h.start)


def _positions(text: str, key: str) -> Iterator[int]:
    """Where `key` occurs in `text`."""
    position = text.find(key)
    while position >= 0:
        yield position
        position = text.find(key, position + 1)

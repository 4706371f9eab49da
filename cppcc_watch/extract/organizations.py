"""Find named organizations in an article's text (ENTITY_RULES.md, "organization").

Two sources of hits, merged so that every form of one organization gets one canonical name:
- a curated registry (data/organizations.tsv) matched with one Aho-Corasick pass: canonical full
  English name, acronym and aliases; acronyms and one-word forms match case-sensitively, longer
  forms also in lower case (3+ words), Title Case and UPPER CASE; always on whole words;
- discovery of organizations outside the registry: acronym definitions "Full Name (ACR)" (later bare
  "ACR" in the same text is the same organization) and capitalized phrases built around an
  organization word ("Xi'an Jiaotong University", "CPPCC Sichuan Provincial Committee").
Generic references ("universities", "the team"), initiatives, plans, events and documents are not
organizations. Hits never overlap; the longest wins, the registry wins ties.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import ahocorasick

DEFAULT_REGISTRY = Path(__file__).parent / "data" / "organizations.tsv"


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
        Corps Laboratory Lab Museum Library Front
        """
    )
)
# Words that make a phrase an initiative, plan, event or document rather than an organization.
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
        Global Several Various Many Other New
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
INNER_CONNECTORS = frozenset({"of", "for", "on", "and", "the", "&"})
RIGHT_CONNECTORS = ("of", "for", "on", "and")

_WORD = r"[A-Z][\w'’&-]*"
_HEAD_RE = re.compile(r"\b(?:" + "|".join(sorted(ORG_WORDS, key=len, reverse=True)) + r")\b")
_RIGHT_RE = re.compile(
    r"(?:[ ](?:of|for|on|and)(?:[ ]the)?(?:[ ](?:" + _WORD + r"))+)+",
)
_CAP_WORD_RE = re.compile(r"^[A-Z][\w'’&-]*$")
_DOC_PREFIX_RE = re.compile(
    r"\b(?:" + "|".join(sorted(NON_ORG_WORDS)) + r") (?:of|by|from) (?:the )?$"
)
_ACRONYM_DEF_RE = re.compile(r"\(([A-Z][A-Za-z&-]{1,9})\)")


@dataclass(frozen=True)
class OrgHit:
    """One organization mention: offsets into the text, the text as written, canonical name."""

    start: int
    end: int
    text: str
    name: str
    acronym: str | None


@dataclass(frozen=True)
class _Org:
    name: str
    acronym: str | None


class OrganizationMatcher:
    """Finds organizations in a text with the registry automaton plus discovery rules."""

    def __init__(self, registry_path: Path | None = None) -> None:
        """Load the registry (default: the package registry), build the automaton."""
        self._orgs: list[_Org] = []
        self._by_form: dict[str, int] = {}
        self._by_acronym: dict[str, int] = {}
        self._load(registry_path or DEFAULT_REGISTRY)
        self._automaton = _build_automaton(self._by_form)

    @property
    def size(self) -> int:
        """How many organizations the registry holds."""
        return len(self._orgs)

    def find(self, text: str) -> list[OrgHit]:
        """Every organization mention in `text` (title + "\\n" + body), in order, no overlaps."""
        registry = list(self._registry_hits(text))
        definitions = list(self._acronym_definitions(text))
        discovered = [*self._discovered_hits(text), *(hit for hit, _ in definitions)]
        hits = _select(registry, discovered)
        hits.extend(self._defined_acronym_hits(text, definitions, hits))
        hits = _apply_definitions(hits, definitions)
        hits.sort(key=lambda h: h.start)
        return _merge_forms(_drop_parenthesized_repeats(text, hits))

    # -- registry -------------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
            header = next(rows, None)
            if header is None:
                return
            for row in rows:
                if not row or not row[0].strip():
                    continue
                name, acronym, aliases = [*row, "", "", ""][:3]
                self._add(name.strip(), acronym.strip() or None, aliases.split("|"))

    def _add(self, name: str, acronym: str | None, aliases: Iterable[str]) -> None:
        index = len(self._orgs)
        self._orgs.append(_Org(name, acronym))
        forms = {name, *(a.strip() for a in aliases if a.strip())}
        if acronym:
            forms.add(acronym)
            self._by_acronym.setdefault(acronym, index)
        for form in forms:
            for variant in _case_variants(form):
                self._by_form.setdefault(variant, index)

    def _registry_hits(self, text: str) -> Iterator[OrgHit]:
        for last, (length, index) in self._automaton.iter(text):
            start = last - length + 1
            end = last + 1
            if _is_word_bounded(text, start, end):
                org = self._orgs[index]
                yield OrgHit(start, end, text[start:end], org.name, org.acronym)

    def _canonical(self, name: str) -> _Org | None:
        index = self._by_form.get(name)
        return None if index is None else self._orgs[index]

    # -- discovery ------------------------------------------------------------------------------

    def _discovered_hits(self, text: str) -> Iterator[OrgHit]:
        skip_until = _title_case_title_end(text)
        for match in _HEAD_RE.finditer(text, skip_until):
            phrase = _phrase_around(text, match.start(), match.end())
            if phrase is None:
                continue
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
            ):
                return start + position + 5, end
            position = phrase.find(" and ", position + 1)
        return start, end

    def _discovered_hit(self, text: str, start: int, end: int) -> OrgHit | None:
        words = text[start:end].split()
        if not _looks_like_org(words):
            return None
        surface = text[start:end]
        name = _normalize(surface)
        org = self._canonical(name) or self._rewrite_parent(name)
        if org is None:
            return OrgHit(start, end, surface, name, None)
        return OrgHit(start, end, surface, org.name, org.acronym)

    def _rewrite_parent(self, name: str) -> _Org | None:
        """Give "CPPCC Sichuan Provincial Committee" the name "Sichuan ... of the <CPPCC>"."""
        words = name.split(" ")
        if len(words) >= 3 and words[0] in self._by_form and words[0].isupper():
            parent = self._orgs[self._by_form[words[0]]].name
            return _Org(f"{' '.join(words[1:])} of the {parent}", None)
        match = re.fullmatch(r"(.+?) of the (.+)", name)
        if match and match.group(2) in self._by_form and len(match.group(1).split()) >= 2:
            parent = self._orgs[self._by_form[match.group(2)]].name
            return _Org(f"{match.group(1)} of the {parent}", None)
        return None

    def _acronym_definitions(self, text: str) -> Iterator[tuple[OrgHit, str]]:
        """ "Full Name (ACR)": the long form as a hit (named and with acronym ACR), and ACR."""
        for match in _ACRONYM_DEF_RE.finditer(text):
            acronym = match.group(1)
            span = _long_form(text, match.start(), acronym)
            if span is None:
                continue
            start, end = span
            surface = text[start:end]
            name = _normalize(surface)
            org = self._canonical(name)
            if org is None and not _looks_like_org(name.split(), defined=True):
                continue
            canonical = org.name if org else name
            yield OrgHit(start, end, surface, canonical, acronym), acronym

    def _defined_acronym_hits(
        self, text: str, definitions: list[tuple[OrgHit, str]], taken: list[OrgHit]
    ) -> Iterator[OrgHit]:
        """Bare uses of acronyms the text defined, where no other hit already sits."""
        occupied = _Occupancy(taken)
        for definition, acronym in definitions:
            pattern = re.compile(r"(?<![\w-])" + re.escape(acronym) + r"(?![\w-])")
            for match in pattern.finditer(text):
                start, end = match.span()
                if occupied.overlaps(start, end):
                    continue
                occupied.add(start, end)
                yield OrgHit(start, end, acronym, definition.name, acronym)


# -- helpers --------------------------------------------------------------------------------------


def _case_variants(form: str) -> set[str]:
    words = form.split()
    if len(words) < 2:
        return {form}
    variants = {form, form.upper(), " ".join(w[:1].upper() + w[1:] for w in words)}
    if len(words) >= 3:
        variants.add(form.lower())
    return variants


def _build_automaton(forms: dict[str, int]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for form, index in forms.items():
        automaton.add_word(form, (len(form), index))
    if not forms:
        automaton.add_word("\x00", (1, -1))
    automaton.make_automaton()
    return automaton


def _is_word_bounded(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (
        end >= len(text) or not text[end].isalnum()
    )


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
    follow = text[head_end : head_end + 40]
    if follow[:1] == " " and re.match(r" [A-Z]", follow) and not re.match(r" [A-Z]+\b", follow):
        return None  # "Government Work Report": the word modifies a following name
    start = _extend_left(text, head_start)
    end = head_end
    right = _RIGHT_RE.match(text, head_end)
    if right and not _DOC_PREFIX_RE.search(text, max(0, start - 40), start):
        end = _trim_right(text, head_end, right.end())
    return start, end


def _extend_left(text: str, head_start: int) -> int:
    start = head_start
    lo = max(0, head_start - 120)
    tokens = text[lo:head_start].split(" ")
    tokens.pop()  # the empty string before the head word
    position = head_start - 1
    taken: list[tuple[str, int]] = []
    for token in reversed(tokens):
        begin = position - len(token)
        if not token or "\n" in token:
            break
        is_word = _CAP_WORD_RE.match(token) is not None
        if is_word or (token in ("and", "&") and taken):
            taken.append((token, begin))
        else:
            break
        position = begin - 1
    while taken and (taken[-1][0] in ("and", "&") or taken[-1][0] in LEADING_STOPWORDS):
        taken.pop()
    if taken:
        start = taken[-1][1]
    return start


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


def _split_on_and(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """ "Peking University and Tsinghua University" are two organizations."""
    phrase = text[start:end]
    for match in re.finditer(r" and ", phrase):
        left, right = phrase[: match.start()].split(), phrase[match.end() :].split()
        if any(w in ORG_WORDS for w in left) and any(w in ORG_WORDS for w in right):
            first = (start, start + match.start())
            return [first, *_split_on_and(text, start + match.end(), end)]
    return [(start, end)]


def _looks_like_org(words: list[str], defined: bool = False) -> bool:
    """A capitalized name with an organization word, not generic, not a document or event."""
    if not words or words[0] in LEADING_STOPWORDS or words[0][:1].islower():
        return False
    if any(w in NON_ORG_WORDS for w in words) or len(words) > 14:
        return False
    if not any(w in ORG_WORDS for w in words):
        return False
    if defined:
        return True
    content = [w for w in words if w not in INNER_CONNECTORS]
    modifiers = [w for w in content[:-1] if w not in ORG_WORDS] or content[:-1]
    return bool(modifiers) and not all(w in GENERIC_MODIFIERS for w in modifiers)


def _long_form(text: str, paren_start: int, acronym: str) -> tuple[int, int] | None:
    """The shortest capitalized phrase before "(ACR)" whose words' initials spell ACR.

    A variant of Schwartz & Hearst (2003): letters of the acronym are matched right to left to
    letters of the preceding words, the first letter to a word's initial.
    """
    end = paren_start
    while end > 0 and text[end - 1] == " ":
        end -= 1
    window = text[max(0, end - 200) : end]
    if "\n" in window:
        window = window[window.rfind("\n") + 1 :]
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", window)]
    offset = end - len(window)
    letters = [c.lower() for c in acronym if c.isalpha()]
    limit = min(len(letters) + 5, 2 * len(letters) + 2)
    for count in range(1, min(limit, len(spans)) + 1):
        chosen = spans[-count:]
        words = [window[a:b] for a, b in chosen]
        if not all(_CAP_WORD_RE.match(w) or w in INNER_CONNECTORS for w in words):
            return None
        if words[0] in INNER_CONNECTORS or words[0] in LEADING_STOPWORDS:
            continue
        if _initials_match(letters, words):
            return offset + chosen[0][0], end
    return None


def _initials_match(letters: list[str], words: list[str]) -> bool:
    long_form = " ".join(words).lower()
    position = len(long_form) - 1
    for index in range(len(letters) - 1, -1, -1):
        letter = letters[index]
        while position >= 0 and (
            long_form[position] != letter
            or (index == 0 and position > 0 and long_form[position - 1].isalnum())
        ):
            position -= 1
        if position < 0:
            return False
        position -= 1
    return True


class _Occupancy:
    """Which character spans already hold a hit."""

    def __init__(self, hits: Iterable[OrgHit]) -> None:
        self._spans = sorted((h.start, h.end) for h in hits)

    def overlaps(self, start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in self._spans)

    def add(self, start: int, end: int) -> None:
        self._spans.append((start, end))


def _select(registry: list[OrgHit], discovered: list[OrgHit]) -> list[OrgHit]:
    """Non-overlapping hits, longest first; registry wins ties.

    A discovered phrase replaces registry hits only when it contains them entirely.
    """
    candidates = [(h, 0) for h in registry] + [(h, 1) for h in discovered]
    candidates.sort(key=lambda c: (-(c[0].end - c[0].start), c[1], c[0].start))
    chosen: list[OrgHit] = []
    taken: list[tuple[int, int]] = []
    for hit, source in candidates:
        if any(a < hit.end and hit.start < b for a, b in taken):
            continue
        if source and any(
            r.start < hit.end
            and hit.start < r.end
            and not (hit.start <= r.start and r.end <= hit.end)
            for r in registry
        ):
            continue
        chosen.append(hit)
        taken.append((hit.start, hit.end))
    return chosen


def _apply_definitions(hits: list[OrgHit], definitions: list[tuple[OrgHit, str]]) -> list[OrgHit]:
    """An acronym the text defines means what the text says, even if the registry knows another."""
    defined = {acronym: hit for hit, acronym in definitions}
    return [
        replace(hit, name=defined[hit.text].name, acronym=hit.text)
        if hit.text in defined and hit.name != defined[hit.text].name
        else hit
        for hit in hits
    ]


def _partly_overlaps(hit: OrgHit, other: OrgHit) -> bool:
    inside = hit.start <= other.start and other.end <= hit.end
    return other.start < hit.end and hit.start < other.end and not inside


def _drop_parenthesized_repeats(text: str, hits: list[OrgHit]) -> list[OrgHit]:
    """ "Full Name (ACR)" is one mention: drop the "(ACR)" hit right after its organization."""
    kept: list[OrgHit] = []
    for hit in hits:
        previous = kept[-1] if kept else None
        if (
            previous is not None
            and previous.name == hit.name
            and text[previous.end : hit.start].strip() == "("
            and text[hit.end : hit.end + 1] == ")"
        ):
            if previous.acronym is None:
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


@lru_cache(maxsize=4)
def default_matcher(registry_path: Path | None = None) -> OrganizationMatcher:
    """A shared matcher over the package registry (building the automaton once)."""
    return OrganizationMatcher(registry_path)

"""Find mentions of China's provinces and cities in an article's text (docs/ENTITY_RULES.md).

One pass of an Aho-Corasick automaton over a case- and accent-folded copy of the text (same length,
so offsets carry over) finds every surface form of the gazetteer; time is linear in the text and
flat in the gazetteer's size. The candidates are then filtered by rules that need context:

- whole words only, first letter capitalized in the original text, not an all-caps word (ILI, ABA)
  unless the form itself is an acronym (HKSAR) or it opens a dateline ("BEIJING --"); the
  leftmost-longest form wins, so "Inner Mongolia
  autonomous region", "Jilin City" and "Hainan Tibetan autonomous prefecture" are one hit each. A
  hit's span is the matched form: the name plus its unit word when present ("Sichuan province");
  a regional prefix ("Southwest China's") is not part of it.
- a place inside an organization's name is not a mention: inside an `exclude` span, followed by
  capitalized words ending in an organization word ("Sichuan University", "Shaanxi Provincial
  Government", "Shanghai Cooperation Organization"), or after "<Organization word> of (the)"
  ("University of Hong Kong").
- neither is a place that names a district, county, road, river, mountain or plateau ("Chaoyang
  district", "Qinghai-Tibet Plateau", "Mount Huangshan", "Hami melon"), nor a given name after a
  Chinese surname ("Li Changchun", "Chen Jining") or before one ("Jinhua Li said").
- municipalities are a province hit and a city hit on the same span; a city never implies its
  province; "Jilin"/"Hainan" alone are the provinces ("Jilin City" is the city).
- cities are municipalities and prefecture-level cities (docs/ENTITY_RULES.md); autonomous
  prefectures, prefectures and leagues are matched (so "Hainan Tibetan autonomous prefecture" is
  not Hainan province) but reported only if `city_kinds` asks for them.
- a name shared by two cities (Suzhou, Taizhou, Fuzhou, Yichun, Yulin) takes the province written
  next to it ("Suzhou, Jiangsu"), else the only candidate province named within 100 characters,
  else the only one named anywhere in the text; otherwise the hit is left out.
- guarded forms (Xian, Jian, Yanan, Luan, Taian: also given names) count only with a unit word
  ("Xian city", a form of its own) or when the text names the parent province.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import ahocorasick

from cppcc_watch.extract.folding import fold, fold_chars
from cppcc_watch.extract.gazetteer import Gazetteer

CONTEXT_WINDOW = 100
# docs/ENTITY_RULES.md: a city is a municipality or a prefecture-level city; autonomous prefectures,
# prefectures and leagues are prefecture-level too, but not cities.
CITY_KINDS = frozenset({"municipality", "prefecture-level city"})


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`, as a set."""
    return frozenset(text.split())


ORG_WORDS = _words(
    """Academy Administration Agency Airlines Airline Airport Alliance Association Authority Bank
    Bureau Center Centre Chamber Club Co Command Commission Committee Company Congress Conservatory
    Corp Corporation Corps Council Court Daily Department Exchange FC Federation Foundation Fund
    Garrison Government Group Holdings Hospital Inc Institute Institution Laboratory Lab Library
    Ltd Limited Media Ministry Museum News Observatory Office Orchestra Organization Organisation
    Party Police Polytechnic Press Procuratorate Radio School Society Team Television Times Troupe
    Trust TV Union University College"""
)
# Words after a name that make it something other than the prefecture/province itself.
NOT_PLACE_NEXT = _words(
    """district districts county counties town township village subdistrict road street avenue
    river mountain mountains plateau melon melons"""
)
CONNECTORS = frozenset({"of", "and", "for", "the", "&"})
# Common Chinese surnames in pinyin, for given names that look like city names ("Li Changchun").
SURNAMES = _words(
    """Li Wang Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng
    Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Yu Jiang Cai Jia Ding
    Wei Xue Ye Yan Lu Du Dai Xia Zhong Wan Qian Tan Lai Fan Fang Shi Yao Liao Zou Xiong Jin Hao
    Kong Bai Cui Kang Mao Qiu Qin Shen Gu Hou Shao Meng Long Wan Duan Lei Qian Tang Yin Li Chang
    Wen Qi Xing Ni Niu Ren Fu Ou Ge Mo Sheng Lv Lyu Bi Bao Zhai Zuo Geng Pei Lou Hua Chai Che
    Rao Xi Mi Ji"""
)

_LOWER_WORD = re.compile(r"[a-z]+")
_FOLLOW = re.compile(r"(?:[ \t]+[A-Za-z][\w'’&.]*){1,6}")
_HYPHEN_CHAIN = re.compile(r"(?:-[A-Z][\w'’]*)*")
_ORG_OF_BEFORE = re.compile(r"\b([A-Z][a-z]+) of (?:the )?$")
_SURNAME_AFTER = re.compile(r" ([A-Z][a-z]{0,4})(?=[^\w'’-]|$)(?! [A-Z])")
_DATELINE = re.compile(r"\s*(?:--|—|–|-|,|\()")  # "BEIJING -- ", "XINING, Dec 3"
_GAP_AFTER = re.compile(r",\s*|\s+in\s+|\s+of\s+|\s*\(\s*")  # "Suzhou, Jiangsu"
_GAP_BEFORE = re.compile(r"['’]s\s+")  # "Jiangsu's Suzhou"
_WORDS = re.compile(r"[A-Za-z][\w'’-]*")


# (start, end, what the form stands for): a place form found in the text.
Candidate = tuple[int, int, "PlaceForm"]


@dataclass(frozen=True)
class PlaceHit:
    """One mention of a province or city: character offsets into the text and what it names."""

    start: int
    end: int
    text: str
    kind: str  # "province" | "city"
    name: str
    province: str | None  # a city's province (ambiguous cities are left out, never None here)


@dataclass(frozen=True)
class PlaceEntry:
    """What a surface form may stand for."""

    kind: str
    name: str
    province: str | None
    guarded: bool = False


@dataclass(frozen=True)
class PlaceForm:
    """A surface form in the automaton: its length and what it stands for, pre-sorted by kind."""

    length: int
    provinces: tuple[str, ...]
    cities: tuple[PlaceEntry, ...]
    acronym: bool
    one_word: bool


class PlaceMatcher:
    """Finds province and city mentions in a text; build once, reuse for every article."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        city_kinds: Collection[str] = CITY_KINDS,
    ) -> None:
        """Build the automaton; `city_kinds` are the kinds of prefecture-level division reported as
        cities (the other kinds are still matched, so that their names are not taken for
        something else, but not reported)."""
        self.gazetteer = gazetteer or Gazetteer.load()
        forms: dict[str, list[PlaceEntry]] = {}
        acronyms: set[str] = set()

        def add(form: str, entry: PlaceEntry) -> None:
            key = fold(form)
            if form.isupper():
                acronyms.add(key)
            bucket = forms.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)

        for p in self.gazetteer.provinces:
            for form in p.aliases:
                add(form, PlaceEntry("province", p.name, None))
        for c in self.gazetteer.cities:
            kind = "city" if c.kind in city_kinds else "other"
            for form in c.aliases:
                add(form, PlaceEntry(kind, c.name, c.province))
            for form in c.guarded:
                add(form, PlaceEntry(kind, c.name, c.province, guarded=True))
        self._automaton = ahocorasick.Automaton()
        for key, entries in forms.items():
            provinces = tuple(e.name for e in entries if e.kind == "province")
            cities = tuple(e for e in entries if e.kind == "city")
            value = PlaceForm(len(key), provinces, cities, key in acronyms, " " not in key)
            self._automaton.add_word(key, value)
        self._automaton.make_automaton()

    def find(
        self,
        text: str,
        exclude: Sequence[tuple[int, int]] = (),
        candidates: list[Candidate] | None = None,
    ) -> list[PlaceHit]:
        """Every province and city mention in `text`, in text order.

        `exclude` holds spans (start, end) of organization names: places inside them are skipped.
        `candidates` are `self.candidates(text)` when the caller has them already.
        """
        matches = self.candidates(text) if candidates is None else candidates
        mentioned = [(s, e, name) for s, e, form in matches for name in form.provinces]
        named = {name for _, _, name in mentioned}
        overlaps = _Spans(exclude).overlaps if exclude else None
        hits: list[PlaceHit] = []
        append = hits.append
        for start, end, form in matches:
            if overlaps is not None and overlaps(start, end):
                continue
            if not _is_place(text, start, end, form.one_word):
                continue
            surface = text[start:end]
            for name in form.provinces:
                append(PlaceHit(start, end, surface, "province", name, None))
            cities = form.cities
            if len(cities) > 1:
                parents = {c.province for c in cities if c.province is not None}
                province = _resolve(text, start, end, parents, mentioned, named)
                cities = tuple(c for c in cities if c.province == province)
            for entry in cities:
                if entry.guarded and entry.province not in named:
                    continue
                append(PlaceHit(start, end, surface, "city", entry.name, entry.province))
        return hits

    def candidates(self, text: str) -> list[Candidate]:
        """Every surface form of a place in `text` before the context rules: whole-word,
        capitalized matches, leftmost-longest, without overlaps, as (start, end, form).

        The organization grammar starts from these: the place inside "Sichuan Provincial
        Committee" is a candidate but not a mention."""
        folded = fold_chars(text)
        size = len(text)
        found = []
        for last, form in self._automaton.iter(folded):
            start = last - form.length + 1
            end = last + 1
            if not text[start].isupper() or (end < size and folded[end].isalnum()):
                continue
            if start > 0:
                before = folded[start - 1]
                if before.isalnum() or (
                    before == "'" and start > 1 and folded[start - 2].isalpha()
                ):
                    continue
            if (
                not form.acronym
                and text[start:end].isupper()
                and not ((start == 0 or text[start - 1] == "\n") and _DATELINE.match(text, end))
            ):
                continue
            found.append((start, -end, form))  # keys are unique: (start, end) decides the order
        found.sort()
        chosen = []
        reach = -1
        for start, neg_end, form in found:
            if start >= reach:
                reach = -neg_end
                chosen.append((start, reach, form))
        return chosen


def _is_place(text: str, start: int, end: int, one_word: bool) -> bool:
    """False when the name is part of an organization, a feature or a person's name."""
    if start > 1 and text[start - 1] == " " and not _before_ok(text, start, one_word):
        return False
    after = text[end : end + 2]
    if after[:1] == " ":
        if after[1:].islower():  # the common case: a lowercase word follows
            word = _LOWER_WORD.match(text, end + 1)
            return word is None or (
                word.group() not in NOT_PLACE_NEXT
                and not (word.group() == "new" and text.startswith(" area", word.end()))
            )
        if not after[1:].isupper():
            return True
        tail = text[end : end + 80]
    elif after[:1] == "-":
        tail = text[end : end + 80]
        tail = tail[_HYPHEN_CHAIN.match(tail).end() :]  # type: ignore[union-attr]
    else:  # punctuation, end of text, possessive
        return True
    follow = _FOLLOW.match(tail)
    if follow is None:
        return True
    tokens = follow.group().split()
    first = tokens[0].rstrip(".,;:")
    if first.lower() in NOT_PLACE_NEXT:
        return False
    if len(tokens) > 1 and f"{first} {tokens[1].rstrip('.,;:')}".lower() == "new area":
        return False
    if not first[:1].isupper():
        return True
    if _org_run(tokens, text, start):
        return False
    if one_word and first in SURNAMES:
        return not _SURNAME_AFTER.match(tail)
    return True


def _before_ok(text: str, start: int, one_word: bool) -> bool:
    """False when the word before a name makes it a feature, an organization or a person."""
    cut = max(0, start - 12)
    gap = max(text.rfind(" ", cut, start - 1), text.rfind("\n", cut, start - 1))
    if gap < 0 and cut > 0:
        return True  # a long word: none of the words below
    word = text[gap + 1 : start - 1]
    if word in ("of", "the") and text.endswith((" of ", " of the "), max(0, start - 8), start):
        org = _ORG_OF_BEFORE.search(text, max(0, start - 40), start)
        return org is None or org.group(1) not in ORG_WORDS
    if word == "Mount":
        return False
    return not (one_word and word.lstrip("(\"“‘'") in SURNAMES)


def _org_run(tokens: list[str], text: str, start: int) -> bool:
    """True if the capitalized words after a name make it an organization's name."""
    if not tokens or not tokens[0][:1].isupper():
        return False
    for i, token in enumerate(tokens):
        bare = token.rstrip(".,;:")
        if bare in ORG_WORDS:
            return i <= 1 or not _title_case_line(text, start)
        if not (bare[:1].isupper() or bare in CONNECTORS) or bare != token:
            return False
    return False


def _title_case_line(text: str, pos: int) -> bool:
    """True if the line around `pos` is a Title Case Headline (capitals say nothing there)."""
    first = text.rfind("\n", max(0, pos - 300), pos) + 1 or max(0, pos - 300)
    last = text.find("\n", pos, pos + 300)
    line = text[first : last if last >= 0 else pos + 300]
    words = [w for w in _WORDS.findall(line) if len(w) > 3]
    return len(words) >= 5 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


class _Spans:
    """Excluded spans, answering "does [start, end) overlap one of them?" in O(log n)."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [s for s, _ in ordered]
        self.reach = list(itertools.accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """True if [start, end) overlaps a span."""
        i = bisect.bisect_left(self.starts, end)  # spans starting before `end`
        return i > 0 and self.reach[i - 1] > start


def _resolve(
    text: str,
    start: int,
    end: int,
    candidates: set[str],
    mentioned: list[tuple[int, int, str]],
    named: set[str],
) -> str | None:
    """The province of a city name shared by two provinces, or None if the text does not say.

    `mentioned` are the province mentions of the text (sorted), `named` their names.
    """
    lo = bisect.bisect_left(mentioned, (start - CONTEXT_WINDOW - 64,))
    hi = bisect.bisect_right(mentioned, (end + CONTEXT_WINDOW + 1,))
    near = [(s, e, n) for s, e, n in mentioned[lo:hi] if n in candidates]
    for s, e, name in near:
        if (s >= end and _GAP_AFTER.fullmatch(text[end:s])) or (
            e <= start and _GAP_BEFORE.fullmatch(text[e:start])
        ):
            return name
    window = {n for s, e, n in near if s - end <= CONTEXT_WINDOW and start - e <= CONTEXT_WINDOW}
    if window:
        return window.pop() if len(window) == 1 else None
    anywhere = candidates & named
    return anywhere.pop() if len(anywhere) == 1 else None

"""Find mentions of China's provinces and cities in an article's text (ENTITY_RULES.md).

One pass of an Aho-Corasick automaton over a case- and accent-folded copy of the text (same length,
so offsets carry over) finds every surface form of the gazetteer; time is linear in the text and
flat in the gazetteer's size. The candidates are then filtered by rules that need context:

- whole words only, first letter capitalized in the original text, not an all-caps word (ILI, ABA)
  unless the form itself is an acronym (HKSAR); the leftmost-longest form wins, so "Inner Mongolia
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
- a name shared by two cities (Suzhou, Taizhou, Fuzhou, Yichun, Yulin) takes the province written
  next to it ("Suzhou, Jiangsu"), else the only candidate province named within 100 characters,
  else the only one named anywhere in the text; otherwise the hit is left out.
- guarded forms (Xian, Jian, Yanan, Luan, Taian: also given names) count only with a unit word
  ("Xian city", a form of its own) or when the text names the parent province.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from cppcc_watch.extract.gazetteer import Gazetteer, fold

CONTEXT_WINDOW = 100


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`, as a set."""
    return frozenset(text.split())


ORG_WORDS = _words(
    """Academy Administration Agency Airlines Airline Airport Alliance Association Authority Bank
    Bureau Center Centre Chamber Club Co Command Commission Committee Company Congress Conservatory
    Corp Corporation Corps Council Court Daily Department Exchange FC Federation Foundation Fund
    Garrison Government Group Holdings Hospital Inc Institute Institution Laboratory Lab Library
    Ltd Limited Media Ministry Museum Observatory Office Orchestra Organization Organisation Party
    Police
    Polytechnic Press Procuratorate Radio School Society Team Television Times Troupe Trust TV Union
    University College"""
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

_WORD = re.compile(r"[ \t]+([A-Za-z][\w'’&.]*)")
_HYPHEN_CHAIN = re.compile(r"(?:-[A-Z][\w'’]*)*")
_ORG_OF_BEFORE = re.compile(r"\b([A-Z][a-z]+) of (?:the )?$")
_SURNAME_BEFORE = re.compile(r"(?:^|[^\w'’-])([A-Z][a-z]{0,4}) $")
_SURNAME_AFTER = re.compile(r" ([A-Z][a-z]{0,4})(?=[^\w'’-]|$)(?! [A-Z])")
_GAP_AFTER = re.compile(r",\s*|\s+in\s+|\s+of\s+|\s*\(\s*")  # "Suzhou, Jiangsu"
_GAP_BEFORE = re.compile(r"['’]s\s+")  # "Jiangsu's Suzhou"
_WORDS = re.compile(r"[A-Za-z][\w'’-]*")


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
class _Entry:
    """What a surface form may stand for."""

    kind: str
    name: str
    province: str | None
    guarded: bool = False


@dataclass(frozen=True)
class _Form:
    length: int
    entries: tuple[_Entry, ...]
    acronym: bool


def _fold_table() -> dict[int, str]:
    """A 1:1 character translation from lowercase text to the folded form (same length)."""
    table: dict[int, str] = {}
    for code in range(0x80, 0x2100):
        char = chr(code)
        lowered = char.lower()
        bare = "".join(
            c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c)
        )
        if len(bare) == 1 and bare != char:
            table[code] = bare
    table.update({ord(c): "'" for c in "’‘ʼ′"})
    table.update({ord(c): " " for c in "\u00a0\u2002\u2003\u2009\u202f"})
    table.update({ord(c): "-" for c in "‐‑–—"})
    return table


_FOLD_TABLE = _fold_table()


def normalize(text: str) -> str:
    """The text lowercased, accents stripped, apostrophes and spaces unified; same length."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    if not lowered.isascii():
        lowered = lowered.translate(_FOLD_TABLE)
    return lowered


class PlaceMatcher:
    """Finds province and city mentions in a text; build once, reuse for every article."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer or Gazetteer.load()
        forms: dict[str, list[_Entry]] = {}
        acronyms: set[str] = set()

        def add(form: str, entry: _Entry) -> None:
            key = fold(form)
            if form.isupper():
                acronyms.add(key)
            bucket = forms.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)

        for p in self.gazetteer.provinces:
            for form in p.aliases:
                add(form, _Entry("province", p.name, None))
        for c in self.gazetteer.cities:
            for form in c.aliases:
                add(form, _Entry("city", c.name, c.province))
            for form in c.guarded:
                add(form, _Entry("city", c.name, c.province, guarded=True))
        self._automaton = ahocorasick.Automaton()
        for key, entries in forms.items():
            self._automaton.add_word(key, _Form(len(key), tuple(entries), key in acronyms))
        self._automaton.make_automaton()

    def find(self, text: str, exclude: Sequence[tuple[int, int]] = ()) -> list[PlaceHit]:
        """Every province and city mention in `text`, in text order.

        `exclude` holds spans (start, end) of organization names: places inside them are skipped.
        """
        matches = self._candidates(text)
        mentioned = [(s, e, entry.name) for s, e, form in matches for entry in form.entries
                     if entry.kind == "province"]  # fmt: skip
        named = {name for _, _, name in mentioned}
        spans = sorted(exclude)
        hits: list[PlaceHit] = []
        for start, end, form in matches:
            if _overlaps(spans, start, end) or not self._is_place(text, start, end):
                continue
            surface = text[start:end]
            cities = [e for e in form.entries if e.kind == "city"]
            for entry in form.entries:
                if entry.kind == "province":
                    hits.append(PlaceHit(start, end, surface, "province", entry.name, None))
            if len(cities) > 1:
                province = _resolve(text, start, end, {c.province for c in cities}, mentioned)
                cities = [c for c in cities if c.province == province]
            for entry in cities:
                if entry.guarded and entry.province not in named:
                    continue
                hits.append(PlaceHit(start, end, surface, "city", entry.name, entry.province))
        return hits

    def _candidates(self, text: str) -> list[tuple[int, int, _Form]]:
        """Whole-word, capitalized matches, leftmost-longest, without overlaps."""
        folded = normalize(text)
        size = len(text)
        found = []
        for last, form in self._automaton.iter(folded):
            start, end = last - form.length + 1, last + 1
            if start > 0:
                before = folded[start - 1]
                if before.isalnum() or (
                    before == "'" and start > 1 and folded[start - 2].isalpha()
                ):
                    continue
            if end < size and folded[end].isalnum():
                continue
            if not text[start].isupper():
                continue
            if not form.acronym and form.length > 1 and text[start:end].isupper():
                continue
            found.append((start, end, form))
        found.sort(key=lambda m: (m[0], -m[1]))
        chosen = []
        reach = -1
        for match in found:
            if match[0] >= reach:
                chosen.append(match)
                reach = match[1]
        return chosen

    def _is_place(self, text: str, start: int, end: int) -> bool:
        """False when the name is part of an organization, a feature or a person's name."""
        before = text[max(0, start - 40) : start]
        if before.endswith("Mount ") or _ORG_OF_BEFORE.search(before):
            return False
        one_word = " " not in text[start:end]
        if one_word and (m := _SURNAME_BEFORE.search(before)) and m.group(1) in SURNAMES:
            return False
        tail = text[end : end + 80]
        if tail[:2] in ("'s", "’s"):
            return True
        chain = _HYPHEN_CHAIN.match(tail)
        rest = tail[chain.end() :] if chain else tail
        words = []
        for m in _WORD.finditer(rest):
            if m.start() != (words[-1][1] if words else 0):
                break
            words.append((m.group(1), m.end()))
            if len(words) == 6:
                break
        tokens = [w for w, _ in words]
        if tokens and tokens[0].rstrip(".,;:").lower() in NOT_PLACE_NEXT:
            return False
        if [t.rstrip(".,;:").lower() for t in tokens[:2]] == ["new", "area"]:
            return False
        if _org_run(tokens, text, start):
            return False
        return not (one_word and (m := _SURNAME_AFTER.match(rest)) and m.group(1) in SURNAMES)


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
    line = text[text.rfind("\n", 0, pos) + 1 : (text.find("\n", pos) + 1 or len(text) + 1) - 1]
    words = [w for w in _WORDS.findall(line) if len(w) > 3]
    return len(words) >= 5 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True if [start, end) overlaps any of the spans (sorted by start)."""
    i = bisect.bisect_left(spans, (end, end))
    return any(e > start for _, e in spans[:i])


def _resolve(
    text: str,
    start: int,
    end: int,
    candidates: set[str],
    mentioned: list[tuple[int, int, str]],
) -> str | None:
    """The province of a city name shared by two provinces, or None if the text does not say."""
    relevant = [(s, e, name) for s, e, name in mentioned if name in candidates]
    for s, e, name in relevant:
        if (s >= end and _GAP_AFTER.fullmatch(text[end:s])) or (
            e <= start and _GAP_BEFORE.fullmatch(text[e:start])
        ):
            return name
    near = {
        name for s, e, name in relevant if s - end <= CONTEXT_WINDOW and start - e <= CONTEXT_WINDOW
    }
    if near:
        return next(iter(near)) if len(near) == 1 else None
    anywhere = {name for _, _, name in relevant}
    return next(iter(anywhere)) if len(anywhere) == 1 else None
